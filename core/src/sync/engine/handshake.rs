//! Connections: the `join`/`peer` handshake, admission by the access policy, dispatching a
//! ready connection's messages to their concern, and the per-connection document bound.

use std::collections::BTreeSet;

use automerge::sync::State as SyncState;

use super::{Conn, Engine, Phase, Remote, save_sync_state};
use crate::ids::{DocumentId, PeerId};
use crate::sync::storage::StorageOp;
use crate::sync::{Announce, CloseReason, ConnectionId, Direction, Effect, Role};
use crate::wire::{Message, PROTOCOL_V1, PeerMetadata};

impl Engine {
    pub(super) fn on_open(&mut self, conn: ConnectionId, direction: Direction) {
        let phase = match direction {
            Direction::Incoming => Phase::AwaitingJoin,
            Direction::Outgoing => {
                self.send(
                    conn,
                    Message::Join {
                        sender_id: self.config.peer_id.clone(),
                        peer_metadata: self.our_metadata(),
                        supported_protocol_versions: Some(vec![PROTOCOL_V1.to_owned()]),
                    },
                );
                Phase::AwaitingPeer
            }
        };
        self.conns.insert(
            conn,
            Conn {
                phase,
                live_scope: false,
                docs: BTreeSet::new(),
            },
        );
    }

    pub(super) fn on_close(&mut self, conn: ConnectionId) {
        let Some(c) = self.conns.remove(&conn) else {
            return;
        };
        let storage = c.remote().and_then(Remote::persistent_storage).cloned();
        for doc_id in c.docs {
            let Some(doc) = self.docs.get_mut(&doc_id) else {
                continue;
            };
            doc.waiters.remove(&conn);
            if let Some(mut peer) = doc.peers.remove(&conn)
                && let Some(storage) = &storage
            {
                save_sync_state(&mut self.effects, doc_id, storage, &mut peer);
                // A peer that reconnects while the document is still in memory resumes from
                // what it had then, not from the state read when the document was loaded.
                if let Ok(resumable) = SyncState::decode(&peer.state.encode()) {
                    doc.stored_states.insert(storage.clone(), resumable);
                }
            }
        }
    }

    pub(super) fn our_metadata(&self) -> PeerMetadata {
        PeerMetadata {
            storage_id: self.config.storage_id.clone(),
            is_ephemeral: self.config.storage_id.is_none(),
        }
    }

    pub(super) fn on_message(&mut self, conn: ConnectionId, message: Message) {
        let Some(c) = self.conns.get(&conn) else {
            return;
        };
        match (&c.phase, message) {
            (
                Phase::AwaitingJoin,
                Message::Join {
                    sender_id,
                    peer_metadata,
                    supported_protocol_versions,
                },
            ) => self.on_join(conn, sender_id, peer_metadata, supported_protocol_versions),
            (
                Phase::AwaitingPeer,
                Message::Peer {
                    sender_id,
                    peer_metadata,
                    ..
                },
            ) => self.on_peer(conn, sender_id, peer_metadata),
            // Anything before the handshake completes is ignored, as the reference does.
            (Phase::AwaitingJoin | Phase::AwaitingPeer, _) => {}
            (Phase::Ready(_), message) => self.on_ready_message(conn, message),
        }
    }

    /// A peer dialled us: check the protocol version and the policy, then answer `peer`.
    fn on_join(
        &mut self,
        conn: ConnectionId,
        sender_id: PeerId,
        peer_metadata: PeerMetadata,
        versions: Option<Vec<String>>,
    ) {
        let speaks_v1 = versions
            .as_ref()
            .is_none_or(|versions| versions.iter().any(|v| v == PROTOCOL_V1));
        if !speaks_v1 {
            self.send(
                conn,
                Message::Error {
                    message: "unsupported protocol version".to_owned(),
                },
            );
            self.close(conn, CloseReason::UnsupportedProtocol);
            return;
        }
        if let Err(refusal) = self.policy.admit(conn, &sender_id) {
            let why = refusal.to_string();
            self.send(
                conn,
                Message::Error {
                    message: why.clone(),
                },
            );
            self.close(conn, CloseReason::Refused(why));
            return;
        }
        if let Some(c) = self.conns.get_mut(&conn) {
            c.phase = Phase::Ready(Remote {
                peer_id: sender_id.clone(),
                storage_id: peer_metadata.storage_id,
                is_ephemeral: peer_metadata.is_ephemeral,
            });
        }
        self.send(
            conn,
            Message::Peer {
                sender_id: self.config.peer_id.clone(),
                target_id: sender_id,
                peer_metadata: self.our_metadata(),
                selected_protocol_version: PROTOCOL_V1.to_owned(),
            },
        );
    }

    /// Our server answered our `join`: the connection is ready, and a device that announces
    /// its subscriptions does so now.
    fn on_peer(&mut self, conn: ConnectionId, sender_id: PeerId, peer_metadata: PeerMetadata) {
        if let Some(c) = self.conns.get_mut(&conn) {
            c.phase = Phase::Ready(Remote {
                peer_id: sender_id,
                storage_id: peer_metadata.storage_id,
                is_ephemeral: peer_metadata.is_ephemeral,
            });
        }
        if self.config.announce == Announce::AllSubscribed {
            let subscribed: Vec<DocumentId> = self.subscriptions.iter().copied().collect();
            for doc in subscribed {
                self.announce(conn, doc);
            }
        }
    }

    /// A message on a connection past the handshake, sent to the concern it belongs to.
    fn on_ready_message(&mut self, conn: ConnectionId, message: Message) {
        let role = self.config.role;
        match message {
            Message::Sync {
                document_id, data, ..
            } => self.on_sync(conn, document_id, data, false),
            Message::Request {
                document_id, data, ..
            } => self.on_sync(conn, document_id, data, true),
            Message::DocUnavailable { document_id, .. } => self.on_unavailable(conn, document_id),
            Message::Ephemeral {
                sender_id,
                document_id,
                data,
                count,
                session_id,
                ..
            } => self.on_ephemeral(conn, sender_id, document_id, data, count, session_id),
            Message::ChangesRequest { since, limit, .. } => {
                if role == Role::Server {
                    if let Some(c) = self.conns.get_mut(&conn) {
                        c.live_scope = true;
                    }
                    self.effects
                        .push(Effect::Storage(StorageOp::ChangesRequested {
                            conn,
                            since,
                            limit,
                        }));
                }
            }
            Message::Changes {
                changes,
                cursor,
                more,
                ..
            } => {
                if role == Role::Device {
                    self.effects.push(Effect::ChangesReceived {
                        changes,
                        cursor,
                        more,
                    });
                }
            }
            Message::Refused {
                document_id,
                code,
                message,
                ..
            } => {
                // Only a device listens to its server; a refusal sent to a server means nothing.
                if role == Role::Device {
                    self.effects.push(Effect::DocumentRefused {
                        doc: document_id,
                        code,
                        message,
                    });
                }
            }
            // Heads gossip is optional in the protocol (off by default in the JS client) and
            // catch-up covers what it is for; a repeated handshake or an error report changes
            // nothing here.
            Message::RemoteSubscriptionChange { .. }
            | Message::RemoteHeadsChanged { .. }
            | Message::Join { .. }
            | Message::Peer { .. }
            | Message::Leave { .. }
            | Message::Error { .. } => {}
        }
    }

    /// Records that `conn` syncs `doc`; false (and the connection closed) over the bound.
    pub(super) fn track(&mut self, conn: ConnectionId, doc: DocumentId) -> bool {
        let Some(c) = self.conns.get_mut(&conn) else {
            return false;
        };
        if c.docs.contains(&doc) {
            return true;
        }
        if c.docs.len() >= self.config.max_documents_per_connection {
            self.close(conn, CloseReason::TooManyDocuments);
            return false;
        }
        c.docs.insert(doc);
        true
    }
}
