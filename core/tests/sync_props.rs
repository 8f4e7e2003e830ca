//! Property tests of the engine: random edits on 2-5 replicas with random connection drops and
//! reconnects always converge; arbitrary messages never panic it.

use automerge::transaction::Transactable;
use automerge::{AutoSerde, ObjType, ROOT, ReadDoc};
use enlace_core::DocumentId;
use enlace_core::sync::sim::{LinkId, Sim, SimConfig};
use enlace_core::sync::storage::StorageOp;
use enlace_core::sync::{
    AllowAll, ConnectionId, Direction, Engine, EngineConfig, Event, Role, Timestamp,
};
use enlace_core::wire::{Message, PeerMetadata};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Put {
        replica: usize,
        key: u8,
        value: i64,
    },
    Type {
        replica: usize,
        at: usize,
        text: String,
    },
    Drop {
        replica: usize,
    },
    Reconnect {
        replica: usize,
    },
    Wait {
        millis: u64,
    },
}

fn op(replicas: usize) -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..replicas, 0u8..6, any::<i64>()).prop_map(|(replica, key, value)| Op::Put { replica, key, value }),
        3 => (0..replicas, any::<usize>(), "[a-zñ🍷 ]{1,6}").prop_map(|(replica, at, text)| Op::Type { replica, at, text }),
        1 => (0..replicas).prop_map(|replica| Op::Drop { replica }),
        1 => (0..replicas).prop_map(|replica| Op::Reconnect { replica }),
        2 => (0u64..200).prop_map(|millis| Op::Wait { millis }),
    ]
}

fn scenario() -> impl Strategy<Value = (u64, usize, Vec<Op>)> {
    (any::<u64>(), 2usize..=5)
        .prop_flat_map(|(seed, n)| (Just(seed), Just(n), prop::collection::vec(op(n), 1..60)))
}

fn json(sim: &Sim, node: enlace_core::sync::sim::NodeId, doc: DocumentId) -> serde_json::Value {
    let d = sim.document(node, doc).expect("stored");
    serde_json::to_value(AutoSerde::from(&d)).expect("json")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    #[test]
    fn replicas_converge_under_random_drops(case in scenario()) {
        let (seed, n, ops) = case;
        let mut sim = Sim::new(SimConfig { seed, ..SimConfig::default() });
        let server = sim.add_server("server");
        let phones: Vec<_> = (0..n).map(|i| sim.add_device(&format!("phone-{i}"))).collect();
        let mut links: Vec<Option<LinkId>> = phones.iter().map(|&p| Some(sim.connect(p, server))).collect();
        let doc = sim.create_document(phones[0], |d| {
            d.put_object(ROOT, "notes", ObjType::Text)?;
            Ok(())
        }).expect("create");
        sim.run_until_quiescent().expect("quiet");
        for &p in &phones[1..] {
            sim.subscribe(p, doc);
        }
        sim.run_until_quiescent().expect("quiet");

        for op in ops {
            match op {
                Op::Put { replica, key, value } => {
                    sim.edit(phones[replica], doc, |d| d.put(ROOT, format!("k{key}"), value).map(|_| ())).expect("put");
                }
                Op::Type { replica, at, text } => {
                    sim.edit(phones[replica], doc, |d| {
                        let notes = d.get(ROOT, "notes")?.map(|(_, id)| id).expect("notes");
                        let len = d.length(&notes);
                        d.splice_text(&notes, at % (len + 1), 0, &text)
                    }).expect("type");
                }
                Op::Drop { replica } => {
                    if let Some(link) = links[replica].take() {
                        sim.disconnect(link);
                    }
                }
                Op::Reconnect { replica } => {
                    if links[replica].is_none() {
                        links[replica] = Some(sim.connect(phones[replica], server));
                    }
                }
                Op::Wait { millis } => sim.run_for(std::time::Duration::from_millis(millis)),
            }
        }
        for (i, link) in links.iter_mut().enumerate() {
            if link.is_none() {
                *link = Some(sim.connect(phones[i], server));
            }
        }
        sim.run_until_quiescent().expect("quiet");
        prop_assert_eq!(sim.undecodable_frames, 0);
        let heads = sim.heads(server, doc);
        let expected = json(&sim, server, doc);
        for &p in &phones {
            prop_assert_eq!(&sim.heads(p, doc), &heads);
            prop_assert_eq!(&json(&sim, p, doc), &expected);
        }
    }
}

/// One message a hostile or broken peer might send.
fn hostile(docs: Vec<DocumentId>, real_sync: Vec<u8>) -> impl Strategy<Value = (u64, Message)> {
    let doc = prop::sample::select(docs);
    let data = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..64),
        Just(real_sync.clone()),
        (any::<usize>(), any::<u8>()).prop_map(move |(i, b)| {
            let mut d = real_sync.clone();
            let n = d.len();
            d[i % n] = b;
            d
        }),
    ];
    let peer = "[a-c]{1,2}".prop_map(|s| s.parse().expect("peer id"));
    let msg = (peer, doc, data, any::<u64>(), 0u8..8).prop_map(|(peer, doc, data, count, kind)| {
        let target = "server".parse().expect("peer id");
        match kind {
            0 => Message::Join {
                sender_id: peer,
                peer_metadata: PeerMetadata::default(),
                supported_protocol_versions: if count % 3 == 0 {
                    Some(vec!["2".into()])
                } else {
                    None
                },
            },
            1 => Message::Sync {
                sender_id: peer,
                target_id: target,
                document_id: doc,
                data,
            },
            2 => Message::Request {
                sender_id: peer,
                target_id: target,
                document_id: doc,
                data,
            },
            3 => Message::DocUnavailable {
                sender_id: peer,
                target_id: target,
                document_id: doc,
            },
            4 => Message::Ephemeral {
                sender_id: peer,
                target_id: target,
                document_id: doc,
                data,
                count: count % 4,
                session_id: "s".into(),
            },
            5 => Message::Leave { sender_id: peer },
            6 => Message::RemoteHeadsChanged {
                sender_id: peer,
                target_id: target,
                document_id: doc,
                new_heads: vec![],
            },
            _ => Message::Peer {
                sender_id: peer,
                target_id: target,
                peer_metadata: PeerMetadata::default(),
                selected_protocol_version: "1".into(),
            },
        }
    });
    (0u64..3, msg)
}

fn real_sync_message() -> Vec<u8> {
    use automerge::sync::{State, SyncDoc};
    let mut doc = automerge::AutoCommit::new();
    doc.put(ROOT, "title", "hola").expect("put");
    let doc = doc.document().clone();
    doc.generate_sync_message(&mut State::new())
        .expect("message")
        .encode()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_messages_never_panic_the_engine(
        server_role in any::<bool>(),
        script in prop::collection::vec(hostile(vec![DocumentId::new_random(), DocumentId::new_random()], real_sync_message()), 1..40),
    ) {
        let role = if server_role { Role::Server } else { Role::Device };
        let mut engine = Engine::new(
            EngineConfig::new(role, "server".parse().expect("id"), None),
            Box::new(AllowAll),
        );
        let mut now = 0;
        for c in 0..3 {
            let direction = if server_role { Direction::Incoming } else { Direction::Outgoing };
            engine.handle(Timestamp(now), Event::ConnectionOpened { conn: ConnectionId(c), direction });
        }
        for (conn, message) in script {
            now += 3;
            let effects = engine.handle(Timestamp(now), Event::MessageReceived { conn: ConnectionId(conn), message });
            // Answer storage at once so the engine gets further.
            for effect in effects {
                match effect {
                    enlace_core::sync::Effect::Storage(StorageOp::Load { doc }) => {
                        engine.handle(Timestamp(now), Event::Loaded { doc, result: Ok(Default::default()) });
                    }
                    enlace_core::sync::Effect::Storage(StorageOp::Persist(request)) => {
                        engine.handle(Timestamp(now), Event::Persisted { doc: request.doc, ticket: request.ticket, result: Ok(()) });
                    }
                    _ => {}
                }
            }
        }
        engine.handle(Timestamp(now + 60_000), Event::Tick);
    }
}
