//! The device store as the engine's storage and the catch-up machine's store: the adapters
//! through which the shared executor (`sync::storage::execute`) and the device policy
//! (`sync::device`) reach SQLite.

use automerge::ChangeHash;

use crate::ids::DocumentId;
use crate::model::listing_of;
use crate::store::{PendingCatchUp, Store, StoreError};
use crate::sync::device::{CatchUpStore, Differing};
use crate::sync::storage::{EngineStorage, Write};
use crate::sync::{LoadedDocument, StorageFailure};

/// The device's store, seen by the sync layer.
pub(super) struct DeviceStorage<'a>(pub &'a Store);

impl EngineStorage for DeviceStorage<'_> {
    fn load(&mut self, doc: DocumentId) -> Result<LoadedDocument, StorageFailure> {
        load_for_engine(self.0, doc).map_err(StorageFailure::new)
    }

    fn write(
        &mut self,
        writes: &[Write<'_>],
    ) -> Result<Vec<Result<(), StorageFailure>>, StorageFailure> {
        // The device writes each on its own: changes from the server are merged (and their
        // listing rows updated) one document at a time, as the app's own edits are.
        Ok(writes
            .iter()
            .map(|write| match write {
                Write::Persist(request) => self
                    .0
                    .merge_changes_with(request.doc, &request.changes, listing_of)
                    .map(|_| ())
                    .map_err(StorageFailure::new),
                Write::SyncState(state) => self
                    .0
                    .save_sync_state(state.doc, &state.storage_id, &state.state)
                    .map_err(StorageFailure::new),
            })
            .collect())
    }
}

impl CatchUpStore for DeviceStorage<'_> {
    fn cursor(&self) -> Result<u64, StorageFailure> {
        self.0.catch_up_cursor().map_err(StorageFailure::new)
    }

    fn pending(&self) -> Result<Vec<Differing>, StorageFailure> {
        Ok(self
            .0
            .pending_catch_up()
            .map_err(StorageFailure::new)?
            .into_iter()
            .map(|entry| Differing {
                doc: entry.doc,
                heads: entry.heads,
            })
            .collect())
    }

    fn heads(&self, doc: DocumentId) -> Result<Option<Vec<ChangeHash>>, StorageFailure> {
        self.0.heads(doc).map_err(StorageFailure::new)
    }

    fn unacknowledged(&self) -> Result<Vec<DocumentId>, StorageFailure> {
        self.0
            .unacknowledged_documents()
            .map_err(StorageFailure::new)
    }

    fn advance(
        &mut self,
        cursor: Option<u64>,
        pending: &[Differing],
    ) -> Result<(), StorageFailure> {
        let pending: Vec<PendingCatchUp> = pending
            .iter()
            .map(|entry| PendingCatchUp {
                doc: entry.doc,
                heads: entry.heads.clone(),
            })
            .collect();
        self.0
            .advance_catch_up(cursor, &pending)
            .map_err(StorageFailure::new)
    }
}

/// A document and its sync states as the engine's `Event::Loaded` wants them.
fn load_for_engine(store: &Store, doc: DocumentId) -> Result<LoadedDocument, StoreError> {
    Ok(LoadedDocument {
        data: store.load_raw(doc)?.map(|mut d| d.save()),
        sync_states: store.sync_states(doc)?,
    })
}
