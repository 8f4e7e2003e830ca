//! Contact report e-mail whose delivery changed since it was last written into the report's
//! document: what `commands::delivery` copies into `contact_report.deliveries`, so the phone
//! shows it. The worker marks a row changed in the statement that records the relay's answer;
//! the row is marked written only in the transaction that writes the document, so a crash in
//! between leaves it changed and it is written at the next pass. Nothing is ever lost: the
//! outbox row stays the truth, the document its copy.

use enlace_core::ids::DocumentId;
use rusqlite::{Connection, params};

/// One report e-mail whose state the document does not show yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ChangedDelivery {
    pub id: i64,
    pub doc: DocumentId,
    /// Its key in the report's `distribution`.
    pub recipient: String,
    pub email: String,
    pub attempts: u32,
    pub delivered_ms: Option<i64>,
    pub last_error: Option<String>,
}

/// Up to `limit` report e-mails whose state changed, oldest first.
pub(crate) fn changed(conn: &Connection, limit: usize) -> rusqlite::Result<Vec<ChangedDelivery>> {
    let mut statement = conn.prepare_cached(
        "SELECT id, doc_id, report_recipient, to_email, attempts, delivered_ms, last_error
         FROM outbox WHERE doc_dirty = 1 ORDER BY id LIMIT ?1",
    )?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = statement.query_map([limit], |row| {
        let doc: Option<Vec<u8>> = row.get(1)?;
        let recipient: Option<String> = row.get(2)?;
        Ok((
            doc.and_then(|d| <[u8; 16]>::try_from(d.as_slice()).ok()),
            recipient,
            ChangedDelivery {
                id: row.get(0)?,
                doc: DocumentId::from_bytes([0; 16]),
                recipient: String::new(),
                email: row.get(3)?,
                attempts: row.get(4)?,
                delivered_ms: row.get(5)?,
                last_error: row.get(6)?,
            },
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (doc, recipient, mut delivery) = row?;
        match (doc, recipient) {
            (Some(doc), Some(recipient)) => {
                delivery.doc = DocumentId::from_bytes(doc);
                delivery.recipient = recipient;
                out.push(delivery);
            }
            // Not a report's e-mail after all: nothing to show anywhere.
            _ => written(conn, &delivery)?,
        }
    }
    Ok(out)
}

/// Records that the document shows `delivery` as it is: unless the worker recorded another
/// answer meanwhile (then the row stays changed and is written again).
pub(crate) fn written(conn: &Connection, delivery: &ChangedDelivery) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE outbox SET doc_dirty = 0
         WHERE id = ?1 AND attempts = ?2 AND delivered_ms IS ?3",
        params![delivery.id, delivery.attempts, delivery.delivered_ms],
    )?;
    Ok(())
}
