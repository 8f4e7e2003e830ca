//! The typed API of [`Store`]: create, read, update, delete and copy documents as model values,
//! list them from the index, and watch them change.
//!
//! This is what an app calls. Every write validates the value (alone and as a transition) before
//! anything reaches SQLite, so a refused edit leaves no trace; see [`Store::edit`] for the
//! phone's targeted-edit path, which shares [`Store::insert_new`] with [`Store::create`].

use rusqlite::Connection;

use super::{Store, append, write_tx};
use crate::ids::DocumentId;
use crate::model::{Document, ModelError};
use crate::store::cache::row_version;
use crate::store::documents;
use crate::store::error::StoreError;
use crate::store::listing::{self, ListedDocument, Query};
use crate::store::model_glue;
use crate::store::observe::{Observer, ObserverId};

/// Why [`Store::create`] refuses a document without an account.
const NO_ACCOUNT: &str = "every document needs an account to sync: the server refuses a \
    document without one, so it would never leave this device";

impl Store {
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
    pub(in crate::store) fn insert_new<D: Document>(
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
            crate::store::snapshot::write(tx, &id, seq, value)?;
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
}
