//! The raw API of [`Store`]: whole automerge documents, merges of another replica's changes,
//! sync states and the catch-up feed, and the [`Storage`] impl the sync engine drives.
//!
//! The sync engine never sees a typed value: it moves automerge changes. These calls give it the
//! bytes and heads it needs, and [`Store::merge_changes_with`] is the one door through which a
//! peer's changes enter a device's store (a server batches them instead, see `batch`).

use automerge::{AutoCommit, ChangeHash};

use super::{Store, append, write_tx};
use crate::ids::{DocumentId, StorageId};
use crate::model::{Document, Listing, ModelError};
use crate::store::documents;
use crate::store::error::StoreError;
use crate::store::listing;
use crate::store::model_glue;
use crate::store::storage::{IndexFn, MergeOutcome, Merged, Storage};
use crate::store::sync_state;
use crate::store::{MAX_CHANGED_SINCE_LIMIT, MAX_MERGE_BYTES};

impl Store {
    /// The whole document, or `None` when it is not stored. Its text indices count UTF-8 bytes
    /// ([`TEXT_ENCODING`](crate::store::TEXT_ENCODING)).
    pub fn load_raw(&self, id: DocumentId) -> Result<Option<AutoCommit>, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        Ok(documents::load(&tx, &id, &self.identity.actor)?.map(|l| l.doc))
    }

    /// The document's heads, or `None` when it is not stored.
    pub fn heads(&self, id: DocumentId) -> Result<Option<Vec<ChangeHash>>, StoreError> {
        documents::heads(&self.conn(), &id)
    }

    /// Applies another replica's changes to document `id` (creating it if new) and indexes the
    /// result with `index`; see [`Storage::merge_changes`]. At most [`MAX_MERGE_BYTES`].
    pub fn merge_changes_with(
        &self,
        id: DocumentId,
        bytes: &[u8],
        index: impl Fn(&AutoCommit) -> Result<Listing, ModelError>,
    ) -> Result<Merged, StoreError> {
        if bytes.len() > MAX_MERGE_BYTES {
            return Err(StoreError::TooLarge {
                what: "merged changes",
                len: bytes.len(),
                max: MAX_MERGE_BYTES,
            });
        }
        // Parse everything before touching the database: automerge's `load_incremental` would
        // apply the valid prefix of a damaged input and only log the rest. Missing dependencies
        // are fine at this point (they may be in our copy); they are checked after applying.
        documents::check_untrusted(id, bytes)?;
        match documents::load_strict(bytes) {
            Ok(_) | Err(automerge::AutomergeError::MissingDeps) => {}
            Err(source) => return Err(StoreError::malformed(id, source)),
        }
        let mut conn = self.conn();
        let tx = write_tx(&mut conn)?;
        let mut existing = documents::load(&tx, &id, &self.identity.actor)?;
        let mut fresh = documents::new_doc().with_actor(self.identity.actor.clone());
        // On error below, `doc` (a copy in memory) is simply dropped and the transaction rolled
        // back: nothing of a refused merge is stored.
        let doc = existing.as_mut().map_or(&mut fresh, |l| &mut l.doc);
        let heads_before = doc.get_heads();
        doc.load_incremental(bytes)
            .map_err(|source| StoreError::malformed(id, source))?;
        let missing = doc.get_missing_deps(&[]).len();
        if missing > 0 {
            return Err(StoreError::MissingDependencies { id, missing });
        }
        let heads = doc.get_heads();
        if heads == heads_before {
            return Ok(Merged {
                outcome: MergeOutcome::Unchanged,
                heads,
            });
        }
        let listing = index(doc).map_err(|e| StoreError::from_model(id, e))?;
        match existing {
            Some(mut loaded) => {
                append(&tx, id, &mut loaded, &heads_before, Some(&listing))?;
                tx.commit()?;
                self.maybe_compact(&mut conn, id, loaded);
                drop(conn);
                self.observers.notify(&[id]);
                Ok(Merged {
                    outcome: MergeOutcome::Updated,
                    heads,
                })
            }
            None => {
                documents::insert(&tx, &id, &fresh.save(), &heads)?;
                listing::upsert(&tx, &id, &listing)?;
                tx.commit()?;
                drop(conn);
                self.observers.notify(&[id]);
                Ok(Merged {
                    outcome: MergeOutcome::Created,
                    heads,
                })
            }
        }
    }

    /// [`merge_changes_with`](Self::merge_changes_with) for a document known to be a `D`: the
    /// listing comes from the typed value, and bytes holding another kind are refused.
    pub fn merge_from<D: Document>(
        &self,
        id: DocumentId,
        other: &[u8],
    ) -> Result<Merged, StoreError> {
        self.merge_changes_with(id, other, |doc| {
            model_glue::hydrate_document::<D>(doc).map(|d| d.listing())
        })
    }

    /// Saves the sync state of `doc` with the peer whose storage id is `peer` (opaque bytes, at
    /// most [`MAX_SYNC_STATE_BYTES`](crate::store::MAX_SYNC_STATE_BYTES)).
    pub fn save_sync_state(
        &self,
        doc: DocumentId,
        peer: &StorageId,
        state: &[u8],
    ) -> Result<(), StoreError> {
        sync_state::save(&self.conn(), &doc, peer, state)
    }

    /// The saved sync state of `doc` with `peer`, if any.
    pub fn load_sync_state(
        &self,
        doc: DocumentId,
        peer: &StorageId,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        sync_state::load(&self.conn(), &doc, peer)
    }

    /// Every stored document id, in id order.
    pub fn document_ids(&self) -> Result<Vec<DocumentId>, StoreError> {
        documents::ids(&self.conn())
    }

    /// How many documents are stored.
    pub fn document_count(&self) -> Result<u64, StoreError> {
        documents::count(&self.conn())
    }

    /// Documents written after catch-up sequence `after`, oldest write first, at most `limit`
    /// (1..=[`MAX_CHANGED_SINCE_LIMIT`]).
    pub fn changed_since(
        &self,
        after: i64,
        limit: u32,
    ) -> Result<Vec<(DocumentId, i64)>, StoreError> {
        if limit == 0 || limit > MAX_CHANGED_SINCE_LIMIT {
            return Err(StoreError::QueryLimit {
                requested: limit,
                max: MAX_CHANGED_SINCE_LIMIT,
            });
        }
        documents::changed_since(&self.conn(), after, limit)
    }

    /// The catch-up sequence of the latest write, 0 when nothing is stored: no cursor into
    /// this store can name a later one.
    pub fn latest_change_seq(&self) -> Result<i64, StoreError> {
        documents::latest_seq(&self.conn())
    }
}

impl Storage for Store {
    fn storage_id(&self) -> Result<StorageId, StoreError> {
        Ok(self.identity.storage_id.clone())
    }

    fn load_raw(&self, id: DocumentId) -> Result<Option<AutoCommit>, StoreError> {
        Store::load_raw(self, id)
    }

    fn heads(&self, id: DocumentId) -> Result<Option<Vec<ChangeHash>>, StoreError> {
        Store::heads(self, id)
    }

    fn merge_changes(
        &self,
        id: DocumentId,
        bytes: &[u8],
        index: IndexFn<'_>,
    ) -> Result<Merged, StoreError> {
        self.merge_changes_with(id, bytes, index)
    }

    fn save_sync_state(
        &self,
        doc: DocumentId,
        peer: &StorageId,
        state: &[u8],
    ) -> Result<(), StoreError> {
        Store::save_sync_state(self, doc, peer, state)
    }

    fn load_sync_state(
        &self,
        doc: DocumentId,
        peer: &StorageId,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        Store::load_sync_state(self, doc, peer)
    }

    fn document_ids(&self) -> Result<Vec<DocumentId>, StoreError> {
        Store::document_ids(self)
    }

    fn document_count(&self) -> Result<u64, StoreError> {
        Store::document_count(self)
    }

    fn changed_since(&self, after: i64, limit: u32) -> Result<Vec<(DocumentId, i64)>, StoreError> {
        Store::changed_since(self, after, limit)
    }
}
