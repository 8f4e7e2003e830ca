//! The outbox's rows: queueing an e-mail inside the caller's transaction, what the worker reads
//! and records, and what a document's deliveries look like to the API.

use std::time::Duration;

use enlace_core::ids::DocumentId;
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};
use serde::Serialize;

use super::config::Mailbox;
use super::mail::{InvalidMail, OutgoingMail};
use crate::directory::now_ms;

/// Most deliveries listed for one document (a distribution list is far shorter).
const MAX_DELIVERIES_LISTED: i64 = 1000;
/// Longest error kept on a row.
const MAX_ERROR_CHARS: usize = 1000;

/// Why an e-mail was not queued.
#[derive(Debug, thiserror::Error)]
pub(crate) enum EnqueueError {
    /// The e-mail could not be sent as it is; nothing was written.
    #[error("the e-mail cannot be sent")]
    Invalid(#[from] InvalidMail),
    /// The database failed; the caller's transaction should roll back.
    #[error("queueing the e-mail")]
    Database(#[from] rusqlite::Error),
}

/// Queues `mail` in `tx`: it is sent once `tx` commits, and never if `tx` rolls back. Returns
/// `false`, writing nothing, if an e-mail with the same `message_id` is queued already (sent
/// or not): queueing is idempotent. Wake the worker (`Outbox::wake`) after the commit.
pub(crate) fn enqueue(tx: &Transaction<'_>, mail: &OutgoingMail) -> Result<bool, EnqueueError> {
    mail.check()?;
    let now = now_ms();
    let inserted = tx.execute(
        "INSERT INTO outbox (message_id, doc_id, from_name, from_email, to_name, to_email,
                             subject, text_body, html_body, created_ms, next_attempt_ms,
                             report_recipient)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?11)
         ON CONFLICT (message_id) DO NOTHING",
        params![
            mail.message_id,
            mail.doc.as_ref().map(DocumentId::as_bytes),
            mail.from.name,
            mail.from.email,
            mail.to.name,
            mail.to.email,
            mail.subject,
            mail.text,
            mail.html,
            now,
            mail.report_recipient,
        ],
    )?;
    Ok(inserted == 1)
}

/// Where one e-mail stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum DeliveryState {
    /// Not tried yet.
    Pending,
    /// Accepted by the relay.
    Delivered,
    /// Tried and failed; it is tried again at `next_attempt_ms`.
    Failing,
}

/// One e-mail of a document, as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Delivery {
    pub message_id: String,
    pub to: Mailbox,
    pub state: DeliveryState,
    /// Attempts made, the successful one included.
    pub attempts: u32,
    pub created_ms: i64,
    pub delivered_ms: Option<i64>,
    /// When it is tried next (`None` once delivered).
    pub next_attempt_ms: Option<i64>,
    /// Why the last failed attempt failed (kept after a later success).
    pub last_error: Option<String>,
}

/// The e-mails queued about `doc`, oldest first (at most [`MAX_DELIVERIES_LISTED`]).
pub(crate) fn deliveries_of(conn: &Connection, doc: DocumentId) -> rusqlite::Result<Vec<Delivery>> {
    let mut statement = conn.prepare_cached(
        "SELECT message_id, to_name, to_email, attempts, created_ms, next_attempt_ms,
                delivered_ms, last_error
         FROM outbox WHERE doc_id = ?1 ORDER BY id LIMIT ?2",
    )?;
    let rows = statement.query_map(params![doc.as_bytes(), MAX_DELIVERIES_LISTED], |row| {
        let attempts: u32 = row.get(3)?;
        let delivered_ms: Option<i64> = row.get(6)?;
        let state = match (delivered_ms, attempts) {
            (Some(_), _) => DeliveryState::Delivered,
            (None, 0) => DeliveryState::Pending,
            (None, _) => DeliveryState::Failing,
        };
        Ok(Delivery {
            message_id: row.get(0)?,
            to: Mailbox {
                name: row.get(1)?,
                email: row.get(2)?,
            },
            state,
            attempts,
            created_ms: row.get(4)?,
            delivered_ms,
            next_attempt_ms: if delivered_ms.is_some() {
                None
            } else {
                Some(row.get(5)?)
            },
            last_error: row.get(7)?,
        })
    })?;
    rows.collect()
}

/// An e-mail the worker is to send.
#[derive(Debug, Clone)]
pub(super) struct Queued {
    pub id: i64,
    pub message_id: String,
    pub from: Mailbox,
    pub to: Mailbox,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub created_ms: i64,
    /// Attempts made before this one.
    pub attempts: u32,
}

/// The undelivered e-mails due at `now`, longest due first, at most `limit`.
pub(super) fn due(conn: &Connection, now: i64, limit: usize) -> rusqlite::Result<Vec<Queued>> {
    let mut statement = conn.prepare_cached(
        "SELECT id, message_id, from_name, from_email, to_name, to_email, subject, text_body,
                html_body, created_ms, attempts
         FROM outbox WHERE delivered_ms IS NULL AND next_attempt_ms <= ?1
         ORDER BY next_attempt_ms, id LIMIT ?2",
    )?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = statement.query_map(params![now, limit], queued)?;
    rows.collect()
}

fn queued(row: &Row<'_>) -> rusqlite::Result<Queued> {
    Ok(Queued {
        id: row.get(0)?,
        message_id: row.get(1)?,
        from: Mailbox {
            name: row.get(2)?,
            email: row.get(3)?,
        },
        to: Mailbox {
            name: row.get(4)?,
            email: row.get(5)?,
        },
        subject: row.get(6)?,
        text: row.get(7)?,
        html: row.get(8)?,
        created_ms: row.get(9)?,
        attempts: row.get(10)?,
    })
}

/// Records that the relay accepted e-mail `id` at `at_ms` (its own transaction: the worker
/// calls this right after the relay's answer).
pub(super) fn mark_delivered(conn: &Connection, id: i64, at_ms: i64) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE outbox SET delivered_ms = ?2, attempts = attempts + 1,
             doc_dirty = (report_recipient IS NOT NULL)
         WHERE id = ?1 AND delivered_ms IS NULL",
        params![id, at_ms],
    )?;
    Ok(())
}

/// Records a failed attempt at e-mail `id` at `at_ms` and schedules the next one, the wait
/// doubling from `initial` with each failure up to `max`. Returns when it is due.
pub(super) fn mark_failed(
    conn: &Connection,
    id: i64,
    at_ms: i64,
    error: &str,
    initial: Duration,
    max: Duration,
) -> rusqlite::Result<Option<i64>> {
    let error: String = error.chars().take(MAX_ERROR_CHARS).collect();
    let attempts: Option<u32> = conn
        .query_row(
            "SELECT attempts FROM outbox WHERE id = ?1 AND delivered_ms IS NULL",
            [id],
            |row| row.get(0),
        )
        .optional()?;
    let Some(attempts) = attempts else {
        return Ok(None);
    };
    let failures = attempts.saturating_add(1);
    let wait = i64::try_from(retry_delay(failures, initial, max).as_millis()).unwrap_or(i64::MAX);
    let next = at_ms.saturating_add(wait);
    conn.execute(
        "UPDATE outbox SET attempts = ?2, next_attempt_ms = ?3, last_error = ?4,
             doc_dirty = (report_recipient IS NOT NULL)
         WHERE id = ?1 AND delivered_ms IS NULL",
        params![id, failures, next, error],
    )?;
    Ok(Some(next))
}

/// The wait after the `failures`-th failure in a row: `initial`, doubled for each failure
/// before it, at most `max`.
pub(super) fn retry_delay(failures: u32, initial: Duration, max: Duration) -> Duration {
    let doublings = failures.saturating_sub(1).min(31);
    initial.saturating_mul(1 << doublings).min(max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_retry_delay_doubles_up_to_its_cap() {
        let (initial, max) = (Duration::from_secs(30), Duration::from_secs(900));
        let delays: Vec<u64> = (1..=7)
            .map(|n| retry_delay(n, initial, max).as_secs())
            .collect();
        assert_eq!(delays, [30, 60, 120, 240, 480, 900, 900]);
        assert_eq!(retry_delay(u32::MAX, initial, max), max);
        assert_eq!(retry_delay(0, initial, max), initial);
    }
}
