//! `write-storm`: C clients, one document each, exactly one change in flight per client: edit,
//! send, wait until the server's heads contain the change, repeat. For enlace that is a
//! durable acknowledgement (the server announces only stored heads); for the reference server
//! it is an in-memory one (its writes are debounced).

use std::sync::Arc;
use std::time::{Duration, Instant};

use automerge::ROOT;
use automerge::transaction::Transactable;
use enlace_core::ids::DocumentId;
use serde_json::{Value, json};
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinSet;

use super::{Phase, await_ready, load_window, peer_id, run_tag};
use crate::cli::{ClientOpts, positive, secs};
use crate::conn::{Conn, Target};
use crate::error::BenchError;
use crate::replica::{Replica, sync_until};
use crate::stats::{latency_json, per_second};

/// What one client measured.
#[derive(Debug, Default)]
struct Report {
    acked: u64,
    latencies: Vec<Duration>,
    /// The server dropped this client's connection during the load.
    dropped: bool,
}

/// Runs the scenario.
pub async fn run(
    target: Arc<Target>,
    opts: &ClientOpts,
    clients: usize,
    window: f64,
) -> Result<Value, BenchError> {
    if clients == 0 || !positive(window) {
        return Err(BenchError::Usage(
            "write-storm needs --clients and --secs above zero".into(),
        ));
    }
    let tag = run_tag();
    let permits = Arc::new(Semaphore::new(opts.connect_concurrency));
    let (phase_tx, phase_rx) = watch::channel(Phase::Setup);
    let (ready_tx, mut ready_rx) = mpsc::channel(clients);
    let mut tasks = JoinSet::new();
    eprintln!("write-storm: {clients} clients for {window} s");
    for i in 0..clients {
        tasks.spawn(client(
            Arc::clone(&target),
            Arc::clone(&permits),
            tag.clone(),
            i,
            phase_rx.clone(),
            ready_tx.clone(),
        ));
    }
    drop(ready_tx);
    await_ready(&mut ready_rx, clients, "write-storm setup").await?;
    let start = Instant::now() + Duration::from_millis(100);
    let end = start + secs(window);
    let _ = phase_tx.send(Phase::Load { start, end });
    eprintln!("write-storm: load window open for {window} s");

    let mut total = Report::default();
    let mut dropped = 0u64;
    while let Some(joined) = tasks.join_next().await {
        let report = joined??;
        total.acked += report.acked;
        total.latencies.extend(report.latencies);
        dropped += u64::from(report.dropped);
    }
    Ok(json!({
        "scenario": "write_storm",
        "clients": clients,
        "secs": window,
        "acked": total.acked,
        "acked_per_s": per_second(total.acked, window),
        "latency_ms": latency_json(&mut total.latencies),
        "dropped_clients": dropped,
    }))
}

async fn client(
    target: Arc<Target>,
    permits: Arc<Semaphore>,
    tag: String,
    index: usize,
    mut phase: watch::Receiver<Phase>,
    ready: mpsc::Sender<Result<(), BenchError>>,
) -> Result<Report, BenchError> {
    let patience = target.patience;
    let setup = async {
        let _permit = permits
            .acquire()
            .await
            .map_err(|_| BenchError::Protocol("setup cancelled".into()))?;
        let me = peer_id(&[&"write", &tag, &index])?;
        let mut conn = target.connect(index, me, None).await?;
        let mut replica = Replica::create(DocumentId::new_random(), |_| Ok(()))?;
        sync_until(
            &mut conn,
            std::slice::from_mut(&mut replica),
            Replica::acknowledged,
            "creating the document",
            patience,
        )
        .await?;
        Ok::<_, BenchError>((conn, replica))
    };
    let (mut conn, mut replica) = super::report_setup(&ready, setup.await).await?;
    let mut report = Report::default();
    let Some((start, end)) = load_window(&mut phase).await else {
        conn.close().await;
        return Ok(report);
    };
    tokio::time::sleep_until(start.into()).await;
    if let Err(e) = storm(&mut conn, &mut replica, end, patience, &mut report).await {
        eprintln!("write-storm: client {index} failed: {}", e.chain());
        if !e.is_connection_loss() {
            return Err(e);
        }
        // The server dropped it: keep what it measured.
        report.dropped = true;
        return Ok(report);
    }
    conn.close().await;
    Ok(report)
}

/// Edits, one change in flight, until `end`.
async fn storm(
    conn: &mut Conn,
    replica: &mut Replica,
    end: Instant,
    patience: Duration,
    report: &mut Report,
) -> Result<(), BenchError> {
    let mut counter = 0i64;
    while Instant::now() < end {
        counter += 1;
        replica.edit(|tx| Ok(tx.put(ROOT, "n", counter)?))?;
        let sent = Instant::now();
        sync_until(
            conn,
            std::slice::from_mut(replica),
            Replica::acknowledged,
            "the server's acknowledgement of a change",
            patience,
        )
        .await?;
        let acked = Instant::now();
        if acked <= end {
            report.acked += 1;
            report.latencies.push(acked - sent);
        }
    }
    Ok(())
}
