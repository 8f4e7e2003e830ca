//! One socket task per websocket: reads frames within the limits and decodes them, writes what
//! the hub queued, pings, and closes with a code. No document work here: messages go to the hub.
//! Reads are paced by the socket's frame, byte and inflate budgets (see [`rate`]); what a sync
//! message will cost the engine to inflate is measured here, off the engine's thread (see
//! [`inflate`]).

mod bucket;
mod inflate;
mod rate;

use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket};
use enlace_core::sync::ConnectionId;
use enlace_core::wire::{DecodeError, DecodeLimits, Message, decode};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::auth::limits::ConnectionSlot;
use crate::config::WebSocketLimits;
use crate::directory::Principal;
use crate::hub::{CLOSE_TOO_SLOW, Closing, ConnHandle, HubInput, Kill, sleep_until};
use crate::metrics::{ErrorKind, Metrics};

pub(crate) use inflate::UserBudgets;

/// Close code for a socket that kept sending past its frame or byte budget
/// ([`WebSocketLimits::rate_limit_close_after`]). In the 4000-4999 range applications own,
/// echoing HTTP's 429.
pub const CLOSE_RATE_LIMITED: u16 = 4029;

/// How long a close frame may take to go out before the socket is simply dropped.
const CLOSE_WRITE_TIMEOUT: Duration = Duration::from_secs(1);

/// What one socket task needs.
#[derive(Debug, Clone)]
pub(crate) struct SocketContext {
    pub hub: mpsc::Sender<HubInput>,
    pub limits: WebSocketLimits,
    pub metrics: Arc<Metrics>,
    /// Every user's inflate budget, shared by their sockets.
    pub user_budgets: Arc<UserBudgets>,
    /// Cancelled at server shutdown.
    pub shutdown: CancellationToken,
}

/// The decode limits matching the socket limits.
pub(crate) fn decode_limits(limits: &WebSocketLimits) -> DecodeLimits {
    DecodeLimits {
        max_frame_bytes: limits.max_message_bytes,
        max_data_bytes: limits.max_message_bytes,
        ..DecodeLimits::default()
    }
}

fn closing(code: u16, reason: &'static str) -> Option<Closing> {
    Some(Closing { code, reason })
}

/// Who a socket authenticated as, and its place in the user's socket count (given back when the
/// socket task ends). `None` on an open server.
#[derive(Debug)]
pub(crate) struct Authenticated {
    pub principal: Principal,
    pub slot: ConnectionSlot,
}

/// Runs one socket until it closes, then tells the hub.
pub(crate) async fn serve(
    socket: WebSocket,
    conn: ConnectionId,
    cx: SocketContext,
    auth: Option<Authenticated>,
) {
    let (principal, _slot) = match auth {
        Some(Authenticated { principal, slot }) => (Some(principal), Some(slot)),
        None => (None, None),
    };
    let user_budget = principal
        .as_ref()
        .map(|p| cx.user_budgets.of(&p.user, Instant::now()));
    let metrics = cx.metrics.clone();
    Metrics::add(&metrics.connections_opened, 1);
    metrics.connections_active.fetch_add(1, Relaxed);
    let (outbound, mut queue) = mpsc::channel::<Bytes>(cx.limits.outbound_queue.max(1));
    let kill = Arc::new(Kill::new(cx.shutdown.child_token()));
    let queued_bytes = Arc::new(AtomicUsize::new(0));
    let handle = ConnHandle {
        outbound,
        queued_bytes: queued_bytes.clone(),
        max_queued_bytes: cx.limits.outbound_bytes,
        kill: kill.clone(),
    };
    let (mut sink, stream) = socket.split();
    let close = if cx
        .hub
        .send(HubInput::Opened {
            conn,
            handle,
            principal,
        })
        .await
        .is_err()
    {
        closing(1001, "server shutting down")
    } else {
        let budget = rate::Budget::new(&cx.limits, user_budget, Instant::now());
        let mut writer = Writer {
            kill: &kill,
            queued_bytes: &queued_bytes,
            metrics: &metrics,
            sink: &mut sink,
            queue: &mut queue,
        };
        let close = pump(conn, &cx, budget, stream, &mut writer).await;
        // Always tell the hub, even at shutdown (it drains its inputs before it stops).
        let _ = cx.hub.send(HubInput::Closed { conn }).await;
        close
    };
    if let Some(Closing { code, reason }) = close {
        tracing::debug!(%conn, code, reason, "closing socket");
        let frame = WsMessage::Close(Some(CloseFrame {
            code,
            reason: reason.into(),
        }));
        let _ = tokio::time::timeout(CLOSE_WRITE_TIMEOUT, async {
            // What the engine queued before deciding to close (an `error` message explaining a
            // refused join) goes out first; a consumer closed for being too slow gets nothing more.
            if code != CLOSE_TOO_SLOW {
                while let Ok(queued) = queue.try_recv() {
                    if sink.send(WsMessage::Binary(queued)).await.is_err() {
                        break;
                    }
                }
            }
            let _ = sink.send(frame).await;
            let _ = sink.close().await;
        })
        .await;
    }
    metrics.connections_active.fetch_sub(1, Relaxed);
}

type Sink = futures_util::stream::SplitSink<WebSocket, WsMessage>;
type Stream = futures_util::stream::SplitStream<WebSocket>;

/// The socket's main loop; returns the close frame to send, if any.
async fn pump(
    conn: ConnectionId,
    cx: &SocketContext,
    mut budget: rate::Budget,
    mut stream: Stream,
    writer: &mut Writer<'_>,
) -> Option<Closing> {
    let limits = decode_limits(&cx.limits);
    let metrics = &cx.metrics;
    let mut ping = tokio::time::interval_at(
        Instant::now() + cx.limits.ping_interval,
        cx.limits.ping_interval,
    );
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_heard = Instant::now();
    loop {
        let was_held = budget.held();
        let read_at = match pace(conn, metrics, was_held, budget.verdict(Instant::now())) {
            Ok(at) => at,
            Err(close) => return close,
        };
        tokio::select! {
            () = writer.kill.token.cancelled() => {
                return writer.kill.reason().or(closing(1001, "server shutting down"));
            }
            frame = writer.queue.recv() => {
                if let Err(close) = writer.write(frame).await {
                    return close;
                }
            }
            // Paced: while the budget is spent, nothing is read (TCP holds the peer back), so
            // nothing is heard either; the idle clock starts again when reading does.
            () = sleep_until(read_at), if read_at.is_some() => last_heard = Instant::now(),
            incoming = stream.next(), if read_at.is_none() => {
                let message = match incoming {
                    None => return None,
                    Some(Err(error)) => return read_error(conn, metrics, &error),
                    Some(Ok(message)) => message,
                };
                last_heard = Instant::now();
                budget.spend(frame_len(&message));
                match message {
                    WsMessage::Binary(bytes) => {
                        Metrics::add(&metrics.bytes_in, bytes.len() as u64);
                        match decode(&bytes, &limits) {
                            Ok(message) => {
                                Metrics::add(&metrics.messages_in, 1);
                                if let Err(close) =
                                    deliver(conn, cx, &mut budget, message, writer).await
                                {
                                    return close;
                                }
                                // It may have waited for its budget, unread and unheard.
                                last_heard = Instant::now();
                            }
                            Err(DecodeError::UnknownType(kind)) => {
                                // Newer peers may send types we do not know: ignore them.
                                metrics.error(ErrorKind::UnknownType);
                                tracing::debug!(%conn, ?kind, "ignoring a message of unknown type");
                            }
                            Err(error) => {
                                metrics.error(ErrorKind::Decode);
                                tracing::info!(%conn, %error, "undecodable frame; closing");
                                return closing(1007, "invalid message");
                            }
                        }
                    }
                    WsMessage::Text(_) => {
                        metrics.error(ErrorKind::TextFrame);
                        tracing::info!(%conn, "text frame; closing");
                        return closing(1003, "binary frames only");
                    }
                    // tungstenite answers pings itself; any frame shows the peer is alive.
                    WsMessage::Ping(_) | WsMessage::Pong(_) => {}
                    // tungstenite queues the close reply; flushing it is all that is left.
                    WsMessage::Close(_) => {
                        let _ =
                            tokio::time::timeout(CLOSE_WRITE_TIMEOUT, writer.sink.flush()).await;
                        return None;
                    }
                }
            }
            _ = ping.tick() => {
                if read_at.is_none() && last_heard.elapsed() >= cx.limits.idle_timeout {
                    metrics.error(ErrorKind::PingTimeout);
                    tracing::info!(%conn, "peer stopped answering pings; dropping it");
                    return closing(4000, "ping timeout");
                }
                let sent = tokio::time::timeout(
                    cx.limits.ping_interval,
                    writer.sink.send(WsMessage::Ping(Bytes::new())),
                )
                .await;
                if !matches!(sent, Ok(Ok(()))) {
                    // Either the socket is broken or its writes are stuck: a dead peer either way.
                    metrics.error(ErrorKind::PingTimeout);
                    return None;
                }
            }
        }
    }
}

/// Carries out a budget's verdict: `Ok(None)` to go ahead, `Ok(Some(until))` to wait (counted
/// once per hold), `Err` with the close frame of a flood.
fn pace(
    conn: ConnectionId,
    metrics: &Metrics,
    was_held: bool,
    verdict: rate::Verdict,
) -> Result<Option<Instant>, Option<Closing>> {
    match verdict {
        rate::Verdict::Go => Ok(None),
        rate::Verdict::Wait(at, spent) => {
            if !was_held {
                Metrics::add(&metrics.throttled, 1);
                if spent == rate::Spent::Inflated {
                    Metrics::add(&metrics.inflate_throttled, 1);
                }
                tracing::debug!(%conn, ?spent, "peer spent its budget; pacing it");
            }
            Ok(Some(at))
        }
        rate::Verdict::Flood(spent) => {
            metrics.error(ErrorKind::RateLimited);
            tracing::info!(%conn, ?spent, "peer kept sending past its budget; closing");
            Err(closing(CLOSE_RATE_LIMITED, "rate limited"))
        }
    }
}

/// Hands a decoded message to the engine: measured ([`inflate`]; refused, closing the socket,
/// if it inflates past the bound), paid for from the inflate budgets (waiting for them if need
/// be, reading nothing meanwhile), then queued for the hub. `Err` holds what `pump` returns.
async fn deliver(
    conn: ConnectionId,
    cx: &SocketContext,
    budget: &mut rate::Budget,
    message: Message,
    writer: &mut Writer<'_>,
) -> Result<(), Option<Closing>> {
    let metrics = &cx.metrics;
    let inflated = match inflate::inflated_size(&message, &cx.limits.inflate) {
        Ok(inflated) => inflated,
        Err(refusal) => {
            // Charged (up to a burst) so that reconnecting does not get bombs measured any
            // faster.
            if let inflate::Refusal::TooLarge { max } = refusal {
                let burst = cx.limits.inflate.per_user_burst;
                budget.charge_refused(max.min(burst), Instant::now());
            }
            return Err(refuse(conn, metrics, &refusal));
        }
    };
    loop {
        let was_held = budget.held();
        let verdict = budget.admit_inflated(inflated, Instant::now());
        match pace(conn, metrics, was_held, verdict)? {
            None => break,
            Some(at) => writer.meanwhile(tokio::time::sleep_until(at)).await?,
        }
    }
    Metrics::add(&metrics.inflated_bytes_in, inflated);
    writer
        .meanwhile(cx.hub.send(HubInput::Received { conn, message }))
        .await?
        .map_err(|_| closing(1001, "server shutting down"))
}

/// The socket's writing side: what the hub queued for it, and the kill switch.
struct Writer<'a> {
    kill: &'a Kill,
    queued_bytes: &'a AtomicUsize,
    metrics: &'a Metrics,
    sink: &'a mut Sink,
    queue: &'a mut mpsc::Receiver<Bytes>,
}

impl Writer<'_> {
    /// Writes one frame the hub queued (`None`: the hub dropped its end). `Err` holds what
    /// `pump` returns: the socket is done.
    async fn write(&mut self, frame: Option<Bytes>) -> Result<(), Option<Closing>> {
        let Some(frame) = frame else {
            // The hub dropped its end: either it decided to close this socket (the reason is
            // set) or it is gone.
            return Err(self.kill.reason().or(closing(1011, "internal error")));
        };
        let len = frame.len();
        self.queued_bytes.fetch_sub(len, Relaxed);
        tokio::select! {
            // A write that completes at once goes out even if a close was decided meanwhile
            // (the `error` message before a refusal); a stuck one is cut short.
            biased;
            sent = self.sink.send(WsMessage::Binary(frame)) => {
                if sent.is_err() {
                    self.metrics.error(ErrorKind::Transport);
                    return Err(None);
                }
            }
            () = self.kill.token.cancelled() => {
                return Err(self.kill.reason().or(closing(1001, "server shutting down")));
            }
        }
        Metrics::add(&self.metrics.messages_out, 1);
        Metrics::add(&self.metrics.bytes_out, len as u64);
        Ok(())
    }

    /// Runs `work` to its end while writing what the hub queues: a peer that reads is never cut
    /// as too slow because the server stopped writing to it while waiting for the hub's queue
    /// (a catch-up burst fills it) or for the peer's own budget. `Err` holds what `pump`
    /// returns if the socket is done meanwhile.
    async fn meanwhile<T>(&mut self, work: impl Future<Output = T>) -> Result<T, Option<Closing>> {
        tokio::pin!(work);
        loop {
            tokio::select! {
                () = self.kill.token.cancelled() => {
                    return Err(self.kill.reason().or(closing(1001, "server shutting down")));
                }
                done = &mut work => return Ok(done),
                frame = self.queue.recv() => self.write(frame).await?,
            }
        }
    }
}

/// What a frame costs against the byte budget: its payload.
fn frame_len(message: &WsMessage) -> usize {
    match message {
        WsMessage::Binary(bytes) | WsMessage::Ping(bytes) | WsMessage::Pong(bytes) => bytes.len(),
        WsMessage::Text(text) => text.len(),
        WsMessage::Close(_) => 0,
    }
}

/// Closes a socket whose message [`inflate`] refused, before the engine sees it: 1009 for one
/// that inflates too large, 1008 for one the engine would refuse as unsafe or undecodable.
fn refuse(conn: ConnectionId, metrics: &Metrics, refusal: &inflate::Refusal) -> Option<Closing> {
    tracing::info!(%conn, error = %refusal, "refusing a sync message; closing");
    match refusal {
        inflate::Refusal::TooLarge { .. } => {
            metrics.error(ErrorKind::TooLargeInflated);
            closing(1009, "message too big once inflated")
        }
        inflate::Refusal::Invalid(_) => {
            metrics.error(ErrorKind::Protocol);
            closing(1008, "protocol violation")
        }
    }
}

/// Maps a read error to a metric and a close frame.
fn read_error(conn: ConnectionId, metrics: &Metrics, error: &axum::Error) -> Option<Closing> {
    let text = error.to_string();
    // axum wraps tungstenite's error without exposing its type; its capacity errors say "too".
    if text.contains("too long") || text.contains("too big") || text.contains("Space limit") {
        metrics.error(ErrorKind::TooLarge);
        tracing::info!(%conn, error = ?text, "oversized frame; closing");
        closing(1009, "message too big")
    } else {
        metrics.error(ErrorKind::Transport);
        tracing::debug!(%conn, error = ?text, "socket read failed");
        None
    }
}
