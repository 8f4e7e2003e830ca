//! The schema and its one migration path.
//!
//! The schema version lives in SQLite's `PRAGMA user_version` (0 for a new, empty file). Each
//! upgrade is one function in [`MIGRATIONS`], applied in its own `IMMEDIATE` transaction together
//! with the bump of `user_version`, so a crash mid-upgrade leaves the previous version intact and
//! the next open resumes from there. A file from a newer version of this code is refused rather
//! than guessed at.

use rusqlite::{Connection, Transaction};

use super::migrations::{Refusal, Step};

use super::error::StoreError;

/// One upgrade step: from version `i` to `i + 1` for the step at index `i`.
type Migration = Step<StoreError>;

/// Every upgrade, in order. Append only: a released step is never edited.
const MIGRATIONS: &[Migration] = &[to_v1, to_v2, to_v3, to_v4, to_v5];

/// The schema version this code writes.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// v1: documents (snapshot + chunks), the listing index, sync states, meta.
fn to_v1(tx: &Transaction<'_>) -> Result<(), StoreError> {
    tx.execute_batch(
        "
        -- Small per-store facts: the storage id, the actor id.
        CREATE TABLE meta (
            key   TEXT PRIMARY KEY NOT NULL,
            value TEXT NOT NULL
        ) WITHOUT ROWID;

        -- One row per document: its compacted snapshot (an automerge `save()`) and its current
        -- heads (concatenated 32-byte change hashes), so asking for heads loads no CRDT.
        -- `generation` counts compactions, so a compaction computed from a stale read is refused.
        -- `seq` is the catch-up sequence: a store-wide counter bumped on every write, so a
        -- caller can ask which documents changed since a point.
        CREATE TABLE documents (
            id         BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 16),
            snapshot   BLOB NOT NULL,
            heads      BLOB NOT NULL,
            generation INTEGER NOT NULL DEFAULT 0,
            seq        INTEGER NOT NULL
        );
        CREATE INDEX documents_seq ON documents (seq);

        -- Incremental chunks (automerge `save_after`) written since the snapshot, in order.
        CREATE TABLE chunks (
            seq    INTEGER PRIMARY KEY AUTOINCREMENT,
            doc_id BLOB NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
            bytes  BLOB NOT NULL
        );
        CREATE INDEX chunks_doc ON chunks (doc_id, seq);

        -- What lists and queries read, derived from the document in the same transaction as
        -- every chunk, so it never disagrees with the content.
        CREATE TABLE listings (
            doc_id     BLOB PRIMARY KEY NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
            kind       TEXT NOT NULL,
            account_id TEXT,
            status     TEXT NOT NULL,
            date_ms    INTEGER NOT NULL,
            title      TEXT NOT NULL,
            deleted    INTEGER NOT NULL CHECK (deleted IN (0, 1))
        );
        CREATE INDEX listings_kind_date ON listings (kind, date_ms DESC);
        CREATE INDEX listings_account_date ON listings (account_id, date_ms DESC);
        CREATE INDEX listings_date ON listings (date_ms DESC);

        -- automerge sync states per (document, peer storage id). Not tied to `documents` by a
        -- foreign key: a peer may tell us about a document before we hold any of it.
        CREATE TABLE sync_states (
            doc_id     BLOB NOT NULL CHECK (length(doc_id) = 16),
            storage_id TEXT NOT NULL,
            state      BLOB NOT NULL,
            PRIMARY KEY (doc_id, storage_id)
        ) WITHOUT ROWID;
        ",
    )
    .map_err(StoreError::from)
}

/// v2: the document registry a server keeps (kind, account, creator per document), written once
/// in the transaction of the document's first change.
fn to_v2(tx: &Transaction<'_>) -> Result<(), StoreError> {
    tx.execute_batch(
        "
        CREATE TABLE registry (
            doc_id        BLOB PRIMARY KEY NOT NULL CHECK (length(doc_id) = 16),
            kind          TEXT,
            account_id    TEXT,
            creator       TEXT,
            registered_ms INTEGER NOT NULL,
            CHECK ((kind IS NULL) = (account_id IS NULL))
        ) WITHOUT ROWID;
        CREATE INDEX registry_account ON registry (account_id);
        ",
    )
    .map_err(StoreError::from)
}

/// v3: each document row counts its chunks and their bytes, so that deciding whether a write
/// is due for compaction reads one row instead of every chunk of the document; and a device
/// records the documents a catch-up page said differ until it holds their changes.
fn to_v3(tx: &Transaction<'_>) -> Result<(), StoreError> {
    tx.execute_batch(
        "
        ALTER TABLE documents ADD COLUMN chunk_count INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE documents ADD COLUMN chunk_bytes INTEGER NOT NULL DEFAULT 0;
        UPDATE documents SET
            chunk_count = (SELECT count(*) FROM chunks c WHERE c.doc_id = documents.id),
            chunk_bytes = (SELECT COALESCE(sum(length(c.bytes)), 0) FROM chunks c
                           WHERE c.doc_id = documents.id);
        CREATE TABLE catch_up_pending (
            doc_id BLOB PRIMARY KEY NOT NULL CHECK (length(doc_id) = 16),
            heads  BLOB NOT NULL
        );
        ",
    )
    .map_err(StoreError::from)
}

/// v4: a serialised copy of each document's typed value, written with the phone's edits and
/// trusted only while the document's catch-up sequence is the one it was written at, so a cold
/// read does not load and hydrate the CRDT (see `store::snapshot`).
fn to_v4(tx: &Transaction<'_>) -> Result<(), StoreError> {
    tx.execute_batch(
        "
        CREATE TABLE value_snapshots (
            doc_id BLOB PRIMARY KEY NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
            seq    INTEGER NOT NULL,
            kind   TEXT NOT NULL,
            value  BLOB NOT NULL
        );
        ",
    )
    .map_err(StoreError::from)
}

/// v5: the photo blobs this phone holds and their upload queue.
fn to_v5(tx: &Transaction<'_>) -> Result<(), StoreError> {
    tx.execute_batch(
        "
        -- One row per blob file in the blob directory. `on_server`: the server holds it
        -- (uploaded from here, or downloaded). For a blob taken here and not on the server:
        -- the tus upload's URL once created and the bytes the server acknowledged, when to try
        -- again, and why the server refused it for good.
        CREATE TABLE blobs (
            sha256       TEXT PRIMARY KEY NOT NULL CHECK (length(sha256) = 64),
            bytes        INTEGER NOT NULL,
            mime         TEXT NOT NULL,
            on_server    INTEGER NOT NULL CHECK (on_server IN (0, 1)),
            upload_url   TEXT,
            sent         INTEGER NOT NULL DEFAULT 0,
            attempts     INTEGER NOT NULL DEFAULT 0,
            next_try_ms  INTEGER NOT NULL DEFAULT 0,
            refused      TEXT,
            last_error   TEXT,
            last_used_ms INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX blobs_queue ON blobs (next_try_ms) WHERE on_server = 0 AND refused IS NULL;
        CREATE INDEX blobs_used ON blobs (last_used_ms) WHERE on_server = 1;
        ",
    )
    .map_err(StoreError::from)
}

fn refused(refusal: Refusal) -> StoreError {
    StoreError::corrupt(refusal.to_string())
}

/// Brings the schema up to [`SCHEMA_VERSION`], one step per transaction.
pub(crate) fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    migrate_to(conn, SCHEMA_VERSION)
}

fn migrate_to(conn: &mut Connection, target: u32) -> Result<(), StoreError> {
    super::migrations::run(conn, MIGRATIONS, target, "store", refused)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads `PRAGMA user_version`.
    fn user_version(conn: &Connection) -> Result<u32, StoreError> {
        super::super::migrations::user_version(conn).map_err(|e| match e {
            Ok(refusal) => refused(refusal),
            Err(sqlite) => StoreError::from(sqlite),
        })
    }

    fn tables(conn: &Connection) -> Vec<String> {
        let mut stmt = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .expect("prepare");
        stmt.query_map([], |r| r.get(0))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows")
    }

    #[test]
    fn upgrades_from_every_old_version() {
        let mut fresh = Connection::open_in_memory().expect("open");
        migrate(&mut fresh).expect("migrate");
        let expected = tables(&fresh);
        for start in 0..SCHEMA_VERSION {
            let mut conn = Connection::open_in_memory().expect("open");
            migrate_to(&mut conn, start).expect("old schema");
            assert_eq!(user_version(&conn).expect("version"), start);
            migrate(&mut conn).expect("upgrade");
            assert_eq!(user_version(&conn).expect("version"), SCHEMA_VERSION);
            assert_eq!(tables(&conn), expected, "upgrade from v{start}");
        }
    }

    #[test]
    fn v3_counts_the_chunks_already_stored() {
        let mut conn = Connection::open_in_memory().expect("open");
        migrate_to(&mut conn, 2).expect("v2");
        conn.execute_batch(
            "INSERT INTO documents (id, snapshot, heads, generation, seq)
                 VALUES (x'00000000000000000000000000000001', x'00', x'', 0, 1),
                        (x'00000000000000000000000000000002', x'00', x'', 0, 2);
             INSERT INTO chunks (doc_id, bytes) VALUES
                 (x'00000000000000000000000000000001', x'010203'),
                 (x'00000000000000000000000000000001', x'0405');",
        )
        .expect("v2 rows");
        migrate(&mut conn).expect("upgrade");
        let counts: Vec<(i64, i64)> = conn
            .prepare("SELECT chunk_count, chunk_bytes FROM documents ORDER BY id")
            .expect("prepare")
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        assert_eq!(counts, [(2, 5), (0, 0)]);
    }

    #[test]
    fn migrating_twice_is_a_no_op() {
        let mut conn = Connection::open_in_memory().expect("open");
        migrate(&mut conn).expect("first");
        migrate(&mut conn).expect("second");
        assert_eq!(user_version(&conn).expect("version"), SCHEMA_VERSION);
    }

    #[test]
    fn refuses_a_newer_schema() {
        let mut conn = Connection::open_in_memory().expect("open");
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .expect("set");
        assert!(matches!(
            migrate(&mut conn),
            Err(StoreError::Corrupt { .. })
        ));
    }
}
