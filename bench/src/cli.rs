//! The command line: one subcommand per scenario.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Load generator for enlace-server and the reference automerge-repo sync server. Progress goes
/// to stderr; the result is one JSON object, the last line of stdout (`{"error": ...}` and a
/// non-zero exit status on failure).
#[derive(Debug, Parser)]
#[command(name = "enlace-bench", version)]
pub struct Cli {
    /// What to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The scenarios.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create an enlace data directory with an organisation, an account and N users on its
    /// team, one token each (written to DIR/bench-tokens.txt). Run it before the server starts.
    Seed {
        /// The enlace data directory.
        #[arg(long)]
        data: PathBuf,
        /// How many users (and tokens).
        #[arg(long)]
        users: usize,
        /// The account the users are on (documents name it in `account_id`).
        #[arg(long, default_value = "bench")]
        account: String,
    },
    /// R documents with K clients each, every client editing at HZ: delivery rate and latency
    /// of each change to the other K-1 clients, then time to converge.
    Fanout {
        #[command(flatten)]
        client: ClientOpts,
        /// Documents (R).
        #[arg(long)]
        docs: usize,
        /// Clients per document (K), each on its own websocket.
        #[arg(long)]
        clients: usize,
        /// Edits per second per client.
        #[arg(long)]
        rate: f64,
        /// Length of the load window, in seconds.
        #[arg(long)]
        secs: f64,
    },
    /// C clients, one document each, one change in flight each: acknowledged changes per
    /// second and the time from edit to the server's acknowledgement.
    WriteStorm {
        #[command(flatten)]
        client: ClientOpts,
        /// Clients (C).
        #[arg(long)]
        clients: usize,
        /// Length of the load window, in seconds.
        #[arg(long)]
        secs: f64,
    },
    /// C persistent clients with D documents each disconnect, then all reconnect at once and
    /// re-sync every document: how long until every client has heard the server's heads.
    ReconnectStorm {
        #[command(flatten)]
        client: ClientOpts,
        /// Clients (C).
        #[arg(long)]
        clients: usize,
        /// Documents per client (D).
        #[arg(long)]
        docs: usize,
        /// Pause between the setup and the reconnect, in seconds (lets debounced writes land).
        #[arg(long, default_value_t = 2.0)]
        settle_secs: f64,
        /// Which peer ids the clients reconnect with.
        #[arg(long, value_enum, default_value_t = PeerIds::Same)]
        peer_ids: PeerIds,
    },
    /// Open N websockets, join on each, print the result, then hold them open.
    Idle {
        #[command(flatten)]
        client: ClientOpts,
        /// Connections (N).
        #[arg(long)]
        conns: usize,
        /// How long to hold them, in seconds (default: until stdin closes, SIGTERM or SIGINT).
        #[arg(long)]
        hold_secs: Option<f64>,
    },
    /// Upload a storecheck with L lines committed one change per line, then download it with a
    /// fresh client.
    LargeDoc {
        #[command(flatten)]
        client: ClientOpts,
        /// Lines (L), one change each.
        #[arg(long)]
        lines: usize,
    },
}

/// The peer ids of reconnecting clients (their storage ids never change).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PeerIds {
    /// The same as before: a network blip. The reference server answers nothing about an
    /// unchanged document then (its in-memory sync state for that peer id says the peer is up
    /// to date), so the run cannot see it in sync.
    Same,
    /// New ones: an app restart, as a stock automerge-repo client does (a new peer id, the same
    /// persisted storage id). Both servers answer from the sync state kept for the storage id.
    Fresh,
}

/// Options every client scenario shares.
#[derive(Debug, Clone, Args)]
pub struct ClientOpts {
    /// The sync endpoint: ws://127.0.0.1:PORT/v1/sync (enlace) or ws://127.0.0.1:PORT/
    /// (reference). Loopback addresses only.
    #[arg(long)]
    pub url: String,
    /// Bearer tokens, one per line; client i uses line i mod count. Omit for the reference
    /// server.
    #[arg(long)]
    pub tokens: Option<PathBuf>,
    /// Deadline for each awaited step (a connection, a document, an acknowledgement), in
    /// seconds.
    #[arg(long, default_value_t = 60.0)]
    pub timeout_secs: f64,
    /// Connection attempts (and setups) in flight at once.
    #[arg(long, default_value_t = 200)]
    pub connect_concurrency: usize,
}

impl ClientOpts {
    /// The per-step deadline.
    pub fn patience(&self) -> Duration {
        secs(self.timeout_secs)
    }
}

/// Seconds as a `Duration`; negative, NaN and absurd values are clamped.
pub fn secs(s: f64) -> Duration {
    Duration::try_from_secs_f64(s.max(0.0)).unwrap_or(Duration::from_secs(u64::from(u32::MAX)))
}

/// Whether `x` is a finite number above zero.
pub fn positive(x: f64) -> bool {
    x.is_finite() && x > 0.0
}
