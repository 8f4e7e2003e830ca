//! A simulated node's storage: documents, sync states and catch-up bookkeeping in memory, with
//! injectable write failures. It is the engine's storage (through the shared executor,
//! `sync::storage`) and the catch-up machine's store, as SQLite is on a real node.

use std::collections::BTreeMap;

use automerge::{Automerge, ChangeHash, ReadDoc};

use crate::ids::{DocumentId, StorageId};
use crate::sync::device::{CatchUpStore, Differing};
use crate::sync::storage::{ChangesPage, EngineStorage, Write};
use crate::sync::{ConnectionId, LoadedDocument, StorageFailure, catchup};
use crate::wire::Message;

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
    /// Documents catch-up pages said differ, with the server's heads then (device role).
    pub pending_catch_up: BTreeMap<DocumentId, Vec<ChangeHash>>,
}

impl MemoryStorage {
    pub(super) fn load_document(&self, doc: DocumentId) -> LoadedDocument {
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
    pub(super) fn wrote(&mut self, doc: DocumentId, heads: Vec<ChangeHash>) {
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

/// A failed simulated write.
#[derive(Debug, thiserror::Error)]
#[error("simulated full disk")]
struct SimulatedFullDisk;

impl EngineStorage for MemoryStorage {
    fn load(&mut self, doc: DocumentId) -> Result<LoadedDocument, StorageFailure> {
        Ok(self.load_document(doc))
    }

    fn write(
        &mut self,
        writes: &[Write<'_>],
    ) -> Result<Vec<Result<(), StorageFailure>>, StorageFailure> {
        Ok(writes
            .iter()
            .map(|write| match write {
                // `base` is a claim storage must check, not trust: a persist still in flight
                // when its document was unloaded and loaded again makes it stale. This storage
                // merges whatever arrives, as the real store's fallback does.
                Write::Persist(_) if self.fail_writes => {
                    Err(StorageFailure::new(SimulatedFullDisk))
                }
                Write::Persist(request) => {
                    self.documents
                        .entry(request.doc)
                        .or_default()
                        .extend_from_slice(&request.changes);
                    self.wrote(request.doc, request.heads.clone());
                    Ok(())
                }
                Write::SyncState(state) => {
                    self.sync_states
                        .entry(state.doc)
                        .or_default()
                        .insert(state.storage_id.clone(), state.state.clone());
                    Ok(())
                }
            })
            .collect())
    }

    fn changes_since(
        &mut self,
        _conn: ConnectionId,
        since: u64,
        limit: u64,
    ) -> Result<ChangesPage, StorageFailure> {
        let (changes, cursor, more) = self.changed_since(since, limit.min(catchup::DEFAULT_PAGE));
        Ok(ChangesPage {
            changes,
            cursor,
            more,
        })
    }
}

impl CatchUpStore for MemoryStorage {
    fn cursor(&self) -> Result<u64, StorageFailure> {
        Ok(self.cursor)
    }

    fn pending(&self) -> Result<Vec<Differing>, StorageFailure> {
        Ok(self
            .pending_catch_up
            .iter()
            .filter(|(doc, heads)| {
                let stored = self.document(**doc);
                !heads.iter().all(|h| {
                    stored
                        .as_ref()
                        .is_some_and(|d| d.get_change_by_hash(h).is_some())
                })
            })
            .map(|(doc, heads)| Differing {
                doc: *doc,
                heads: heads.clone(),
            })
            .collect())
    }

    fn heads(&self, doc: DocumentId) -> Result<Option<Vec<ChangeHash>>, StorageFailure> {
        Ok(self.heads.get(&doc).cloned())
    }

    fn unacknowledged(&self) -> Result<Vec<DocumentId>, StorageFailure> {
        Ok(self
            .heads
            .keys()
            .filter(|doc| !self.acknowledged(**doc))
            .copied()
            .collect())
    }

    fn advance(
        &mut self,
        cursor: Option<u64>,
        pending: &[Differing],
    ) -> Result<(), StorageFailure> {
        for entry in pending {
            self.pending_catch_up.insert(entry.doc, entry.heads.clone());
        }
        if let Some(cursor) = cursor {
            self.cursor = cursor;
        }
        Ok(())
    }
}

/// Whether every head a sync message announces is in the stored document.
pub(super) fn heads_are_durable(storage: &MemoryStorage, message: &Message) -> bool {
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
