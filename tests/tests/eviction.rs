//! Documents are loaded on demand and evicted when idle; an evicted document reloads on the
//! next message and keeps syncing.

use std::time::{Duration, Instant};

use automerge::ROOT;
use automerge::transaction::Transactable;
use enlace_tests::PATIENCE;
use enlace_tests::client::Client;
use enlace_tests::server::{TestServer, http_get};

async fn documents_loaded(server: &TestServer) -> u64 {
    let (_, body) = http_get(server.addr, "/metrics").await.expect("metrics");
    body.lines()
        .find_map(|l| l.strip_prefix("enlace_documents_loaded ")?.parse().ok())
        .expect("documents loaded gauge")
}

/// Polls the gauge (a metric has no push) until it reads `want`, within the deadline.
async fn wait_loaded(server: &TestServer, want: u64) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let loaded = documents_loaded(server).await;
        if loaded == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "documents loaded stayed {loaded}, wanted {want}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_documents_are_evicted_and_reload_on_demand() {
    let server = TestServer::start_with(|config| {
        // Long enough for the gauge (refreshed at most every 500 ms) to see them loaded first.
        config.documents.idle_unload_after = Duration::from_millis(1500);
    })
    .await;
    let writer = Client::connect(&server.url(), "writer")
        .await
        .expect("connect");
    let mut docs = Vec::new();
    for i in 0..3_i64 {
        let doc = writer
            .create(move |tx| {
                tx.put(ROOT, "n", i).expect("put");
            })
            .await;
        writer
            .wait_for("acknowledgement", PATIENCE, |v| v.in_sync(&doc))
            .await
            .expect("acknowledged");
        docs.push(doc);
    }
    wait_loaded(&server, 3).await;
    // Idle: all three leave memory although the writer stays connected.
    wait_loaded(&server, 0).await;

    // An edit reloads the document, and a newcomer still gets everything.
    writer
        .change(docs[1], |tx| {
            tx.put(ROOT, "after", "eviction").expect("put");
        })
        .await;
    let heads = writer
        .wait_for("acknowledgement after reload", PATIENCE, |v| {
            v.in_sync(&docs[1])
        })
        .await
        .expect("acknowledged")
        .heads(&docs[1]);
    let reader = Client::connect(&server.url(), "reader")
        .await
        .expect("connect");
    reader.subscribe(docs[1]);
    reader
        .wait_for("the reloaded document", PATIENCE, |v| {
            v.heads(&docs[1]) == heads
        })
        .await
        .expect("served after reload");
    server.stop().await.expect("stop");
}
