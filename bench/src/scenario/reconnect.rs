//! `reconnect-storm`: C persistent clients (each with its own storage id) create D documents
//! each and sync them; every socket closes; then all C reconnect at once with the same peer and
//! storage ids and re-sync every document, keeping only the shared heads of their sync states
//! as a persistent automerge-repo client does. Measures how long until every client has heard
//! the server's heads equal to its own for every document.

use std::sync::Arc;
use std::time::{Duration, Instant};

use enlace_core::ids::{DocumentId, PeerId, StorageId};
use serde_json::{Value, json};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::{peer_id, run_tag};
use crate::cli::{ClientOpts, PeerIds, secs};
use crate::conn::{Conn, Target};
use crate::error::BenchError;
use crate::replica::{Replica, sync_until};
use crate::stats::round3;

/// The scenario's parameters.
#[derive(Debug, Clone, Copy)]
pub struct Params {
    /// Clients (C).
    pub clients: usize,
    /// Documents per client (D).
    pub docs: usize,
    /// Pause between setup and reconnect, seconds.
    pub settle_secs: f64,
    /// Whether clients come back with the same peer ids.
    pub peer_ids: PeerIds,
}

/// One persistent client between its connections.
#[derive(Debug)]
struct Device {
    index: usize,
    me: PeerId,
    storage: StorageId,
    replicas: Vec<Replica>,
}

/// What one reconnect cost.
#[derive(Debug)]
struct Resync {
    done: Instant,
    sent: u64,
    received: u64,
    retries: u64,
}

/// How long a client whose connection failed waits before it tries again.
const RETRY_PAUSE: Duration = Duration::from_secs(1);

/// Runs the scenario.
pub async fn run(
    target: Arc<Target>,
    opts: &ClientOpts,
    params: Params,
) -> Result<Value, BenchError> {
    let Params {
        clients,
        docs,
        settle_secs,
        peer_ids,
    } = params;
    if clients == 0 || docs == 0 {
        return Err(BenchError::Usage(
            "reconnect-storm needs --clients and --docs above zero".into(),
        ));
    }
    let tag = run_tag();
    eprintln!("reconnect-storm: {clients} clients x {docs} documents");

    let setup_started = Instant::now();
    let permits = Arc::new(Semaphore::new(opts.connect_concurrency));
    let mut tasks = JoinSet::new();
    for index in 0..clients {
        let target = Arc::clone(&target);
        let permits = Arc::clone(&permits);
        let me = peer_id(&[&"reconnect", &tag, &index])?;
        tasks.spawn(async move {
            let _permit = permits
                .acquire()
                .await
                .map_err(|_| BenchError::Protocol("setup cancelled".into()))?;
            let device = Device {
                index,
                me,
                storage: StorageId::new_random(),
                replicas: (0..docs)
                    .map(|_| Replica::create(DocumentId::new_random(), |_| Ok(())))
                    .collect::<Result<_, _>>()?,
            };
            setup(&target, device).await
        });
    }
    let mut devices = Vec::with_capacity(clients);
    let mut last_report = Instant::now();
    while let Some(joined) = tasks.join_next().await {
        devices.push(joined??);
        if last_report.elapsed().as_secs() >= 2 || devices.len() == clients {
            last_report = Instant::now();
            eprintln!(
                "reconnect-storm setup: {}/{clients} clients synced after {:.1} s",
                devices.len(),
                setup_started.elapsed().as_secs_f64()
            );
        }
    }
    let setup_s = setup_started.elapsed().as_secs_f64();
    eprintln!("reconnect-storm: all sockets closed; settling for {settle_secs} s");
    tokio::time::sleep(secs(settle_secs)).await;

    eprintln!("reconnect-storm: {clients} clients reconnecting at once");
    let storm_started = Instant::now();
    let mut tasks = JoinSet::new();
    for mut device in devices {
        if peer_ids == PeerIds::Fresh {
            device.me = peer_id(&[&"reconnect", &tag, &device.index, &"again"])?;
        }
        tasks.spawn(resync(Arc::clone(&target), device));
    }
    let (mut sent, mut received, mut retries) = (0u64, 0u64, 0u64);
    let mut last_done = storm_started;
    let mut finished = 0usize;
    while let Some(joined) = tasks.join_next().await {
        let r = joined??;
        sent += r.sent;
        received += r.received;
        retries += r.retries;
        last_done = last_done.max(r.done);
        finished += 1;
        if last_report.elapsed().as_secs() >= 2 || finished == clients {
            last_report = Instant::now();
            eprintln!(
                "reconnect-storm: {finished}/{clients} clients in sync after {:.1} s",
                storm_started.elapsed().as_secs_f64()
            );
        }
    }
    Ok(json!({
        "scenario": "reconnect_storm",
        "clients": clients,
        "docs_per_client": docs,
        "peer_ids": match peer_ids {
            PeerIds::Same => "same",
            PeerIds::Fresh => "fresh",
        },
        "setup_s": round3(setup_s),
        "sync_s": round3((last_done - storm_started).as_secs_f64()),
        "messages_in": received,
        "messages_out": sent,
        "connection_retries": retries,
    }))
}

/// Connects a new device, syncs its documents until the server acknowledged them all, and
/// closes the socket.
async fn setup(target: &Target, mut device: Device) -> Result<Device, BenchError> {
    let conn = connect_and_sync(
        target,
        &mut device,
        Replica::acknowledged,
        "creating the documents",
    )
    .await?;
    conn.close().await;
    Ok(device)
}

/// Connects `device` under its peer id and storage id and syncs its documents until `done`
/// holds for each; returns the open connection.
async fn connect_and_sync(
    target: &Target,
    device: &mut Device,
    done: impl Fn(&Replica) -> bool,
    what: &str,
) -> Result<Conn, BenchError> {
    let mut conn = target
        .connect(
            device.index,
            device.me.clone(),
            Some(device.storage.clone()),
        )
        .await?;
    sync_until(&mut conn, &mut device.replicas, done, what, target.patience).await?;
    Ok(conn)
}

/// Reconnects a device as it was and re-syncs every document until the server's heads equal
/// ours. A connection the server refuses or drops is tried again after [`RETRY_PAUSE`], as a
/// stock client would, until the step's deadline; each retry is counted.
async fn resync(target: Arc<Target>, mut device: Device) -> Result<Resync, BenchError> {
    let deadline = Instant::now() + target.patience;
    let mut retries = 0;
    loop {
        for replica in &mut device.replicas {
            replica.resume();
        }
        let attempt = async {
            connect_and_sync(
                &target,
                &mut device,
                Replica::in_sync,
                "re-syncing after the reconnect",
            )
            .await
        };
        match attempt.await {
            Ok(conn) => {
                let done = Instant::now();
                let (sent, received) = (conn.sent, conn.received);
                conn.close().await;
                return Ok(Resync {
                    done,
                    sent,
                    received,
                    retries,
                });
            }
            Err(e) if e.is_connection_loss() && Instant::now() + RETRY_PAUSE < deadline => {
                retries += 1;
                tokio::time::sleep(RETRY_PAUSE).await;
            }
            Err(e) => return Err(e),
        }
    }
}
