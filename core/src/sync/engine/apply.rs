//! Applying: a peer's sync message or the application's local change is merged into the
//! loaded document (vetted by the access policy first when it writes), then a flush is
//! scheduled; nothing is sent from here.

use automerge::ChangeHash;
use automerge::sync::{Message as SyncMessage, SyncDoc};

use super::{Engine, Remote};
use crate::ids::DocumentId;
use crate::sync::document::{Content, PeerSync, Pending};
use crate::sync::{Access, CloseReason, ConnectionId, Effect, Repair, Role};
use crate::wire::RefusalCode;

impl Engine {
    pub(super) fn on_sync(
        &mut self,
        conn: ConnectionId,
        doc_id: DocumentId,
        data: Vec<u8>,
        is_request: bool,
    ) {
        let access = self.policy.decide(conn, &doc_id);
        // Counted against the connection's bound whatever the answer, so the bound cannot tell
        // a forbidden document from a missing one either.
        if !self.track(conn, doc_id) {
            return;
        }
        if !access.can_read() {
            // Absent or forbidden: answered from memory, the same way for both, with no load;
            // only changes that may create an absent document go on to be applied (and vetted).
            let Some(message) = self.decode_sync(conn, &data) else {
                return;
            };
            if access != Access::Absent || message.changes.is_empty() {
                self.answer_unreadable(conn, doc_id, access, message, is_request);
                return;
            }
        }
        if self.doc_entry(doc_id).ready().is_some() {
            self.apply_sync(conn, doc_id, &data, is_request);
        } else if !self.enqueue(
            doc_id,
            Pending::Sync {
                conn,
                data,
                is_request,
            },
        ) {
            self.close(
                conn,
                CloseReason::ProtocolViolation("too many messages for a loading document".into()),
            );
        }
    }

    /// Creates the sync state of `conn` for a loaded document, resuming a persisted one.
    pub(super) fn ensure_peer(&mut self, conn: ConnectionId, doc_id: DocumentId, access: Access) {
        let storage = self
            .remote(conn)
            .and_then(Remote::persistent_storage)
            .cloned();
        let Some(doc) = self.docs.get_mut(&doc_id) else {
            return;
        };
        match doc.peers.get_mut(&conn) {
            Some(peer) => peer.set_access(access),
            None => {
                let state = storage
                    .and_then(|s| doc.stored_states.get(&s).cloned())
                    .unwrap_or_default();
                doc.peers.insert(conn, PeerSync::new(state, access));
            }
        }
    }

    pub(super) fn apply_sync(
        &mut self,
        conn: ConnectionId,
        doc_id: DocumentId,
        data: &[u8],
        is_request: bool,
    ) {
        // The connection may have closed while the document loaded.
        if self.remote(conn).is_none() {
            return;
        }
        // Access may have changed while the document loaded.
        let access = self.policy.decide(conn, &doc_id);
        let Some(message) = self.decode_checked(conn, data) else {
            return;
        };
        if !access.can_read() && (access != Access::Absent || message.changes.is_empty()) {
            self.answer_unreadable(conn, doc_id, access, message, is_request);
            return;
        }
        if !self.takes_sync(conn, doc_id, is_request, message.changes.is_empty()) {
            return;
        }
        self.ensure_peer(conn, doc_id, access);
        if let Some(before) = self.receive_vetted(conn, doc_id, access, message) {
            self.after_receive(conn, doc_id, &before);
        }
    }

    /// Whether a loaded document takes this message at all: not when a peer requests a
    /// document nobody has (it hears "unavailable" and waits for it), nor when a device is sent
    /// a document it did not ask for.
    fn takes_sync(
        &mut self,
        conn: ConnectionId,
        doc_id: DocumentId,
        is_request: bool,
        no_changes: bool,
    ) -> bool {
        let role = self.config.role;
        let Some(doc) = self.docs.get_mut(&doc_id) else {
            return false;
        };
        let Content::Ready(content) = &doc.content else {
            return false;
        };
        let missing = content.get_heads().is_empty();
        if is_request && missing && no_changes {
            // Nobody has it (yet): say so, and remember to send it if it arrives.
            doc.peers.remove(&conn);
            doc.waiters.insert(conn);
            self.send_unavailable(conn, doc_id);
            return false;
        }
        // A device only takes documents it asked for.
        !(role == Role::Device && !self.subscriptions.contains(&doc_id) && missing)
    }

    /// Applies a peer's message in place, then has the policy vet the changes of a writer;
    /// refused changes are undone and the peer told. The heads before the message when it was
    /// taken; `None` when it was refused or did not apply (the connection is then closed).
    fn receive_vetted(
        &mut self,
        conn: ConnectionId,
        doc_id: DocumentId,
        access: Access,
        message: SyncMessage,
    ) -> Option<Vec<ChangeHash>> {
        let doc = self.docs.get_mut(&doc_id)?;
        let (Content::Ready(content), Some(peer)) = (&mut doc.content, doc.peers.get_mut(&conn))
        else {
            return None;
        };
        let before = content.get_heads();
        let vetted =
            access.can_write() && !message.changes.is_empty() && self.policy.checks_changes();
        let state_before = vetted.then(|| peer.state.clone());
        // Applied in place and vetted afterwards: copying a large document for every incoming
        // keystroke would cost far more than rebuilding it on the rare refusal.
        let applied = content.receive_sync_message(&mut peer.state, message);
        let mut repair = None;
        if vetted && content.get_heads() != before {
            let refusal = match &applied {
                Ok(()) => match self.policy.check_changes(conn, &doc_id, content, &before) {
                    Ok(accepted) => {
                        if accepted.registration.is_some() {
                            doc.registration = accepted.registration;
                        }
                        repair = accepted.repair;
                        None
                    }
                    Err(refusal) => Some(refusal.to_string()),
                },
                // A message that failed halfway may have applied some changes unvetted.
                Err(e) => Some(format!("sync message does not apply: {e}")),
            };
            if let Some(why) = refusal {
                // Undo: the document as it was, so a refused change leaves no trace in memory.
                match content.fork_at(&before) {
                    Ok(old) => **content = old,
                    Err(e) => {
                        tracing::error!(doc = %doc_id, error = %e, "cannot undo refused changes");
                        doc.content = Content::Unloaded;
                    }
                }
                if let Some(state) = state_before {
                    peer.state = state;
                }
                if applied.is_ok() {
                    self.refused_after_apply(conn, doc_id, why);
                    return None;
                }
            }
        }
        if let Err(e) = applied {
            doc.peers.remove(&conn);
            self.close(
                conn,
                CloseReason::ProtocolViolation(format!("sync message does not apply: {e}")),
            );
            return None;
        }
        if let Some(repair) = repair {
            self.repair(conn, doc_id, repair, &before);
        }
        Some(before)
    }

    /// Writes the policy's compensating change for changes it keeps but repairs; a repair that
    /// fails leaves the document unloaded (storage still has it as it was durable), so nothing
    /// unrepaired is persisted or sent.
    fn repair(
        &mut self,
        conn: ConnectionId,
        doc_id: DocumentId,
        repair: Repair,
        before: &[ChangeHash],
    ) {
        let peer = self.remote(conn).map(|r| r.peer_id.clone());
        let Some(doc) = self.docs.get_mut(&doc_id) else {
            return;
        };
        let Content::Ready(content) = &mut doc.content else {
            return;
        };
        match repair(content, before) {
            Ok(fields) => {
                if let (Some(peer), false) = (peer, fields.is_empty()) {
                    self.effects.push(Effect::ChangesRepaired {
                        conn,
                        peer,
                        doc: doc_id,
                        fields,
                    });
                }
            }
            Err(e) => {
                tracing::error!(doc = %doc_id, error = %e, "repairing changes failed; unloading");
                doc.content = Content::Unloaded;
                doc.peers.remove(&conn);
                self.close(conn, CloseReason::StorageFailure);
            }
        }
    }

    /// Tells a writer whose changes the policy refused: a document that still does not exist
    /// is unavailable to it; on an existing one it keeps reading but its changes stop being
    /// taken.
    fn refused_after_apply(&mut self, conn: ConnectionId, doc_id: DocumentId, why: String) {
        let Some(doc) = self.docs.get_mut(&doc_id) else {
            return;
        };
        let missing = doc.ready().is_none_or(|d| d.get_heads().is_empty());
        if missing {
            self.refuse(conn, doc_id, RefusalCode::NotPermitted, why);
        } else {
            if let Some(peer) = doc.peers.get_mut(&conn) {
                peer.set_access(Access::ReadOnly);
            }
            self.tell_refused(conn, doc_id, RefusalCode::NotPermitted, why);
        }
    }

    /// After a message was taken: decide access again if the document came into existence,
    /// and schedule the flush (at once for new content, debounced otherwise).
    fn after_receive(&mut self, conn: ConnectionId, doc_id: DocumentId, before: &[ChangeHash]) {
        let Some(doc) = self.docs.get_mut(&doc_id) else {
            return;
        };
        let Content::Ready(content) = &doc.content else {
            return;
        };
        // automerge records "they already know our heads" when a peer's message without changes
        // names heads equal to ours, and then never announces those heads itself. Ours may
        // include changes that are not durable yet, which we have not announced on purpose:
        // forget the record, so the flush after the persist tells the peer (its acknowledgement).
        if content.get_heads() != doc.durable_heads
            && let Some(peer) = doc.peers.get_mut(&conn)
        {
            peer.state.last_sent_heads.clone_from(&doc.durable_heads);
        }
        let changed = content.get_heads() != before;
        if changed && (before.is_empty() || !doc.waiters.is_empty()) {
            // The document came into existence, or reached connections told "unavailable":
            // whoever is attached is decided again, on the document as it is now registered.
            self.redecide(doc_id);
        }
        if changed {
            self.schedule(doc_id, self.now);
        } else {
            self.schedule(doc_id, self.now + self.config.sync_debounce);
        }
    }

    pub(super) fn on_unavailable(&mut self, conn: ConnectionId, doc_id: DocumentId) {
        let Some(doc) = self.docs.get_mut(&doc_id) else {
            return;
        };
        doc.peers.remove(&conn);
        if self.config.role == Role::Device && doc.ready().is_none_or(|d| d.get_heads().is_empty())
        {
            self.effects
                .push(Effect::DocumentUnavailable { doc: doc_id });
        }
    }

    pub(super) fn on_local_change(&mut self, doc_id: DocumentId, changes: Vec<u8>) {
        let Some(doc) = self.docs.get_mut(&doc_id) else {
            // Not in memory: storage has it, and the next load reads it.
            if self.subscriptions.contains(&doc_id) {
                self.on_subscribe(doc_id);
            }
            return;
        };
        match doc.content {
            Content::Ready(_) => self.apply_local(doc_id, &changes),
            Content::Loading { .. } => {
                // The load may or may not include these; applying twice is harmless.
                let _queued = self.enqueue(doc_id, Pending::Local { changes });
            }
            Content::Unloaded => {
                if !doc.peers.is_empty() || self.subscriptions.contains(&doc_id) {
                    let _queued = self.enqueue(doc_id, Pending::Local { changes });
                }
            }
        }
    }

    /// A change the server made itself, already durable: applied like a local change, and
    /// announced to connections in catch-up mode.
    pub(super) fn on_server_change(
        &mut self,
        doc_id: DocumentId,
        changes: Vec<u8>,
        heads: &[ChangeHash],
    ) {
        self.on_local_change(doc_id, changes);
        if self.config.role == Role::Server {
            self.notify_live_scope(doc_id, heads);
        }
    }

    pub(super) fn apply_local(&mut self, doc_id: DocumentId, changes: &[u8]) {
        let Some(doc) = self.docs.get_mut(&doc_id) else {
            return;
        };
        let Content::Ready(content) = &mut doc.content else {
            return;
        };
        let was_durable = content.get_heads() == doc.durable_heads;
        if let Err(e) = content.load_incremental(changes) {
            tracing::error!(doc = %doc_id, error = %e, "local changes do not apply");
            return;
        }
        if was_durable {
            // They came from storage, so they are durable already.
            doc.durable_heads = content.get_heads();
        }
        doc.last_active = self.now;
        self.schedule(doc_id, self.now + self.config.sync_debounce);
    }

    pub(super) fn on_subscribe(&mut self, doc_id: DocumentId) {
        self.subscriptions.insert(doc_id);
        let ready: Vec<ConnectionId> = self
            .conns
            .iter()
            .filter(|(_, c)| c.remote().is_some())
            .map(|(id, _)| *id)
            .collect();
        for conn in ready {
            self.announce(conn, doc_id);
        }
    }

    /// Starts syncing a document with a server connection (device role).
    pub(super) fn announce(&mut self, conn: ConnectionId, doc_id: DocumentId) {
        if self.remote(conn).is_none() || !self.track(conn, doc_id) {
            return;
        }
        if self.doc_entry(doc_id).ready().is_some() {
            self.ensure_peer(conn, doc_id, Access::ReadWrite);
            self.schedule(doc_id, self.now + self.config.sync_debounce);
        } else {
            // A device's own queue can only overflow by its own doing; drop the extra announce.
            let _queued = self.enqueue(doc_id, Pending::Announce { conn });
        }
    }
}
