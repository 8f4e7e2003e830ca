//! What a sync engine driver needs from the store beyond the typed API: every sync state of a
//! document, and the saved bytes of a document in the shape the engine loads.

use automerge::ChangeHash;

use super::error::StoreError;
use super::sqlite::Store;
use super::sync_state;
use crate::ids::{DocumentId, StorageId};
use crate::sync::LoadedDocument;

impl Store {
    /// Every saved sync state of `doc`, per peer storage id.
    pub fn sync_states(&self, doc: DocumentId) -> Result<Vec<(StorageId, Vec<u8>)>, StoreError> {
        sync_state::load_all(&self.conn(), &doc)
    }

    /// A document and its sync states as the engine's `Event::Loaded` wants them.
    pub fn load_for_engine(&self, doc: DocumentId) -> Result<LoadedDocument, StoreError> {
        let data = self.load_raw(doc)?.map(|mut d| d.save());
        Ok(LoadedDocument {
            data,
            sync_states: self.sync_states(doc)?,
        })
    }

    /// Whether every change of `doc` stored here is covered by `remote_heads` (the heads a peer
    /// is known to have), so that peer holds everything this store holds.
    pub fn covered_by(
        &self,
        doc: DocumentId,
        remote_heads: &[ChangeHash],
    ) -> Result<bool, StoreError> {
        let Some(local) = self.heads(doc)? else {
            return Err(StoreError::NotFound(doc));
        };
        if local.iter().all(|h| remote_heads.contains(h)) {
            return Ok(true);
        }
        // The peer may be ahead or concurrent: check against the full history.
        let Some(mut loaded) = self.load_raw(doc)? else {
            return Err(StoreError::NotFound(doc));
        };
        if remote_heads
            .iter()
            .any(|h| loaded.get_change_by_hash(h).is_none())
        {
            // The peer has changes we do not; we cannot see whether they include ours.
            return Ok(false);
        }
        Ok(loaded.get_changes(remote_heads).is_empty())
    }
}
