//! Maintenance of [`Store`]: storage statistics and compaction (a fresh snapshot replacing the
//! old one and its chunks).
//!
//! Writes only append chunks, so a document edited often grows a tail that every cold load must
//! replay. Compaction folds it back: on demand ([`Store::compact`]) or after a write when the
//! chunks have outgrown the snapshot, where a failure is only logged because the write it follows
//! has already committed.

use rusqlite::{Connection, TransactionBehavior};

use super::{Store, write_tx};
use crate::ids::DocumentId;
use crate::store::cache::{Cached, row_version};
use crate::store::documents::{self, Compaction, DocumentStats, Loaded};
use crate::store::error::StoreError;

impl Store {
    /// How document `id` is stored (snapshot and chunk sizes).
    pub fn stats(&self, id: DocumentId) -> Result<DocumentStats, StoreError> {
        Ok(self.load_existing(id)?.stats)
    }

    /// Compacts document `id` now, whatever its size: a new snapshot replaces the old one and its
    /// chunks, in one transaction. Errors are returned (the automatic compaction after a write
    /// only logs them, because the write itself has already succeeded).
    pub fn compact(&self, id: DocumentId) -> Result<Compaction, StoreError> {
        let mut conn = self.conn();
        let tx = write_tx(&mut conn)?;
        let mut loaded =
            documents::load(&tx, &id, &self.identity.actor)?.ok_or(StoreError::NotFound(id))?;
        let done = documents::compact(
            &tx,
            &id,
            &mut loaded.doc,
            loaded.generation,
            loaded.last_chunk,
        )?;
        tx.commit()?;
        Ok(done)
    }

    fn load_existing(&self, id: DocumentId) -> Result<Loaded, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        documents::load(&tx, &id, &self.identity.actor)?.ok_or(StoreError::NotFound(id))
    }

    /// [`Self::maybe_compact`] for a cache entry, keeping its row version current; on any
    /// failure the entry is made stale (its generation unknown) so it is reloaded next time.
    pub(in crate::store) fn compact_entry(
        &self,
        conn: &mut Connection,
        id: DocumentId,
        entry: &mut Cached,
    ) {
        if !documents::needs_compaction(&entry.stats) {
            return;
        }
        let result = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::from)
            .and_then(|tx| {
                let (doc, generation, last_chunk) = entry.as_loaded_parts();
                let done = documents::compact(&tx, &id, doc, generation, last_chunk)?;
                let version = row_version(&tx, &id)?;
                let summary = documents::summary(&tx, &id)?;
                tx.commit()?;
                Ok((done, version, summary))
            });
        match result {
            Ok((done, Some((seq, generation)), Some(summary))) => {
                tracing::debug!(document = %id, ?done, "compacted");
                entry.seq = seq;
                entry.generation = generation;
                entry.stats = summary.stats;
                if matches!(done, Compaction::Compacted { .. }) {
                    entry.last_chunk = None;
                }
            }
            Ok(_) => entry.generation = -1,
            Err(error) => {
                entry.generation = -1;
                tracing::warn!(
                    document = %id,
                    error = &error as &dyn std::error::Error,
                    "compaction failed; the chunks are kept"
                );
            }
        }
    }

    /// Compacts after a committed write if the chunks have outgrown the snapshot. The write has
    /// already succeeded, so a failure here is logged, not returned: the chunks stay and loading
    /// keeps working; the next write retries.
    pub(super) fn maybe_compact(&self, conn: &mut Connection, id: DocumentId, mut loaded: Loaded) {
        if !documents::needs_compaction(&loaded.stats) {
            return;
        }
        let result = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::from)
            .and_then(|tx| {
                let done = documents::compact(
                    &tx,
                    &id,
                    &mut loaded.doc,
                    loaded.generation,
                    loaded.last_chunk,
                )?;
                tx.commit()?;
                Ok(done)
            });
        match result {
            Ok(done) => tracing::debug!(document = %id, before = ?loaded.stats, ?done, "compacted"),
            Err(error) => tracing::warn!(
                document = %id,
                error = &error as &dyn std::error::Error,
                "compaction failed; the chunks are kept"
            ),
        }
    }
}
