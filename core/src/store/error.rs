//! The store's error type.
//!
//! One enum for the whole module, each variant keeping its cause, so a caller can tell "this
//! document does not exist" from "the disk failed" from "someone sent us garbage" and act on it.
//! Public boundaries (HTTP, FFI) map it to their own short enums with one `match`.

use crate::ids::DocumentId;
use crate::model::{DocumentKind, ModelError};

/// Errors of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No document with this id is stored.
    #[error("document {0} not found")]
    NotFound(DocumentId),
    /// A document with this id already exists (on `create`).
    #[error("document {0} already exists")]
    AlreadyExists(DocumentId),
    /// The document is of another kind than the type asked for.
    #[error("document {id} is a {found:?}, not a {expected}")]
    WrongKind {
        /// The document.
        id: DocumentId,
        /// The kind the caller asked for.
        expected: DocumentKind,
        /// The kind found in the document (its raw root `kind`, or empty when there is none).
        found: String,
    },
    /// A value broke a rule of the model; nothing was written. (Boxed, like every large cause
    /// here, so `Result<_, StoreError>` stays small.)
    #[error("invalid value")]
    InvalidValue(#[source] Box<ModelError>),
    /// A stored document could not be mapped onto (or written from) its typed model.
    #[error("document {id} does not match its model")]
    Model {
        /// The document.
        id: DocumentId,
        /// What the model layer said.
        #[source]
        source: Box<ModelError>,
    },
    /// Bytes from another replica are not valid automerge changes or documents; nothing was
    /// written.
    #[error("malformed changes for document {id}")]
    MalformedChanges {
        /// The document the bytes were meant for.
        id: DocumentId,
        /// Why automerge rejected them.
        #[source]
        source: Box<automerge::AutomergeError>,
    },
    /// Bytes from another replica would crash automerge or inflate past the merge limit (a
    /// deflate bomb, a bundle chunk); refused before automerge parses them, nothing written.
    #[error("unsafe changes for document {id}")]
    UnsafeChanges {
        /// The document the bytes were meant for.
        id: DocumentId,
        /// What the check found.
        #[source]
        source: crate::wire::InflateError,
    },
    /// Changes from another replica depend on changes this store does not have; nothing was
    /// written (the sync protocol will send the missing ones).
    #[error("changes for document {id} depend on {missing} unknown changes")]
    MissingDependencies {
        /// The document.
        id: DocumentId,
        /// How many dependencies are missing.
        missing: usize,
    },
    /// An input is larger than the store accepts.
    #[error("{what} of {len} bytes exceeds the limit of {max}")]
    TooLarge {
        /// What was too large.
        what: &'static str,
        /// Its size.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A query asked for more rows than [`MAX_QUERY_LIMIT`](super::MAX_QUERY_LIMIT) or for none.
    #[error("query limit {requested} is outside 1..={max}")]
    QueryLimit {
        /// The limit asked for.
        requested: u32,
        /// The largest limit accepted.
        max: u32,
    },
    /// The database holds something this code cannot read: a stored chunk automerge rejects, a
    /// schema version newer than this code, a malformed id or meta value, a failed integrity
    /// check.
    #[error("corrupt store: {what}")]
    Corrupt {
        /// What is corrupt.
        what: String,
        /// The underlying error, when there is one.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
    },
    /// SQLite failed (IO error, disk full, locked past the busy timeout, ...).
    #[error("sqlite error")]
    Sqlite(#[from] rusqlite::Error),
    /// The file system failed outside SQLite.
    #[error("io error")]
    Io(#[from] std::io::Error),
    /// A photo could not be attached or read.
    #[error("photo")]
    Blob(#[source] Box<super::blobs::BlobError>),
    /// automerge failed on a document this store built itself.
    #[error("automerge error")]
    Automerge(#[source] Box<automerge::AutomergeError>),
}

impl From<automerge::AutomergeError> for StoreError {
    fn from(e: automerge::AutomergeError) -> Self {
        StoreError::Automerge(Box::new(e))
    }
}

impl StoreError {
    /// A broken rule from the model or from a caller's edit.
    pub(crate) fn invalid(e: ModelError) -> Self {
        StoreError::InvalidValue(Box::new(e))
    }

    pub(crate) fn malformed(id: DocumentId, e: automerge::AutomergeError) -> Self {
        StoreError::MalformedChanges {
            id,
            source: Box::new(e),
        }
    }

    pub(crate) fn corrupt(what: impl Into<String>) -> Self {
        StoreError::Corrupt {
            what: what.into(),
            source: None,
        }
    }

    pub(crate) fn corrupt_from(
        what: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        StoreError::Corrupt {
            what: what.into(),
            source: Some(Box::new(source)),
        }
    }

    /// Maps a model error met while reading or writing document `id`: a kind mismatch becomes
    /// [`StoreError::WrongKind`], a broken rule [`StoreError::InvalidValue`], anything else
    /// [`StoreError::Model`].
    /// A refused edit ([`StoreError::InvalidValue`]), or what went wrong reading the document.
    pub(crate) fn from_edit(id: DocumentId, e: ModelError) -> Self {
        match e {
            e @ (ModelError::InvalidValue { .. }
            | ModelError::UnknownCurrency { .. }
            | ModelError::TooLarge { .. }
            | ModelError::TextPosition(_)
            | ModelError::NotFound { .. }
            | ModelError::AlreadyExists { .. }
            | ModelError::ServerOnly { .. }) => StoreError::InvalidValue(Box::new(e)),
            e => StoreError::from_model(id, e),
        }
    }

    pub(crate) fn from_model(id: DocumentId, e: ModelError) -> Self {
        match e {
            ModelError::WrongKind { expected, found } => StoreError::WrongKind {
                id,
                expected,
                found,
            },
            e @ ModelError::InvalidValue { .. } => StoreError::InvalidValue(Box::new(e)),
            source => StoreError::Model {
                id,
                source: Box::new(source),
            },
        }
    }
}
