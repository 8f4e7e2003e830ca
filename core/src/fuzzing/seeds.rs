//! The seed corpora: small real inputs for each target, the same bytes on every run.
//!
//! Seeds are built from real automerge documents and sync conversations (fixed actors and
//! times, so deterministic) and from the frames of the JS capture in `core/tests/data`. The test
//! `core/tests/fuzz_corpus.rs` checks that `fuzz/corpus/` holds exactly these bytes, and writes
//! them with `ENLACE_WRITE_SEEDS=1`.

use automerge::sync::{State, SyncDoc};
use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, AutoCommit, ObjType, ROOT};

use crate::ids::{PeerId, StorageId};
use crate::wire::{ChangedDocument, Message, PROTOCOL_V1, PeerMetadata, RemoteHeads};

use super::engine_sync::{EngineInput, PEERS, SERVER, held, held_document, missing};

/// One seed input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seed {
    /// Which target's corpus it belongs to.
    pub target: &'static str,
    /// Its file name in `fuzz/corpus/<target>/`.
    pub name: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// Every seed. `transcript` is the text of `core/tests/data/wire-transcript-frames.txt`, whose
/// frames seed `wire_decode`.
pub fn seeds(transcript: &str) -> Vec<Seed> {
    let mut out = Vec::new();
    let mut add = |target: &'static str, name: &str, bytes: Vec<u8>| {
        out.push(Seed {
            target,
            name: format!("seed-{name}"),
            bytes,
        });
    };

    // wire_decode: the capture's frames, then one frame of each message type we encode.
    for line in transcript.lines().filter(|l| !l.starts_with('#')) {
        let mut parts = line.split_whitespace();
        if let (Some(_), Some(name), Some(hex)) = (parts.next(), parts.next(), parts.next()) {
            add("wire_decode", &format!("capture-{name}"), unhex(hex));
        }
    }
    let first = first_sync_message(&mut edited_copy());
    for message in messages(&first) {
        let name = format!("encoded-{}", message.type_name());
        add("wire_decode", &name, crate::wire::encode(&message));
    }

    // document_load: saved documents (one with deflated columns), incremental chunks, a
    // compressed change chunk, and a snapshot followed by a chunk.
    let held_bytes = held_document().to_vec();
    let mut edited = edited_copy();
    let held_heads = AutoCommit::load(&held_bytes).expect("loads").get_heads();
    let chunk = edited.save_after(&held_heads);
    let mut big = big_document();
    add("document_load", "saved", held_bytes.clone());
    add("document_load", "saved-deflated-columns", big.save());
    add("document_load", "chunk-missing-deps", chunk.clone());
    add(
        "document_load",
        "snapshot-and-chunk",
        [held_bytes, chunk].concat(),
    );
    let mut change = big.get_last_local_change().expect("a change");
    add(
        "document_load",
        "compressed-change",
        change.bytes().into_owned(),
    );
    add("document_load", "empty", Vec::new());

    // engine_sync: a real conversation about the held document, a new document, ephemeral
    // presence, a raw frame, and reconnects with failing storage.
    let conversation = conversation(&mut edited_copy(), held_document());
    let mut input = EngineInput::new();
    for m in &conversation {
        input = input.push(1, 0, m).push(5, 0, &[10, 0]);
    }
    add("engine_sync", "conversation", input.into_bytes());
    let mut fresh = new_document();
    let mut input = EngineInput::new();
    for m in conversation_with_empty(&mut fresh) {
        input = input.push(4, 1, &m).push(5, 1, &[10, 0]);
    }
    add("engine_sync", "unknown-document", input.into_bytes());
    let input = EngineInput::new()
        .push(2, 0, &first)
        .push(
            3,
            0,
            &[0xa1, 0x66, b'c', b'u', b'r', b's', b'o', b'r', 0x03],
        )
        .push(3, 1, &[0xa0])
        .push(5, 0, &[100, 0]);
    add("engine_sync", "request-and-ephemeral", input.into_bytes());
    let frame = crate::wire::encode(&Message::Sync {
        sender_id: PeerId::from_static_unchecked(PEERS[0]),
        target_id: PeerId::from_static_unchecked(SERVER),
        document_id: held(),
        data: first.clone(),
    });
    let input = EngineInput::new().push(0, 0, &frame).push(5, 0, &[10, 0]);
    add("engine_sync", "raw-frame", input.into_bytes());
    let input = EngineInput::new()
        .push(7, 0, &[])
        .push(1, 0, &first)
        .push(5, 0, &[10, 0])
        .push(7, 0, &[])
        .push(6, 0, &[])
        .push(1, 0, conversation.first().map_or(&[][..], Vec::as_slice))
        .push(1, 1, &first)
        .push(5, 0, &[0x30, 0x75]);
    add(
        "engine_sync",
        "failing-storage-and-reconnect",
        input.into_bytes(),
    );
    out
}

/// The held document with one more change, by another actor.
fn edited_copy() -> AutoCommit {
    let mut doc = AutoCommit::load(held_document())
        .expect("loads")
        .with_actor(ActorId::from(&[0xbb; 16][..]));
    doc.put(ROOT, "facings", 7).expect("put");
    doc.put(ROOT, "notes", "quiebre de stock en góndola 3")
        .expect("put");
    doc.commit_with(CommitOptions::default().with_time(1_000));
    doc
}

/// A document unrelated to the held one.
fn new_document() -> AutoCommit {
    let mut doc = AutoCommit::new().with_actor(ActorId::from(&[0xcc; 16][..]));
    doc.put(ROOT, "kind", "action_item").expect("put");
    doc.commit_with(CommitOptions::default().with_time(2_000));
    doc
}

/// A document big enough that `save` deflates its columns.
fn big_document() -> AutoCommit {
    let mut doc = AutoCommit::new().with_actor(ActorId::from(&[0xdd; 16][..]));
    let list = doc
        .put_object(ROOT, "observations", ObjType::List)
        .expect("list");
    for i in 0..64_usize {
        doc.insert(&list, i, format!("observación {i}: precio bajo"))
            .expect("insert");
    }
    doc.commit_with(CommitOptions::default().with_time(3_000));
    doc
}

fn first_sync_message(doc: &mut AutoCommit) -> Vec<u8> {
    doc.sync()
        .generate_sync_message(&mut State::new())
        .map(|m| m.encode())
        .unwrap_or_default()
}

/// `doc`'s side of a sync conversation with a peer holding `theirs`: the messages `doc` sends.
fn conversation(doc: &mut AutoCommit, theirs: &[u8]) -> Vec<Vec<u8>> {
    let mut peer = AutoCommit::load(theirs).expect("loads");
    talk(doc, &mut peer)
}

fn conversation_with_empty(doc: &mut AutoCommit) -> Vec<Vec<u8>> {
    talk(doc, &mut AutoCommit::new())
}

fn talk(doc: &mut AutoCommit, peer: &mut AutoCommit) -> Vec<Vec<u8>> {
    let (mut ours, mut theirs) = (State::new(), State::new());
    let mut sent = Vec::new();
    for _ in 0..8 {
        let Some(m) = doc.sync().generate_sync_message(&mut ours) else {
            break;
        };
        sent.push(m.clone().encode());
        peer.sync()
            .receive_sync_message(&mut theirs, m)
            .expect("applies");
        if let Some(reply) = peer.sync().generate_sync_message(&mut theirs) {
            doc.sync()
                .receive_sync_message(&mut ours, reply)
                .expect("applies");
        }
    }
    sent
}

/// One message of every type, about the held document where there is one.
fn messages(data: &[u8]) -> Vec<Message> {
    let phone = || PeerId::from_static_unchecked(PEERS[0]);
    let server = || PeerId::from_static_unchecked(SERVER);
    let storage = || StorageId::from_static_unchecked("storage-a");
    let meta = PeerMetadata {
        storage_id: Some(storage()),
        is_ephemeral: false,
    };
    let head = "3b4a3f6c8e1d2a5b7c9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e".to_owned();
    vec![
        Message::Join {
            sender_id: phone(),
            peer_metadata: meta.clone(),
            supported_protocol_versions: Some(vec![PROTOCOL_V1.to_owned()]),
        },
        Message::Peer {
            sender_id: server(),
            target_id: phone(),
            peer_metadata: meta,
            selected_protocol_version: PROTOCOL_V1.to_owned(),
        },
        Message::Sync {
            sender_id: phone(),
            target_id: server(),
            document_id: held(),
            data: data.to_vec(),
        },
        Message::Request {
            sender_id: phone(),
            target_id: server(),
            document_id: missing(),
            data: data.to_vec(),
        },
        Message::DocUnavailable {
            sender_id: server(),
            target_id: phone(),
            document_id: missing(),
        },
        Message::Ephemeral {
            sender_id: phone(),
            target_id: server(),
            document_id: held(),
            data: vec![0xa1, 0x61, b'x', 0x01],
            count: 5_000_000_000,
            session_id: "phone-a-session".to_owned(),
        },
        Message::RemoteSubscriptionChange {
            sender_id: phone(),
            target_id: server(),
            add: vec![storage()],
            remove: Vec::new(),
        },
        Message::RemoteHeadsChanged {
            sender_id: server(),
            target_id: phone(),
            document_id: held(),
            new_heads: vec![RemoteHeads {
                storage_id: storage(),
                heads: vec![head.clone()],
                timestamp: 1_764_000_000_000,
            }],
        },
        Message::ChangesRequest {
            sender_id: phone(),
            target_id: server(),
            since: 0,
            limit: 100,
        },
        Message::Changes {
            sender_id: server(),
            target_id: phone(),
            changes: vec![ChangedDocument {
                document_id: held(),
                heads: vec![head],
            }],
            cursor: Some(42),
            more: false,
        },
        Message::Leave { sender_id: phone() },
        Message::Error {
            message: "unsupported protocol version".to_owned(),
        },
    ]
}

fn unhex(hex: &str) -> Vec<u8> {
    hex.as_bytes()
        .chunks(2)
        .filter_map(|pair| {
            let s = std::str::from_utf8(pair).ok()?;
            u8::from_str_radix(s, 16).ok()
        })
        .collect()
}
