//! Access decisions: the engine asks, the embedding application (the server) answers.

use automerge::{Automerge, ChangeHash};

use crate::ids::{DocumentId, PeerId};
use crate::model::Registration;
use crate::sync::ConnectionId;

/// What a connection may do with one document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Read and write.
    ReadWrite,
    /// Receive the document; its own changes are not applied anywhere.
    ReadOnly,
    /// There is no such document (yet). The peer may send changes that create it (vetted by
    /// [`AccessPolicy::check_changes`], which registers it); until then it is answered as
    /// missing and receives nothing, and once the document exists its access is decided again.
    Absent,
    /// Nothing; answered exactly like a missing document, so ids cannot be probed.
    Denied,
}

impl Access {
    /// Whether the peer may receive the document.
    pub fn can_read(self) -> bool {
        matches!(self, Access::ReadWrite | Access::ReadOnly)
    }

    /// Whether the peer's changes may be applied (and, for an absent document, create it).
    pub fn can_write(self) -> bool {
        matches!(self, Access::ReadWrite | Access::Absent)
    }
}

/// Decides access per (connection, document). Called synchronously by the engine, so it must be
/// cheap and must not do IO: a server keeps its registry and memberships in memory and updates
/// them from outside, then tells the engine with `Event::AccessChanged`.
pub trait AccessPolicy: Send {
    /// May this connection join under this peer id at all?
    fn admit(&self, _conn: ConnectionId, _peer: &PeerId) -> Result<(), PolicyRefusal> {
        Ok(())
    }

    /// What this connection may do with this document. A policy that knows which documents
    /// exist answers [`Access::Absent`] for the others; one that does not (a device, an open
    /// server) may answer `ReadWrite`, and the engine then asks its storage.
    fn decide(&self, conn: ConnectionId, doc: &DocumentId) -> Access;

    /// Whether [`check_changes`](Self::check_changes) must see a writer's changes.
    fn checks_changes(&self) -> bool {
        false
    }

    /// Vets changes from a read-write connection: `after` is the document with them applied,
    /// `before` its heads without them (empty for a new document). For a document that did not
    /// exist yet, an accepting policy may answer its [`Registration`]: the engine carries it
    /// to storage with the document's first persist (in the same transaction as its changes).
    /// A refusal undoes them (the document is rebuilt as it was, so nothing of them stays in
    /// memory or reaches storage), makes the connection read-only for this document, and, for a
    /// document that did not exist yet, answers `doc-unavailable`. A server uses this to classify
    /// new documents and to refuse a change that would move a document to another account.
    /// Called for every message that changes the document, so it must be cheap.
    fn check_changes(
        &self,
        _conn: ConnectionId,
        _doc: &DocumentId,
        _after: &Automerge,
        _before: &[ChangeHash],
    ) -> Result<Accepted, PolicyRefusal> {
        Ok(Accepted::default())
    }
}

/// Everyone may read and write everything: for devices (which trust their one server) and for
/// an explicitly open server.
#[derive(Debug, Clone, Copy, Default)]
pub struct AllowAll;

impl AccessPolicy for AllowAll {
    fn decide(&self, _conn: ConnectionId, _doc: &DocumentId) -> Access {
        Access::ReadWrite
    }
}

/// A policy's yes to a writer's changes.
#[derive(Default)]
pub struct Accepted {
    /// For a document that did not exist yet: its registration, which the engine carries to
    /// storage with the document's first persist (in the same transaction as its changes).
    pub registration: Option<Registration>,
    /// The changes broke rules the policy enforces by repairing rather than refusing (fields
    /// only the server sets): the engine keeps them, so the writer's replica does not diverge,
    /// and calls this with the document (the changes applied) and the heads before them. It
    /// writes one compensating change and returns the names of what it restored, for the logs.
    pub repair: Option<Repair>,
}

/// See [`Accepted::repair`].
pub type Repair =
    Box<dyn FnOnce(&mut Automerge, &[ChangeHash]) -> Result<Vec<String>, PolicyRefusal> + Send>;

impl Accepted {
    /// Accepted, registering a new document.
    pub fn registering(registration: Registration) -> Self {
        Accepted {
            registration: Some(registration),
            repair: None,
        }
    }
}

impl std::fmt::Debug for Accepted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Accepted")
            .field("registration", &self.registration)
            .field("repair", &self.repair.is_some())
            .finish()
    }
}

/// Why a policy refused a peer or its changes. Its message is what the peer is told (so it
/// must say nothing the peer may not know); the policy's own error stays inside, with its
/// cause, for the logs.
#[derive(Debug)]
pub struct PolicyRefusal(Box<dyn std::error::Error + Send + Sync + 'static>);

impl PolicyRefusal {
    /// Wraps the policy's error.
    pub fn new(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        PolicyRefusal(Box::new(error))
    }

    /// A refusal that is only a message (for policies with no error type of their own).
    pub fn because(reason: impl Into<String>) -> Self {
        PolicyRefusal::new(Reason(reason.into()))
    }

    /// The policy's error.
    pub fn error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        &*self.0
    }
}

impl std::fmt::Display for PolicyRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for PolicyRefusal {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

/// The error of [`PolicyRefusal::because`].
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Reason(String);
