//! Loading: documents come into memory on demand, with a bounded number of loads in flight
//! and a bounded queue of work per loading document.

use std::collections::{BTreeSet, VecDeque};

use automerge::Automerge;
use automerge::sync::State as SyncState;

use super::{Engine, unreachable_ready};
use crate::ids::DocumentId;
use crate::sync::document::{Content, DocState, Pending};
use crate::sync::storage::StorageOp;
use crate::sync::{CloseReason, ConnectionId, Effect, LoadedDocument, StorageFailure};

/// What storage returned for a document does not load as one.
#[derive(Debug, thiserror::Error)]
#[error("stored document does not load")]
struct Unloadable(#[source] automerge::AutomergeError);

impl Engine {
    pub(super) fn doc_entry(&mut self, doc: DocumentId) -> &mut DocState {
        let now = self.now;
        let state = self.docs.entry(doc).or_insert_with(|| DocState::new(now));
        state.last_active = now;
        state
    }

    /// Queues work for a document that is not in memory, loading it if needed. False if the
    /// queue is full (the caller decides what to close).
    pub(super) fn enqueue(&mut self, doc_id: DocumentId, pending: Pending) -> bool {
        let max = self.config.max_queued_per_document;
        let doc = self.doc_entry(doc_id);
        match &mut doc.content {
            Content::Loading { queue } => {
                if queue.len() >= max {
                    return false;
                }
                queue.push_back(pending);
            }
            Content::Unloaded => {
                doc.content = Content::Loading {
                    queue: VecDeque::from([pending]),
                };
                self.request_load(doc_id);
            }
            Content::Ready(_) => unreachable_ready(),
        }
        true
    }

    pub(super) fn request_load(&mut self, doc: DocumentId) {
        if self.loads_in_flight < self.config.max_concurrent_loads {
            self.loads_in_flight += 1;
            self.effects.push(Effect::Storage(StorageOp::Load { doc }));
        } else {
            self.load_queue.push_back(doc);
        }
    }

    pub(super) fn on_loaded(
        &mut self,
        doc_id: DocumentId,
        result: Result<LoadedDocument, StorageFailure>,
    ) {
        self.loads_in_flight = self.loads_in_flight.saturating_sub(1);
        if let Some(next) = self.load_queue.pop_front() {
            self.loads_in_flight += 1;
            self.effects
                .push(Effect::Storage(StorageOp::Load { doc: next }));
        }
        let Some(doc) = self.docs.get_mut(&doc_id) else {
            return;
        };
        let Content::Loading { queue } = &mut doc.content else {
            return;
        };
        let queue = std::mem::take(queue);
        let loaded = result.and_then(|loaded| {
            let content = match &loaded.data {
                Some(bytes) => {
                    Automerge::load(bytes).map_err(|e| StorageFailure::new(Unloadable(e)))?
                }
                None => Automerge::new(),
            };
            Ok((content, loaded.sync_states))
        });
        match loaded {
            Err(failure) => {
                tracing::error!(doc = %doc_id, error = %failure.report(), "loading a document failed");
                doc.content = Content::Unloaded;
                let waiting: BTreeSet<ConnectionId> = queue
                    .iter()
                    .filter_map(|p| match p {
                        Pending::Sync { conn, .. } | Pending::Announce { conn } => Some(*conn),
                        Pending::Local { .. } => None,
                    })
                    .collect();
                for conn in waiting {
                    self.close(conn, CloseReason::StorageFailure);
                }
            }
            Ok((content, states)) => {
                doc.durable_heads = content.get_heads();
                doc.content = Content::Ready(Box::new(content));
                for (storage, bytes) in states {
                    match SyncState::decode(&bytes) {
                        Ok(state) => {
                            doc.stored_states.insert(storage, state);
                        }
                        Err(e) => {
                            tracing::warn!(doc = %doc_id, %storage, error = %e, "ignoring an undecodable sync state")
                        }
                    }
                }
                for pending in queue {
                    match pending {
                        Pending::Sync {
                            conn,
                            data,
                            is_request,
                        } => self.apply_sync(conn, doc_id, &data, is_request),
                        Pending::Local { changes } => self.apply_local(doc_id, &changes),
                        Pending::Announce { conn } => self.announce(conn, doc_id),
                    }
                }
            }
        }
    }
}
