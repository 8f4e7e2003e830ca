//! Why a benchmark run failed. Every failure ends the run with `{"error": ...}` on stdout.

use std::time::Duration;

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// The URL is not a plain `ws://` URL on a loopback address.
    #[error("bad url {url:?}: {reason}")]
    BadUrl {
        /// The URL given.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The websocket could not be opened (refused, or the upgrade was answered with an error).
    #[error("connecting to {url}")]
    Connect {
        /// Where to.
        url: String,
        /// Why not.
        #[source]
        source: tokio_tungstenite::tungstenite::Error,
    },
    /// The websocket failed after it was open.
    #[error("websocket")]
    Socket(#[from] tokio_tungstenite::tungstenite::Error),
    /// The server closed the socket while we still needed it.
    #[error("server closed the socket ({0})")]
    Closed(String),
    /// The server sent a frame we cannot decode.
    #[error("undecodable frame from the server")]
    Frame(#[from] enlace_core::wire::DecodeError),
    /// The server sent something the protocol does not allow here.
    #[error("protocol: {0}")]
    Protocol(String),
    /// An automerge sync message from the server did not decode.
    #[error("undecodable sync message")]
    SyncMessage(#[from] automerge::sync::ReadMessageError),
    /// automerge refused a change or a sync message.
    #[error("automerge")]
    Automerge(#[from] automerge::AutomergeError),
    /// A condition was not met in time.
    #[error("deadline of {:.0} s passed: {what}", .after.as_secs_f64())]
    Deadline {
        /// What we waited for.
        what: String,
        /// How long we waited.
        after: Duration,
    },
    /// A file could not be read or written.
    #[error("{what}")]
    Io {
        /// Which file, doing what.
        what: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The enlace directory refused a seed step.
    #[error("seeding the directory")]
    Directory(#[from] enlace_server::directory::DirectoryError),
    /// An id given on the command line is not valid.
    #[error("invalid id: {0}")]
    Id(String),
    /// A client task panicked or was cancelled.
    #[error("client task failed")]
    Task(#[from] tokio::task::JoinError),
    /// The arguments make no sense together.
    #[error("{0}")]
    Usage(String),
}

impl BenchError {
    /// A deadline error.
    pub fn deadline(what: impl Into<String>, after: Duration) -> Self {
        BenchError::Deadline {
            what: what.into(),
            after,
        }
    }

    /// Whether the connection failed or was dropped (worth another attempt), rather than the
    /// protocol or a deadline.
    pub fn is_connection_loss(&self) -> bool {
        matches!(
            self,
            BenchError::Connect { .. } | BenchError::Socket(_) | BenchError::Closed(_)
        )
    }

    /// The error and every cause, joined: what goes into the error JSON.
    pub fn chain(&self) -> String {
        let mut text = self.to_string();
        let mut source = std::error::Error::source(self);
        while let Some(cause) = source {
            let cause_text = cause.to_string();
            // Some errors repeat their source in their own message.
            if !text.ends_with(&cause_text) {
                text.push_str(": ");
                text.push_str(&cause_text);
            }
            source = cause.source();
        }
        text
    }
}
