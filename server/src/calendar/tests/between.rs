//! `working_ms_between`: the working part of a span, signed by its direction.

use jiff::civil::date;

use super::{WEEKDAYS, calendar, hours, local};

const MADRID: &str = "Europe/Madrid";

#[test]
fn friday_afternoon_to_monday_afternoon_is_one_working_day() {
    let cal = calendar(MADRID, &WEEKDAYS, &[]);
    let friday = local(MADRID, (2026, 6, 12), 16, 0);
    let monday = local(MADRID, (2026, 6, 15), 16, 0);
    assert_eq!(cal.working_ms_between(friday, monday), Ok(hours(24)));
    assert_eq!(cal.working_ms_between(monday, friday), Ok(-hours(24)));
}

#[test]
fn a_weekend_alone_is_no_working_time() {
    let cal = calendar(MADRID, &WEEKDAYS, &[]);
    let saturday = local(MADRID, (2026, 6, 13), 0, 0);
    let monday = local(MADRID, (2026, 6, 15), 0, 0);
    assert_eq!(cal.working_ms_between(saturday, monday), Ok(0));
    assert_eq!(cal.working_ms_between(monday, saturday), Ok(0));
    // One minute more on either side is one minute of working time.
    assert_eq!(
        cal.working_ms_between(saturday - 60_000, monday + 60_000),
        Ok(120_000)
    );
}

#[test]
fn a_holiday_in_the_span_is_left_out() {
    let cal = calendar(MADRID, &WEEKDAYS, &[date(2026, 6, 12)]);
    let thursday = local(MADRID, (2026, 6, 11), 16, 0);
    let monday = local(MADRID, (2026, 6, 15), 16, 0);
    assert_eq!(cal.working_ms_between(thursday, monday), Ok(hours(24)));
}

#[test]
fn an_empty_span_is_zero() {
    let cal = calendar(MADRID, &WEEKDAYS, &[]);
    for at in [
        local(MADRID, (2026, 6, 12), 16, 0),
        local(MADRID, (2026, 6, 13), 0, 0),
        local(MADRID, (2026, 6, 15), 0, 0),
    ] {
        assert_eq!(cal.working_ms_between(at, at), Ok(0));
    }
}

#[test]
fn swapping_the_ends_negates_the_answer() {
    let cal = calendar(MADRID, &WEEKDAYS, &[date(2026, 10, 12)]);
    let instants = [
        local(MADRID, (2026, 10, 9), 8, 15),
        local(MADRID, (2026, 10, 10), 13, 0),
        local(MADRID, (2026, 10, 12), 9, 0),
        local(MADRID, (2026, 10, 25), 12, 0),
        local(MADRID, (2026, 10, 27), 17, 45),
    ];
    for a in instants {
        for b in instants {
            let forward = cal.working_ms_between(a, b).expect("in range");
            assert_eq!(cal.working_ms_between(b, a), Ok(-forward), "{a} {b}");
        }
    }
    // Worked out by hand: Friday 8:15 to Tuesday 17:45 across a Monday holiday is 15h45 on
    // Friday and 17h45 on Tuesday; on to Tuesday 27 adds ten whole weekdays (13 to 16, 19 to 23
    // and 26 October).
    let tuesday = local(MADRID, (2026, 10, 13), 17, 45);
    let friday_and_tuesday = hours(15) + hours(17) + 90 * 60_000;
    assert_eq!(
        cal.working_ms_between(tuesday, instants[0]),
        Ok(-friday_and_tuesday)
    );
    assert_eq!(
        cal.working_ms_between(instants[4], instants[0]),
        Ok(-(friday_and_tuesday + hours(24 * 10)))
    );
}

#[test]
fn a_deadline_is_the_first_instant_with_that_much_working_time() {
    let cal = calendar("America/Santiago", &WEEKDAYS, &[date(2026, 9, 18)]);
    let mut start = local("America/Santiago", (2026, 9, 1), 0, 0);
    let end = local("America/Santiago", (2026, 10, 1), 0, 0);
    while start < end {
        for h in [1, 24, 48] {
            let deadline = cal.add_working_hours(start, h).expect("in range");
            assert_eq!(cal.working_ms_between(start, deadline), Ok(hours(h.into())));
            assert_eq!(
                cal.working_ms_between(start, deadline - 1),
                Ok(hours(h.into()) - 1)
            );
        }
        start += hours(5) + 60_000;
    }
}
