//! `idle`: N websockets that join and then stay quiet, to measure what the server pays per
//! connected phone. The result is printed as soon as every socket has joined; the sockets are
//! then held open (each one read, so tungstenite answers the server's pings) for `--hold-secs`,
//! or until stdin closes, SIGTERM or SIGINT.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use serde_json::json;
use tokio::io::AsyncReadExt;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinSet;

use super::{await_ready, peer_id, run_tag};
use crate::cli::{ClientOpts, secs};
use crate::conn::Target;
use crate::error::BenchError;
use crate::stats::round3;

/// Runs the scenario; prints its result itself (before holding), so returns nothing.
pub async fn run(
    target: Arc<Target>,
    opts: &ClientOpts,
    conns: usize,
    hold_secs: Option<f64>,
) -> Result<(), BenchError> {
    if conns == 0 {
        return Err(BenchError::Usage("idle needs --conns above zero".into()));
    }
    let tag = run_tag();
    let permits = Arc::new(Semaphore::new(opts.connect_concurrency));
    let (stop_tx, stop_rx) = watch::channel(false);
    let (ready_tx, mut ready_rx) = mpsc::channel(conns);
    let dropped = Arc::new(AtomicU64::new(0));
    let mut tasks = JoinSet::new();
    let started = Instant::now();
    for index in 0..conns {
        let target = Arc::clone(&target);
        let permits = Arc::clone(&permits);
        let ready = ready_tx.clone();
        let mut stop = stop_rx.clone();
        let dropped = Arc::clone(&dropped);
        let me = peer_id(&[&"idle", &tag, &index])?;
        tasks.spawn(async move {
            let permit = permits.acquire().await;
            let connected = target.connect(index, me, None).await;
            drop(permit);
            let mut conn = match connected {
                Ok(conn) => {
                    let _ = ready.send(Ok(())).await;
                    conn
                }
                Err(e) => {
                    let _ = ready.send(Err(e)).await;
                    return;
                }
            };
            drop(ready);
            loop {
                tokio::select! {
                    _ = stop.wait_for(|s| *s) => break,
                    received = conn.recv() => {
                        if let Err(e) = received {
                            if dropped.fetch_add(1, Ordering::Relaxed) == 0 {
                                eprintln!("idle: a socket dropped: {}", e.chain());
                            }
                            return;
                        }
                    }
                }
            }
            conn.close().await;
        });
    }
    drop(ready_tx);
    await_ready(&mut ready_rx, conns, "idle").await?;
    let ready_s = started.elapsed().as_secs_f64();
    eprintln!("ready");
    crate::emit(json!({"scenario": "idle", "conns": conns, "ready_s": round3(ready_s)}));

    let held = Instant::now();
    hold(hold_secs).await?;
    let _ = stop_tx.send(true);
    while tasks.join_next().await.is_some() {}
    eprintln!(
        "idle: held {conns} sockets for {:.1} s, {} dropped by the server",
        held.elapsed().as_secs_f64(),
        dropped.load(Ordering::Relaxed)
    );
    Ok(())
}

/// Waits for the hold to end: `hold_secs`, or (without it) stdin closing; SIGTERM and SIGINT
/// end it either way.
async fn hold(hold_secs: Option<f64>) -> Result<(), BenchError> {
    let io = |what: &str, source| BenchError::Io {
        what: what.to_owned(),
        source,
    };
    let mut term = signal(SignalKind::terminate()).map_err(|e| io("listening for SIGTERM", e))?;
    let mut int = signal(SignalKind::interrupt()).map_err(|e| io("listening for SIGINT", e))?;
    let timed_or_stdin = async {
        match hold_secs {
            Some(s) => tokio::time::sleep(secs(s)).await,
            None => {
                let mut stdin = tokio::io::stdin();
                let mut buf = [0u8; 256];
                while let Ok(n) = stdin.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                }
            }
        }
    };
    tokio::select! {
        () = timed_or_stdin => {}
        _ = term.recv() => eprintln!("idle: SIGTERM"),
        _ = int.recv() => eprintln!("idle: SIGINT"),
    }
    Ok(())
}
