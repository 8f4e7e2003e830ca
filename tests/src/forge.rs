//! Frames a well-behaved client would not send, for access tests over raw sockets: a `sync`
//! that carries a change made on top of a copy of a document the sender was never given (as a
//! client that kept an old copy, or got one out of band, would send), and an `ephemeral` about
//! any document. Plus reading a raw socket until the server answers about one document, keeping
//! the answer's exact bytes so that answers can be compared on the wire.
//!
//! The test [`Client`](crate::client::Client) cannot do this: it only writes documents it was
//! given, and its automerge sync never sends changes to a peer that said it is read-only.

use std::time::Duration;

use automerge::sync::{BloomFilter, Have, MessageVersion};
use automerge::transaction::Transaction;
use automerge::{ActorId, Automerge, ChangeHash};
use enlace_core::ids::{DocumentId, PeerId};
use enlace_core::wire::{DecodeLimits, Message, decode, encode};
use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::Message as WsMessage;

use crate::TimedOut;
use crate::raw::{self, RawSocket};

/// A raw socket that has joined as an ephemeral peer: it sends what it is told, forged frames
/// included, and reads only when asked.
#[derive(Debug)]
pub struct RawPeer {
    /// Its peer id.
    pub name: String,
    /// The server's peer id, from its `peer` answer.
    pub server: PeerId,
    socket: RawSocket,
    ephemeral_count: u64,
}

impl RawPeer {
    /// Connects to `url` as the user of `token` and joins as `name`. Panics if the server does
    /// not answer the join with `peer` within `patience`.
    pub async fn join(url: &str, token: &str, name: &str, patience: Duration) -> RawPeer {
        let mut socket = raw::connect_bearer(url, token).await;
        raw::send_binary(&mut socket, raw::join_frame_with(name, None, true)).await;
        let server = match tokio::time::timeout(patience, raw::next_message(&mut socket)).await {
            Ok(Some(Message::Peer { sender_id, .. })) => sender_id,
            other => panic!("{name}: no `peer` answer to the join: {other:?}"),
        };
        RawPeer {
            name: name.to_owned(),
            server,
            socket,
            ephemeral_count: 0,
        }
    }

    /// Sends one frame as is.
    pub async fn send(&mut self, frame: Vec<u8>) {
        raw::send_binary(&mut self.socket, frame).await;
    }

    /// Sends a `request` for `doc` as a peer that holds nothing of it.
    pub async fn request(&mut self, doc: DocumentId) {
        let frame = raw::request_frame(&self.name, doc);
        self.send(frame).await;
    }

    /// Sends a `sync` (not a `request`) for `doc` as a peer holding an empty copy of it: what a
    /// client sends about a document it made but has not changed, or an outsider probing an id.
    pub async fn sync_empty(&mut self, doc: DocumentId) {
        use automerge::sync::SyncDoc;
        let message = Automerge::new()
            .generate_sync_message(&mut automerge::sync::State::new())
            .expect("an empty document still says hello");
        let frame = encode(&Message::Sync {
            sender_id: peer(&self.name),
            target_id: self.server.clone(),
            document_id: doc,
            data: message.encode(),
        });
        self.send(frame).await;
    }

    /// Every message the server sends, in order, up to and including its answer about
    /// `barrier` (see [`answer_about`]): with a `request` for a missing `barrier` sent last,
    /// everything the server sent this socket before it dealt with that request.
    pub async fn messages_until_answer_about(
        &mut self,
        barrier: DocumentId,
        patience: Duration,
    ) -> Result<Vec<(Vec<u8>, Message)>, NoAnswer> {
        messages_until_answer_about(&mut self.socket, barrier, patience).await
    }

    /// Whether the server sent this socket content of `doc` (a `sync` announcing heads) before
    /// answering a `request` for a missing id, sent now: everything it sent before that.
    pub async fn received_content(
        &mut self,
        doc: DocumentId,
        patience: Duration,
    ) -> Result<bool, NoAnswer> {
        let barrier = DocumentId::new_random();
        self.request(barrier).await;
        let messages = self.messages_until_answer_about(barrier, patience).await?;
        Ok(messages.iter().any(|(_, m)| match m {
            Message::Sync {
                document_id, data, ..
            } => *document_id == doc && sync_heads(data).is_some_and(|h| !h.is_empty()),
            _ => false,
        }))
    }

    /// Sends an `ephemeral` about `doc`, with the next count of this peer's session.
    pub async fn ephemeral(&mut self, doc: DocumentId, data: Vec<u8>) {
        self.ephemeral_count += 1;
        let session = format!("{}-session", self.name);
        let frame = ephemeral_frame(
            &self.name,
            &self.server,
            doc,
            data,
            self.ephemeral_count,
            &session,
        );
        self.send(frame).await;
    }

    /// Sends a `sync` carrying `edit` made on top of `saved`, a copy of `doc` (see
    /// [`change_on_top`]); returns the hash of the change.
    pub async fn write_on_top(
        &mut self,
        doc: DocumentId,
        saved: &[u8],
        edit: impl FnOnce(&mut Transaction<'_>),
    ) -> ChangeHash {
        let forged = change_on_top(&self.name, &self.server, doc, saved, edit);
        self.send(forged.frame).await;
        forged.hash
    }

    /// Sends `enlace-changes-request {since, limit}` and returns the catch-up page that answers
    /// it. Live notices (pages without a cursor) and messages about documents are skipped.
    pub async fn catch_up(&mut self, since: u64, limit: u64, patience: Duration) -> CatchUpPage {
        let frame = encode(&Message::ChangesRequest {
            sender_id: peer(&self.name),
            target_id: self.server.clone(),
            since,
            limit,
        });
        self.send(frame).await;
        let read = async {
            while let Some(message) = raw::next_message(&mut self.socket).await {
                if let Message::Changes {
                    changes,
                    cursor: Some(cursor),
                    more,
                    ..
                } = message
                {
                    return Some(CatchUpPage {
                        docs: changes.iter().map(|c| c.document_id).collect(),
                        cursor,
                        more,
                    });
                }
            }
            None
        };
        match tokio::time::timeout(patience, read).await {
            Ok(Some(page)) => page,
            Ok(None) => panic!("{}: the socket closed before the catch-up page", self.name),
            Err(_) => panic!("{}: no catch-up page within {patience:?}", self.name),
        }
    }

    /// The server's next answer about `doc` (see [`answer_about`]).
    pub async fn answer_about(
        &mut self,
        doc: DocumentId,
        patience: Duration,
    ) -> Result<(Vec<u8>, Message), NoAnswer> {
        answer_about(&mut self.socket, doc, patience).await
    }
}

/// One `enlace-changes` page, as a device receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatchUpPage {
    /// The documents listed, in order.
    pub docs: Vec<DocumentId>,
    /// The cursor to ask from next.
    pub cursor: u64,
    /// Whether more pages follow.
    pub more: bool,
}

/// A `sync` frame carrying one new change.
#[derive(Debug, Clone)]
pub struct ForgedChange {
    /// The hash of the new change.
    pub hash: ChangeHash,
    /// The whole websocket frame.
    pub frame: Vec<u8>,
}

/// A `sync` frame from `sender` to `target` about `doc` that carries one change, `edit`, made
/// by a fresh actor on top of `saved` (a saved copy of the document). Its automerge message
/// announces the new heads and claims to have synced up to the copy's heads, so a server
/// holding the copy's heads needs nothing else to apply it.
pub fn change_on_top(
    sender: &str,
    target: &PeerId,
    doc: DocumentId,
    saved: &[u8],
    edit: impl FnOnce(&mut Transaction<'_>),
) -> ForgedChange {
    let mut copy = Automerge::load(saved).expect("a saved document loads");
    copy.set_actor(ActorId::random());
    let base = copy.get_heads();
    let mut tx = copy.transaction();
    edit(&mut tx);
    let (hash, _) = tx.commit();
    let hash = hash.expect("the edit made a change");
    let message = automerge::sync::Message {
        heads: copy.get_heads(),
        need: Vec::new(),
        have: vec![Have {
            last_sync: base.clone(),
            bloom: BloomFilter::default(),
        }],
        changes: vec![copy.save_after(&base)].into(),
        flags: None,
        version: MessageVersion::V1,
    };
    let frame = encode(&Message::Sync {
        sender_id: peer(sender),
        target_id: target.clone(),
        document_id: doc,
        data: message.encode(),
    });
    ForgedChange { hash, frame }
}

/// An `ephemeral` frame from `sender` to `target` about `doc`.
pub fn ephemeral_frame(
    sender: &str,
    target: &PeerId,
    doc: DocumentId,
    data: Vec<u8>,
    count: u64,
    session: &str,
) -> Vec<u8> {
    encode(&Message::Ephemeral {
        sender_id: peer(sender),
        target_id: target.clone(),
        document_id: doc,
        data,
        count,
        session_id: session.to_owned(),
    })
}

/// A storecheck of `account` as a client makes it offline (root `kind` and `account_id`), with
/// `written_by` saying who made it.
pub fn storecheck(account: &str, written_by: &str) -> Automerge {
    use automerge::transaction::Transactable;
    let mut doc = automerge::AutoCommit::new();
    for (key, value) in [
        ("kind", "storecheck"),
        ("account_id", account),
        ("written_by", written_by),
    ] {
        doc.put(automerge::ROOT, key, value).expect("put");
    }
    Automerge::load(&doc.save()).expect("a new document loads")
}

/// `text` as a CBOR text string: an ephemeral payload as a JS client would encode it.
pub fn cbor_text(text: &str) -> Vec<u8> {
    let len = text.len();
    let mut out = match u8::try_from(len) {
        Ok(small) if small < 24 => vec![0x60 | small],
        Ok(byte) => vec![0x78, byte],
        Err(_) => {
            let short = u16::try_from(len).expect("payloads in tests are short");
            let [hi, lo] = short.to_be_bytes();
            vec![0x79, hi, lo]
        }
    };
    out.extend_from_slice(text.as_bytes());
    out
}

/// The heads an automerge sync message (the `data` of a `sync`) announces.
pub fn sync_heads(data: &[u8]) -> Option<Vec<ChangeHash>> {
    automerge::sync::Message::decode(data).ok().map(|m| m.heads)
}

/// The server said nothing about the document.
#[derive(Debug, thiserror::Error)]
pub enum NoAnswer {
    /// Not within the patience given.
    #[error(transparent)]
    TimedOut(#[from] TimedOut),
    /// The socket closed first.
    #[error("the socket closed before the server answered")]
    Closed,
}

/// Reads `socket` until the server sends a `sync`, `request` or `doc-unavailable` about `doc`,
/// and returns that frame's bytes with its decoded message. Frames about other documents,
/// ephemeral messages and pings are skipped.
pub async fn answer_about(
    socket: &mut RawSocket,
    doc: DocumentId,
    patience: Duration,
) -> Result<(Vec<u8>, Message), NoAnswer> {
    let mut messages = messages_until_answer_about(socket, doc, patience).await?;
    messages.pop().ok_or(NoAnswer::Closed)
}

/// Every decoded message `socket` receives, in order, up to and including the first that
/// answers about `doc` (a `sync`, `request`, `doc-unavailable` or `enlace-refused`; not an
/// ephemeral message).
async fn messages_until_answer_about(
    socket: &mut RawSocket,
    doc: DocumentId,
    patience: Duration,
) -> Result<Vec<(Vec<u8>, Message)>, NoAnswer> {
    let read = async {
        let mut seen = Vec::new();
        while let Some(frame) = socket.next().await {
            match frame {
                Ok(WsMessage::Binary(bytes)) => {
                    let Ok(message) = decode(&bytes, &DecodeLimits::default()) else {
                        continue;
                    };
                    let answers = message.document_id() == Some(doc)
                        && !matches!(message, Message::Ephemeral { .. });
                    seen.push((bytes.to_vec(), message));
                    if answers {
                        return Ok(seen);
                    }
                }
                Ok(WsMessage::Close(_)) | Err(_) => return Err(NoAnswer::Closed),
                Ok(_) => {}
            }
        }
        Err(NoAnswer::Closed)
    };
    tokio::time::timeout(patience, read)
        .await
        .unwrap_or(Err(NoAnswer::TimedOut(TimedOut(
            patience,
            "the server's answer about a document",
        ))))
}

fn peer(name: &str) -> PeerId {
    name.parse().expect("a valid peer id")
}

#[cfg(test)]
mod tests {
    use automerge::ROOT;
    use automerge::sync::SyncDoc;
    use automerge::transaction::Transactable;

    use super::*;

    #[test]
    fn a_forged_change_applies_on_top_of_the_copy() {
        let mut original = Automerge::new();
        let mut tx = original.transaction();
        tx.put(ROOT, "kind", "storecheck").expect("put");
        tx.commit();
        let server: PeerId = "server".parse().expect("peer id");
        let doc = DocumentId::new_random();
        let forged = change_on_top("raw", &server, doc, &original.save(), |tx| {
            tx.put(ROOT, "note", "forged").expect("put");
        });
        let Ok(Message::Sync { data, .. }) = decode(&forged.frame, &DecodeLimits::default()) else {
            panic!("not a sync frame");
        };
        assert_eq!(sync_heads(&data), Some(vec![forged.hash]));
        let message = automerge::sync::Message::decode(&data).expect("sync message");
        original
            .receive_sync_message(&mut automerge::sync::State::new(), message)
            .expect("applies");
        assert_eq!(original.get_heads(), vec![forged.hash]);
    }

    #[test]
    fn cbor_text_headers() {
        assert_eq!(cbor_text("a"), [0x61, b'a']);
        let long = "x".repeat(30);
        assert_eq!(cbor_text(&long)[..2], [0x78, 30]);
    }
}
