//! Access decisions: the engine asks, the embedding application (the server) answers.

use automerge::{Automerge, ChangeHash};

use crate::ids::{DocumentId, PeerId};
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
    fn admit(&self, _conn: ConnectionId, _peer: &PeerId) -> Result<(), String> {
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
    /// `before` its heads without them (empty for a new document).
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
    ) -> Result<(), String> {
        Ok(())
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
