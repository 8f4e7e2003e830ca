//! enlace-server: the websocket sync server.
//!
//! It speaks the automerge-repo websocket protocol (so stock JS clients sync with it), runs the
//! sans-IO [`Engine`](enlace_core::sync::Engine) on one dedicated thread, and acknowledges a
//! change only once a group commit has fsynced it.
//!
//! Layout, one job per file:
//! - [`config`]: the typed [`ServerConfig`] and its defaults.
//! - `routes`: axum routes (`/v1/sync` with authentication, `/healthz`, `/readyz`, `/metrics`).
//! - `api`: the JSON API (`/v1/me`, `/v1/tickets`, `/v1/admin/...`).
//! - [`auth`]: bearer tokens, websocket tickets, limits on failures and sockets per user.
//! - [`directory`]: organisations, people, accounts and teams, supervision, tokens (SQLite) and
//!   the in-memory snapshot access is decided from.
//! - `access`: the engine's access policy over the snapshot and the document registry.
//! - `ws`: one task per socket: read loop with limits, bounded outbound queue, pings, close codes.
//! - `hub`: the engine actor thread and the execution of its effects.
//! - `storage_io`: the group-commit writer and the loader threads over SQLite.
//! - `catch_up`: catch-up pages as a device sees them, filtered before they are cut; `cursor`:
//!   the opaque cursors they carry.
//! - `preflight`: before opening: the data directory is writable and every database file passes
//!   `PRAGMA quick_check`, so a damaged or read-only one is refused, named.
//! - [`metrics`]: counters and histograms, rendered as Prometheus text; [`metrics_access`]: who
//!   may read them, and on which address.
//! - [`blobs`]: photo blobs: tus uploads, downloads with the documents' access, thumbnails,
//!   garbage collection (`docs/blobs.md`).
//! - `outbox`: e-mail queued in the transaction that decides it, delivered over SMTP by a
//!   worker task, never lost and sent twice only after a crash (with the same `Message-ID`).
//! - [`shutdown`]: the SIGTERM/SIGINT future.
//! - [`cli`]: flags and environment, parsed into a [`ServerConfig`] (used by `main` only).
//!
//! ```no_run
//! # async fn example() -> Result<(), enlace_server::ServerError> {
//! use enlace_server::{AccessMode, ServerConfig};
//!
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let config = ServerConfig::new("/tmp/enlace-data", AccessMode::Authenticated);
//! enlace_server::run(listener, config, enlace_server::shutdown::signal()).await
//! # }
//! ```

mod access;
pub mod answers;
mod api;
pub mod auth;
pub mod blobs;
pub mod calendar;
mod catch_up;
pub mod cli;
mod commands;
pub mod config;
pub(crate) mod contact_report;
mod cursor;
pub mod directory;
mod error;
mod hub;
mod listener;
pub mod metrics;
pub mod metrics_access;
pub(crate) mod outbox;
mod preflight;
pub mod reference;
mod routes;
pub mod shutdown;
mod storage_io;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
mod ws;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use enlace_core::ids::PeerId;
use enlace_core::sync::{AccessPolicy, AllowAll, Engine, EngineConfig, Role};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use config::{
    AccessMode, ConnectionLimits, DocumentLimits, InflateLimits, MetricsAccess, MetricsToken,
    ServerConfig, StartupCheck, WebSocketLimits,
};
pub use error::ServerError;
pub use hub::{CLOSE_CREDENTIALS_REVOKED, CLOSE_TOO_SLOW};
pub use ws::CLOSE_RATE_LIMITED;

use crate::auth::state::AuthState;
use crate::hub::{Hub, HubInput};
use crate::metrics::Metrics;
use crate::routes::{AppState, MetricsRoute};
use crate::storage_io::StorageIo;
use crate::ws::SocketContext;

/// Messages socket tasks may queue for the engine thread before their reads pause.
const HUB_INPUT_QUEUE: usize = 4096;

/// Serves sync on `listener` until `shutdown` completes, then stops accepting, closes every
/// socket with 1001, flushes what is in flight and returns.
pub async fn run(
    listener: TcpListener,
    config: ServerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    preflight::writable(&config.data_dir)?;
    let database = config.database_path();
    let directory_file = config.data_dir.join(directory::DIRECTORY_FILE);
    let with_directory = config.access == AccessMode::Authenticated;
    if config.startup_check == StartupCheck::Quick {
        let (database, directory_file) = (database.clone(), directory_file.clone());
        tokio::task::spawn_blocking(move || {
            preflight::store(&database)?;
            if with_directory {
                preflight::directory(&directory_file)?;
            }
            Ok::<(), ServerError>(())
        })
        .await
        .map_err(|_| ServerError::Internal("checking the databases panicked"))??;
    } else {
        tracing::info!("startup check off: the databases are not scanned before serving");
    }
    let authenticated = match config.access {
        AccessMode::Authenticated => {
            let (data_dir, database) = (config.data_dir.clone(), database.clone());
            let opened =
                tokio::task::spawn_blocking(move || auth::state::open(&data_dir, &database))
                    .await
                    .map_err(|_| ServerError::Internal("opening the directory panicked"))?
                    // Name the file that failed, for the operator.
                    .map_err(|e| match e {
                        ServerError::Directory(_) => e.in_file(&directory_file),
                        ServerError::Storage(_) => e.in_file(config.database_path()),
                        other => other,
                    })?;
            Some(opened)
        }
        AccessMode::InsecureOpen => {
            tracing::warn!(
                "running OPEN (--insecure-open): anyone who reaches this server can read and \
                 write every document"
            );
            None
        }
    };
    let metrics = Arc::new(Metrics::default());
    let (storage_events_tx, storage_events) = mpsc::unbounded_channel();
    let path = database.clone();
    let max_batch = config.max_commit_batch;
    let io_metrics = metrics.clone();
    let io_access = authenticated.as_ref().map(|(_, shared)| shared.clone());
    let (storage, storage_id) = tokio::task::spawn_blocking(move || {
        StorageIo::start(&path, max_batch, storage_events_tx, io_metrics, io_access)
    })
    .await
    .map_err(|_| ServerError::Internal("opening storage panicked"))?
    .map_err(|e| ServerError::Storage(e).in_file(&database))?;
    let peer_id: PeerId = format!("enlace-server-{storage_id}")
        .parse()
        .map_err(|_| ServerError::Internal("storage id makes no peer id"))?;
    let mut engine_config = EngineConfig::new(Role::Server, peer_id, Some(storage_id.clone()));
    engine_config.max_loaded_documents = config.documents.max_loaded;
    engine_config.idle_unload_after = config.documents.idle_unload_after;
    // The sockets refuse larger messages before they are queued; the engine checks again.
    engine_config.max_sync_inflated_bytes = config.websocket.inflate.max_message_bytes;
    let blobs = match &authenticated {
        Some((_, shared)) => {
            Some(open_blobs(&config, &database, metrics.clone(), shared.clone()).await?)
        }
        None => None,
    };
    let policy: Box<dyn AccessPolicy> = match &authenticated {
        Some((_, shared)) => Box::new(access::ServerPolicy::new(
            shared.clone(),
            blobs.as_ref().map(|b| b.indexer()),
        )),
        None => Box::new(AllowAll),
    };
    let engine = Engine::new(engine_config, policy);
    let (hub_tx, hub_rx) = mpsc::channel(HUB_INPUT_QUEUE);
    let hub = Hub::start(
        engine,
        storage,
        storage_events,
        hub_rx,
        metrics.clone(),
        authenticated.as_ref().map(|(_, shared)| shared.clone()),
        config.shutdown_grace,
    )?;

    let token = CancellationToken::new();
    let tracker = TaskTracker::new();
    // Delivers queued e-mail until shutdown if a relay is configured; the handle (sender, wake-up)
    // is for whoever queues e-mail.
    let outbox = outbox::start(&config.mail, &database, &tracker, token.clone()).await?;
    let answered = outbox.answered();
    let public_url = config
        .public_url
        .clone()
        .unwrap_or_else(|| match listener.local_addr() {
            Ok(addr) => format!("http://{addr}"),
            Err(_) => "http://localhost".to_owned(),
        });
    let commands = match &authenticated {
        Some((_, shared)) => {
            let (path, hub, shared) = (database.clone(), hub_tx.clone(), shared.clone());
            let storage_id = storage_id.clone();
            let send_within = config.contact_reports.send_within_hours;
            let opened = tokio::task::spawn_blocking(move || {
                commands::Commands::open(
                    &path,
                    &storage_id,
                    hub,
                    shared,
                    outbox,
                    public_url,
                    send_within,
                )
            })
            .await
            .map_err(|_| ServerError::Internal("opening the command store panicked"))?
            .map_err(|e| ServerError::Storage(e).in_file(&database))?;
            Some(Arc::new(opened))
        }
        None => None,
    };
    // Reference data and the catalog documents made from it.
    let catalogs = match &authenticated {
        Some((_, shared)) => {
            let (data_dir, path, hub, shared) = (
                config.data_dir.clone(),
                database.clone(),
                hub_tx.clone(),
                shared.clone(),
            );
            let actor = commands::server_actor(&storage_id);
            let opened = tokio::task::spawn_blocking(move || {
                reference::publish::Catalogs::open(&data_dir, &path, actor, hub, shared)
            })
            .await
            .map_err(|_| ServerError::Internal("opening the reference tables panicked"))?
            .map_err(ServerError::Reference)?;
            Some(Arc::new(opened))
        }
        None => None,
    };
    let auth = authenticated.map(|(directory, shared)| {
        Arc::new(AuthState::new(
            Arc::new(directory),
            shared,
            config.auth.clone(),
            hub_tx.clone(),
        ))
    });
    if let Some(auth) = &auth {
        tracker.spawn(auth::state::watch(auth.clone(), token.clone()));
    }
    if let Some(blobs) = &blobs {
        tracker.spawn(blobs::gc::every(blobs.clone(), token.clone()));
    }
    if let Some(catalogs) = &catalogs {
        // Writes at once the catalogs a previous run left to do, then those the `admin`
        // command marks.
        tracker.spawn(reference::publish::watch(catalogs.clone(), token.clone()));
    }
    if let Some(commands) = &commands {
        tracker.spawn(commands::silence::watch(
            commands.clone(),
            config.contact_reports.clone(),
            token.clone(),
        ));
        tracker.spawn(commands::delivery::watch(
            commands.clone(),
            answered,
            token.clone(),
        ));
    }
    let state = AppState {
        socket: SocketContext {
            hub: hub_tx.clone(),
            limits: config.websocket.clone(),
            metrics: metrics.clone(),
            user_budgets: Arc::new(ws::UserBudgets::new(config.websocket.inflate.clone())),
            shutdown: token.clone(),
        },
        tracker: tracker.clone(),
        next_conn: Arc::new(AtomicU64::new(1)),
        auth,
        metrics_token: config.metrics.token.clone().map(Arc::new),
        commands,
        blobs: blobs.clone(),
        catalogs,
    };
    let metrics_route = match config.metrics.listen {
        None => MetricsRoute::Main,
        Some(at) => {
            let metrics_listener = TcpListener::bind(at)
                .await
                .map_err(|source| ServerError::MetricsListen { addr: at, source })?;
            let addr = metrics_listener.local_addr()?;
            tracing::info!(%addr, "metrics listening");
            let stop = token.clone();
            let serving = axum::serve(
                listener::guarded(
                    metrics_listener,
                    config.connections.clone(),
                    metrics.clone(),
                ),
                routes::metrics_router(state.clone())
                    .into_make_service_with_connect_info::<listener::ConnInfo>(),
            )
            .with_graceful_shutdown(async move { stop.cancelled().await });
            tracker.spawn(async move {
                if let Err(error) = serving.await {
                    tracing::error!(%error, "the metrics listener failed");
                }
            });
            MetricsRoute::Separate
        }
    };
    let addr = listener.local_addr()?;
    tracing::info!(%addr, data = %config.data_dir.display(), %storage_id, "enlace-server listening");
    let stop = token.clone();
    let served = axum::serve(
        listener::guarded(listener, config.connections.clone(), metrics),
        routes::router(state, metrics_route)
            .into_make_service_with_connect_info::<listener::ConnInfo>(),
    )
    .with_graceful_shutdown(async move {
        shutdown.await;
        stop.cancel();
    })
    .await;
    // Whatever ended serving, close the sockets and flush.
    token.cancel();
    tracker.close();
    if tokio::time::timeout(config.shutdown_grace, tracker.wait())
        .await
        .is_err()
    {
        tracing::warn!("sockets still open after the grace period");
    }
    let _ = hub_tx.send(HubInput::Shutdown).await;
    drop(hub_tx);
    tokio::task::spawn_blocking(move || hub.join())
        .await
        .map_err(|_| ServerError::Internal("engine thread join panicked"))??;
    // The engine has stopped: no more references can be queued.
    if let Some(blobs) = blobs {
        tokio::task::spawn_blocking(move || blobs.finish())
            .await
            .map_err(|_| ServerError::Internal("closing the blob index panicked"))?;
    }
    tracing::info!("enlace-server stopped");
    served.map_err(ServerError::Io)
}

/// Opens the blob service (its database, stores and reference indexer) and recovers the uploads
/// a previous run left in progress.
async fn open_blobs(
    config: &ServerConfig,
    database: &std::path::Path,
    metrics: Arc<Metrics>,
    shared: Arc<access::SharedAccess>,
) -> Result<Arc<blobs::Blobs>, ServerError> {
    let (data_dir, documents, limits) = (
        config.data_dir.clone(),
        database.to_owned(),
        config.blobs.clone(),
    );
    let opened = tokio::task::spawn_blocking(move || {
        blobs::Blobs::open(&data_dir, documents, limits, metrics, shared)
    })
    .await
    .map_err(|_| ServerError::Internal("opening the blob store panicked"))?
    .map_err(ServerError::Blobs)?;
    opened.recover().await.map_err(ServerError::Blobs)?;
    Ok(Arc::new(opened))
}
