//! Catch-up: a device holding 5,000 documents reconnects after 50 changed on the server and 20
//! changed locally, and messages are exchanged only for those 70.

use std::collections::BTreeSet;

use automerge::ROOT;
use automerge::transaction::Transactable;
use enlace_core::DocumentId;
use enlace_core::sync::sim::{Sim, SimConfig};
use enlace_core::wire::Message;

const DOCS: usize = 5_000;

#[test]
fn reconnect_exchanges_messages_only_for_changed_documents() {
    let mut sim = Sim::new(SimConfig::default());
    let server = sim.add_server("server");
    let phone = sim.add_catch_up_device("phone");
    let other = sim.add_catch_up_device("other");
    let phone_link = sim.connect(phone, server);
    let docs: Vec<DocumentId> = (0..DOCS)
        .map(|i| {
            sim.create_document(phone, |d| d.put(ROOT, "n", i as i64).map(|_| ()))
                .expect("create")
        })
        .collect();
    sim.run_until_quiescent().expect("quiet");
    for &doc in &docs {
        assert_eq!(sim.heads(server, doc), sim.heads(phone, doc));
    }
    // While connected, the client refreshes its cursor from time to time.
    sim.refresh_cursor(phone);
    sim.run_until_quiescent().expect("quiet");

    // The other phone takes 50 of them and edits them while the first is offline.
    sim.disconnect(phone_link);
    sim.connect(other, server);
    sim.run_until_quiescent().expect("quiet");
    let server_side: Vec<DocumentId> = docs.iter().step_by(100).copied().collect();
    assert_eq!(server_side.len(), 50);
    for &doc in &server_side {
        sim.subscribe(other, doc);
    }
    sim.run_until_quiescent().expect("quiet");
    for &doc in &server_side {
        sim.edit(other, doc, |d| d.put(ROOT, "facings", 7).map(|_| ()))
            .expect("edit");
    }
    sim.run_until_quiescent().expect("quiet");

    // Meanwhile the first phone edits 20 others offline.
    let local_side: Vec<DocumentId> = docs.iter().skip(7).step_by(250).copied().collect();
    assert_eq!(local_side.len(), 20);
    for &doc in &local_side {
        sim.edit(phone, doc, |d| d.put(ROOT, "price", 1990).map(|_| ()))
            .expect("edit");
    }

    let before = sim.wire.len();
    sim.connect(phone, server);
    sim.run_until_quiescent().expect("quiet");
    let traffic = &sim.wire[before..];
    let touched: BTreeSet<DocumentId> = traffic
        .iter()
        .filter(|r| r.from == phone || r.to == phone)
        .filter_map(|r| r.message.document_id())
        .collect();
    let expected: BTreeSet<DocumentId> = server_side.iter().chain(&local_side).copied().collect();
    assert_eq!(touched, expected, "sync conversations only for the 70");
    let catch_up_messages = traffic
        .iter()
        .filter(|r| r.from == phone || r.to == phone)
        .filter(|r| {
            matches!(
                r.message,
                Message::ChangesRequest { .. } | Message::Changes { .. }
            )
        })
        .count();
    assert_eq!(catch_up_messages, 2, "one request, one page");

    for &doc in &docs {
        assert_eq!(sim.heads(phone, doc), sim.heads(server, doc), "{doc}");
    }
    for &doc in &server_side {
        assert_eq!(sim.heads(other, doc), sim.heads(server, doc));
    }
}

#[test]
fn a_document_created_elsewhere_arrives_through_catch_up_and_live_notices() {
    let mut sim = Sim::new(SimConfig::default());
    let server = sim.add_server("server");
    let phone = sim.add_catch_up_device("phone");
    let teammate = sim.add_catch_up_device("teammate");
    sim.connect(phone, server);
    sim.connect(teammate, server);
    sim.run_until_quiescent().expect("quiet");

    // Live: the phone is connected and caught up; a teammate creates a visit.
    let visit = sim
        .create_document(teammate, |d| d.put(ROOT, "title", "Visita").map(|_| ()))
        .expect("create");
    sim.run_until_quiescent().expect("quiet");
    assert_eq!(
        sim.heads(phone, visit),
        sim.heads(teammate, visit),
        "arrived live"
    );

    // And a later edit reaches it as a plain sync (it now syncs the document).
    sim.edit(teammate, visit, |d| {
        d.put(ROOT, "outcome", "positive").map(|_| ())
    })
    .expect("edit");
    sim.run_until_quiescent().expect("quiet");
    assert_eq!(sim.heads(phone, visit), sim.heads(teammate, visit));
}
