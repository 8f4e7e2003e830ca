//! The simulator drives the phone's own reconnect and catch-up machine (`sync::device`), not a
//! copy of it: a fault built into that machine makes a simulated run diverge, so the
//! simulator's seeds guard the code phones run.

use automerge::ROOT;
use automerge::transaction::Transactable;
use enlace_core::DocumentId;
use enlace_core::sync::device::{DevicePolicyConfig, Fault};
use enlace_core::sync::sim::{Sim, SimConfig};

/// Seeds each scenario runs under.
const SEEDS: u64 = 12;

/// A writer puts ten documents on the server while the phone is away; the phone, offline,
/// creates one of its own; then the phone connects and catches up in pages of three. Every
/// document must end the same on the phone and the server. `Err` names the first divergence.
fn run(seed: u64, fault: Option<Fault>) -> Result<(), String> {
    let mut sim = Sim::new(SimConfig {
        seed,
        ..SimConfig::default()
    });
    let server = sim.add_server("server");
    let writer = sim.add_device("writer");
    let phone = sim.add_catch_up_device_with(
        "phone",
        DevicePolicyConfig {
            page: 3,
            ..DevicePolicyConfig::default()
        },
    );
    if let Some(fault) = fault {
        sim.device_policy_mut(phone)
            .ok_or("the phone has no policy machine")?
            .inject_fault(fault);
    }
    sim.connect(writer, server);
    let mut theirs: Vec<DocumentId> = Vec::new();
    for i in 0..10_i64 {
        let doc = sim
            .create_document(writer, |d| d.put(ROOT, "n", i).map(|_| ()))
            .map_err(|e| e.to_string())?;
        theirs.push(doc);
    }
    let mine = sim
        .create_document(phone, |d| d.put(ROOT, "title", "Visita").map(|_| ()))
        .map_err(|e| e.to_string())?;
    sim.run_until_quiescent().map_err(|e| e.to_string())?;

    sim.connect(phone, server);
    sim.run_until_quiescent().map_err(|e| e.to_string())?;
    for doc in theirs.iter().chain([&mine]) {
        let (on_phone, on_server) = (sim.heads(phone, *doc), sim.heads(server, *doc));
        if on_phone.is_empty() || on_phone != on_server {
            return Err(format!(
                "seed {seed}: {doc} has {} heads on the phone, {} on the server",
                on_phone.len(),
                on_server.len()
            ));
        }
    }
    Ok(())
}

#[test]
fn the_phones_catch_up_converges_on_every_seed() {
    for seed in 0..SEEDS {
        if let Err(divergence) = run(seed, None) {
            panic!("{divergence}");
        }
    }
}

#[test]
fn a_fault_in_the_phones_catch_up_is_caught_by_a_seed() {
    for fault in [Fault::StopAfterFirstPage, Fault::ForgetLocalChanges] {
        let caught = (0..SEEDS).find_map(|seed| run(seed, Some(fault)).err());
        let Some(divergence) = caught else {
            panic!("no seed caught {fault:?}");
        };
        eprintln!("{fault:?} caught: {divergence}");
    }
}
