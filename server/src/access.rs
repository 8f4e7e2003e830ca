//! The server's access policy: the engine asks it per (connection, document), it answers from
//! memory: the directory [`Snapshot`], who each connection authenticated as, and the document
//! registry.
//!
//! The registry is loaded from the store at start; a new document is registered here when its
//! first changes pass [`AccessPolicy::check_changes`], which answers the registration to the
//! engine: it rides in the document's persist and is written in the same group commit as the
//! document's first change.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use automerge::{Automerge, ChangeHash};
use enlace_core::ids::{DocumentId, PeerId};
use enlace_core::model::authority::AuthorityViolation;
use enlace_core::model::authority::{self, Writer};
use enlace_core::model::{DocumentKind, classify};
use enlace_core::store::Registration;
use enlace_core::sync::{Accepted, Access, AccessPolicy, ConnectionId, PolicyRefusal};

use crate::blobs::refs::RefIndexer;
use crate::directory::{AccountId, AccountKey, OrgId, Principal, Snapshot, UserKey, now_ms};

/// Most peer-id bindings remembered. Past it, bindings of peers with no open socket are
/// forgotten (a forgotten id can be claimed again, which only matters while its owner is
/// connected, and then it is never forgotten).
const MAX_PEER_BINDINGS: usize = 200_000;

/// A document as the registry knows it (`auth::registry` reads and writes the stored form).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Registered {
    /// Stored before access control, with no readable kind or account, or naming an account no
    /// single organisation has: nobody reads it.
    Unclassified,
    /// A document of an account; account and creator are of one organisation.
    Document {
        kind: DocumentKind,
        account: AccountKey,
        creator: Option<UserKey>,
    },
}

struct State {
    snapshot: Arc<Snapshot>,
    conns: HashMap<ConnectionId, Principal>,
    peers: HashMap<PeerId, UserKey>,
    registry: HashMap<DocumentId, Registered>,
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

    /// How a document is registered, if it is.
    pub(crate) fn registration(&self, doc: &DocumentId) -> Option<Registered> {
        self.lock().registry.get(doc).cloned()
    }

    /// Registers a document the server made itself (a catalog), unless it is registered.
    pub(crate) fn register(&self, doc: DocumentId, entry: Registered) {
        self.lock().registry.entry(doc).or_insert(entry);
    }

    /// Who a connection authenticated as, if it is open and authenticated.
    pub(crate) fn user_of(&self, conn: ConnectionId) -> Option<UserKey> {
        self.lock().conns.get(&conn).map(|p| p.user.clone())
    }

    /// A socket closed.
    pub(crate) fn disconnected(&self, conn: ConnectionId) {
        self.lock().conns.remove(&conn);
    }

    /// What `user` may do with `doc`: `Denied` for documents that do not exist too.
    pub(crate) fn document_access(
        &self,
        user: &UserKey,
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

    /// Every registered document of `kind`, with its organisation: what the server's own
    /// watchers (overdue contact reports) walk, without touching the documents.
    pub(crate) fn documents_of_kind(&self, kind: DocumentKind) -> Vec<(DocumentId, OrgId)> {
        let state = self.lock();
        state
            .registry
            .iter()
            .filter_map(|(doc, entry)| match entry {
                Registered::Document {
                    kind: k, account, ..
                } if *k == kind => Some((*doc, account.org.clone())),
                _ => None,
            })
            .collect()
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
    /// Told of every accepted change, to keep the blob reference index (`blobs::refs`).
    refs: Option<Arc<RefIndexer>>,
}

impl ServerPolicy {
    pub(crate) fn new(shared: Arc<SharedAccess>, refs: Option<Arc<RefIndexer>>) -> Self {
        ServerPolicy { shared, refs }
    }
}

impl AccessPolicy for ServerPolicy {
    fn admit(&self, conn: ConnectionId, peer: &PeerId) -> Result<(), PolicyRefusal> {
        let mut state = self.shared.lock();
        let Some(user) = state.conns.get(&conn).map(|p| p.user.clone()) else {
            return Err(Refused::NotAuthenticated.into());
        };
        match state.peers.get(peer) {
            Some(owner) if *owner != user => {
                return Err(Refused::PeerIdTaken.into());
            }
            Some(_) => {}
            None => {
                if state.peers.len() >= MAX_PEER_BINDINGS {
                    let live: std::collections::HashSet<UserKey> =
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
            // Not (yet) a document: its first changes are vetted by `check_changes`, which
            // registers it; until then the peer hears "missing" and receives nothing, and the
            // engine decides again for every peer once it exists.
            None => Access::Absent,
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

    /// Vets the changes, then (outside the lock, only for accepted ones) tells the blob
    /// reference index: this is the one place every writer's change passes on the server.
    fn check_changes(
        &self,
        conn: ConnectionId,
        doc: &DocumentId,
        after: &Automerge,
        before: &[ChangeHash],
    ) -> Result<Accepted, PolicyRefusal> {
        let accepted = self.vet(conn, doc, after, before)?;
        if let Some(refs) = &self.refs {
            refs.observe(*doc, after, before);
        }
        Ok(accepted)
    }
}

impl ServerPolicy {
    fn vet(
        &self,
        conn: ConnectionId,
        doc: &DocumentId,
        after: &Automerge,
        before: &[ChangeHash],
    ) -> Result<Accepted, PolicyRefusal> {
        let mut state = self.shared.lock();
        let Some(user) = state.conns.get(&conn).map(|p| p.user.clone()) else {
            return Err(Refused::NotAuthenticated.into());
        };
        let Some(found) = classify(after) else {
            return Err(Refused::Unclassifiable.into());
        };
        match state.registry.get(doc) {
            Some(Registered::Document {
                kind,
                account,
                creator,
            }) => {
                if found.kind != *kind {
                    return Err(Refused::KindChange {
                        from: *kind,
                        to: found.kind,
                    }
                    .into());
                }
                // Ids are case-insensitive: `ACME` still names `acme`. Debug-quoted: the
                // account id is the peer's, and reasons reach the logs.
                if found.account_id.parse::<AccountId>().ok().as_ref() != Some(&account.id) {
                    return Err(Refused::AccountMove {
                        from: account.id.clone(),
                        to: found.account_id,
                    }
                    .into());
                }
                let writer = Writer {
                    may_review: state.snapshot.may_review(&user, account, creator.as_ref()),
                };
                // A write that sets what only the server (or a reviewer) sets is kept and
                // repaired, not refused: refusing would leave the writer's replica diverged.
                match authority::check_write(after, before, *kind, writer) {
                    Ok(()) => Ok(Accepted::default()),
                    // A catalog is the server's from the first byte to the last: there is no
                    // field to put back, so a client's change to one is refused whole.
                    Err(violation) if *kind == DocumentKind::Catalog => {
                        Err(Refused::Authority(violation).into())
                    }
                    Err(_) => {
                        let kind = *kind;
                        Ok(Accepted {
                            registration: None,
                            repair: Some(Box::new(move |doc, before| {
                                authority::repair(doc, before, kind, writer)
                                    .map(|fields| {
                                        fields.iter().map(|f| f.name.to_owned()).collect()
                                    })
                                    .map_err(PolicyRefusal::new)
                            })),
                        })
                    }
                }
            }
            Some(Registered::Unclassified) => Err(Refused::Unclassified.into()),
            None => {
                let Ok(account) = found.account_id.parse::<AccountId>() else {
                    return Err(Refused::MalformedAccount(found.account_id).into());
                };
                // A document names an account of its creator's organisation.
                let account = AccountKey::new(user.org.clone(), account);
                // The account's catalog id is the server's to create (`crate::reference`).
                if *doc == crate::reference::catalog_id(&account.org, &account.id) {
                    return Err(Refused::Reserved.into());
                }
                if !state.snapshot.may_create_in(&user, &account) {
                    return Err(Refused::NotOnTeam(account.id).into());
                }
                // Nobody creates a document already sent, numbered or reviewed.
                authority::check_write(after, before, found.kind, Writer::default())
                    .map_err(Refused::Authority)?;
                // Stored qualified, `<org>/<id>`: see `auth::registry`.
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
                Ok(Accepted::registering(registration))
            }
        }
    }
}

/// Why the server refuses a peer or its changes. The message is what the peer is told.
#[derive(Debug, thiserror::Error)]
enum Refused {
    #[error("not authenticated")]
    NotAuthenticated,
    #[error("this peer id belongs to another user")]
    PeerIdTaken,
    #[error("the document has no readable kind and account_id")]
    Unclassifiable,
    #[error("a {from} cannot become a {to}")]
    KindChange {
        from: DocumentKind,
        to: DocumentKind,
    },
    // Debug-quoted: the account id is the peer's, and reasons reach the logs.
    #[error("a document of account {from} cannot move to {to:?}")]
    AccountMove { from: AccountId, to: String },
    #[error("unclassified document")]
    Unclassified,
    #[error("malformed account_id {0:?}")]
    MalformedAccount(String),
    #[error("this document id is reserved for the account's catalog")]
    Reserved,
    #[error("not on the team of account {0}")]
    NotOnTeam(AccountId),
    #[error(transparent)]
    Authority(AuthorityViolation),
}

impl From<Refused> for PolicyRefusal {
    fn from(refused: Refused) -> Self {
        PolicyRefusal::new(refused)
    }
}
