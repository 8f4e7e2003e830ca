//! The loaded-document cache: documents in use kept in memory, as their automerge handle and
//! their typed value, so a phone editing or reading a storecheck does not load and hydrate it
//! from SQLite on every tap.
//!
//! Bounded by an estimate of memory (least recently used entries go first). An entry is trusted
//! only while the row it was read from is unchanged: every write to a document bumps its
//! catch-up sequence and every compaction its generation, and each use of an entry compares both
//! with the row (one indexed read) inside the caller's transaction. Writes by another connection
//! or another path of this store (a merge from sync, a batch) therefore make the entry stale and
//! it is reloaded, never served.

use std::any::Any;
use std::collections::HashMap;

use automerge::{AutoCommit, ChangeHash};
use rusqlite::{Connection, OptionalExtension};

use super::documents::{DocumentStats, Loaded};
use super::error::StoreError;
use crate::ids::DocumentId;

/// Default memory budget of the cache: 32 MiB (estimated; see [`Cached::cost`]).
pub const DEFAULT_CACHE_BYTES: usize = 32 * 1024 * 1024;

/// How much larger a document is in memory than its stored bytes: automerge keeps every
/// operation uncompressed plus its indexes, and the typed value its strings. Measured on the
/// storechecks of `edit_bench` (a 6 KiB snapshot takes ~0.5 MiB as handle + value); an
/// estimate used only to bound the cache.
const MEMORY_PER_STORED_BYTE: usize = 80;

/// Serialises a cached value for its snapshot (the entry knows its own type): the kind's name
/// and the JSON, or `None` when the value is not of that type.
pub(crate) type SnapshotOf = fn(&dyn Any) -> Option<(&'static str, serde_json::Result<Vec<u8>>)>;

/// One document in memory.
pub(crate) struct Cached {
    /// The automerge handle, with the store's actor.
    pub doc: AutoCommit,
    /// The typed value hydrated from `doc` and kept equal to it by applying the same edits.
    pub value: Box<dyn Any + Send>,
    /// The row's catch-up sequence when the entry was made current.
    pub seq: i64,
    /// The snapshot's compaction generation.
    pub generation: i64,
    /// The last chunk `doc` covers.
    pub last_chunk: Option<i64>,
    /// What is stored.
    pub stats: DocumentStats,
    /// The heads stored in the row (`doc`'s heads, unless a migration is pending in memory).
    pub stored_heads: Vec<ChangeHash>,
    /// Serialises `value` for its snapshot (the entry knows its own type) and names its kind.
    pub snapshot_of: SnapshotOf,
    /// Edited since its value snapshot was last written: the snapshot is written when the
    /// entry leaves the cache (or the store is dropped), not on every tap.
    pub snapshot_due: bool,
}

impl std::fmt::Debug for Cached {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cached")
            .field("seq", &self.seq)
            .field("generation", &self.generation)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl Cached {
    /// An entry from a document just loaded, with its typed value.
    pub fn new(
        loaded: Loaded,
        value: Box<dyn Any + Send>,
        seq: i64,
        snapshot_of: SnapshotOf,
    ) -> Self {
        let Loaded {
            mut doc,
            stats,
            generation,
            last_chunk,
        } = loaded;
        let stored_heads = doc.get_heads();
        Cached {
            doc,
            value,
            seq,
            generation,
            last_chunk,
            stats,
            stored_heads,
            snapshot_of,
            snapshot_due: false,
        }
    }

    /// Estimated bytes of memory.
    pub fn cost(&self) -> usize {
        (self.stats.snapshot_bytes + self.stats.chunk_bytes).saturating_mul(MEMORY_PER_STORED_BYTE)
    }

    /// The parts compaction needs, as the documents module takes them.
    pub fn as_loaded_parts(&mut self) -> (&mut AutoCommit, i64, Option<i64>) {
        (&mut self.doc, self.generation, self.last_chunk)
    }
}

/// The cache itself. Not synchronised: the store holds it under its connection lock.
#[derive(Debug)]
pub(crate) struct DocCache {
    entries: HashMap<DocumentId, (u64, Cached)>,
    tick: u64,
    used: usize,
    budget: usize,
}

impl Default for DocCache {
    fn default() -> Self {
        DocCache {
            entries: HashMap::new(),
            tick: 0,
            used: 0,
            budget: DEFAULT_CACHE_BYTES,
        }
    }
}

/// The row's catch-up sequence and generation, or `None` when the document is not stored.
pub(crate) fn row_version(
    conn: &Connection,
    id: &DocumentId,
) -> Result<Option<(i64, i64)>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT seq, generation FROM documents WHERE id = ?1")?
        .query_row([id.as_bytes()], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

impl DocCache {
    /// Sets the memory budget, evicting what no longer fits (returned, for their snapshots);
    /// 0 turns the cache off.
    pub fn set_budget(&mut self, bytes: usize) -> Vec<(DocumentId, Cached)> {
        self.budget = bytes;
        self.evict()
    }

    /// Takes the entry of `id` out of the cache if it is still current for `version` (the row's
    /// sequence and generation, read by the caller in its transaction); a stale entry is dropped.
    pub fn take(&mut self, id: &DocumentId, version: (i64, i64)) -> Option<Cached> {
        let (_, entry) = self.entries.remove(id)?;
        self.used -= entry.cost();
        (entry.seq, entry.generation).eq(&version).then_some(entry)
    }

    /// A current entry of `id`, left in place, marked as just used.
    pub fn get(&mut self, id: &DocumentId, version: (i64, i64)) -> Option<&mut Cached> {
        let current = self
            .entries
            .get(id)
            .is_some_and(|(_, e)| (e.seq, e.generation) == version);
        if !current {
            self.forget(id);
            return None;
        }
        self.tick += 1;
        let tick = self.tick;
        self.entries.get_mut(id).map(|(t, e)| {
            *t = tick;
            e
        })
    }

    /// Puts an entry (back) in, then evicts the least recently used until within budget.
    /// Returns what left the cache (the entry itself when it does not fit), so the caller can
    /// write the snapshots they owe.
    pub fn put(&mut self, id: DocumentId, entry: Cached) -> Vec<(DocumentId, Cached)> {
        self.forget(&id);
        if entry.cost() > self.budget {
            return vec![(id, entry)];
        }
        self.tick += 1;
        self.used += entry.cost();
        self.entries.insert(id, (self.tick, entry));
        self.evict()
    }

    /// Drops the entry of `id`, if any.
    pub fn forget(&mut self, id: &DocumentId) {
        if let Some((_, e)) = self.entries.remove(id) {
            self.used -= e.cost();
        }
    }

    /// Estimated bytes held and entries.
    pub fn usage(&self) -> (usize, usize) {
        (self.used, self.entries.len())
    }

    fn evict(&mut self) -> Vec<(DocumentId, Cached)> {
        let mut gone = Vec::new();
        while self.used > self.budget {
            let Some(oldest) = self
                .entries
                .iter()
                .min_by_key(|(_, (tick, _))| *tick)
                .map(|(id, _)| *id)
            else {
                break;
            };
            if let Some((_, e)) = self.entries.remove(&oldest) {
                self.used -= e.cost();
                gone.push((oldest, e));
            }
        }
        gone
    }
}
