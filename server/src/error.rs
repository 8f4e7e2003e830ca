//! Why the server could not start or run.

use std::path::PathBuf;

use enlace_core::store::StoreError;

/// The errors [`run`](crate::run) returns.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The directory (people, accounts, tokens) could not be opened or read.
    #[error("opening the directory")]
    Directory(#[from] crate::directory::DirectoryError),
    /// The data directory or database could not be opened.
    #[error("opening storage")]
    Storage(#[from] StoreError),
    /// The data directory cannot be written (a read-only mount, the wrong owner). Refused
    /// before any database is opened: SQLite would otherwise open the files read-only and
    /// fail later on the first write, or not at all until a checkpoint.
    #[error("data directory {} is not writable", path.display())]
    DataDirNotWritable {
        /// The data directory.
        path: PathBuf,
        /// What the file system said when a file was created there.
        #[source]
        source: std::io::Error,
    },
    /// A database file is damaged, not a database, or cannot be opened. Names the file, so an
    /// operator knows which one to restore from a backup.
    #[error("database file {} cannot be used", path.display())]
    DatabaseFile {
        /// The file.
        path: PathBuf,
        /// Why ([`ServerError::Storage`] or [`ServerError::Directory`]).
        #[source]
        source: Box<ServerError>,
    },
    /// The metrics listen address (`MetricsAccess::listen`) cannot be bound.
    #[error("cannot listen for metrics on {addr}")]
    MetricsListen {
        /// The address.
        addr: std::net::SocketAddr,
        /// What binding it said.
        #[source]
        source: std::io::Error,
    },
    /// The blob service (`blobs.sqlite3`, the blob directories) could not be opened.
    #[error("opening the blob store")]
    Blobs(#[source] crate::blobs::BlobError),
    /// The reference tables (in the directory file) could not be opened.
    #[error("opening the reference tables")]
    Reference(#[source] crate::reference::ReferenceError),
    /// A socket or thread operation failed.
    #[error("io")]
    Io(#[from] std::io::Error),
    /// An internal thread died.
    #[error("internal task failed: {0}")]
    Internal(&'static str),
}

impl ServerError {
    /// `self` as a failure of the database file at `path`.
    pub(crate) fn in_file(self, path: impl Into<PathBuf>) -> ServerError {
        ServerError::DatabaseFile {
            path: path.into(),
            source: Box::new(self),
        }
    }
}
