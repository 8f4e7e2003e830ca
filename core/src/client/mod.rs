//! The device sync client: runs the [engine](crate::sync) over a websocket (tokio-tungstenite
//! with rustls, which cross-compiles for phones) against the local [`Store`].
//!
//! - Offline first: the app edits the store; edits stay there and go out when a connection is
//!   up. Sync states are persisted, so an unchanged document costs one short round trip.
//! - Reconnects with exponential back-off and jitter; pings the server and treats silence as a
//!   dead connection; survives the network dropping mid-sync (nothing is acknowledged before the
//!   server has it on disk, and unacknowledged changes are simply sent again).
//! - Reports a [`SyncStatus`] per document for the UI.
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use enlace_core::client::{ClientConfig, SyncClient};
//! use enlace_core::store::Store;
//!
//! let store = Arc::new(Store::open("phone.sqlite")?);
//! let client = SyncClient::start(
//!     store.clone(),
//!     ClientConfig::new("wss://sync.example.com/v1/sync").with_token("token"),
//! )?;
//! // ... the app edits documents through `store`, then tells the client:
//! // client.local_change(id)?;
//! client.stop();
//! # Ok(()) }
//! ```

mod commands;
mod config;
mod downloads;
mod driver;
mod error;
mod http;
mod random;
mod shared;
mod status;
mod store_io;
mod uploads;

use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

pub use commands::{CommandError, CommandOutcome, CommandRefusal, RefusalKind, ServerCommand};
pub use config::{ClientConfig, SyncMode};
pub use downloads::DownloadError;
pub use error::ClientError;
pub use http::HttpError;
pub use shared::{Refusal, Traffic};
pub use status::SyncStatus;

use crate::ids::DocumentId;
use crate::store::{BlobHash, ObserverId, Store};
use driver::{Command, Driver};
use http::Endpoint;
use shared::Shared;

/// A running device sync client. Dropping it stops it.
#[derive(Debug)]
pub struct SyncClient {
    store: Arc<Store>,
    shared: Arc<Shared>,
    commands: UnboundedSender<Command>,
    observer: ObserverId,
    thread: Option<JoinHandle<()>>,
    /// The client thread's runtime, which also runs the HTTP calls.
    runtime: tokio::runtime::Handle,
    api: Endpoint,
    token: Option<String>,
}

impl SyncClient {
    /// Starts syncing every document of `store` with the server, on a background thread with
    /// its own single-threaded runtime (the app needs no async runtime of its own).
    pub fn start(store: Arc<Store>, config: ClientConfig) -> Result<SyncClient, ClientError> {
        // Fail early on a URL or token that can never work.
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        config
            .url
            .as_str()
            .into_client_request()
            .map_err(|e| ClientError::InvalidUrl {
                url: config.url.clone(),
                source: Box::new(e),
            })?;
        if let Some(token) = &config.token {
            tokio_tungstenite::tungstenite::http::HeaderValue::from_str(&format!("Bearer {token}"))
                .map_err(|_| ClientError::InvalidToken)?;
        }
        let api = match &config.api_url {
            Some(url) => Endpoint::parse(url),
            None => Endpoint::of_sync_url(&config.url),
        }
        .map_err(ClientError::InvalidApiUrl)?;
        let token = config.token.clone();
        let shared = Arc::new(Shared::default());
        let driver = Driver::new(store.clone(), config, shared.clone())?;
        let (commands, receiver) = unbounded_channel();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(ClientError::Spawn)?;
        let handle = runtime.handle().clone();
        // Photos go up on the same runtime, beside the sync session.
        handle.spawn(
            uploads::Uploader {
                store: store.clone(),
                api: api.clone(),
                token: token.clone(),
                shared: shared.clone(),
            }
            .run(),
        );
        let thread = std::thread::Builder::new()
            .name("enlace-sync".into())
            .spawn(move || runtime.block_on(driver.run(receiver)))
            .map_err(ClientError::Spawn)?;
        // Every committed write to the store reaches the client, whoever made it.
        let notify = commands.clone();
        let uploads = shared.clone();
        let observer = store.add_observer(Arc::new(move |docs: &[DocumentId]| {
            // A write may have attached a photo.
            uploads.uploads.notify_one();
            for doc in docs {
                // Fails only once the client stopped, when nothing needs telling.
                let _sent = notify.send(Command::LocalChange(*doc));
            }
        }));
        Ok(SyncClient {
            store,
            shared,
            commands,
            observer,
            thread: Some(thread),
            runtime: handle,
            api,
            token,
        })
    }

    /// Tells the client the app changed (or created) a document in the store. Writes through the
    /// store reach the client by themselves; this is for changes made behind its back.
    pub fn local_change(&self, doc: DocumentId) -> Result<(), ClientError> {
        self.commands
            .send(Command::LocalChange(doc))
            .map_err(|_| ClientError::Stopped)
    }

    /// Keeps a document in sync, fetching it from the server if this phone lacks it.
    pub fn subscribe(&self, doc: DocumentId) -> Result<(), ClientError> {
        self.commands
            .send(Command::Subscribe(doc))
            .map_err(|_| ClientError::Stopped)
    }

    /// Why the server refused this phone's changes to a document, if it did on this run.
    /// Nothing of refused changes is on the server; the document stays intact on the phone.
    pub fn refusal(&self, doc: DocumentId) -> Option<Refusal> {
        self.shared.lock().refused.get(&doc).cloned()
    }

    /// Copies a document whose id the server will not take ([`Refusal::needs_new_id`]: the id
    /// belongs to a document this person may not access) into a new document with a fresh id
    /// and the same content and history, syncs the new one and stops offering the old one on
    /// this run. The old document stays in the store untouched, so nothing is lost. Returns the
    /// new id.
    pub fn recreate_under_new_id(&self, doc: DocumentId) -> Result<DocumentId, ClientError> {
        let fresh = self.store.copy_under_new_id(doc)?;
        self.commands
            .send(Command::Unsubscribe(doc))
            .map_err(|_| ClientError::Stopped)?;
        self.shared.lock().refused.remove(&doc);
        // The store's observer tells the client about the new document.
        Ok(fresh)
    }

    /// Frames and payload bytes exchanged with the server since the client started.
    pub fn traffic(&self) -> Traffic {
        self.shared.traffic()
    }

    /// Whether the server refused this client's token on its last connection attempt (unknown,
    /// expired or revoked): the app should ask the person to sign in again. Edits stay safe on
    /// the phone meanwhile.
    pub fn is_unauthorized(&self) -> bool {
        self.shared.lock().unauthorized
    }

    /// Whether the current connection has finished catching up (every page of changes since
    /// the stored cursor arrived, and the documents that needed it are being synced).
    pub fn is_caught_up(&self) -> bool {
        self.shared.lock().caught_up
    }

    /// Whether a connection to the server is up.
    pub fn is_connected(&self) -> bool {
        self.shared.lock().connected
    }

    /// Whether the server said it does not have (or will not show) a document we asked for.
    pub fn is_unavailable(&self, doc: DocumentId) -> bool {
        self.shared.lock().unavailable.contains(&doc)
    }

    /// Where a document's latest local changes are.
    pub fn sync_status(&self, doc: DocumentId) -> Result<SyncStatus, ClientError> {
        if self.shared.lock().refused.contains_key(&doc) {
            return Ok(SyncStatus::RefusedByServer);
        }
        if self.store.acknowledged_by_a_peer(doc)? {
            return Ok(SyncStatus::SavedOnServer);
        }
        Ok(if self.is_connected() {
            SyncStatus::Syncing
        } else {
            SyncStatus::OnlyOnThisPhone
        })
    }

    /// How many documents have changes the server has not acknowledged yet.
    pub fn pending_count(&self) -> Result<usize, ClientError> {
        Ok(self.store.unacknowledged_documents()?.len())
    }

    /// Blocks until the document reads "saved on the server", or `timeout` passes.
    pub fn wait_until_saved(&self, doc: DocumentId, timeout: Duration) -> Result<(), ClientError> {
        let mut failure = None;
        let saved =
            self.shared
                .wait_until(Instant::now() + timeout, || match self.sync_status(doc) {
                    Ok(status) => status == SyncStatus::SavedOnServer,
                    Err(e) => {
                        failure = Some(e);
                        true
                    }
                });
        match (failure, saved) {
            (Some(e), _) => Err(e),
            (None, true) => Ok(()),
            (None, false) => Err(ClientError::Timeout),
        }
    }

    /// Blocks until `condition` holds (re-checked whenever the client makes progress) or
    /// `timeout` passes; for apps and tests that wait for a document to arrive.
    pub fn wait_for(
        &self,
        timeout: Duration,
        condition: impl FnMut() -> bool,
    ) -> Result<(), ClientError> {
        if self.shared.wait_until(Instant::now() + timeout, condition) {
            Ok(())
        } else {
            Err(ClientError::Timeout)
        }
    }

    /// Asks the server to carry out `command` on `doc` (see [`ServerCommand`]) once the
    /// server holds every change this phone made to it (the command acts on the server's copy,
    /// so a report must be sent as the phone last wrote it), all within `timeout`. The
    /// server's change arrives by sync afterwards. Blocks; call it from an app thread, not
    /// from an async runtime.
    ///
    /// Offline or with the document unsaved, it fails with [`CommandError::NotSaved`] or
    /// [`CommandError::Http`] and nothing was asked (or, if the connection broke after the
    /// request went out, the server may have carried it out: asking again is safe, a second
    /// send or review is refused as a conflict); a refusal says why
    /// ([`CommandRefusal`]).
    pub fn run_command(
        &self,
        doc: DocumentId,
        command: &ServerCommand,
        timeout: Duration,
    ) -> Result<CommandOutcome, ClientError> {
        let deadline = Instant::now() + timeout;
        // A document this phone does not hold has no edits of ours to wait for.
        if self.store.heads(doc)?.is_some() {
            self.wait_until_saved(doc, timeout).map_err(|e| match e {
                ClientError::Timeout => CommandError::NotSaved.into(),
                e => e,
            })?;
        }
        let remaining = deadline.saturating_duration_since(Instant::now());
        let api = self.api.clone();
        let token = self.token.clone();
        let path = format!("/v1/documents/{doc}/commands/{}", command.name());
        let json = command.body();
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.runtime.spawn(async move {
            let mut call = http::Call::json(hyper::Method::POST, &path, token.as_deref(), json);
            call.max_answer = commands::MAX_ANSWER;
            // The caller may have given up waiting; nothing to tell then.
            let _told = reply.send(http::send(&api, call, remaining).await);
        });
        // The runtime drops the task (and with it `reply`) once the client stopped.
        let answer = answer
            .blocking_recv()
            .map_err(|_| ClientError::Stopped)?
            .map_err(CommandError::Http)?;
        Ok(commands::outcome(answer.status, &answer.body)?)
    }

    /// The file holding photo `hash`, downloading it first if this phone does not hold it
    /// (verified against the hash, kept in the photo cache), all within `timeout`. Blocks;
    /// call it from an app thread.
    pub fn photo_path(&self, hash: &BlobHash, timeout: Duration) -> Result<PathBuf, ClientError> {
        if let Some(path) = self.store.local_photo(hash)? {
            return Ok(path);
        }
        let (reply, answer) = tokio::sync::oneshot::channel();
        let download = downloads::download(
            self.store.clone(),
            self.api.clone(),
            self.token.clone(),
            hash.clone(),
        );
        self.runtime.spawn(async move {
            let result = tokio::time::timeout(timeout, download)
                .await
                .unwrap_or(Err(DownloadError::Http(HttpError::Timeout)));
            // The caller may have given up waiting; nothing to tell then.
            let _told = reply.send(result);
        });
        Ok(answer.blocking_recv().map_err(|_| ClientError::Stopped)??)
    }

    /// Stops the client and waits for its thread to finish (pending store writes complete).
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.store.remove_observer(self.observer);
        let _stopping = self.commands.send(Command::Stop);
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the sync thread panicked");
        }
    }
}

impl Drop for SyncClient {
    fn drop(&mut self) {
        self.shutdown();
    }
}
