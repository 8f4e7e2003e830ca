//! Command line and environment, parsed into a [`ServerConfig`] (`serve`) or run against the
//! directory (`admin`, see [`admin`]). Used by the binaries only.

mod admin;
mod blobs;
mod escape;
mod logging;
mod reference;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use enlace_core::store::MAX_MERGE_BYTES;

use crate::config::{Mailbox, SmtpUrl};
use crate::{AccessMode, InflateLimits, MetricsAccess, MetricsToken, ServerConfig, StartupCheck};

/// enlace sync server.
#[derive(Debug, Parser)]
#[command(name = "enlace-server", version)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve sync over websockets.
    Serve(ServeArgs),
    /// Manage the directory: organisations, people, accounts, teams, supervision, tokens.
    Admin(admin::AdminArgs),
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Directory for the SQLite database (created if missing).
    #[arg(long, env = "ENLACE_DATA", default_value = "enlace-data")]
    data: PathBuf,
    /// Address to listen on.
    #[arg(long, env = "ENLACE_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Run WITHOUT authentication or access control: anyone who reaches the server reads and
    /// writes everything. For trusted networks and tests only.
    #[arg(long, env = "ENLACE_INSECURE_OPEN")]
    insecure_open: bool,
    /// Seconds a websocket ticket (`POST /v1/tickets`) stays valid.
    #[arg(long, env = "ENLACE_TICKET_TTL_SECS", default_value_t = 300)]
    ticket_ttl_secs: u64,
    /// Most open sockets per user; more get 429.
    #[arg(long, env = "ENLACE_MAX_CONNECTIONS_PER_USER", default_value_t = 16)]
    max_connections_per_user: usize,
    /// Failed authentications per address per minute before it gets 429.
    #[arg(long, env = "ENLACE_AUTH_FAILURES_PER_MINUTE", default_value_t = 30)]
    auth_failures_per_minute: u32,
    /// Largest websocket message in bytes.
    #[arg(long, env = "ENLACE_MAX_MESSAGE_BYTES", default_value_t = 16 * 1024 * 1024)]
    max_message_bytes: usize,
    /// Most messages queued for one socket before it is closed as too slow.
    #[arg(long, env = "ENLACE_OUTBOUND_QUEUE", default_value_t = 1024)]
    outbound_queue: usize,
    /// Most bytes queued for one socket before it is closed as too slow.
    #[arg(long, env = "ENLACE_OUTBOUND_BYTES", default_value_t = 8 * 1024 * 1024)]
    outbound_bytes: usize,
    /// Seconds between pings.
    #[arg(long, env = "ENLACE_PING_SECS", default_value_t = 5)]
    ping_secs: u64,
    /// Most documents in memory.
    #[arg(long, env = "ENLACE_MAX_LOADED_DOCUMENTS", default_value_t = 10_000)]
    max_loaded_documents: usize,
    /// Seconds after which an untouched document is evicted from memory.
    #[arg(long, env = "ENLACE_IDLE_UNLOAD_SECS", default_value_t = 30)]
    idle_unload_secs: u64,
    /// Most TCP connections open at once; more get 503 (docs/limits.md).
    #[arg(long, env = "ENLACE_MAX_CONNECTIONS", default_value_t = 20_000)]
    max_connections: usize,
    /// Seconds a connection has to send its request before it gets 408 and is closed.
    #[arg(long, env = "ENLACE_REQUEST_TIMEOUT_SECS", default_value_t = 10)]
    request_timeout_secs: u64,
    /// Frames per second one websocket may send, sustained (0: unlimited).
    #[arg(long, env = "ENLACE_MESSAGES_PER_SECOND", default_value_t = 1_000)]
    messages_per_second: u32,
    /// Frames one websocket may send at once before it is paced.
    #[arg(long, env = "ENLACE_MESSAGE_BURST", default_value_t = 20_000)]
    message_burst: u32,
    /// Bytes per second one websocket may send, sustained (0: unlimited).
    #[arg(long, env = "ENLACE_BYTES_PER_SECOND", default_value_t = 4 * 1024 * 1024)]
    bytes_per_second: usize,
    /// Bytes one websocket may send at once before it is paced.
    #[arg(long, env = "ENLACE_BYTES_BURST", default_value_t = 64 * 1024 * 1024)]
    bytes_burst: usize,
    /// Seconds a websocket may stay at its limit before it is closed with 4029.
    #[arg(long, env = "ENLACE_RATE_LIMIT_CLOSE_SECS", default_value_t = 30)]
    rate_limit_close_secs: u64,
    /// Most bytes one sync message may inflate to (at most 64 MiB); larger closes with 1009.
    #[arg(long, env = "ENLACE_MAX_INFLATED_MESSAGE_BYTES", default_value_t = 64 * 1024 * 1024)]
    max_inflated_message_bytes: u64,
    /// Most bytes one chunk (a change, or a whole document) of a sync message may inflate to (at
    /// most the message bound); larger closes with 1009.
    #[arg(long, env = "ENLACE_MAX_INFLATED_CHANGE_BYTES", default_value_t = 64 * 1024 * 1024)]
    max_inflated_change_bytes: u64,
    /// Inflated bytes per second one websocket may send, sustained (0: unlimited).
    #[arg(long, env = "ENLACE_INFLATED_BYTES_PER_SECOND", default_value_t = 1024 * 1024)]
    inflated_bytes_per_second: u64,
    /// Inflated bytes one websocket may send at once before it is paced.
    #[arg(long, env = "ENLACE_INFLATED_BURST", default_value_t = 8 * 1024 * 1024)]
    inflated_burst: u64,
    /// Inflated bytes per second one user may send over all their websockets (0: unlimited).
    #[arg(long, env = "ENLACE_USER_INFLATED_BYTES_PER_SECOND", default_value_t = 1024 * 1024)]
    user_inflated_bytes_per_second: u64,
    /// Inflated bytes one user may send at once before their websockets are paced.
    #[arg(long, env = "ENLACE_USER_INFLATED_BURST", default_value_t = 8 * 1024 * 1024)]
    user_inflated_burst: u64,
    /// What is checked of each database file before serving: `quick` (`PRAGMA quick_check`,
    /// every page read once) or `off` (header and schema only). See RELIABILITY.md for the cost.
    #[arg(long, env = "ENLACE_STARTUP_CHECK", default_value = "quick")]
    startup_check: StartupCheck,
    /// Require this bearer token on /metrics (16 to 512 visible ASCII characters; users' API
    /// tokens do not open it). Prefer the environment variable: a command line is visible to
    /// every local user. Unset: /metrics is open (docs/access.md).
    #[arg(long, env = "ENLACE_METRICS_TOKEN", hide_env_values = true)]
    metrics_token: Option<MetricsToken>,
    /// Serve /metrics on this address only (say 127.0.0.1:9090), not on --listen.
    #[arg(long, env = "ENLACE_METRICS_LISTEN")]
    metrics_listen: Option<SocketAddr>,
    /// The SMTP relay e-mail (contact reports) is sent through: `smtp://host:port`,
    /// `smtp://host:port?tls=required` (STARTTLS) or `smtps://user:password@host` (TLS).
    /// Prefer the environment variable when it holds a password. Unset: e-mail is queued and
    /// waits, unsent, until the server runs with a relay.
    #[arg(long, env = "ENLACE_SMTP_URL", hide_env_values = true)]
    smtp_url: Option<SmtpUrl>,
    /// The sender of the server's e-mail: `Name <address>` or an address. Default
    /// `Enlace <enlace@HOSTNAME>`.
    #[arg(long, env = "ENLACE_MAIL_FROM")]
    mail_from: Option<Mailbox>,
    /// The URL clients reach this server at, for the answer links in contact report e-mail
    /// (`https://sync.agency.example`). Default `http://<listen address>`.
    #[arg(long, env = "ENLACE_PUBLIC_URL")]
    public_url: Option<String>,
    /// Largest photo blob accepted, in bytes (docs/blobs.md).
    #[arg(long, env = "ENLACE_MAX_BLOB_BYTES", default_value_t = 25 * 1024 * 1024)]
    max_blob_bytes: u64,
    /// Bytes of blobs one user may hold (uploaded plus uploads in progress).
    #[arg(long, env = "ENLACE_BLOB_QUOTA_BYTES", default_value_t = 2 * 1024 * 1024 * 1024)]
    blob_quota_bytes: u64,
    /// Blob uploads one user may have in progress at once.
    #[arg(long, env = "ENLACE_MAX_OPEN_UPLOADS", default_value_t = 32)]
    max_open_uploads: u64,
    /// Days an unreferenced blob is kept before garbage collection removes it.
    #[arg(long, env = "ENLACE_BLOB_GRACE_DAYS", default_value_t = 30)]
    blob_grace_days: u64,
    /// Seconds between two blob garbage collections.
    #[arg(long, env = "ENLACE_BLOB_GC_SECS", default_value_t = 3600)]
    blob_gc_secs: u64,
}

impl ServeArgs {
    fn config(&self) -> ServerConfig {
        let access = if self.insecure_open {
            AccessMode::InsecureOpen
        } else {
            AccessMode::Authenticated
        };
        let mut config = ServerConfig::new(&self.data, access);
        config.auth.ticket_ttl = Duration::from_secs(self.ticket_ttl_secs.max(1));
        config.auth.max_connections_per_user = self.max_connections_per_user.max(1);
        config.auth.failures_per_minute = self.auth_failures_per_minute.max(1);
        config.websocket.max_message_bytes = self.max_message_bytes;
        config.websocket.max_frame_bytes = self.max_message_bytes;
        config.websocket.outbound_queue = self.outbound_queue;
        config.websocket.outbound_bytes = self.outbound_bytes;
        config.websocket.ping_interval = Duration::from_secs(self.ping_secs.max(1));
        config.websocket.idle_timeout = config.websocket.ping_interval * 3;
        config.documents.max_loaded = self.max_loaded_documents;
        config.documents.idle_unload_after = Duration::from_secs(self.idle_unload_secs);
        config.connections.max_connections = self.max_connections.max(1);
        config.connections.request_timeout = Duration::from_secs(self.request_timeout_secs.max(1));
        config.websocket.messages_per_second = self.messages_per_second;
        config.websocket.message_burst = self.message_burst.max(1);
        config.websocket.bytes_per_second = self.bytes_per_second;
        config.websocket.bytes_burst = self.bytes_burst.max(self.max_message_bytes);
        config.websocket.rate_limit_close_after =
            Duration::from_secs(self.rate_limit_close_secs.max(1));
        let max_message_bytes = self
            .max_inflated_message_bytes
            .clamp(1, MAX_MERGE_BYTES as u64);
        config.websocket.inflate = InflateLimits {
            max_message_bytes,
            max_change_bytes: self.max_inflated_change_bytes.clamp(1, max_message_bytes),
            per_socket_per_second: self.inflated_bytes_per_second,
            per_socket_burst: self.inflated_burst.max(1),
            per_user_per_second: self.user_inflated_bytes_per_second,
            per_user_burst: self.user_inflated_burst.max(1),
        };
        config.startup_check = self.startup_check;
        config.metrics = MetricsAccess {
            token: self.metrics_token.clone(),
            listen: self.metrics_listen,
        };
        config.mail.smtp = self.smtp_url.clone();
        config.public_url = self.public_url.clone();
        if let Some(from) = &self.mail_from {
            config.mail.from = from.clone();
        }
        config.blobs.max_blob_bytes = self.max_blob_bytes.max(1);
        config.blobs.quota_bytes = self.blob_quota_bytes;
        config.blobs.max_open_uploads = self.max_open_uploads.max(1);
        config.blobs.grace = Duration::from_secs(self.blob_grace_days.saturating_mul(86_400));
        config.blobs.gc_every = Duration::from_secs(self.blob_gc_secs.max(1));
        config
    }
}

/// Parses flags and environment, sets up logging (`RUST_LOG`, default `info`; see [`logging`];
/// every field escaped, see [`escape`]) and runs the server until SIGTERM or SIGINT.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(logging::filter(std::env::var("RUST_LOG").ok().as_deref()))
        .fmt_fields(escape::EscapedFields::default())
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let args = match cli.command {
        Command::Serve(args) => args,
        Command::Admin(args) => return admin::run(&args),
    };
    let config = args.config();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(error) => {
            eprintln!("enlace-server: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.listen).await?;
        crate::run(listener, config, crate::shutdown::signal()).await
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("enlace-server: {}", chain(&error));
            ExitCode::FAILURE
        }
    }
}

/// An error and its causes on one line.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serve(args: &[&str]) -> ServerConfig {
        let cli = Cli::try_parse_from(["enlace-server", "serve"].iter().chain(args))
            .expect("flags parse");
        match cli.command {
            Command::Serve(args) => args.config(),
            Command::Admin(_) => unreachable!("serve was given"),
        }
    }

    #[test]
    fn the_inflate_flags_default_to_the_documented_limits() {
        let parsed = serve(&[]).websocket.inflate;
        let documented = InflateLimits::default();
        assert_eq!(parsed.max_message_bytes, documented.max_message_bytes);
        assert_eq!(parsed.max_change_bytes, documented.max_change_bytes);
        assert_eq!(
            parsed.per_socket_per_second,
            documented.per_socket_per_second
        );
        assert_eq!(parsed.per_socket_burst, documented.per_socket_burst);
        assert_eq!(parsed.per_user_per_second, documented.per_user_per_second);
        assert_eq!(parsed.per_user_burst, documented.per_user_burst);
    }

    #[test]
    fn the_mail_flags_name_the_relay_and_the_sender() {
        let config = serve(&[]);
        assert!(config.mail.smtp.is_none());
        assert!(config.mail.from.email.starts_with("enlace@"));
        let config = serve(&[
            "--smtp-url",
            "smtps://reports:s3cret@relay.example",
            "--mail-from",
            "Agencia <reportes@agencia.example>",
        ]);
        let relay = config.mail.smtp.as_ref().expect("relay");
        assert_eq!(relay.to_string(), "smtps://reports:***@relay.example");
        assert!(!format!("{config:?}").contains("s3cret"));
        assert_eq!(config.mail.from.name, "Agencia");
        assert_eq!(config.mail.from.email, "reportes@agencia.example");
        for bad in [
            ["--smtp-url", "http://relay.example"],
            ["--mail-from", "nobody"],
        ] {
            let parsed = Cli::try_parse_from(["enlace-server", "serve"].iter().chain(&bad));
            assert!(parsed.is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn the_blob_flags_default_to_the_documented_limits() {
        let parsed = serve(&[]).blobs;
        let documented = crate::config::BlobLimits::default();
        assert_eq!(parsed.max_blob_bytes, documented.max_blob_bytes);
        assert_eq!(parsed.quota_bytes, documented.quota_bytes);
        assert_eq!(parsed.max_open_uploads, documented.max_open_uploads);
        assert_eq!(parsed.grace, documented.grace);
        assert_eq!(parsed.gc_every, documented.gc_every);
        let zero = serve(&["--blob-grace-days", "0"]).blobs;
        assert_eq!(zero.grace, Duration::ZERO);
    }

    #[test]
    fn the_inflate_bound_stops_at_what_the_store_takes() {
        let config = serve(&["--max-inflated-message-bytes", "1000000000000"]);
        assert_eq!(
            config.websocket.inflate.max_message_bytes,
            MAX_MERGE_BYTES as u64
        );
    }
}
