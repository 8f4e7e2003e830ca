//! Counting working time: the deadline that many working hours after an instant, and the working
//! time between two instants. Both walk the local days one at a time, each day costing a time
//! zone look-up, and both stop after [`MAX_SCAN_DAYS`] days whatever the calendar.
//!
//! Instants are UTC milliseconds since the Unix epoch, as the rest of the server keeps them. Day
//! boundaries fall on whole seconds (tz offsets are whole seconds), so millisecond arithmetic is
//! exact.

use jiff::Timestamp;
use jiff::civil::Date;

use super::day::Day;
use super::{Calendar, CalendarError, MAX_HOURS, MAX_SCAN_DAYS};

/// Milliseconds in an hour.
const HOUR_MS: i64 = 3_600_000;

impl Calendar {
    /// Whether working time passes on local date `date`: a working weekday that is no holiday.
    pub fn is_working_day(&self, date: Date) -> bool {
        self.working_days.contains(date.weekday()) && !self.holidays.contains(date)
    }

    /// The instant at which `hours` working hours have passed since `start_ms`: the earliest
    /// instant `t` with `working_ms_between(start_ms, t) == hours` hours.
    ///
    /// Starting on a non-working day, the count starts at the next working day's start; reaching
    /// exactly the end of a working day answers that end (the next local midnight), not the start
    /// of the next working day. Zero hours answers `start_ms` itself.
    pub fn add_working_hours(&self, start_ms: i64, hours: u32) -> Result<i64, CalendarError> {
        if hours > MAX_HOURS {
            return Err(CalendarError::TooManyHours(hours));
        }
        let out_of_range = || CalendarError::OutOfRange(start_ms);
        let start = timestamp(start_ms)?;
        let mut left = i64::from(hours) * HOUR_MS;
        if left == 0 {
            return Ok(start_ms);
        }
        let tz = self.zone.time_zone();
        let mut day = Day::containing(tz, start).ok_or_else(out_of_range)?;
        let mut from = start_ms;
        for _ in 0..MAX_SCAN_DAYS {
            if self.is_working_day(day.date) {
                let available = day.end.as_millisecond() - from;
                if left <= available {
                    return Ok(from + left);
                }
                left -= available;
            }
            day = day.next(tz).ok_or_else(out_of_range)?;
            from = day.start.as_millisecond();
        }
        Err(CalendarError::SpanTooLong)
    }

    /// The working time, in milliseconds, between `from_ms` and `to_ms`: the part of
    /// `[from_ms, to_ms)` that falls on working days. Negative when `to_ms` is before `from_ms`
    /// (`working_ms_between(a, b) == -working_ms_between(b, a)`), so a clock that went backwards
    /// never reads as time served.
    pub fn working_ms_between(&self, from_ms: i64, to_ms: i64) -> Result<i64, CalendarError> {
        if to_ms < from_ms {
            return self.working_ms_between(to_ms, from_ms).map(|ms| -ms);
        }
        timestamp(to_ms)?;
        let out_of_range = || CalendarError::OutOfRange(from_ms);
        let tz = self.zone.time_zone();
        let mut day = Day::containing(tz, timestamp(from_ms)?).ok_or_else(out_of_range)?;
        let mut from = from_ms;
        let mut total = 0;
        for _ in 0..MAX_SCAN_DAYS {
            let day_end = day.end.as_millisecond();
            if self.is_working_day(day.date) {
                total += day_end.min(to_ms) - from;
            }
            if to_ms <= day_end {
                return Ok(total);
            }
            day = day.next(tz).ok_or_else(out_of_range)?;
            from = day.start.as_millisecond();
        }
        Err(CalendarError::SpanTooLong)
    }
}

/// The instant `ms`, if jiff can place it in a time zone.
fn timestamp(ms: i64) -> Result<Timestamp, CalendarError> {
    Timestamp::from_millisecond(ms).map_err(|_| CalendarError::OutOfRange(ms))
}
