//! Times as the client reads them: a calendar date and a wall-clock time in the meeting's zone.
//!
//! Every [`Instant`] in a note carries the IANA zone it was captured in, so the meeting's zone
//! is the note's own ([`meeting_zone`]). Turning that name into an offset needs a time zone
//! database, which neither the core nor the server ships; the caller resolves the offset at the
//! meeting and hands it over as a [`ShownZone`], and this file only does calendar arithmetic
//! (proleptic Gregorian, from days since 1970). The zone's name and offset are printed next to
//! the times, so a reader is never left guessing which clock they refer to.

use enlace_core::model::meeting_note::MeetingNote;
use enlace_core::model::time::{Instant, TimeZone};

/// Largest offset from UTC accepted, in minutes. Real offsets lie between -12:00 and +14:00;
/// anything beyond 18 hours is a caller's mistake, not a place.
pub(crate) const MAX_OFFSET_MINUTES: i32 = 18 * 60;

/// Why a [`ShownZone`] was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ZoneError {
    /// The offset is further from UTC than any place on Earth.
    #[error("offset of {minutes} minutes from UTC is out of range (at most {MAX_OFFSET_MINUTES})")]
    OffsetOutOfRange {
        /// The offset given.
        minutes: i32,
    },
}

/// The zone the report's times are shown in: its name and its offset from UTC at the meeting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ShownZone {
    name: TimeZone,
    offset_minutes: i32,
}

impl ShownZone {
    /// `name`, which is `offset_minutes` ahead of UTC (negative: behind) at the meeting.
    pub(crate) fn new(name: TimeZone, offset_minutes: i32) -> Result<Self, ZoneError> {
        if offset_minutes.abs() > MAX_OFFSET_MINUTES {
            return Err(ZoneError::OffsetOutOfRange {
                minutes: offset_minutes,
            });
        }
        Ok(ShownZone {
            name,
            offset_minutes,
        })
    }

    /// UTC itself.
    pub(crate) fn utc() -> Self {
        ShownZone {
            name: TimeZone::utc(),
            offset_minutes: 0,
        }
    }

    /// How the zone is named next to a time: `America/Santiago, UTC-03:00`, or `UTC`.
    pub(super) fn label(&self) -> String {
        let sign = if self.offset_minutes < 0 { '-' } else { '+' };
        let abs = self.offset_minutes.unsigned_abs();
        let offset = format!("UTC{sign}{:02}:{:02}", abs / 60, abs % 60);
        if self.name.as_str() == "UTC" && self.offset_minutes == 0 {
            "UTC".to_owned()
        } else {
            format!("{}, {offset}", self.name.as_str())
        }
    }
}

/// The zone the note was written in: where the meeting started, else where it ended, else where
/// the note was created.
pub(crate) fn meeting_zone(note: &MeetingNote) -> &TimeZone {
    note.started_at
        .as_ref()
        .or(note.ended_at.as_ref())
        .map_or(&note.created_at.zone, |at| &at.zone)
}

/// A wall-clock reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Civil {
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
}

impl Civil {
    /// The reading at `utc_ms` in a zone `offset_minutes` ahead of UTC. Any `i64` is accepted.
    fn at(utc_ms: i64, offset_minutes: i32) -> Civil {
        // |utc_ms / 60 000| < 1.6e14, far from overflowing once the offset is added.
        let minutes = utc_ms.div_euclid(60_000) + i64::from(offset_minutes);
        let (days, of_day) = (minutes.div_euclid(1440), minutes.rem_euclid(1440));
        let (year, month, day) = enlace_core::model::time::civil_from_days(days);
        Civil {
            year,
            month,
            day,
            hour: of_day / 60,
            minute: of_day % 60,
        }
    }

    /// Whether the year prints as four digits; other readings come from a broken clock.
    fn plausible(self) -> bool {
        (1..=9999).contains(&self.year)
    }

    fn date(self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }

    fn time(self) -> String {
        format!("{:02}:{:02}", self.hour, self.minute)
    }

    fn same_day(self, other: Civil) -> bool {
        (self.year, self.month, self.day) == (other.year, other.month, other.day)
    }
}

/// Shown when an instant is outside years 1-9999.
const OUT_OF_RANGE: &str = "(date out of range)";

/// When the meeting took place: `2026-03-10, 10:30–11:45 (America/Santiago, UTC-03:00)`, with
/// the end's date too when it ends on another day; `None` when neither end was recorded.
pub(super) fn meeting_time(
    started: Option<&Instant>,
    ended: Option<&Instant>,
    zone: &ShownZone,
) -> Option<String> {
    let at = |i: &Instant| Civil::at(i.utc_ms, zone.offset_minutes);
    let when = match (started.map(at), ended.map(at)) {
        (None, None) => return None,
        (Some(s), _) | (None, Some(s)) if !s.plausible() => OUT_OF_RANGE.to_owned(),
        (Some(s), None) => format!("{}, {}", s.date(), s.time()),
        (None, Some(e)) => format!("until {}, {}", e.date(), e.time()),
        (Some(s), Some(e)) if !e.plausible() => format!("{}, {}", s.date(), s.time()),
        (Some(s), Some(e)) if s.same_day(e) => {
            format!("{}, {}–{}", s.date(), s.time(), e.time())
        }
        (Some(s), Some(e)) => format!("{}, {} – {}, {}", s.date(), s.time(), e.date(), e.time()),
    };
    Some(format!("{when} ({})", zone.label()))
}

/// The calendar date of `at` in `zone`: `2026-03-20`.
pub(super) fn date(at: &Instant, zone: &ShownZone) -> String {
    let c = Civil::at(at.utc_ms, zone.offset_minutes);
    if c.plausible() {
        c.date()
    } else {
        OUT_OF_RANGE.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Epoch seconds below come from `date -u -d '<date> UTC' +%s`, not from this file.
    const T_2026_03_10_1330: i64 = 1_773_149_400_000;
    const T_2026_03_10_1445: i64 = 1_773_153_900_000;
    const T_2026_03_10_0100: i64 = 1_773_104_400_000;
    const T_2024_02_29_2359: i64 = 1_709_251_140_000;
    const T_2000_03_01_0000: i64 = 951_868_800_000;
    const T_9999_12_31_2359: i64 = 253_402_300_740_000;
    const T_0001_01_01_0000: i64 = -62_135_596_800_000;

    fn civil(utc_ms: i64, offset: i32) -> String {
        let c = Civil::at(utc_ms, offset);
        format!("{} {}", c.date(), c.time())
    }

    fn santiago() -> ShownZone {
        let zone = TimeZone::new("America/Santiago").expect("zone");
        ShownZone::new(zone, -180).expect("offset")
    }

    #[test]
    fn known_instants_read_as_their_calendar_dates() {
        assert_eq!(civil(0, 0), "1970-01-01 00:00");
        assert_eq!(civil(T_2026_03_10_1330, 0), "2026-03-10 13:30");
        assert_eq!(civil(T_2024_02_29_2359, 0), "2024-02-29 23:59");
        assert_eq!(civil(T_2000_03_01_0000, 0), "2000-03-01 00:00");
        assert_eq!(civil(T_9999_12_31_2359, 0), "9999-12-31 23:59");
        assert_eq!(civil(T_0001_01_01_0000, 0), "0001-01-01 00:00");
    }

    #[test]
    fn instants_before_1970_round_down_not_toward_zero() {
        assert_eq!(civil(-60_000, 0), "1969-12-31 23:59");
        assert_eq!(civil(-1, 0), "1969-12-31 23:59");
    }

    #[test]
    fn the_offset_moves_the_clock_and_the_date() {
        assert_eq!(civil(T_2026_03_10_1330, -180), "2026-03-10 10:30");
        assert_eq!(civil(T_2026_03_10_0100, -180), "2026-03-09 22:00");
        assert_eq!(civil(T_2024_02_29_2359, 60), "2024-03-01 00:59");
        assert_eq!(civil(T_2026_03_10_1330, 330), "2026-03-10 19:00");
    }

    #[test]
    fn extreme_instants_do_not_panic_and_say_so() {
        for offset in [-MAX_OFFSET_MINUTES, 0, MAX_OFFSET_MINUTES] {
            let zone = ShownZone::new(TimeZone::utc(), offset).expect("offset");
            for ms in [i64::MIN, i64::MAX] {
                assert_eq!(
                    date(&Instant::utc(ms), &zone),
                    OUT_OF_RANGE,
                    "{ms} {offset}"
                );
            }
        }
        let utc = ShownZone::utc();
        assert_eq!(
            date(&Instant::utc(T_0001_01_01_0000 - 1), &utc),
            OUT_OF_RANGE
        );
        assert_eq!(date(&Instant::utc(T_0001_01_01_0000), &utc), "0001-01-01");
    }

    #[test]
    fn a_meeting_on_one_day_names_the_date_once() {
        let (s, e) = (
            Instant::utc(T_2026_03_10_1330),
            Instant::utc(T_2026_03_10_1445),
        );
        assert_eq!(
            meeting_time(Some(&s), Some(&e), &santiago()).as_deref(),
            Some("2026-03-10, 10:30–11:45 (America/Santiago, UTC-03:00)")
        );
        assert_eq!(
            meeting_time(Some(&s), None, &ShownZone::utc()).as_deref(),
            Some("2026-03-10, 13:30 (UTC)")
        );
    }

    #[test]
    fn a_meeting_across_midnight_names_both_dates() {
        let (s, e) = (
            Instant::utc(T_2026_03_10_0100 - 7_200_000),
            Instant::utc(T_2026_03_10_0100),
        );
        assert_eq!(
            meeting_time(Some(&s), Some(&e), &ShownZone::utc()).as_deref(),
            Some("2026-03-09, 23:00 – 2026-03-10, 01:00 (UTC)")
        );
        // The same meeting in Santiago did not cross midnight.
        assert_eq!(
            meeting_time(Some(&s), Some(&e), &santiago()).as_deref(),
            Some("2026-03-09, 20:00–22:00 (America/Santiago, UTC-03:00)")
        );
    }

    #[test]
    fn only_an_end_or_a_broken_end_still_reads() {
        let s = Instant::utc(T_2026_03_10_1330);
        let broken = Instant::utc(i64::MAX);
        assert_eq!(
            meeting_time(None, Some(&s), &ShownZone::utc()).as_deref(),
            Some("until 2026-03-10, 13:30 (UTC)")
        );
        assert_eq!(
            meeting_time(Some(&s), Some(&broken), &ShownZone::utc()).as_deref(),
            Some("2026-03-10, 13:30 (UTC)")
        );
        assert_eq!(
            meeting_time(Some(&broken), Some(&s), &ShownZone::utc()).as_deref(),
            Some("(date out of range) (UTC)")
        );
    }

    #[test]
    fn no_recorded_time_is_none() {
        assert_eq!(meeting_time(None, None, &ShownZone::utc()), None);
    }

    #[test]
    fn offsets_beyond_any_place_are_refused() {
        let utc = TimeZone::utc();
        assert!(ShownZone::new(utc.clone(), 14 * 60).is_ok());
        assert!(ShownZone::new(utc.clone(), -12 * 60).is_ok());
        assert_eq!(
            ShownZone::new(utc, 18 * 60 + 1),
            Err(ZoneError::OffsetOutOfRange { minutes: 1081 })
        );
    }

    #[test]
    fn labels_name_the_zone_and_its_offset() {
        let kolkata = TimeZone::new("Asia/Kolkata").expect("zone");
        assert_eq!(
            ShownZone::new(kolkata, 330).expect("offset").label(),
            "Asia/Kolkata, UTC+05:30"
        );
        assert_eq!(santiago().label(), "America/Santiago, UTC-03:00");
        assert_eq!(ShownZone::utc().label(), "UTC");
    }
}
