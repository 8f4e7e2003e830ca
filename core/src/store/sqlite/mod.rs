//! [`Store`]: the SQLite implementation, with the typed API on top of the raw one.
//!
//! This file holds the store itself: opening it, its one connection and its locks. The calls
//! are grouped by who makes them, one file each:
//! - `typed`: the app's typed API (create, get, update, delete, list, observers);
//! - `raw`: the sync engine's raw API (automerge documents, merges, sync states, catch-up) and
//!   the [`Storage`](super::Storage) impl;
//! - `registrations`: the server's document registrations;
//! - `maintenance`: stats and compaction;
//! - `append`: the one-chunk append every write ends in.
//!
//! # Connection and threads
//!
//! One `rusqlite::Connection` behind a `Mutex`. SQLite lets one writer in at a time anyway, a
//! phone's workload is a handful of documents at once, and one connection keeps every call's
//! load-modify-append sequence trivially serialised (no lost update between two `update`s of the
//! same document). `Store` is therefore `Send + Sync` and can be shared in an `Arc`. A poisoned
//! mutex is recovered: every call runs inside a rusqlite `Transaction`, which rolls back when a
//! panic drops it, so the connection is left clean.
//!
//! # Durability
//!
//! WAL journal with `synchronous=FULL`: every commit syncs the WAL before returning, so a call
//! that returned `Ok` survives a killed process *and* a power cut (with `NORMAL`, WAL commits can
//! be lost on power loss). The cost is one fsync per write, which a phone's edit rate affords.
//! Writes use `BEGIN IMMEDIATE` so they take the write lock up front and wait (busy timeout)
//! rather than fail half-way when another connection holds it.

mod append;
mod authoritative;
mod maintenance;
mod raw;
mod registrations;
mod typed;

use std::path::Path;
use std::sync::atomic::AtomicU64;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, Transaction, TransactionBehavior};

pub(super) use append::{append, append_to};

use super::blobs::{BlobDir, DEFAULT_PHOTO_CACHE_BYTES};
use super::cache::DocCache;
use super::catalog::CatalogCache;
use super::error::StoreError;
use super::meta::{self, Identity};
use super::observe::Observers;
use super::schema;
use crate::ids::StorageId;

pub use authoritative::{AuthoritativeChange, ListingRows};

/// How long a call waits for another connection's write lock before failing with `SQLITE_BUSY`.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The embedded document store: typed documents kept durably in one SQLite file.
#[derive(Debug)]
pub struct Store {
    pub(super) conn: Mutex<Connection>,
    pub(super) identity: Identity,
    observers: Observers,
    /// Documents in use; locked only while `conn` is held.
    cache: Mutex<DocCache>,
    /// The photo blobs beside the store file (`None` for a store in memory).
    pub(in crate::store) blobs: Option<BlobDir>,
    /// The photo cache's budget in bytes.
    pub(in crate::store) photo_budget: AtomicU64,
    /// The catalogs read lately.
    pub(in crate::store) catalogs: CatalogCache,
}

const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Store>();
};

/// Prepared statements kept per connection.
const STATEMENT_CACHE: usize = 64;

impl Store {
    /// Opens (creating if needed) the store at `path`, upgrading its schema.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref();
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        let conn = Connection::open(path)?;
        let mode: String =
            conn.pragma_update_and_check(None, "journal_mode", "wal", |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(%mode, path = %path.display(), "store could not switch to WAL");
        }
        // Photos live beside the file: `phone.sqlite.blobs/`.
        let mut blobs = path.as_os_str().to_owned();
        blobs.push(".blobs");
        Self::init(conn, Some(BlobDir::open(blobs.into())?))
    }

    /// A store that lives in memory only (tests, previews). It holds no photos.
    pub fn open_in_memory() -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory()?, None)
    }

    fn init(mut conn: Connection, blobs: Option<BlobDir>) -> Result<Self, StoreError> {
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // Every statement of the write path is cached; rusqlite's default of 16 is too few
        // to hold them all next to the read path's, and re-preparing was a tenth of a busy
        // server's CPU.
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        schema::migrate(&mut conn)?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let identity = meta::load_or_create(&tx)?;
        tx.commit()?;
        tracing::debug!(storage_id = %identity.storage_id, "store opened");
        Ok(Self {
            conn: Mutex::new(conn),
            identity,
            observers: Observers::default(),
            cache: Mutex::new(DocCache::default()),
            blobs,
            photo_budget: AtomicU64::new(DEFAULT_PHOTO_CACHE_BYTES),
            catalogs: CatalogCache::default(),
        })
    }

    pub(super) fn conn(&self) -> MutexGuard<'_, Connection> {
        // See the module docs: a panic mid-call rolled its transaction back.
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The loaded-document cache. Take it only while holding [`Self::conn`] (lock order: the
    /// connection, then the cache). A panic while it was held can have left at most one entry
    /// out of it, which is then simply reloaded.
    pub(super) fn cache(&self) -> MutexGuard<'_, DocCache> {
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn observers(&self) -> &Observers {
        &self.observers
    }

    pub(super) fn actor(&self) -> &automerge::ActorId {
        &self.identity.actor
    }

    /// This store's storage id, made on first open and kept.
    pub fn storage_id(&self) -> &StorageId {
        &self.identity.storage_id
    }

    /// Runs SQLite's `PRAGMA integrity_check` (reads the whole file: call it on demand, not on
    /// every open).
    pub fn check_integrity(&self) -> Result<(), StoreError> {
        let conn = self.conn();
        let result: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        if result == "ok" {
            Ok(())
        } else {
            Err(StoreError::corrupt(format!("integrity check: {result}")))
        }
    }
}

impl Drop for Store {
    /// Writes the value snapshots the cache still owes, so the next session's first read of a
    /// document edited in this one is cheap. Failures are logged (see `write_snapshots`).
    fn drop(&mut self) {
        let mut conn = self.conn();
        let gone = self.cache().set_budget(0);
        self.write_snapshots(&mut conn, gone);
    }
}

/// Begins a write transaction that takes the write lock up front.
pub(super) fn write_tx(conn: &mut Connection) -> Result<Transaction<'_>, StoreError> {
    Ok(conn.transaction_with_behavior(TransactionBehavior::Immediate)?)
}
