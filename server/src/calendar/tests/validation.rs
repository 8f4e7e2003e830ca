//! What a calendar refuses, and the bounds on the arithmetic.

use jiff::ToSpan;
use jiff::civil::{Date, Weekday, date};

use super::{WEEKDAYS, calendar, hours, local};
use crate::calendar::{
    Calendar, CalendarError, Holidays, MAX_HOLIDAYS, MAX_HOURS, WorkingDays, Zone,
};

#[test]
fn an_unknown_zone_is_refused_by_name() {
    for name in ["Mars/Olympus_Mons", "", "Etc/Unknown", "-03:00", "America/"] {
        assert_eq!(
            Calendar::new(name, WEEKDAYS, []),
            Err(CalendarError::UnknownZone(name.to_owned())),
            "{name:?}"
        );
    }
    let long = "A".repeat(65);
    assert_eq!(
        Calendar::new(&long, WEEKDAYS, []),
        Err(CalendarError::ZoneNameTooLong)
    );
}

#[test]
fn a_zone_name_is_kept_in_its_canonical_spelling() {
    let zone = Zone::new("america/SANTIAGO").expect("known");
    assert_eq!(zone.name(), "America/Santiago");
    assert_eq!(zone, Zone::new("America/Santiago").expect("known"));
    assert_eq!(Zone::new("utc").expect("known").name(), "UTC");
}

#[test]
fn a_calendar_needs_a_working_day_each_listed_once() {
    assert_eq!(
        Calendar::new("UTC", [], []),
        Err(CalendarError::NoWorkingDays)
    );
    assert_eq!(
        WorkingDays::new([Weekday::Monday, Weekday::Friday, Weekday::Monday]),
        Err(CalendarError::DuplicateWorkingDay("monday"))
    );
    let sunday = WorkingDays::new([Weekday::Sunday]).expect("one day");
    assert!(sunday.contains(Weekday::Sunday));
    assert!(!sunday.contains(Weekday::Monday));
    assert_eq!(
        WorkingDays::default(),
        WorkingDays::new(WEEKDAYS).expect("days")
    );
}

fn days_from(first: Date, count: usize) -> Vec<Date> {
    (0..count)
        .map(|i| {
            let i = i64::try_from(i).expect("small");
            first.checked_add(i.days()).expect("in range")
        })
        .collect()
}

#[test]
fn holidays_are_bounded_and_listed_once() {
    let first = date(2026, 1, 1);
    assert_eq!(
        Holidays::new(days_from(first, MAX_HOLIDAYS)).map(|h| h.len()),
        Ok(MAX_HOLIDAYS)
    );
    assert_eq!(
        Holidays::new(days_from(first, MAX_HOLIDAYS + 1)),
        Err(CalendarError::TooManyHolidays)
    );
    assert_eq!(
        Holidays::new([first, date(2026, 5, 1), first]),
        Err(CalendarError::DuplicateHoliday(first))
    );
    assert!(matches!(
        Holidays::new([date(-1, 1, 1)]),
        Err(CalendarError::InvalidHoliday(_))
    ));
}

#[test]
fn more_than_the_maximum_hours_is_refused() {
    let cal = Calendar::default();
    let start = local("UTC", (2026, 6, 12), 16, 0);
    assert_eq!(
        cal.add_working_hours(start, MAX_HOURS + 1),
        Err(CalendarError::TooManyHours(MAX_HOURS + 1))
    );
    assert_eq!(
        cal.add_working_hours(start, u32::MAX),
        Err(CalendarError::TooManyHours(u32::MAX))
    );
}

#[test]
fn the_maximum_hours_fit_the_scan_on_the_sparsest_calendar() {
    // One working day a week (Sunday) and every allowed holiday on the next Sundays: the
    // deadline is 16:00 on the 417th Sunday that is not a holiday (10 000 h = 416 days + 16 h).
    let first_sunday = date(2026, 6, 14);
    assert_eq!(first_sunday.weekday(), Weekday::Sunday);
    let sundays: Vec<Date> = (0..MAX_HOLIDAYS)
        .map(|week| {
            let days = i64::try_from(week * 7).expect("small");
            first_sunday.checked_add(days.days()).expect("in range")
        })
        .collect();
    let cal = calendar("UTC", &[Weekday::Sunday], &sundays);
    let start = local("UTC", (2026, 6, 12), 16, 0);
    let last_sunday = first_sunday
        .checked_add((7 * (1000 + 416)).days())
        .expect("in range");
    let expected = local(
        "UTC",
        (last_sunday.year(), last_sunday.month(), last_sunday.day()),
        16,
        0,
    );
    assert_eq!(cal.add_working_hours(start, MAX_HOURS), Ok(expected));
    assert_eq!(
        cal.working_ms_between(start, expected),
        Ok(hours(MAX_HOURS.into()))
    );
}

#[test]
fn instants_outside_the_supported_range_are_refused() {
    let cal = Calendar::default();
    assert_eq!(
        cal.add_working_hours(i64::MAX, 1),
        Err(CalendarError::OutOfRange(i64::MAX))
    );
    assert_eq!(
        cal.working_ms_between(i64::MIN, 0),
        Err(CalendarError::OutOfRange(i64::MIN))
    );
    // Late on the last supported day: the deadline would fall past the end.
    let last_day = local("UTC", (9999, 12, 30), 12, 0);
    assert_eq!(
        cal.add_working_hours(last_day, 72),
        Err(CalendarError::OutOfRange(last_day))
    );
}

#[test]
fn a_span_of_more_than_the_scan_limit_is_refused() {
    let cal = Calendar::default();
    let from = local("UTC", (1900, 1, 1), 0, 0);
    let to = local("UTC", (2100, 1, 1), 0, 0);
    assert_eq!(
        cal.working_ms_between(from, to),
        Err(CalendarError::SpanTooLong)
    );
    assert_eq!(
        cal.working_ms_between(to, from),
        Err(CalendarError::SpanTooLong)
    );
    // Half a century is within it: 2000-01-01 (a Saturday) to 2050-01-01 is 2609 whole weeks.
    assert_eq!(
        date(2000, 1, 1).checked_add((2609 * 7).days()).ok(),
        Some(date(2050, 1, 1))
    );
    assert_eq!(
        cal.working_ms_between(
            local("UTC", (2000, 1, 1), 0, 0),
            local("UTC", (2050, 1, 1), 0, 0)
        ),
        Ok(hours(2609 * 5 * 24))
    );
}
