//! Documents are held in memory only while in use: idle ones unload, and the next message
//! reloads them with the peer's sync state intact.

use std::time::Duration;

use automerge::ROOT;
use automerge::transaction::Transactable;
use enlace_core::StorageId;
use enlace_core::sync::sim::{Sim, SimConfig};
use enlace_core::sync::{AllowAll, EngineConfig, Role};

#[test]
fn idle_documents_unload_and_reload_on_the_next_change() {
    let mut sim = Sim::new(SimConfig::default());
    let mut config = EngineConfig::new(
        Role::Server,
        "server".parse().expect("id"),
        Some(StorageId::new_random()),
    );
    config.idle_unload_after = Duration::from_secs(2);
    let server = sim.add_node("server", config, Box::new(AllowAll));
    let a = sim.add_device("a");
    let b = sim.add_device("b");
    sim.connect(a, server);
    sim.connect(b, server);
    let docs: Vec<_> = (0..20)
        .map(|i| {
            sim.create_document(a, |d| d.put(ROOT, "n", i as i64).map(|_| ()))
                .expect("create")
        })
        .collect();
    sim.run_until_quiescent().expect("quiet");
    for &doc in &docs {
        sim.subscribe(b, doc);
    }
    sim.run_until_quiescent().expect("quiet");
    assert_eq!(sim.engine(server).loaded_documents(), 20);

    sim.run_for(Duration::from_secs(5));
    assert_eq!(
        sim.engine(server).loaded_documents(),
        0,
        "idle documents unloaded"
    );

    // Connections stay open; a change still reaches the other phone.
    sim.edit(a, docs[3], |d| d.put(ROOT, "facings", 7).map(|_| ()))
        .expect("edit");
    sim.run_until_quiescent().expect("quiet");
    assert_eq!(sim.heads(b, docs[3]), sim.heads(a, docs[3]));
    assert_eq!(
        sim.engine(server).loaded_documents(),
        1,
        "only the touched one"
    );
}

#[test]
fn the_loaded_budget_is_respected() {
    let mut sim = Sim::new(SimConfig::default());
    let mut config = EngineConfig::new(
        Role::Server,
        "server".parse().expect("id"),
        Some(StorageId::new_random()),
    );
    config.max_loaded_documents = 5;
    let server = sim.add_node("server", config, Box::new(AllowAll));
    let a = sim.add_device("a");
    sim.connect(a, server);
    for i in 0..30 {
        sim.create_document(a, |d| d.put(ROOT, "n", i as i64).map(|_| ()))
            .expect("create");
    }
    sim.run_until_quiescent().expect("quiet");
    sim.run_for(Duration::from_secs(2));
    assert!(sim.engine(server).loaded_documents() <= 5);
}
