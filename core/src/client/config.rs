//! The device client's configuration, with the defaults a phone uses.

use std::time::Duration;

use crate::ids::PeerId;

/// How the client decides what to sync when a connection comes up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncMode {
    /// Ask the server once which documents in our scope changed since our cursor, then sync only
    /// those and the ones changed here (the default).
    CatchUp,
    /// One sync conversation per local document, as a stock automerge-repo client does; for
    /// servers without catch-up and for comparison.
    PerDocument,
}

/// How a [`SyncClient`](super::SyncClient) connects and retries.
#[derive(Clone)]
pub struct ClientConfig {
    /// The server's websocket URL (`wss://host/v1/sync`, or `ws://` on loopback in tests).
    pub url: String,
    /// The server's HTTP API (`https://host`), for server commands; `None` (the default): the
    /// sync URL's host, `wss://h/...` giving `https://h`.
    pub api_url: Option<String>,
    /// The bearer token sent with the websocket upgrade, if the server requires one.
    pub token: Option<String>,
    /// Our peer id on the wire (made once per install; random if not given).
    pub peer_id: PeerId,
    /// First reconnect delay; doubles per failed attempt, with jitter.
    pub backoff_initial: Duration,
    /// Longest reconnect delay.
    pub backoff_max: Duration,
    /// How often we ping the server.
    pub heartbeat_interval: Duration,
    /// With nothing heard from the server for this long, the connection is considered dead and
    /// we reconnect.
    pub heartbeat_timeout: Duration,
    /// Largest frame we accept from the server.
    pub max_frame_bytes: usize,
    /// What to sync when a connection comes up.
    pub mode: SyncMode,
    /// While connected, how often the catch-up cursor is refreshed (so the next reconnect asks
    /// for little).
    pub cursor_refresh: Duration,
}

impl std::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientConfig")
            .field("url", &self.url)
            .field("api_url", &self.api_url)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("peer_id", &self.peer_id)
            .field("backoff_initial", &self.backoff_initial)
            .field("backoff_max", &self.backoff_max)
            .field("heartbeat_interval", &self.heartbeat_interval)
            .field("heartbeat_timeout", &self.heartbeat_timeout)
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

impl ClientConfig {
    /// Defaults for `url`: 0.5 s first retry up to 30 s, a ping every 10 s, dead after 30 s.
    pub fn new(url: impl Into<String>) -> Self {
        let peer = format!("device-{}", uuid::Uuid::new_v4().simple());
        ClientConfig {
            url: url.into(),
            api_url: None,
            token: None,
            peer_id: peer
                .parse()
                .unwrap_or_else(|_| PeerId::from_static_unchecked("device")),
            backoff_initial: Duration::from_millis(500),
            backoff_max: Duration::from_secs(30),
            heartbeat_interval: Duration::from_secs(10),
            heartbeat_timeout: Duration::from_secs(30),
            max_frame_bytes: 16 * 1024 * 1024,
            mode: SyncMode::CatchUp,
            cursor_refresh: Duration::from_secs(60),
        }
    }

    /// The same configuration with a bearer token.
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }
}
