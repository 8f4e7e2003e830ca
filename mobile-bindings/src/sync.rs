//! Sync for apps: start and stop the device client, read per-document sync status.

use std::sync::{Arc, MutexGuard, PoisonError};

use enlace_core::DocumentId;
use enlace_core::client::{ClientConfig, SyncClient};

use crate::EnlaceError;
use crate::store::EnlaceStore;
use crate::sync_status::SyncStatus;

/// Why the server refused a document's changes, from `EnlaceStore::sync_refusal`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SyncRefusal {
    /// The server's code (`id_unavailable`, `not_permitted`, or one a newer server added).
    pub code: String,
    /// The server's explanation, in English.
    pub message: String,
    /// The id belongs to a document this person may not access: call
    /// `recreate_under_new_id` to sync the content under a new id.
    pub needs_new_id: bool,
}

impl EnlaceStore {
    fn client(&self) -> MutexGuard<'_, Option<Arc<SyncClient>>> {
        self.sync.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` on the running client, holding no lock while it runs.
    pub(crate) fn with_client<T>(
        &self,
        f: impl FnOnce(&SyncClient) -> Result<T, enlace_core::client::ClientError>,
    ) -> Result<T, EnlaceError> {
        let client = self.client().clone();
        match client {
            Some(client) => Ok(f(&client)?),
            None => Err(EnlaceError::Sync {
                reason: "sync is not started".into(),
            }),
        }
    }
}

#[uniffi::export]
impl EnlaceStore {
    /// Starts syncing with the server at `url` (`wss://host/v1/sync`), authenticating with
    /// `token`. Edits keep working offline; the client reconnects by itself. Restarts the
    /// client if it was running.
    pub fn start_sync(&self, url: String, token: Option<String>) -> Result<(), EnlaceError> {
        self.stop_sync();
        let mut config = ClientConfig::new(url);
        config.token = token;
        let client = SyncClient::start(self.core(), config)?;
        *self.client() = Some(Arc::new(client));
        Ok(())
    }

    /// Stops syncing (waits for the client to finish its current store write). A server
    /// command still running on another thread finishes first, and the client stops with it.
    pub fn stop_sync(&self) {
        // Taken out first so no lock is held while the client's thread finishes.
        let running = self.client().take();
        if let Some(client) = running.and_then(|c| Arc::try_unwrap(c).ok()) {
            client.stop();
        }
    }

    /// Whether the sync client is connected to the server now.
    pub fn is_connected(&self) -> bool {
        self.client().as_ref().is_some_and(|c| c.is_connected())
    }

    /// Whether the server refused the sync token (unknown, expired or revoked): show a sign-in
    /// screen. Edits stay safe on the phone meanwhile; the client keeps retrying slowly.
    pub fn is_sync_unauthorized(&self) -> bool {
        self.client().as_ref().is_some_and(|c| c.is_unauthorized())
    }

    /// Where document `id`'s latest edits are. Without a running client, a document the server
    /// has acknowledged still reads "saved on the server".
    pub fn sync_status(&self, doc: DocumentId) -> Result<SyncStatus, EnlaceError> {
        if let Some(client) = self.client().as_ref() {
            return Ok(client.sync_status(doc)?.into());
        }
        Ok(if self.core().acknowledged_by_a_peer(doc)? {
            SyncStatus::SavedOnServer
        } else {
            SyncStatus::OnlyOnThisPhone
        })
    }

    /// How many documents have edits the server has not acknowledged.
    pub fn pending_count(&self) -> Result<u64, EnlaceError> {
        self.with_client(|c| c.pending_count().map(|n| n as u64))
    }

    /// Why the server refused this phone's changes to document `id`, or `None` if it did not
    /// (on this run of the sync client).
    pub fn sync_refusal(&self, doc: DocumentId) -> Result<Option<SyncRefusal>, EnlaceError> {
        Ok(self
            .client()
            .as_ref()
            .and_then(|c| c.refusal(doc))
            .map(|r| SyncRefusal {
                needs_new_id: r.needs_new_id(),
                code: r.code,
                message: r.message,
            }))
    }

    /// Copies document `id`, refused because its id belongs to a document this person may not
    /// access, into a new document with a fresh id and the same content, which syncs (now, or
    /// once sync starts). The original stays on the phone untouched. Returns the new id.
    pub fn recreate_under_new_id(&self, doc: DocumentId) -> Result<DocumentId, EnlaceError> {
        let fresh = match self.client().as_ref() {
            Some(client) => client.recreate_under_new_id(doc)?,
            None => self.core().copy_under_new_id(doc)?,
        };
        Ok(fresh)
    }

    /// Fetches a document this phone does not have yet (shared by a teammate) and keeps it in
    /// sync; the observer fires when it arrives.
    pub fn fetch(&self, doc: DocumentId) -> Result<(), EnlaceError> {
        self.with_client(|c| c.subscribe(doc))
    }
}
