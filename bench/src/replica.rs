//! One client's copy of one document and its sync state with the server: an
//! `automerge::Automerge` plus an `automerge::sync::State`, nothing else (no engine, no store).

use std::collections::HashMap;
use std::time::Duration;

use automerge::sync::{self, SyncDoc};
use automerge::transaction::{Transactable, Transaction};
use automerge::{Automerge, ChangeHash, ROOT};
use enlace_core::ids::DocumentId;
use enlace_core::wire::Message;

use crate::conn::{Conn, SyncKind};
use crate::error::BenchError;

/// The root `kind` every benchmark document carries, so enlace can classify it.
pub const KIND: &str = "storecheck";

/// The account every benchmark document names (the account `seed` makes).
pub const ACCOUNT: &str = "bench";

/// Writes what enlace needs to classify a document into its first change. The reference
/// server ignores it.
pub fn classify(tx: &mut Transaction<'_>) -> Result<(), BenchError> {
    tx.put(ROOT, "kind", KIND)?;
    tx.put(ROOT, "account_id", ACCOUNT)?;
    Ok(())
}

/// A client's replica of one document.
#[derive(Debug)]
pub struct Replica {
    /// Which document.
    pub id: DocumentId,
    /// Our copy.
    pub doc: Automerge,
    state: sync::State,
    /// The heads of the last sync message the server sent us about this document.
    server_heads: Option<Vec<ChangeHash>>,
}

impl Replica {
    /// A new document whose first change is `first` (after the classifying keys).
    pub fn create(
        id: DocumentId,
        first: impl FnOnce(&mut Transaction<'_>) -> Result<(), BenchError>,
    ) -> Result<Self, BenchError> {
        let mut replica = Replica::empty(id);
        replica.edit(|tx| {
            classify(tx)?;
            first(tx)
        })?;
        Ok(replica)
    }

    /// A replica of a document we do not hold yet (we will `request` it).
    pub fn empty(id: DocumentId) -> Self {
        Replica {
            id,
            doc: Automerge::new(),
            state: sync::State::new(),
            server_heads: None,
        }
    }

    /// Commits one local change.
    pub fn edit(
        &mut self,
        change: impl FnOnce(&mut Transaction<'_>) -> Result<(), BenchError>,
    ) -> Result<(), BenchError> {
        let mut tx = self.doc.transaction();
        change(&mut tx)?;
        tx.commit();
        Ok(())
    }

    /// The next sync message for the server, if automerge has one, and how to send it.
    pub fn outgoing(&mut self) -> Option<(Vec<u8>, SyncKind)> {
        let message = self.doc.generate_sync_message(&mut self.state)?;
        let kind = if self.doc.get_heads().is_empty() {
            SyncKind::Request
        } else {
            SyncKind::Sync
        };
        Some((message.encode(), kind))
    }

    /// Applies a sync message from the server. Returns whether our heads moved.
    pub fn receive(&mut self, data: &[u8]) -> Result<bool, BenchError> {
        let message = sync::Message::decode(data)?;
        let before = self.doc.get_heads();
        self.server_heads = Some(sorted(message.heads.clone()));
        self.doc.receive_sync_message(&mut self.state, message)?;
        Ok(self.doc.get_heads() != before)
    }

    /// Our heads, sorted.
    pub fn heads(&self) -> Vec<ChangeHash> {
        sorted(self.doc.get_heads())
    }

    /// Whether the server said it holds every change we hold (and we hold something).
    pub fn acknowledged(&self) -> bool {
        let ours = self.doc.get_heads();
        !ours.is_empty()
            && self
                .server_heads
                .as_ref()
                .is_some_and(|theirs| ours.iter().all(|h| theirs.contains(h)))
    }

    /// Whether the server's last heads are exactly ours (and we hold something).
    pub fn in_sync(&self) -> bool {
        self.server_heads
            .as_ref()
            .is_some_and(|theirs| !theirs.is_empty() && *theirs == self.heads())
    }

    /// Prepares for a new connection as a persistent peer would: keep only the shared heads
    /// (what `sync::State::encode` persists), forget what the server said.
    pub fn resume(&mut self) {
        let mut state = sync::State::new();
        state.shared_heads = self.state.shared_heads.clone();
        self.state = state;
        self.server_heads = None;
    }

    /// Starts the sync over (after `doc-unavailable`, to ask again).
    pub fn restart(&mut self) {
        self.state = sync::State::new();
        self.server_heads = None;
    }
}

fn sorted(mut heads: Vec<ChangeHash>) -> Vec<ChangeHash> {
    heads.sort_unstable();
    heads
}

/// Sends whatever `replica` has for the server.
pub async fn flush(conn: &mut Conn, replica: &mut Replica) -> Result<(), BenchError> {
    if let Some((data, kind)) = replica.outgoing() {
        conn.send_sync(replica.id, data, kind).await?;
    }
    Ok(())
}

/// Syncs `replicas` over `conn`, answering the server, until `done` holds of all of them, at
/// most `patience`. A document the server says is unavailable is asked for again after a pause
/// (the reference server does not push late arrivals).
pub async fn sync_until(
    conn: &mut Conn,
    replicas: &mut [Replica],
    done: impl Fn(&Replica) -> bool,
    what: &str,
    patience: Duration,
) -> Result<(), BenchError> {
    let index: HashMap<DocumentId, usize> = replicas
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id, i))
        .collect();
    let mut pending = replicas.iter().filter(|r| !done(r)).count();
    let work = async {
        for replica in replicas.iter_mut() {
            flush(conn, replica).await?;
        }
        while pending > 0 {
            let message = conn.recv().await?;
            let Some(&i) = message.document_id().and_then(|d| index.get(&d)) else {
                continue;
            };
            let replica = &mut replicas[i];
            let was_done = done(replica);
            match message {
                Message::Sync { data, .. } | Message::Request { data, .. } => {
                    replica.receive(&data)?;
                    flush(conn, replica).await?;
                }
                Message::DocUnavailable { .. } => {
                    // Not there yet (its creator's sync is still on the way). enlace would send
                    // it on arrival, but the reference server never does, so ask again after a
                    // pause, as an app polling for a new document would; the step's deadline
                    // bounds it.
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    replica.restart();
                    flush(conn, replica).await?;
                }
                _ => {}
            }
            match (was_done, done(replica)) {
                (false, true) => pending -= 1,
                (true, false) => pending += 1,
                _ => {}
            }
        }
        Ok::<(), BenchError>(())
    };
    let outcome = tokio::time::timeout(patience, work).await;
    match outcome {
        Ok(result) => result,
        Err(_) => {
            let missing = replicas.iter().filter(|r| !done(r)).count();
            Err(BenchError::deadline(
                format!(
                    "{what} ({missing} of {} documents still waiting)",
                    replicas.len()
                ),
                patience,
            ))
        }
    }
}
