//! The device sync client against a real server process: offline edits converge after the
//! server returns, a server killed mid-sync is survived, and "saved on the server" means on the
//! server's disk.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use enlace_core::DocumentId;
use enlace_core::client::{SyncClient, SyncStatus};
use enlace_core::model::{ClientVisit, Instant};
use enlace_core::store::Store;
use enlace_tests::PATIENCE;
use enlace_tests::device::{quick_config, visit};
use enlace_tests::process::ServerProcess;

const LONG: Duration = Duration::from_secs(90);

fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_enlace-test-server"))
}

fn append_line(store: &Store, doc: DocumentId, line: &str) {
    store
        .update(doc, |v: &mut ClientVisit| {
            let end = v.notes.as_str().len();
            v.notes.splice(end, 0, line);
            Ok(())
        })
        .expect("edit");
}

fn phone() -> (tempfile::TempDir, Arc<Store>) {
    let dir = tempfile::tempdir().expect("dir");
    let store = Arc::new(Store::open(dir.path().join("phone.sqlite")).expect("store"));
    (dir, store)
}

#[test]
fn hundreds_of_offline_edits_converge_after_the_server_returns() {
    let data = tempfile::tempdir().expect("data");
    let server = ServerProcess::spawn(binary(), data.path(), PATIENCE);
    let addr = server.addr;
    let (_a_dir, a) = phone();
    let client = SyncClient::start(a.clone(), quick_config(&server.url())).expect("client");
    let doc = a.create(&visit("Visita a Viña Sur")).expect("create");
    client.wait_until_saved(doc, LONG).expect("saved");

    server.kill_9();
    for i in 0..300 {
        append_line(&a, doc, &format!("línea {i} ñandú 🍷\n"));
    }
    assert_ne!(
        client.sync_status(doc).expect("status"),
        SyncStatus::SavedOnServer
    );
    assert_eq!(client.pending_count().expect("pending"), 1);

    let server = ServerProcess::spawn_on(binary(), data.path(), &addr.to_string(), PATIENCE);
    client
        .wait_until_saved(doc, LONG)
        .expect("saved after the server returned");
    assert_eq!(client.pending_count().expect("pending"), 0);

    // A second phone sees every edit.
    let (_b_dir, b) = phone();
    let other = SyncClient::start(b.clone(), quick_config(&server.url())).expect("client");
    other
        .wait_for(LONG, || {
            b.heads(doc).ok().flatten() == a.heads(doc).ok().flatten()
        })
        .expect("second phone converged");
    let seen: ClientVisit = b.get(doc).expect("get");
    let lines = seen.notes.as_str().lines().count();
    assert_eq!(lines, 300);
    assert_eq!(
        seen.notes.as_str(),
        a.get::<ClientVisit>(doc).expect("get").notes.as_str()
    );
    other.stop();
    client.stop();
}

#[test]
fn a_server_killed_mid_sync_is_survived() {
    let (_a_dir, a) = phone();
    let docs: Vec<DocumentId> = (0..150)
        .map(|i| a.create(&visit(&format!("Visita {i}"))).expect("create"))
        .collect();
    let data = tempfile::tempdir().expect("data");
    let server = ServerProcess::spawn(binary(), data.path(), PATIENCE);
    let addr = server.addr;
    let client = SyncClient::start(a.clone(), quick_config(&server.url())).expect("client");
    client
        .wait_for(LONG, || {
            client.pending_count().is_ok_and(|n| n < docs.len())
        })
        .expect("some documents saved");
    server.kill_9();
    let server = ServerProcess::spawn_on(binary(), data.path(), &addr.to_string(), PATIENCE);
    client
        .wait_for(LONG, || client.pending_count().is_ok_and(|n| n == 0))
        .expect("everything saved after the restart");

    // A fresh phone catches up with all of them.
    let (_b_dir, b) = phone();
    let other = SyncClient::start(b.clone(), quick_config(&server.url())).expect("client");
    other
        .wait_for(LONG, || {
            docs.iter()
                .all(|d| b.heads(*d).ok().flatten() == a.heads(*d).ok().flatten())
        })
        .expect("a fresh phone holds every document");
    other.stop();
    client.stop();
}

#[test]
fn saved_on_the_server_means_on_its_disk() {
    let data = tempfile::tempdir().expect("data");
    let server = ServerProcess::spawn(binary(), data.path(), PATIENCE);
    let addr = server.addr;
    let (_a_dir, a) = phone();
    let client = SyncClient::start(a.clone(), quick_config(&server.url())).expect("client");
    let doc = a.create(&visit("Almuerzo")).expect("create");
    append_line(&a, doc, "Acordamos adelantar la campaña.\n");
    client.wait_until_saved(doc, LONG).expect("saved");
    // Killed right after acknowledging: nothing it acknowledged may be lost.
    server.kill_9();
    let expected = a.heads(doc).expect("heads");

    let server = ServerProcess::spawn_on(binary(), data.path(), &addr.to_string(), PATIENCE);
    let (_b_dir, b) = phone();
    let other = SyncClient::start(b.clone(), quick_config(&server.url())).expect("client");
    other
        .wait_for(LONG, || b.heads(doc).ok().flatten() == expected)
        .expect("the acknowledged change is on the restarted server");
    let seen: ClientVisit = b.get(doc).expect("get");
    assert!(seen.notes.as_str().contains("adelantar la campaña"));
    other.stop();
    client.stop();
}

#[test]
fn a_fresh_phone_catches_up_a_storecheck_with_lines_and_notes() {
    use enlace_core::model::Storecheck;
    use enlace_core::model::storecheck::{Expected, ProductSnapshot, StoreSnapshot};
    let _logs = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let data = tempfile::tempdir().expect("data");
    let server = ServerProcess::spawn(binary(), data.path(), PATIENCE);
    let (_a_dir, a) = phone();
    let mut check = Storecheck::new(
        DocumentId::new_random(),
        "acc-vina-sur".parse().expect("id"),
        "user-ana".parse().expect("id"),
        Instant::new(1_700_000_000_000, "America/Santiago").expect("instant"),
        StoreSnapshot {
            id: "store-42".parse().expect("id"),
            code: "J042".into(),
            name: "Jumbo Costanera".into(),
            chain: "Jumbo".into(),
            format: "hiper".into(),
        },
        "2026-11",
    );
    check
        .add_line(
            "p1",
            ProductSnapshot {
                gtin: "7801".into(),
                name: "Cabernet 750".into(),
                brand: "Viña Sur".into(),
                is_own: true,
            },
            Expected {
                must_stock: true,
                target_facings: Some(6),
                target_price: None,
            },
        )
        .expect("line");
    let doc = a.create(&check).expect("create");
    a.update(doc, |c: &mut Storecheck| {
        c.set_facings("p1", 7)?;
        c.general_notes.update("Góndola ñ 😀");
        Ok(())
    })
    .expect("edit");
    let client = SyncClient::start(a.clone(), quick_config(&server.url())).expect("client");
    client.wait_until_saved(doc, LONG).expect("saved");

    let (_b_dir, b) = phone();
    let other = SyncClient::start(b.clone(), quick_config(&server.url())).expect("client");
    other
        .wait_for(LONG, || {
            b.heads(doc).ok().flatten() == a.heads(doc).ok().flatten()
        })
        .expect("the fresh phone caught up");
    let seen: Storecheck = b.get(doc).expect("get");
    assert_eq!(seen.general_notes.as_str(), "Góndola ñ 😀");
    other.stop();
    client.stop();
}
