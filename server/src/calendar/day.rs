//! Where a local day begins and ends as instants.
//!
//! A day `d` runs from the first instant whose local date is `d` or later to the first instant
//! whose local date is `d + 1` or later. Usually that is midnight to midnight; where daylight
//! saving skips midnight (America/Santiago in September: 00:00 becomes 01:00) the day starts when
//! the clocks jump, so it is 23 hours long; where the clocks go back across midnight, the repeated
//! hour belongs to the later day. Defined by "first instant", the starts never go backwards, so
//! the days tile time with no gap and no overlap, and a day the zone skipped entirely (Pacific/Apia
//! on 2011-12-30) is zero long.

use jiff::Timestamp;
use jiff::civil::{Date, DateTime};
use jiff::tz::{AmbiguousOffset, TimeZone};

/// One local day as the instants it covers, `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Day {
    pub date: Date,
    pub start: Timestamp,
    pub end: Timestamp,
}

impl Day {
    /// The day that holds instant `at`; `None` near the ends of the supported range.
    pub fn containing(tz: &TimeZone, at: Timestamp) -> Option<Day> {
        let mut day = Day::of(tz, tz.to_datetime(at).date())?;
        // `at` may lie in an hour repeated across midnight, which reads as the day before the one
        // it belongs to; a step forward finds its day (three allow for any rule, and stop there).
        for _ in 0..3 {
            if at < day.end {
                return Some(day);
            }
            day = day.next(tz)?;
        }
        None
    }

    /// The day after this one; `None` past the end of the supported range.
    pub fn next(self, tz: &TimeZone) -> Option<Day> {
        let date = self.date.tomorrow().ok()?;
        Some(Day {
            date,
            start: self.end,
            end: start_of(tz, date.tomorrow().ok()?)?,
        })
    }

    /// The day dated `date`.
    fn of(tz: &TimeZone, date: Date) -> Option<Day> {
        Some(Day {
            date,
            start: start_of(tz, date)?,
            end: start_of(tz, date.tomorrow().ok()?)?,
        })
    }
}

/// The first instant whose local date is `date` or later.
fn start_of(tz: &TimeZone, date: Date) -> Option<Timestamp> {
    let midnight = DateTime::from(date);
    let ambiguous = tz.to_ambiguous_timestamp(midnight);
    match ambiguous.offset() {
        // Midnight happens once, or twice (a fold): its first occurrence.
        AmbiguousOffset::Unambiguous { .. } | AmbiguousOffset::Fold { .. } => {
            ambiguous.earlier().ok()
        }
        // Midnight is skipped: the day starts at the transition that skips it. Midnight read
        // with the offset of after the gap is an instant before that transition, and no other
        // transition lies between the two.
        AmbiguousOffset::Gap { after, .. } => {
            let before_jump = after.to_timestamp(midnight).ok()?;
            match tz.following(before_jump).next() {
                Some(transition) => Some(transition.timestamp()),
                None => ambiguous.later().ok(),
            }
        }
    }
}
