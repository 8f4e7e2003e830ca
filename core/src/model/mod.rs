//! The typed documents of the field: client visits, storechecks, meeting notes and action items.
//!
//! Each is one automerge document mapped with autosurgeon. Every document's root holds `kind`,
//! `schema_version` and (where it has one) `account_id`, so a store or a server can classify a
//! document from its content alone, without knowing its Rust type.
//!
//! Layout:
//! - [`doc`]: the helpers the store calls (`new_document`, `hydrate_document`, `write_document`,
//!   `listing_of`, `to_json`); [`migrate`]: schema upgrades.
//! - [`status`]: [`Lifecycle`], the status that never moves backwards under concurrent edits.
//! - [`money`], [`time`], [`common`], [`photo`], [`automerge_ids`]: value types shared by the
//!   documents; [`limits`]: the size caps that keep hostile input from blowing memory.
//! - [`client_visit`], [`storecheck`], [`meeting_note`], [`action_item`]: one module per kind.
//!
//! Merge rules (`domain.md`) map onto automerge like this: free text is [`autosurgeon::Text`];
//! single values are scalars in maps (last writer wins); collections are maps keyed by stable ids
//! (never lists); sets are maps `id -> true`; deletes are `deleted` flags; observed quantities are
//! plain integers (never counters, so two recounts never add up); KPIs are methods, never stored.

#[macro_use]
mod macros;

pub mod action_item;
pub mod authority;
pub mod automerge_ids;
pub mod catalog;
pub mod client_visit;
pub mod common;
pub mod doc;
pub mod edit;
pub mod limits;
pub mod meeting_note;
pub mod migrate;
pub mod money;
pub mod order;
pub mod people;
pub mod photo;
pub mod registration;
pub mod rules;
pub mod status;
pub mod storecheck;
pub mod text_serde;
pub mod time;
pub mod utf16;

pub use action_item::{ActionItem, ActionItemStatus};
pub use catalog::Catalog;
pub use client_visit::{ClientVisit, VisitStatus};
pub use common::{GeoPoint, IdSet, SnapshotRef};
pub use doc::{
    Classification, MAX_ACCOUNT_ID_LEN, TEXT_ENCODING, classify, empty_document, hydrate_document,
    init_document, listing_of, load_document, new_document, read_kind_str, to_json, write_document,
};
pub use meeting_note::{ContactReport, ContactReportStatus, MeetingNote};
pub use migrate::{CURRENT_SCHEMA_VERSION, migrate, read_schema_version};
pub use money::{Currency, Money};
pub use photo::{PhotoKind, PhotoRef};
pub use registration::Registration;
pub use rules::CheckIn;
pub use status::{Authority, Lifecycle, LifecycleState};
pub use storecheck::{Storecheck, StorecheckStatus};
pub use time::{Instant, TimeZone};

use automerge::ReadDoc;
use autosurgeon::{Hydrate, Reconcile};

use crate::ids::DocumentId;

/// The kinds of documents enlace keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DocumentKind {
    /// A visit, lunch, presentation or call with a client.
    ClientVisit,
    /// An audit of a store's shelf for one client account.
    Storecheck,
    /// Notes of a meeting plus the agency's contact report.
    MeetingNote,
    /// One follow-up task with one owner.
    ActionItem,
    /// An account's reference data (stores, products, assortments, contacts, visit plans),
    /// written only by the server.
    Catalog,
}

impl DocumentKind {
    /// Every kind, in a fixed order.
    pub const ALL: [DocumentKind; 5] = [
        DocumentKind::ClientVisit,
        DocumentKind::Storecheck,
        DocumentKind::MeetingNote,
        DocumentKind::ActionItem,
        DocumentKind::Catalog,
    ];

    /// The value stored in a document's root `kind` field.
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::ClientVisit => "client_visit",
            DocumentKind::Storecheck => "storecheck",
            DocumentKind::MeetingNote => "meeting_note",
            DocumentKind::ActionItem => "action_item",
            DocumentKind::Catalog => "catalog",
        }
    }

    /// Parses the root `kind` field.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl std::fmt::Display for DocumentKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the store indexes about a document so listings and queries never load the CRDT.
/// Derived from the document on every write, in the same transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    /// The document's kind.
    pub kind: DocumentKind,
    /// The client account it belongs to, if any.
    pub account_id: Option<String>,
    /// The lifecycle status, as its snake_case name (`"submitted"`).
    pub status: String,
    /// The date that places the document in time (planned start, check-in, meeting start, due
    /// date, or creation), as milliseconds since the Unix epoch in UTC.
    pub date_ms: i64,
    /// A short human title for lists.
    pub title: String,
    /// The soft-delete flag.
    pub deleted: bool,
}

/// A typed document kind that the store can create, hydrate, update and index.
/// `Send + 'static` because the store keeps values of documents in use in its cache.
/// `Serialize + DeserializeOwned` for the store's value snapshots.
pub trait Document:
    Hydrate
    + Reconcile
    + Clone
    + std::fmt::Debug
    + Send
    + 'static
    + serde::Serialize
    + serde::de::DeserializeOwned
{
    /// Which kind this type is; written to the root `kind` field.
    const KIND: DocumentKind;
    /// The schema version this code writes; older documents are migrated on load.
    const SCHEMA_VERSION: u64;

    /// The document's id.
    fn id(&self) -> DocumentId;

    /// The fields the store indexes.
    fn listing(&self) -> Listing;

    /// Checks the value before it is written: every rule a user can break (negative facings,
    /// unknown currency, a status jump the lifecycle forbids) is a typed error, not a panic.
    fn validate(&self) -> Result<(), ModelError>;

    /// Checks a transition from `before` (the stored value) to `self` (the edited value) that a
    /// single-value check cannot see: ONCE fields changed, a status moved backwards.
    fn validate_transition(&self, before: &Self) -> Result<(), ModelError>;

    /// Sets the soft-delete flag.
    fn set_deleted(&mut self, deleted: bool);
}

/// Errors of the model layer.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// A field holds a value the domain forbids.
    #[error("invalid value for {field:?}: {reason}")]
    InvalidValue {
        /// The field, as a dotted path (`lines.<id>.facings`).
        field: String,
        /// Why it is invalid.
        reason: String,
    },
    /// The document is of another kind than the one asked for.
    #[error("wrong kind: expected {expected}, found {found:?}")]
    WrongKind {
        /// The kind the caller asked for.
        expected: DocumentKind,
        /// The kind stored in the document.
        found: String,
    },
    /// The document was written by a newer schema than this code knows.
    #[error("schema version {found} is newer than supported {supported}")]
    SchemaTooNew {
        /// The version in the document.
        found: u64,
        /// The newest version this code understands.
        supported: u64,
    },
    /// The document's content does not map onto the typed model.
    #[error("document does not match the model")]
    Hydrate(#[source] Box<autosurgeon::HydrateError>),
    /// Writing the typed value into the document failed.
    #[error("could not write the document")]
    Reconcile(#[source] Box<autosurgeon::ReconcileError>),
    /// The underlying automerge operation failed.
    #[error("automerge error")]
    Automerge(#[source] Box<automerge::AutomergeError>),
    /// A currency code that is not in the ISO-4217 table this code knows.
    #[error("unknown currency code {code:?}")]
    UnknownCurrency {
        /// The code as given (truncated to a few characters).
        code: String,
    },
    /// A collection or text is larger than the documented cap.
    #[error("{field:?} is too large: {len} > {max}")]
    TooLarge {
        /// The field, as a dotted path.
        field: String,
        /// Its size (items or bytes).
        len: usize,
        /// The cap.
        max: usize,
    },
    /// The root `kind` is missing or names no kind this code knows.
    #[error("unknown document kind {found:?}")]
    UnknownKind {
        /// What the root `kind` held (empty when missing).
        found: String,
    },
    /// The document was written by an older schema; run [`migrate`] on it first.
    #[error("schema version {found} is older than {current}: migrate first")]
    NeedsMigration {
        /// The version in the document.
        found: u64,
        /// The version this code writes.
        current: u64,
    },
    /// A text edit's UTF-16 position is not a character boundary of the text.
    #[error("bad text position")]
    TextPosition(#[from] utf16::Utf16Error),
    /// An entity is added under a key the collection already holds (entries are never replaced
    /// whole).
    #[error("a {what} with id {id:?} already exists")]
    AlreadyExists {
        /// What was added (`line`, `recipient`).
        what: &'static str,
        /// The key asked for.
        id: String,
    },
    /// The edit is a move only the server makes (a review, sending a contact report, a reopen):
    /// a phone asks the server for it with a command instead.
    #[error("{what} is a server command")]
    ServerOnly {
        /// The move refused.
        what: String,
    },
    /// A referenced entity (a line, an attendee) does not exist in the document.
    #[error("no {what} with id {id:?}")]
    NotFound {
        /// What was looked up (`line`, `attendee`).
        what: &'static str,
        /// The id asked for.
        id: String,
    },
}

// The causes are boxed: autosurgeon's and automerge's errors are large, and every model call
// returns this type, so an unboxed error would make every `Result` in the crate hundreds of bytes.
impl From<autosurgeon::HydrateError> for ModelError {
    fn from(e: autosurgeon::HydrateError) -> Self {
        ModelError::Hydrate(Box::new(e))
    }
}

impl From<autosurgeon::ReconcileError> for ModelError {
    fn from(e: autosurgeon::ReconcileError) -> Self {
        ModelError::Reconcile(Box::new(e))
    }
}

impl From<automerge::AutomergeError> for ModelError {
    fn from(e: automerge::AutomergeError) -> Self {
        ModelError::Automerge(Box::new(e))
    }
}

impl ModelError {
    /// Shorthand for [`ModelError::InvalidValue`].
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        ModelError::InvalidValue {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// Reads the root `kind` of any document, typed or not.
pub fn read_kind<R: ReadDoc>(doc: &R) -> Option<DocumentKind> {
    match doc.get(automerge::ROOT, "kind").ok()?? {
        (automerge::Value::Scalar(s), _) => match s.as_ref() {
            automerge::ScalarValue::Str(s) => DocumentKind::parse(s),
            _ => None,
        },
        _ => None,
    }
}
