//! The HTTP routes: the sync websocket, health, readiness and metrics.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use axum::Router;
use axum::extract::State;
use axum::extract::ws::WebSocketUpgrade;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use enlace_core::sync::ConnectionId;
use tokio_util::task::TaskTracker;

use crate::ws::{self, SocketContext};

/// What every handler shares.
#[derive(Debug, Clone)]
pub(crate) struct AppState {
    pub socket: SocketContext,
    pub tracker: TaskTracker,
    pub next_conn: Arc<AtomicU64>,
}

/// The router: `/v1/sync`, `/healthz`, `/readyz`, `/metrics`.
pub(crate) fn router(state: AppState) -> Router {
    Router::new()
        .route("/v1/sync", get(sync))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(state)
}

async fn sync(State(state): State<AppState>, upgrade: WebSocketUpgrade) -> Response {
    if state.socket.shutdown.is_cancelled() {
        return (StatusCode::SERVICE_UNAVAILABLE, "shutting down").into_response();
    }
    let limits = &state.socket.limits;
    let conn = ConnectionId(state.next_conn.fetch_add(1, Relaxed));
    let cx = state.socket.clone();
    let tracker = state.tracker.clone();
    upgrade
        .read_buffer_size(limits.read_buffer_bytes)
        .write_buffer_size(limits.write_buffer_bytes)
        // Past this the socket's writes fail: the outbound queue, not tungstenite, buffers.
        .max_write_buffer_size(limits.write_buffer_bytes + limits.max_message_bytes + 1024)
        .max_message_size(limits.max_message_bytes)
        .max_frame_size(limits.max_frame_bytes)
        .on_upgrade(move |socket| tracker.track_future(ws::serve(socket, conn, cx)))
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn readyz(State(state): State<AppState>) -> Response {
    if state.socket.shutdown.is_cancelled() || state.socket.hub.is_closed() {
        (StatusCode::SERVICE_UNAVAILABLE, "shutting down\n").into_response()
    } else {
        "ready\n".into_response()
    }
}

async fn metrics(State(state): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.socket.metrics.render(),
    )
        .into_response()
}
