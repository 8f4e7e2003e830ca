//! The replicas a schedule drives, each behind its own proxy: device clients (the product's
//! `SyncClient` over a SQLite store, reconnecting by itself) and test clients (the protocol
//! client of [`crate::client`], which the runner reconnects when its connection dies, carrying
//! its documents over as a reconnecting app would).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use automerge::ChangeHash;
use enlace_core::DocumentId;
use enlace_core::client::{ClientConfig, ClientError, SyncClient, SyncMode};
use enlace_core::model::{ClientVisit, listing_of};
use enlace_core::store::{Store, StoreError};

use super::edit::{self, EditError};
use super::schedule::Edit;
use crate::client::{Client, ConnectError};

/// A replica failed at something the schedule needs.
#[derive(Debug, thiserror::Error)]
pub enum ReplicaError {
    /// The device store failed.
    #[error("device store")]
    Store(#[from] StoreError),
    /// The device client could not start.
    #[error("device client")]
    Client(#[from] ClientError),
    /// An edit could not be applied.
    #[error("applying an edit")]
    Edit(#[from] EditError),
    /// Saved bytes did not load.
    #[error("loading a document")]
    Load(#[from] automerge::AutomergeError),
    /// A test client could not (re)connect before the deadline.
    #[error("connecting a test client to {url}")]
    Connect {
        /// Where.
        url: String,
        /// The last attempt's failure.
        #[source]
        source: ConnectError,
    },
    /// A document the schedule uses is missing from a replica.
    #[error("replica lacks document {0}")]
    Missing(DocumentId),
}

/// A device: `SyncClient` plus its store.
#[derive(Debug)]
pub struct Device {
    store: Arc<Store>,
    client: Option<SyncClient>,
}

impl Device {
    /// Opens a store at `path` holding `docs`, with catch-up cursor `cursor` (a phone that has
    /// synced before, so it is not asked to fetch every earlier schedule's documents), and starts
    /// its client against `url`. Retries and heartbeats are fast, as tests need.
    pub fn start(
        path: &Path,
        url: &str,
        mode: SyncMode,
        cursor: u64,
        docs: &[(DocumentId, Vec<u8>)],
    ) -> Result<Device, ReplicaError> {
        let store = Arc::new(Store::open(path)?);
        for (id, bytes) in docs {
            store.merge_changes_with(*id, bytes, listing_of)?;
        }
        store.set_catch_up_cursor(cursor)?;
        let mut config = ClientConfig::new(url);
        config.mode = mode;
        config.backoff_initial = Duration::from_millis(10);
        config.backoff_max = Duration::from_millis(100);
        config.heartbeat_interval = Duration::from_millis(250);
        config.heartbeat_timeout = Duration::from_secs(1);
        config.cursor_refresh = Duration::from_millis(500);
        let client = SyncClient::start(store.clone(), config)?;
        Ok(Device {
            store,
            client: Some(client),
        })
    }

    /// Edits document `id` the way an app does: the visit's own fields through the typed model,
    /// the `fz` parts as raw changes merged into the store. Returns the heads right after.
    pub fn edit(&self, id: DocumentId, change: &Edit) -> Result<Vec<ChangeHash>, ReplicaError> {
        match change {
            Edit::Notes { at, insert } => self.store.update(id, |v: &mut ClientVisit| {
                let at = edit::position(*at, v.notes.as_str().len() + 1);
                v.notes.splice(at, 0, insert);
                Ok(())
            })?,
            Edit::Title { value } => self.store.update(id, |v: &mut ClientVisit| {
                v.title = value.clone();
                Ok(())
            })?,
            raw => {
                let mut doc = self.store.load_raw(id)?.ok_or(ReplicaError::Missing(id))?;
                let before = doc.get_heads();
                edit::apply(&mut doc, raw)?;
                let after = doc.get_heads();
                if after != before {
                    let bytes = doc.save_after(&before);
                    self.store.merge_changes_with(id, &bytes, listing_of)?;
                }
                return Ok(after);
            }
        }
        self.store.heads(id)?.ok_or(ReplicaError::Missing(id))
    }

    /// Our stored heads of `id`, sorted (empty if missing or unreadable).
    pub fn heads(&self, id: DocumentId) -> Vec<ChangeHash> {
        sorted(self.store.heads(id).ok().flatten().unwrap_or_default())
    }

    /// Whether the server acknowledged every change of every document here.
    pub fn acknowledged(&self) -> bool {
        self.client
            .as_ref()
            .is_some_and(|c| c.pending_count().is_ok_and(|n| n == 0))
    }

    /// Document `id` rendered for comparison.
    pub fn render(&self, id: DocumentId) -> String {
        match self.store.load_raw(id) {
            Ok(Some(doc)) => edit::render(&doc),
            Ok(None) => "<missing>".into(),
            Err(e) => format!("<unreadable: {e}>"),
        }
    }

    /// Stops the client; returns the store's catch-up cursor for the next device.
    pub fn stop(mut self) -> u64 {
        if let Some(client) = self.client.take() {
            client.stop();
        }
        self.store.catch_up_cursor().unwrap_or(0)
    }
}

/// A test client that the runner reconnects.
#[derive(Debug)]
pub struct Peer {
    name: String,
    url: String,
    docs: Vec<DocumentId>,
    client: Client,
    /// Its connection was killed and it has not reconnected yet.
    stale: bool,
}

impl Peer {
    /// Connects as `name` to `url` (retrying until `patience` runs out) holding `docs`.
    pub async fn start(
        name: String,
        url: String,
        docs: &[(DocumentId, Vec<u8>)],
        patience: Duration,
    ) -> Result<Peer, ReplicaError> {
        let client = connect(&url, &name, patience).await?;
        for (id, bytes) in docs {
            client.adopt(*id, edit::load(bytes)?).await;
        }
        Ok(Peer {
            name,
            url,
            docs: docs.iter().map(|(id, _)| *id).collect(),
            client,
            stale: false,
        })
    }

    /// Edits document `id` (locally if the connection is down); returns the heads right after.
    pub async fn edit(
        &self,
        id: DocumentId,
        change: &Edit,
    ) -> Result<Vec<ChangeHash>, ReplicaError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let change = change.clone();
        let heads = self
            .client
            .change(id, move |t| {
                let _ = tx.send(edit::apply(t, &change));
            })
            .await;
        match rx.await {
            Ok(Err(e)) => Err(e.into()),
            Ok(Ok(())) if heads.is_empty() => Err(ReplicaError::Missing(id)),
            _ => Ok(heads),
        }
    }

    /// Marks the connection as killed (the runner reconnects when it can).
    pub fn killed(&mut self) {
        self.stale = true;
    }

    /// Whether the connection is gone and must be replaced.
    pub fn needs_reconnect(&self) -> bool {
        self.stale || self.client.view().closed.is_some()
    }

    /// Opens a new connection and carries every document over to it.
    pub async fn reconnect(&mut self, patience: Duration) -> Result<(), ReplicaError> {
        let mut held = Vec::new();
        for id in &self.docs {
            let id = *id;
            let doc = self.client.read(id, |d| d.cloned()).await;
            held.push((id, doc.ok_or(ReplicaError::Missing(id))?));
        }
        let client = connect(&self.url, &self.name, patience).await?;
        for (id, doc) in held {
            client.adopt(id, doc).await;
        }
        // Dropping the old client aborts its task and closes whatever was left of its socket.
        self.client = client;
        self.stale = false;
        Ok(())
    }

    /// Our heads of `id`, sorted.
    pub fn heads(&self, id: DocumentId) -> Vec<ChangeHash> {
        self.client.view().heads(&id)
    }

    /// Whether the server acknowledged everything we hold of `id`.
    pub fn acknowledged(&self, id: DocumentId) -> bool {
        self.client.view().in_sync(&id)
    }

    /// Document `id` rendered for comparison.
    pub async fn render(&self, id: DocumentId) -> String {
        self.client
            .read(id, |d| d.map_or_else(|| "<missing>".into(), edit::render))
            .await
    }

    /// The client itself.
    pub fn client(&self) -> &Client {
        &self.client
    }
}

/// Connects, retrying briefly while the other end is not there (a server restarting).
pub async fn connect(url: &str, name: &str, patience: Duration) -> Result<Client, ReplicaError> {
    let deadline = Instant::now() + patience;
    loop {
        match Client::connect(url, name).await {
            Ok(client) => return Ok(client),
            Err(source) if Instant::now() >= deadline => {
                return Err(ReplicaError::Connect {
                    url: url.to_owned(),
                    source,
                });
            }
            // A retry interval, not a barrier: the next attempt is the check.
            Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
        }
    }
}

fn sorted(mut heads: Vec<ChangeHash>) -> Vec<ChangeHash> {
    heads.sort();
    heads
}
