//! The engine actor: one dedicated thread owns the sans-IO [`Engine`] and carries out its
//! effects. Socket tasks only decode and encode frames; every automerge operation runs here, so
//! a large document can never stall a socket task or the runtime's workers.
//!
//! Effects: `Send` goes to the connection's bounded queue with `try_send` (a queue full by count
//! or by bytes closes the connection with 4008, "too slow, reconnect"); storage ops go to the
//! storage threads (`storage_io`), whose answers come back as events; timers fire at
//! `poll_timeout`.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use enlace_core::sync::{
    CloseReason, ConnectionId, Effect, Engine, Event, StorageFailure, Timestamp,
};
use enlace_core::wire::{Message, encode};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::access::SharedAccess;
use crate::directory::Principal;
use crate::metrics::{ErrorKind, Metrics};
use crate::storage_io::StorageIo;

/// Close code for a consumer that fell behind its outbound queue.
pub const CLOSE_TOO_SLOW: u16 = 4008;

/// Close code for a socket whose token was revoked or expired while it was open.
pub const CLOSE_CREDENTIALS_REVOKED: u16 = 4001;

/// Why and how a socket is to be closed, decided by the hub and carried out by the socket task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Closing {
    pub code: u16,
    pub reason: &'static str,
}

/// The hub's handle on one socket task: its bounded outbound queue and its kill switch.
#[derive(Debug, Clone)]
pub(crate) struct ConnHandle {
    pub outbound: mpsc::Sender<Bytes>,
    /// Bytes in `outbound` not yet written; the socket task subtracts what it writes.
    pub queued_bytes: Arc<AtomicUsize>,
    /// Most bytes `outbound` may hold.
    pub max_queued_bytes: usize,
    pub kill: Arc<Kill>,
}

/// Tells a socket task to close, with which code. The first reason wins.
#[derive(Debug)]
pub(crate) struct Kill {
    pub token: CancellationToken,
    reason: OnceLock<Closing>,
}

impl Kill {
    pub(crate) fn new(token: CancellationToken) -> Self {
        Kill {
            token,
            reason: OnceLock::new(),
        }
    }

    pub(crate) fn kill(&self, code: u16, reason: &'static str) {
        let _ = self.reason.set(Closing { code, reason });
        self.token.cancel();
    }

    pub(crate) fn reason(&self) -> Option<Closing> {
        self.reason.get().cloned()
    }
}

/// What socket tasks tell the hub.
#[derive(Debug)]
pub(crate) enum HubInput {
    Opened {
        conn: ConnectionId,
        handle: ConnHandle,
        /// Who the socket authenticated as (`None` on an open server).
        principal: Option<Principal>,
    },
    Received {
        conn: ConnectionId,
        message: Message,
    },
    Closed {
        conn: ConnectionId,
    },
    /// The directory changed: close the sockets of `revoked` (their token no longer
    /// authenticates) and re-check what every connection may see.
    AccessChanged {
        revoked: Vec<ConnectionId>,
    },
    /// The server changed a document itself (a command) and made it durable: fan it out.
    ServerChange {
        doc: enlace_core::ids::DocumentId,
        changes: Vec<u8>,
        heads: Vec<automerge::ChangeHash>,
    },
    /// Stop: flush what is in flight and end the thread.
    Shutdown,
}

/// The running engine thread.
#[derive(Debug)]
pub(crate) struct Hub {
    thread: JoinHandle<()>,
}

impl Hub {
    /// Starts the thread. It ends after [`HubInput::Shutdown`] (or when every input sender is
    /// gone), once in-flight writes are flushed (at most `grace`), and finishes the storage
    /// threads.
    pub(crate) fn start(
        engine: Engine,
        storage: StorageIo,
        storage_events: mpsc::UnboundedReceiver<Event>,
        inputs: mpsc::Receiver<HubInput>,
        metrics: Arc<Metrics>,
        access: Option<Arc<SharedAccess>>,
        grace: Duration,
    ) -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()?;
        let thread = std::thread::Builder::new()
            .name("enlace-engine".into())
            .spawn(move || {
                let mut actor = Actor {
                    engine,
                    storage,
                    conns: HashMap::new(),
                    metrics,
                    access,
                    epoch: Instant::now(),
                    gauges_at: Instant::now(),
                };
                runtime.block_on(actor.run(storage_events, inputs, grace));
                actor.storage.finish();
            })?;
        Ok(Hub { thread })
    }

    /// Waits for the thread to end.
    pub(crate) fn join(self) -> Result<(), crate::ServerError> {
        self.thread
            .join()
            .map_err(|_| crate::ServerError::Internal("engine thread panicked"))
    }
}

struct Actor {
    engine: Engine,
    storage: StorageIo,
    conns: HashMap<ConnectionId, ConnHandle>,
    metrics: Arc<Metrics>,
    access: Option<Arc<SharedAccess>>,
    epoch: Instant,
    gauges_at: Instant,
}

impl Actor {
    async fn run(
        &mut self,
        mut storage_events: mpsc::UnboundedReceiver<Event>,
        mut inputs: mpsc::Receiver<HubInput>,
        grace: Duration,
    ) {
        loop {
            let deadline = self.engine.poll_timeout().map(|t| self.instant_of(t));
            tokio::select! {
                biased;
                Some(event) = storage_events.recv() => self.handle(event),
                input = inputs.recv() => match input {
                    Some(HubInput::Opened { conn, handle, principal }) => {
                        if let (Some(access), Some(principal)) = (&self.access, principal) {
                            access.connected(conn, principal);
                        }
                        self.conns.insert(conn, handle);
                        self.handle(Event::ConnectionOpened {
                            conn,
                            direction: enlace_core::sync::Direction::Incoming,
                        });
                    }
                    Some(HubInput::Received { conn, message }) => {
                        let started = Instant::now();
                        self.handle(Event::MessageReceived { conn, message });
                        self.metrics.sync_handling.observe(started.elapsed());
                    }
                    Some(HubInput::Closed { conn }) => {
                        self.conns.remove(&conn);
                        self.handle(Event::ConnectionClosed { conn });
                        if let Some(access) = &self.access {
                            access.disconnected(conn);
                        }
                    }
                    Some(HubInput::AccessChanged { revoked }) => {
                        for conn in revoked {
                            if let Some(handle) = self.conns.get(&conn) {
                                tracing::info!(%conn, "credentials revoked or expired; closing");
                                handle.kill.kill(CLOSE_CREDENTIALS_REVOKED, "credentials revoked");
                            }
                        }
                        self.handle(Event::AccessChanged { conn: None });
                    }
                    Some(HubInput::ServerChange { doc, changes, heads }) => {
                        self.handle(Event::ServerChange { doc, changes, heads });
                    }
                    Some(HubInput::Shutdown) | None => break,
                },
                () = sleep_until(deadline) => self.handle(Event::Tick),
            }
        }
        // Final flush: close what is left (their sync states are saved) and let in-flight
        // persists finish, within the grace period.
        let open: Vec<ConnectionId> = self.conns.keys().copied().collect();
        for conn in open {
            if let Some(handle) = self.conns.remove(&conn) {
                handle.kill.kill(1001, "server shutting down");
            }
            self.handle(Event::ConnectionClosed { conn });
        }
        let give_up = tokio::time::Instant::now() + grace;
        while !self.engine.is_idle() {
            let deadline = self.engine.poll_timeout().map(|t| self.instant_of(t));
            tokio::select! {
                Some(event) = storage_events.recv() => self.handle(event),
                () = sleep_until(deadline) => self.handle(Event::Tick),
                () = tokio::time::sleep_until(give_up) => {
                    tracing::warn!("shutdown grace period over with writes in flight");
                    break;
                }
            }
        }
    }

    fn now(&self) -> Timestamp {
        Timestamp(u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX))
    }

    fn instant_of(&self, t: Timestamp) -> tokio::time::Instant {
        tokio::time::Instant::from_std(self.epoch + Duration::from_millis(t.as_millis()))
    }

    /// Feeds one event to the engine and carries out every effect, including the events those
    /// effects cause (a slow consumer's close).
    fn handle(&mut self, event: Event) {
        let mut events = VecDeque::from([event]);
        while let Some(event) = events.pop_front() {
            let effects = self.engine.handle(self.now(), event);
            for effect in effects {
                if let Some(follow_up) = self.execute(effect) {
                    events.push_back(follow_up);
                }
            }
        }
        if self.gauges_at.elapsed() >= Duration::from_millis(500) {
            self.gauges_at = Instant::now();
            self.metrics
                .documents_loaded
                .store(self.engine.loaded_documents() as u64, Relaxed);
        }
    }

    fn execute(&mut self, effect: Effect) -> Option<Event> {
        match effect {
            Effect::Send { conn, message } => {
                let handle = self.conns.get(&conn)?;
                let frame = Bytes::from(encode(&message));
                let len = frame.len();
                let over_budget = handle.queued_bytes.load(Relaxed).saturating_add(len) > handle.max_queued_bytes
                        // One message larger than the budget still goes to an idle socket.
                        && handle.queued_bytes.load(Relaxed) > 0;
                let sent = if over_budget {
                    Err(mpsc::error::TrySendError::Full(frame))
                } else {
                    handle.outbound.try_send(frame)
                };
                match sent {
                    Ok(()) => {
                        handle.queued_bytes.fetch_add(len, Relaxed);
                        None
                    }
                    Err(mpsc::error::TrySendError::Full(_)) => {
                        tracing::info!(%conn, "outbound queue full; disconnecting a slow consumer");
                        self.metrics.error(ErrorKind::SlowConsumer);
                        handle.kill.kill(CLOSE_TOO_SLOW, "too slow, reconnect");
                        self.conns.remove(&conn);
                        Some(Event::ConnectionClosed { conn })
                    }
                    // The socket task is ending; it reports `Closed` itself.
                    Err(mpsc::error::TrySendError::Closed(_)) => None,
                }
            }
            Effect::Close { conn, reason } => {
                let (code, text) = close_code(&reason);
                if matches!(reason, CloseReason::ProtocolViolation(_)) {
                    self.metrics.error(ErrorKind::Protocol);
                }
                tracing::info!(%conn, ?reason, "engine closes connection");
                if let Some(handle) = self.conns.remove(&conn) {
                    handle.kill.kill(code, text);
                }
                None
            }
            // Writes to the group-commit writer, reads to the loader; their answers come back
            // as events. A thread that is gone (shutdown) still gets the engine its answer.
            Effect::Storage(op) => self
                .storage
                .submit(op)
                .and_then(|op| op.failed(StorageFailure::new(StorageStopped))),
            Effect::ChangesRefused {
                conn,
                doc,
                code,
                reason,
            } => {
                // The reason holds the peer's text: Debug-quoted.
                tracing::info!(%conn, %doc, %code, ?reason, "changes refused");
                self.metrics.error(ErrorKind::Refused);
                None
            }
            Effect::ChangesRepaired {
                conn,
                peer,
                doc,
                fields,
            } => {
                let user = self.access.as_ref().and_then(|a| a.user_of(conn));
                // The peer id is the peer's own text: Debug-quoted.
                tracing::warn!(
                    %conn,
                    peer = ?peer.as_str(),
                    user = ?user.map(|u| u.to_string()),
                    %doc,
                    ?fields,
                    "a client wrote fields only the server sets; restored them"
                );
                self.metrics.error(ErrorKind::AuthorityRepaired);
                None
            }
            Effect::DocumentChanged { .. }
            | Effect::DocumentRefused { .. }
            | Effect::DocumentUnavailable { .. }
            | Effect::EphemeralReceived { .. }
            | Effect::ChangesReceived { .. } => None,
        }
    }
}

/// The storage threads have stopped (the server is shutting down).
#[derive(Debug, thiserror::Error)]
#[error("the storage threads have stopped")]
struct StorageStopped;

/// The websocket close code and reason for an engine close.
fn close_code(reason: &CloseReason) -> (u16, &'static str) {
    match reason {
        CloseReason::UnsupportedProtocol => (1002, "unsupported protocol version"),
        CloseReason::ProtocolViolation(_) => (1008, "protocol violation"),
        CloseReason::TooManyDocuments => (1008, "too many documents"),
        CloseReason::StorageFailure => (1011, "storage failure, reconnect"),
        CloseReason::Refused(_) => (1008, "refused"),
    }
}

/// Sleeps until `deadline`, forever if `None` (a `select!` branch that never fires).
pub(crate) async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
