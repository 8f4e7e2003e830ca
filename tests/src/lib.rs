//! End-to-end test support for enlace: a server started in-process or as a child process, a
//! minimal Rust sync client (the core engine over tokio-tungstenite), raw sockets for hostile
//! input and deflate bombs, a tiny HTTP client for the JSON API, and deadline-based waiting. The scenarios
//! themselves live in `tests/`, one per file.

pub mod blobs;
pub mod bomb;
pub mod client;
pub mod device;
pub mod faults;
pub mod fixture;
pub mod forge;
pub mod http;
pub mod integrity;
pub mod latency;
pub mod limits;
pub mod matrix;
pub mod node;
pub mod process;
pub mod raw;
pub mod reference;
pub mod rng;
pub mod server;
pub mod throttle;

use std::time::Duration;

/// How long tests wait for a condition before failing. Generous for a loaded 2-core machine;
/// conditions are awaited, never slept for.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// The number in the environment variable `name`, if it is set (the long runs' knobs: seeds,
/// counts). Panics naming the variable when it is no number: a mistyped knob must not quietly
/// run the default instead.
pub fn env_u64(name: &str) -> Option<u64> {
    let raw = std::env::var(name).ok()?;
    Some(
        raw.trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={raw:?} is not a number")),
    )
}

/// A condition was not met before its deadline.
#[derive(Debug, thiserror::Error)]
#[error("timed out after {0:?} waiting for {1}")]
pub struct TimedOut(pub Duration, pub &'static str);

/// The browser-style sync URL `ws://ADDR/v1/sync?ticket=TICKET`, the ticket percent-encoded so
/// that the server decodes exactly the ticket given (tampered ones included).
pub(crate) fn ticket_url(addr: std::net::SocketAddr, ticket: &str) -> String {
    format!("ws://{addr}/v1/sync?{}", raw::ticket_query(ticket))
}

#[cfg(test)]
mod tests {
    #[test]
    fn ticket_urls_are_percent_encoded() {
        let addr = "127.0.0.1:8080".parse().expect("addr");
        assert_eq!(
            super::ticket_url(addr, "ab-_.~9"),
            "ws://127.0.0.1:8080/v1/sync?ticket=ab-_.~9"
        );
        assert_eq!(
            super::ticket_url(addr, "a+b/c=&d"),
            "ws://127.0.0.1:8080/v1/sync?ticket=a%2Bb%2Fc%3D%26d"
        );
    }
}
