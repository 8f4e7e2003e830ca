//! Why a calendar was refused, or why a deadline could not be computed. One enum for both: an
//! admin API maps the first kind to a 400, and the second kind only comes from instants or
//! hour counts that no real meeting produces.

use jiff::civil::Date;

use super::holidays::MAX_HOLIDAYS;
use super::weekdays::MAX_WEEKDAY_NAME_LEN;
use super::zone::MAX_ZONE_NAME_LEN;
use super::{MAX_HOURS, MAX_SCAN_DAYS};

/// What the calendar refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// Not an IANA time zone name in the bundled tz database (names are matched ignoring case).
    #[error("unknown time zone {0:?}: use an IANA name such as \"America/Santiago\"")]
    UnknownZone(String),
    /// A zone name longer than any IANA name; not echoed back.
    #[error("time zone name too long: at most {MAX_ZONE_NAME_LEN} bytes")]
    ZoneNameTooLong,
    /// A calendar with no working day would never reach a deadline.
    #[error("a calendar needs at least one working day")]
    NoWorkingDays,
    /// Not one of the lowercase English weekday names.
    #[error("unknown weekday {0:?}: use monday, tuesday, ..., sunday")]
    UnknownWeekday(String),
    /// A weekday name longer than any weekday; not echoed back.
    #[error("weekday name too long: at most {MAX_WEEKDAY_NAME_LEN} bytes")]
    WeekdayNameTooLong,
    /// The same weekday listed twice (likely a typo for another day).
    #[error("working day {0:?} listed twice")]
    DuplicateWorkingDay(&'static str),
    /// More holidays than a calendar may hold.
    #[error("too many holidays: at most {MAX_HOLIDAYS}")]
    TooManyHolidays,
    /// The same holiday listed twice.
    #[error("holiday {0} listed twice")]
    DuplicateHoliday(Date),
    /// A holiday that is not a `YYYY-MM-DD` date of the years 0000 to 9999.
    #[error("invalid holiday {0:?}: use YYYY-MM-DD")]
    InvalidHoliday(String),
    /// More working hours asked for than any deadline needs.
    #[error("{0} working hours is too many: at most {MAX_HOURS}")]
    TooManyHours(u32),
    /// An instant, or a deadline, outside the years the time zone arithmetic supports
    /// (roughly -9999 to 9999).
    #[error("instant {0} ms is outside the supported range")]
    OutOfRange(i64),
    /// The arithmetic would look at more than [`MAX_SCAN_DAYS`] days. No valid calendar reaches
    /// this for at most [`MAX_HOURS`] hours; it stops the scan of a span that is far too long.
    #[error("the span is too long: at most {MAX_SCAN_DAYS} days are looked at")]
    SpanTooLong,
}
