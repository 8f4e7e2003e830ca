//! [`EnlaceError`]: the one error an app catches, mapped from core's errors with one `match`.
//!
//! Variants say what the app can act on: a missing document, a value the user must fix, a text
//! position the editor got wrong, storage trouble. Each keeps a readable cause chain in `reason`
//! for logs. (No field is called `message`: Kotlin exceptions already have one.)

use crate::error_chain::chain;
use crate::model::ModelError;
use crate::store::StoreError;

/// Errors of every `EnlaceStore` call.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum EnlaceError {
    /// No such document, or no such entity (a line, an agenda item) inside it.
    #[error("{what} {id} not found")]
    NotFound {
        /// `document`, `line`, `agenda item`...
        what: String,
        /// The id asked for.
        id: String,
    },
    /// A document, or an entity inside one (a line, a recipient), with this id already exists.
    #[error("{what} {id} already exists")]
    AlreadyExists {
        /// What exists already ("document", "line").
        what: String,
        /// The document id.
        id: String,
    },
    /// The document is of another kind than the call expects (`get_storecheck` on a visit).
    #[error("document {id} is a {found:?}, not a {expected}")]
    WrongKind {
        /// The document id.
        id: String,
        /// The kind the call expects.
        expected: String,
        /// The kind stored.
        found: String,
    },
    /// A value breaks a rule of the model (a required title, negative facings, a status moving
    /// backwards, an unknown currency); nothing was written.
    #[error("invalid {field}: {reason}")]
    InvalidValue {
        /// The field, as a dotted path (`lines.p1.facings`).
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// A text edit's UTF-16 position is past the end or inside a surrogate pair; nothing was
    /// written.
    #[error("bad text position: {reason}")]
    TextPosition {
        /// What is wrong.
        reason: String,
    },
    /// A move only the server makes (a review, sending a contact report): ask the server.
    #[error("{what} is a server command")]
    ServerOnly {
        /// The move refused.
        what: String,
    },
    /// A collection or text would grow past its documented cap.
    #[error("{field} is too large: {len} > {max}")]
    TooLarge {
        /// The field, as a dotted path.
        field: String,
        /// Its size (items or bytes).
        len: u64,
        /// The cap.
        max: u64,
    },
    /// The stored document cannot be read as its model (written by a newer app, or damaged).
    #[error("document {id} cannot be read: {reason}")]
    Unreadable {
        /// The document id.
        id: String,
        /// Why.
        reason: String,
    },
    /// The database or the file system failed (disk full, IO error, locked too long).
    #[error("storage failed: {reason}")]
    Storage {
        /// The cause chain.
        reason: String,
    },
    /// The database holds something this code cannot read.
    #[error("corrupt store: {reason}")]
    Corrupt {
        /// The cause chain.
        reason: String,
    },
    /// The sync client could not do what was asked: it could not start or is not running (a
    /// bad server URL or token, `start_sync` not called), or the server's answer was unusable
    /// (a download that does not match its hash).
    #[error("sync: {reason}")]
    Sync {
        /// What is wrong.
        reason: String,
    },
    /// The server refused a command (`send_contact_report`, `review_storecheck`...): the
    /// document is not there or not readable, the person may not, the document is in the
    /// wrong state, or the arguments were wrong. Nothing changed.
    #[cfg(feature = "client")]
    #[error("the server refused: {reason}")]
    CommandRefused {
        /// What kind of refusal.
        kind: crate::client::RefusalKind,
        /// The HTTP status.
        status: u16,
        /// The server's explanation, in English.
        reason: String,
    },
    /// The server could not be reached (offline, or the document's edits are not on the
    /// server yet): nothing was asked; try again when online.
    #[error("the server could not be reached: {reason}")]
    Offline {
        /// The cause chain.
        reason: String,
    },
    /// A bug: an internal operation failed that should not.
    #[error("internal error: {reason}")]
    Internal {
        /// The cause chain.
        reason: String,
    },
}

#[cfg(feature = "client")]
impl From<crate::client::ClientError> for EnlaceError {
    fn from(e: crate::client::ClientError) -> Self {
        use crate::client::{ClientError, CommandError, DownloadError};
        match e {
            ClientError::Store(store) | ClientError::Download(DownloadError::Store(store)) => {
                store.into()
            }
            ClientError::Download(DownloadError::NotFound(hash)) => EnlaceError::NotFound {
                what: "photo".into(),
                id: hash.to_string(),
            },
            ClientError::Download(ref e @ DownloadError::Http(_)) => {
                EnlaceError::Offline { reason: chain(e) }
            }
            ref e @ ClientError::Download(
                DownloadError::Refused { .. }
                | DownloadError::HashMismatch(_)
                | DownloadError::NotAPhoto,
            ) => EnlaceError::Sync { reason: chain(e) },
            ClientError::Command(CommandError::Refused(refusal)) => EnlaceError::CommandRefused {
                kind: refusal.kind,
                status: refusal.status,
                reason: refusal.message,
            },
            ClientError::Command(ref e @ (CommandError::Http(_) | CommandError::NotSaved)) => {
                EnlaceError::Offline { reason: chain(e) }
            }
            ref e @ (ClientError::Command(CommandError::BadAnswer(_))
            | ClientError::InvalidApiUrl(_)) => EnlaceError::Sync { reason: chain(e) },
            ref e @ (ClientError::InvalidUrl { .. }
            | ClientError::InvalidToken
            | ClientError::Unauthorized
            | ClientError::Connect(_)
            | ClientError::Spawn(_)
            | ClientError::Stopped
            | ClientError::Timeout) => EnlaceError::Sync { reason: chain(e) },
        }
    }
}

impl From<StoreError> for EnlaceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(id) => EnlaceError::NotFound {
                what: "document".into(),
                id: id.to_string(),
            },
            StoreError::AlreadyExists(id) => EnlaceError::AlreadyExists {
                what: "document".into(),
                id: id.to_string(),
            },
            StoreError::WrongKind {
                id,
                expected,
                found,
            } => EnlaceError::WrongKind {
                id: id.to_string(),
                expected: expected.to_string(),
                found,
            },
            StoreError::InvalidValue(model) => (*model).into(),
            StoreError::Model { id, source } => EnlaceError::Unreadable {
                id: id.to_string(),
                reason: chain(&*source),
            },
            StoreError::TooLarge { what, len, max } => EnlaceError::TooLarge {
                field: what.into(),
                len: len as u64,
                max: max as u64,
            },
            ref e @ StoreError::QueryLimit { .. } => EnlaceError::InvalidValue {
                field: "limit".into(),
                reason: e.to_string(),
            },
            StoreError::Blob(blob) => match *blob {
                crate::store::BlobError::NotHere(hash) => EnlaceError::NotFound {
                    what: "photo".into(),
                    id: hash.to_string(),
                },
                crate::store::BlobError::NoBlobDirectory => EnlaceError::Storage {
                    reason: "photos need a store on disk".into(),
                },
                ref e @ (crate::store::BlobError::NotAnImage
                | crate::store::BlobError::Size { .. }) => EnlaceError::InvalidValue {
                    field: "photo".into(),
                    reason: e.to_string(),
                },
            },
            ref e @ StoreError::Corrupt { .. } => EnlaceError::Corrupt { reason: chain(e) },
            ref e @ (StoreError::Sqlite(_) | StoreError::Io(_)) => {
                EnlaceError::Storage { reason: chain(e) }
            }
            ref e @ (StoreError::MalformedChanges { .. }
            | StoreError::UnsafeChanges { .. }
            | StoreError::MissingDependencies { .. }
            | StoreError::Automerge(_)) => EnlaceError::Internal { reason: chain(e) },
        }
    }
}

impl From<ModelError> for EnlaceError {
    fn from(e: ModelError) -> Self {
        match e {
            ModelError::InvalidValue { field, reason } => {
                EnlaceError::InvalidValue { field, reason }
            }
            ModelError::NotFound { what, id } => EnlaceError::NotFound {
                what: what.into(),
                id,
            },
            ModelError::TextPosition(e) => EnlaceError::TextPosition {
                reason: e.to_string(),
            },
            ModelError::TooLarge { field, len, max } => EnlaceError::TooLarge {
                field,
                len: len as u64,
                max: max as u64,
            },
            ModelError::AlreadyExists { what, id } => EnlaceError::AlreadyExists {
                what: what.into(),
                id,
            },
            ModelError::ServerOnly { what } => EnlaceError::ServerOnly { what },
            ref e @ ModelError::UnknownCurrency { .. } => EnlaceError::InvalidValue {
                field: "currency".into(),
                reason: e.to_string(),
            },
            e => EnlaceError::InvalidValue {
                field: "document".into(),
                reason: chain(&e),
            },
        }
    }
}

impl From<crate::store::CatalogError> for EnlaceError {
    fn from(e: crate::store::CatalogError) -> Self {
        use crate::store::CatalogError as C;
        match e {
            C::NoCatalog { account } => EnlaceError::NotFound {
                what: "catalog of account".into(),
                id: account.to_string(),
            },
            C::UnknownStore { store_code, .. } => EnlaceError::NotFound {
                what: "store".into(),
                id: store_code,
            },
            C::UnknownContact { contact, .. } => EnlaceError::NotFound {
                what: "contact".into(),
                id: contact.to_string(),
            },
            ref e @ C::EmptyAssortment { .. } => EnlaceError::InvalidValue {
                field: "store_code".into(),
                reason: e.to_string(),
            },
            ref e @ C::NoAccount(_) => EnlaceError::InvalidValue {
                field: "account_id".into(),
                reason: e.to_string(),
            },
            C::BadInput { field, reason } => EnlaceError::InvalidValue {
                field: field.into(),
                reason,
            },
            C::Store(e) => e.into(),
        }
    }
}
