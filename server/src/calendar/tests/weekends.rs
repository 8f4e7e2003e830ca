//! Weekends do not count; a weekday counts whole, from local midnight to local midnight.

use super::{WEEKDAYS, calendar, hours, local};
use crate::calendar::Calendar;

const MADRID: &str = "Europe/Madrid";

#[test]
fn twenty_four_hours_after_friday_afternoon_is_monday_afternoon() {
    let cal = calendar(MADRID, &WEEKDAYS, &[]);
    let friday = local(MADRID, (2026, 6, 12), 16, 0);
    assert_eq!(
        cal.add_working_hours(friday, 24),
        Ok(local(MADRID, (2026, 6, 15), 16, 0))
    );
}

#[test]
fn forty_eight_hours_after_thursday_morning_is_monday_morning() {
    let cal = calendar(MADRID, &WEEKDAYS, &[]);
    let thursday = local(MADRID, (2026, 6, 11), 9, 0);
    assert_eq!(
        cal.add_working_hours(thursday, 48),
        Ok(local(MADRID, (2026, 6, 15), 9, 0))
    );
}

#[test]
fn starting_on_saturday_counts_from_monday_midnight() {
    let cal = calendar(MADRID, &WEEKDAYS, &[]);
    let saturday = local(MADRID, (2026, 6, 13), 10, 30);
    assert_eq!(
        cal.add_working_hours(saturday, 1),
        Ok(local(MADRID, (2026, 6, 15), 1, 0))
    );
    assert_eq!(
        cal.add_working_hours(saturday, 24),
        Ok(local(MADRID, (2026, 6, 16), 0, 0))
    );
    let sunday_late = local(MADRID, (2026, 6, 14), 23, 59);
    assert_eq!(
        cal.add_working_hours(sunday_late, 48),
        Ok(local(MADRID, (2026, 6, 17), 0, 0))
    );
}

#[test]
fn using_up_a_working_day_exactly_ends_at_its_midnight() {
    let cal = calendar(MADRID, &WEEKDAYS, &[]);
    let friday = local(MADRID, (2026, 6, 12), 16, 0);
    assert_eq!(
        cal.add_working_hours(friday, 8),
        Ok(local(MADRID, (2026, 6, 13), 0, 0))
    );
    assert_eq!(
        cal.add_working_hours(friday, 9),
        Ok(local(MADRID, (2026, 6, 15), 1, 0))
    );
}

#[test]
fn zero_hours_is_the_start_itself_even_on_a_weekend() {
    let cal = calendar(MADRID, &WEEKDAYS, &[]);
    let saturday = local(MADRID, (2026, 6, 13), 10, 30);
    assert_eq!(cal.add_working_hours(saturday, 0), Ok(saturday));
}

#[test]
fn a_friday_evening_in_the_zone_is_friday_even_when_utc_says_saturday() {
    // 22:00 in Santiago (UTC-4 in June) is 02:00 on Saturday in UTC.
    let santiago = calendar("America/Santiago", &WEEKDAYS, &[]);
    let friday_night = local("America/Santiago", (2026, 6, 12), 22, 0);
    assert_eq!(
        santiago.add_working_hours(friday_night, 1),
        Ok(local("America/Santiago", (2026, 6, 12), 23, 0))
    );
    // The same instant on a UTC calendar is on Saturday: counting starts on Monday.
    assert_eq!(
        Calendar::default().add_working_hours(friday_night, 1),
        Ok(local("UTC", (2026, 6, 15), 1, 0))
    );
}

#[test]
fn the_default_calendar_is_utc_monday_to_friday() {
    let cal = Calendar::default();
    let friday = local("UTC", (2026, 6, 12), 16, 0);
    assert_eq!(
        cal.add_working_hours(friday, 24),
        Ok(local("UTC", (2026, 6, 15), 16, 0))
    );
    assert_eq!(
        cal.working_ms_between(friday, local("UTC", (2026, 6, 19), 16, 0)),
        Ok(hours(5 * 24))
    );
}

#[test]
fn a_saturday_working_calendar_counts_saturday() {
    let mut days = WEEKDAYS.to_vec();
    days.push(jiff::civil::Weekday::Saturday);
    let cal = calendar(MADRID, &days, &[]);
    let friday = local(MADRID, (2026, 6, 12), 16, 0);
    assert_eq!(
        cal.add_working_hours(friday, 24),
        Ok(local(MADRID, (2026, 6, 13), 16, 0))
    );
    assert_eq!(
        cal.add_working_hours(friday, 40),
        Ok(local(MADRID, (2026, 6, 15), 8, 0))
    );
}
