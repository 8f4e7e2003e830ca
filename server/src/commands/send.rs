//! `send-contact-report`: the server numbers the meeting note's contact report and moves it to
//! `sent` with `sent_at`, in one transaction with the number's counter. (Rendering and the
//! e-mail outbox hang off this same transaction.)

use enlace_core::model::meeting_note::ContactReportStatus;
use enlace_core::model::{Instant, MeetingNote};
use rusqlite::{Transaction, params};

use super::{CommandError, numbering, overdue};
use crate::calendar::Calendar;

/// By when a report must be sent: `hours` working hours after the meeting on `calendar`.
pub(super) struct Deadline {
    pub calendar: Calendar,
    pub hours: u32,
}

/// Numbers and marks sent the contact report of `note`, at `now_ms`; returns its number. A
/// report sent after its deadline is flagged overdue in the same change.
pub(super) fn send(
    note: &mut MeetingNote,
    tx: &Transaction<'_>,
    now_ms: i64,
    org: &str,
    deadline: &Deadline,
) -> Result<String, CommandError> {
    let report = &mut note.contact_report;
    match report.status() {
        // The executive pressed send on a draft: it goes through review implicitly.
        ContactReportStatus::Draft => report.submit_for_review()?,
        ContactReportStatus::InReview => {}
        other => {
            return Err(CommandError::State(format!(
                "the contact report is {} already",
                other.as_str()
            )));
        }
    }
    if report.distribution.is_empty() {
        return Err(CommandError::State(
            "the contact report has no distribution list".into(),
        ));
    }
    let account = note
        .account_id
        .as_ref()
        .ok_or_else(|| CommandError::State("the meeting note names no account".into()))?;
    // The meeting's own zone when it has one: the report is dated where it happened.
    let zone = note
        .started_at
        .as_ref()
        .map_or("UTC", |at| at.zone.as_str())
        .to_owned();
    let number = numbering::next(tx, account.as_str(), numbering::utc_year(now_ms))
        .map_err(CommandError::Database)?;
    note.contact_report
        .mark_sent(number.clone(), Instant::new(now_ms, &zone)?)?;
    if let Some(due) = overdue::deadline(note, &deadline.calendar, deadline.hours) {
        overdue::flag_if_late(note, due, now_ms)?;
    }
    overdue::settle(tx, note.id, now_ms)?;
    // Watched for the client's silence (`silence`).
    tx.execute(
        "INSERT OR REPLACE INTO sent_reports (doc_id, org, sent_ms, state) VALUES (?1, ?2, ?3, 'sent')",
        params![note.id.as_bytes(), org, now_ms],
    )
    .map_err(CommandError::Database)?;
    Ok(number)
}
