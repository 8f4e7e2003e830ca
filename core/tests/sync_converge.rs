//! Two devices and a server converge on concurrent edits of 100 documents; a device offline
//! through 50 local changes converges after reconnecting.

use automerge::transaction::Transactable;
use automerge::{ObjType, ROOT, ReadDoc};
use enlace_core::sync::sim::{Sim, SimConfig};

#[test]
fn two_devices_and_a_server_converge_on_100_documents() {
    let mut sim = Sim::new(SimConfig::default());
    let server = sim.add_server("server");
    let a = sim.add_device("phone-a");
    let b = sim.add_device("phone-b");
    sim.connect(a, server);
    sim.connect(b, server);

    let mut docs = Vec::new();
    for i in 0..100 {
        let doc = sim
            .create_document(a, |d| {
                d.put(ROOT, "n", i as i64)?;
                d.put_object(ROOT, "notes", ObjType::Text)?;
                Ok(())
            })
            .expect("create");
        docs.push(doc);
    }
    sim.run_until_quiescent().expect("quiet");
    for &doc in &docs {
        sim.subscribe(b, doc);
    }
    sim.run_until_quiescent().expect("quiet");
    for &doc in &docs {
        assert_eq!(sim.heads(b, doc), sim.heads(a, doc), "b received {doc}");
    }

    // Concurrent edits on both phones to every document.
    for &doc in &docs {
        sim.edit(a, doc, |d| {
            let text = d.get(ROOT, "notes")?.map(|(_, id)| id).expect("text");
            d.splice_text(&text, 0, 0, "Góndola A ")?;
            d.put(ROOT, "facings", 6)?;
            Ok(())
        })
        .expect("edit a");
        sim.edit(b, doc, |d| {
            let text = d.get(ROOT, "notes")?.map(|(_, id)| id).expect("text");
            d.splice_text(&text, 0, 0, "precio ok 🍷 ")?;
            d.put(ROOT, "price", 1990)?;
            Ok(())
        })
        .expect("edit b");
    }
    sim.run_until_quiescent().expect("quiet");

    for &doc in &docs {
        let heads = sim.heads(server, doc);
        assert_eq!(sim.heads(a, doc), heads);
        assert_eq!(sim.heads(b, doc), heads);
        let d = sim.document(a, doc).expect("doc");
        let text = d.get(ROOT, "notes").expect("get").expect("text").1;
        let s = d.text(&text).expect("text");
        assert!(s.contains("Góndola A") && s.contains("precio ok 🍷"), "{s}");
        assert!(d.get(ROOT, "facings").expect("get").is_some());
        assert!(d.get(ROOT, "price").expect("get").is_some());
    }
}

#[test]
fn a_device_offline_with_50_local_changes_converges_after_reconnecting() {
    let mut sim = Sim::new(SimConfig::default());
    let server = sim.add_server("server");
    let a = sim.add_device("phone-a");
    let b = sim.add_device("phone-b");
    let link_a = sim.connect(a, server);
    sim.connect(b, server);
    let doc = sim
        .create_document(a, |d| d.put(ROOT, "title", "Storecheck Líder").map(|_| ()))
        .expect("create");
    sim.run_until_quiescent().expect("quiet");
    sim.subscribe(b, doc);
    sim.run_until_quiescent().expect("quiet");

    sim.disconnect(link_a);
    for i in 0..50 {
        sim.edit(a, doc, |d| {
            d.put(ROOT, format!("line-{i}"), i as i64).map(|_| ())
        })
        .expect("offline edit");
    }
    sim.edit(b, doc, |d| {
        d.put(ROOT, "reviewed_by", "supervisor").map(|_| ())
    })
    .expect("online edit");
    sim.run_until_quiescent().expect("quiet");
    assert_ne!(sim.heads(a, doc), sim.heads(server, doc), "a is offline");

    sim.connect(a, server);
    sim.run_until_quiescent().expect("quiet");
    let heads = sim.heads(server, doc);
    assert_eq!(sim.heads(a, doc), heads);
    assert_eq!(sim.heads(b, doc), heads);
    let d = sim.document(b, doc).expect("doc");
    for i in 0..50 {
        assert!(d.get(ROOT, format!("line-{i}")).expect("get").is_some());
    }
    assert!(
        sim.document(a, doc)
            .expect("doc")
            .get(ROOT, "reviewed_by")
            .expect("get")
            .is_some()
    );
}
