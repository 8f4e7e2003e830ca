//! Errors of the device client.

use tokio_tungstenite::tungstenite;

use super::commands::CommandError;
use super::http::HttpError;
use crate::store::StoreError;

/// What can go wrong starting or asking the client.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server URL does not parse as a websocket URL.
    #[error("invalid server url {url:?}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// What the websocket library said about it.
        #[source]
        source: Box<tungstenite::Error>,
    },
    /// The connection could not be opened (the client retries on its own; this is what the
    /// last attempt said).
    #[error("could not connect")]
    Connect(#[source] Box<tungstenite::Error>),
    /// The server's HTTP API URL (given, or derived from the sync URL) is not usable.
    #[error("invalid API url")]
    InvalidApiUrl(#[source] HttpError),
    /// A server command did not run (refused, or the server was unreachable).
    #[error("server command")]
    Command(#[from] CommandError),
    /// A photo could not be downloaded.
    #[error("photo download")]
    Download(#[from] super::downloads::DownloadError),
    /// The token cannot go in an HTTP header.
    #[error("invalid token")]
    InvalidToken,
    /// The server refused the token (401: unknown, expired or revoked). The client keeps
    /// retrying slowly; the app should ask the person to sign in again.
    #[error("the server refused the token")]
    Unauthorized,
    /// The local store failed.
    #[error("local store")]
    Store(#[from] StoreError),
    /// The client's background thread could not start.
    #[error("could not start the sync thread")]
    Spawn(#[source] std::io::Error),
    /// The client has stopped.
    #[error("the sync client is stopped")]
    Stopped,
    /// A wait ran out of time.
    #[error("timed out")]
    Timeout,
}
