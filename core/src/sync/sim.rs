//! A deterministic in-memory harness: several engines (devices and servers) in one thread, over
//! a simulated network with latency, jitter and connection drops, and simulated storage with
//! latency and injectable failures. Time is simulated; the same seed gives the same run.
//! Test code: compiled only with the feature `testing`, never into a shipped build.
//!
//! ```
//! use enlace_core::sync::sim::{Sim, SimConfig};
//! use automerge::transaction::Transactable;
//!
//! let mut sim = Sim::new(SimConfig::default());
//! let server = sim.add_server("server");
//! let phone = sim.add_device("phone");
//! sim.connect(phone, server);
//! let doc = sim.create_document(phone, |d| {
//!     d.put(automerge::ROOT, "title", "Visita").map(|_| ())
//! }).unwrap();
//! sim.run_until_quiescent().unwrap();
//! assert_eq!(sim.heads(phone, doc), sim.heads(server, doc));
//! ```

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::time::Duration;

use automerge::{AutoCommit, Automerge, AutomergeError, ChangeHash, ReadDoc};

use crate::ids::{DocumentId, PeerId, StorageId};
use crate::sync::{
    AccessPolicy, AllowAll, Announce, ConnectionId, Direction, Effect, Engine, EngineConfig, Event,
    LoadedDocument, Role, StorageFailure, Timestamp, catchup,
};
use crate::wire::{DecodeLimits, Message, decode, encode};

/// A node (device or server) in the simulation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub usize);

/// A simulated connection between a device and a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LinkId(pub u64);

/// Knobs of the simulated world.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// One-way network latency.
    pub latency: Duration,
    /// Extra random latency, up to this much, per message (messages on one link stay in order).
    pub jitter: Duration,
    /// How long a storage load or persist takes.
    pub storage_latency: Duration,
    /// Seed of the deterministic random source.
    pub seed: u64,
    /// The run fails if it has not gone quiet after this many steps.
    pub max_steps: usize,
    /// Check, for every sync message sent, that every head it announces is already in the
    /// sender's storage (persist before acknowledge). Costly; for tests that assert it.
    pub check_durable_acks: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            latency: Duration::from_millis(20),
            jitter: Duration::from_millis(10),
            storage_latency: Duration::from_millis(2),
            seed: 1,
            max_steps: 5_000_000,
            check_durable_acks: false,
        }
    }
}

/// Why a simulation run failed.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The run did not go quiet within the step budget (a livelock).
    #[error("not quiescent after {0} steps")]
    NotQuiescent(usize),
    /// An application edit failed.
    #[error("edit failed")]
    Edit(#[from] AutomergeError),
    /// The node does not have the document.
    #[error("node {0:?} has no document {1}")]
    NoDocument(NodeId, DocumentId),
}

/// A message seen on the simulated wire.
#[derive(Debug, Clone)]
pub struct WireRecord {
    /// When it was sent.
    pub at: Timestamp,
    /// Sender node.
    pub from: NodeId,
    /// Receiver node.
    pub to: NodeId,
    /// The message.
    pub message: Message,
    /// The frame on the wire (the message encoded with the wire codec).
    pub frame: Vec<u8>,
    /// With [`SimConfig::check_durable_acks`]: whether every head the message announces was in
    /// the sender's storage when it was sent.
    pub heads_durable: Option<bool>,
}

/// A node's storage: saved documents (chunks appended) and persisted sync states.
#[derive(Debug, Default, Clone)]
pub struct MemoryStorage {
    /// Document bytes, as `Automerge::load` accepts them.
    pub documents: BTreeMap<DocumentId, Vec<u8>>,
    /// Sync states per document and peer storage.
    pub sync_states: BTreeMap<DocumentId, BTreeMap<StorageId, Vec<u8>>>,
    /// When set, every persist fails (a full disk).
    pub fail_writes: bool,
    /// Heads of every stored document, kept with each write.
    pub heads: BTreeMap<DocumentId, Vec<ChangeHash>>,
    /// The catch-up sequence number of each document's last write (server role).
    pub seq: BTreeMap<DocumentId, u64>,
    /// The last catch-up sequence number handed out.
    pub last_seq: u64,
    /// The catch-up cursor a device stored.
    pub cursor: u64,
}

impl MemoryStorage {
    fn load(&self, doc: DocumentId) -> LoadedDocument {
        LoadedDocument {
            data: self.documents.get(&doc).cloned(),
            sync_states: self
                .sync_states
                .get(&doc)
                .map(|states| states.iter().map(|(s, v)| (s.clone(), v.clone())).collect())
                .unwrap_or_default(),
        }
    }

    /// Records a write: new heads and the next catch-up sequence number.
    fn wrote(&mut self, doc: DocumentId, heads: Vec<ChangeHash>) {
        self.last_seq += 1;
        self.seq.insert(doc, self.last_seq);
        self.heads.insert(doc, heads);
    }

    /// Documents written after `since`, oldest first, at most `limit`, with the cursor to ask
    /// from next and whether more follow.
    #[allow(clippy::type_complexity)]
    fn changed_since(
        &self,
        since: u64,
        limit: u64,
    ) -> (Vec<(DocumentId, Vec<ChangeHash>)>, u64, bool) {
        let mut changed: Vec<(u64, DocumentId)> = self
            .seq
            .iter()
            .filter(|(_, seq)| **seq > since)
            .map(|(doc, seq)| (*seq, *doc))
            .collect();
        changed.sort();
        let more = changed.len() as u64 > limit;
        changed.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        let cursor = changed.last().map_or(since, |(seq, _)| *seq);
        let page = changed
            .into_iter()
            .map(|(_, doc)| (doc, self.heads.get(&doc).cloned().unwrap_or_default()))
            .collect();
        (page, cursor, more)
    }

    /// Whether a peer's persisted sync state shows it has every change we hold of `doc`.
    fn acknowledged(&self, doc: DocumentId) -> bool {
        let Some(heads) = self.heads.get(&doc) else {
            return true;
        };
        self.sync_states.get(&doc).is_some_and(|states| {
            states.values().any(|bytes| {
                automerge::sync::State::decode(bytes)
                    .is_ok_and(|s| heads.iter().all(|h| s.shared_heads.contains(h)))
            })
        })
    }

    /// The stored document, loaded.
    pub fn document(&self, doc: DocumentId) -> Option<Automerge> {
        Automerge::load(self.documents.get(&doc)?).ok()
    }
}

#[derive(Debug)]
struct Node {
    name: String,
    engine: Engine,
    /// A device that catches up (one request) instead of syncing every document on connect.
    catch_up: bool,
    storage: MemoryStorage,
    /// Messages this node received, in order.
    inbox: Vec<Message>,
}

#[derive(Debug, Clone, Copy)]
struct Link {
    device: NodeId,
    server: NodeId,
    device_conn: ConnectionId,
    server_conn: ConnectionId,
    alive: bool,
    /// Messages on a link arrive in order: no message may overtake the previous one.
    last_delivery: [Timestamp; 2],
}

#[derive(Debug)]
enum Scheduled {
    Deliver {
        link: LinkId,
        to: NodeId,
        frame: Vec<u8>,
    },
    Storage {
        node: NodeId,
        effect: Effect,
    },
}

/// The simulated world. See the [module docs](self).
#[derive(Debug)]
pub struct Sim {
    config: SimConfig,
    now: Timestamp,
    nodes: Vec<Node>,
    links: BTreeMap<LinkId, Link>,
    conn_to_link: BTreeMap<(NodeId, ConnectionId), LinkId>,
    queue: BinaryHeap<Reverse<(Timestamp, u64)>>,
    scheduled: BTreeMap<u64, Scheduled>,
    seq: u64,
    next_link: u64,
    rng: u64,
    /// Every message put on the wire.
    pub wire: Vec<WireRecord>,
    /// Frames the receiving side could not decode (always zero unless the codec is broken).
    pub undecodable_frames: usize,
}

impl Sim {
    /// An empty world.
    pub fn new(config: SimConfig) -> Self {
        let rng = config.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        Sim {
            config,
            now: Timestamp(0),
            nodes: Vec::new(),
            links: BTreeMap::new(),
            conn_to_link: BTreeMap::new(),
            queue: BinaryHeap::new(),
            scheduled: BTreeMap::new(),
            seq: 0,
            next_link: 0,
            rng,
            wire: Vec::new(),
            undecodable_frames: 0,
        }
    }

    /// The current simulated time.
    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// A deterministic pseudo-random number (xorshift64*).
    pub fn random(&mut self) -> u64 {
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Adds a node with an explicit engine configuration and policy.
    pub fn add_node(
        &mut self,
        name: &str,
        config: EngineConfig,
        policy: Box<dyn AccessPolicy>,
    ) -> NodeId {
        self.nodes.push(Node {
            name: name.to_owned(),
            catch_up: config.role == Role::Device && config.announce == Announce::Nothing,
            engine: Engine::new(config, policy),
            storage: MemoryStorage::default(),
            inbox: Vec::new(),
        });
        NodeId(self.nodes.len() - 1)
    }

    /// Adds a server that lets everyone do everything.
    pub fn add_server(&mut self, name: &str) -> NodeId {
        self.add_server_with(name, Box::new(AllowAll))
    }

    /// Adds a server with an access policy.
    pub fn add_server_with(&mut self, name: &str, policy: Box<dyn AccessPolicy>) -> NodeId {
        let config = EngineConfig::new(
            Role::Server,
            peer_id(name, self.nodes.len()),
            Some(StorageId::new_random()),
        );
        self.add_node(name, config, policy)
    }

    /// Adds a device with its own storage.
    pub fn add_device(&mut self, name: &str) -> NodeId {
        let mut config = EngineConfig::new(
            Role::Device,
            peer_id(name, self.nodes.len()),
            Some(StorageId::new_random()),
        );
        config.ephemeral_session_id = format!("{name}-session");
        self.add_node(name, config, Box::new(AllowAll))
    }

    /// Adds a device that catches up with one request per reconnect instead of one sync
    /// conversation per document.
    pub fn add_catch_up_device(&mut self, name: &str) -> NodeId {
        let mut config = EngineConfig::new(
            Role::Device,
            peer_id(name, self.nodes.len()),
            Some(StorageId::new_random()),
        );
        config.announce = Announce::Nothing;
        self.add_node(name, config, Box::new(AllowAll))
    }

    /// Has a catch-up device ask for changes since its cursor, as the client does periodically
    /// while connected so its cursor stays current.
    pub fn refresh_cursor(&mut self, node: NodeId) {
        let since = self.nodes[node.0].storage.cursor;
        self.handle(
            node,
            Event::RequestChanges {
                since,
                limit: catchup::DEFAULT_PAGE,
            },
        );
    }

    /// A node's engine.
    pub fn engine(&self, node: NodeId) -> &Engine {
        &self.nodes[node.0].engine
    }

    /// A node's storage, for inspection and fault injection.
    pub fn storage_mut(&mut self, node: NodeId) -> &mut MemoryStorage {
        &mut self.nodes[node.0].storage
    }

    /// A node's storage.
    pub fn storage(&self, node: NodeId) -> &MemoryStorage {
        &self.nodes[node.0].storage
    }

    /// Messages a node has received, in order.
    pub fn inbox(&self, node: NodeId) -> &[Message] {
        &self.nodes[node.0].inbox
    }

    /// Opens a connection from a device to a server.
    pub fn connect(&mut self, device: NodeId, server: NodeId) -> LinkId {
        self.next_link += 1;
        let id = LinkId(self.next_link);
        let link = Link {
            device,
            server,
            device_conn: ConnectionId(id.0 * 2),
            server_conn: ConnectionId(id.0 * 2 + 1),
            alive: true,
            last_delivery: [self.now; 2],
        };
        self.links.insert(id, link);
        self.conn_to_link.insert((device, link.device_conn), id);
        self.conn_to_link.insert((server, link.server_conn), id);
        self.handle(
            server,
            Event::ConnectionOpened {
                conn: link.server_conn,
                direction: Direction::Incoming,
            },
        );
        self.handle(
            device,
            Event::ConnectionOpened {
                conn: link.device_conn,
                direction: Direction::Outgoing,
            },
        );
        id
    }

    /// Cuts a connection: both ends learn at once, messages in flight are lost.
    pub fn disconnect(&mut self, link: LinkId) {
        let Some(l) = self.links.get_mut(&link) else {
            return;
        };
        if !l.alive {
            return;
        }
        l.alive = false;
        let l = *l;
        self.handle(
            l.device,
            Event::ConnectionClosed {
                conn: l.device_conn,
            },
        );
        self.handle(
            l.server,
            Event::ConnectionClosed {
                conn: l.server_conn,
            },
        );
    }

    /// Live links.
    pub fn live_links(&self) -> Vec<LinkId> {
        self.links
            .iter()
            .filter(|(_, l)| l.alive)
            .map(|(id, _)| *id)
            .collect()
    }

    /// Creates a document on a node (written to its storage first, as a device store does) and
    /// subscribes the node's engine to it.
    pub fn create_document(
        &mut self,
        node: NodeId,
        edit: impl FnOnce(&mut AutoCommit) -> Result<(), AutomergeError>,
    ) -> Result<DocumentId, SimError> {
        let id = DocumentId::new_random();
        let mut doc = AutoCommit::new();
        edit(&mut doc)?;
        let bytes = doc.save();
        let storage = &mut self.nodes[node.0].storage;
        storage.documents.insert(id, bytes);
        storage.wrote(id, doc.get_heads());
        self.handle(node, Event::Subscribe { doc: id });
        Ok(id)
    }

    /// Edits a document a node holds: the change is made durable in the node's storage, then the
    /// engine is told, as the device store and client do.
    pub fn edit(
        &mut self,
        node: NodeId,
        id: DocumentId,
        edit: impl FnOnce(&mut AutoCommit) -> Result<(), AutomergeError>,
    ) -> Result<(), SimError> {
        let storage = &mut self.nodes[node.0].storage;
        let bytes = storage
            .documents
            .get(&id)
            .ok_or(SimError::NoDocument(node, id))?;
        let mut doc = AutoCommit::load(bytes)?;
        let before = doc.get_heads();
        edit(&mut doc)?;
        let changes = doc.save_after(&before);
        if changes.is_empty() {
            return Ok(());
        }
        storage
            .documents
            .get_mut(&id)
            .ok_or(SimError::NoDocument(node, id))?
            .extend_from_slice(&changes);
        storage.wrote(id, doc.get_heads());
        self.handle(node, Event::LocalChange { doc: id, changes });
        Ok(())
    }

    /// Delivers a message to the other end of `link` as if `from` had sent it (for replays and
    /// hostile peers), skipping the network.
    pub fn inject(&mut self, link: LinkId, from: NodeId, message: Message) {
        let Some(l) = self.links.get(&link).copied() else {
            return;
        };
        if !l.alive {
            return;
        }
        let (to, conn) = if from == l.device {
            (l.server, l.server_conn)
        } else {
            (l.device, l.device_conn)
        };
        self.nodes[to.0].inbox.push(message.clone());
        self.handle(to, Event::MessageReceived { conn, message });
    }

    /// Asks a node's engine to keep a document in sync (fetching it if the node lacks it).
    pub fn subscribe(&mut self, node: NodeId, doc: DocumentId) {
        self.handle(node, Event::Subscribe { doc });
    }

    /// Sends an ephemeral payload from a node.
    pub fn send_ephemeral(&mut self, node: NodeId, doc: DocumentId, data: Vec<u8>) {
        self.handle(node, Event::SendEphemeral { doc, data });
    }

    /// Tells a node's engine that access decisions changed.
    pub fn access_changed(&mut self, node: NodeId) {
        self.handle(node, Event::AccessChanged { conn: None });
    }

    /// The heads of a node's stored copy (empty if it has none).
    pub fn heads(&self, node: NodeId, doc: DocumentId) -> Vec<ChangeHash> {
        self.storage(node)
            .document(doc)
            .map(|d| d.get_heads())
            .unwrap_or_default()
    }

    /// A node's stored copy of a document.
    pub fn document(&self, node: NodeId, doc: DocumentId) -> Option<Automerge> {
        self.storage(node).document(doc)
    }

    /// Runs the world until no message or storage operation is in flight and every engine is
    /// idle.
    pub fn run_until_quiescent(&mut self) -> Result<(), SimError> {
        for _ in 0..self.config.max_steps {
            if self.queue.is_empty() && self.nodes.iter().all(|n| n.engine.is_idle()) {
                return Ok(());
            }
            self.step(false);
        }
        Err(SimError::NotQuiescent(self.config.max_steps))
    }

    /// Runs the world for a span of simulated time.
    pub fn run_for(&mut self, span: Duration) {
        let until = self.now + span;
        while let Some(next) = self.next_time(true) {
            if next > until {
                break;
            }
            self.step(true);
        }
        self.now = until.max(self.now);
    }

    /// When the next thing happens. Idle engines only have housekeeping timers (sweeps), which
    /// count when running for a span of time but not when waiting for quiet.
    fn next_time(&self, with_housekeeping: bool) -> Option<Timestamp> {
        let queued = self.queue.peek().map(|Reverse((t, _))| *t);
        let timers = self
            .nodes
            .iter()
            .filter(|n| with_housekeeping || !n.engine.is_idle())
            .filter_map(|n| n.engine.poll_timeout())
            .min();
        match (queued, timers) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Advances to the next thing that happens and does it.
    fn step(&mut self, with_housekeeping: bool) {
        let Some(next) = self.next_time(with_housekeeping) else {
            return;
        };
        self.now = self.now.max(next);
        if let Some(Reverse((at, seq))) = self.queue.peek().copied()
            && at <= self.now
        {
            self.queue.pop();
            if let Some(item) = self.scheduled.remove(&seq) {
                self.execute(item);
            }
            return;
        }
        for i in 0..self.nodes.len() {
            if self.nodes[i]
                .engine
                .poll_timeout()
                .is_some_and(|t| t <= self.now)
            {
                self.handle(NodeId(i), Event::Tick);
            }
        }
    }

    fn execute(&mut self, item: Scheduled) {
        match item {
            Scheduled::Deliver { link, to, frame } => {
                let Some(l) = self.links.get(&link).copied() else {
                    return;
                };
                if !l.alive {
                    return;
                }
                let conn = if to == l.device {
                    l.device_conn
                } else {
                    l.server_conn
                };
                let message = match decode(&frame, &DecodeLimits::default()) {
                    Ok(m) => m,
                    Err(e) => {
                        tracing::error!(error = %e, "simulated peer sent an undecodable frame");
                        self.undecodable_frames += 1;
                        return;
                    }
                };
                self.nodes[to.0].inbox.push(message.clone());
                let handshake_done = matches!(message, Message::Peer { .. });
                self.handle(to, Event::MessageReceived { conn, message });
                if handshake_done && self.nodes[to.0].catch_up {
                    let since = self.nodes[to.0].storage.cursor;
                    self.handle(
                        to,
                        Event::RequestChanges {
                            since,
                            limit: catchup::DEFAULT_PAGE,
                        },
                    );
                }
            }
            Scheduled::Storage { node, effect } => {
                let storage = &mut self.nodes[node.0].storage;
                let event = match effect {
                    Effect::Load { doc } => Event::Loaded {
                        doc,
                        result: Ok(storage.load(doc)),
                    },
                    Effect::Persist {
                        doc,
                        ticket,
                        changes,
                        heads,
                        ..
                    } => {
                        // `base` is a claim storage must check, not trust: a persist still in
                        // flight when its document was unloaded and loaded again makes it
                        // stale. This storage merges whatever arrives, as the real store's
                        // fallback does.
                        let result = if storage.fail_writes {
                            Err(StorageFailure("simulated full disk".into()))
                        } else {
                            storage
                                .documents
                                .entry(doc)
                                .or_default()
                                .extend_from_slice(&changes);
                            storage.wrote(doc, heads);
                            Ok(())
                        };
                        Event::Persisted {
                            doc,
                            ticket,
                            result,
                        }
                    }
                    _ => return,
                };
                self.handle(node, event);
            }
        }
    }

    fn schedule(&mut self, at: Timestamp, item: Scheduled) {
        self.seq += 1;
        self.scheduled.insert(self.seq, item);
        self.queue.push(Reverse((at, self.seq)));
    }

    /// Feeds an event to a node's engine and carries out its effects.
    fn handle(&mut self, node: NodeId, event: Event) {
        let now = self.now;
        let effects = self.nodes[node.0].engine.handle(now, event);
        for effect in effects {
            self.carry_out(node, effect);
        }
    }

    fn carry_out(&mut self, node: NodeId, effect: Effect) {
        match effect {
            Effect::Send { conn, message } => {
                let Some(link_id) = self.conn_to_link.get(&(node, conn)).copied() else {
                    return;
                };
                let jitter_ms = u64::try_from(self.config.jitter.as_millis()).unwrap_or(0);
                let jitter = if jitter_ms == 0 {
                    0
                } else {
                    self.random() % (jitter_ms + 1)
                };
                let Some(link) = self.links.get_mut(&link_id) else {
                    return;
                };
                if !link.alive {
                    return;
                }
                let (to, dir) = if node == link.device {
                    (link.server, 0)
                } else {
                    (link.device, 1)
                };
                let at = (self.now + self.config.latency + Duration::from_millis(jitter))
                    .max(link.last_delivery[dir]);
                link.last_delivery[dir] = at;
                let heads_durable = self
                    .config
                    .check_durable_acks
                    .then(|| heads_are_durable(&self.nodes[node.0].storage, &message));
                let frame = encode(&message);
                self.wire.push(WireRecord {
                    at: self.now,
                    from: node,
                    to,
                    message,
                    frame: frame.clone(),
                    heads_durable,
                });
                self.schedule(
                    at,
                    Scheduled::Deliver {
                        link: link_id,
                        to,
                        frame,
                    },
                );
            }
            Effect::Close { conn, .. } => {
                if let Some(link_id) = self.conn_to_link.get(&(node, conn)).copied()
                    && let Some(l) = self.links.get_mut(&link_id)
                    && l.alive
                {
                    l.alive = false;
                    let l = *l;
                    let (other, other_conn) = if node == l.device {
                        (l.server, l.server_conn)
                    } else {
                        (l.device, l.device_conn)
                    };
                    self.handle(other, Event::ConnectionClosed { conn: other_conn });
                }
            }
            Effect::Load { .. } | Effect::Persist { .. } => {
                let at = self.now + self.config.storage_latency;
                self.schedule(at, Scheduled::Storage { node, effect });
            }
            Effect::SaveSyncState {
                doc,
                storage_id,
                state,
            } => {
                self.nodes[node.0]
                    .storage
                    .sync_states
                    .entry(doc)
                    .or_default()
                    .insert(storage_id, state);
            }
            Effect::ChangesRequested { conn, since, limit } => {
                let (changes, cursor, more) = self.nodes[node.0]
                    .storage
                    .changed_since(since, limit.min(catchup::DEFAULT_PAGE));
                self.handle(
                    node,
                    Event::AnswerChanges {
                        conn,
                        changes,
                        cursor,
                        more,
                    },
                );
            }
            Effect::ChangesReceived {
                changes,
                cursor,
                more,
            } => {
                let storage = &self.nodes[node.0].storage;
                let mut wanted =
                    catchup::needing_sync(&changes, |doc| storage.heads.get(&doc).cloned());
                if let Some(cursor) = cursor {
                    if more {
                        self.handle(
                            node,
                            Event::RequestChanges {
                                since: cursor,
                                limit: catchup::DEFAULT_PAGE,
                            },
                        );
                    } else {
                        // The last page: also send what changed here.
                        wanted.extend(
                            storage
                                .heads
                                .keys()
                                .filter(|doc| !storage.acknowledged(**doc))
                                .copied(),
                        );
                    }
                    self.nodes[node.0].storage.cursor = cursor;
                }
                for doc in wanted {
                    self.handle(node, Event::Subscribe { doc });
                }
            }
            Effect::DocumentChanged { .. }
            | Effect::ChangesRefused { .. }
            | Effect::DocumentRefused { .. }
            | Effect::DocumentUnavailable { .. }
            | Effect::EphemeralReceived { .. } => {
                tracing::trace!(node = %self.nodes[node.0].name, ?effect, "notification");
            }
        }
    }
}

/// Whether every head a sync message announces is in the stored document.
fn heads_are_durable(storage: &MemoryStorage, message: &Message) -> bool {
    let (Message::Sync {
        document_id, data, ..
    }
    | Message::Request {
        document_id, data, ..
    }) = message
    else {
        return true;
    };
    let Ok(sync) = automerge::sync::Message::decode(data) else {
        return false;
    };
    if sync.heads.is_empty() {
        return true;
    }
    let Some(stored) = storage.document(*document_id) else {
        return false;
    };
    sync.heads
        .iter()
        .all(|h| stored.get_change_by_hash(h).is_some())
}

/// The node's peer id: its name if that is a valid peer id, else `node-<index>`.
fn peer_id(name: &str, index: usize) -> PeerId {
    name.parse()
        .or_else(|_| format!("node-{index}").parse())
        .unwrap_or_else(|_| PeerId::from_static_unchecked("node"))
}
