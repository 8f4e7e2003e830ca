//! [`EnlaceStore`]: the object an app opens once (per user) and shares across threads.

use std::sync::Arc;

use enlace_core::DocumentId;
use enlace_core::model::{self as core, Document};
use enlace_core::store::{ObserverId, Query as CoreQuery, Store};

use crate::EnlaceError;
use crate::action_item::{ActionItem, ActionItemEdit, NewActionItem};
use crate::client_visit::{ClientVisit, ClientVisitEdit, NewClientVisit};
use crate::listing::{DocumentKind, ListedDocument, Query};
use crate::meeting_note::{MeetingNote, MeetingNoteEdit, NewMeetingNote};
use crate::observer::DocumentObserver;
use crate::storecheck::{NewStorecheck, Storecheck, StorecheckEdit};
use crate::text::{self, TextEdit, TextField};
use crate::values::doc_id;

/// The documents on this phone, in one SQLite file. Every call is synchronous and safe from any
/// thread; writes are durable when they return. Keep one instance per file.
#[derive(Debug, uniffi::Object)]
pub struct EnlaceStore {
    /// Shared so the sync client can hold the same store.
    store: Arc<Store>,
    /// The running sync client, if started.
    pub(crate) sync: std::sync::Mutex<Option<enlace_core::client::SyncClient>>,
}

impl EnlaceStore {
    /// The core store, for Rust code running beside the bindings (the sync client).
    pub fn core(&self) -> Arc<Store> {
        Arc::clone(&self.store)
    }

    fn get<D: Document + Send + 'static>(&self, id: &str) -> Result<D, EnlaceError> {
        Ok(self.store.get::<D>(doc_id(id)?)?)
    }
}

#[uniffi::export]
impl EnlaceStore {
    /// Opens (creating if needed) the store file at `path`, upgrading its schema.
    #[uniffi::constructor]
    pub fn open(path: String) -> Result<Arc<Self>, EnlaceError> {
        Ok(Arc::new(EnlaceStore {
            store: Arc::new(Store::open(path)?),
            sync: std::sync::Mutex::default(),
        }))
    }

    /// A store kept in memory only (previews, tests).
    #[uniffi::constructor]
    pub fn open_in_memory() -> Result<Arc<Self>, EnlaceError> {
        Ok(Arc::new(EnlaceStore {
            store: Arc::new(Store::open_in_memory()?),
            sync: std::sync::Mutex::default(),
        }))
    }

    // ---- storechecks ----

    /// Creates a draft storecheck; returns its id.
    pub fn create_storecheck(&self, new: NewStorecheck) -> Result<String, EnlaceError> {
        Ok(self.store.create(&new.into_core()?)?.to_string())
    }

    /// The storecheck `id`.
    pub fn get_storecheck(&self, id: String) -> Result<Storecheck, EnlaceError> {
        self.get::<core::Storecheck>(&id).map(Into::into)
    }

    /// Applies `edits` in order, all or none; returns the storecheck as written.
    pub fn update_storecheck(
        &self,
        id: String,
        edits: Vec<StorecheckEdit>,
    ) -> Result<Storecheck, EnlaceError> {
        let updated = self
            .store
            .update(doc_id(&id)?, |sc: &mut core::Storecheck| {
                edits.into_iter().try_for_each(|e| e.apply(sc))?;
                Ok(sc.clone())
            })?;
        Ok(updated.into())
    }

    // ---- client visits ----

    /// Creates a planned visit; returns its id.
    pub fn create_client_visit(&self, new: NewClientVisit) -> Result<String, EnlaceError> {
        Ok(self.store.create(&new.into_core()?)?.to_string())
    }

    /// The visit `id`.
    pub fn get_client_visit(&self, id: String) -> Result<ClientVisit, EnlaceError> {
        self.get::<core::ClientVisit>(&id).map(Into::into)
    }

    /// Applies `edits` in order, all or none; returns the visit as written.
    pub fn update_client_visit(
        &self,
        id: String,
        edits: Vec<ClientVisitEdit>,
    ) -> Result<ClientVisit, EnlaceError> {
        let updated = self
            .store
            .update(doc_id(&id)?, |v: &mut core::ClientVisit| {
                edits.into_iter().try_for_each(|e| e.apply(v))?;
                Ok(v.clone())
            })?;
        Ok(updated.into())
    }

    // ---- meeting notes ----

    /// Creates a meeting note; returns its id.
    ///
    /// `account_id` is required: without one this fails with
    /// `EnlaceError::InvalidValue { field: "account_id" }` and stores nothing, because the
    /// server refuses a document without an account, so the note would never sync.
    pub fn create_meeting_note(&self, new: NewMeetingNote) -> Result<String, EnlaceError> {
        Ok(self.store.create(&new.into_core()?)?.to_string())
    }

    /// The meeting note `id`.
    pub fn get_meeting_note(&self, id: String) -> Result<MeetingNote, EnlaceError> {
        self.get::<core::MeetingNote>(&id).map(Into::into)
    }

    /// Applies `edits` in order, all or none; returns the note as written.
    pub fn update_meeting_note(
        &self,
        id: String,
        edits: Vec<MeetingNoteEdit>,
    ) -> Result<MeetingNote, EnlaceError> {
        let updated = self
            .store
            .update(doc_id(&id)?, |m: &mut core::MeetingNote| {
                edits.into_iter().try_for_each(|e| e.apply(m))?;
                Ok(m.clone())
            })?;
        Ok(updated.into())
    }

    // ---- action items ----

    /// Creates an open action item; returns its id.
    ///
    /// `account_id` is required: without one this fails with
    /// `EnlaceError::InvalidValue { field: "account_id" }` and stores nothing, because the
    /// server refuses a document without an account, so the item would never sync.
    pub fn create_action_item(&self, new: NewActionItem) -> Result<String, EnlaceError> {
        Ok(self.store.create(&new.into_core()?)?.to_string())
    }

    /// The action item `id`.
    pub fn get_action_item(&self, id: String) -> Result<ActionItem, EnlaceError> {
        self.get::<core::ActionItem>(&id).map(Into::into)
    }

    /// Applies `edits` in order, all or none; returns the item as written.
    pub fn update_action_item(
        &self,
        id: String,
        edits: Vec<ActionItemEdit>,
    ) -> Result<ActionItem, EnlaceError> {
        let updated = self
            .store
            .update(doc_id(&id)?, |a: &mut core::ActionItem| {
                edits.into_iter().try_for_each(|e| e.apply(a))?;
                Ok(a.clone())
            })?;
        Ok(updated.into())
    }

    // ---- any document ----

    /// Soft-deletes document `id` of `kind` (the content stays and syncs; a wrong kind is
    /// `WrongKind`).
    pub fn delete(&self, kind: DocumentKind, id: String) -> Result<(), EnlaceError> {
        let id: DocumentId = doc_id(&id)?;
        Ok(match kind {
            DocumentKind::Storecheck => self.store.delete::<core::Storecheck>(id),
            DocumentKind::ClientVisit => self.store.delete::<core::ClientVisit>(id),
            DocumentKind::MeetingNote => self.store.delete::<core::MeetingNote>(id),
            DocumentKind::ActionItem => self.store.delete::<core::ActionItem>(id),
        }?)
    }

    /// Edits a text field with UTF-16 positions, as one collaborative splice.
    pub fn edit_text(
        &self,
        id: String,
        field: TextField,
        edit: TextEdit,
    ) -> Result<(), EnlaceError> {
        Ok(text::edit(&self.store, doc_id(&id)?, field, edit)?)
    }

    /// Live documents (of `kind`, or all), newest first, up to 100.
    pub fn list(&self, kind: Option<DocumentKind>) -> Result<Vec<ListedDocument>, EnlaceError> {
        let query = CoreQuery {
            kind: kind.map(Into::into),
            ..CoreQuery::new()
        };
        Ok(self
            .store
            .list(&query)?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Documents matching `query`.
    pub fn query(&self, query: Query) -> Result<Vec<ListedDocument>, EnlaceError> {
        Ok(self
            .store
            .list(&query.into())?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    // ---- observers ----

    /// Registers `observer` (see [`DocumentObserver`]); returns a handle for
    /// [`remove_observer`](Self::remove_observer).
    pub fn add_observer(&self, observer: Arc<dyn DocumentObserver>) -> u64 {
        self.store
            .add_observer(Arc::new(move |ids: &[DocumentId]| {
                observer.on_change(ids.iter().map(ToString::to_string).collect());
            }))
            .as_u64()
    }

    /// Unregisters an observer; returns whether it was registered.
    pub fn remove_observer(&self, handle: u64) -> bool {
        self.store.remove_observer(ObserverId::from_u64(handle))
    }
}
