//! Two Rust device clients sync through an in-process enlace-server: a document created on one
//! reaches the other, concurrent edits converge, every change is acknowledged only once stored,
//! and a restarted server still has everything.

use automerge::transaction::Transactable;
use automerge::{ROOT, ReadDoc};
use enlace_core::store::Store;
use enlace_tests::PATIENCE;
use enlace_tests::client::Client;
use enlace_tests::server::{TestServer, http_get};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_clients_create_find_converge_and_survive_restart() {
    let dir = tempfile::tempdir().expect("data dir");
    let server = TestServer::start_in(dir.path(), |_| {}).await;
    let alice = Client::connect(&server.url(), "alice")
        .await
        .expect("alice");
    let bob = Client::connect(&server.url(), "bob").await.expect("bob");

    let doc = alice
        .create(|tx| {
            tx.put(ROOT, "client", "Acme").expect("put");
        })
        .await;
    alice
        .wait_for("alice acknowledged", PATIENCE, |v| v.in_sync(&doc))
        .await
        .expect("server acknowledges the new document");

    bob.subscribe(doc);
    let alice_heads = alice.view().heads(&doc);
    bob.wait_for("bob has alice's document", PATIENCE, |v| {
        v.heads(&doc) == alice_heads
    })
    .await
    .expect("bob finds the document");

    // Concurrent edits converge on both sides, and the server acknowledges both.
    alice
        .change(doc, |tx| {
            tx.put(ROOT, "owner", "alice").expect("put");
        })
        .await;
    bob.change(doc, |tx| {
        tx.put(ROOT, "budget", 1200).expect("put");
    })
    .await;
    let converged = |v: &enlace_tests::client::View| v.in_sync(&doc) && v.heads(&doc).len() == 2;
    alice
        .wait_for("alice converged", PATIENCE, converged)
        .await
        .expect("alice");
    bob.wait_for("bob converged", PATIENCE, converged)
        .await
        .expect("bob");
    assert_eq!(alice.view().heads(&doc), bob.view().heads(&doc));
    let keys = bob
        .read(doc, |d| d.map(|d| d.keys(ROOT).collect::<Vec<_>>()))
        .await
        .expect("bob holds the document");
    assert_eq!(keys, ["budget", "client", "owner"]);

    // Metrics reflect the traffic.
    let (status, metrics) = http_get(server.addr, "/metrics").await.expect("metrics");
    assert_eq!(status, 200);
    assert!(metrics.contains("enlace_connections 2\n"), "{metrics}");
    assert!(
        !metrics.contains("enlace_storage_commits_total 0\n"),
        "{metrics}"
    );
    assert_eq!(
        http_get(server.addr, "/healthz").await.expect("healthz").0,
        200
    );
    assert_eq!(
        http_get(server.addr, "/readyz").await.expect("readyz").0,
        200
    );

    let final_heads = alice.view().heads(&doc);
    alice.close().await;
    bob.close().await;
    // Stop, then check the store itself: everything acknowledged is on disk.
    server.stop().await.expect("clean stop");
    let store = Store::open(dir.path().join("enlace.sqlite3")).expect("open the server's store");
    let mut heads = store.heads(doc).expect("heads").expect("stored");
    heads.sort();
    assert_eq!(heads, final_heads);
}
