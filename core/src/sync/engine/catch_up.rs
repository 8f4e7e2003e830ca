//! Catch-up: the server answers pages of changed documents (filtered by access) and sends
//! live notices; a device asks its servers.

use automerge::ChangeHash;

use super::Engine;
use crate::ids::{DocumentId, PeerId};
use crate::sync::ConnectionId;
use crate::wire::{ChangedDocument, Message};

impl Engine {
    /// Sends a catch-up page (or a live notice, without a cursor), leaving out what the
    /// connection may not see.
    pub(super) fn answer_changes(
        &mut self,
        conn: ConnectionId,
        changes: Vec<(DocumentId, Vec<ChangeHash>)>,
        cursor: Option<u64>,
        more: bool,
    ) {
        let Some(remote) = self.remote(conn) else {
            return;
        };
        let target_id = remote.peer_id.clone();
        let changes = changes
            .into_iter()
            .filter(|(doc, _)| self.policy.decide(conn, doc).can_read())
            .map(|(document_id, heads)| ChangedDocument {
                document_id,
                heads: heads.iter().map(ToString::to_string).collect(),
            })
            .collect::<Vec<_>>();
        if changes.is_empty() && cursor.is_none() {
            return;
        }
        self.send(
            conn,
            Message::Changes {
                sender_id: self.config.peer_id.clone(),
                target_id,
                changes,
                cursor,
                more,
            },
        );
    }

    pub(super) fn request_changes(&mut self, since: u64, limit: u64) {
        let targets: Vec<(ConnectionId, PeerId)> = self
            .conns
            .iter()
            .filter_map(|(id, c)| Some((*id, c.remote()?.peer_id.clone())))
            .collect();
        for (conn, target_id) in targets {
            self.send(
                conn,
                Message::ChangesRequest {
                    sender_id: self.config.peer_id.clone(),
                    target_id,
                    since,
                    limit,
                },
            );
        }
    }

    /// Tells connections in catch-up mode that a document in their scope changed, unless they
    /// are syncing it already (then the change itself reaches them).
    pub(super) fn notify_live_scope(&mut self, doc_id: DocumentId, heads: &[ChangeHash]) {
        // A document not in memory has no connection syncing it.
        let doc = self.docs.get(&doc_id);
        let watchers: Vec<ConnectionId> = self
            .conns
            .iter()
            .filter(|(id, c)| c.live_scope && !doc.is_some_and(|d| d.peers.contains_key(id)))
            .map(|(id, _)| *id)
            .collect();
        for conn in watchers {
            self.answer_changes(conn, vec![(doc_id, heads.to_vec())], None, false);
        }
    }
}
