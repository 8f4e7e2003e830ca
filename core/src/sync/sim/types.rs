//! The simulator's vocabulary: node and link ids, its configuration, its errors and the wire
//! record tests inspect.

use std::time::Duration;

use crate::ids::DocumentId;
use crate::sync::Timestamp;
use crate::wire::Message;
use automerge::AutomergeError;

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
