//! The server's own tables in the documents database, beside the store's: they are written in
//! the same transactions as the documents they speak of (a report number is taken in the
//! transaction that writes it into the contact report), so they must live in the same file.
//! Created at start, idempotently; new tables are added the same way.

use std::path::Path;

use rusqlite::Connection;

/// Creates the command tables if they are missing.
pub(crate) fn ensure(path: &Path) -> rusqlite::Result<()> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(enlace_core::store::BUSY_TIMEOUT)?;
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS report_numbers (
             account TEXT NOT NULL,
             year INTEGER NOT NULL,
             last INTEGER NOT NULL,
             PRIMARY KEY (account, year)
         );
         CREATE TABLE IF NOT EXISTS command_log (
             id INTEGER PRIMARY KEY,
             doc_id BLOB NOT NULL,
             command TEXT NOT NULL,
             user_key TEXT NOT NULL,
             at_ms INTEGER NOT NULL,
             detail TEXT NOT NULL
         );
         CREATE INDEX IF NOT EXISTS command_log_doc ON command_log (doc_id, id);
         CREATE TABLE IF NOT EXISTS org_calendars (
             org TEXT PRIMARY KEY,
             calendar TEXT NOT NULL
         );
         CREATE TABLE IF NOT EXISTS sent_reports (
             doc_id BLOB PRIMARY KEY,
             org TEXT NOT NULL,
             sent_ms INTEGER NOT NULL,
             state TEXT NOT NULL
         );
         CREATE INDEX IF NOT EXISTS sent_reports_open ON sent_reports (state, sent_ms);
         CREATE TABLE IF NOT EXISTS report_deadlines (
             doc_id BLOB PRIMARY KEY,
             due_ms INTEGER,
             checked_ms INTEGER NOT NULL,
             state TEXT NOT NULL
         );",
    )?;
    crate::outbox::schema::ensure(&conn)
}
