//! The typed edit path: [`Store::edit`] applies a batch of targeted edits to a document in use
//! and [`Store::read`] reads it, both through the loaded-document cache.

use std::any::Any;

use rusqlite::Connection;

use super::Store;
use super::cache::{Cached, row_version};
use super::documents;
use super::error::StoreError;
use super::model_glue;
use super::snapshot;
use super::sqlite::{append_to, write_tx};
use crate::ids::DocumentId;
use crate::model::edit::{Collection, DocTarget, Editable, Part, Target, ValueTarget};
use crate::model::{Document, ModelError};

/// Most edits one [`Store::edit`] call takes: a whole storecheck filled in one batch stays far
/// below; a runaway caller gets [`StoreError::TooLarge`] instead of one enormous change.
pub const MAX_EDITS_PER_BATCH: usize = 20_000;

impl Store {
    /// Applies `edits` to document `id` as one automerge change and one durable write, all or
    /// nothing: each edit is validated and written as operations on the part it changes (a
    /// line, a field), never by reconciling the whole document. The first refused edit rolls the
    /// batch back and comes back as [`StoreError::InvalidValue`] holding the [`ModelError`] that
    /// says why. An empty batch, or one that changes nothing, writes nothing.
    pub fn edit<D>(&self, id: DocumentId, edits: &[D::Edit]) -> Result<(), StoreError>
    where
        D: Editable,
    {
        if edits.is_empty() {
            return Ok(());
        }
        self.edit_with::<D>(id, edits, |_| Ok(None))
    }

    /// Creates document `created` and applies `edits` to document `id`, in one transaction:
    /// both or neither. For an edit that must not exist without the document it names (an
    /// issue raised in a storecheck together with the action item that follows it up:
    /// [`StorecheckEdit::raise_issue_with_action_item`](crate::model::storecheck::StorecheckEdit::raise_issue_with_action_item)).
    /// Refusals are those of [`Self::create`] and [`Self::edit`].
    pub fn edit_creating<D, N>(
        &self,
        id: DocumentId,
        created: &N,
        edits: &[D::Edit],
    ) -> Result<(), StoreError>
    where
        D: Editable,
        N: Document,
    {
        self.edit_with::<D>(id, edits, |tx| self.insert_new(tx, created).map(Some))
    }

    /// Runs `first` and applies `edits` to document `id` in one transaction: both or neither
    /// (a photo's queue row and the reference to it).
    pub(super) fn edit_first<D: Editable>(
        &self,
        id: DocumentId,
        edits: &[D::Edit],
        first: impl FnOnce(&Connection) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.edit_with::<D>(id, edits, |tx| first(tx).map(|()| None))
    }

    /// The edit path of [`Self::edit`] and [`Self::edit_creating`]: `first` runs in the
    /// transaction before the edits (and may create a document, whose id it returns).
    fn edit_with<D: Editable>(
        &self,
        id: DocumentId,
        edits: &[D::Edit],
        first: impl FnOnce(&Connection) -> Result<Option<DocumentId>, StoreError>,
    ) -> Result<(), StoreError> {
        if edits.len() > MAX_EDITS_PER_BATCH {
            return Err(StoreError::TooLarge {
                what: "edit batch",
                len: edits.len(),
                max: MAX_EDITS_PER_BATCH,
            });
        }
        let mut conn = self.conn();
        let tx = write_tx(&mut conn)?;
        let created = first(&tx)?;
        let mut entry = self.take_entry::<D>(&tx, id)?;
        if let Err(e) = apply_all::<D>(&mut entry, edits) {
            // The handle is a copy in memory: drop it (and its half-applied batch) rather than
            // trust a rollback; the next call reloads from the store.
            return Err(StoreError::from_edit(id, e));
        }
        let listing = typed::<D>(&entry, id)?.listing();
        let written = append_to(&tx, id, &mut entry, Some(&listing))?;
        entry.snapshot_due |= written.is_some();
        tx.commit()?;
        if written.is_some() {
            self.compact_entry(&mut conn, id, &mut entry);
        }
        let gone = self.cache().put(id, entry);
        self.write_snapshots(&mut conn, gone);
        drop(conn);
        let changed: Vec<DocumentId> = created.into_iter().chain(written.map(|_| id)).collect();
        if !changed.is_empty() {
            self.observers().notify(&changed);
        }
        Ok(())
    }

    /// Runs `f` on the typed value of document `id` without copying it: from the cache when the
    /// document is in use, else loaded, migrated in memory and hydrated once (and cached).
    pub fn read<D, R>(&self, id: DocumentId, f: impl FnOnce(&D) -> R) -> Result<R, StoreError>
    where
        D: Document,
    {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let version = row_version(&tx, &id)?.ok_or(StoreError::NotFound(id))?;
        if let Some(entry) = self.cache().get(&id, version) {
            return Ok(f(typed::<D>(entry, id)?));
        }
        if let Some(value) = snapshot::read::<D>(&tx, &id, version.0)? {
            return Ok(f(&value));
        }
        let mut entry = load_entry::<D>(&tx, self, id, version.0)?;
        // No current snapshot (the document last changed through sync, or was never edited
        // here): write one when the entry leaves the cache, so the next cold read is cheap.
        entry.snapshot_due = true;
        let out = f(typed::<D>(&entry, id)?);
        drop(tx);
        let gone = self.cache().put(id, entry);
        self.write_snapshots(&mut conn, gone);
        Ok(out)
    }

    /// A copy of entry `key` of a collection of document `id` (one storecheck line), or `None`:
    /// from the cached value when the document is in use, else from the stored document
    /// without hydrating the rest of it (and without caching it).
    pub fn read_entry<D, E>(
        &self,
        id: DocumentId,
        collection: Collection<D, E>,
        key: &str,
    ) -> Result<Option<E>, StoreError>
    where
        D: Document,
        E: Part,
    {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let version = row_version(&tx, &id)?.ok_or(StoreError::NotFound(id))?;
        if let Some(entry) = self.cache().get(&id, version) {
            typed::<D>(entry, id)?;
            let value: &mut dyn Any = entry.value.as_mut();
            if let Some(value) = value.downcast_mut::<D>() {
                return ValueTarget::new(value)
                    .get(collection, key)
                    .map_err(|e| StoreError::from_model(id, e));
            }
        }
        let mut loaded =
            documents::load(&tx, &id, self.actor())?.ok_or(StoreError::NotFound(id))?;
        let model = |e| StoreError::from_model(id, e);
        model_glue::migrate::<D>(&mut loaded.doc).map_err(model)?;
        let mut target = DocTarget::<D>::new(&mut loaded.doc).map_err(model)?;
        target.get(collection, key).map_err(model)
    }

    /// Sets the memory budget of the loaded-document cache (an estimate, 32 MiB by default);
    /// 0 turns it off.
    pub fn set_cache_budget(&self, bytes: usize) {
        let mut conn = self.conn();
        let gone = self.cache().set_budget(bytes);
        self.write_snapshots(&mut conn, gone);
    }

    /// The cache's estimated bytes and number of documents held.
    pub fn cache_usage(&self) -> (usize, usize) {
        let _conn = self.conn();
        self.cache().usage()
    }

    /// Writes the value snapshots that entries leaving the cache owe, in one transaction. A
    /// failure is logged, not returned: the snapshot is an optimisation (the next cold read
    /// loads the CRDT instead), and the write that made it due has long succeeded.
    pub(super) fn write_snapshots(&self, conn: &mut Connection, gone: Vec<(DocumentId, Cached)>) {
        let due: Vec<_> = gone.into_iter().filter(|(_, e)| e.snapshot_due).collect();
        if due.is_empty() {
            return;
        }
        let result = write_tx(conn).and_then(|tx| {
            for (id, entry) in &due {
                if let Some((kind, bytes)) = (entry.snapshot_of)(entry.value.as_ref()) {
                    snapshot::write_bytes(&tx, id, entry.seq, kind, bytes)?;
                }
            }
            Ok(tx.commit()?)
        });
        if let Err(error) = result {
            tracing::warn!(
                error = &error as &dyn std::error::Error,
                "value snapshots not written"
            );
        }
    }

    /// The cached entry of `id` if current, else one freshly loaded.
    fn take_entry<D: Document>(
        &self,
        tx: &Connection,
        id: DocumentId,
    ) -> Result<Cached, StoreError> {
        let version = row_version(tx, &id)?.ok_or(StoreError::NotFound(id))?;
        match self.cache().take(&id, version) {
            Some(entry) => Ok(entry),
            None => load_entry::<D>(tx, self, id, version.0),
        }
    }
}

/// Loads, migrates (in memory) and hydrates document `id` into a cache entry.
fn load_entry<D: Document>(
    conn: &Connection,
    store: &Store,
    id: DocumentId,
    seq: i64,
) -> Result<Cached, StoreError> {
    let loaded = documents::load(conn, &id, store.actor())?.ok_or(StoreError::NotFound(id))?;
    let mut entry = Cached::new(loaded, Box::new(()), seq, snapshot::serialize::<D>);
    let model = |e| StoreError::from_model(id, e);
    model_glue::migrate::<D>(&mut entry.doc).map_err(model)?;
    let value: D = model_glue::hydrate_document(&entry.doc).map_err(model)?;
    entry.value = Box::new(value);
    Ok(entry)
}

/// The typed value of an entry; another kind is [`StoreError::WrongKind`].
fn typed<D: Document>(entry: &Cached, id: DocumentId) -> Result<&D, StoreError> {
    let value: &dyn Any = entry.value.as_ref();
    value
        .downcast_ref::<D>()
        .ok_or_else(|| StoreError::WrongKind {
            id,
            expected: D::KIND,
            found: crate::model::read_kind(&entry.doc)
                .map_or_else(String::new, |k| k.as_str().to_owned()),
        })
}

/// Applies every edit to the handle (targeted operations) and to the typed value, then commits
/// the handle's operations as one change.
fn apply_all<D: Editable>(entry: &mut Cached, edits: &[D::Edit]) -> Result<(), ModelError> {
    let value: &mut dyn Any = entry.value.as_mut();
    let value = value
        .downcast_mut::<D>()
        .ok_or_else(|| ModelError::WrongKind {
            expected: D::KIND,
            found: crate::model::read_kind(&entry.doc)
                .map_or_else(String::new, |k| k.as_str().to_owned()),
        })?;
    let mut doc = DocTarget::<D>::new(&mut entry.doc)?;
    for edit in edits {
        D::apply(edit, &mut doc)?;
        D::apply(edit, &mut ValueTarget::new(value))?;
    }
    entry.doc.commit();
    Ok(())
}
