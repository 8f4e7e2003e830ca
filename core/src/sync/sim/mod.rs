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

use automerge::{AutoCommit, Automerge, AutomergeError, ChangeHash};

use crate::ids::{DocumentId, PeerId, StorageId};
use crate::sync::device::{DeviceAction, DeviceInput, DevicePolicyConfig, DeviceSync};
use crate::sync::storage::{self, StorageOp};
use crate::sync::{
    AccessPolicy, AllowAll, Announce, ConnectionId, Effect, Engine, EngineConfig, Event, Role,
    Timestamp,
};
use crate::wire::Message;

mod memory;
mod network;
mod types;

pub use memory::MemoryStorage;
use memory::heads_are_durable;
pub use types::{LinkId, NodeId, SimConfig, SimError, WireRecord};

#[derive(Debug)]
struct Node {
    name: String,
    engine: Engine,
    /// A device that catches up (one request) instead of syncing every document on connect:
    /// the phone's own policy machine.
    device: Option<DeviceSync>,
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
        op: StorageOp,
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
            device: (config.role == Role::Device && config.announce == Announce::Nothing)
                .then(|| DeviceSync::new(sim_policy_config())),
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

    /// Adds a catch-up device whose policy machine runs with `config` (a small page size, say).
    pub fn add_catch_up_device_with(&mut self, name: &str, config: DevicePolicyConfig) -> NodeId {
        let node = self.add_catch_up_device(name);
        self.nodes[node.0].device = Some(DeviceSync::new(config));
        node
    }

    /// A catch-up device's policy machine (to inject a fault into it, say).
    pub fn device_policy_mut(&mut self, node: NodeId) -> Option<&mut DeviceSync> {
        self.nodes[node.0].device.as_mut()
    }

    /// Has a catch-up device ask for changes since its cursor, as the client does periodically
    /// while connected so its cursor stays current.
    pub fn refresh_cursor(&mut self, node: NodeId) {
        self.tell_device(node, DeviceInput::Refresh);
    }

    /// Tells a catch-up device's policy machine what happened and carries out what it asks.
    /// Reconnects are the test's to make ([`connect`](Self::connect)), so pauses are ignored.
    fn tell_device(&mut self, node: NodeId, input: DeviceInput<'_>) {
        let random = self.random();
        let now = self.now;
        let n = &mut self.nodes[node.0];
        let Some(device) = n.device.as_mut() else {
            return;
        };
        let actions = device.handle(now, random, &mut n.storage, input);
        for action in actions {
            match action {
                DeviceAction::Engine(event) => self.handle(node, event),
                DeviceAction::ReconnectAfter(_)
                | DeviceAction::Unauthorized(_)
                | DeviceAction::CaughtUp
                | DeviceAction::CursorStored => {}
            }
        }
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
            Scheduled::Deliver { link, to, frame } => self.deliver(link, to, &frame),
            Scheduled::Storage { node, op } => {
                let answers = storage::execute(&mut self.nodes[node.0].storage, vec![op]);
                for event in answers {
                    self.handle(node, event);
                }
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
            Effect::Send { conn, message } => self.transmit(node, conn, message),
            Effect::Close { conn, .. } => self.close_link(node, conn),
            Effect::Storage(op) => {
                let at = self.now + self.config.storage_latency;
                self.schedule(at, Scheduled::Storage { node, op });
            }
            Effect::ChangesReceived {
                changes,
                cursor,
                more,
            } => self.tell_device(
                node,
                DeviceInput::Changes {
                    changes: &changes,
                    cursor,
                    more,
                },
            ),
            Effect::DocumentChanged { .. }
            | Effect::ChangesRefused { .. }
            | Effect::ChangesRepaired { .. }
            | Effect::DocumentRefused { .. }
            | Effect::DocumentUnavailable { .. }
            | Effect::EphemeralReceived { .. } => {
                tracing::trace!(node = %self.nodes[node.0].name, ?effect, "notification");
            }
        }
    }
}

/// The simulator's catch-up devices run the phone's policy machine with its defaults.
fn sim_policy_config() -> DevicePolicyConfig {
    DevicePolicyConfig::default()
}

/// The node's peer id: its name if that is a valid peer id, else `node-<index>`.
fn peer_id(name: &str, index: usize) -> PeerId {
    name.parse()
        .or_else(|_| format!("node-{index}").parse())
        .unwrap_or_else(|_| PeerId::from_static_unchecked("node"))
}
