//! Why the server could not start or run.

use enlace_core::store::StoreError;

/// The errors [`run`](crate::run) returns.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// No access control is configured and open mode was not requested.
    #[error(
        "no access control is configured: enlace-server does not authenticate yet; pass \
         --insecure-open to run it open to anyone who can reach it"
    )]
    NoAccessControl,
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
