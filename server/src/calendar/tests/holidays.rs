//! Holidays count as nothing, like a weekend, on whatever weekday they fall.

use jiff::civil::date;

use super::{WEEKDAYS, calendar, local};

const SANTIAGO: &str = "America/Santiago";
const MADRID: &str = "Europe/Madrid";

#[test]
fn a_friday_holiday_joins_the_weekend() {
    // Fiestas Patrias: Friday 18 September 2026.
    let cal = calendar(SANTIAGO, &WEEKDAYS, &[date(2026, 9, 18)]);
    let thursday = local(SANTIAGO, (2026, 9, 17), 16, 0);
    assert_eq!(
        cal.add_working_hours(thursday, 24),
        Ok(local(SANTIAGO, (2026, 9, 21), 16, 0))
    );
    // Without the holiday, Friday counts.
    let plain = calendar(SANTIAGO, &WEEKDAYS, &[]);
    assert_eq!(
        plain.add_working_hours(thursday, 24),
        Ok(local(SANTIAGO, (2026, 9, 18), 16, 0))
    );
}

#[test]
fn holidays_in_a_row_are_all_skipped() {
    // Thursday to Monday off: 17, 18 and 21 September 2026.
    let cal = calendar(
        SANTIAGO,
        &WEEKDAYS,
        &[date(2026, 9, 17), date(2026, 9, 18), date(2026, 9, 21)],
    );
    let wednesday = local(SANTIAGO, (2026, 9, 16), 12, 0);
    assert_eq!(
        cal.add_working_hours(wednesday, 24),
        Ok(local(SANTIAGO, (2026, 9, 22), 12, 0))
    );
}

#[test]
fn starting_on_a_holiday_counts_from_the_next_working_midnight() {
    // Epiphany: Tuesday 6 January 2026.
    let cal = calendar(MADRID, &WEEKDAYS, &[date(2026, 1, 6)]);
    let holiday = local(MADRID, (2026, 1, 6), 10, 0);
    assert_eq!(
        cal.add_working_hours(holiday, 1),
        Ok(local(MADRID, (2026, 1, 7), 1, 0))
    );
    assert_eq!(
        cal.add_working_hours(holiday, 24),
        Ok(local(MADRID, (2026, 1, 8), 0, 0))
    );
}

#[test]
fn forty_eight_hours_over_a_weekend_and_a_monday_holiday() {
    let cal = calendar(MADRID, &WEEKDAYS, &[date(2026, 6, 15)]);
    let thursday = local(MADRID, (2026, 6, 11), 9, 0);
    assert_eq!(
        cal.add_working_hours(thursday, 48),
        Ok(local(MADRID, (2026, 6, 16), 9, 0))
    );
}

#[test]
fn a_holiday_on_a_weekend_changes_nothing() {
    let with = calendar(MADRID, &WEEKDAYS, &[date(2026, 6, 13)]);
    let without = calendar(MADRID, &WEEKDAYS, &[]);
    let friday = local(MADRID, (2026, 6, 12), 16, 0);
    assert_eq!(
        with.add_working_hours(friday, 24),
        without.add_working_hours(friday, 24)
    );
    assert_eq!(
        with.add_working_hours(friday, 24),
        Ok(local(MADRID, (2026, 6, 15), 16, 0))
    );
}

#[test]
fn a_holiday_is_a_local_date_not_a_utc_one() {
    // Santiago is at UTC-3 in late September: Thursday 21:00 to 24:00 local is already Friday
    // in UTC, and still counts; the holiday is Friday local time.
    let cal = calendar(SANTIAGO, &WEEKDAYS, &[date(2026, 9, 18)]);
    let thursday_evening = local(SANTIAGO, (2026, 9, 17), 21, 0);
    assert_eq!(
        cal.add_working_hours(thursday_evening, 2),
        Ok(local(SANTIAGO, (2026, 9, 17), 23, 0))
    );
}
