//! What goes over the wire: ephemeral relay, reconnect cost with persisted sync state, and
//! persist-before-acknowledge.

use automerge::ROOT;
use automerge::transaction::Transactable;
use enlace_core::sync::sim::{Sim, SimConfig};
use enlace_core::wire::Message;

#[test]
fn an_ephemeral_message_reaches_each_other_peer_once() {
    let mut sim = Sim::new(SimConfig::default());
    let server = sim.add_server("server");
    let a = sim.add_device("a");
    let b = sim.add_device("b");
    let c = sim.add_device("c");
    for n in [a, b, c] {
        sim.connect(n, server);
    }
    let doc = sim
        .create_document(a, |d| d.put(ROOT, "title", "Reunión").map(|_| ()))
        .expect("create");
    sim.run_until_quiescent().expect("quiet");
    sim.subscribe(b, doc);
    sim.subscribe(c, doc);
    sim.run_until_quiescent().expect("quiet");

    sim.send_ephemeral(b, doc, vec![0xa1, 0x61, 0x78, 0x01]);
    sim.run_until_quiescent().expect("quiet");

    let ephemerals = |n| {
        sim.inbox(n)
            .iter()
            .filter(|m| matches!(m, Message::Ephemeral { .. }))
            .count()
    };
    assert_eq!(ephemerals(a), 1);
    assert_eq!(ephemerals(c), 1);
    assert_eq!(ephemerals(b), 0, "not echoed to the sender");
    assert_eq!(ephemerals(server), 1);
    // Nothing ephemeral is stored.
    assert_eq!(sim.heads(server, doc), sim.heads(a, doc));
}

#[test]
fn a_duplicate_ephemeral_message_is_relayed_once() {
    let mut sim = Sim::new(SimConfig::default());
    let server = sim.add_server("server");
    let a = sim.add_device("a");
    let b = sim.add_device("b");
    sim.connect(a, server);
    let link_b = sim.connect(b, server);
    let doc = sim
        .create_document(a, |d| d.put(ROOT, "title", "x").map(|_| ()))
        .expect("create");
    sim.run_until_quiescent().expect("quiet");
    sim.subscribe(b, doc);
    sim.run_until_quiescent().expect("quiet");
    sim.send_ephemeral(b, doc, vec![1]);
    sim.run_until_quiescent().expect("quiet");
    // Replaying the same (sender, session, count) on a new connection is deduplicated.
    let replay = sim
        .wire
        .iter()
        .find(|r| r.from == b && matches!(r.message, Message::Ephemeral { .. }))
        .map(|r| r.message.clone())
        .expect("sent");
    sim.disconnect(link_b);
    let relink = sim.connect(b, server);
    sim.run_until_quiescent().expect("quiet");
    sim.inject(relink, b, replay);
    sim.run_until_quiescent().expect("quiet");
    let count = sim
        .inbox(a)
        .iter()
        .filter(|m| matches!(m, Message::Ephemeral { .. }))
        .count();
    assert_eq!(count, 1);
}

#[test]
fn an_up_to_date_device_reconnects_with_at_most_two_messages_per_document() {
    let mut sim = Sim::new(SimConfig::default());
    let server = sim.add_server("server");
    let phone = sim.add_device("phone");
    let link = sim.connect(phone, server);
    let mut docs = Vec::new();
    for i in 0..50 {
        docs.push(
            sim.create_document(phone, |d| d.put(ROOT, "n", i as i64).map(|_| ()))
                .expect("create"),
        );
    }
    sim.run_until_quiescent().expect("quiet");
    sim.disconnect(link);
    sim.run_until_quiescent().expect("quiet");

    let before = sim.wire.len();
    sim.connect(phone, server);
    sim.run_until_quiescent().expect("quiet");
    let sync_messages = sim.wire[before..]
        .iter()
        .filter(|r| matches!(r.message, Message::Sync { .. } | Message::Request { .. }))
        .count();
    assert!(
        sync_messages <= 2 * docs.len(),
        "{sync_messages} sync messages for {} documents",
        docs.len()
    );
    for doc in docs {
        assert_eq!(sim.heads(phone, doc), sim.heads(server, doc));
    }
}

#[test]
fn no_sync_message_announces_heads_its_sender_has_not_stored() {
    let config = SimConfig {
        storage_latency: std::time::Duration::from_millis(40),
        check_durable_acks: true,
        ..SimConfig::default()
    };
    let mut sim = Sim::new(config);
    let server = sim.add_server("server");
    let a = sim.add_device("a");
    let b = sim.add_device("b");
    sim.connect(a, server);
    sim.connect(b, server);
    let doc = sim
        .create_document(a, |d| d.put(ROOT, "facings", 1).map(|_| ()))
        .expect("create");
    sim.run_until_quiescent().expect("quiet");
    sim.subscribe(b, doc);
    for i in 0..20 {
        sim.edit(a, doc, |d| d.put(ROOT, "facings", i as i64).map(|_| ()))
            .expect("edit");
        sim.run_for(std::time::Duration::from_millis(7));
    }
    sim.run_until_quiescent().expect("quiet");
    assert_eq!(sim.heads(b, doc), sim.heads(a, doc));
    let violations: Vec<_> = sim
        .wire
        .iter()
        .filter(|r| r.heads_durable == Some(false))
        .collect();
    assert!(violations.is_empty(), "{violations:#?}");
}

#[test]
fn a_failing_disk_acknowledges_nothing_and_recovers() {
    let config = SimConfig {
        check_durable_acks: true,
        ..SimConfig::default()
    };
    let mut sim = Sim::new(config);
    let server = sim.add_server("server");
    let a = sim.add_device("a");
    sim.connect(a, server);
    let doc = sim
        .create_document(a, |d| d.put(ROOT, "facings", 1).map(|_| ()))
        .expect("create");
    sim.run_until_quiescent().expect("quiet");
    sim.storage_mut(server).fail_writes = true;
    sim.edit(a, doc, |d| d.put(ROOT, "facings", 2).map(|_| ()))
        .expect("edit");
    sim.run_for(std::time::Duration::from_secs(5));
    assert_ne!(sim.heads(server, doc), sim.heads(a, doc), "nothing stored");
    assert!(
        sim.wire.iter().all(|r| r.heads_durable != Some(false)),
        "nothing acknowledged"
    );
    sim.storage_mut(server).fail_writes = false;
    sim.run_until_quiescent().expect("quiet");
    assert_eq!(
        sim.heads(server, doc),
        sim.heads(a, doc),
        "stored after recovery"
    );
}
