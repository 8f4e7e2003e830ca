//! Working hours: when a contact report is overdue (not sent within 24 working hours of its
//! meeting) and when a client's silence has lasted long enough (48 working hours) to count as
//! acceptance. Pure arithmetic over instants; storing calendars and serving them is elsewhere.
//!
//! # What counts as working time
//!
//! An organisation's [`Calendar`] has an IANA time zone, the weekdays it works (Monday to Friday
//! unless set) and a list of holidays (local dates). Working time is every instant that falls on
//! a working day in the calendar's zone, from local midnight to the next local midnight;
//! weekends and holidays do not count at all. So 24 working hours after Friday 16:00 is Monday
//! 16:00 (Monday not being a holiday), and after Thursday 09:00, 48 working hours run out on
//! Monday at 09:00.
//!
//! Why whole days and not office hours (09:00 to 18:00): the deadlines are promises made in days
//! ("within a working day", "two working days to object"), and account executives send reports
//! at night and on the train; counting office hours would make 24 working hours almost three
//! days, and one late evening would count for nothing. Why the local calendar and not 24-hour
//! blocks of UTC: a holiday or a weekend is a local date, and it must not leak an hour into
//! Friday or Monday because the zone is three hours off UTC.
//!
//! Days are real days: a day on which daylight saving starts lasts 23 hours and one on which it
//! ends lasts 25 (America/Santiago changes at local midnight on the first weekend of April and
//! September, Europe/Madrid at 02:00 or 03:00 on the last Sunday of March and October), and a
//! working day counts all the hours it has. So a working hour is an hour of real time on a
//! working day, and on a calendar that works every day working time is simply elapsed time;
//! the `day` module says where a day starts when midnight itself is skipped.
//!
//! # Bounds
//!
//! A calendar holds at most [`MAX_HOLIDAYS`] holidays; at most
//! [`MAX_HOURS`] hours are added at once; and the arithmetic looks at no more than
//! [`MAX_SCAN_DAYS`] days, so no input makes it loop long. Instants outside the range jiff
//! handles (about the years -9999 to 9999) are refused, never wrapped.
//!
//! Layout, one job per file:
//! - `error`: [`CalendarError`].
//! - `zone`: [`Zone`], the IANA zone from the bundled tz database.
//! - `weekdays`: [`WorkingDays`] and the weekday names.
//! - `holidays`: [`Holidays`] and their `YYYY-MM-DD` form.
//! - `day`: where a local day starts and ends as instants.
//! - `arithmetic`: [`Calendar::add_working_hours`] and [`Calendar::working_ms_between`].

mod arithmetic;
mod day;
mod error;
mod holidays;
mod weekdays;
mod zone;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

pub use error::CalendarError;
pub use holidays::{Holidays, MAX_HOLIDAYS};
pub use jiff::civil::{Date, Weekday};
pub use weekdays::WorkingDays;
pub use zone::{MAX_ZONE_NAME_LEN, Zone};

/// Most working hours added at once: more than a year of Monday-to-Friday working time, far
/// past any deadline the server keeps.
pub const MAX_HOURS: u32 = 10_000;

/// Most local days the arithmetic looks at in one call (about 110 years). Adding [`MAX_HOURS`]
/// on a calendar that works one day a week, with all [`MAX_HOLIDAYS`] on that day, needs about
/// 7 × (10 000 / 23 + 1 000) ≈ 10 100 days, so a valid calendar never reaches it; a span between
/// two instants longer than this is refused.
pub const MAX_SCAN_DAYS: u32 = 40_000;

/// An organisation's working calendar. Each part checks itself when made, so any value of this
/// type is usable; stored as JSON:
///
/// ```json
/// {"zone": "America/Santiago",
///  "working_days": ["monday", "tuesday", "wednesday", "thursday", "friday"],
///  "holidays": ["2026-09-18", "2026-12-25"]}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Calendar {
    /// The zone whose local dates decide which instants are working time.
    pub zone: Zone,
    /// The weekdays worked.
    pub working_days: WorkingDays,
    /// Local dates not worked even when their weekday is.
    pub holidays: Holidays,
}

impl Calendar {
    /// A calendar in the zone named `zone` (an IANA name), or why not.
    pub fn new(
        zone: &str,
        working_days: impl IntoIterator<Item = Weekday>,
        holidays: impl IntoIterator<Item = Date>,
    ) -> Result<Calendar, CalendarError> {
        Ok(Calendar {
            zone: Zone::new(zone)?,
            working_days: WorkingDays::new(working_days)?,
            holidays: Holidays::new(holidays)?,
        })
    }
}

impl Default for Calendar {
    /// UTC, Monday to Friday, no holidays: what an organisation has until an admin sets its own.
    fn default() -> Calendar {
        Calendar {
            zone: Zone::utc(),
            working_days: WorkingDays::MONDAY_TO_FRIDAY,
            holidays: Holidays::default(),
        }
    }
}
