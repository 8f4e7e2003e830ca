//! Prometheus metrics: a small registry of atomics rendered as Prometheus text at `/metrics`.
//!
//! Hand-rolled on purpose: a dozen fixed series, updated from the socket tasks, the engine
//! thread and the storage thread without locks.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// Why a connection or an operation failed, one label value each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// A binary frame that is not a valid message.
    Decode,
    /// A text frame (the protocol is binary only).
    TextFrame,
    /// A frame or message over the size limits.
    TooLarge,
    /// A message of an unknown type (ignored).
    UnknownType,
    /// A consumer whose outbound queue filled up.
    SlowConsumer,
    /// A peer that stopped answering pings.
    PingTimeout,
    /// The engine closed a connection for a protocol violation.
    Protocol,
    /// A storage read or write failed.
    Storage,
    /// A websocket transport error.
    Transport,
    /// Changes the access policy refused.
    Refused,
    /// An upgrade or API call refused for its credentials or limits (401, 429).
    Unauthorized,
    /// A socket closed for sending more frames than its budget for too long (4029).
    RateLimited,
    /// A connection that did not send its request in time (408, slowloris).
    RequestTimeout,
    /// A connection refused because the server holds its maximum (503).
    ConnectionLimit,
    /// A sync message that would inflate past the per-message bound (1009), refused before
    /// the engine saw it.
    TooLargeInflated,
    /// A write that set fields only the server sets, kept and repaired by a compensating
    /// change of the server's.
    AuthorityRepaired,
}

impl ErrorKind {
    const ALL: [ErrorKind; 16] = [
        ErrorKind::Decode,
        ErrorKind::TextFrame,
        ErrorKind::TooLarge,
        ErrorKind::UnknownType,
        ErrorKind::SlowConsumer,
        ErrorKind::PingTimeout,
        ErrorKind::Protocol,
        ErrorKind::Storage,
        ErrorKind::Transport,
        ErrorKind::Refused,
        ErrorKind::Unauthorized,
        ErrorKind::RateLimited,
        ErrorKind::RequestTimeout,
        ErrorKind::ConnectionLimit,
        ErrorKind::TooLargeInflated,
        ErrorKind::AuthorityRepaired,
    ];

    fn label(self) -> &'static str {
        match self {
            ErrorKind::Decode => "decode",
            ErrorKind::TextFrame => "text_frame",
            ErrorKind::TooLarge => "too_large",
            ErrorKind::UnknownType => "unknown_type",
            ErrorKind::SlowConsumer => "slow_consumer",
            ErrorKind::PingTimeout => "ping_timeout",
            ErrorKind::Protocol => "protocol",
            ErrorKind::Storage => "storage",
            ErrorKind::Transport => "transport",
            ErrorKind::Refused => "refused",
            ErrorKind::Unauthorized => "unauthorized",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::RequestTimeout => "request_timeout",
            ErrorKind::ConnectionLimit => "connection_limit",
            ErrorKind::TooLargeInflated => "too_large_inflated",
            ErrorKind::AuthorityRepaired => "authority_repaired",
        }
    }
}

/// Histogram bucket bounds, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

/// A latency histogram with fixed buckets.
#[derive(Debug, Default)]
pub struct Histogram {
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    /// Records one observation.
    pub fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        for (bound, bucket) in BUCKETS.iter().zip(&self.buckets) {
            if secs <= *bound {
                bucket.fetch_add(1, Relaxed);
            }
        }
        self.count.fetch_add(1, Relaxed);
        let micros = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        self.sum_micros.fetch_add(micros, Relaxed);
    }

    /// How many observations so far.
    pub fn count(&self) -> u64 {
        self.count.load(Relaxed)
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        for (bound, bucket) in BUCKETS.iter().zip(&self.buckets) {
            let _ = writeln!(
                out,
                "{name}_bucket{{le=\"{bound}\"}} {}",
                bucket.load(Relaxed)
            );
        }
        let count = self.count.load(Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let sum = self.sum_micros.load(Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "{name}_sum {sum}\n{name}_count {count}");
    }
}

/// Every metric the server exports.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Websockets accepted since start.
    pub connections_opened: AtomicU64,
    /// Websockets open now.
    pub connections_active: AtomicU64,
    /// TCP connections open now (websockets, API calls, requests still arriving).
    pub tcp_connections: AtomicU64,
    /// Times a socket's reads were paused because it spent its frame, byte or inflate budget.
    pub throttled: AtomicU64,
    /// Times a socket's reads were paused because it (or its user) spent its inflate budget;
    /// also counted in `throttled`.
    pub inflate_throttled: AtomicU64,
    /// Bytes of automerge data passed to the engine, counted inflated (what automerge parses).
    pub inflated_bytes_in: AtomicU64,
    /// Documents in memory (updated by the engine thread).
    pub documents_loaded: AtomicU64,
    /// Messages received and decoded.
    pub messages_in: AtomicU64,
    /// Messages sent.
    pub messages_out: AtomicU64,
    /// Bytes of binary frames received.
    pub bytes_in: AtomicU64,
    /// Bytes of binary frames sent.
    pub bytes_out: AtomicU64,
    /// Writes committed, and transactions (fsyncs) that committed them.
    pub writes_committed: AtomicU64,
    /// Transactions committed by the group-commit writer.
    pub commits: AtomicU64,
    errors: [AtomicU64; ErrorKind::ALL.len()],
    /// Time the engine spends handling one received message.
    pub sync_handling: Histogram,
    /// Time one group commit takes (the transaction and its fsync).
    pub storage_commit: Histogram,
    /// Photo blobs: uploads, stored blobs, downloads.
    pub blobs: crate::blobs::metrics::BlobMetrics,
}

impl Metrics {
    /// Counts one error of `kind`.
    pub fn error(&self, kind: ErrorKind) {
        self.errors[kind as usize].fetch_add(1, Relaxed);
    }

    /// How many errors of `kind` so far.
    pub fn errors(&self, kind: ErrorKind) -> u64 {
        self.errors[kind as usize].load(Relaxed)
    }

    /// Adds to a counter.
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Relaxed);
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        let mut scalar = |name: &str, kind: &str, help: &str, v: &AtomicU64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {}",
                v.load(Relaxed)
            );
        };
        scalar(
            "enlace_connections_opened_total",
            "counter",
            "Websocket connections accepted.",
            &self.connections_opened,
        );
        scalar(
            "enlace_connections",
            "gauge",
            "Websocket connections open.",
            &self.connections_active,
        );
        scalar(
            "enlace_tcp_connections",
            "gauge",
            "TCP connections open (websockets, API calls, requests still arriving).",
            &self.tcp_connections,
        );
        scalar(
            "enlace_throttled_total",
            "counter",
            "Times a socket's reads were paused for spending its frame, byte or inflate budget.",
            &self.throttled,
        );
        scalar(
            "enlace_inflate_throttled_total",
            "counter",
            "Times a socket's reads were paused for spending its own or its user's inflate budget.",
            &self.inflate_throttled,
        );
        scalar(
            "enlace_inflated_bytes_in_total",
            "counter",
            "Bytes of automerge data passed to the engine, counted inflated.",
            &self.inflated_bytes_in,
        );
        scalar(
            "enlace_documents_loaded",
            "gauge",
            "Documents held in memory.",
            &self.documents_loaded,
        );
        scalar(
            "enlace_messages_in_total",
            "counter",
            "Protocol messages received.",
            &self.messages_in,
        );
        scalar(
            "enlace_messages_out_total",
            "counter",
            "Protocol messages sent.",
            &self.messages_out,
        );
        scalar(
            "enlace_bytes_in_total",
            "counter",
            "Bytes of binary frames received.",
            &self.bytes_in,
        );
        scalar(
            "enlace_bytes_out_total",
            "counter",
            "Bytes of binary frames sent.",
            &self.bytes_out,
        );
        scalar(
            "enlace_storage_writes_total",
            "counter",
            "Writes (changes and sync states) committed.",
            &self.writes_committed,
        );
        scalar(
            "enlace_storage_commits_total",
            "counter",
            "Transactions (fsyncs) committed by the group-commit writer.",
            &self.commits,
        );
        let _ = writeln!(
            out,
            "# HELP enlace_errors_total Errors by kind.\n# TYPE enlace_errors_total counter"
        );
        for kind in ErrorKind::ALL {
            let _ = writeln!(
                out,
                "enlace_errors_total{{kind=\"{}\"}} {}",
                kind.label(),
                self.errors(kind)
            );
        }
        self.sync_handling.render(
            &mut out,
            "enlace_sync_handling_seconds",
            "Engine time to handle one received message.",
        );
        self.storage_commit.render(
            &mut out,
            "enlace_storage_commit_seconds",
            "Duration of one group commit, fsync included.",
        );
        self.blobs.render(&mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_errors_and_histograms() {
        let m = Metrics::default();
        Metrics::add(&m.messages_in, 3);
        m.error(ErrorKind::SlowConsumer);
        m.storage_commit.observe(Duration::from_millis(3));
        let text = m.render();
        assert!(text.contains("enlace_messages_in_total 3\n"));
        assert!(text.contains("enlace_errors_total{kind=\"slow_consumer\"} 1\n"));
        assert!(text.contains("enlace_storage_commit_seconds_bucket{le=\"0.0025\"} 0\n"));
        assert!(text.contains("enlace_storage_commit_seconds_bucket{le=\"0.005\"} 1\n"));
        assert!(text.contains("enlace_storage_commit_seconds_count 1\n"));
    }
}
