//! [`Store`]: the SQLite implementation, with the typed API on top of the raw one.
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

use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use automerge::{AutoCommit, ChangeHash};
use rusqlite::{Connection, Transaction, TransactionBehavior};

use super::cache::{Cached, DocCache, row_version};
use super::documents::{self, Compaction, DocumentStats, Loaded};
use super::error::StoreError;
use super::listing::{self, ListedDocument, Query};
use super::meta::{self, Identity};
use super::model_glue;
use super::observe::{Observer, ObserverId, Observers};
use super::schema;
use super::storage::{IndexFn, MergeOutcome, Merged, Storage};
use super::sync_state;
use super::{MAX_CHANGED_SINCE_LIMIT, MAX_MERGE_BYTES};
use crate::ids::{DocumentId, StorageId};
use crate::model::{Document, Listing, ModelError};

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
}

const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Store>();
};

/// Prepared statements kept per connection.
const STATEMENT_CACHE: usize = 64;

/// Why [`Store::create`] refuses a document without an account.
const NO_ACCOUNT: &str = "every document needs an account to sync: the server refuses a \
    document without one, so it would never leave this device";

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
        Self::init(conn)
    }

    /// A store that lives in memory only (tests, previews).
    pub fn open_in_memory() -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(mut conn: Connection) -> Result<Self, StoreError> {
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

    // ---- typed API ----

    /// Stores a new document holding `value` and returns its id (`value.id()`).
    ///
    /// A value without an account (`listing().account_id` is `None`, possible for meeting notes
    /// and action items) is refused with [`StoreError::InvalidValue`] on `account_id` and
    /// nothing is written: a server places every document in an account
    /// ([`classify`](crate::model::classify)) and refuses one without, so such a document would
    /// never leave this device.
    pub fn create<D: Document>(&self, value: &D) -> Result<DocumentId, StoreError> {
        let mut conn = self.conn();
        let tx = write_tx(&mut conn)?;
        let id = self.insert_new(&tx, value)?;
        tx.commit()?;
        drop(conn);
        self.observers.notify(&[id]);
        Ok(id)
    }

    /// The body of [`Self::create`], inside the caller's write transaction: validates `value`
    /// (an account included) and stores it as a new document.
    pub(super) fn insert_new<D: Document>(
        &self,
        tx: &Connection,
        value: &D,
    ) -> Result<DocumentId, StoreError> {
        let id = value.id();
        value.validate().map_err(StoreError::invalid)?;
        let listing = value.listing();
        if listing.account_id.is_none() {
            return Err(StoreError::invalid(ModelError::invalid(
                "account_id",
                NO_ACCOUNT,
            )));
        }
        if documents::exists(tx, &id)? {
            return Err(StoreError::AlreadyExists(id));
        }
        let mut doc = model_glue::new_document(value)
            .map_err(|e| StoreError::from_model(id, e))?
            .with_actor(self.identity.actor.clone());
        let snapshot = doc.save();
        documents::insert(tx, &id, &snapshot, &doc.get_heads())?;
        listing::upsert(tx, &id, &listing)?;
        if let Some((seq, _)) = row_version(tx, &id)? {
            super::snapshot::write(tx, &id, seq, value)?;
        }
        Ok(id)
    }

    /// The typed value of document `id`.
    /// Served from the loaded-document cache when the document is in use (see [`Self::read`]).
    pub fn get<D: Document>(&self, id: DocumentId) -> Result<D, StoreError> {
        self.read(id, D::clone)
    }

    /// Edits document `id`: hydrates it, runs `edit` on the value, validates the result (alone
    /// and as a transition from the stored value), writes the difference as one chunk and updates
    /// the listing, all in one transaction. An error from `edit` or from validation writes
    /// nothing and comes back as [`StoreError::InvalidValue`]. Returns what `edit` returned.
    pub fn update<D, R>(
        &self,
        id: DocumentId,
        edit: impl FnOnce(&mut D) -> Result<R, ModelError>,
    ) -> Result<R, StoreError>
    where
        D: Document,
    {
        let mut conn = self.conn();
        let tx = write_tx(&mut conn)?;
        let mut loaded =
            documents::load(&tx, &id, &self.identity.actor)?.ok_or(StoreError::NotFound(id))?;
        let heads_before = loaded.doc.get_heads();
        let model = |e| StoreError::from_model(id, e);
        model_glue::migrate::<D>(&mut loaded.doc).map_err(model)?;
        let before: D = model_glue::hydrate_document(&loaded.doc).map_err(model)?;
        let mut after = before.clone();
        let out = edit(&mut after).map_err(StoreError::invalid)?;
        if after.id() != id {
            return Err(StoreError::invalid(ModelError::InvalidValue {
                field: "id".into(),
                reason: format!("cannot change from {id} to {}", after.id()),
            }));
        }
        model_glue::write_document(&mut loaded.doc, &before, &after).map_err(model)?;
        let written = append(&tx, id, &mut loaded, &heads_before, Some(&after.listing()))?;
        tx.commit()?;
        if written {
            self.maybe_compact(&mut conn, id, loaded);
            drop(conn);
            self.observers.notify(&[id]);
        }
        Ok(out)
    }

    /// Soft-deletes document `id` (sets its `deleted` flag; the content stays and syncs).
    pub fn delete<D: Document>(&self, id: DocumentId) -> Result<(), StoreError> {
        self.update::<D, ()>(id, |d| {
            d.set_deleted(true);
            Ok(())
        })
    }

    /// Copies document `id` into a new document with a fresh id: the same content and history
    /// (a fork, so its text keeps merging), with the root `id` set to the new id. For a
    /// document whose id the server will not take (the id belongs to a document its author may
    /// not access); the original stays as it is, so nothing is lost. Returns the new id.
    pub fn copy_under_new_id(&self, id: DocumentId) -> Result<DocumentId, StoreError> {
        use automerge::transaction::Transactable;
        let fresh = DocumentId::new_random();
        let mut conn = self.conn();
        let tx = write_tx(&mut conn)?;
        let loaded =
            documents::load(&tx, &id, &self.identity.actor)?.ok_or(StoreError::NotFound(id))?;
        let mut doc = loaded.doc;
        let mut copy = doc.fork().with_actor(self.identity.actor.clone());
        copy.put(automerge::ROOT, "id", fresh.to_string())
            .map_err(|source| StoreError::malformed(fresh, source))?;
        let listing =
            crate::model::listing_of(&copy).map_err(|e| StoreError::from_model(fresh, e))?;
        documents::insert(&tx, &fresh, &copy.save(), &copy.get_heads())?;
        listing::upsert(&tx, &fresh, &listing)?;
        tx.commit()?;
        drop(conn);
        self.observers.notify(&[fresh]);
        Ok(fresh)
    }

    /// Lists documents from the index (no CRDT is loaded).
    pub fn list(&self, query: &Query) -> Result<Vec<ListedDocument>, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        listing::query(&tx, query)
    }

    /// Registers `observer`, called with the ids of the documents each committed write changed
    /// (create, update, delete, merge), after every lock of the store is released, on the thread
    /// that wrote. See the `observe` module docs.
    pub fn add_observer(&self, observer: Observer) -> ObserverId {
        self.observers.add(observer)
    }

    /// Unregisters observer `id`; returns whether it was registered. A notification already
    /// under way may still reach it once.
    pub fn remove_observer(&self, id: ObserverId) -> bool {
        self.observers.remove(id)
    }

    // ---- raw API ----

    /// The whole document, or `None` when it is not stored. Its text indices count UTF-8 bytes
    /// ([`TEXT_ENCODING`](super::TEXT_ENCODING)).
    pub fn load_raw(&self, id: DocumentId) -> Result<Option<AutoCommit>, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        Ok(documents::load(&tx, &id, &self.identity.actor)?.map(|l| l.doc))
    }

    /// The document's heads, or `None` when it is not stored.
    pub fn heads(&self, id: DocumentId) -> Result<Option<Vec<ChangeHash>>, StoreError> {
        documents::heads(&self.conn(), &id)
    }

    /// Applies another replica's changes to document `id` (creating it if new) and indexes the
    /// result with `index`; see [`Storage::merge_changes`]. At most [`MAX_MERGE_BYTES`].
    pub fn merge_changes_with(
        &self,
        id: DocumentId,
        bytes: &[u8],
        index: impl Fn(&AutoCommit) -> Result<Listing, ModelError>,
    ) -> Result<Merged, StoreError> {
        if bytes.len() > MAX_MERGE_BYTES {
            return Err(StoreError::TooLarge {
                what: "merged changes",
                len: bytes.len(),
                max: MAX_MERGE_BYTES,
            });
        }
        // Parse everything before touching the database: automerge's `load_incremental` would
        // apply the valid prefix of a damaged input and only log the rest. Missing dependencies
        // are fine at this point (they may be in our copy); they are checked after applying.
        documents::check_untrusted(id, bytes)?;
        match documents::load_strict(bytes) {
            Ok(_) | Err(automerge::AutomergeError::MissingDeps) => {}
            Err(source) => return Err(StoreError::malformed(id, source)),
        }
        let mut conn = self.conn();
        let tx = write_tx(&mut conn)?;
        let mut existing = documents::load(&tx, &id, &self.identity.actor)?;
        let mut fresh = documents::new_doc().with_actor(self.identity.actor.clone());
        // On error below, `doc` (a copy in memory) is simply dropped and the transaction rolled
        // back: nothing of a refused merge is stored.
        let doc = existing.as_mut().map_or(&mut fresh, |l| &mut l.doc);
        let heads_before = doc.get_heads();
        doc.load_incremental(bytes)
            .map_err(|source| StoreError::malformed(id, source))?;
        let missing = doc.get_missing_deps(&[]).len();
        if missing > 0 {
            return Err(StoreError::MissingDependencies { id, missing });
        }
        let heads = doc.get_heads();
        if heads == heads_before {
            return Ok(Merged {
                outcome: MergeOutcome::Unchanged,
                heads,
            });
        }
        let listing = index(doc).map_err(|e| StoreError::from_model(id, e))?;
        match existing {
            Some(mut loaded) => {
                append(&tx, id, &mut loaded, &heads_before, Some(&listing))?;
                tx.commit()?;
                self.maybe_compact(&mut conn, id, loaded);
                drop(conn);
                self.observers.notify(&[id]);
                Ok(Merged {
                    outcome: MergeOutcome::Updated,
                    heads,
                })
            }
            None => {
                documents::insert(&tx, &id, &fresh.save(), &heads)?;
                listing::upsert(&tx, &id, &listing)?;
                tx.commit()?;
                drop(conn);
                self.observers.notify(&[id]);
                Ok(Merged {
                    outcome: MergeOutcome::Created,
                    heads,
                })
            }
        }
    }

    /// [`merge_changes_with`](Self::merge_changes_with) for a document known to be a `D`: the
    /// listing comes from the typed value, and bytes holding another kind are refused.
    pub fn merge_from<D: Document>(
        &self,
        id: DocumentId,
        other: &[u8],
    ) -> Result<Merged, StoreError> {
        self.merge_changes_with(id, other, |doc| {
            model_glue::hydrate_document::<D>(doc).map(|d| d.listing())
        })
    }

    /// Saves the sync state of `doc` with the peer whose storage id is `peer` (opaque bytes, at
    /// most [`MAX_SYNC_STATE_BYTES`](super::MAX_SYNC_STATE_BYTES)).
    pub fn save_sync_state(
        &self,
        doc: DocumentId,
        peer: &StorageId,
        state: &[u8],
    ) -> Result<(), StoreError> {
        sync_state::save(&self.conn(), &doc, peer, state)
    }

    /// The saved sync state of `doc` with `peer`, if any.
    pub fn load_sync_state(
        &self,
        doc: DocumentId,
        peer: &StorageId,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        sync_state::load(&self.conn(), &doc, peer)
    }

    /// Records a document's registration unless it has one; returns whether this call did.
    pub fn register(
        &self,
        id: DocumentId,
        registration: &super::Registration,
    ) -> Result<bool, StoreError> {
        let mut conn = self.conn();
        let tx = write_tx(&mut conn)?;
        let inserted = super::registry::insert(&tx, &id, registration)?;
        tx.commit()?;
        Ok(inserted)
    }

    /// Rewrites the account and creator of registered documents, in one transaction; returns
    /// how many it changed. For a server changing the form in which it writes them (say, to
    /// qualify ids that used to be unique): kinds stay, and a document never moves through
    /// this, since the server decides what the strings mean.
    pub fn rewrite_registrations(
        &self,
        registrations: &[(DocumentId, super::Registration)],
    ) -> Result<usize, StoreError> {
        let mut conn = self.conn();
        let tx = write_tx(&mut conn)?;
        let mut changed = 0;
        for (id, registration) in registrations {
            if super::registry::rewrite(&tx, id, registration)? {
                changed += 1;
            }
        }
        tx.commit()?;
        Ok(changed)
    }

    /// Every document registration (a server loads them at start).
    pub fn registrations(&self) -> Result<Vec<(DocumentId, super::Registration)>, StoreError> {
        super::registry::all(&self.conn())
    }

    /// Stored documents that have no registration.
    pub fn unregistered_documents(&self) -> Result<Vec<DocumentId>, StoreError> {
        super::registry::unregistered(&self.conn())
    }

    /// Every stored document id, in id order.
    pub fn document_ids(&self) -> Result<Vec<DocumentId>, StoreError> {
        documents::ids(&self.conn())
    }

    /// How many documents are stored.
    pub fn document_count(&self) -> Result<u64, StoreError> {
        documents::count(&self.conn())
    }

    /// Documents written after catch-up sequence `after`, oldest write first, at most `limit`
    /// (1..=[`MAX_CHANGED_SINCE_LIMIT`]).
    pub fn changed_since(
        &self,
        after: i64,
        limit: u32,
    ) -> Result<Vec<(DocumentId, i64)>, StoreError> {
        if limit == 0 || limit > MAX_CHANGED_SINCE_LIMIT {
            return Err(StoreError::QueryLimit {
                requested: limit,
                max: MAX_CHANGED_SINCE_LIMIT,
            });
        }
        documents::changed_since(&self.conn(), after, limit)
    }

    /// The catch-up sequence of the latest write, 0 when nothing is stored: no cursor into
    /// this store can name a later one.
    pub fn latest_change_seq(&self) -> Result<i64, StoreError> {
        documents::latest_seq(&self.conn())
    }

    // ---- maintenance ----

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
    pub(super) fn compact_entry(&self, conn: &mut Connection, id: DocumentId, entry: &mut Cached) {
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
    fn maybe_compact(&self, conn: &mut Connection, id: DocumentId, mut loaded: Loaded) {
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

/// Appends the changes a cache entry's handle made since its stored heads as one chunk and
/// rewrites the listing, inside `tx`, keeping the entry's row version current. Returns the new
/// chunk's sequence, or `None` when nothing changed.
pub(super) fn append_to(
    tx: &Connection,
    id: DocumentId,
    entry: &mut Cached,
    listing: Option<&Listing>,
) -> Result<Option<i64>, StoreError> {
    let heads = entry.doc.get_heads();
    if heads == entry.stored_heads {
        return Ok(None);
    }
    let chunk = entry.doc.save_after(&entry.stored_heads);
    let (seq, doc_seq) = documents::append_chunk(tx, &id, &chunk, &heads)?;
    match listing {
        Some(listing) => listing::upsert(tx, &id, listing)?,
        None => listing::remove(tx, &id)?,
    }
    entry.stats.chunk_count += 1;
    entry.stats.chunk_bytes += chunk.len();
    entry.last_chunk = Some(seq);
    entry.seq = doc_seq;
    entry.stored_heads = heads;
    Ok(Some(seq))
}

/// Appends the changes `loaded.doc` made since `heads_before` as one chunk and rewrites the
/// listing, inside `tx`. Returns whether anything was written; keeps `loaded.stats` current.
pub(super) fn append(
    tx: &Connection,
    id: DocumentId,
    loaded: &mut Loaded,
    heads_before: &[ChangeHash],
    listing: Option<&Listing>,
) -> Result<bool, StoreError> {
    let heads = loaded.doc.get_heads();
    if heads == heads_before {
        // Nothing changed: no empty chunk, no write.
        return Ok(false);
    }
    let chunk = loaded.doc.save_after(heads_before);
    let (seq, _) = documents::append_chunk(tx, &id, &chunk, &heads)?;
    match listing {
        Some(listing) => listing::upsert(tx, &id, listing)?,
        // A document of no enlace kind (see `batch`): no listing row.
        None => listing::remove(tx, &id)?,
    }
    loaded.stats.chunk_count += 1;
    loaded.stats.chunk_bytes += chunk.len();
    loaded.last_chunk = Some(seq);
    Ok(true)
}

impl Storage for Store {
    fn storage_id(&self) -> Result<StorageId, StoreError> {
        Ok(self.identity.storage_id.clone())
    }

    fn load_raw(&self, id: DocumentId) -> Result<Option<AutoCommit>, StoreError> {
        Store::load_raw(self, id)
    }

    fn heads(&self, id: DocumentId) -> Result<Option<Vec<ChangeHash>>, StoreError> {
        Store::heads(self, id)
    }

    fn merge_changes(
        &self,
        id: DocumentId,
        bytes: &[u8],
        index: IndexFn<'_>,
    ) -> Result<Merged, StoreError> {
        self.merge_changes_with(id, bytes, index)
    }

    fn save_sync_state(
        &self,
        doc: DocumentId,
        peer: &StorageId,
        state: &[u8],
    ) -> Result<(), StoreError> {
        Store::save_sync_state(self, doc, peer, state)
    }

    fn load_sync_state(
        &self,
        doc: DocumentId,
        peer: &StorageId,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        Store::load_sync_state(self, doc, peer)
    }

    fn document_ids(&self) -> Result<Vec<DocumentId>, StoreError> {
        Store::document_ids(self)
    }

    fn document_count(&self) -> Result<u64, StoreError> {
        Store::document_count(self)
    }

    fn changed_since(&self, after: i64, limit: u32) -> Result<Vec<(DocumentId, i64)>, StoreError> {
        Store::changed_since(self, after, limit)
    }
}
