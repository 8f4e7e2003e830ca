//! [`EnlaceStore`]: the object an app opens once (per user) and shares across threads.

use std::sync::Arc;

use enlace_core::DocumentId;
use enlace_core::model::action_item::ActionItemEdit;
use enlace_core::model::client_visit::ClientVisitEdit;
use enlace_core::model::meeting_note::MeetingNoteEdit;
use enlace_core::model::storecheck::{IssueType, Kpis, LINES, Line, Severity, StorecheckEdit};
use enlace_core::model::{ActionItem, ClientVisit, MeetingNote, Storecheck};
use enlace_core::store::{ObserverId, Query as CoreQuery, Store};

use crate::EnlaceError;
use crate::action_item::{ActionItemRecord, NewActionItem};
use crate::client_visit::{ClientVisitRecord, NewClientVisit};
use crate::listing::{DocumentKind, ListedDocument, Query};
use crate::meeting_note::{MeetingNoteRecord, NewMeetingNote};
use crate::observer::DocumentObserver;
use crate::storecheck::{NewStorecheck, StorecheckRecord};

/// The documents on this phone, in one SQLite file. Every call is synchronous and safe from any
/// thread; writes are durable when they return. Keep one instance per file.
#[derive(Debug, uniffi::Object)]
pub struct EnlaceStore {
    /// Shared so the sync client can hold the same store.
    store: Arc<Store>,
    /// The running sync client, if started. Shared so a long call (a server command waiting
    /// for the document to be saved) holds no lock other calls need.
    pub(crate) sync: std::sync::Mutex<Option<Arc<enlace_core::client::SyncClient>>>,
}

impl EnlaceStore {
    /// The core store, for Rust code running beside the bindings (the sync client).
    pub fn core(&self) -> Arc<Store> {
        Arc::clone(&self.store)
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

    /// Creates a draft storecheck and returns its id.
    pub fn create_storecheck(&self, new: NewStorecheck) -> Result<DocumentId, EnlaceError> {
        let value = Storecheck::new(
            DocumentId::new_random(),
            new.account_id,
            new.created_by,
            new.created_at,
            new.store,
            new.catalog_version,
        );
        Ok(self.store.create(&value)?)
    }

    /// The storecheck `id`, with its KPIs.
    pub fn get_storecheck(&self, id: DocumentId) -> Result<StorecheckRecord, EnlaceError> {
        Ok(self.store.read(id, |s: &Storecheck| s.clone().into())?)
    }

    /// Applies `edits` to storecheck `id` as one change, all or none. A refused edit raises
    /// the error that says why (`NotFound`, `AlreadyExists`, `InvalidValue`, `TextPosition`,
    /// `TooLarge`, `ServerOnly`) and nothing of the batch is kept.
    pub fn edit_storecheck(
        &self,
        id: DocumentId,
        edits: Vec<StorecheckEdit>,
    ) -> Result<(), EnlaceError> {
        Ok(self.store.edit::<Storecheck>(id, &edits)?)
    }

    /// Raises issue `key` in storecheck `id` together with the action item that follows it
    /// up (created from `action_item`, linked from the issue): both are stored, or neither.
    /// Returns the action item's id.
    #[allow(clippy::too_many_arguments)]
    pub fn raise_issue_with_action_item(
        &self,
        id: DocumentId,
        key: String,
        issue_type: IssueType,
        severity: Severity,
        line: Option<String>,
        description: String,
        action_item: NewActionItem,
    ) -> Result<DocumentId, EnlaceError> {
        let item = action_item.into_value();
        let edits = StorecheckEdit::raise_issue_with_action_item(
            &key,
            issue_type,
            severity,
            line,
            description,
            item.id,
        );
        self.store
            .edit_creating::<Storecheck, ActionItem>(id, &item, &edits)?;
        Ok(item.id)
    }

    /// One own line of storecheck `id`, or `None`, without copying the rest.
    pub fn storecheck_line(
        &self,
        id: DocumentId,
        key: String,
    ) -> Result<Option<Line>, EnlaceError> {
        Ok(self.store.read_entry(id, LINES, &key)?)
    }

    /// The KPIs of storecheck `id` (OOS rate, share of shelf, price compliance, perfect-store
    /// score), computed from its lines.
    pub fn storecheck_kpis(&self, id: DocumentId) -> Result<Kpis, EnlaceError> {
        Ok(self.store.read(id, Storecheck::kpis)?)
    }

    // ---- client visits ----

    /// Creates a planned client visit and returns its id.
    pub fn create_client_visit(&self, new: NewClientVisit) -> Result<DocumentId, EnlaceError> {
        let value = ClientVisit::new(
            DocumentId::new_random(),
            new.account_id,
            new.created_by,
            new.created_at,
            new.visit_kind,
            new.title,
        );
        Ok(self.store.create(&value)?)
    }

    /// The client visit `id`.
    pub fn get_client_visit(&self, id: DocumentId) -> Result<ClientVisitRecord, EnlaceError> {
        Ok(self.store.read(id, |v: &ClientVisit| v.clone().into())?)
    }

    /// Applies `edits` to client visit `id` as one change, all or none (see
    /// `edit_storecheck`).
    pub fn edit_client_visit(
        &self,
        id: DocumentId,
        edits: Vec<ClientVisitEdit>,
    ) -> Result<(), EnlaceError> {
        Ok(self.store.edit::<ClientVisit>(id, &edits)?)
    }

    // ---- meeting notes ----

    /// Creates a meeting note for an account and returns its id.
    pub fn create_meeting_note(&self, new: NewMeetingNote) -> Result<DocumentId, EnlaceError> {
        let mut value = MeetingNote::new(
            DocumentId::new_random(),
            new.created_by,
            new.created_at,
            new.meeting_kind,
            new.title,
        );
        value.account_id = Some(new.account_id);
        Ok(self.store.create(&value)?)
    }

    /// The meeting note `id`, with its contact report.
    pub fn get_meeting_note(&self, id: DocumentId) -> Result<MeetingNoteRecord, EnlaceError> {
        Ok(self.store.read(id, |m: &MeetingNote| m.clone().into())?)
    }

    /// Applies `edits` to meeting note `id` as one change, all or none (see
    /// `edit_storecheck`).
    pub fn edit_meeting_note(
        &self,
        id: DocumentId,
        edits: Vec<MeetingNoteEdit>,
    ) -> Result<(), EnlaceError> {
        Ok(self.store.edit::<MeetingNote>(id, &edits)?)
    }

    // ---- action items ----

    /// Creates an action item for an account and returns its id.
    pub fn create_action_item(&self, new: NewActionItem) -> Result<DocumentId, EnlaceError> {
        Ok(self.store.create(&new.into_value())?)
    }

    /// The action item `id`.
    pub fn get_action_item(&self, id: DocumentId) -> Result<ActionItemRecord, EnlaceError> {
        Ok(self.store.read(id, |a: &ActionItem| a.clone().into())?)
    }

    /// Applies `edits` to action item `id` as one change, all or none (see
    /// `edit_storecheck`).
    pub fn edit_action_item(
        &self,
        id: DocumentId,
        edits: Vec<ActionItemEdit>,
    ) -> Result<(), EnlaceError> {
        Ok(self.store.edit::<ActionItem>(id, &edits)?)
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
