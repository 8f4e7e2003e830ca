//! The `outbox` table, in the documents database: an e-mail is queued in the transaction that
//! decides to send it (the contact report's number, say), so both commit or neither does. One
//! row per recipient; created at start, idempotently, like the other server tables
//! (`commands::schema`).

use rusqlite::Connection;

/// Creates the outbox table and its indexes if they are missing.
pub(crate) fn ensure(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS outbox (
             id INTEGER PRIMARY KEY,
             message_id TEXT NOT NULL UNIQUE,
             doc_id BLOB,
             from_name TEXT NOT NULL,
             from_email TEXT NOT NULL,
             to_name TEXT NOT NULL,
             to_email TEXT NOT NULL,
             subject TEXT NOT NULL,
             text_body TEXT NOT NULL,
             html_body TEXT NOT NULL,
             created_ms INTEGER NOT NULL,
             attempts INTEGER NOT NULL DEFAULT 0,
             next_attempt_ms INTEGER NOT NULL,
             delivered_ms INTEGER,
             last_error TEXT
         );
         CREATE INDEX IF NOT EXISTS outbox_due ON outbox (next_attempt_ms, id)
             WHERE delivered_ms IS NULL;
         CREATE INDEX IF NOT EXISTS outbox_doc ON outbox (doc_id, id)
             WHERE doc_id IS NOT NULL;",
    )
}
