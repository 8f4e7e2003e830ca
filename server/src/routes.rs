//! The HTTP routes: the sync websocket (authenticated before the upgrade), the JSON API,
//! health, readiness and metrics.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use std::net::SocketAddr;

use axum::Router;
use axum::extract::Request;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use enlace_core::sync::ConnectionId;
use tokio_util::task::TaskTracker;

use crate::api::ApiError;
use crate::auth::state::AuthState;
use crate::auth::{Credential, authenticate, bearer};
use crate::directory::now_ms;
use crate::listener::ConnInfo;
use crate::metrics::ErrorKind;
use crate::metrics_access::MetricsToken;
use crate::ws::{self, Authenticated, SocketContext};

/// What every handler shares.
#[derive(Debug, Clone)]
pub(crate) struct AppState {
    pub socket: SocketContext,
    pub tracker: TaskTracker,
    pub next_conn: Arc<AtomicU64>,
    /// `None` on an open server (`--insecure-open`).
    pub auth: Option<Arc<AuthState>>,
    /// The token `/metrics` requires, if any.
    pub metrics_token: Option<Arc<MetricsToken>>,
    /// Server commands (`None` on an open server).
    pub commands: Option<Arc<crate::commands::Commands>>,
    /// Photo blobs: uploads, downloads, thumbnails (`None` on an open server).
    pub blobs: Option<Arc<crate::blobs::Blobs>>,
    /// Reference data and catalogs (`None` on an open server).
    pub catalogs: Option<Arc<crate::reference::publish::Catalogs>>,
}

/// Where `/metrics` is served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MetricsRoute {
    /// On the main listener, with the rest.
    Main,
    /// On a listener of its own ([`metrics_router`]); the main router has no `/metrics`.
    Separate,
}

/// The router: `/v1/sync`, the JSON API (authenticated servers only), `/healthz`, `/readyz`,
/// and `/metrics` unless it has a listener of its own.
pub(crate) fn router(state: AppState, metrics_route: MetricsRoute) -> Router {
    let router = match &state.auth {
        Some(_) => crate::api::router(),
        None => Router::new(),
    };
    let router = match &state.blobs {
        Some(_) => router.merge(crate::blobs::routes::router()),
        None => router,
    };
    let router = router
        .route("/v1/sync", get(sync))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz));
    let router = match metrics_route {
        MetricsRoute::Main => router.route("/metrics", get(metrics)),
        MetricsRoute::Separate => router,
    };
    router
        .layer(axum::middleware::map_response(one_request_per_connection))
        .layer(axum::middleware::map_request(connection_facts))
        .with_state(state)
}

/// The router of the metrics listener: `/metrics` and nothing else.
pub(crate) fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .layer(axum::middleware::map_response(one_request_per_connection))
        .layer(axum::middleware::map_request(connection_facts))
        .with_state(state)
}

/// Gives every request its peer's address as `ConnectInfo<SocketAddr>` (what the handlers
/// extract) and its connection's `RequestDeadline` as an extension, from the [`ConnInfo`] the
/// listener provides.
async fn connection_facts(mut request: Request) -> Request {
    let info = request
        .extensions()
        .get::<ConnectInfo<ConnInfo>>()
        .map(|ConnectInfo(info)| info.clone());
    if let Some(info) = info {
        request.extensions_mut().insert(ConnectInfo(info.addr));
        request.extensions_mut().insert(info.deadline);
    }
    request
}

/// Answers every plain HTTP request with `Connection: close`: the request deadline of a
/// connection (`ConnectionLimits::request_timeout`) covers its first request only, so a
/// kept-alive connection could otherwise idle, or send a second request slowly, without bound.
/// The API is called rarely (a ticket, an admin page), so a connection per call costs nothing
/// that matters; a websocket upgrade (`101`) is left alone.
async fn one_request_per_connection(mut response: Response) -> Response {
    if response.status() != StatusCode::SWITCHING_PROTOCOLS {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// The query of the upgrade: browsers put their ticket here.
#[derive(Debug, serde::Deserialize)]
pub(crate) struct SyncQuery {
    ticket: Option<String>,
}

async fn sync(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(query): Query<SyncQuery>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    if state.socket.shutdown.is_cancelled() {
        return (StatusCode::SERVICE_UNAVAILABLE, "shutting down").into_response();
    }
    let authenticated = match &state.auth {
        None => None,
        Some(auth) => match authenticate_upgrade(auth, peer, &headers, query.ticket.as_deref()) {
            Ok(ok) => Some(ok),
            Err(error) => {
                state.socket.metrics.error(ErrorKind::Unauthorized);
                return error.into_response();
            }
        },
    };
    // Credentials first: an unauthenticated caller learns nothing, not even whether its request
    // was a well-formed upgrade.
    let upgrade = match upgrade {
        Ok(upgrade) => upgrade,
        Err(rejection) => return rejection.into_response(),
    };
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
        .on_upgrade(move |socket| tracker.track_future(ws::serve(socket, conn, cx, authenticated)))
}

/// Checks the credential of an upgrade (a bearer header, or else a ticket), before any document
/// work: 401 for anything but a live credential, 429 for an address that failed too often or a
/// user with too many sockets.
fn authenticate_upgrade(
    auth: &AuthState,
    peer: SocketAddr,
    headers: &HeaderMap,
    ticket: Option<&str>,
) -> Result<Authenticated, ApiError> {
    if auth.blocked(peer.ip()) {
        return Err(ApiError::TooManyRequests);
    }
    let credential = match (bearer(headers), ticket) {
        (Some(token), _) => Credential::Bearer(token),
        (None, Some(ticket)) => Credential::Ticket(ticket),
        (None, None) => {
            auth.failed(peer.ip());
            return Err(ApiError::Unauthorized);
        }
    };
    let snapshot = auth.access.snapshot();
    let Some(principal) = authenticate(&snapshot, credential, now_ms()) else {
        tracing::info!(%peer, "refused an upgrade with a bad credential");
        auth.failed(peer.ip());
        return Err(ApiError::Unauthorized);
    };
    let Some(slot) = auth.connections.acquire(&principal.user) else {
        tracing::info!(user = %principal.user, "too many sockets for one user");
        return Err(ApiError::TooManyRequests);
    };
    Ok(Authenticated { principal, slot })
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

/// The metrics, behind the metrics token when one is set. A wrong token counts as a failed
/// authentication of the caller's address, like a wrong bearer token on the API.
async fn metrics(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    if let Some(token) = &state.metrics_token {
        if state.auth.as_ref().is_some_and(|a| a.blocked(peer.ip())) {
            return ApiError::TooManyRequests.into_response();
        }
        if !token.admits(bearer(&headers)) {
            if let Some(auth) = &state.auth {
                auth.failed(peer.ip());
            }
            state.socket.metrics.error(ErrorKind::Unauthorized);
            tracing::debug!(%peer, "refused /metrics without the metrics token");
            return ApiError::Unauthorized.into_response();
        }
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.socket.metrics.render(),
    )
        .into_response()
}
