//! A server acknowledges a change even when, while the change was being persisted, the peer sent
//! a message without changes naming the new heads. automerge then records "they know our heads"
//! and would never announce them; the engine must still send its heads once they are durable,
//! or the device waits forever for "saved on the server".

use automerge::sync::{State, SyncDoc};
use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT};
use enlace_core::ids::{DocumentId, PeerId, StorageId};
use enlace_core::sync::storage::StorageOp;
use enlace_core::sync::{
    AllowAll, ConnectionId, Direction, Effect, Engine, EngineConfig, Event, Role, Timestamp,
};
use enlace_core::wire::{Message, PROTOCOL_V1, PeerMetadata};

fn sync(doc: DocumentId, data: Vec<u8>) -> Message {
    Message::Sync {
        sender_id: PeerId::from_static_unchecked("phone"),
        target_id: PeerId::from_static_unchecked("server"),
        document_id: doc,
        data,
    }
}

#[test]
fn heads_only_message_during_persist_does_not_swallow_the_ack() {
    let config = EngineConfig::new(
        Role::Server,
        PeerId::from_static_unchecked("server"),
        Some(StorageId::new_random()),
    );
    let mut server = Engine::new(config, Box::new(AllowAll));
    let conn = ConnectionId(1);
    let mut t = 0;
    server.handle(
        {
            t += 1;
            Timestamp(t)
        },
        Event::ConnectionOpened {
            conn,
            direction: Direction::Incoming,
        },
    );
    server.handle(
        {
            t += 1;
            Timestamp(t)
        },
        Event::MessageReceived {
            conn,
            message: Message::Join {
                sender_id: PeerId::from_static_unchecked("phone"),
                peer_metadata: PeerMetadata {
                    storage_id: None,
                    is_ephemeral: true,
                },
                supported_protocol_versions: Some(vec![PROTOCOL_V1.to_owned()]),
            },
        },
    );

    // The phone's new document, sent in full.
    let doc_id = DocumentId::new_random();
    let mut phone = AutoCommit::new();
    phone.put(ROOT, "client", "Acme").expect("put");
    let heads = phone.get_heads();
    let mut state = State::new();
    let first = phone
        .sync()
        .generate_sync_message(&mut state)
        .expect("first message");
    let mut effects = server.handle(
        {
            t += 1;
            Timestamp(t)
        },
        Event::MessageReceived {
            conn,
            message: sync(doc_id, first.encode()),
        },
    );
    // Run the sync handshake until the server holds the change and asks storage to keep it.
    let mut ticket = None;
    for _ in 0..10 {
        let mut next = Vec::new();
        for effect in effects {
            match effect {
                Effect::Storage(StorageOp::Load { doc }) => next.extend(server.handle(
                    {
                        t += 1;
                        Timestamp(t)
                    },
                    Event::Loaded {
                        doc,
                        result: Ok(Default::default()),
                    },
                )),
                Effect::Storage(StorageOp::Persist(request)) => ticket = Some(request.ticket),
                Effect::Send {
                    message: Message::Sync { data, .. },
                    ..
                } => {
                    let reply = automerge::sync::Message::decode(&data).expect("decode");
                    phone
                        .sync()
                        .receive_sync_message(&mut state, reply)
                        .expect("receive");
                    if let Some(m) = phone.sync().generate_sync_message(&mut state) {
                        next.extend(server.handle(
                            {
                                t += 1;
                                Timestamp(t)
                            },
                            Event::MessageReceived {
                                conn,
                                message: sync(doc_id, m.encode()),
                            },
                        ));
                    }
                }
                _ => {}
            }
        }
        next.extend(server.handle(Timestamp(t + 100), Event::Tick));
        t += 100;
        effects = next;
        if ticket.is_some() {
            break;
        }
    }
    let ticket = ticket.expect("the server persists the phone's change");

    // While that persist is in flight, the phone sends its heads without changes.
    let heads_only = phone
        .sync()
        .generate_sync_message(&mut State::new())
        .expect("a fresh state always says hello");
    assert!(heads_only.changes.is_empty());
    assert_eq!(heads_only.heads, heads);
    server.handle(
        Timestamp(t + 1),
        Event::MessageReceived {
            conn,
            message: sync(doc_id, heads_only.encode()),
        },
    );

    // Once durable, the server announces the heads: the phone's acknowledgement.
    let mut effects = server.handle(
        Timestamp(t + 2),
        Event::Persisted {
            doc: doc_id,
            ticket,
            result: Ok(()),
        },
    );
    effects.extend(server.handle(Timestamp(t + 1_000), Event::Tick));
    let announced = effects.iter().any(|e| match e {
        Effect::Send {
            message: Message::Sync { data, .. },
            ..
        } => automerge::sync::Message::decode(data).is_ok_and(|m| m.heads == heads),
        _ => false,
    });
    assert!(
        announced,
        "no acknowledgement of the durable heads in {effects:?}"
    );
}
