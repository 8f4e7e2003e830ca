//! Group commit: many documents' changes and sync states written in one transaction (one fsync),
//! and the raw reads a sync server needs to load a document without parsing it twice.
//!
//! A sync server acknowledges a change only once it is durable, and an fsync costs milliseconds:
//! writing each client's change in its own transaction would cap the whole server at a few hundred
//! acknowledgements per second. [`Store::write_batch`] takes everything queued, applies each item
//! inside its own SAVEPOINT (a refused item is rolled back alone and reported, the others still
//! commit) and commits once.
//!
//! Documents of no enlace kind (a stock automerge-repo client syncs arbitrary documents) are
//! stored without a listing row when the index function says `None`.
//!
//! This file holds the batch vocabulary and its loop; each item then takes one of two paths,
//! `append_path` (the changes appended as one chunk) or `merge` (the document loaded and the
//! changes applied), with `compact` folding chunks back inside the batch's transaction.
//! `reads` holds the raw reads.

mod append_path;
mod compact;
mod merge;
mod reads;
#[cfg(test)]
mod tests;

use automerge::{AutoCommit, ChangeHash};
use rusqlite::Connection;

use self::append_path::append_on;
use super::error::StoreError;
use super::sqlite::write_tx;
use super::storage::Merged;
use super::{Registration, Store, registry, sync_state};
use crate::ids::{DocumentId, StorageId};
use crate::model::{self, Listing, ModelError};

/// Chunk bytes the append path lets a document gather before compacting it, however small its
/// snapshot. Compacting loads, saves and reloads the whole document; for a small document
/// edited often (a write storm) the plain rule, chunks outgrowing the snapshot, fell due every
/// few dozen writes and took a third of the writer's time. The append path serves a sync
/// server, which keeps a document it is syncing in memory and reads the chunks back only when
/// it loads the document cold, so a longer tail of chunks costs little there.
pub(crate) const APPEND_PATH_MIN_CHUNK_BYTES: usize = 64 * 1024;

/// One write of a batch.
#[derive(Debug, Clone, Copy)]
pub enum BatchWrite<'a> {
    /// Another replica's changes to a document (as [`Store::merge_changes_with`] takes them).
    Changes {
        /// Which document.
        doc: DocumentId,
        /// The changes.
        bytes: &'a [u8],
        /// The heads the document must have once they are applied, when the caller knows them
        /// (the sync engine does: it applied the changes already). Checked after applying, in
        /// place of a strict parse up front.
        heads: Option<&'a [ChangeHash]>,
        /// The heads `bytes` were saved after (`save_after(base)`), when the caller knows them
        /// (the sync engine: what it last saw made durable). Together with `heads` this allows
        /// the append path: see [`Store::write_batch`].
        base: Option<&'a [ChangeHash]>,
    },
    /// A peer's sync state (as [`Store::save_sync_state`] takes it).
    SyncState {
        /// Which document.
        doc: DocumentId,
        /// Whose state.
        peer: &'a StorageId,
        /// The encoded state.
        state: &'a [u8],
    },
    /// A document's registration (see [`Store::register`]); the first one stays.
    Register {
        /// Which document.
        doc: DocumentId,
        /// Its kind, account and creator.
        registration: &'a Registration,
    },
}

/// The outcome of one [`BatchWrite`]: a merge's result, or `None` for a sync state or a
/// registration.
pub type BatchOutcome = Result<Option<Merged>, StoreError>;

/// The listing of `doc` if it is an enlace document, `None` for any other automerge document.
/// An enlace kind whose content does not hydrate is stored unlisted too (and logged): refusing it
/// would leave the sending replica unacknowledged forever.
pub fn listing_if_known(doc: &AutoCommit) -> Result<Option<Listing>, ModelError> {
    match model::listing_of(doc) {
        Ok(listing) => Ok(Some(listing)),
        Err(ModelError::UnknownKind { .. }) => Ok(None),
        Err(error) => {
            tracing::debug!(?error, "document has no listing");
            Ok(None)
        }
    }
}

impl Store {
    /// Applies every write in one transaction and commits once. Each item runs in its own
    /// savepoint: a refused item (malformed changes, missing dependencies, too large) is rolled
    /// back alone and its error returned in its slot; the outer `Err` means the commit itself
    /// failed and nothing of the batch is stored. Documents whose chunks outgrew their snapshot are
    /// compacted in the same transaction (a failed compaction is rolled back alone and logged).
    ///
    /// **Append path.** A write that names both `base` and `heads`, for a document stored at
    /// exactly `base` and keeping no listing row, is appended as one chunk without loading the
    /// document: the caller (the sync engine, which applied and checked these changes against
    /// its own copy) vouches that they lead from `base` to `heads`. Loading a document costs
    /// its whole history; a server taking a small edit to a large document should pay for the
    /// edit only. Any other write (a new document, stored heads that moved, a listed document)
    /// loads, applies and checks as before, and so does compaction when it falls due.
    pub fn write_batch(
        &self,
        writes: &[BatchWrite<'_>],
        index: impl Fn(&AutoCommit) -> Result<Option<Listing>, ModelError>,
    ) -> Result<Vec<BatchOutcome>, StoreError> {
        let mut conn = self.conn();
        let mut tx = write_tx(&mut conn)?;
        let mut outcomes = Vec::with_capacity(writes.len());
        for write in writes {
            let mut sp = tx.savepoint()?;
            let outcome = match *write {
                BatchWrite::Changes {
                    doc,
                    bytes,
                    heads,
                    base,
                } => self
                    .changes_in(&sp, doc, bytes, heads, base, &index)
                    .map(Some),
                BatchWrite::SyncState { doc, peer, state } => {
                    sync_state::save(&sp, &doc, peer, state).map(|()| None)
                }
                BatchWrite::Register { doc, registration } => {
                    registry::insert(&sp, &doc, registration).map(|_| None)
                }
            };
            if sp.is_autocommit() {
                // SQLite rolled the whole transaction back (an I/O error, a full disk): nothing
                // of the batch is stored. Report that cause, not the savepoint it took along.
                return Err(match outcome {
                    Err(error) => error,
                    Ok(_) => StoreError::corrupt("the transaction ended in the middle of a batch"),
                });
            }
            if outcome.is_ok() {
                sp.commit()?;
            } else {
                // Dropping the rolled-back savepoint releases it.
                sp.rollback()?;
            }
            outcomes.push(outcome);
        }
        tx.commit()?;
        Ok(outcomes)
    }

    /// One write of changes: the append path when it applies, `merge_in` otherwise.
    fn changes_in(
        &self,
        conn: &Connection,
        id: DocumentId,
        bytes: &[u8],
        heads: Option<&[ChangeHash]>,
        base: Option<&[ChangeHash]>,
        index: &impl Fn(&AutoCommit) -> Result<Option<Listing>, ModelError>,
    ) -> Result<Merged, StoreError> {
        match append_on(conn, id, bytes, heads.zip(base))? {
            Some(merged) => {
                self.compact_if_due(conn, id)?;
                Ok(merged)
            }
            None => self.merge_in(conn, id, bytes, heads, index),
        }
    }
}
