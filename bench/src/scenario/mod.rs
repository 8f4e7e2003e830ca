//! One file per scenario, and what they share: run tags, peer ids, the setup barrier, and the
//! phase every client task follows.

pub mod fanout;
pub mod idle;
pub mod large_doc;
pub mod reconnect;
pub mod write_storm;

use std::time::Instant;

use enlace_core::ids::PeerId;
use tokio::sync::{mpsc, watch};

use crate::error::BenchError;

/// A short random tag for this run, so peer ids never collide with an earlier run's (enlace
/// binds a peer id to the first user that joins with it).
pub fn run_tag() -> String {
    let mut tag = uuid::Uuid::new_v4().simple().to_string();
    tag.truncate(8);
    tag
}

/// A peer id made of parts, e.g. `bench-fanout-1a2b3c4d-7-2`.
pub fn peer_id(parts: &[&dyn std::fmt::Display]) -> Result<PeerId, BenchError> {
    let mut name = String::from("bench");
    for part in parts {
        name.push('-');
        name.push_str(&part.to_string());
    }
    name.parse().map_err(|_| BenchError::Id(name))
}

/// Where the clients of a timed scenario are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Connecting and getting their documents.
    Setup,
    /// Loading the server between `start` and `end`.
    Load {
        /// When the load window opens.
        start: Instant,
        /// When it closes.
        end: Instant,
    },
    /// Finished: close the socket and report.
    Done,
}

/// Waits for the load window; `None` if the run ended first.
pub async fn load_window(phase: &mut watch::Receiver<Phase>) -> Option<(Instant, Instant)> {
    let phase = phase.wait_for(|p| *p != Phase::Setup).await.ok()?;
    match *phase {
        Phase::Load { start, end } => Some((start, end)),
        _ => None,
    }
}

/// Waits until `n` clients have reported their setup done, failing with the first error.
/// Every client task reports exactly once, so this ends.
pub async fn await_ready(
    ready: &mut mpsc::Receiver<Result<(), BenchError>>,
    n: usize,
    what: &str,
) -> Result<(), BenchError> {
    let started = Instant::now();
    let mut last_report = started;
    for done in 1..=n {
        match ready.recv().await {
            Some(Ok(())) => {}
            Some(Err(e)) => return Err(e),
            None => {
                return Err(BenchError::Usage(format!(
                    "{what}: a client task ended without reporting"
                )));
            }
        }
        if last_report.elapsed().as_secs() >= 2 || done == n {
            last_report = Instant::now();
            eprintln!(
                "{what}: {done}/{n} ready after {:.1} s",
                started.elapsed().as_secs_f64()
            );
        }
    }
    Ok(())
}

/// Tells the coordinator how a client's setup went (it waits for every client before the load
/// window opens) and hands the client its connection, or the error to end with.
pub async fn report_setup<T>(
    ready: &mpsc::Sender<Result<(), BenchError>>,
    setup: Result<T, BenchError>,
) -> Result<T, BenchError> {
    match setup {
        Ok(ok) => {
            let _ = ready.send(Ok(())).await;
            Ok(ok)
        }
        Err(e) => {
            let text = e.to_string();
            let _ = ready.send(Err(e)).await;
            Err(BenchError::Protocol(format!("setup failed: {text}")))
        }
    }
}
