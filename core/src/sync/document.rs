//! The engine's state for one document: its content (when loaded), the sync state of every
//! connection syncing it, and what is not yet durable.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use automerge::sync::State as SyncState;
use automerge::{Automerge, ChangeHash};

use crate::ids::{PeerId, StorageId};
use crate::model::Registration;
use crate::sync::{Access, ConnectionId, PersistTicket, Timestamp};

/// How many (sender, session) pairs a document remembers for ephemeral de-duplication.
const MAX_EPHEMERAL_SESSIONS: usize = 4096;

/// Work that arrived while the document was loading, replayed in order once it is ready.
#[derive(Debug)]
pub(crate) enum Pending {
    /// A `sync` (or `request`, when `is_request`) from a connection.
    Sync {
        conn: ConnectionId,
        data: Vec<u8>,
        is_request: bool,
    },
    /// Durable local changes.
    Local { changes: Vec<u8> },
    /// Start syncing with a server connection (device role).
    Announce { conn: ConnectionId },
}

/// Whether the document's content is in memory.
#[derive(Debug)]
pub(crate) enum Content {
    /// Not in memory; a message for it triggers a load.
    Unloaded,
    /// A load is queued or outstanding; work waits here.
    Loading { queue: VecDeque<Pending> },
    /// In memory. An empty document (no heads) means nobody has given us its content yet.
    Ready(Box<Automerge>),
}

/// One connection's sync with this document.
#[derive(Debug)]
pub(crate) struct PeerSync {
    /// automerge's per-peer state.
    pub state: SyncState,
    /// What the policy last said.
    pub access: Access,
    /// The shared heads last persisted for this peer's storage, to save only on change.
    pub saved_shared_heads: Option<Vec<ChangeHash>>,
}

impl PeerSync {
    pub fn new(state: SyncState, access: Access) -> Self {
        let mut state = state;
        if access == Access::ReadOnly {
            state.set_read_only(true);
        }
        PeerSync {
            saved_shared_heads: Some(state.shared_heads.clone()),
            state,
            access,
        }
    }

    /// Applies a new access decision to the sync state.
    pub fn set_access(&mut self, access: Access) {
        if self.access != access {
            self.access = access;
            self.state.set_read_only(access == Access::ReadOnly);
        }
    }
}

/// Everything the engine knows about one document.
#[derive(Debug)]
pub(crate) struct DocState {
    pub content: Content,
    /// Connections syncing this document, in a stable order so effects are deterministic.
    pub peers: BTreeMap<ConnectionId, PeerSync>,
    /// Sync states persisted for peer storages, read at load.
    pub stored_states: HashMap<StorageId, SyncState>,
    /// Heads of the content known to be durable. Messages go out only when the content's heads
    /// equal these: nothing is acknowledged before it is on disk.
    pub durable_heads: Vec<ChangeHash>,
    /// The outstanding persist, if any (one at a time per document, so changes land in order).
    pub persisting: Option<(PersistTicket, Vec<ChangeHash>)>,
    /// Consecutive persist failures, for back-off.
    pub persist_failures: u32,
    /// When this document's next flush (or persist retry) is due.
    pub timer: Option<Timestamp>,
    /// Last time anything touched this document.
    pub last_active: Timestamp,
    /// Connections told the document is unavailable; they receive it if it arrives.
    pub waiters: BTreeSet<ConnectionId>,
    /// Highest ephemeral count seen per (sender, session).
    pub ephemeral_seen: HashMap<(PeerId, String), u64>,
    /// The registration the access policy decided when the document's first changes arrived,
    /// carried by every persist until one succeeds.
    pub registration: Option<Registration>,
}

impl DocState {
    pub fn new(now: Timestamp) -> Self {
        DocState {
            content: Content::Unloaded,
            peers: BTreeMap::new(),
            stored_states: HashMap::new(),
            durable_heads: Vec::new(),
            persisting: None,
            persist_failures: 0,
            timer: None,
            last_active: now,
            waiters: BTreeSet::new(),
            ephemeral_seen: HashMap::new(),
            registration: None,
        }
    }

    /// The content, if loaded.
    pub fn ready(&self) -> Option<&Automerge> {
        match &self.content {
            Content::Ready(doc) => Some(doc),
            _ => None,
        }
    }

    /// Whether some of the content is not yet durable.
    pub fn has_undurable(&self) -> bool {
        self.ready()
            .is_some_and(|doc| doc.get_heads() != self.durable_heads)
    }

    /// Whether the document can be dropped from memory without losing anything.
    pub fn is_quiet(&self) -> bool {
        matches!(self.content, Content::Ready(_))
            && self.persisting.is_none()
            && self.timer.is_none()
            && !self.has_undurable()
            && self.registration.is_none()
    }

    /// Records an ephemeral message; false if it was seen before.
    pub fn first_sighting(&mut self, sender: &PeerId, session: &str, count: u64) -> bool {
        let key = (sender.clone(), session.to_owned());
        match self.ephemeral_seen.get(&key) {
            Some(&seen) if count <= seen => false,
            _ => {
                if self.ephemeral_seen.len() >= MAX_EPHEMERAL_SESSIONS {
                    self.ephemeral_seen.clear();
                }
                self.ephemeral_seen.insert(key, count);
                true
            }
        }
    }
}
