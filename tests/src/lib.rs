//! End-to-end test support for enlace: a server started in-process or as a child process, a
//! minimal Rust sync client (the core engine over tokio-tungstenite), raw sockets for hostile
//! input, and deadline-based waiting. The scenarios themselves live in `tests/`, one per file.

pub mod client;
pub mod node;
pub mod process;
pub mod raw;
pub mod server;

use std::time::Duration;

/// How long tests wait for a condition before failing. Generous for a loaded 2-core machine;
/// conditions are awaited, never slept for.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// A condition was not met before its deadline.
#[derive(Debug, thiserror::Error)]
#[error("timed out after {0:?} waiting for {1}")]
pub struct TimedOut(pub Duration, pub &'static str);
