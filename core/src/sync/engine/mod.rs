//! The sans-IO sync engine: events in, effects out, time passed in.
//!
//! One `impl Engine` block per concern, each readable alone:
//! - [`handshake`]: connections, `join`/`peer`, dispatching a ready connection's messages;
//! - [`load`]: documents into memory on demand;
//! - [`apply`]: a peer's or the application's changes merged into a loaded document;
//! - [`access`]: forbidden answered as missing, refusals, access decided again;
//! - [`durability`]: persist before acknowledge, retries, the flush that sends;
//! - [`catch_up`]: pages of changed documents and live notices;
//! - [`ephemeral`]: presence relayed among readers;
//! - [`sweep`]: idle documents out of memory.
//!
//! This file holds the state they share and the public surface ([`Engine::handle`]).

mod access;
mod apply;
mod catch_up;
mod durability;
mod ephemeral;
mod handshake;
mod load;
mod sweep;

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, VecDeque};
use std::time::Duration;

use automerge::{Automerge, ChangeHash};

use crate::ids::{DocumentId, PeerId, StorageId};
use crate::sync::document::{Content, DocState, PeerSync};
use crate::sync::storage::{StorageOp, SyncStateWrite};
use crate::sync::{
    AccessPolicy, CloseReason, ConnectionId, Effect, EngineConfig, Event, Timestamp,
};
use crate::wire::Message;

/// Longest back-off between persist retries after storage failures.
const MAX_PERSIST_BACKOFF: Duration = Duration::from_secs(30);

/// The remote end of a connection, once the handshake is done.
#[derive(Debug, Clone)]
struct Remote {
    peer_id: PeerId,
    storage_id: Option<StorageId>,
    is_ephemeral: bool,
}

impl Remote {
    /// The storage under which this peer's sync states are persisted, if any.
    fn persistent_storage(&self) -> Option<&StorageId> {
        if self.is_ephemeral {
            None
        } else {
            self.storage_id.as_ref()
        }
    }
}

/// Where a connection is in the handshake.
#[derive(Debug)]
enum Phase {
    /// Incoming: waiting for `join`; everything else is ignored.
    AwaitingJoin,
    /// Outgoing: `join` sent, waiting for `peer`.
    AwaitingPeer,
    /// Handshake done.
    Ready(Remote),
}

#[derive(Debug)]
struct Conn {
    phase: Phase,
    /// The peer asked for catch-up, so it wants live notices of changes in its scope.
    live_scope: bool,
    /// Documents this connection syncs (bounded by the config).
    docs: BTreeSet<DocumentId>,
}

impl Conn {
    fn remote(&self) -> Option<&Remote> {
        match &self.phase {
            Phase::Ready(remote) => Some(remote),
            _ => None,
        }
    }
}

/// The multi-document, multi-connection sync engine. See the [module docs](crate::sync).
pub struct Engine {
    config: EngineConfig,
    policy: Box<dyn AccessPolicy>,
    conns: BTreeMap<ConnectionId, Conn>,
    docs: BTreeMap<DocumentId, DocState>,
    /// Documents to keep in sync with every server (device role).
    subscriptions: BTreeSet<DocumentId>,
    timers: BinaryHeap<Reverse<(Timestamp, DocumentId)>>,
    next_sweep: Option<Timestamp>,
    load_queue: VecDeque<DocumentId>,
    loads_in_flight: usize,
    next_ticket: u64,
    ephemeral_count: u64,
    effects: Vec<Effect>,
    now: Timestamp,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("peer_id", &self.config.peer_id)
            .field("role", &self.config.role)
            .field("connections", &self.conns.len())
            .field("documents", &self.docs.len())
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// A new engine with no connections and no documents in memory.
    pub fn new(config: EngineConfig, policy: Box<dyn AccessPolicy>) -> Self {
        Engine {
            config,
            policy,
            conns: BTreeMap::new(),
            docs: BTreeMap::new(),
            subscriptions: BTreeSet::new(),
            timers: BinaryHeap::new(),
            next_sweep: None,
            load_queue: VecDeque::new(),
            loads_in_flight: 0,
            next_ticket: 0,
            ephemeral_count: 0,
            effects: Vec::new(),
            now: Timestamp::default(),
        }
    }

    /// The configuration the engine runs with.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// Handles one event at time `now` and returns what the driver must do, in order.
    pub fn handle(&mut self, now: Timestamp, event: Event) -> Vec<Effect> {
        self.now = now.max(self.now);
        if self.next_sweep.is_none() {
            self.next_sweep = Some(self.now + self.config.sweep_interval);
        }
        match event {
            Event::ConnectionOpened { conn, direction } => self.on_open(conn, direction),
            Event::ConnectionClosed { conn } => self.on_close(conn),
            Event::MessageReceived { conn, message } => self.on_message(conn, message),
            Event::Loaded { doc, result } => self.on_loaded(doc, result),
            Event::Persisted {
                doc,
                ticket,
                result,
            } => self.on_persisted(doc, ticket, result),
            Event::LocalChange { doc, changes } => self.on_local_change(doc, changes),
            Event::ServerChange {
                doc,
                changes,
                heads,
            } => self.on_server_change(doc, changes, &heads),
            Event::Subscribe { doc } => self.on_subscribe(doc),
            Event::Unsubscribe { doc } => {
                self.subscriptions.remove(&doc);
            }
            Event::SendEphemeral { doc, data } => self.on_send_ephemeral(doc, data),
            Event::AccessChanged { conn } => self.on_access_changed(conn),
            Event::AnswerChanges {
                conn,
                changes,
                cursor,
                more,
            } => self.answer_changes(conn, changes, Some(cursor), more),
            Event::RequestChanges { since, limit } => self.request_changes(since, limit),
            Event::Tick => {}
        }
        self.run_due();
        std::mem::take(&mut self.effects)
    }

    /// When the engine next needs a [`Event::Tick`], if ever.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        let timer = self.timers.peek().map(|Reverse((at, _))| *at);
        match (timer, self.next_sweep) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Number of documents whose content is in memory.
    pub fn loaded_documents(&self) -> usize {
        self.docs
            .values()
            .filter(|d| matches!(d.content, Content::Ready(_)))
            .count()
    }

    /// Number of connections, in any phase.
    pub fn connection_count(&self) -> usize {
        self.conns.len()
    }

    /// The heads of a document, if it is in memory.
    pub fn document_heads(&self, doc: &DocumentId) -> Option<Vec<ChangeHash>> {
        self.docs.get(doc)?.ready().map(Automerge::get_heads)
    }

    /// The heads a connection last told us it has for a document, if it has.
    pub fn peer_heads(&self, doc: &DocumentId, conn: ConnectionId) -> Option<Vec<ChangeHash>> {
        self.docs
            .get(doc)?
            .peers
            .get(&conn)?
            .state
            .their_heads
            .clone()
    }

    /// Whether the engine has nothing in progress: no load, persist or flush outstanding. Idle
    /// sweeps do not count.
    pub fn is_idle(&self) -> bool {
        self.loads_in_flight == 0
            && self.docs.values().all(|d| {
                d.timer.is_none()
                    && d.persisting.is_none()
                    && !matches!(d.content, Content::Loading { .. })
            })
    }

    /// The documents this engine keeps in sync (device role).
    pub fn subscriptions(&self) -> impl Iterator<Item = &DocumentId> {
        self.subscriptions.iter()
    }

    fn close(&mut self, conn: ConnectionId, reason: CloseReason) {
        tracing::debug!(%conn, ?reason, "closing connection");
        self.effects.push(Effect::Close { conn, reason });
        self.on_close(conn);
    }

    fn send(&mut self, conn: ConnectionId, message: Message) {
        self.effects.push(Effect::Send { conn, message });
    }

    fn remote(&self, conn: ConnectionId) -> Option<&Remote> {
        self.conns.get(&conn)?.remote()
    }
}

/// Emits a `SaveSyncState` if the peer's shared heads moved since the last save.
fn save_sync_state(
    effects: &mut Vec<Effect>,
    doc: DocumentId,
    storage: &StorageId,
    peer: &mut PeerSync,
) {
    if peer.saved_shared_heads.as_ref() == Some(&peer.state.shared_heads) {
        return;
    }
    peer.saved_shared_heads = Some(peer.state.shared_heads.clone());
    effects.push(Effect::Storage(StorageOp::SaveSyncState(SyncStateWrite {
        doc,
        storage_id: storage.clone(),
        state: peer.state.encode(),
    })));
}

#[cold]
fn unreachable_ready() {
    // `enqueue` is only called for documents not in memory; reaching here is a logic error,
    // which we log rather than panic on: the work is dropped, the peer will resend.
    tracing::error!("enqueue called for a loaded document");
}
