//! The raw reads a sync server needs: a document's stored bytes unparsed, and every sync state
//! of a document at once.
//!
//! The sync engine parses a document itself; handing it the bytes saves loading the document
//! twice, and its sync states for all peers come in one query when it takes the document up.

use rusqlite::params;

use crate::ids::{DocumentId, StorageId};
use crate::store::Store;
use crate::store::documents::{self, blob};
use crate::store::error::StoreError;

impl Store {
    /// The stored bytes of document `id` (snapshot then chunks, as `Automerge::load` accepts
    /// them), unparsed, or `None` when it is not stored. For a caller that parses them itself
    /// (the sync engine), this saves loading the document twice.
    pub fn load_bytes(&self, id: DocumentId) -> Result<Option<Vec<u8>>, StoreError> {
        let conn = self.conn();
        documents::raw_bytes(&conn, &id)
    }

    /// Every saved sync state of document `id`, by peer storage id.
    pub fn sync_states_of(&self, id: DocumentId) -> Result<Vec<(StorageId, Vec<u8>)>, StoreError> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare_cached("SELECT storage_id, state FROM sync_states WHERE doc_id = ?1")?;
        let mut rows = stmt.query(params![id.as_bytes()])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let storage: String = row.get(0)?;
            let Ok(storage) = storage.parse::<StorageId>() else {
                tracing::warn!(doc = %id, "skipping a sync state with an invalid storage id");
                continue;
            };
            out.push((storage, blob(row, 1)?.to_vec()));
        }
        Ok(out)
    }
}
