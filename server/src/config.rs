//! The server's typed configuration, with documented defaults. Built by `main` from flags and
//! environment; the library never reads either.

use std::path::PathBuf;
use std::time::Duration;

pub use crate::auth::AuthConfig;
pub use crate::blobs::BlobLimits;
pub use crate::metrics_access::{MetricsAccess, MetricsToken};
pub use crate::outbox::config::{InvalidSmtpUrl, MailConfig, Mailbox, SmtpUrl};

/// Who may sync what.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessMode {
    /// Every socket and API call authenticates with a bearer token (or a websocket ticket), and
    /// the directory and document registry decide what each person may see (`docs/access.md`).
    /// The default.
    Authenticated,
    /// Anyone who reaches the socket may read and write every document, and there is no JSON
    /// API. For trusted networks and tests only; logged as a warning at start.
    InsecureOpen,
}

/// The documents database's file name in the data directory.
pub const DATABASE_FILE: &str = "enlace.sqlite3";

/// Everything [`run`](crate::run) needs.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Directory holding the SQLite database (`enlace.sqlite3`); created if missing.
    pub data_dir: PathBuf,
    /// See [`AccessMode`].
    pub access: AccessMode,
    /// Tickets, limits and directory polling (authenticated mode only).
    pub auth: AuthConfig,
    /// Bounds on TCP connections before they become websockets.
    pub connections: ConnectionLimits,
    /// Per-socket bounds.
    pub websocket: WebSocketLimits,
    /// Bounds on the documents held in memory.
    pub documents: DocumentLimits,
    /// Most writes committed in one transaction (one fsync). Default 1024.
    pub max_commit_batch: usize,
    /// How long shutdown waits for sockets to close and writes to flush. Default 10 s.
    pub shutdown_grace: Duration,
    /// What is checked of each database file before serving. Default [`StartupCheck::Quick`].
    pub startup_check: StartupCheck,
    /// Who may read `/metrics`, and where. Default: open, on the main listener.
    pub metrics: MetricsAccess,
    /// When a client's silence accepts a contact report.
    pub contact_reports: ContactReportRules,
    /// The URL clients reach this server at (`https://sync.agency.example`), for the answer
    /// links in contact report e-mail. Default `http://<listen address>`.
    pub public_url: Option<String>,
    /// Outgoing e-mail: the SMTP relay (none by default: e-mail waits in the outbox) and the
    /// sender.
    pub mail: MailConfig,
    /// Photo blobs: size cap, quota, uploads in progress, GC (authenticated mode only).
    pub blobs: BlobLimits,
}

/// The contact report's deadlines, in working hours of the organisation's calendar.
#[derive(Debug, Clone)]
pub struct ContactReportRules {
    /// After the meeting starts, by when the report must be sent; later, the server flags it
    /// overdue. Default 24.
    pub send_within_hours: u32,
    /// After sending, when the client's silence accepts the report. Default 48.
    pub silence_accepts_after_hours: u32,
    /// How often sent reports (for silence) and unsent ones (for the deadline) are checked.
    /// Default 60 s.
    pub check_every: Duration,
    /// The clock the check reads, in milliseconds since the Unix epoch (tests pass their own).
    pub clock: fn() -> i64,
}

impl Default for ContactReportRules {
    fn default() -> Self {
        ContactReportRules {
            send_within_hours: 24,
            silence_accepts_after_hours: 48,
            check_every: Duration::from_secs(60),
            clock: crate::directory::now_ms,
        }
    }
}

impl ServerConfig {
    /// The defaults, storing under `data_dir`, with access control as given.
    pub fn new(data_dir: impl Into<PathBuf>, access: AccessMode) -> Self {
        ServerConfig {
            data_dir: data_dir.into(),
            access,
            auth: AuthConfig::default(),
            connections: ConnectionLimits::default(),
            websocket: WebSocketLimits::default(),
            documents: DocumentLimits::default(),
            max_commit_batch: 1024,
            shutdown_grace: Duration::from_secs(10),
            startup_check: StartupCheck::Quick,
            metrics: MetricsAccess::default(),
            contact_reports: ContactReportRules::default(),
            public_url: None,
            mail: MailConfig::default(),
            blobs: BlobLimits::default(),
        }
    }

    /// The SQLite file under [`data_dir`](Self::data_dir).
    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join(DATABASE_FILE)
    }
}

/// What the server checks of its database files before it serves.
///
/// A damaged file that is served fails one document at a time, much later, and writes into a
/// damaged b-tree can spread the damage; refused at start, it is named while nothing depends
/// on it yet. The price is one read of every page at every start: for a 2 GB store, 1.4 s
/// with the file in the page cache and about 40 s from a cold 50 MB/s disk (RELIABILITY.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StartupCheck {
    /// `PRAGMA quick_check` on every file: every page read once, without cross-checking the
    /// indexes against their tables. The default.
    #[default]
    Quick,
    /// No scan. Opening still reads each file's header and schema, so a file that is no
    /// database at all is still refused by name; damage inside a page shows only when that
    /// page is read. For stores so large that a scan at every restart costs too much.
    Off,
}

impl std::str::FromStr for StartupCheck {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "quick" => Ok(StartupCheck::Quick),
            "off" => Ok(StartupCheck::Off),
            other => Err(format!(
                "unknown startup check {other:?} (expected quick or off)"
            )),
        }
    }
}

/// Bounds on the TCP connections the HTTP server holds, whatever they carry: the cheapest
/// attacks (opening sockets, sending a request slowly or never) cost nothing but a connection,
/// so connections themselves are bounded. See `docs/limits.md`.
#[derive(Debug, Clone)]
pub struct ConnectionLimits {
    /// Most TCP connections open at once (websockets, API calls and connections still sending
    /// their request, together). A connection over the limit is answered `503` and closed at
    /// once, so existing sockets keep their memory and file descriptors. Default 20 000; the
    /// process needs a file-descriptor limit (`ulimit -n`) above it.
    pub max_connections: usize,
    /// A connection must have sent its whole request (and been answered) within this long of
    /// being accepted, or it gets `408` and is closed: a slow or silent client cannot hold a
    /// connection open with a half-sent request (slowloris). After a websocket upgrade the
    /// socket's own ping and idle bounds apply instead. Default 10 s, ample for a phone on a bad
    /// network to send a request of a few hundred bytes.
    pub request_timeout: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            max_connections: 20_000,
            request_timeout: Duration::from_secs(10),
        }
    }
}

/// Bounds on one websocket.
#[derive(Debug, Clone)]
pub struct WebSocketLimits {
    /// Initial read buffer per socket. Default 8 KiB: tungstenite's 128 KiB per socket is far
    /// too much for tens of thousands of mostly idle phones; the buffer grows for a large frame.
    pub read_buffer_bytes: usize,
    /// Bytes gathered before a write reaches the socket. Default 8 KiB.
    pub write_buffer_bytes: usize,
    /// Largest message (after reassembling frames) accepted. Default 16 MiB, which holds a
    /// stress-size storecheck with room to spare; larger closes the socket with 1009.
    pub max_message_bytes: usize,
    /// Largest single frame accepted. Default 16 MiB.
    pub max_frame_bytes: usize,
    /// Most messages waiting to be written to one socket. A peer that falls this far behind is
    /// disconnected with close code 4008 and catches up when it reconnects. Default 1024.
    pub outbound_queue: usize,
    /// Most bytes waiting to be written to one socket (the messages in its queue). A peer this
    /// far behind is disconnected with close code 4008 too. Default 8 MiB.
    pub outbound_bytes: usize,
    /// How often the server pings. Default 5 s (as the reference server).
    pub ping_interval: Duration,
    /// A socket silent (no pong, no message) for this long is dropped. Default 15 s.
    pub idle_timeout: Duration,
    /// Frames (of any kind) one socket may send per second, sustained; past its budget the
    /// server stops reading the socket until the budget refills, so a flooding peer gets its
    /// share of the engine and no more. 0 means unlimited. Default 1 000: a phone sends a few
    /// frames per second in normal use.
    pub messages_per_second: u32,
    /// Frames one socket may send at once before it is slowed down. Default 20 000: a device
    /// reconnecting after a day offline opens a sync conversation per changed document, about
    /// two frames each, so a catch-up of 10 000 documents (the server's default of documents in
    /// memory) goes through without waiting.
    pub message_burst: u32,
    /// Bytes one socket may send per second, sustained (0 means unlimited). Default 4 MiB.
    pub bytes_per_second: usize,
    /// Bytes one socket may send at once before it is slowed down. Default 64 MiB: four
    /// messages of the largest size.
    pub bytes_burst: usize,
    /// A socket kept at its budget for this long, its budget never recovering a second's worth
    /// (or half the burst, if less) in between, is closed with code 4029 ("rate limited"): a
    /// flood ends; a peer that only bursts is slowed, never closed. Default 30 s, that is 30 000
    /// more frames past the burst, so even a catch-up of some 25 000 documents is not cut.
    /// The same hold applies to the inflate budget ([`InflateLimits`]).
    pub rate_limit_close_after: Duration,
    /// What one socket, and one user, may have the engine inflate and parse.
    pub inflate: InflateLimits,
}

/// Bounds on the automerge data a peer makes the engine parse, counted *inflated*: the bytes
/// automerge materialises from a `sync` or `request` (its compressed changes and columns
/// inflated, the rest as is), measured on the socket's task without inflating anything.
///
/// A peer's bytes on the wire do not bound the engine's work: a 61 KB frame can inflate to
/// 60 MiB, and automerge inflates on the engine's single thread, which every user's sync waits
/// for. So a message over [`max_message_bytes`](Self::max_message_bytes) is refused before the
/// engine sees it, and the rest is charged to two budgets like the frame and byte budgets of
/// [`WebSocketLimits`]: one per socket and one per authenticated user, shared by all the
/// user's sockets and kept across reconnects. Past either, the socket's reads pause until the
/// budget refills; a socket held for
/// [`rate_limit_close_after`](WebSocketLimits::rate_limit_close_after) is closed with 4029. A
/// message larger than what is left still goes through (it was read already); the socket then
/// waits until it is paid back, so the budget limits the rate, and the largest message any
/// budget admits is the per-message bound. See `docs/limits.md`.
#[derive(Debug, Clone)]
pub struct InflateLimits {
    /// Most bytes one message may inflate to; a larger one closes its socket with 1009
    /// ("message too big"), unseen by the engine. Default 64 MiB, what the store takes: a sync
    /// message carrying a whole document (what automerge sends a server that lacks it) inflates
    /// to five to ten times the document's saved size, so a storecheck of the stress size (5 MB
    /// saved) needs 25 to 50 MiB. It is made of many small changes, which
    /// [`max_change_bytes`](Self::max_change_bytes) bounds one by one.
    pub max_message_bytes: u64,
    /// Most bytes one chunk of a message (a change, or a whole document: automerge sends a
    /// server that lacks a document the document as one chunk) may inflate to; a larger one
    /// closes its socket with 1009, unseen by the engine. Default: the message bound, since a
    /// whole stress-size document is one chunk. Where documents stay ordinary (200 KB saved,
    /// about 2 MiB inflated), 8 MiB refuses deflate bombs outright; under the default, a bomb
    /// within the bound is paid from the sender's budgets below before the engine sees it.
    pub max_change_bytes: u64,
    /// Inflated bytes one socket may send per second, sustained; 0 means unlimited. Default
    /// 1 MiB: a phone's edits are a few KB each, and a new document of ordinary size (up to
    /// 200 KB saved) inflates to about 2 MiB.
    pub per_socket_per_second: u64,
    /// Inflated bytes one socket may send at once before it is paced. Default 8 MiB. A message
    /// larger than this (a whole large document) still goes through when the budget is full,
    /// and leaves it in debt: the socket reads nothing more until the debt is paid back.
    pub per_socket_burst: u64,
    /// Inflated bytes one user may send per second over all their sockets; 0 means unlimited.
    /// Default 1 MiB, the same as one socket, so more sockets buy no more.
    pub per_user_per_second: u64,
    /// Inflated bytes one user may send at once. Default 8 MiB.
    pub per_user_burst: u64,
}

impl Default for InflateLimits {
    fn default() -> Self {
        InflateLimits {
            max_message_bytes: 64 * 1024 * 1024,
            max_change_bytes: 64 * 1024 * 1024,
            per_socket_per_second: 1024 * 1024,
            per_socket_burst: 8 * 1024 * 1024,
            per_user_per_second: 1024 * 1024,
            per_user_burst: 8 * 1024 * 1024,
        }
    }
}

impl Default for WebSocketLimits {
    fn default() -> Self {
        WebSocketLimits {
            read_buffer_bytes: 8 * 1024,
            write_buffer_bytes: 8 * 1024,
            max_message_bytes: 16 * 1024 * 1024,
            max_frame_bytes: 16 * 1024 * 1024,
            outbound_queue: 1024,
            outbound_bytes: 8 * 1024 * 1024,
            ping_interval: Duration::from_secs(5),
            idle_timeout: Duration::from_secs(15),
            messages_per_second: 1_000,
            message_burst: 20_000,
            bytes_per_second: 4 * 1024 * 1024,
            bytes_burst: 64 * 1024 * 1024,
            rate_limit_close_after: Duration::from_secs(30),
            inflate: InflateLimits::default(),
        }
    }
}

/// Bounds on the documents the engine keeps in memory.
#[derive(Debug, Clone)]
pub struct DocumentLimits {
    /// At most this many documents loaded; beyond it idle ones are evicted, least recently used
    /// first. Default 10 000.
    pub max_loaded: usize,
    /// A document untouched this long is evicted. Default 30 s.
    pub idle_unload_after: Duration,
}

impl Default for DocumentLimits {
    fn default() -> Self {
        DocumentLimits {
            max_loaded: 10_000,
            idle_unload_after: Duration::from_secs(30),
        }
    }
}
