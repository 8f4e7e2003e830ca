//! What goes into the engine (events) and what comes out (effects).

use std::sync::Arc;

use automerge::ChangeHash;

use crate::ids::{DocumentId, PeerId, StorageId};
use crate::sync::storage::StorageOp;
use crate::sync::{CloseReason, ConnectionId, Direction, PersistTicket};
use crate::wire::{ChangedDocument, Message, RefusalCode};

/// A storage operation failed; the engine keeps the work and retries or gives up safely. It
/// keeps the storage's own error (shared, so events stay `Clone`): its message is what the
/// error says, its source what caused it.
#[derive(Debug, Clone)]
pub struct StorageFailure(Arc<dyn std::error::Error + Send + Sync + 'static>);

impl StorageFailure {
    /// Wraps the storage's error.
    pub fn new(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        StorageFailure(Arc::new(error))
    }

    /// The storage's error.
    pub fn error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        &*self.0
    }

    /// The error and its causes on one line (`a: b: c`), for logs.
    pub fn report(&self) -> String {
        let mut text = self.0.to_string();
        let mut source = self.0.source();
        while let Some(cause) = source {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            source = cause.source();
        }
        text
    }
}

impl std::fmt::Display for StorageFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for StorageFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

/// Two failures are equal when they report the same thing (tests compare answers).
impl PartialEq for StorageFailure {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.report() == other.report()
    }
}

impl Eq for StorageFailure {}

/// A document as read from storage.
#[derive(Debug, Clone, Default)]
pub struct LoadedDocument {
    /// The saved document (a snapshot followed by incremental chunks, as `Automerge::load`
    /// accepts), or `None` if storage has never heard of it.
    pub data: Option<Vec<u8>>,
    /// The persisted sync states of this document, per peer storage id.
    pub sync_states: Vec<(StorageId, Vec<u8>)>,
}

/// Something that happened, told to the engine by its driver.
#[derive(Debug, Clone)]
pub enum Event {
    /// A transport connection is up.
    ConnectionOpened {
        /// The driver's id for it.
        conn: ConnectionId,
        /// Who dialled.
        direction: Direction,
    },
    /// A transport connection is gone.
    ConnectionClosed {
        /// Which one.
        conn: ConnectionId,
    },
    /// A decoded message arrived on a connection.
    MessageReceived {
        /// On which connection.
        conn: ConnectionId,
        /// The message.
        message: Message,
    },
    /// The answer to [`StorageOp::Load`].
    Loaded {
        /// Which document.
        doc: DocumentId,
        /// What storage holds, or why it could not tell.
        result: Result<LoadedDocument, StorageFailure>,
    },
    /// The answer to [`StorageOp::Persist`].
    Persisted {
        /// Which document.
        doc: DocumentId,
        /// The ticket of the effect.
        ticket: PersistTicket,
        /// Whether the changes are durable.
        result: Result<(), StorageFailure>,
    },
    /// The application changed a document and has already made the change durable (the device
    /// store commits before it returns); these are the new changes.
    LocalChange {
        /// Which document.
        doc: DocumentId,
        /// The changes, as `Automerge::load_incremental` accepts them.
        changes: Vec<u8>,
    },
    /// The embedding server changed a document itself (a command it carried out under its own
    /// actor) and has already made the change durable (server role). Peers syncing the document
    /// receive it like any change, and catch-up connections hear of it as of any write.
    ServerChange {
        /// Which document.
        doc: DocumentId,
        /// The changes, as `Automerge::load_incremental` accepts them.
        changes: Vec<u8>,
        /// The document's heads in storage after them.
        heads: Vec<ChangeHash>,
    },
    /// Keep this document in sync with the servers we are connected to (device role): sync it
    /// now, or request it if we do not have it, and again after every reconnect.
    Subscribe {
        /// Which document.
        doc: DocumentId,
    },
    /// Stop syncing this document on reconnects.
    Unsubscribe {
        /// Which document.
        doc: DocumentId,
    },
    /// Send an ephemeral (presence) payload about a document to our peers on it.
    SendEphemeral {
        /// Which document.
        doc: DocumentId,
        /// The application's CBOR payload.
        data: Vec<u8>,
    },
    /// The access policy's answers may have changed for this connection (or for every
    /// connection with `None`); the engine re-checks every document they sync.
    AccessChanged {
        /// Which connection, or all.
        conn: Option<ConnectionId>,
    },
    /// Answer a connection's catch-up request (server role): documents that changed after its
    /// cursor, with their heads. The engine drops the ones the connection may not see.
    AnswerChanges {
        /// Which connection asked.
        conn: ConnectionId,
        /// Changed documents and their heads.
        changes: Vec<(DocumentId, Vec<ChangeHash>)>,
        /// The cursor to ask from next.
        cursor: u64,
        /// Whether more pages follow.
        more: bool,
    },
    /// Ask our servers what changed after `since` (device role).
    RequestChanges {
        /// The stored cursor.
        since: u64,
        /// Page size.
        limit: u64,
    },
    /// Time passed; fire due timers.
    Tick,
}

/// Something the driver must do, returned by the engine as a value.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Send a message on a connection.
    Send {
        /// Which connection.
        conn: ConnectionId,
        /// The message.
        message: Message,
    },
    /// Close a connection.
    Close {
        /// Which connection.
        conn: ConnectionId,
        /// Why.
        reason: CloseReason,
    },
    /// Carry out a storage operation and feed its answer back (see [`crate::sync::storage`],
    /// whose `execute` does this for any storage).
    Storage(StorageOp),
    /// The document's content changed through sync and the change is durable (for observers).
    DocumentChanged {
        /// Which document.
        doc: DocumentId,
        /// Its new heads.
        heads: Vec<ChangeHash>,
    },
    /// Our servers do not have (or will not show us) this document.
    DocumentUnavailable {
        /// Which document.
        doc: DocumentId,
    },
    /// The engine refused a connection's changes to a document (they were not applied, and the
    /// peer was told with [`Message::Refused`]). For the server's logs and metrics.
    ChangesRefused {
        /// Whose changes.
        conn: ConnectionId,
        /// Which document.
        doc: DocumentId,
        /// Why, as told to the peer.
        code: RefusalCode,
        /// The policy's reason (holds peer-supplied text: log it quoted).
        reason: String,
    },
    /// The engine kept a connection's changes that broke fields only the server sets, and
    /// wrote the policy's compensating change, which restores them for every replica. For the
    /// server's logs and metrics.
    ChangesRepaired {
        /// Whose changes.
        conn: ConnectionId,
        /// The peer id that connection joined with.
        peer: PeerId,
        /// Which document.
        doc: DocumentId,
        /// The fields restored.
        fields: Vec<String>,
    },
    /// Our server refused our changes to a document (device role): nothing of them is on the
    /// server. With [`RefusalCode::IdUnavailable`] the content must be re-created under a new id.
    DocumentRefused {
        /// Which document.
        doc: DocumentId,
        /// The server's code, as sent (codes this version does not know are kept).
        code: String,
        /// The server's explanation.
        message: String,
    },
    /// A catch-up page or a live notice arrived (device role).
    ChangesReceived {
        /// The documents and their heads on the server.
        changes: Vec<ChangedDocument>,
        /// The cursor to store, or `None` for a live notice.
        cursor: Option<u64>,
        /// Whether more pages follow.
        more: bool,
    },
    /// A peer's ephemeral payload arrived (device role).
    EphemeralReceived {
        /// Which document.
        doc: DocumentId,
        /// The original sender.
        sender: PeerId,
        /// The payload.
        data: Vec<u8>,
    },
}
