//! State the background loop shares with the app-facing handle, and a condition variable so
//! callers can wait for "saved on the server" without polling.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use crate::ids::{DocumentId, StorageId};
use crate::wire::RefusalCode;

/// The server refused this phone's changes to a document: nothing of them is on the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The server's code, as sent: a newer server may send codes this version does not know
    /// ([`known_code`](Self::known_code) reads the ones it does).
    pub code: String,
    /// The server's explanation, in English.
    pub message: String,
}

impl Refusal {
    /// The code, if this version knows it.
    pub fn known_code(&self) -> Option<RefusalCode> {
        RefusalCode::parse(&self.code)
    }

    /// Whether the document's id belongs to a document this person may not access: the
    /// content syncs only once re-created under a new id
    /// ([`SyncClient::recreate_under_new_id`](super::SyncClient::recreate_under_new_id)).
    pub fn needs_new_id(&self) -> bool {
        self.known_code() == Some(RefusalCode::IdUnavailable)
    }
}

#[derive(Debug, Default)]
pub(super) struct State {
    pub connected: bool,
    /// The server's last answer to a connection attempt was 401.
    pub unauthorized: bool,
    /// The current connection finished its catch-up (the last page arrived).
    pub caught_up: bool,
    pub server_storage: Option<StorageId>,
    pub unavailable: BTreeSet<DocumentId>,
    /// Documents whose changes the server refused on this run, and why.
    pub refused: BTreeMap<DocumentId, Refusal>,
    /// Bumped on every change a waiter may care about.
    pub generation: u64,
}

/// What went over the wire, for data-usage figures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Traffic {
    /// Frames received.
    pub frames_in: u64,
    /// Frames sent.
    pub frames_out: u64,
    /// Payload bytes received.
    pub bytes_in: u64,
    /// Payload bytes sent.
    pub bytes_out: u64,
}

#[derive(Debug, Default)]
pub(super) struct Counters {
    frames_in: AtomicU64,
    frames_out: AtomicU64,
    bytes_in: AtomicU64,
    bytes_out: AtomicU64,
}

#[derive(Debug, Default)]
pub(super) struct Shared {
    state: Mutex<State>,
    wake: Condvar,
    counters: Counters,
    /// Wakes the photo uploader: a photo was attached, or a connection came up.
    pub uploads: tokio::sync::Notify,
    /// Connections made so far: the uploader retries at once after each new one.
    pub connections: AtomicU64,
}

impl Shared {
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn bump(&self, f: impl FnOnce(&mut State)) {
        let mut state = self.lock();
        f(&mut state);
        state.generation = state.generation.wrapping_add(1);
        drop(state);
        self.wake.notify_all();
    }

    pub fn received(&self, bytes: usize) {
        self.counters.frames_in.fetch_add(1, Ordering::Relaxed);
        self.counters
            .bytes_in
            .fetch_add(bytes as u64, Ordering::Relaxed);
    }

    pub fn sent(&self, bytes: usize) {
        self.counters.frames_out.fetch_add(1, Ordering::Relaxed);
        self.counters
            .bytes_out
            .fetch_add(bytes as u64, Ordering::Relaxed);
    }

    pub fn traffic(&self) -> Traffic {
        Traffic {
            frames_in: self.counters.frames_in.load(Ordering::Relaxed),
            frames_out: self.counters.frames_out.load(Ordering::Relaxed),
            bytes_in: self.counters.bytes_in.load(Ordering::Relaxed),
            bytes_out: self.counters.bytes_out.load(Ordering::Relaxed),
        }
    }

    pub fn set_connected(&self, connected: bool) {
        self.bump(|s| {
            s.connected = connected;
            s.caught_up = false;
        });
        if connected {
            self.connections.fetch_add(1, Ordering::Relaxed);
            self.uploads.notify_one();
        }
    }

    pub fn set_unauthorized(&self, unauthorized: bool) {
        if self.lock().unauthorized != unauthorized {
            self.bump(|s| s.unauthorized = unauthorized);
        }
    }

    pub fn set_caught_up(&self) {
        self.bump(|s| s.caught_up = true);
    }

    pub fn set_server_storage(&self, storage: Option<StorageId>) {
        self.bump(|s| s.server_storage = storage);
    }

    pub fn notify(&self) {
        self.bump(|_| {});
    }

    pub fn changed(&self, doc: DocumentId) {
        self.bump(|s| {
            s.unavailable.remove(&doc);
        });
    }

    pub fn refused(&self, doc: DocumentId, refusal: Refusal) {
        self.bump(|s| {
            s.refused.insert(doc, refusal);
        });
    }

    pub fn unavailable(&self, doc: DocumentId) {
        self.bump(|s| {
            s.unavailable.insert(doc);
        });
    }

    /// Blocks until `done` holds or `deadline` passes; `done` is re-checked after every
    /// notification. Returns whether it held.
    pub fn wait_until(&self, deadline: Instant, mut done: impl FnMut() -> bool) -> bool {
        let mut state = self.lock();
        loop {
            let generation = state.generation;
            drop(state);
            if done() {
                return true;
            }
            state = self.lock();
            if state.generation != generation {
                continue;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            state = self
                .wake
                .wait_timeout(state, deadline - now)
                .map(|(guard, _)| guard)
                .unwrap_or_else(|e| e.into_inner().0);
        }
    }
}
