//! Runs schedules against one real server process ("a lane"): the server, its data directory and
//! one proxy per replica outlive a schedule, so a schedule costs a few documents and clients, not
//! a process start (unless it draws a restart). Each schedule uses fresh documents and fresh
//! replicas; the server keeps every earlier schedule's documents, as a real one would.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use automerge::{ChangeHash, ReadDoc};
use enlace_core::DocumentId;
use enlace_core::client::SyncMode;

use super::edit::{self, EditError};
use super::proxy::{Proxy, ProxyError};
use super::replica::{self, Device, Peer, ReplicaError};
use super::schedule::{DEVICES, REPLICAS, Schedule, Step, Stop};
use crate::PATIENCE;
use crate::process::ServerProcess;

/// Why a schedule failed.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// A replica could not do what the schedule asked.
    #[error("replica {replica}")]
    Replica {
        /// Which.
        replica: usize,
        /// What went wrong.
        #[source]
        source: Box<ReplicaError>,
    },
    /// The documents could not be made.
    #[error("making the schedule's documents")]
    Documents(#[from] EditError),
    /// A proxy could not start.
    #[error("proxy")]
    Proxy(#[from] ProxyError),
    /// The auditing client (connected straight to the server) could not connect.
    #[error("auditing client")]
    Audit(#[source] Box<ReplicaError>),
    /// Making the device stores' directory failed.
    #[error("scratch directory")]
    Scratch(#[source] std::io::Error),
    /// The server process misbehaved (did not stop on SIGTERM, or exited with an error).
    #[error("server process: {0}")]
    Server(String),
    /// Replicas never agreed before the deadline.
    #[error("no convergence within {0:?}:\n{1}")]
    Stuck(Duration, String),
    /// Replicas agree on heads but something else differs: contents, the server's copy, or a
    /// change someone made is missing everywhere.
    #[error("divergence: {0}\n{1}")]
    Diverged(&'static str, String),
}

/// A schedule failed at a step (or in the final settle).
#[derive(Debug, thiserror::Error)]
#[error("seed {seed} failed at {}", at.map_or("the final settle".to_owned(), |i| format!("step {i}")))]
pub struct ScheduleFailed {
    /// The schedule's seed.
    pub seed: u64,
    /// The step that failed, `None` for the final settle.
    pub at: Option<usize>,
    /// Why.
    #[source]
    pub failure: Failure,
}

/// A server process with its data directory and one proxy per replica.
#[derive(Debug)]
pub struct Lane {
    binary: PathBuf,
    data: tempfile::TempDir,
    scratch: tempfile::TempDir,
    server: Option<ServerProcess>,
    proxies: Vec<Proxy>,
    /// The catch-up cursor the last catch-up device reached, for the next one.
    cursor: u64,
    /// Settles so far, to name auditing clients uniquely.
    audits: u64,
}

impl Lane {
    /// Starts a server from `binary` on a fresh data directory, and the proxies.
    pub async fn start(binary: &Path) -> Result<Lane, Failure> {
        let data = tempfile::tempdir().map_err(Failure::Scratch)?;
        let scratch = tempfile::tempdir().map_err(Failure::Scratch)?;
        let server = spawn(binary, data.path());
        let mut proxies = Vec::new();
        for _ in 0..REPLICAS {
            proxies.push(Proxy::start(server.addr).await?);
        }
        Ok(Lane {
            binary: binary.to_owned(),
            data,
            scratch,
            server: Some(server),
            proxies,
            cursor: 0,
            audits: 0,
        })
    }

    /// Runs one schedule and checks that it converged.
    pub async fn run(&mut self, schedule: &Schedule) -> Result<(), ScheduleFailed> {
        let failed = |at, failure| ScheduleFailed {
            seed: schedule.seed,
            at,
            failure,
        };
        self.reset().map_err(|f| failed(None, f))?;
        let mut run = self.begin(schedule).await.map_err(|f| failed(None, f))?;
        let mut result = Ok(());
        for (i, step) in schedule.steps.iter().enumerate() {
            if let Err(f) = run.step(self, step).await {
                result = Err(failed(Some(i), f));
                break;
            }
        }
        if result.is_ok() {
            result = run.settle(self).await.map_err(|f| failed(None, f));
        }
        for device in run.devices {
            let cursor = tokio::task::block_in_place(|| device.stop());
            // Cursors are opaque (their order says nothing): keep any device's that got one.
            if cursor != 0 {
                self.cursor = cursor;
            }
        }
        result
    }

    /// Before a schedule: the server up, every proxy healed and empty.
    fn reset(&mut self) -> Result<(), Failure> {
        for proxy in &self.proxies {
            proxy.heal();
            proxy.kill();
        }
        if self.server.is_none() {
            self.start_server();
        }
        Ok(())
    }

    async fn begin(&mut self, schedule: &Schedule) -> Result<Run, Failure> {
        let mut docs = Vec::new();
        for i in 0..schedule.docs {
            let id = DocumentId::new_random();
            let title = format!("Visita {} #{i}", schedule.seed);
            docs.push((id, edit::initial_document(id, &title)?));
        }
        let dir = tempfile::tempdir_in(self.scratch.path()).map_err(Failure::Scratch)?;
        let mut devices = Vec::new();
        for r in 0..DEVICES {
            let mode = if r == 0 {
                SyncMode::CatchUp
            } else {
                SyncMode::PerDocument
            };
            let path = dir.path().join(format!("device-{r}.sqlite"));
            let url = self.proxies[r].url();
            let device = tokio::task::block_in_place(|| {
                Device::start(&path, &url, mode, self.cursor, &docs)
            })
            .map_err(|source| Failure::Replica {
                replica: r,
                source: Box::new(source),
            })?;
            devices.push(device);
        }
        let mut peers = Vec::new();
        for r in DEVICES..REPLICAS {
            let name = format!("fz{}-r{r}", schedule.seed);
            let peer = Peer::start(name, self.proxies[r].url(), &docs, PATIENCE)
                .await
                .map_err(|source| Failure::Replica {
                    replica: r,
                    source: Box::new(source),
                })?;
            peers.push(peer);
        }
        Ok(Run {
            seed: schedule.seed,
            docs: docs.into_iter().map(|(id, _)| id).collect(),
            devices,
            peers,
            made: BTreeMap::new(),
            _dir: dir,
        })
    }

    fn start_server(&mut self) {
        let server = tokio::task::block_in_place(|| spawn(&self.binary, self.data.path()));
        for proxy in &self.proxies {
            proxy.set_upstream(server.addr);
        }
        self.server = Some(server);
    }

    async fn stop_server(&mut self, how: Stop) -> Result<(), Failure> {
        let Some(mut server) = self.server.take() else {
            return Ok(());
        };
        match how {
            Stop::Kill9 => tokio::task::block_in_place(|| server.kill_9()),
            Stop::Graceful => {
                let pid = server.child().id().to_string();
                let sent = std::process::Command::new("kill")
                    .args(["-TERM", &pid])
                    .status()
                    .map_err(|e| Failure::Server(format!("sending SIGTERM: {e}")))?;
                if !sent.success() {
                    return Err(Failure::Server(format!("kill -TERM {pid}: {sent}")));
                }
                let deadline = Instant::now() + PATIENCE;
                let status = loop {
                    match server.child().try_wait() {
                        Ok(Some(status)) => break status,
                        Ok(None) if Instant::now() < deadline => {
                            // Polling for the exit, bounded by the deadline.
                            tokio::time::sleep(Duration::from_millis(5)).await;
                        }
                        Ok(None) => {
                            return Err(Failure::Server("did not exit after SIGTERM".into()));
                        }
                        Err(e) => return Err(Failure::Server(format!("waiting for exit: {e}"))),
                    }
                };
                if !status.success() {
                    return Err(Failure::Server(format!(
                        "exited with {status} after SIGTERM"
                    )));
                }
            }
        }
        Ok(())
    }
}

fn spawn(binary: &Path, data: &Path) -> ServerProcess {
    ServerProcess::spawn(binary, data, PATIENCE)
}

/// One schedule in progress.
struct Run {
    seed: u64,
    docs: Vec<DocumentId>,
    devices: Vec<Device>,
    peers: Vec<Peer>,
    /// Per document, every head any replica had right after one of its edits: each must be in
    /// the converged document (an edit made while partitioned or offline must still arrive).
    made: BTreeMap<DocumentId, Vec<ChangeHash>>,
    _dir: tempfile::TempDir,
}

impl Run {
    async fn step(&mut self, lane: &mut Lane, step: &Step) -> Result<(), Failure> {
        match step {
            Step::Edit { replica, doc, edit } => {
                let id = self.docs[*doc];
                let heads = if *replica < DEVICES {
                    self.devices[*replica].edit(id, edit)
                } else {
                    self.peers[*replica - DEVICES].edit(id, edit).await
                }
                .map_err(|source| Failure::Replica {
                    replica: *replica,
                    source: Box::new(source),
                })?;
                self.made.entry(id).or_default().extend(heads);
            }
            Step::Partition { replica } => lane.proxies[*replica].partition(),
            Step::Heal { replica } => lane.proxies[*replica].heal(),
            Step::Kill { replica } => {
                lane.proxies[*replica].kill();
                if *replica >= DEVICES {
                    self.peers[*replica - DEVICES].killed();
                }
            }
            Step::StopServer(how) => lane.stop_server(*how).await?,
            Step::StartServer => {
                if lane.server.is_none() {
                    lane.start_server();
                }
            }
            Step::Pause { millis } => tokio::time::sleep(Duration::from_millis(*millis)).await,
            Step::Settle => self.settle(lane).await?,
        }
        self.reconnect(lane).await
    }

    /// Reconnects every test client whose connection died, if it can reach the server.
    async fn reconnect(&mut self, lane: &Lane) -> Result<(), Failure> {
        if lane.server.is_none() {
            return Ok(());
        }
        for (i, peer) in self.peers.iter_mut().enumerate() {
            let replica = DEVICES + i;
            if peer.needs_reconnect() && !lane.proxies[replica].is_partitioned() {
                peer.reconnect(PATIENCE)
                    .await
                    .map_err(|source| Failure::Replica {
                        replica,
                        source: Box::new(source),
                    })?;
            }
        }
        Ok(())
    }

    /// Heals everything, waits until all replicas agree and the server acknowledged it all, then
    /// checks the server's copy, the contents, and that no change made was lost.
    async fn settle(&mut self, lane: &mut Lane) -> Result<(), Failure> {
        for proxy in &lane.proxies {
            proxy.heal();
        }
        if lane.server.is_none() {
            lane.start_server();
        }
        let deadline = Instant::now() + PATIENCE;
        let heads = loop {
            self.reconnect(lane).await?;
            if let Some(heads) = self.agreed() {
                break heads;
            }
            if Instant::now() >= deadline {
                return Err(Failure::Stuck(PATIENCE, self.report(None)));
            }
            // Re-checking replicas that sync in the background; the deadline bounds the wait.
            tokio::time::sleep(Duration::from_millis(5)).await;
        };

        // The server's copy, fetched by a client connected straight to it.
        lane.audits += 1;
        let url = lane
            .server
            .as_ref()
            .map(ServerProcess::url)
            .unwrap_or_default();
        let name = format!("fz{}-audit{}", self.seed, lane.audits);
        let auditor = replica::connect(&url, &name, PATIENCE)
            .await
            .map_err(|e| Failure::Audit(Box::new(e)))?;
        for id in &self.docs {
            auditor.subscribe(*id);
        }
        let server_agrees = auditor
            .wait_for("the server's copy", PATIENCE, |v| {
                heads.iter().all(|(id, h)| v.heads(id) == *h)
            })
            .await;
        if server_agrees.is_err() {
            let seen: Vec<_> = self
                .docs
                .iter()
                .map(|id| (*id, auditor.view().heads(id)))
                .collect();
            auditor.close().await;
            return Err(Failure::Diverged(
                "the server's copy differs from the replicas'",
                self.report(Some(&seen)),
            ));
        }

        for id in &self.docs {
            let id = *id;
            let server = auditor
                .read(id, |d| d.map_or_else(|| "<missing>".into(), edit::render))
                .await;
            let mut contents = vec![("server".to_owned(), server.clone())];
            for (r, device) in self.devices.iter().enumerate() {
                contents.push((format!("replica {r} (device)"), device.render(id)));
            }
            for (i, peer) in self.peers.iter().enumerate() {
                let r = DEVICES + i;
                contents.push((format!("replica {r} (client)"), peer.render(id).await));
            }
            if contents.iter().any(|(_, c)| *c != server) {
                auditor.close().await;
                let listing = contents
                    .iter()
                    .map(|(who, c)| format!("  {who}: {c}"))
                    .collect::<Vec<_>>()
                    .join("\n");
                return Err(Failure::Diverged(
                    "same heads, different contents",
                    format!("document {id}:\n{listing}"),
                ));
            }
            let made = self.made.get(&id).cloned().unwrap_or_default();
            let lost: Vec<ChangeHash> = auditor
                .read(id, move |d| {
                    made.into_iter()
                        .filter(|h| d.is_none_or(|d| d.get_change_by_hash(h).is_none()))
                        .collect()
                })
                .await;
            if !lost.is_empty() {
                auditor.close().await;
                return Err(Failure::Diverged(
                    "changes made by replicas are missing from the converged document",
                    format!("document {id}: lost {}", short(&lost)),
                ));
            }
        }
        auditor.close().await;
        Ok(())
    }

    /// Per document, the heads every replica holds, if they all hold the same and the server
    /// acknowledged them to every replica.
    fn agreed(&self) -> Option<Vec<(DocumentId, Vec<ChangeHash>)>> {
        if !self.devices.iter().all(Device::acknowledged) {
            return None;
        }
        let mut agreed = Vec::new();
        for id in &self.docs {
            let id = *id;
            let heads = self.devices[0].heads(id);
            let same = !heads.is_empty()
                && self.devices.iter().all(|d| d.heads(id) == heads)
                && self
                    .peers
                    .iter()
                    .all(|p| p.heads(id) == heads && p.acknowledged(id));
            if !same {
                return None;
            }
            agreed.push((id, heads));
        }
        Some(agreed)
    }

    /// Who holds what, for a failure message.
    fn report(&self, server: Option<&[(DocumentId, Vec<ChangeHash>)]>) -> String {
        let mut out = Vec::new();
        for id in &self.docs {
            let id = *id;
            out.push(format!("document {id}:"));
            for (r, device) in self.devices.iter().enumerate() {
                out.push(format!(
                    "  replica {r} (device): heads {} all acknowledged {}",
                    short(&device.heads(id)),
                    device.acknowledged()
                ));
            }
            for (i, peer) in self.peers.iter().enumerate() {
                let view = peer.client().view();
                let server_heads = view.docs.get(&id).and_then(|d| d.server.clone());
                out.push(format!(
                    "  replica {} (client): heads {} server acknowledged {} connection closed {:?}",
                    DEVICES + i,
                    short(&view.heads(&id)),
                    server_heads.map_or("nothing".into(), |h| short(&h)),
                    view.closed
                ));
            }
            if let Some(seen) = server.and_then(|s| s.iter().find(|(d, _)| *d == id)) {
                out.push(format!("  server: heads {}", short(&seen.1)));
            }
        }
        out.join("\n")
    }
}

fn short(heads: &[ChangeHash]) -> String {
    let mut s: Vec<String> = heads
        .iter()
        .map(|h| h.to_string()[..8].to_owned())
        .collect();
    s.sort();
    format!("[{}]", s.join(" "))
}
