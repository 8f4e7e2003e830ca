//! What the authenticated server shares between its upgrade handler, the JSON API and the
//! directory watcher, and how it starts: the directory opened, the document registry loaded
//! (see [`registry`](super::registry)).

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use enlace_core::store::Store;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::AuthConfig;
use super::limits::{ConnectionCounter, FailureLimiter};
use crate::ServerError;
use crate::access::SharedAccess;
use crate::directory::{Directory, DirectoryError};
use crate::hub::HubInput;

/// See the [module docs](self).
#[derive(Debug)]
pub(crate) struct AuthState {
    pub directory: Arc<Directory>,
    pub access: Arc<SharedAccess>,
    pub failures: FailureLimiter,
    pub connections: ConnectionCounter,
    pub config: AuthConfig,
    pub hub: mpsc::Sender<HubInput>,
    /// Serialises reloads, so an older snapshot never replaces a newer one.
    reload: tokio::sync::Mutex<()>,
}

/// Opens the directory and loads the registry (blocking: run it off the runtime).
pub(crate) fn open(
    data_dir: &Path,
    database: &Path,
) -> Result<(Directory, Arc<SharedAccess>), ServerError> {
    let directory = Directory::open_in(data_dir)?;
    let snapshot = directory.snapshot()?;
    let store = Store::open(database)?;
    let registry = super::registry::load(&store, &snapshot)?;
    let access = SharedAccess::new(snapshot, registry);
    Ok((directory, access))
}

impl AuthState {
    pub(crate) fn new(
        directory: Arc<Directory>,
        access: Arc<SharedAccess>,
        config: AuthConfig,
        hub: mpsc::Sender<HubInput>,
    ) -> Self {
        AuthState {
            directory,
            access,
            failures: FailureLimiter::new(
                config.failures_per_minute.max(1),
                std::time::Duration::from_secs(60),
            ),
            connections: ConnectionCounter::new(config.max_connections_per_user.max(1)),
            config,
            hub,
            reload: tokio::sync::Mutex::new(()),
        }
    }

    /// Reads the directory again, installs the new snapshot, closes the sockets whose token no
    /// longer authenticates and has the engine re-check every connection's documents.
    pub(crate) async fn reload(&self) -> Result<(), DirectoryError> {
        let _serial = self.reload.lock().await;
        let directory = self.directory.clone();
        let snapshot = tokio::task::spawn_blocking(move || directory.snapshot())
            .await
            .map_err(|_| DirectoryError::Corrupt("directory reader panicked".into()))??;
        let revoked = self.access.replace_snapshot(snapshot);
        // The hub is gone only at shutdown.
        let _ = self.hub.send(HubInput::AccessChanged { revoked }).await;
        Ok(())
    }

    /// Whether `addr` has failed too often lately.
    pub(crate) fn blocked(&self, addr: std::net::IpAddr) -> bool {
        self.failures.blocked(addr, Instant::now())
    }

    /// Records a failed authentication from `addr`.
    pub(crate) fn failed(&self, addr: std::net::IpAddr) {
        self.failures.failed(addr, Instant::now());
    }
}

/// Until `stop`: notices directory changes made by other processes (the `admin` commands) and
/// tokens that expired on open sockets.
pub(crate) async fn watch(state: Arc<AuthState>, stop: CancellationToken) {
    let mut seen: Option<i64> = None;
    let mut tick = tokio::time::interval(state.config.directory_poll);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        let directory = state.directory.clone();
        let version = tokio::task::spawn_blocking(move || directory.data_version()).await;
        match version {
            Ok(Ok(version)) => {
                if seen.is_some_and(|s| s != version) {
                    tracing::info!("directory changed; reloading");
                    if let Err(error) = state.reload().await {
                        tracing::error!(
                            error = &error as &dyn std::error::Error,
                            "reloading the directory failed"
                        );
                    }
                } else {
                    let expired = state.access.expired_connections();
                    if !expired.is_empty() {
                        let _ = state
                            .hub
                            .send(HubInput::AccessChanged { revoked: expired })
                            .await;
                    }
                }
                seen = Some(version);
            }
            Ok(Err(error)) => {
                tracing::error!(
                    error = &error as &dyn std::error::Error,
                    "reading the directory version failed"
                );
            }
            Err(_) => tracing::error!("directory version reader panicked"),
        }
    }
}
