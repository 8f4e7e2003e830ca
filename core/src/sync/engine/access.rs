//! Access: what a connection may not read is answered exactly as a missing document, refused
//! changes are undone and told, and access is decided again when a document comes into
//! existence or the policy changes.

use std::collections::BTreeSet;

use automerge::Automerge;
use automerge::sync::{Message as SyncMessage, State as SyncState, SyncDoc};

use super::Engine;
use crate::ids::DocumentId;
use crate::sync::{Access, CloseReason, ConnectionId, Effect};
use crate::wire::{Message, RefusalCode};

impl Engine {
    pub(super) fn send_unavailable(&mut self, conn: ConnectionId, doc: DocumentId) {
        let Some(remote) = self.remote(conn) else {
            return;
        };
        let target_id = remote.peer_id.clone();
        self.send(
            conn,
            Message::DocUnavailable {
                sender_id: self.config.peer_id.clone(),
                target_id,
                document_id: doc,
            },
        );
    }

    /// Decodes a peer's sync message (cheap: the changes stay compressed) and refuses (closing
    /// the connection) one that does not decode.
    pub(super) fn decode_sync(&mut self, conn: ConnectionId, data: &[u8]) -> Option<SyncMessage> {
        match SyncMessage::decode(data) {
            Ok(m) => Some(m),
            Err(e) => {
                self.close(
                    conn,
                    CloseReason::ProtocolViolation(format!("undecodable sync message: {e}")),
                );
                None
            }
        }
    }

    /// [`decode_sync`](Self::decode_sync), then refuses (closing the connection) a message
    /// that would crash or exhaust automerge.
    pub(super) fn decode_checked(
        &mut self,
        conn: ConnectionId,
        data: &[u8],
    ) -> Option<SyncMessage> {
        let message = self.decode_sync(conn, data)?;
        let max = self.config.max_sync_inflated_bytes;
        self.is_safe(conn, &message, max).then_some(message)
    }

    /// automerge trusts a peer's bloom filters and inflates its changes without a bound: false
    /// (and the connection closed) for a message that would crash or exhaust it, or whose
    /// changes inflate past `max`.
    pub(super) fn is_safe(&mut self, conn: ConnectionId, message: &SyncMessage, max: u64) -> bool {
        match crate::wire::check_sync_message(message, max) {
            Ok(_) => true,
            Err(e) => {
                self.close(
                    conn,
                    CloseReason::ProtocolViolation(format!("unsafe sync message: {e}")),
                );
                false
            }
        }
    }

    /// Answers a sync message about a document the connection may not read, whether it is
    /// absent or forbidden, exactly as a missing document is answered: `doc-unavailable` to a
    /// `request`, the reply of an empty document to a `sync`. Changes to a forbidden document
    /// are refused. Nothing of the document is read, and the connection is not left attached
    /// to it; a connection waiting for an absent document is told when it arrives, if it may
    /// read it then.
    pub(super) fn answer_unreadable(
        &mut self,
        conn: ConnectionId,
        doc_id: DocumentId,
        access: Access,
        message: SyncMessage,
        is_request: bool,
    ) {
        self.detach(conn, doc_id);
        if !message.changes.is_empty() {
            self.refuse(
                conn,
                doc_id,
                RefusalCode::IdUnavailable,
                "this document id belongs to a document you may not access; nothing of your \
                 changes was stored: re-create the content under a new id"
                    .to_owned(),
            );
            return;
        }
        if access == Access::Absent {
            self.doc_entry(doc_id).waiters.insert(conn);
        }
        if is_request {
            self.send_unavailable(conn, doc_id);
            return;
        }
        // Its bloom filters are checked like any other (its changes are none).
        if !self.is_safe(conn, &message, 0) {
            return;
        }
        let mut empty = Automerge::new();
        let mut state = SyncState::new();
        if let Err(e) = empty.receive_sync_message(&mut state, message) {
            self.close(
                conn,
                CloseReason::ProtocolViolation(format!("sync message does not apply: {e}")),
            );
            return;
        }
        let Some(reply) = empty.generate_sync_message(&mut state) else {
            return;
        };
        let Some(remote) = self.remote(conn) else {
            return;
        };
        let target_id = remote.peer_id.clone();
        self.send(
            conn,
            Message::Sync {
                sender_id: self.config.peer_id.clone(),
                target_id,
                document_id: doc_id,
                data: reply.encode(),
            },
        );
    }

    /// Refuses a connection's changes: it is detached from the document, hears that the
    /// document is unavailable, and is told why ([`Message::Refused`]).
    pub(super) fn refuse(
        &mut self,
        conn: ConnectionId,
        doc_id: DocumentId,
        code: RefusalCode,
        why: String,
    ) {
        self.detach(conn, doc_id);
        self.send_unavailable(conn, doc_id);
        self.tell_refused(conn, doc_id, code, why);
    }

    /// Tells a connection its changes were refused, and the driver (which logs it).
    pub(super) fn tell_refused(
        &mut self,
        conn: ConnectionId,
        doc_id: DocumentId,
        code: RefusalCode,
        why: String,
    ) {
        if let Some(remote) = self.remote(conn) {
            let target_id = remote.peer_id.clone();
            self.send(
                conn,
                Message::Refused {
                    sender_id: self.config.peer_id.clone(),
                    target_id,
                    document_id: doc_id,
                    code: code.as_str().to_owned(),
                    message: why.clone(),
                },
            );
        }
        self.effects.push(Effect::ChangesRefused {
            conn,
            doc: doc_id,
            code,
            reason: why,
        });
    }

    /// Takes a connection off a document: no sync state, not waiting for it. It stays counted
    /// against the connection's bound (see [`track`](Self::track)).
    pub(super) fn detach(&mut self, conn: ConnectionId, doc_id: DocumentId) {
        if let Some(doc) = self.docs.get_mut(&doc_id) {
            doc.peers.remove(&conn);
            doc.waiters.remove(&conn);
        }
    }

    /// Decides access again for every connection attached to a document, as a peer or waiting
    /// for it. Called when the document comes into existence (a connection that synced the id
    /// before may be of another organisation) and when content reaches waiters: those who may
    /// read it are synced, the others detached.
    pub(super) fn redecide(&mut self, doc_id: DocumentId) {
        let Some(doc) = self.docs.get(&doc_id) else {
            return;
        };
        let attached: BTreeSet<ConnectionId> = doc
            .peers
            .keys()
            .chain(doc.waiters.iter())
            .copied()
            .collect();
        for conn in attached {
            let access = self.policy.decide(conn, &doc_id);
            if access.can_read() && self.remote(conn).is_some() {
                if let Some(doc) = self.docs.get_mut(&doc_id) {
                    doc.waiters.remove(&conn);
                }
                self.ensure_peer(conn, doc_id, access);
            } else {
                self.detach(conn, doc_id);
            }
        }
    }

    pub(super) fn on_access_changed(&mut self, only: Option<ConnectionId>) {
        let conns: Vec<ConnectionId> = match only {
            Some(conn) => vec![conn],
            None => self.conns.keys().copied().collect(),
        };
        for conn in conns {
            let Some(c) = self.conns.get(&conn) else {
                continue;
            };
            let docs: Vec<DocumentId> = c.docs.iter().copied().collect();
            for doc_id in docs {
                let access = self.policy.decide(conn, &doc_id);
                if access == Access::Absent {
                    // Still waiting for it to exist; nothing of it can be attached yet.
                    if let Some(doc) = self.docs.get_mut(&doc_id) {
                        doc.peers.remove(&conn);
                    }
                } else if !access.can_read() {
                    if let Some(c) = self.conns.get_mut(&conn) {
                        c.docs.remove(&doc_id);
                    }
                    self.detach(conn, doc_id);
                } else if let Some(peer) = self
                    .docs
                    .get_mut(&doc_id)
                    .and_then(|d| d.peers.get_mut(&conn))
                {
                    peer.set_access(access);
                }
            }
        }
    }
}
