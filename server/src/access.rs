//! The server's access policy: the engine asks it per (connection, document), it answers from
//! memory: the directory [`Snapshot`], who each connection authenticated as, and the document
//! registry.
//!
//! The registry is loaded from the store at start; a new document is registered here when its
//! first changes pass [`AccessPolicy::check_changes`], and the registration is queued for the hub,
//! which writes it in the same group commit as the document's first change.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use automerge::Automerge;
use enlace_core::ids::{DocumentId, PeerId};
use enlace_core::model::{DocumentKind, classify};
use enlace_core::store::Registration;
use enlace_core::sync::{Access, AccessPolicy, ConnectionId};

use crate::directory::{AccountId, Principal, Snapshot, UserId, now_ms};

/// Most peer-id bindings remembered. Past it, bindings of peers with no open socket are
/// forgotten (a forgotten id can be claimed again, which only matters while its owner is
/// connected, and then it is never forgotten).
const MAX_PEER_BINDINGS: usize = 200_000;

/// A document as the registry knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Registered {
    /// Stored before access control, with no readable kind or account: nobody reads it.
    Unclassified,
    /// A document of an account.
    Document {
        kind: DocumentKind,
        account: AccountId,
        creator: Option<UserId>,
    },
}

impl Registered {
    /// The in-memory form of a stored registration.
    pub(crate) fn from_registration(r: &Registration) -> Self {
        let account = r.account_id.as_deref().and_then(|a| a.parse().ok());
        match (r.kind, account) {
            (Some(kind), Some(account)) => Registered::Document {
                kind,
                account,
                creator: r.creator.as_deref().and_then(|c| c.parse().ok()),
            },
            _ => Registered::Unclassified,
        }
    }
}

struct State {
    snapshot: Arc<Snapshot>,
    conns: HashMap<ConnectionId, Principal>,
    peers: HashMap<PeerId, UserId>,
    registry: HashMap<DocumentId, Registered>,
    /// New registrations for the hub to store.
    pending: Vec<(DocumentId, Registration)>,
}

/// Everything access decisions read, shared by the engine's policy, the upgrade handler, the
/// JSON API and the directory watcher.
pub(crate) struct SharedAccess {
    state: Mutex<State>,
}

impl std::fmt::Debug for SharedAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedAccess").finish_non_exhaustive()
    }
}

impl SharedAccess {
    pub(crate) fn new(snapshot: Snapshot, registry: HashMap<DocumentId, Registered>) -> Arc<Self> {
        Arc::new(SharedAccess {
            state: Mutex::new(State {
                snapshot: Arc::new(snapshot),
                conns: HashMap::new(),
                peers: HashMap::new(),
                registry,
                pending: Vec::new(),
            }),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The current directory snapshot.
    pub(crate) fn snapshot(&self) -> Arc<Snapshot> {
        self.lock().snapshot.clone()
    }

    /// Installs a new snapshot; returns the connections whose token no longer authenticates
    /// (revoked, expired, its user deleted) and forgets them, so they are denied everything
    /// until their sockets close.
    pub(crate) fn replace_snapshot(&self, snapshot: Snapshot) -> Vec<ConnectionId> {
        let mut state = self.lock();
        state.snapshot = Arc::new(snapshot);
        Self::expired_locked(&mut state)
    }

    /// Forgets and returns connections whose token expired since they connected.
    pub(crate) fn expired_connections(&self) -> Vec<ConnectionId> {
        Self::expired_locked(&mut self.lock())
    }

    fn expired_locked(state: &mut State) -> Vec<ConnectionId> {
        let now = now_ms();
        let snapshot = state.snapshot.clone();
        let dead: Vec<ConnectionId> = state
            .conns
            .iter()
            .filter(|(_, p)| snapshot.principal_of(&p.token, now).is_none())
            .map(|(c, _)| *c)
            .collect();
        for conn in &dead {
            state.conns.remove(conn);
        }
        dead
    }

    /// A socket authenticated as `principal` opened.
    pub(crate) fn connected(&self, conn: ConnectionId, principal: Principal) {
        self.lock().conns.insert(conn, principal);
    }

    /// A socket closed.
    pub(crate) fn disconnected(&self, conn: ConnectionId) {
        self.lock().conns.remove(&conn);
    }

    /// Registrations made since the last call, for the hub to store.
    pub(crate) fn take_pending(&self) -> Vec<(DocumentId, Registration)> {
        std::mem::take(&mut self.lock().pending)
    }

    /// What `user` may do with `doc`: `Denied` for documents that do not exist too.
    pub(crate) fn document_access(
        &self,
        user: &UserId,
        doc: &DocumentId,
    ) -> (Access, Option<Registered>) {
        let state = self.lock();
        match state.registry.get(doc) {
            Some(
                entry @ Registered::Document {
                    account, creator, ..
                },
            ) => (
                state
                    .snapshot
                    .document_access(user, account, creator.as_ref()),
                Some(entry.clone()),
            ),
            _ => (Access::Denied, None),
        }
    }

    /// Which of `docs` (stored documents) the connection `conn` may read, in order: none for a
    /// connection that is not, or no longer, authenticated. One lock for the lot, for catch-up
    /// scans.
    pub(crate) fn readable(&self, conn: ConnectionId, docs: &[DocumentId]) -> Vec<bool> {
        let state = self.lock();
        let Some(principal) = state.conns.get(&conn) else {
            return vec![false; docs.len()];
        };
        docs.iter()
            .map(|doc| match state.registry.get(doc) {
                Some(Registered::Document {
                    account, creator, ..
                }) => state
                    .snapshot
                    .document_access(&principal.user, account, creator.as_ref())
                    .can_read(),
                _ => false,
            })
            .collect()
    }
}

/// The [`AccessPolicy`] the engine runs with on an authenticating server.
pub(crate) struct ServerPolicy {
    shared: Arc<SharedAccess>,
}

impl ServerPolicy {
    pub(crate) fn new(shared: Arc<SharedAccess>) -> Self {
        ServerPolicy { shared }
    }
}

impl AccessPolicy for ServerPolicy {
    fn admit(&self, conn: ConnectionId, peer: &PeerId) -> Result<(), String> {
        let mut state = self.shared.lock();
        let Some(user) = state.conns.get(&conn).map(|p| p.user.clone()) else {
            return Err("not authenticated".into());
        };
        match state.peers.get(peer) {
            Some(owner) if *owner != user => {
                return Err("this peer id belongs to another user".into());
            }
            Some(_) => {}
            None => {
                if state.peers.len() >= MAX_PEER_BINDINGS {
                    let live: std::collections::HashSet<UserId> =
                        state.conns.values().map(|p| p.user.clone()).collect();
                    state.peers.retain(|_, owner| live.contains(owner));
                }
                state.peers.insert(peer.clone(), user);
            }
        }
        Ok(())
    }

    fn decide(&self, conn: ConnectionId, doc: &DocumentId) -> Access {
        let state = self.shared.lock();
        let Some(principal) = state.conns.get(&conn) else {
            return Access::Denied;
        };
        match state.registry.get(doc) {
            // Not (yet) a document: whoever may create documents may send its first changes
            // (vetted by `check_changes`) or ask for it (and hear "unavailable" until it comes).
            None => {
                if state.snapshot.may_create_somewhere(&principal.user) {
                    Access::ReadWrite
                } else {
                    Access::Denied
                }
            }
            Some(Registered::Unclassified) => Access::Denied,
            Some(Registered::Document {
                account, creator, ..
            }) => state
                .snapshot
                .document_access(&principal.user, account, creator.as_ref()),
        }
    }

    fn checks_changes(&self) -> bool {
        true
    }

    fn check_changes(
        &self,
        conn: ConnectionId,
        doc: &DocumentId,
        after: &Automerge,
    ) -> Result<(), String> {
        let mut state = self.shared.lock();
        let Some(user) = state.conns.get(&conn).map(|p| p.user.clone()) else {
            return Err("not authenticated".into());
        };
        let Some(found) = classify(after) else {
            return Err("the document has no readable kind and account_id".into());
        };
        match state.registry.get(doc) {
            Some(Registered::Document { kind, account, .. }) => {
                if found.kind != *kind {
                    return Err(format!("a {kind} cannot become a {}", found.kind));
                }
                if found.account_id != account.as_str() {
                    return Err(format!(
                        "a document of account {account} cannot move to {}",
                        found.account_id
                    ));
                }
                Ok(())
            }
            Some(Registered::Unclassified) => Err("unclassified document".into()),
            None => {
                let Ok(account) = found.account_id.parse::<AccountId>() else {
                    return Err("malformed account_id".into());
                };
                if !state.snapshot.may_create_in(&user, &account) {
                    return Err(format!("not on the team of account {account}"));
                }
                let registration = Registration {
                    kind: Some(found.kind),
                    account_id: Some(account.to_string()),
                    creator: Some(user.to_string()),
                    registered_ms: now_ms(),
                };
                state.registry.insert(
                    *doc,
                    Registered::Document {
                        kind: found.kind,
                        account,
                        creator: Some(user),
                    },
                );
                state.pending.push((*doc, registration));
                Ok(())
            }
        }
    }
}
