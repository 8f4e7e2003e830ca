//! The messages of the automerge-repo websocket protocol "1", as Rust values.

use crate::ids::{DocumentId, PeerId, StorageId};

/// The only protocol version automerge-repo 2.x speaks.
pub const PROTOCOL_V1: &str = "1";

/// What a peer says about itself in `join` and `peer`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PeerMetadata {
    /// The peer's persistent storage, if it has one; sync states are kept per storage id.
    pub storage_id: Option<StorageId>,
    /// An ephemeral peer keeps nothing, so its sync state is not persisted.
    pub is_ephemeral: bool,
}

/// One storage's heads of a document, as gossiped by `remote-heads-changed`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteHeads {
    /// Whose heads these are.
    pub storage_id: StorageId,
    /// The heads, as the bs58check strings the JS client sends.
    pub heads: Vec<String>,
    /// When the storage had them, in milliseconds since the epoch (informational).
    pub timestamp: u64,
}

/// One entry of an enlace catch-up page: a document the user may see that changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangedDocument {
    /// Which document.
    pub document_id: DocumentId,
    /// Its heads on the server, as hex change hashes.
    pub heads: Vec<String>,
}

/// One message of the protocol: one binary websocket frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// Client -> server: the opening of the handshake.
    Join {
        /// The client's self-chosen peer id.
        sender_id: PeerId,
        /// Its storage and whether it is ephemeral.
        peer_metadata: PeerMetadata,
        /// Offered versions; `None` when the key is absent (taken as `["1"]`).
        supported_protocol_versions: Option<Vec<String>>,
    },
    /// Server -> client: the handshake's answer.
    Peer {
        /// The server's peer id.
        sender_id: PeerId,
        /// The client it answers.
        target_id: PeerId,
        /// The server's storage.
        peer_metadata: PeerMetadata,
        /// Always [`PROTOCOL_V1`].
        selected_protocol_version: String,
    },
    /// One automerge sync message about one document.
    Sync {
        /// Who sends it.
        sender_id: PeerId,
        /// Who it is for.
        target_id: PeerId,
        /// Which document.
        document_id: DocumentId,
        /// An encoded `automerge::sync::Message`.
        data: Vec<u8>,
    },
    /// Like `sync`, from a peer that has no copy of the document yet.
    Request {
        /// Who sends it.
        sender_id: PeerId,
        /// Who it is for.
        target_id: PeerId,
        /// Which document.
        document_id: DocumentId,
        /// An encoded `automerge::sync::Message`.
        data: Vec<u8>,
    },
    /// Nobody reachable has the document (or the peer may not see it: the answer is the same).
    DocUnavailable {
        /// Who sends it.
        sender_id: PeerId,
        /// Who it is for.
        target_id: PeerId,
        /// Which document.
        document_id: DocumentId,
    },
    /// Presence and cursors: relayed to the document's other peers, never stored.
    Ephemeral {
        /// The original sender (kept when relayed).
        sender_id: PeerId,
        /// Who it is for.
        target_id: PeerId,
        /// Which document.
        document_id: DocumentId,
        /// The application's CBOR payload, opaque here.
        data: Vec<u8>,
        /// Per-session counter, for de-duplication.
        count: u64,
        /// The sender's session, for de-duplication.
        session_id: String,
    },
    /// Subscribe to or unsubscribe from heads gossip about storages.
    RemoteSubscriptionChange {
        /// Who sends it.
        sender_id: PeerId,
        /// Who it is for.
        target_id: PeerId,
        /// Storages to start hearing about.
        add: Vec<StorageId>,
        /// Storages to stop hearing about.
        remove: Vec<StorageId>,
    },
    /// Heads gossip: some storages' heads of a document changed.
    RemoteHeadsChanged {
        /// Who sends it.
        sender_id: PeerId,
        /// Who it is for.
        target_id: PeerId,
        /// Which document.
        document_id: DocumentId,
        /// The new heads per storage.
        new_heads: Vec<RemoteHeads>,
    },
    /// enlace extension, device -> server: "which documents I may see changed after `since`?"
    /// Stock clients never send it. The answer is one or more [`Message::Changes`] pages.
    ChangesRequest {
        /// Who asks.
        sender_id: PeerId,
        /// The server.
        target_id: PeerId,
        /// The cursor of the last page the device stored (0 for everything).
        since: u64,
        /// At most this many entries per page.
        limit: u64,
    },
    /// enlace extension, server -> device: a catch-up page, or (with no cursor) a live notice
    /// that documents in the device's scope changed.
    Changes {
        /// The server.
        sender_id: PeerId,
        /// The device.
        target_id: PeerId,
        /// The documents, with their heads.
        changes: Vec<ChangedDocument>,
        /// The cursor to ask from next; `None` on live notices.
        cursor: Option<u64>,
        /// Whether more pages follow.
        more: bool,
    },
    /// enlace extension, server -> client: the client's changes to a document were refused, and
    /// nothing of them was applied or stored. Stock automerge-repo clients drop message types
    /// they do not know, so it is safe to send to them.
    Refused {
        /// The server.
        sender_id: PeerId,
        /// The client whose changes were refused.
        target_id: PeerId,
        /// Which document.
        document_id: DocumentId,
        /// A stable, machine-readable code (see [`RefusalCode`](crate::wire::RefusalCode)).
        code: String,
        /// What to tell the person, in English.
        message: String,
    },
    /// Client -> server: the client is going away (the socket closes next).
    Leave {
        /// Who leaves.
        sender_id: PeerId,
    },
    /// Server -> client: a fatal protocol error; the socket closes after it.
    Error {
        /// Human-readable reason.
        message: String,
    },
}

impl Message {
    /// The wire name of the message type (`"sync"`, `"doc-unavailable"`, ...).
    pub fn type_name(&self) -> &'static str {
        match self {
            Message::Join { .. } => "join",
            Message::Peer { .. } => "peer",
            Message::Sync { .. } => "sync",
            Message::Request { .. } => "request",
            Message::DocUnavailable { .. } => "doc-unavailable",
            Message::Ephemeral { .. } => "ephemeral",
            Message::RemoteSubscriptionChange { .. } => "remote-subscription-change",
            Message::RemoteHeadsChanged { .. } => "remote-heads-changed",
            Message::ChangesRequest { .. } => "enlace-changes-request",
            Message::Changes { .. } => "enlace-changes",
            Message::Refused { .. } => "enlace-refused",
            Message::Leave { .. } => "leave",
            Message::Error { .. } => "error",
        }
    }

    /// The document a message is about, if it is about one.
    pub fn document_id(&self) -> Option<DocumentId> {
        match self {
            Message::Sync { document_id, .. }
            | Message::Request { document_id, .. }
            | Message::DocUnavailable { document_id, .. }
            | Message::Refused { document_id, .. }
            | Message::Ephemeral { document_id, .. }
            | Message::RemoteHeadsChanged { document_id, .. } => Some(*document_id),
            _ => None,
        }
    }
}

/// Why the server refused changes, as carried by [`Message::Refused`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefusalCode {
    /// The document id belongs to a document the sender may not access (someone else's, or
    /// one the sender lost access to). The content is not lost: re-create it under a new id.
    IdUnavailable,
    /// The changes break an access rule (creating a document in an account the sender is not
    /// on, moving a document to another account, changing its kind) or the document cannot be
    /// classified; the message says which.
    NotPermitted,
}

impl RefusalCode {
    /// The wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            RefusalCode::IdUnavailable => "id_unavailable",
            RefusalCode::NotPermitted => "not_permitted",
        }
    }

    /// The code of a wire form, `None` for a code this version does not know.
    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "id_unavailable" => Some(RefusalCode::IdUnavailable),
            "not_permitted" => Some(RefusalCode::NotPermitted),
            _ => None,
        }
    }
}

impl std::fmt::Display for RefusalCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
