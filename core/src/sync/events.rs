//! What goes into the engine (events) and what comes out (effects).

use automerge::ChangeHash;

use crate::ids::{DocumentId, PeerId, StorageId};
use crate::sync::{CloseReason, ConnectionId, Direction, PersistTicket};
use crate::wire::{ChangedDocument, Message, RefusalCode};

/// A storage operation failed; the engine keeps the work and retries or gives up safely.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageFailure(pub String);

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
    /// The answer to [`Effect::Load`].
    Loaded {
        /// Which document.
        doc: DocumentId,
        /// What storage holds, or why it could not tell.
        result: Result<LoadedDocument, StorageFailure>,
    },
    /// The answer to [`Effect::Persist`].
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
    /// Read a document and its sync states; answer with [`Event::Loaded`].
    Load {
        /// Which document.
        doc: DocumentId,
    },
    /// Make these changes durable; answer with [`Event::Persisted`] only once they are.
    Persist {
        /// Which document.
        doc: DocumentId,
        /// Echo this back.
        ticket: PersistTicket,
        /// What `Automerge::load_incremental` accepts: the whole document saved (`save()`)
        /// when `base` is empty, otherwise the changes since `base` (`save_after`).
        changes: Vec<u8>,
        /// The heads `changes` were saved after: what the engine last saw made durable (empty
        /// for a document new to storage). Storage holding exactly these heads can append the
        /// changes without loading the document.
        base: Vec<ChangeHash>,
        /// The document's heads once these changes are applied.
        heads: Vec<ChangeHash>,
    },
    /// Keep a peer's sync state (`automerge::sync::State::encode`); no answer needed.
    SaveSyncState {
        /// Which document.
        doc: DocumentId,
        /// Whose state.
        storage_id: StorageId,
        /// The encoded state.
        state: Vec<u8>,
    },
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
    /// A connection asked for a catch-up page (server role): answer with
    /// [`Event::AnswerChanges`].
    ChangesRequested {
        /// Which connection.
        conn: ConnectionId,
        /// Its cursor.
        since: u64,
        /// Its page size.
        limit: u64,
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
