//! The TCP listener the HTTP server accepts from, with the two bounds axum's `serve` does not
//! give: at most [`max_connections`](ConnectionLimits::max_connections) open at once, and a
//! deadline for each connection's request.
//!
//! Both live at the socket level because the attacks they stop never reach a handler: a flood of
//! connections, or a client that sends its request line a byte at a time (slowloris) or not at
//! all, costs a connection and nothing else, so connections themselves must be bounded. Over the
//! limit a new connection gets `503` and is closed at once; a connection that has not been
//! answered within [`request_timeout`](ConnectionLimits::request_timeout) gets `408` and is
//! closed. Both answers are written straight to the socket, best effort, since hyper has not
//! answered anything on it yet.
//!
//! One kind of request legitimately takes longer than the deadline to arrive: a blob upload's
//! body (a `PATCH` of up to 25 MB from a phone on a slow network). Its handler, once the caller
//! is authenticated and the upload found, lifts the deadline through the [`RequestDeadline`]
//! every request carries ([`ConnInfo`]), and bounds the body itself by an idle timeout.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::task::{Context, Poll};

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, ListenerExt, TapIo};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Sleep;

use crate::config::ConnectionLimits;
use crate::metrics::{ErrorKind, Metrics};

/// Sent to a connection over the limit.
const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\
    Retry-After: 5\r\nContent-Length: 17\r\n\r\ntoo many clients\n";
/// Sent to a connection whose request did not arrive in time.
const TOO_SLOW: &[u8] = b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\
    Content-Length: 21\r\n\r\nrequest took too long\n";

/// A handle on one connection's request deadline: a handler that has authenticated its caller
/// and expects a long body lifts it (and bounds the body its own way).
#[derive(Debug, Clone, Default)]
pub(crate) struct RequestDeadline(Arc<AtomicBool>);

impl RequestDeadline {
    /// The connection no longer has to be answered within the request timeout.
    pub(crate) fn lift(&self) {
        self.0.store(true, Relaxed);
    }

    fn lifted(&self) -> bool {
        self.0.load(Relaxed)
    }
}

/// What each request learns of its connection (`ConnectInfo<ConnInfo>`; the router copies the
/// address into `ConnectInfo<SocketAddr>` and the deadline into an extension).
#[derive(Debug, Clone)]
pub(crate) struct ConnInfo {
    /// The peer's address.
    pub addr: SocketAddr,
    /// The connection's request deadline.
    pub deadline: RequestDeadline,
}

impl Connected<IncomingStream<'_, TapIo<GuardedListener, fn(&mut Guarded)>>> for ConnInfo {
    fn connect_info(stream: IncomingStream<'_, TapIo<GuardedListener, fn(&mut Guarded)>>) -> Self {
        ConnInfo {
            addr: *stream.remote_addr(),
            deadline: stream.io().lift.clone(),
        }
    }
}

/// See the [module docs](self).
#[derive(Debug)]
pub(crate) struct GuardedListener {
    inner: TcpListener,
    permits: Arc<Semaphore>,
    limits: ConnectionLimits,
    metrics: Arc<Metrics>,
    /// Set while connections are being refused, so the log says so once, not per connection.
    full: AtomicBool,
}

/// The listener `run` serves from: `inner` within `limits`.
///
/// Wrapped in axum's `TapIo` (which does nothing here) only because axum provides
/// `ConnectInfo<SocketAddr>`, which authentication needs for the caller's address, for its own
/// listener types and not for ours.
pub(crate) fn guarded(
    inner: TcpListener,
    limits: ConnectionLimits,
    metrics: Arc<Metrics>,
) -> TapIo<GuardedListener, fn(&mut Guarded)> {
    fn untouched(_: &mut Guarded) {}
    GuardedListener::new(inner, limits, metrics).tap_io(untouched as fn(&mut Guarded))
}

impl GuardedListener {
    fn new(inner: TcpListener, limits: ConnectionLimits, metrics: Arc<Metrics>) -> Self {
        GuardedListener {
            inner,
            permits: Arc::new(Semaphore::new(limits.max_connections.max(1))),
            limits,
            metrics,
            full: AtomicBool::new(false),
        }
    }
}

impl axum::serve::Listener for GuardedListener {
    type Io = Guarded;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Guarded, SocketAddr) {
        loop {
            let (stream, addr) = match self.inner.accept().await {
                Ok(accepted) => accepted,
                Err(error) => {
                    accept_failed(error).await;
                    continue;
                }
            };
            match self.permits.clone().try_acquire_owned() {
                Ok(permit) => {
                    if self.full.swap(false, Relaxed) {
                        tracing::info!("accepting connections again");
                    }
                    Metrics::add(&self.metrics.tcp_connections, 1);
                    let deadline = Box::pin(tokio::time::sleep(self.limits.request_timeout));
                    let guarded = Guarded {
                        stream,
                        deadline: Some(deadline),
                        lift: RequestDeadline::default(),
                        metrics: self.metrics.clone(),
                        _permit: permit,
                    };
                    return (guarded, addr);
                }
                Err(_) => {
                    self.metrics.error(ErrorKind::ConnectionLimit);
                    if !self.full.swap(true, Relaxed) {
                        tracing::warn!(
                            max = self.limits.max_connections,
                            "connection limit reached; refusing new connections with 503"
                        );
                    }
                    tracing::debug!(%addr, "refused a connection over the limit");
                    // Best effort and never blocking: a client that does not read gets nothing.
                    let _ = stream.try_write(BUSY);
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

/// What axum's own listener does with accept errors: a connection that died in the backlog is
/// skipped; anything else (out of file descriptors, say) is logged and retried after a pause
/// rather than spun on.
async fn accept_failed(error: io::Error) {
    if matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = &error as &dyn std::error::Error, "accept failed");
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
}

/// One accepted connection: its place under the connection limit (given back when it is
/// dropped, however it ended) and its request deadline, armed until the server first writes to
/// it (an answer, or the `101` of a websocket upgrade).
#[derive(Debug)]
pub(crate) struct Guarded {
    stream: TcpStream,
    deadline: Option<Pin<Box<Sleep>>>,
    /// Set by a handler that lifted the deadline (see [`RequestDeadline`]).
    lift: RequestDeadline,
    metrics: Arc<Metrics>,
    _permit: OwnedSemaphorePermit,
}

impl Drop for Guarded {
    fn drop(&mut self) {
        self.metrics.tcp_connections.fetch_sub(1, Relaxed);
    }
}

impl Guarded {
    /// The server is answering: the request arrived in time.
    fn answering(&mut self) {
        self.deadline = None;
    }
}

impl AsyncRead for Guarded {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.deadline.is_some() && self.lift.lifted() {
            self.deadline = None;
        }
        // Polled before the read, so the deadline wakes this task even if the peer sends nothing.
        if let Some(deadline) = self.deadline.as_mut()
            && deadline.as_mut().poll(cx).is_ready()
        {
            self.deadline = None;
            self.metrics.error(ErrorKind::RequestTimeout);
            tracing::debug!("closing a connection whose request did not arrive in time");
            let _ = self.stream.try_write(TOO_SLOW);
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the request did not arrive in time",
            )));
        }
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Guarded {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.answering();
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.answering();
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
