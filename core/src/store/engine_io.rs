//! What a sync engine driver needs from the store beyond the typed API: every sync state of a
//! document, and what a peer's sync states say it holds. (The store knows nothing of the engine's
//! types: the drivers, a layer above both, put the two together.)

use std::collections::HashMap;

use automerge::ChangeHash;

use super::documents;
use super::error::StoreError;
use super::sqlite::Store;
use super::sync_state;
use crate::ids::{DocumentId, StorageId};

impl Store {
    /// Every saved sync state of `doc`, per peer storage id.
    pub fn sync_states(&self, doc: DocumentId) -> Result<Vec<(StorageId, Vec<u8>)>, StoreError> {
        sync_state::load_all(&self.conn(), &doc)
    }

    /// Whether a peer's persisted sync state shows it holds every change of `doc` stored here
    /// (for a device: "saved on the server").
    pub fn acknowledged_by_a_peer(&self, doc: DocumentId) -> Result<bool, StoreError> {
        for (_, bytes) in self.sync_states(doc)? {
            let Ok(state) = automerge::sync::State::decode(&bytes) else {
                continue;
            };
            if self.covered_by(doc, &state.shared_heads)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Every document with changes no peer has acknowledged, in two queries (plus an exact
    /// check for the rare document whose peer is ahead of or concurrent with us). A phone runs
    /// this after each catch-up over all its documents, so it must not load them one by one.
    pub fn unacknowledged_documents(&self) -> Result<Vec<DocumentId>, StoreError> {
        let (heads, shared) = {
            let conn = self.conn();
            let mut heads = Vec::new();
            let mut stmt = conn.prepare("SELECT id, heads FROM documents")?;
            let mut rows = stmt.query([])?;
            while let Some(row) = rows.next()? {
                let id = documents::id_from_blob(documents::blob(row, 0)?)?;
                heads.push((id, documents::decode_heads(&id, documents::blob(row, 1)?)?));
            }
            let mut shared: HashMap<DocumentId, Vec<Vec<ChangeHash>>> = HashMap::new();
            let mut stmt = conn.prepare("SELECT doc_id, state FROM sync_states")?;
            let mut rows = stmt.query([])?;
            while let Some(row) = rows.next()? {
                let id = documents::id_from_blob(documents::blob(row, 0)?)?;
                if let Ok(state) = automerge::sync::State::decode(documents::blob(row, 1)?) {
                    shared.entry(id).or_default().push(state.shared_heads);
                }
            }
            (heads, shared)
        };
        let mut out = Vec::new();
        for (doc, local) in heads {
            let states = shared.get(&doc).map(Vec::as_slice).unwrap_or_default();
            if states.iter().any(|s| local.iter().all(|h| s.contains(h))) {
                continue;
            }
            if states.iter().all(Vec::is_empty) || !self.acknowledged_by_a_peer(doc)? {
                out.push(doc);
            }
        }
        Ok(out)
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
        if remote_heads.is_empty() {
            // The peer has nothing, and we have something.
            return Ok(false);
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
