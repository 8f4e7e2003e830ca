//! The raw, untyped storage interface the sync engine and the server use.
//!
//! Every method returns `Result`: a write that can fail and cannot say so loses data. The SQLite
//! [`Store`](super::Store) implements it; a server can bring other backends later.

use automerge::{AutoCommit, ChangeHash};

use super::error::StoreError;
use crate::ids::{DocumentId, StorageId};
use crate::model::{Listing, ModelError};

/// Derives the listing of a document from its content (for documents that arrive untyped from
/// another replica). Usually the model's `listing_of`.
pub type IndexFn<'a> = &'a (dyn Fn(&AutoCommit) -> Result<Listing, ModelError> + 'a);

/// What a merge did to the stored document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MergeOutcome {
    /// The document was not stored before; it is now.
    Created,
    /// New changes were stored.
    Updated,
    /// Every change was already stored; nothing was written.
    Unchanged,
}

/// The result of a merge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    /// What happened.
    pub outcome: MergeOutcome,
    /// The document's heads after the merge (empty when nothing is stored).
    pub heads: Vec<ChangeHash>,
}

/// Durable, untyped document storage.
pub trait Storage: Send + Sync {
    /// This store's own storage id (made once, kept forever).
    fn storage_id(&self) -> Result<StorageId, StoreError>;

    /// The whole document, or `None` when it is not stored.
    fn load_raw(&self, id: DocumentId) -> Result<Option<AutoCommit>, StoreError>;

    /// The document's heads, or `None` when it is not stored.
    fn heads(&self, id: DocumentId) -> Result<Option<Vec<ChangeHash>>, StoreError>;

    /// Applies another replica's changes (`save_after` output, a sync message's changes, or a
    /// whole saved document) and stores what was new, with its listing from `index`, in one
    /// transaction. Creates the document if it is new. Malformed bytes and changes whose
    /// dependencies are unknown are refused with nothing written.
    fn merge_changes(
        &self,
        id: DocumentId,
        bytes: &[u8],
        index: IndexFn<'_>,
    ) -> Result<Merged, StoreError>;

    /// Saves the sync state of `doc` with the peer whose storage id is `peer`.
    fn save_sync_state(
        &self,
        doc: DocumentId,
        peer: &StorageId,
        state: &[u8],
    ) -> Result<(), StoreError>;

    /// The saved sync state of `doc` with `peer`, if any.
    fn load_sync_state(
        &self,
        doc: DocumentId,
        peer: &StorageId,
    ) -> Result<Option<Vec<u8>>, StoreError>;

    /// Every stored document id.
    fn document_ids(&self) -> Result<Vec<DocumentId>, StoreError>;

    /// How many documents are stored.
    fn document_count(&self) -> Result<u64, StoreError>;

    /// Documents written after catch-up sequence `after`, oldest write first, at most `limit`,
    /// each with its current sequence (pass the last one back to continue).
    fn changed_since(&self, after: i64, limit: u32) -> Result<Vec<(DocumentId, i64)>, StoreError>;
}
