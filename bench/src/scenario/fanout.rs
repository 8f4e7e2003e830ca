//! `fanout`: R documents with K clients each. Every client edits its document at a fixed rate;
//! every other client of the document counts the change when it arrives, with its latency from
//! the moment it was made. After the load window, how long until every replica agrees.
//!
//! Each client writes only its own root key `c<k>` (an increasing counter), so a receiver knows
//! exactly which changes a sync message delivered: a jump of `c<j>` from 3 to 5 is two changes.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use automerge::transaction::Transactable;
use automerge::{ChangeHash, ROOT, ReadDoc, ScalarValue};
use enlace_core::ids::DocumentId;
use enlace_core::wire::Message;
use serde_json::{Value, json};
use tokio::sync::{Notify, Semaphore, mpsc, watch};
use tokio::task::JoinSet;
use tokio::time::MissedTickBehavior;

use super::{Phase, await_ready, load_window, peer_id, run_tag};
use crate::cli::{ClientOpts, positive, secs};
use crate::conn::{Conn, Target};
use crate::error::BenchError;
use crate::replica::{Replica, flush, sync_until};
use crate::stats::{latency_json, per_second, round3};

/// How long replicas may take to agree after the load window before the run says "not
/// converged".
const CONVERGE_PATIENCE: Duration = Duration::from_secs(30);

/// The scenario's parameters.
#[derive(Debug, Clone, Copy)]
pub struct Params {
    /// Documents (R).
    pub docs: usize,
    /// Clients per document (K).
    pub clients: usize,
    /// Edits per second per client.
    pub rate: f64,
    /// Load window, seconds.
    pub secs: f64,
}

/// What all clients share. Slots are indexed `doc * K + k`.
#[derive(Debug)]
struct Shared {
    clients: usize,
    /// When each client made each of its changes: counter `n` at index `n - 1`.
    sent: Vec<Mutex<Vec<Instant>>>,
    /// Every replica's current heads, for the convergence check; `None` once its client lost
    /// its connection (it no longer counts).
    heads: Mutex<Vec<Option<Vec<ChangeHash>>>>,
    /// Woken whenever a replica's heads change.
    heads_changed: Notify,
}

impl Shared {
    fn publish(&self, slot: usize, heads: Option<Vec<ChangeHash>>) {
        let mut all = self.heads.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(h) = all.get_mut(slot) {
            *h = heads;
        }
        drop(all);
        self.heads_changed.notify_one();
    }

    fn converged(&self) -> bool {
        let all = self.heads.lock().unwrap_or_else(PoisonError::into_inner);
        all.chunks(self.clients).all(|doc| {
            let mut live = doc.iter().flatten();
            let first = live.next();
            first.is_some_and(|f| !f.is_empty() && live.all(|h| h == f))
        })
    }

    fn record_send(&self, slot: usize, at: Instant) {
        if let Some(times) = self.sent.get(slot) {
            times
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(at);
        }
    }

    fn sent_at(&self, slot: usize, counter: u64) -> Option<Instant> {
        let index = usize::try_from(counter.checked_sub(1)?).ok()?;
        let times = self
            .sent
            .get(slot)?
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        times.get(index).copied()
    }
}

/// What one client measured.
#[derive(Debug, Default)]
struct Report {
    edits: u64,
    delivered_in_window: u64,
    delivered_total: u64,
    latencies: Vec<Duration>,
    /// The server dropped this client's connection during the load.
    dropped: bool,
}

/// Runs the scenario.
pub async fn run(
    target: Arc<Target>,
    opts: &ClientOpts,
    params: Params,
) -> Result<Value, BenchError> {
    let Params {
        docs,
        clients,
        rate,
        secs: window,
    } = params;
    if docs == 0 || clients == 0 || !positive(rate) || !positive(window) {
        return Err(BenchError::Usage(
            "fanout needs --docs, --clients, --rate and --secs above zero".into(),
        ));
    }
    let slots = docs * clients;
    let shared = Arc::new(Shared {
        clients,
        sent: (0..slots).map(|_| Mutex::new(Vec::new())).collect(),
        heads: Mutex::new(vec![Some(Vec::new()); slots]),
        heads_changed: Notify::new(),
    });
    let tag = run_tag();
    let permits = Arc::new(Semaphore::new(opts.connect_concurrency));
    let (phase_tx, phase_rx) = watch::channel(Phase::Setup);
    let (ready_tx, mut ready_rx) = mpsc::channel(slots);
    let mut tasks = JoinSet::new();
    eprintln!("fanout: {docs} documents x {clients} clients, {rate} Hz for {window} s");
    for doc in 0..docs {
        let id = DocumentId::new_random();
        let (created_tx, created_rx) = watch::channel(false);
        let mut created_tx = Some(created_tx);
        for k in 0..clients {
            let client = Client {
                target: Arc::clone(&target),
                shared: Arc::clone(&shared),
                permits: Arc::clone(&permits),
                tag: tag.clone(),
                doc,
                k,
                id,
                rate,
                slots,
            };
            let role = match created_tx.take() {
                Some(tx) => Role::Creator(tx),
                None => Role::Requester(created_rx.clone()),
            };
            let phase = phase_rx.clone();
            let ready = ready_tx.clone();
            tasks.spawn(client.run(role, phase, ready));
        }
    }
    drop(ready_tx);
    await_ready(&mut ready_rx, slots, "fanout setup").await?;

    let start = Instant::now() + Duration::from_millis(100);
    let end = start + secs(window);
    let _ = phase_tx.send(Phase::Load { start, end });
    eprintln!("fanout: load window open for {window} s");
    tokio::time::sleep_until(end.into()).await;
    eprintln!("fanout: load window closed, waiting for convergence");
    let converge_ms = converge(&shared, end).await;
    let _ = phase_tx.send(Phase::Done);

    let mut total = Report::default();
    let mut dropped = 0u64;
    while let Some(joined) = tasks.join_next().await {
        let report = joined??;
        total.edits += report.edits;
        total.delivered_in_window += report.delivered_in_window;
        total.delivered_total += report.delivered_total;
        total.latencies.extend(report.latencies);
        dropped += u64::from(report.dropped);
    }
    let offered = total.edits * (clients as u64 - 1);
    Ok(json!({
        "scenario": "fanout",
        "docs": docs,
        "clients_per_doc": clients,
        "rate_hz": rate,
        "secs": window,
        "edits": total.edits,
        "offered": offered,
        "offered_per_s": per_second(offered, window),
        "delivered": total.delivered_in_window,
        "delivered_per_s": per_second(total.delivered_in_window, window),
        "delivered_total": total.delivered_total,
        "latency_ms": latency_json(&mut total.latencies),
        "dropped_clients": dropped,
        "converged": converge_ms.is_some(),
        "converge_ms": converge_ms.map(round3),
    }))
}

/// Waits until every replica of every document has the same heads; milliseconds after `end`,
/// or `None` if that takes longer than [`CONVERGE_PATIENCE`].
async fn converge(shared: &Shared, end: Instant) -> Option<f64> {
    let deadline = tokio::time::Instant::from(end + CONVERGE_PATIENCE);
    loop {
        // Register before checking, so a change between the check and the wait is not lost.
        let changed = shared.heads_changed.notified();
        if shared.converged() {
            return Some(end.elapsed().as_secs_f64() * 1e3);
        }
        if tokio::time::timeout_at(deadline, changed).await.is_err() {
            return None;
        }
    }
}

/// How a client gets its document.
enum Role {
    /// Creates it, then announces that the others may ask for it.
    Creator(watch::Sender<bool>),
    /// Asks for it once the creator's first change is on the server.
    Requester(watch::Receiver<bool>),
}

/// One client: one websocket, one replica.
struct Client {
    target: Arc<Target>,
    shared: Arc<Shared>,
    permits: Arc<Semaphore>,
    tag: String,
    doc: usize,
    k: usize,
    id: DocumentId,
    rate: f64,
    slots: usize,
}

impl Client {
    fn slot(&self, k: usize) -> usize {
        self.doc * self.shared.clients + k
    }

    async fn run(
        self,
        role: Role,
        mut phase: watch::Receiver<Phase>,
        ready: mpsc::Sender<Result<(), BenchError>>,
    ) -> Result<Report, BenchError> {
        let (conn, replica) = super::report_setup(&ready, self.setup(role).await).await?;
        let Some((start, end)) = load_window(&mut phase).await else {
            conn.close().await;
            return Ok(Report::default());
        };
        let (doc, k) = (self.doc, self.k);
        let mut report = Report::default();
        let result = self
            .load(conn, replica, phase, start, end, &mut report)
            .await;
        if let Err(e) = result {
            let at = Instant::now()
                .saturating_duration_since(start)
                .as_secs_f64();
            eprintln!(
                "fanout: client {k} of document {doc} failed {at:.1} s into the load: {}",
                e.chain()
            );
            if !e.is_connection_loss() {
                return Err(e);
            }
            // The server dropped it: keep what it measured, leave it out of convergence.
            report.dropped = true;
            self.shared.publish(self.slot(k), None);
        }
        Ok(report)
    }

    async fn setup(&self, role: Role) -> Result<(Conn, Replica), BenchError> {
        let patience = self.target.patience;
        let me = peer_id(&[&"fanout", &self.tag, &self.doc, &self.k])?;
        let mut replica = match &role {
            Role::Creator(_) => Replica::create(self.id, |_| Ok(()))?,
            Role::Requester(created) => {
                let mut created = created.clone();
                if created.wait_for(|c| *c).await.is_err() {
                    return Err(BenchError::Protocol("the creator gave up".into()));
                }
                Replica::empty(self.id)
            }
        };
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| BenchError::Protocol("setup cancelled".into()))?;
        let mut conn = self.target.connect(self.slot(self.k), me, None).await?;
        sync_until(
            &mut conn,
            std::slice::from_mut(&mut replica),
            Replica::acknowledged,
            "getting the document on the server",
            patience,
        )
        .await?;
        if let Role::Creator(created) = role {
            let _ = created.send(true);
        }
        self.shared
            .publish(self.slot(self.k), Some(replica.heads()));
        Ok((conn, replica))
    }

    async fn load(
        &self,
        mut conn: Conn,
        mut replica: Replica,
        mut phase: watch::Receiver<Phase>,
        start: Instant,
        end: Instant,
        report: &mut Report,
    ) -> Result<(), BenchError> {
        let clients = self.shared.clients;
        let key = format!("c{}", self.k);
        let keys: Vec<String> = (0..clients).map(|j| format!("c{j}")).collect();
        let mut seen = vec![0u64; clients];
        let mut counter = 0u64;
        // Spread the clients' ticks over one period so they do not all edit at once.
        let period = secs(1.0 / self.rate);
        #[allow(clippy::cast_precision_loss)]
        let offset = period.mul_f64(self.slot(self.k) as f64 / self.slots as f64);
        let mut ticks = tokio::time::interval_at((start + offset).into(), period);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
        let mut editing = true;
        loop {
            tokio::select! {
                changed = phase.changed() => {
                    if changed.is_err() || *phase.borrow() == Phase::Done {
                        break;
                    }
                }
                message = conn.recv() => {
                    let data = match message? {
                        Message::Sync { data, .. } | Message::Request { data, .. } => data,
                        _ => continue,
                    };
                    let moved = replica.receive(&data)?;
                    flush(&mut conn, &mut replica).await?;
                    if moved {
                        let now = Instant::now();
                        for (j, key) in keys.iter().enumerate() {
                            if j == self.k {
                                continue;
                            }
                            let value = counter_of(&replica, key)?;
                            for n in seen[j] + 1..=value {
                                if let Some(sent) = self.shared.sent_at(self.slot(j), n) {
                                    report.latencies.push(now.saturating_duration_since(sent));
                                }
                                report.delivered_total += 1;
                                if now <= end {
                                    report.delivered_in_window += 1;
                                }
                            }
                            seen[j] = seen[j].max(value);
                        }
                        self.shared.publish(self.slot(self.k), Some(replica.heads()));
                    }
                }
                _ = ticks.tick(), if editing => {
                    let now = Instant::now();
                    if now >= end {
                        editing = false;
                        continue;
                    }
                    counter += 1;
                    self.shared.record_send(self.slot(self.k), now);
                    let value = i64::try_from(counter).unwrap_or(i64::MAX);
                    replica.edit(|tx| Ok(tx.put(ROOT, key.as_str(), value)?))?;
                    flush(&mut conn, &mut replica).await?;
                    report.edits += 1;
                    self.shared.publish(self.slot(self.k), Some(replica.heads()));
                }
            }
        }
        conn.close().await;
        Ok(())
    }
}

/// The counter another client wrote under `key` (0 if it has not written yet).
fn counter_of(replica: &Replica, key: &str) -> Result<u64, BenchError> {
    let value = replica.doc.get(ROOT, key)?;
    Ok(match value.as_ref().and_then(|(v, _)| v.as_scalar()) {
        Some(ScalarValue::Int(n)) => u64::try_from(*n).unwrap_or(0),
        Some(ScalarValue::Uint(n)) => *n,
        _ => 0,
    })
}
