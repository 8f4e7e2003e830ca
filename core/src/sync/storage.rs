//! The storage half of the driver contract, written once: what the engine's storage effects
//! ([`Effect::Storage`](crate::sync::Effect::Storage)) mean, carried out against any
//! [`EngineStorage`] and answered with the events the engine expects.
//!
//! Every driver (the server's storage threads, the device client, the simulator, the test
//! client) routes storage effects here instead of working out the duties again:
//! - a [`StorageOp::Persist`] is answered with [`Event::Persisted`] only once its changes (and
//!   the registration it carries) are durable, and with a failure otherwise, never silently;
//! - a [`StorageOp::SaveSyncState`] needs no answer; a failure is logged (the peer only syncs a
//!   little more next time);
//! - a [`StorageOp::Load`] is answered with [`Event::Loaded`];
//! - a [`StorageOp::ChangesRequested`] is answered with [`Event::AnswerChanges`]; on a storage
//!   failure the page is empty and keeps the cursor, so the device simply asks again.
//!
//! Consecutive writes go to storage as one [`EngineStorage::write`] call, so a backend can
//! commit them in one transaction (one fsync for many clients' changes).

use automerge::ChangeHash;

use crate::ids::{DocumentId, StorageId};
use crate::model::Registration;
use crate::sync::{ConnectionId, Event, LoadedDocument, PersistTicket, StorageFailure};

/// Make these changes durable; answered with [`Event::Persisted`] only once they are.
#[derive(Debug, Clone, PartialEq)]
pub struct PersistRequest {
    /// Which document.
    pub doc: DocumentId,
    /// Echoed back in [`Event::Persisted`].
    pub ticket: PersistTicket,
    /// What `Automerge::load_incremental` accepts: the whole document saved (`save()`) when
    /// `base` is empty, otherwise the changes since `base` (`save_after`).
    pub changes: Vec<u8>,
    /// The heads `changes` were saved after: what the engine last saw made durable (empty for a
    /// document new to storage). Storage holding exactly these heads can append the changes
    /// without loading the document; storage must check this claim, not trust it.
    pub base: Vec<ChangeHash>,
    /// The document's heads once these changes are applied.
    pub heads: Vec<ChangeHash>,
    /// The document's registration (kind, account, creator), decided by the access policy when
    /// its first changes arrived; written in the same transaction as the changes. Carried by
    /// every persist of the document until one succeeds, so a failed commit cannot lose it.
    pub registration: Option<Registration>,
}

/// Keep a peer's sync state (`automerge::sync::State::encode`); no answer needed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncStateWrite {
    /// Which document.
    pub doc: DocumentId,
    /// Whose state: the peer's storage id.
    pub storage_id: StorageId,
    /// The encoded state.
    pub state: Vec<u8>,
}

/// One storage operation the engine asks of its driver.
#[derive(Debug, Clone, PartialEq)]
pub enum StorageOp {
    /// Read a document and its sync states; answered with [`Event::Loaded`].
    Load {
        /// Which document.
        doc: DocumentId,
    },
    /// Make changes durable; answered with [`Event::Persisted`].
    Persist(PersistRequest),
    /// Keep a peer's sync state; no answer.
    SaveSyncState(SyncStateWrite),
    /// A connection asked for a catch-up page (server role); answered with
    /// [`Event::AnswerChanges`].
    ChangesRequested {
        /// Which connection.
        conn: ConnectionId,
        /// Its cursor.
        since: u64,
        /// Its page size.
        limit: u64,
    },
}

impl StorageOp {
    /// Whether this op writes (persists or sync states): a driver with separate writer and
    /// reader threads sends writes to the writer, in order.
    pub fn is_write(&self) -> bool {
        matches!(self, StorageOp::Persist(_) | StorageOp::SaveSyncState(_))
    }

    /// The answer the engine must get when this op cannot be carried out at all (the storage
    /// thread is gone): a failure for persists and loads, an empty page for catch-up.
    pub fn failed(self, failure: StorageFailure) -> Option<Event> {
        match self {
            StorageOp::Load { doc } => Some(Event::Loaded {
                doc,
                result: Err(failure),
            }),
            StorageOp::Persist(request) => Some(Event::Persisted {
                doc: request.doc,
                ticket: request.ticket,
                result: Err(failure),
            }),
            StorageOp::SaveSyncState(write) => {
                tracing::warn!(doc = %write.doc, error = %failure.report(), "saving a sync state failed");
                None
            }
            StorageOp::ChangesRequested { conn, since, .. } => {
                tracing::warn!(%conn, error = %failure.report(), "catch-up request dropped");
                Some(empty_page(conn, since))
            }
        }
    }
}

/// One write of a group handed to [`EngineStorage::write`].
#[derive(Debug, Clone, Copy)]
pub enum Write<'a> {
    /// Changes (and a registration) to make durable.
    Persist(&'a PersistRequest),
    /// A peer's sync state.
    SyncState(&'a SyncStateWrite),
}

/// A catch-up page read from storage: documents changed after a cursor, with their heads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangesPage {
    /// The documents and their heads, oldest change first.
    pub changes: Vec<(DocumentId, Vec<ChangeHash>)>,
    /// The cursor to ask from next.
    pub cursor: u64,
    /// Whether more pages follow.
    pub more: bool,
}

/// What a driver's storage must offer the engine. Implemented by the device store, the
/// server's storage threads, the simulator's memory and test doubles.
pub trait EngineStorage {
    /// Reads a document and its peers' sync states.
    fn load(&mut self, doc: DocumentId) -> Result<LoadedDocument, StorageFailure>;

    /// Makes `writes` durable, in one transaction where the storage can: one result per write,
    /// in order, or `Err` when nothing was written.
    #[allow(clippy::type_complexity)]
    fn write(
        &mut self,
        writes: &[Write<'_>],
    ) -> Result<Vec<Result<(), StorageFailure>>, StorageFailure>;

    /// A catch-up page for `conn` (server role). Storage that never serves catch-up (a device)
    /// keeps this default: an empty last page at the same cursor.
    fn changes_since(
        &mut self,
        _conn: ConnectionId,
        since: u64,
        _limit: u64,
    ) -> Result<ChangesPage, StorageFailure> {
        Ok(ChangesPage {
            changes: Vec::new(),
            cursor: since,
            more: false,
        })
    }
}

/// Carries out `ops` in order against `storage` and returns the events that answer them, in
/// the order the ops came. Consecutive writes share one [`EngineStorage::write`] call.
pub fn execute(storage: &mut impl EngineStorage, ops: Vec<StorageOp>) -> Vec<Event> {
    let mut events = Vec::new();
    let mut ops = ops.into_iter().peekable();
    while let Some(op) = ops.next() {
        if op.is_write() {
            let mut group = vec![op];
            while let Some(next) = ops.next_if(StorageOp::is_write) {
                group.push(next);
            }
            events.extend(write_group(storage, group));
            continue;
        }
        match op {
            StorageOp::Load { doc } => events.push(Event::Loaded {
                doc,
                result: storage.load(doc),
            }),
            StorageOp::ChangesRequested { conn, since, limit } => {
                events.push(match storage.changes_since(conn, since, limit) {
                    Ok(page) => Event::AnswerChanges {
                        conn,
                        changes: page.changes,
                        cursor: page.cursor,
                        more: page.more,
                    },
                    Err(failure) => {
                        tracing::error!(%conn, error = %failure.report(), "reading a catch-up page failed");
                        empty_page(conn, since)
                    }
                });
            }
            StorageOp::Persist(_) | StorageOp::SaveSyncState(_) => {}
        }
    }
    events
}

/// Writes a group of persists and sync states and answers each persist.
fn write_group(storage: &mut impl EngineStorage, group: Vec<StorageOp>) -> Vec<Event> {
    let writes: Vec<Write<'_>> = group
        .iter()
        .filter_map(|op| match op {
            StorageOp::Persist(request) => Some(Write::Persist(request)),
            StorageOp::SaveSyncState(write) => Some(Write::SyncState(write)),
            StorageOp::Load { .. } | StorageOp::ChangesRequested { .. } => None,
        })
        .collect();
    let outcomes = match storage.write(&writes) {
        Ok(outcomes) if outcomes.len() == writes.len() => outcomes,
        Ok(outcomes) => {
            let failure = StorageFailure::new(WrongAnswerCount {
                writes: writes.len(),
                answers: outcomes.len(),
            });
            tracing::error!(error = %failure.report(), "storage answered a write group wrongly");
            vec![Err(failure); writes.len()]
        }
        // Each persist's failure reaches the engine, which logs it with its retry.
        Err(failure) => vec![Err(failure); writes.len()],
    };
    drop(writes);
    group
        .into_iter()
        .zip(outcomes)
        .filter_map(|(op, outcome)| match (op, outcome) {
            (StorageOp::Persist(request), result) => Some(Event::Persisted {
                doc: request.doc,
                ticket: request.ticket,
                result,
            }),
            (op, Err(failure)) => op.failed(failure),
            (_, Ok(())) => None,
        })
        .collect()
}

/// An empty last page that keeps the cursor.
fn empty_page(conn: ConnectionId, since: u64) -> Event {
    Event::AnswerChanges {
        conn,
        changes: Vec::new(),
        cursor: since,
        more: false,
    }
}

/// A storage implementation answered a different number of writes than it was given.
#[derive(Debug, thiserror::Error)]
#[error("storage answered {answers} results for {writes} writes")]
struct WrongAnswerCount {
    writes: usize,
    answers: usize,
}
