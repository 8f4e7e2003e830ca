//! The phone's connection policy as a sans-IO state machine: when to reconnect, when and how to
//! catch up, which documents to sync after a catch-up page. Time, randomness and the store are
//! passed in; the answers are values. The tokio client (`client::driver`) and the simulator
//! (`sync::sim`) both drive this one machine, so the simulator tests the code phones run.
//!
//! Catch-up, in a device's words:
//! 1. After every handshake, sync the documents an earlier catch-up recorded as differing and
//!    not yet synced, then ask the server what changed after the stored cursor.
//! 2. For each page (or live notice), record the documents whose server heads differ from ours
//!    together with the cursor (one store transaction: the cursor never passes a document that
//!    is not recorded), then sync them; ask for the next page while `more`.
//! 3. After the last page, also sync every document with changes no server has acknowledged.
//! 4. While connected, ask again every refresh interval so the cursor stays current.

use std::time::Duration;

use automerge::ChangeHash;

use crate::ids::DocumentId;
use crate::sync::{Event, StorageFailure, Timestamp, catchup};
use crate::wire::ChangedDocument;

pub mod backoff;

/// A document a catch-up page said differs, with the server's heads in that page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Differing {
    /// Which document.
    pub doc: DocumentId,
    /// The server's heads when it said so.
    pub heads: Vec<ChangeHash>,
}

/// What the machine reads and writes of the device's store.
pub trait CatchUpStore {
    /// The stored catch-up cursor (0 before the first catch-up).
    fn cursor(&self) -> Result<u64, StorageFailure>;
    /// Documents earlier pages recorded as differing that the device still lacks changes of.
    fn pending(&self) -> Result<Vec<Differing>, StorageFailure>;
    /// Our heads of a document, `None` if we lack it.
    fn heads(&self, doc: DocumentId) -> Result<Option<Vec<ChangeHash>>, StorageFailure>;
    /// Documents with changes no server has acknowledged.
    fn unacknowledged(&self) -> Result<Vec<DocumentId>, StorageFailure>;
    /// Records `pending` and moves the cursor (if given), in one transaction.
    fn advance(&mut self, cursor: Option<u64>, pending: &[Differing])
    -> Result<(), StorageFailure>;
}

/// How the machine behaves.
#[derive(Debug, Clone)]
pub struct DevicePolicyConfig {
    /// Catch up with one request per connection (`true`) instead of announcing every document.
    pub catch_up: bool,
    /// Page size to ask for.
    pub page: u64,
    /// How often to ask again while connected.
    pub refresh: Duration,
    /// First reconnect pause.
    pub backoff_initial: Duration,
    /// Longest reconnect pause.
    pub backoff_max: Duration,
}

impl Default for DevicePolicyConfig {
    fn default() -> Self {
        DevicePolicyConfig {
            catch_up: true,
            page: catchup::DEFAULT_PAGE,
            refresh: Duration::from_secs(60),
            backoff_initial: Duration::from_millis(500),
            backoff_max: Duration::from_secs(30),
        }
    }
}

/// What the driver tells the machine.
#[derive(Debug, Clone, Copy)]
pub enum DeviceInput<'a> {
    /// A socket to the server is open (the engine's handshake starts).
    Connected,
    /// The server answered the handshake.
    Handshake,
    /// Opening a socket failed; `unauthorized` when the server refused the token.
    ConnectFailed {
        /// The server answered 401.
        unauthorized: bool,
    },
    /// The socket closed or was lost.
    Disconnected,
    /// A catch-up page or live notice arrived (the engine's `ChangesReceived`).
    Changes {
        /// The documents and their server heads.
        changes: &'a [ChangedDocument],
        /// The cursor to store, `None` for a live notice.
        cursor: Option<u64>,
        /// Whether more pages follow.
        more: bool,
    },
    /// Time passed; fire the refresh if due.
    Tick,
    /// Ask the server again now (the app pulled to refresh), if connected.
    Refresh,
}

/// What the machine asks of the driver, in order.
#[derive(Debug, Clone)]
pub enum DeviceAction {
    /// Hand this event to the engine.
    Engine(Event),
    /// Connect again after this pause.
    ReconnectAfter(Duration),
    /// Whether the server is refusing our token (the app should ask to sign in again).
    Unauthorized(bool),
    /// The last catch-up page is in: the device knows everything the server had.
    CaughtUp,
    /// The stored cursor or pending record moved (for observers).
    CursorStored,
}

/// A deliberate mistake, for the tests that show the simulator catches faults in this machine
/// (set only through `inject_fault`, feature `testing`).
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Ignore `more`: never ask for the next page.
    StopAfterFirstPage,
    /// After the last page, do not sync the documents changed here.
    ForgetLocalChanges,
}

/// The machine. See the [module docs](self).
#[derive(Debug)]
pub struct DeviceSync {
    config: DevicePolicyConfig,
    /// Failed attempts since the last successful connect.
    attempt: u32,
    connected: bool,
    next_refresh: Option<Timestamp>,
    fault: Option<Fault>,
}

impl DeviceSync {
    /// A machine for a device that is not connected yet.
    pub fn new(config: DevicePolicyConfig) -> Self {
        DeviceSync {
            config,
            attempt: 0,
            connected: false,
            next_refresh: None,
            fault: None,
        }
    }

    /// Builds in a deliberate mistake (tests only).
    #[cfg(feature = "testing")]
    pub fn inject_fault(&mut self, fault: Fault) {
        self.fault = Some(fault);
    }

    /// The configuration.
    pub fn config(&self) -> &DevicePolicyConfig {
        &self.config
    }

    /// When the machine next wants a [`DeviceInput::Tick`], if ever.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        self.next_refresh
    }

    /// Handles one input at `now`; `random` is any uniformly random number (for the jitter of
    /// reconnect pauses).
    pub fn handle(
        &mut self,
        now: Timestamp,
        random: u64,
        store: &mut impl CatchUpStore,
        input: DeviceInput<'_>,
    ) -> Vec<DeviceAction> {
        match input {
            DeviceInput::Connected => {
                self.attempt = 0;
                self.connected = true;
                vec![DeviceAction::Unauthorized(false)]
            }
            DeviceInput::Handshake => self.on_handshake(now, store),
            DeviceInput::ConnectFailed { unauthorized } => {
                let mut actions = Vec::new();
                if unauthorized {
                    actions.push(DeviceAction::Unauthorized(true));
                }
                actions.push(self.pause(random, unauthorized));
                actions
            }
            DeviceInput::Disconnected => {
                self.connected = false;
                self.next_refresh = None;
                vec![self.pause(random, false)]
            }
            DeviceInput::Changes {
                changes,
                cursor,
                more,
            } => self.on_changes(store, changes, cursor, more),
            DeviceInput::Tick => self.on_tick(now, store),
            DeviceInput::Refresh => self.refresh(now, store),
        }
    }

    /// The pause before the next attempt. A refused token will not get better by hammering:
    /// wait the longest pause (a server also blocks addresses that keep failing).
    fn pause(&mut self, random: u64, refused: bool) -> DeviceAction {
        self.attempt = if refused {
            u32::MAX
        } else {
            self.attempt.saturating_add(1)
        };
        DeviceAction::ReconnectAfter(backoff::delay(
            self.attempt,
            self.config.backoff_initial,
            self.config.backoff_max,
            random,
        ))
    }

    /// Catch up once per connection, right after the handshake, and finish what an earlier
    /// catch-up left unsynced.
    fn on_handshake(&mut self, now: Timestamp, store: &mut impl CatchUpStore) -> Vec<DeviceAction> {
        if !self.config.catch_up {
            return Vec::new();
        }
        self.next_refresh = Some(now + self.config.refresh);
        let mut actions = Vec::new();
        match store.pending() {
            Ok(pending) => {
                if !pending.is_empty() {
                    tracing::debug!(count = pending.len(), "resuming an unfinished catch-up");
                }
                actions.extend(
                    pending
                        .into_iter()
                        .map(|entry| DeviceAction::Engine(Event::Subscribe { doc: entry.doc })),
                );
            }
            Err(e) => tracing::error!(error = %e, "reading the documents left to catch up failed"),
        }
        actions.extend(self.request(store));
        actions
    }

    fn on_tick(&mut self, now: Timestamp, store: &mut impl CatchUpStore) -> Vec<DeviceAction> {
        match self.next_refresh {
            Some(at) if at <= now => self.refresh(now, store),
            _ => Vec::new(),
        }
    }

    /// While connected in catch-up mode, asks again so the cursor stays current.
    fn refresh(&mut self, now: Timestamp, store: &mut impl CatchUpStore) -> Vec<DeviceAction> {
        if !self.connected || !self.config.catch_up {
            return Vec::new();
        }
        self.next_refresh = Some(now + self.config.refresh);
        self.request(store).into_iter().collect()
    }

    /// Asks the server what changed since the stored cursor.
    fn request(&self, store: &mut impl CatchUpStore) -> Option<DeviceAction> {
        match store.cursor() {
            Ok(since) => Some(DeviceAction::Engine(Event::RequestChanges {
                since,
                limit: self.config.page,
            })),
            Err(e) => {
                tracing::error!(error = %e, "reading the catch-up cursor failed");
                None
            }
        }
    }

    /// A catch-up page or a live notice: sync the documents whose heads differ from ours, ask
    /// for the next page, and after the last one also sync what changed here.
    fn on_changes(
        &mut self,
        store: &mut impl CatchUpStore,
        changes: &[ChangedDocument],
        cursor: Option<u64>,
        more: bool,
    ) -> Vec<DeviceAction> {
        let mut wanted = catchup::needing_sync(changes, |doc| store.heads(doc).ok().flatten());
        let differing = differing(changes, &wanted);
        tracing::debug!(
            page = changes.len(),
            ?cursor,
            more,
            differing = wanted.len(),
            "catch-up page"
        );
        let mut actions = Vec::new();
        if let Some(cursor) = cursor {
            if more && self.fault != Some(Fault::StopAfterFirstPage) {
                actions.push(DeviceAction::Engine(Event::RequestChanges {
                    since: cursor,
                    limit: self.config.page,
                }));
            } else if !more {
                if self.fault != Some(Fault::ForgetLocalChanges) {
                    match store.unacknowledged() {
                        Ok(local) => wanted.extend(local),
                        Err(e) => tracing::error!(error = %e, "listing local changes failed"),
                    }
                }
                actions.push(DeviceAction::CaughtUp);
            }
        }
        if (cursor.is_some() || !differing.is_empty())
            && let Err(e) = store.advance(cursor, &differing)
        {
            tracing::error!(error = %e, "storing the catch-up cursor failed");
        }
        if cursor.is_some() {
            actions.push(DeviceAction::CursorStored);
        }
        tracing::debug!(to_sync = wanted.len(), "syncing after catch-up");
        actions.extend(
            wanted
                .into_iter()
                .map(|doc| DeviceAction::Engine(Event::Subscribe { doc })),
        );
        actions
    }
}

/// The documents of a page that need syncing, with the server heads the page announced.
fn differing(changes: &[ChangedDocument], wanted: &[DocumentId]) -> Vec<Differing> {
    changes
        .iter()
        .filter(|change| wanted.contains(&change.document_id))
        .map(|change| Differing {
            doc: change.document_id,
            heads: change
                .heads
                .iter()
                .filter_map(|h| h.parse::<ChangeHash>().ok())
                .collect(),
        })
        .collect()
}
