//! The stored JSON form: zone name, lowercase weekday names, `YYYY-MM-DD` holidays.

use jiff::ToSpan;
use jiff::civil::{Weekday, date};

use super::{calendar, local};
use crate::calendar::{Calendar, MAX_HOLIDAYS};

const STORED: &str = r#"{"zone":"America/Santiago","working_days":["monday","tuesday","wednesday","thursday","friday","saturday"],"holidays":["2026-09-18","2026-12-25"]}"#;

#[test]
fn a_calendar_reads_and_writes_its_json_form() {
    let cal: Calendar = serde_json::from_str(STORED).expect("valid");
    assert_eq!(cal.zone.name(), "America/Santiago");
    assert!(cal.working_days.contains(Weekday::Saturday));
    assert!(!cal.working_days.contains(Weekday::Sunday));
    assert_eq!(
        cal.holidays.iter().collect::<Vec<_>>(),
        [date(2026, 9, 18), date(2026, 12, 25)]
    );
    assert_eq!(serde_json::to_string(&cal).expect("serialise"), STORED);
    // And it computes like the calendar built in code.
    let friday = local("America/Santiago", (2026, 9, 17), 16, 0);
    assert_eq!(
        cal.add_working_hours(friday, 24),
        Ok(local("America/Santiago", (2026, 9, 19), 16, 0))
    );
}

#[test]
fn written_json_reads_back_equal() {
    let cal = calendar(
        "Europe/Madrid",
        &[Weekday::Sunday, Weekday::Wednesday],
        &[date(2026, 12, 8), date(2026, 1, 6)],
    );
    let json = serde_json::to_string(&cal).expect("serialise");
    // Days Monday first and holidays earliest first, whatever the order given.
    assert_eq!(
        json,
        r#"{"zone":"Europe/Madrid","working_days":["wednesday","sunday"],"holidays":["2026-01-06","2026-12-08"]}"#
    );
    let back: Calendar = serde_json::from_str(&json).expect("read back");
    assert_eq!(back, cal);
}

#[test]
fn the_default_is_utc_monday_to_friday_without_holidays() {
    assert_eq!(
        serde_json::to_string(&Calendar::default()).expect("serialise"),
        r#"{"zone":"UTC","working_days":["monday","tuesday","wednesday","thursday","friday"],"holidays":[]}"#
    );
}

#[test]
fn a_zone_in_another_case_is_stored_canonical() {
    let cal: Calendar =
        serde_json::from_str(r#"{"zone":"europe/madrid","working_days":["monday"],"holidays":[]}"#)
            .expect("valid");
    assert!(
        serde_json::to_string(&cal)
            .expect("serialise")
            .contains(r#""zone":"Europe/Madrid""#)
    );
}

fn refusal(json: &str) -> String {
    match serde_json::from_str::<Calendar>(json) {
        Ok(cal) => panic!("accepted {json}: {cal:?}"),
        Err(error) => error.to_string(),
    }
}

fn with(zone: &str, days: &str, holidays: &str) -> String {
    format!(r#"{{"zone":{zone},"working_days":{days},"holidays":{holidays}}}"#)
}

#[test]
fn invalid_json_calendars_are_refused_with_the_reason() {
    let days = r#"["monday"]"#;
    let cases = [
        (with(r#""Mars/Base""#, days, "[]"), "unknown time zone"),
        (with(r#""Etc/Unknown""#, days, "[]"), "unknown time zone"),
        (with(r#""UTC""#, "[]", "[]"), "at least one working day"),
        (with(r#""UTC""#, r#"["Monday"]"#, "[]"), "unknown weekday"),
        (with(r#""UTC""#, r#"["mon"]"#, "[]"), "unknown weekday"),
        (
            with(r#""UTC""#, r#"["monday","monday"]"#, "[]"),
            "listed twice",
        ),
        (
            with(r#""UTC""#, days, r#"["2026-02-30"]"#),
            "invalid holiday",
        ),
        (with(r#""UTC""#, days, r#"["2026-2-3"]"#), "invalid holiday"),
        (
            with(r#""UTC""#, days, r#"["2026-02-03T00:00"]"#),
            "invalid holiday",
        ),
        (
            with(r#""UTC""#, days, r#"["+2026-02-03"]"#),
            "invalid holiday",
        ),
        (
            with(r#""UTC""#, days, r#"["2026-13-01"]"#),
            "invalid holiday",
        ),
        (
            with(r#""UTC""#, days, r#"["2026-01-01","2026-01-01"]"#),
            "listed twice",
        ),
        (
            r#"{"zone":"UTC","working_days":["monday"],"holidays":[],"hours":"9-18"}"#.into(),
            "unknown field",
        ),
        (
            r#"{"zone":"UTC","working_days":["monday"]}"#.into(),
            "missing field",
        ),
    ];
    for (json, reason) in cases {
        let error = refusal(&json);
        assert!(error.contains(reason), "{json}: {error}");
    }
}

#[test]
fn too_many_holidays_in_json_are_refused() {
    let first = date(2000, 1, 1);
    let list: Vec<String> = (0..=MAX_HOLIDAYS)
        .map(|i| {
            let i = i64::try_from(i).expect("small");
            format!(r#""{}""#, first.checked_add(i.days()).expect("in range"))
        })
        .collect();
    let json = with(
        r#""UTC""#,
        r#"["monday"]"#,
        &format!("[{}]", list.join(",")),
    );
    let error = refusal(&json);
    assert!(error.contains("too many holidays"), "{error}");
    // One fewer is accepted.
    let json = with(
        r#""UTC""#,
        r#"["monday"]"#,
        &format!("[{}]", list[..MAX_HOLIDAYS].join(",")),
    );
    let cal: Calendar = serde_json::from_str(&json).expect("at the limit");
    assert_eq!(cal.holidays.len(), MAX_HOLIDAYS);
}
