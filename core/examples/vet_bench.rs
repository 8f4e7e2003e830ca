//! What vetting a writer's changes costs the server engine on a large document: each small
//! change to a multi-megabyte document goes through `Engine::handle` with no access checks, with
//! a policy that checks every change (applied in place, two root lookups, undone only on
//! refusal), and, for comparison, the copy of the document that checking on a copy would need.
//!
//! `cargo run --release -p enlace-core --example vet_bench -- [lines] [changes]`

use std::time::{Duration, Instant};

use automerge::sync::{Message as SyncMessage, State, SyncDoc};
use automerge::transaction::Transactable;
use automerge::{AutoCommit, Automerge, ObjType, ROOT, ReadDoc};
use enlace_core::ids::{DocumentId, PeerId};
use enlace_core::model::classify;
use enlace_core::sync::storage::StorageOp;
use enlace_core::sync::{
    Accepted, Access, AccessPolicy, AllowAll, ConnectionId, Direction, Effect, Engine,
    EngineConfig, Event, LoadedDocument, PolicyRefusal, Role, Timestamp,
};
use enlace_core::wire::{Message, PROTOCOL_V1, PeerMetadata};

/// Checks every change the way an authenticating server does: the document must still name
/// the same kind and account.
struct Checking;

impl AccessPolicy for Checking {
    fn decide(&self, _conn: ConnectionId, _doc: &DocumentId) -> Access {
        Access::ReadWrite
    }

    fn checks_changes(&self) -> bool {
        true
    }

    fn check_changes(
        &self,
        _conn: ConnectionId,
        _doc: &DocumentId,
        after: &Automerge,
        _before: &[automerge::ChangeHash],
    ) -> Result<Accepted, PolicyRefusal> {
        match classify(after) {
            Some(c) if c.account_id == "acme" => Ok(Accepted::default()),
            _ => Err(PolicyRefusal::because("moved")),
        }
    }
}

fn big_document(lines: usize) -> AutoCommit {
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "kind", "storecheck").expect("put");
    doc.put(ROOT, "account_id", "acme").expect("put");
    let map = doc.put_object(ROOT, "lines", ObjType::Map).expect("map");
    for i in 0..lines {
        let line = doc
            .put_object(&map, format!("product-{i}"), ObjType::Map)
            .expect("line");
        doc.put(&line, "facings", i as i64 % 12).expect("put");
        doc.put(&line, "presence", "present").expect("put");
        let note = doc.put_object(&line, "note", ObjType::Text).expect("text");
        doc.splice_text(
            &note,
            0,
            0,
            "Góndola revisada, precio correcto, sin quiebre de stock",
        )
        .expect("splice");
        if i % 500 == 499 {
            doc.commit();
        }
    }
    doc.commit();
    doc
}

fn sync_frame(doc: DocumentId, message: SyncMessage) -> Message {
    Message::Sync {
        sender_id: "phone".parse().expect("peer"),
        target_id: "server".parse().expect("peer"),
        document_id: doc,
        data: message.encode(),
    }
}

/// Median time of `changes` one-field edits through the engine.
fn run(policy: Box<dyn AccessPolicy>, saved: &[u8], changes: usize) -> Duration {
    let doc_id = DocumentId::new_random();
    let server: PeerId = "server".parse().expect("peer");
    let mut engine = Engine::new(EngineConfig::new(Role::Server, server, None), policy);
    let conn = ConnectionId(1);
    let now = Timestamp(0);
    engine.handle(
        now,
        Event::ConnectionOpened {
            conn,
            direction: Direction::Incoming,
        },
    );
    engine.handle(
        now,
        Event::MessageReceived {
            conn,
            message: Message::Join {
                sender_id: "phone".parse().expect("peer"),
                peer_metadata: PeerMetadata {
                    storage_id: None,
                    is_ephemeral: true,
                },
                supported_protocol_versions: Some(vec![PROTOCOL_V1.to_owned()]),
            },
        },
    );
    let mut phone = AutoCommit::load(saved).expect("load");
    let mut state = State::new();
    // The server loads the stored document; the phone's first message makes it ready.
    let first = phone
        .sync()
        .generate_sync_message(&mut state)
        .expect("hello");
    let effects = engine.handle(
        now,
        Event::MessageReceived {
            conn,
            message: sync_frame(doc_id, first),
        },
    );

    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Storage(StorageOp::Load { .. })))
    );
    let mut pending = engine.handle(
        now,
        Event::Loaded {
            doc: doc_id,
            result: Ok(LoadedDocument {
                data: Some(saved.to_vec()),
                sync_states: Vec::new(),
            }),
        },
    );
    let mut times = Vec::with_capacity(changes);
    for i in 0..changes {
        // Settle: feed the server's answers back until neither side has anything to say.
        settle(
            &mut engine,
            conn,
            doc_id,
            &mut phone,
            &mut state,
            &mut pending,
            i,
        );
        let map = match phone.get(ROOT, "lines").expect("get") {
            Some((_, id)) => id,
            None => unreachable!("the document has lines"),
        };
        let line = match phone
            .get(&map, format!("product-{}", i % 100))
            .expect("get")
        {
            Some((_, id)) => id,
            None => unreachable!("the line exists"),
        };
        phone
            .put(&line, "facings", (i % 9) as i64 + 100)
            .expect("put");
        phone.commit();
        let message = phone
            .sync()
            .generate_sync_message(&mut state)
            .expect("a change to send");
        assert!(!message.changes.is_empty(), "the change goes out");
        let started = Instant::now();
        let effects = engine.handle(
            Timestamp(i as u64),
            Event::MessageReceived {
                conn,
                message: sync_frame(doc_id, message),
            },
        );
        times.push(started.elapsed());
        pending.extend(effects);
    }
    let heads = engine.document_heads(&doc_id).expect("loaded");
    assert_eq!(heads, phone.get_heads(), "every change applied");
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let lines: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let changes: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(200);
    let mut doc = big_document(lines);
    let saved = doc.save();
    println!(
        "document: {lines} lines, {:.1} MB saved",
        saved.len() as f64 / 1e6
    );
    let loaded = Automerge::load(&saved).expect("load");
    let mut copies = Vec::new();
    for _ in 0..20 {
        let started = Instant::now();
        let copy = loaded.clone();
        copies.push(started.elapsed());
        drop(copy);
    }
    copies.sort();
    let open = run(Box::new(AllowAll), &saved, changes);
    let checked = run(Box::new(Checking), &saved, changes);
    println!("per incoming one-field change, median of {changes}:");
    println!(
        "  no access checks        {:>9.3} ms",
        open.as_secs_f64() * 1e3
    );
    println!(
        "  checked in place        {:>9.3} ms",
        checked.as_secs_f64() * 1e3
    );
    println!(
        "  one copy of the document {:>8.3} ms (what checking on a copy adds)",
        copies[copies.len() / 2].as_secs_f64() * 1e3
    );
}

/// Answers persists, delivers the server's sync messages to the phone and the phone's replies
/// to the server, until both are quiet.
fn settle(
    engine: &mut Engine,
    conn: ConnectionId,
    doc_id: DocumentId,
    phone: &mut AutoCommit,
    state: &mut State,
    pending: &mut Vec<Effect>,
    step: usize,
) {
    for round in 0..100u64 {
        let mut events = Vec::new();
        for effect in pending.drain(..) {
            match effect {
                // Storage that is never slow: the bench measures the engine, not a disk.
                Effect::Storage(StorageOp::Persist(request)) => events.push(Event::Persisted {
                    doc: request.doc,
                    ticket: request.ticket,
                    result: Ok(()),
                }),
                Effect::Send {
                    message: Message::Sync { data, .. },
                    ..
                } => {
                    let message = SyncMessage::decode(&data).expect("decode");
                    phone
                        .sync()
                        .receive_sync_message(state, message)
                        .expect("apply");
                }
                _ => {}
            }
        }
        let now = Timestamp((step as u64) * 1000 + round * 10 + 500);
        for event in events {
            pending.extend(engine.handle(now, event));
        }
        pending.extend(engine.handle(now, Event::Tick));
        if let Some(message) = phone.sync().generate_sync_message(state) {
            pending.extend(engine.handle(
                now,
                Event::MessageReceived {
                    conn,
                    message: sync_frame(doc_id, message),
                },
            ));
        }
        if pending.is_empty() {
            return;
        }
    }
}
