//! One socket task per websocket: reads frames within the limits and decodes them, writes what
//! the hub queued, pings, and closes with a code. No automerge here: messages go to the hub.
//! Reads are paced by the socket's frame and byte budget (see [`rate`]).

mod rate;

use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket};
use enlace_core::sync::ConnectionId;
use enlace_core::wire::{DecodeError, DecodeLimits, decode};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::auth::limits::ConnectionSlot;
use crate::config::WebSocketLimits;
use crate::directory::Principal;
use crate::hub::{CLOSE_TOO_SLOW, Closing, ConnHandle, HubInput, Kill, sleep_until};
use crate::metrics::{ErrorKind, Metrics};

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
        let close = pump(
            conn,
            &cx,
            &kill,
            &queued_bytes,
            &mut sink,
            stream,
            &mut queue,
        )
        .await;
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
    kill: &Kill,
    queued_bytes: &AtomicUsize,
    sink: &mut Sink,
    mut stream: Stream,
    queue: &mut mpsc::Receiver<Bytes>,
) -> Option<Closing> {
    let limits = decode_limits(&cx.limits);
    let metrics = &cx.metrics;
    let mut ping = tokio::time::interval_at(
        Instant::now() + cx.limits.ping_interval,
        cx.limits.ping_interval,
    );
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_heard = Instant::now();
    let mut budget = rate::Budget::new(&cx.limits, Instant::now());
    loop {
        let was_held = budget.held();
        let read_at = match budget.verdict(Instant::now()) {
            rate::Verdict::Read => None,
            rate::Verdict::Wait(at) => Some(at),
            rate::Verdict::Flood => {
                metrics.error(ErrorKind::RateLimited);
                tracing::info!(%conn, "peer kept sending past its budget; closing");
                return closing(CLOSE_RATE_LIMITED, "rate limited");
            }
        };
        if read_at.is_some() && !was_held {
            Metrics::add(&metrics.throttled, 1);
            tracing::debug!(%conn, "peer spent its budget; pacing its reads");
        }
        tokio::select! {
            () = kill.token.cancelled() => {
                return kill.reason().or(closing(1001, "server shutting down"));
            }
            frame = queue.recv() => {
                if let Err(close) = write_queued(frame, kill, queued_bytes, metrics, sink).await {
                    return close;
                }
            }
            // Paced: while the budget is spent, nothing is read (TCP holds the peer back).
            () = sleep_until(read_at), if read_at.is_some() => {}
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
                                // While the hub's queue is full, keep writing what it sends
                                // back: a peer that reads is never cut as too slow because the
                                // server stopped writing to it (a catch-up burst does this).
                                let forward = cx.hub.send(HubInput::Received { conn, message });
                                tokio::pin!(forward);
                                loop {
                                    tokio::select! {
                                        () = kill.token.cancelled() => {
                                            return kill.reason().or(closing(1001, "server shutting down"));
                                        }
                                        sent = &mut forward => {
                                            if sent.is_err() {
                                                return closing(1001, "server shutting down");
                                            }
                                            break;
                                        }
                                        frame = queue.recv() => {
                                            if let Err(close) =
                                                write_queued(frame, kill, queued_bytes, metrics, sink).await
                                            {
                                                return close;
                                            }
                                        }
                                    }
                                }
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
                        let _ = tokio::time::timeout(CLOSE_WRITE_TIMEOUT, sink.flush()).await;
                        return None;
                    }
                }
            }
            _ = ping.tick() => {
                if last_heard.elapsed() >= cx.limits.idle_timeout {
                    metrics.error(ErrorKind::PingTimeout);
                    tracing::info!(%conn, "peer stopped answering pings; dropping it");
                    return closing(4000, "ping timeout");
                }
                let sent = tokio::time::timeout(
                    cx.limits.ping_interval,
                    sink.send(WsMessage::Ping(Bytes::new())),
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

/// Writes one frame the hub queued (`None`: the hub dropped its end). `Err` holds what `pump`
/// returns: the socket is done.
async fn write_queued(
    frame: Option<Bytes>,
    kill: &Kill,
    queued_bytes: &AtomicUsize,
    metrics: &Metrics,
    sink: &mut Sink,
) -> Result<(), Option<Closing>> {
    let Some(frame) = frame else {
        // The hub dropped its end: either it decided to close this socket (the reason is set)
        // or it is gone.
        return Err(kill.reason().or(closing(1011, "internal error")));
    };
    let len = frame.len();
    queued_bytes.fetch_sub(len, Relaxed);
    tokio::select! {
        // A write that completes at once goes out even if a close was decided meanwhile (the
        // `error` message before a refusal); a stuck one is cut short.
        biased;
        sent = sink.send(WsMessage::Binary(frame)) => {
            if sent.is_err() {
                metrics.error(ErrorKind::Transport);
                return Err(None);
            }
        }
        () = kill.token.cancelled() => {
            return Err(kill.reason().or(closing(1001, "server shutting down")));
        }
    }
    Metrics::add(&metrics.messages_out, 1);
    Metrics::add(&metrics.bytes_out, len as u64);
    Ok(())
}

/// What a frame costs against the byte budget: its payload.
fn frame_len(message: &WsMessage) -> usize {
    match message {
        WsMessage::Binary(bytes) | WsMessage::Ping(bytes) | WsMessage::Pong(bytes) => bytes.len(),
        WsMessage::Text(text) => text.len(),
        WsMessage::Close(_) => 0,
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
