//! Why the server could not start or run.

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
    /// A socket or thread operation failed.
    #[error("io")]
    Io(#[from] std::io::Error),
    /// An internal thread died.
    #[error("internal task failed: {0}")]
    Internal(&'static str),
}
