//! Change observers: callbacks told which documents a committed write changed.
//!
//! A phone's UI refreshes a list or a form when a document changes, whether the user edited it
//! here or sync merged a colleague's edit. Observers are called:
//! - after the write's transaction committed, and only when the document's content changed (a
//!   merge of changes already stored, or an edit that wrote nothing, notifies nobody);
//! - after the store's connection lock is released, and without holding the registry's own lock,
//!   so an observer may call back into the store (read the document, even write) or add and
//!   remove observers without deadlocking;
//! - on the thread that made the change (the UI thread for a local edit, the sync client's thread
//!   for a merge): an app hops to its main thread itself.
//!
//! A panicking observer is caught and logged: the write has already succeeded and must not be
//! reported as failed, and the other observers still run.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use crate::ids::DocumentId;

/// A callback told the ids of the documents a committed write changed.
pub type Observer = Arc<dyn Fn(&[DocumentId]) + Send + Sync>;

/// Names a registered observer, to remove it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObserverId(u64);

impl ObserverId {
    /// The raw number (for an FFI handle).
    pub fn as_u64(self) -> u64 {
        self.0
    }

    /// From a raw number given out by [`as_u64`](Self::as_u64).
    pub fn from_u64(raw: u64) -> Self {
        ObserverId(raw)
    }
}

/// The registry a [`Store`](super::Store) keeps.
#[derive(Default)]
pub(crate) struct Observers {
    next: AtomicU64,
    list: Mutex<Vec<(ObserverId, Observer)>>,
}

impl fmt::Debug for Observers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Observers")
            .field("count", &self.snapshot().len())
            .finish()
    }
}

impl Observers {
    pub(crate) fn add(&self, observer: Observer) -> ObserverId {
        let id = ObserverId(self.next.fetch_add(1, Ordering::Relaxed));
        self.lock().push((id, observer));
        id
    }

    /// Removes observer `id`; returns whether it was registered.
    pub(crate) fn remove(&self, id: ObserverId) -> bool {
        let mut list = self.lock();
        let before = list.len();
        list.retain(|(i, _)| *i != id);
        list.len() != before
    }

    /// Calls every observer with `ids`. The caller must hold no lock of the store.
    pub(crate) fn notify(&self, ids: &[DocumentId]) {
        if ids.is_empty() {
            return;
        }
        for observer in self.snapshot() {
            if catch_unwind(AssertUnwindSafe(|| observer(ids))).is_err() {
                tracing::warn!(documents = ids.len(), "a change observer panicked");
            }
        }
    }

    /// The observers as of now, cloned so none is called under the registry lock.
    fn snapshot(&self) -> Vec<Observer> {
        self.lock().iter().map(|(_, o)| Arc::clone(o)).collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(ObserverId, Observer)>> {
        // The list is only pushed to and filtered; a panic elsewhere cannot leave it half-made.
        self.list.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
