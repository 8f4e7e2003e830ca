//! Daylight saving: a working day counts the hours it really has, 23 or 25 on a change.
//!
//! America/Santiago changes at local midnight: on the Sunday after the first Saturday of April
//! 00:00 -03 becomes Saturday 23:00 -04 (Saturday lasts 25 hours), and on the Sunday after the
//! first Saturday of September 00:00 -04 becomes 01:00 -03 (Sunday lasts 23 hours, from 01:00).
//! Europe/Madrid changes at 01:00 UTC on the last Sunday of March (23 hours) and October (25).
//! Both fall on weekends, so most tests here use calendars that work those days.

use jiff::Timestamp;
use jiff::civil::{Weekday, date};

use super::{EVERY_DAY, WEEKDAYS, calendar, hours, local, local_second_time, zone};
use crate::calendar::day::Day;

const SANTIAGO: &str = "America/Santiago";
const MADRID: &str = "Europe/Madrid";

/// The UTC instants of `zone_name`'s transitions during 2026.
fn transitions_2026(zone_name: &str) -> Vec<Timestamp> {
    let tz = zone(zone_name);
    let start: Timestamp = "2026-01-01T00:00:00Z".parse().expect("instant");
    let end: Timestamp = "2027-01-01T00:00:00Z".parse().expect("instant");
    tz.following(start)
        .map(|t| t.timestamp())
        .take_while(|t| *t < end)
        .collect()
}

fn instant(text: &str) -> Timestamp {
    text.parse().expect("instant")
}

#[test]
fn the_bundled_tz_database_has_the_2026_changes_the_tests_rely_on() {
    // Santiago: Sunday 5 April 00:00 -03 and Sunday 6 September 00:00 -04.
    assert_eq!(
        transitions_2026(SANTIAGO),
        [
            instant("2026-04-05T03:00:00Z"),
            instant("2026-09-06T04:00:00Z")
        ]
    );
    // Madrid: 01:00 UTC on Sunday 29 March and Sunday 25 October.
    assert_eq!(
        transitions_2026(MADRID),
        [
            instant("2026-03-29T01:00:00Z"),
            instant("2026-10-25T01:00:00Z")
        ]
    );
    assert_eq!(date(2026, 4, 4).weekday(), Weekday::Saturday);
    assert_eq!(date(2026, 9, 6).weekday(), Weekday::Sunday);
    assert_eq!(date(2026, 3, 29).weekday(), Weekday::Sunday);
    assert_eq!(date(2026, 10, 25).weekday(), Weekday::Sunday);
}

#[test]
fn change_days_are_23_or_25_hours_long() {
    let length = |zone_name: &str, (y, m, d): (i16, i8, i8)| {
        let noon = local(zone_name, (y, m, d), 12, 0);
        let day = Day::containing(&zone(zone_name), instant_ms(noon)).expect("in range");
        assert_eq!(day.date, date(y, m, d));
        day.end.duration_since(day.start).as_secs() / 3600
    };
    assert_eq!(length(SANTIAGO, (2026, 4, 4)), 25);
    assert_eq!(length(SANTIAGO, (2026, 4, 5)), 24);
    assert_eq!(length(SANTIAGO, (2026, 9, 5)), 24);
    assert_eq!(length(SANTIAGO, (2026, 9, 6)), 23);
    assert_eq!(length(MADRID, (2026, 3, 29)), 23);
    assert_eq!(length(MADRID, (2026, 10, 25)), 25);
    assert_eq!(length(MADRID, (2026, 6, 14)), 24);
}

#[test]
fn santiago_sunday_in_september_starts_when_the_clocks_jump() {
    let tz = zone(SANTIAGO);
    let saturday_noon = instant_ms(local(SANTIAGO, (2026, 9, 5), 12, 0));
    let saturday = Day::containing(&tz, saturday_noon).expect("in range");
    let sunday = saturday.next(&tz).expect("in range");
    assert_eq!(sunday.date, date(2026, 9, 6));
    assert_eq!(sunday.start, instant("2026-09-06T04:00:00Z"));
    assert_eq!(
        sunday.start.as_millisecond(),
        local(SANTIAGO, (2026, 9, 6), 1, 0)
    );
    // Just before the jump it is still Saturday.
    let last_saturday_second = instant("2026-09-06T03:59:59Z");
    assert_eq!(
        Day::containing(&tz, last_saturday_second).map(|d| d.date),
        Some(date(2026, 9, 5))
    );
}

fn instant_ms(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).expect("instant")
}

#[test]
fn madrid_24_hours_across_the_23_hour_sunday() {
    let cal = calendar(MADRID, &EVERY_DAY, &[]);
    let saturday = local(MADRID, (2026, 3, 28), 12, 0);
    assert_eq!(
        cal.add_working_hours(saturday, 24),
        Ok(local(MADRID, (2026, 3, 29), 13, 0))
    );
    let sunday_midnight = local(MADRID, (2026, 3, 29), 0, 0);
    assert_eq!(
        cal.add_working_hours(sunday_midnight, 24),
        Ok(local(MADRID, (2026, 3, 30), 1, 0))
    );
    assert_eq!(
        cal.working_ms_between(sunday_midnight, local(MADRID, (2026, 3, 30), 0, 0)),
        Ok(hours(23))
    );
}

#[test]
fn madrid_24_hours_across_the_25_hour_sunday() {
    let cal = calendar(MADRID, &EVERY_DAY, &[]);
    let saturday = local(MADRID, (2026, 10, 24), 12, 0);
    assert_eq!(
        cal.add_working_hours(saturday, 24),
        Ok(local(MADRID, (2026, 10, 25), 11, 0))
    );
    let sunday_midnight = local(MADRID, (2026, 10, 25), 0, 0);
    assert_eq!(
        cal.add_working_hours(sunday_midnight, 24),
        Ok(local(MADRID, (2026, 10, 25), 23, 0))
    );
    assert_eq!(
        cal.working_ms_between(sunday_midnight, local(MADRID, (2026, 10, 26), 0, 0)),
        Ok(hours(25))
    );
}

#[test]
fn santiago_24_hours_within_the_25_hour_saturday() {
    let mut days = WEEKDAYS.to_vec();
    days.push(Weekday::Saturday);
    let cal = calendar(SANTIAGO, &days, &[]);
    let saturday_midnight = local(SANTIAGO, (2026, 4, 4), 0, 0);
    // 24 hours in, the clock reads 23:00 for the second time that evening.
    assert_eq!(
        cal.add_working_hours(saturday_midnight, 24),
        Ok(local_second_time(SANTIAGO, (2026, 4, 4), 23, 0))
    );
    assert_eq!(
        cal.working_ms_between(saturday_midnight, local(SANTIAGO, (2026, 4, 5), 0, 0)),
        Ok(hours(25))
    );
    // Friday noon + 48: 12 hours on Friday, 25 on Saturday, Sunday off, 11 on Monday.
    let friday = local(SANTIAGO, (2026, 4, 3), 12, 0);
    assert_eq!(
        cal.add_working_hours(friday, 48),
        Ok(local(SANTIAGO, (2026, 4, 6), 11, 0))
    );
}

#[test]
fn santiago_24_hours_across_the_23_hour_sunday() {
    let cal = calendar(SANTIAGO, &EVERY_DAY, &[]);
    let saturday = local(SANTIAGO, (2026, 9, 5), 12, 0);
    assert_eq!(
        cal.add_working_hours(saturday, 24),
        Ok(local(SANTIAGO, (2026, 9, 6), 13, 0))
    );
    // A calendar working only Sundays starts that Sunday at 01:00 and gives it 23 hours.
    let sundays = calendar(SANTIAGO, &[Weekday::Sunday], &[]);
    assert_eq!(
        sundays.add_working_hours(saturday, 1),
        Ok(local(SANTIAGO, (2026, 9, 6), 2, 0))
    );
    assert_eq!(
        sundays.working_ms_between(saturday, local(SANTIAGO, (2026, 9, 7), 12, 0)),
        Ok(hours(23))
    );
    assert_eq!(
        sundays.add_working_hours(saturday, 24),
        Ok(local(SANTIAGO, (2026, 9, 13), 1, 0))
    );
}

#[test]
fn a_change_on_a_weekend_does_not_touch_weekday_deadlines() {
    let cal = calendar(MADRID, &WEEKDAYS, &[]);
    for (friday, monday) in [
        ((2026, 3, 27), (2026, 3, 30)),
        ((2026, 10, 23), (2026, 10, 26)),
    ] {
        let start = local(MADRID, friday, 16, 0);
        assert_eq!(
            cal.add_working_hours(start, 24),
            Ok(local(MADRID, monday, 16, 0))
        );
        assert_eq!(
            cal.working_ms_between(start, local(MADRID, monday, 16, 0)),
            Ok(hours(24))
        );
    }
    let santiago = calendar(SANTIAGO, &WEEKDAYS, &[]);
    let friday = local(SANTIAGO, (2026, 9, 4), 16, 0);
    assert_eq!(
        santiago.add_working_hours(friday, 48),
        Ok(local(SANTIAGO, (2026, 9, 8), 16, 0))
    );
}

#[test]
fn working_every_day_working_time_is_elapsed_time() {
    // Real elapsed time is the oracle: with no day off, every instant is working time, so a
    // deadline is the start plus the hours whatever the clocks do. Starts every 7 hours through
    // 2026, so each change is crossed from many offsets.
    for zone_name in [SANTIAGO, MADRID, "UTC"] {
        let cal = calendar(zone_name, &EVERY_DAY, &[]);
        let mut start = local(zone_name, (2026, 1, 1), 0, 0);
        let end = local(zone_name, (2027, 1, 1), 0, 0);
        while start < end {
            for h in [1, 23, 24, 25, 48, 100] {
                assert_eq!(
                    cal.add_working_hours(start, h),
                    Ok(start + hours(h.into())),
                    "{zone_name} {start} + {h}"
                );
            }
            assert_eq!(
                cal.working_ms_between(start, start + hours(30)),
                Ok(hours(30))
            );
            start += hours(7);
        }
    }
}

#[test]
fn a_midnight_repeated_by_a_fold_starts_the_day_at_its_first_occurrence() {
    // America/Havana went back from 01:00 -04 to 00:00 -05 on Sunday 2 November 2025, so that
    // Sunday began at 00:00 -04 and lasted 25 hours.
    const HAVANA: &str = "America/Havana";
    let tz = zone(HAVANA);
    let transition = tz
        .following(instant("2025-10-01T00:00:00Z"))
        .next()
        .map(|t| t.timestamp());
    assert_eq!(transition, Some(instant("2025-11-02T05:00:00Z")));
    let saturday = Day::containing(&tz, instant("2025-11-01T16:00:00Z")).expect("in range");
    assert_eq!(saturday.date, date(2025, 11, 1));
    let sunday = saturday.next(&tz).expect("in range");
    assert_eq!(sunday.date, date(2025, 11, 2));
    assert_eq!(sunday.start, instant("2025-11-02T04:00:00Z"));
    assert_eq!(sunday.end, instant("2025-11-03T05:00:00Z"));
    // The second 00:30 belongs to Sunday too.
    assert_eq!(
        Day::containing(&tz, instant("2025-11-02T05:30:00Z")).map(|d| d.date),
        Some(date(2025, 11, 2))
    );
    let cal = calendar(HAVANA, &[Weekday::Sunday], &[]);
    assert_eq!(
        cal.working_ms_between(
            instant("2025-11-01T12:00:00Z").as_millisecond(),
            instant("2025-11-04T12:00:00Z").as_millisecond()
        ),
        Ok(hours(25))
    );
}

#[test]
fn a_midnight_inside_a_gap_starts_the_day_when_the_clocks_jump() {
    // No IANA zone does this today, so a POSIX rule: at 23:00 on the last Sunday of March the
    // clocks jump two hours, from 23:00 -03 to 01:00 -01. Monday begins at the jump, 02:00 UTC,
    // when the clocks read 01:00; Sunday lasts 23 hours and Monday 23.
    let tz = jiff::tz::TimeZone::posix("XST3XDT1,M3.5.0/23,M10.5.0/1").expect("rule");
    let sunday = Day::containing(&tz, instant("2026-03-29T12:00:00Z")).expect("in range");
    assert_eq!(sunday.date, date(2026, 3, 29));
    assert_eq!(sunday.start, instant("2026-03-29T03:00:00Z"));
    assert_eq!(sunday.end, instant("2026-03-30T02:00:00Z"));
    let monday = sunday.next(&tz).expect("in range");
    assert_eq!(monday.date, date(2026, 3, 30));
    assert_eq!(monday.end, instant("2026-03-31T01:00:00Z"));
    // The first instant after the jump is Monday; the last before it is Sunday.
    assert_eq!(
        Day::containing(&tz, instant("2026-03-30T02:00:00Z")).map(|d| d.date),
        Some(date(2026, 3, 30))
    );
    assert_eq!(
        Day::containing(&tz, instant("2026-03-30T01:59:59Z")).map(|d| d.date),
        Some(date(2026, 3, 29))
    );
}

#[test]
fn an_hour_repeated_across_midnight_belongs_to_the_later_day() {
    // A POSIX rule: at 00:30 -02 on the last Sunday of October the clocks go back to 23:30 -03
    // on Saturday. Sunday has begun (00:00 -02, 02:00 UTC), so the half hour read again as
    // Saturday is Sunday's, and Sunday lasts 25 hours.
    let rule = "XST3XDT2,M3.5.0/0,M10.5.0/0:30";
    let tz = jiff::tz::TimeZone::posix(rule).expect("rule");
    let repeated = instant("2026-10-25T02:45:00Z");
    assert_eq!(
        tz.to_datetime(repeated),
        date(2026, 10, 24).at(23, 45, 0, 0)
    );
    let sunday = Day::containing(&tz, repeated).expect("in range");
    assert_eq!(sunday.date, date(2026, 10, 25));
    assert_eq!(sunday.start, instant("2026-10-25T02:00:00Z"));
    assert_eq!(sunday.end, instant("2026-10-26T03:00:00Z"));
    // Sunday from its first midnight on, through the jump back; the second before is Saturday.
    assert_eq!(
        Day::containing(&tz, instant("2026-10-25T02:29:59Z")).map(|d| d.date),
        Some(date(2026, 10, 25))
    );
    assert_eq!(
        Day::containing(&tz, instant("2026-10-25T01:59:59Z")).map(|d| d.date),
        Some(date(2026, 10, 24))
    );
}
