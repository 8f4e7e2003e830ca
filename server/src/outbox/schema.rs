//! The `outbox` table, in the documents database: an e-mail is queued in the transaction that
//! decides to send it (the contact report's number, say), so both commit or neither does. One
//! row per recipient; created at start, idempotently, like the other server tables
//! (`commands::schema`).

use rusqlite::Connection;

/// Creates the outbox table, its later columns and its indexes if they are missing.
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
    )?;
    // Added later: the contact report recipient a row is for, and whether its state changed
    // since it was last written into the document (`report`).
    let columns: Vec<String> = conn
        .prepare("SELECT name FROM pragma_table_info('outbox')")?
        .query_map([], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    if !columns.iter().any(|c| c == "report_recipient") {
        conn.execute_batch(
            "ALTER TABLE outbox ADD COLUMN report_recipient TEXT;
             ALTER TABLE outbox ADD COLUMN doc_dirty INTEGER NOT NULL DEFAULT 0;",
        )?;
    }
    conn.execute_batch(
        "CREATE INDEX IF NOT EXISTS outbox_doc_dirty ON outbox (id) WHERE doc_dirty = 1;",
    )
}
