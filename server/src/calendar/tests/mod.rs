//! Unit tests of the calendar. Expected instants are written as local wall-clock times and
//! turned into milliseconds by jiff directly (never by the code under test), or derived from
//! elapsed real time where every day is worked.

mod between;
mod dst;
mod holidays;
mod serde;
mod validation;
mod weekends;

use jiff::civil::{Date, Weekday, date};
use jiff::tz::TimeZone;

use super::Calendar;

/// Milliseconds in `hours` hours.
fn hours(hours: i64) -> i64 {
    hours * 3_600_000
}

/// Monday to Friday.
const WEEKDAYS: [Weekday; 5] = [
    Weekday::Monday,
    Weekday::Tuesday,
    Weekday::Wednesday,
    Weekday::Thursday,
    Weekday::Friday,
];

/// Every day of the week.
const EVERY_DAY: [Weekday; 7] = [
    Weekday::Monday,
    Weekday::Tuesday,
    Weekday::Wednesday,
    Weekday::Thursday,
    Weekday::Friday,
    Weekday::Saturday,
    Weekday::Sunday,
];

fn calendar(zone: &str, days: &[Weekday], holidays: &[Date]) -> Calendar {
    Calendar::new(zone, days.iter().copied(), holidays.iter().copied()).expect("valid calendar")
}

fn zone(name: &str) -> TimeZone {
    TimeZone::get(name).expect("zone")
}

/// The instant of a local wall-clock time that happens exactly once in `zone`.
fn local(zone_name: &str, (y, m, d): (i16, i8, i8), hour: i8, minute: i8) -> i64 {
    zone(zone_name)
        .to_ambiguous_timestamp(date(y, m, d).at(hour, minute, 0, 0))
        .unambiguous()
        .expect("an unambiguous local time")
        .as_millisecond()
}

/// The second occurrence of a local wall-clock time repeated when the clocks go back.
fn local_second_time(zone_name: &str, (y, m, d): (i16, i8, i8), hour: i8, minute: i8) -> i64 {
    let ambiguous = zone(zone_name).to_ambiguous_timestamp(date(y, m, d).at(hour, minute, 0, 0));
    assert!(
        ambiguous.is_ambiguous(),
        "{y}-{m}-{d} {hour}:{minute} is not repeated"
    );
    ambiguous.later().expect("in range").as_millisecond()
}
