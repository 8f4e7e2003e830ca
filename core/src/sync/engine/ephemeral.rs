//! Ephemeral (presence) messages: relayed among a document's readers, stamped with the
//! sender's authenticated peer id, deduplicated per sender and session.

use super::Engine;
use crate::ids::{DocumentId, PeerId};
use crate::sync::{ConnectionId, Effect, Role};
use crate::wire::Message;

impl Engine {
    pub(super) fn on_ephemeral(
        &mut self,
        from: ConnectionId,
        sender: PeerId,
        doc_id: DocumentId,
        data: Vec<u8>,
        count: u64,
        session_id: String,
    ) {
        if !self.policy.decide(from, &doc_id).can_read() {
            return;
        }
        // A server relays under the peer id the connection joined with (bound to its user),
        // never the one the message claims: nobody's presence can arrive labelled as another's,
        // and the duplicate counters are per authenticated sender, so nobody can use up
        // another's. A device takes its server's word.
        let sender = match self.config.role {
            Role::Server => match self.remote(from) {
                Some(remote) => remote.peer_id.clone(),
                None => return,
            },
            Role::Device => sender,
        };
        let Some(doc) = self.docs.get_mut(&doc_id) else {
            return;
        };
        if !doc.first_sighting(&sender, &session_id, count) {
            return;
        }
        match self.config.role {
            Role::Device => self.effects.push(Effect::EphemeralReceived {
                doc: doc_id,
                sender,
                data,
            }),
            Role::Server => {
                let others: Vec<ConnectionId> =
                    doc.peers.keys().copied().filter(|c| *c != from).collect();
                for conn in others {
                    if !self.policy.decide(conn, &doc_id).can_read() {
                        continue;
                    }
                    let Some(remote) = self.remote(conn) else {
                        continue;
                    };
                    let target_id = remote.peer_id.clone();
                    self.send(
                        conn,
                        Message::Ephemeral {
                            sender_id: sender.clone(),
                            target_id,
                            document_id: doc_id,
                            data: data.clone(),
                            count,
                            session_id: session_id.clone(),
                        },
                    );
                }
            }
        }
    }

    pub(super) fn on_send_ephemeral(&mut self, doc_id: DocumentId, data: Vec<u8>) {
        self.ephemeral_count += 1;
        let targets: Vec<(ConnectionId, PeerId)> = self
            .conns
            .iter()
            .filter(|(_, c)| c.docs.contains(&doc_id))
            .filter_map(|(id, c)| Some((*id, c.remote()?.peer_id.clone())))
            .collect();
        for (conn, target_id) in targets {
            self.send(
                conn,
                Message::Ephemeral {
                    sender_id: self.config.peer_id.clone(),
                    target_id,
                    document_id: doc_id,
                    data: data.clone(),
                    count: self.ephemeral_count,
                    session_id: self.config.ephemeral_session_id.clone(),
                },
            );
        }
    }
}
