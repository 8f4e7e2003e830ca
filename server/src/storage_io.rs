//! Storage threads: a group-commit writer and a loader, each with its own SQLite connection
//! (WAL lets the loader read while the writer commits).
//!
//! The writer blocks for one write, then drains everything else queued (up to the batch limit)
//! and commits it in ONE transaction: one fsync for however many clients' changes arrived while
//! the previous commit was syncing. Only after the commit returns does it answer
//! `Event::Persisted`, so the engine never acknowledges a change that is not on disk.

use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc as std_mpsc;
use std::thread::JoinHandle;
use std::time::Instant;

use automerge::AutoCommit;
use automerge::ChangeHash;
use enlace_core::ids::{DocumentId, StorageId};
use enlace_core::model::{Listing, ModelError};
use enlace_core::store::{BatchWrite, Registration, Store, StoreError};
use enlace_core::sync::{ConnectionId, Event, LoadedDocument, PersistTicket, StorageFailure};
use tokio::sync::mpsc;

use crate::access::SharedAccess;
use crate::catch_up::CatchUp;
use crate::cursor::CursorKey;
use crate::metrics::{ErrorKind, Metrics};

/// One write for the group-commit writer.
#[derive(Debug)]
pub(crate) enum WriteOp {
    /// Changes the engine wants durable; answered with `Event::Persisted`.
    Persist {
        doc: DocumentId,
        ticket: PersistTicket,
        changes: Vec<u8>,
        /// What the engine last saw durable; see `BatchWrite::Changes`.
        base: Vec<ChangeHash>,
        heads: Vec<ChangeHash>,
        /// The document's registration, written in the same transaction, when this is (or
        /// may be) its first persist.
        registration: Option<Registration>,
    },
    /// A peer's sync state; no answer.
    SyncState {
        doc: DocumentId,
        storage_id: StorageId,
        state: Vec<u8>,
    },
}

/// One read for the loader thread.
#[derive(Debug)]
pub(crate) enum ReadOp {
    /// A document and its sync states; answered with `Event::Loaded`.
    Load(DocumentId),
    /// A catch-up page; answered with `Event::AnswerChanges`.
    Changes {
        conn: ConnectionId,
        since: u64,
        limit: u64,
    },
}

/// Handles to the storage threads.
#[derive(Debug)]
pub(crate) struct StorageIo {
    writes: Option<std_mpsc::Sender<WriteOp>>,
    loads: Option<std_mpsc::Sender<ReadOp>>,
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

    /// Queues a write. False if the writer is gone.
    pub(crate) fn write(&self, op: WriteOp) -> bool {
        self.writes.as_ref().is_some_and(|w| w.send(op).is_ok())
    }

    /// Queues a load. False if the loader is gone.
    pub(crate) fn load(&self, doc: DocumentId) -> bool {
        self.read(ReadOp::Load(doc))
    }

    /// Queues a read. False if the loader is gone.
    pub(crate) fn read(&self, op: ReadOp) -> bool {
        self.loads.as_ref().is_some_and(|l| l.send(op).is_ok())
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
    ops: &std_mpsc::Receiver<WriteOp>,
    max_batch: usize,
    events: &mpsc::UnboundedSender<Event>,
    metrics: &Metrics,
) {
    while let Ok(first) = ops.recv() {
        let mut batch = vec![first];
        while batch.len() < max_batch {
            match ops.try_recv() {
                Ok(op) => batch.push(op),
                Err(_) => break,
            }
        }
        // Each op gives one or two writes (a registration goes just before its changes); `owner`
        // maps every write back to its op, and an op succeeds only if all its writes did.
        let mut writes: Vec<BatchWrite<'_>> = Vec::with_capacity(batch.len() + 1);
        let mut owner: Vec<usize> = Vec::with_capacity(batch.len() + 1);
        for (i, op) in batch.iter().enumerate() {
            match op {
                WriteOp::Persist {
                    doc,
                    changes,
                    base,
                    heads,
                    registration,
                    ..
                } => {
                    if let Some(registration) = registration {
                        writes.push(BatchWrite::Register {
                            doc: *doc,
                            registration,
                        });
                        owner.push(i);
                    }
                    writes.push(BatchWrite::Changes {
                        doc: *doc,
                        bytes: changes,
                        heads: Some(heads),
                        base: Some(base),
                    });
                    owner.push(i);
                }
                WriteOp::SyncState {
                    doc,
                    storage_id,
                    state,
                } => {
                    writes.push(BatchWrite::SyncState {
                        doc: *doc,
                        peer: storage_id,
                        state,
                    });
                    owner.push(i);
                }
            }
        }
        let started = Instant::now();
        let result = store.write_batch(&writes, no_listing);
        metrics.storage_commit.observe(started.elapsed());
        let mut outcomes: Vec<Result<(), StorageFailure>> = vec![Ok(()); batch.len()];
        match result {
            Ok(results) => {
                Metrics::add(&metrics.commits, 1);
                Metrics::add(&metrics.writes_committed, batch.len() as u64);
                for (i, result) in owner.into_iter().zip(results) {
                    if let (Err(error), Some(slot)) = (result, outcomes.get_mut(i))
                        && slot.is_ok()
                    {
                        *slot = Err(failure(error));
                    }
                }
            }
            Err(error) => {
                tracing::error!(
                    error = &error as &dyn std::error::Error,
                    writes = batch.len(),
                    "group commit failed"
                );
                let f = failure(error);
                outcomes.iter_mut().for_each(|o| *o = Err(f.clone()));
            }
        }
        for (op, outcome) in batch.iter().zip(outcomes) {
            if outcome.is_err() {
                metrics.error(ErrorKind::Storage);
            }
            match op {
                WriteOp::Persist { doc, ticket, .. } => {
                    // The engine thread is gone only at shutdown, when no answer matters.
                    let _ = events.send(Event::Persisted {
                        doc: *doc,
                        ticket: *ticket,
                        result: outcome,
                    });
                }
                WriteOp::SyncState { doc, .. } => {
                    if let Err(StorageFailure(error)) = outcome {
                        tracing::warn!(%doc, ?error, "saving a sync state failed");
                    }
                }
            }
        }
    }
}

fn loader_loop(
    store: &Store,
    catch_up: &CatchUp,
    reads: &std_mpsc::Receiver<ReadOp>,
    events: &mpsc::UnboundedSender<Event>,
    metrics: &Metrics,
) {
    while let Ok(op) = reads.recv() {
        let event = match op {
            ReadOp::Load(doc) => load(store, doc, metrics),
            ReadOp::Changes { conn, since, limit } => {
                changes(store, catch_up, conn, since, limit, metrics)
            }
        };
        if events.send(event).is_err() {
            return;
        }
    }
}

/// A catch-up page (see [`CatchUp`]). On a storage error the page is empty and keeps the
/// cursor, so the device simply asks again later.
fn changes(
    store: &Store,
    catch_up: &CatchUp,
    conn: ConnectionId,
    since: u64,
    limit: u64,
    metrics: &Metrics,
) -> Event {
    match catch_up.page(store, conn, since, limit) {
        Ok(page) => Event::AnswerChanges {
            conn,
            changes: page.changes,
            cursor: page.cursor,
            more: page.more,
        },
        Err(e) => {
            metrics.error(ErrorKind::Storage);
            tracing::error!(error = %e, "reading a catch-up page failed");
            Event::AnswerChanges {
                conn,
                changes: Vec::new(),
                cursor: since,
                more: false,
            }
        }
    }
}

fn load(store: &Store, doc: DocumentId, metrics: &Metrics) -> Event {
    {
        let result = store
            .load_bytes(doc)
            .and_then(|data| {
                Ok(LoadedDocument {
                    data,
                    sync_states: store.sync_states_of(doc)?,
                })
            })
            .map_err(|e| {
                metrics.error(ErrorKind::Storage);
                failure(e)
            });
        Event::Loaded { doc, result }
    }
}

fn failure(error: StoreError) -> StorageFailure {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    StorageFailure(text)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering::Relaxed;

    use automerge::transaction::Transactable;
    use automerge::{AutoCommit, ROOT};

    use super::*;

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
                .send(WriteOp::Persist {
                    doc: doc_id,
                    ticket: PersistTicket(i as u64),
                    changes: doc.save_after(&[]),
                    base: Vec::new(),
                    heads: doc.get_heads(),
                    registration: None,
                })
                .expect("queue");
            ops_tx
                .send(WriteOp::SyncState {
                    doc: doc_id,
                    storage_id: StorageId::new_random(),
                    state: vec![1, 2, 3],
                })
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
