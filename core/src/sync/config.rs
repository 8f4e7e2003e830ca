//! The engine's configuration, with the defaults a server uses.

use std::time::Duration;

use crate::ids::{PeerId, StorageId};
use crate::sync::Role;

/// What a device engine syncs when a connection comes up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Announce {
    /// Every subscribed document, one sync conversation each (what a stock automerge-repo client
    /// does).
    AllSubscribed,
    /// Nothing by itself: the driver decides (after a catch-up exchange) which documents to sync
    /// with [`Event::Subscribe`](crate::sync::Event::Subscribe).
    Nothing,
}

/// How an [`Engine`](crate::sync::Engine) behaves. Built by the embedding binary; every bound
/// has a safe default.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Server or device.
    pub role: Role,
    /// Our peer id on the wire.
    pub peer_id: PeerId,
    /// Our storage id, told to peers so they can persist their sync state with us. `None` makes
    /// us an ephemeral peer.
    pub storage_id: Option<StorageId>,
    /// How long changes to a document are gathered before sync messages go out. Zero sends at the
    /// end of the event that caused them.
    pub sync_debounce: Duration,
    /// A document nobody touched for this long is dropped from memory (its peers' sync states
    /// stay, so it reloads on the next message).
    pub idle_unload_after: Duration,
    /// At most this many documents are held in memory; beyond it, idle documents are unloaded
    /// least recently used first.
    pub max_loaded_documents: usize,
    /// At most this many storage loads are outstanding at once.
    pub max_concurrent_loads: usize,
    /// At most this many messages wait for one document to load; more close the sender.
    pub max_queued_per_document: usize,
    /// At most this many documents one connection may touch.
    pub max_documents_per_connection: usize,
    /// How often the engine sweeps for idle documents.
    pub sweep_interval: Duration,
    /// Our session id for ephemeral messages we originate.
    pub ephemeral_session_id: String,
    /// What a device syncs when a connection comes up.
    pub announce: Announce,
    /// Most bytes the changes of one incoming sync message may materialise once inflated
    /// (checked with [`check_sync_message`](crate::wire::check_sync_message) before automerge
    /// sees the message); a larger one closes its connection. automerge inflates on the
    /// engine's thread, so this bounds what one message can cost everyone else. Default
    /// [`MAX_AUTOMERGE_BYTES`](crate::wire::MAX_AUTOMERGE_BYTES); a server sets its own, lower bound.
    pub max_sync_inflated_bytes: u64,
}

impl EngineConfig {
    /// A configuration with the defaults for `role`.
    pub fn new(role: Role, peer_id: PeerId, storage_id: Option<StorageId>) -> Self {
        EngineConfig {
            role,
            peer_id,
            storage_id,
            sync_debounce: Duration::from_millis(5),
            idle_unload_after: Duration::from_secs(30),
            max_loaded_documents: 10_000,
            max_concurrent_loads: 64,
            max_queued_per_document: 256,
            max_documents_per_connection: 50_000,
            sweep_interval: Duration::from_secs(1),
            ephemeral_session_id: "enlace".to_owned(),
            announce: Announce::AllSubscribed,
            max_sync_inflated_bytes: crate::wire::MAX_AUTOMERGE_BYTES as u64,
        }
    }
}
