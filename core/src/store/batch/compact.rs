//! Compaction inside a batch: a document whose chunks outgrew its snapshot is folded back in the
//! batch's own transaction.
//!
//! A batch commits once, so compaction cannot have a transaction of its own: it runs in a
//! savepoint, and a failure rolls back only the compaction (the write it follows stays) unless
//! SQLite ended the whole transaction.

use rusqlite::Connection;

use super::APPEND_PATH_MIN_CHUNK_BYTES;
use crate::ids::DocumentId;
use crate::store::Store;
use crate::store::documents::{self, DocumentStats};
use crate::store::error::StoreError;

impl Store {
    /// Compacts `id` when its chunks have outgrown both its snapshot and
    /// [`APPEND_PATH_MIN_CHUNK_BYTES`] (the append path's check; `merge_in` has the document
    /// loaded already and checks itself). Like a failed compaction, a failure to read the
    /// document for it is logged and leaves the write alone; see [`compaction_failed`] for the `Err`.
    pub(super) fn compact_if_due(
        &self,
        conn: &Connection,
        id: DocumentId,
    ) -> Result<(), StoreError> {
        let due = |stats: &DocumentStats| {
            documents::needs_compaction(stats) && stats.chunk_bytes > APPEND_PATH_MIN_CHUNK_BYTES
        };
        let loaded = documents::summary(conn, &id).and_then(|summary| {
            match summary.is_some_and(|s| due(&s.stats)) {
                true => documents::load(conn, &id, &self.identity.actor),
                false => Ok(None),
            }
        });
        match loaded {
            Ok(Some(loaded)) => compact_in(conn, id, loaded),
            Ok(None) => Ok(()),
            Err(error) => compaction_failed(conn, id, error, "could not read the document"),
        }
    }
}

/// Compacts inside a savepoint of the caller's transaction; a failure rolls back only the
/// compaction and goes to [`compaction_failed`].
pub(super) fn compact_in(
    conn: &Connection,
    id: DocumentId,
    mut loaded: documents::Loaded,
) -> Result<(), StoreError> {
    let result = (|| -> Result<documents::Compaction, StoreError> {
        conn.execute_batch("SAVEPOINT compaction")?;
        match documents::compact(
            conn,
            &id,
            &mut loaded.doc,
            loaded.generation,
            loaded.last_chunk,
        ) {
            Ok(done) => {
                conn.execute_batch("RELEASE compaction")?;
                Ok(done)
            }
            Err(error) if conn.is_autocommit() => Err(error),
            Err(error) => {
                conn.execute_batch("ROLLBACK TO compaction; RELEASE compaction")?;
                Err(error)
            }
        }
    })();
    match result {
        Ok(_) => Ok(()),
        Err(error) => compaction_failed(conn, id, error, "compaction failed"),
    }
}

/// A compaction that failed leaves the write it follows alone: logged, `Ok`. Unless SQLite
/// ended the caller's whole transaction (an I/O error, a full disk): then the write is gone
/// too, and the caller must hear why.
fn compaction_failed(
    conn: &Connection,
    id: DocumentId,
    error: StoreError,
    what: &str,
) -> Result<(), StoreError> {
    if conn.is_autocommit() {
        return Err(error);
    }
    tracing::warn!(
        document = %id,
        error = &error as &dyn std::error::Error,
        "{what}; the chunks are kept"
    );
    Ok(())
}
