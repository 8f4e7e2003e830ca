//! Storage threads: a group-commit writer and a loader, each with its own SQLite connection
//! (WAL lets the loader read while the writer commits).
//!
//! Both carry out the engine's storage ops through the shared executor
//! (`enlace_core::sync::storage::execute`); this file only says how the server's SQLite store
//! does each one. The writer blocks for one write, then drains everything else queued (up to
//! the batch limit) and commits it in ONE transaction: one fsync for however many clients'
//! changes arrived while the previous commit was syncing. The executor answers
//! `Event::Persisted` only after that commit returns, so the engine never acknowledges a change
//! that is not on disk.

use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc as std_mpsc;
use std::thread::JoinHandle;
use std::time::Instant;

use automerge::AutoCommit;
use enlace_core::ids::{DocumentId, StorageId};
use enlace_core::model::{Listing, ModelError};
use enlace_core::store::{BatchWrite, Store, StoreError};
use enlace_core::sync::storage::{self, ChangesPage, EngineStorage, StorageOp, Write};
use enlace_core::sync::{ConnectionId, Event, LoadedDocument, StorageFailure};
use tokio::sync::mpsc;

use crate::access::SharedAccess;
use crate::catch_up::CatchUp;
use crate::cursor::CursorKey;
use crate::metrics::{ErrorKind, Metrics};

/// Handles to the storage threads.
#[derive(Debug)]
pub(crate) struct StorageIo {
    writes: Option<std_mpsc::Sender<StorageOp>>,
    loads: Option<std_mpsc::Sender<StorageOp>>,
    threads: Vec<JoinHandle<()>>,
}

impl StorageIo {
    /// Opens the database at `path` (two connections) and starts the threads. Answers go to
    /// `events`. Catch-up pages list what `access` lets each connection read (everything on an
    /// open server, `access` `None`). Returns the store's storage id too.
    pub(crate) fn start(
        path: &Path,
        max_batch: usize,
        events: mpsc::UnboundedSender<Event>,
        metrics: Arc<Metrics>,
        access: Option<Arc<SharedAccess>>,
    ) -> Result<(Self, StorageId), StoreError> {
        let writer_store = Store::open(path)?;
        let loader_store = Store::open(path)?;
        let storage_id = writer_store.storage_id().clone();
        // Sealed with the directory's secret; an open server has none, and its storage id keeps
        // other stores' cursors from being misread (see `cursor`).
        let key = match &access {
            Some(access) => CursorKey::derive(access.snapshot().ticket_key()),
            None => CursorKey::derive(&ring::hmac::Key::new(
                ring::hmac::HMAC_SHA256,
                storage_id.as_str().as_bytes(),
            )),
        };
        let catch_up = CatchUp::new(key, access);
        let (write_tx, write_rx) = std_mpsc::channel();
        let (load_tx, load_rx) = std_mpsc::channel();
        let writer = {
            let events = events.clone();
            let metrics = metrics.clone();
            std::thread::Builder::new()
                .name("enlace-writer".into())
                .spawn(move || {
                    writer_loop(
                        &writer_store,
                        &write_rx,
                        max_batch.max(1),
                        &events,
                        &metrics,
                    )
                })?
        };
        let loader = std::thread::Builder::new()
            .name("enlace-loader".into())
            .spawn(move || loader_loop(&loader_store, &catch_up, &load_rx, &events, &metrics))?;
        Ok((
            StorageIo {
                writes: Some(write_tx),
                loads: Some(load_tx),
                threads: vec![writer, loader],
            },
            storage_id,
        ))
    }

    /// Queues an op: writes to the writer, reads to the loader, each in order. Gives the op
    /// back if its thread is gone.
    pub(crate) fn submit(&self, op: StorageOp) -> Option<StorageOp> {
        let queue = if op.is_write() {
            &self.writes
        } else {
            &self.loads
        };
        match queue {
            Some(queue) => queue.send(op).err().map(|e| e.0),
            None => Some(op),
        }
    }

    /// Lets the threads finish what is queued (the final flush) and waits for them.
    pub(crate) fn finish(mut self) {
        self.writes = None;
        self.loads = None;
        for thread in self.threads.drain(..) {
            if thread.join().is_err() {
                tracing::error!("a storage thread panicked");
            }
        }
    }
}

/// The server keeps no listing rows: listings answer a device's own queries ("my storechecks
/// this week"), while the server answers access questions from the registry. Computing one
/// would hydrate the whole document on every write, and a document with no listing row can
/// take the store's append path (see `Store::write_batch`).
fn no_listing(_: &AutoCommit) -> Result<Option<Listing>, ModelError> {
    Ok(None)
}

fn writer_loop(
    store: &Store,
    ops: &std_mpsc::Receiver<StorageOp>,
    max_batch: usize,
    events: &mpsc::UnboundedSender<Event>,
    metrics: &Metrics,
) {
    let mut storage = ServerStorage {
        store,
        catch_up: None,
        metrics,
    };
    while let Ok(first) = ops.recv() {
        let mut batch = vec![first];
        while batch.len() < max_batch {
            match ops.try_recv() {
                Ok(op) => batch.push(op),
                Err(_) => break,
            }
        }
        for event in storage::execute(&mut storage, batch) {
            // The engine thread is gone only at shutdown, when no answer matters.
            let _ = events.send(event);
        }
    }
}

fn loader_loop(
    store: &Store,
    catch_up: &CatchUp,
    reads: &std_mpsc::Receiver<StorageOp>,
    events: &mpsc::UnboundedSender<Event>,
    metrics: &Metrics,
) {
    let mut storage = ServerStorage {
        store,
        catch_up: Some(catch_up),
        metrics,
    };
    while let Ok(op) = reads.recv() {
        for event in storage::execute(&mut storage, vec![op]) {
            if events.send(event).is_err() {
                return;
            }
        }
    }
}

/// The server's SQLite store as the engine's storage: one connection per thread.
struct ServerStorage<'a> {
    store: &'a Store,
    /// Catch-up pages, on the loader's connection only.
    catch_up: Option<&'a CatchUp>,
    metrics: &'a Metrics,
}

impl EngineStorage for ServerStorage<'_> {
    fn load(&mut self, doc: DocumentId) -> Result<LoadedDocument, StorageFailure> {
        let loaded = self.store.load_bytes(doc).and_then(|data| {
            Ok(LoadedDocument {
                data,
                sync_states: self.store.sync_states_of(doc)?,
            })
        });
        loaded.map_err(|e| {
            self.metrics.error(ErrorKind::Storage);
            StorageFailure::new(e)
        })
    }

    /// One transaction for the whole group. Each persist gives one or two writes (its
    /// registration goes just before its changes); a persist succeeds only if all its writes
    /// did.
    fn write(
        &mut self,
        writes: &[Write<'_>],
    ) -> Result<Vec<Result<(), StorageFailure>>, StorageFailure> {
        let mut batch: Vec<BatchWrite<'_>> = Vec::with_capacity(writes.len() + 1);
        let mut owner: Vec<usize> = Vec::with_capacity(writes.len() + 1);
        for (i, write) in writes.iter().enumerate() {
            match write {
                Write::Persist(request) => {
                    if let Some(registration) = &request.registration {
                        batch.push(BatchWrite::Register {
                            doc: request.doc,
                            registration,
                        });
                        owner.push(i);
                    }
                    batch.push(BatchWrite::Changes {
                        doc: request.doc,
                        bytes: &request.changes,
                        heads: Some(&request.heads),
                        base: Some(&request.base),
                    });
                    owner.push(i);
                }
                Write::SyncState(state) => {
                    batch.push(BatchWrite::SyncState {
                        doc: state.doc,
                        peer: &state.storage_id,
                        state: &state.state,
                    });
                    owner.push(i);
                }
            }
        }
        let started = Instant::now();
        let result = self.store.write_batch(&batch, no_listing);
        self.metrics.storage_commit.observe(started.elapsed());
        let results = result.map_err(|error| {
            tracing::error!(
                error = &error as &dyn std::error::Error,
                writes = writes.len(),
                "group commit failed"
            );
            // Every write of the group failed with it.
            for _ in writes {
                self.metrics.error(ErrorKind::Storage);
            }
            StorageFailure::new(error)
        })?;
        Metrics::add(&self.metrics.commits, 1);
        Metrics::add(&self.metrics.writes_committed, writes.len() as u64);
        let mut outcomes: Vec<Result<(), StorageFailure>> = vec![Ok(()); writes.len()];
        for (i, result) in owner.into_iter().zip(results) {
            if let (Err(error), Some(slot)) = (result, outcomes.get_mut(i))
                && slot.is_ok()
            {
                self.metrics.error(ErrorKind::Storage);
                *slot = Err(StorageFailure::new(error));
            }
        }
        Ok(outcomes)
    }

    /// A catch-up page (see [`CatchUp`]).
    fn changes_since(
        &mut self,
        conn: ConnectionId,
        since: u64,
        limit: u64,
    ) -> Result<ChangesPage, StorageFailure> {
        let Some(catch_up) = self.catch_up else {
            return Err(StorageFailure::new(NoCatchUpHere));
        };
        match catch_up.page(self.store, conn, since, limit) {
            Ok(page) => Ok(ChangesPage {
                changes: page.changes,
                cursor: page.cursor,
                more: page.more,
            }),
            Err(e) => {
                self.metrics.error(ErrorKind::Storage);
                Err(StorageFailure::new(e))
            }
        }
    }
}

/// A catch-up read reached the writer thread, which has no catch-up reader.
#[derive(Debug, thiserror::Error)]
#[error("catch-up pages are read on the loader thread")]
struct NoCatchUpHere;

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering::Relaxed;

    use automerge::transaction::Transactable;
    use automerge::{AutoCommit, ROOT};

    use super::*;
    use enlace_core::ids::StorageId;
    use enlace_core::sync::PersistTicket;
    use enlace_core::sync::storage::{PersistRequest, SyncStateWrite};

    #[test]
    fn queued_writes_share_one_commit_and_each_is_answered() {
        let dir = tempfile::tempdir().expect("dir");
        let store = Store::open(dir.path().join("db.sqlite3")).expect("store");
        let (ops_tx, ops) = std_mpsc::channel();
        let mut expected = Vec::new();
        for i in 0..50 {
            let mut doc = AutoCommit::new();
            doc.put(ROOT, "n", i).expect("put");
            let doc_id = DocumentId::new_random();
            expected.push(doc_id);
            ops_tx
                .send(StorageOp::Persist(PersistRequest {
                    doc: doc_id,
                    ticket: PersistTicket(i as u64),
                    changes: doc.save_after(&[]),
                    base: Vec::new(),
                    heads: doc.get_heads(),
                    registration: None,
                }))
                .expect("queue");
            ops_tx
                .send(StorageOp::SaveSyncState(SyncStateWrite {
                    doc: doc_id,
                    storage_id: StorageId::new_random(),
                    state: vec![1, 2, 3],
                }))
                .expect("queue");
        }
        drop(ops_tx);
        let (events_tx, mut events) = mpsc::unbounded_channel();
        let metrics = Metrics::default();
        writer_loop(&store, &ops, 1024, &events_tx, &metrics);
        assert_eq!(
            metrics.commits.load(Relaxed),
            1,
            "one transaction, one fsync"
        );
        assert_eq!(metrics.writes_committed.load(Relaxed), 100);
        let mut answered = Vec::new();
        while let Ok(event) = events.try_recv() {
            match event {
                Event::Persisted { doc, result, .. } => {
                    assert_eq!(result, Ok(()));
                    answered.push(doc);
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(answered, expected);
        for doc in expected {
            assert!(store.heads(doc).expect("heads").is_some());
        }
    }
}
