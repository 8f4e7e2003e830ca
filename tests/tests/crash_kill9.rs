//! kill -9 the server while 20 clients write; restart it on the same data directory: every
//! change any client saw acknowledged (the server's announced heads) is in the store.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::{Arc, Mutex};

use automerge::ChangeHash;
use automerge::transaction::Transactable;
use automerge::{ROOT, ReadDoc};
use enlace_core::ids::DocumentId;
use enlace_core::store::Store;
use enlace_tests::PATIENCE;
use enlace_tests::client::Client;
use enlace_tests::process::ServerProcess;

const CLIENTS: usize = 20;
/// Acknowledged rounds every client must reach before the kill.
const ROUNDS_BEFORE_KILL: usize = 3;

type Acked = Arc<Mutex<BTreeMap<DocumentId, BTreeSet<ChangeHash>>>>;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_change_survives_kill_9() {
    let binary = Path::new(env!("CARGO_BIN_EXE_enlace-test-server"));
    let dir = tempfile::tempdir().expect("data dir");
    let server = ServerProcess::spawn(binary, dir.path(), PATIENCE);
    let url = server.url();

    let acked: Acked = Arc::default();
    let (progress_tx, mut progress) = tokio::sync::mpsc::unbounded_channel::<usize>();
    let mut writers = Vec::new();
    for i in 0..CLIENTS {
        let client = Client::connect(&url, &format!("writer-{i}"))
            .await
            .expect("connect");
        let acked = acked.clone();
        let progress_tx = progress_tx.clone();
        writers.push(tokio::spawn(async move {
            let doc = client
                .create(move |tx| {
                    tx.put(ROOT, "writer", i as i64).expect("put");
                })
                .await;
            // Record every heads value the server announces for our document.
            let mut views = client.views();
            let recorder = {
                let acked = acked.clone();
                tokio::spawn(async move {
                    loop {
                        if let Some(server) = views
                            .borrow_and_update()
                            .docs
                            .get(&doc)
                            .and_then(|d| d.server.clone())
                        {
                            let mut acked = acked.lock().expect("lock");
                            acked.entry(doc).or_default().extend(server);
                        }
                        if views.changed().await.is_err() {
                            return;
                        }
                    }
                })
            };
            let mut round = 0_i64;
            loop {
                round += 1;
                // Two changes per round, the second sent before the first is acknowledged.
                for step in 0..2 {
                    client
                        .change(doc, move |tx| {
                            tx.put(ROOT, format!("k{round}-{step}"), round)
                                .expect("put");
                        })
                        .await;
                }
                let synced = client
                    .wait_for(
                        "the server to acknowledge",
                        std::time::Duration::from_secs(10),
                        |v| v.in_sync(&doc) || v.closed.is_some(),
                    )
                    .await;
                match synced {
                    Ok(view) if view.closed.is_none() => {
                        let _ = progress_tx.send(i);
                    }
                    Ok(_) => break,
                    Err(e) => {
                        eprintln!(
                            "writer {i} stalled: {e}; view {:?}",
                            client.view().docs.get(&doc)
                        );
                        break;
                    }
                }
            }
            recorder.abort();
            drop(client);
            doc
        }));
    }
    drop(progress_tx);

    let mut rounds = [0_usize; CLIENTS];
    let reached = tokio::time::timeout(PATIENCE, async {
        while rounds.iter().any(|r| *r < ROUNDS_BEFORE_KILL) {
            let i = progress.recv().await.expect("writers running");
            rounds[i] += 1;
        }
    })
    .await;
    assert!(
        reached.is_ok(),
        "every writer gets acknowledgements before the kill; rounds: {rounds:?}"
    );

    // A figure, not an assertion: how many writes each fsync carried under 20 writers.
    let (_, metrics) = enlace_tests::server::http_get(server.addr, "/metrics")
        .await
        .expect("metrics");
    let value = |name: &str| -> String {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .unwrap_or("?")
            .trim()
            .to_owned()
    };
    println!(
        "before kill: {} writes in {} commits",
        value("enlace_storage_writes_total"),
        value("enlace_storage_commits_total")
    );
    server.kill_9();
    let mut docs = Vec::new();
    for writer in writers {
        docs.push(
            tokio::time::timeout(PATIENCE, writer)
                .await
                .expect("writers notice the kill")
                .expect("writer task"),
        );
    }

    // Restart on the same directory; it must come up and serve what was acknowledged.
    let restarted = ServerProcess::spawn(binary, dir.path(), PATIENCE);
    let acked = acked.lock().expect("lock").clone();
    assert_eq!(acked.len(), CLIENTS, "every writer saw acknowledgements");
    let store = Store::open(dir.path().join("enlace.sqlite3")).expect("open the store");
    let mut total = 0;
    for (doc, heads) in &acked {
        let stored = store
            .load_raw(*doc)
            .expect("load")
            .unwrap_or_else(|| panic!("acknowledged document {doc} is missing"));
        for head in heads {
            assert!(
                stored.get_change_by_hash(head).is_some(),
                "acknowledged change {head} of {doc} is missing after kill -9"
            );
            total += 1;
        }
    }
    assert!(
        total >= CLIENTS * ROUNDS_BEFORE_KILL,
        "only {total} acknowledged heads checked"
    );

    // And a fresh client gets one of the documents from the restarted server.
    let reader = Client::connect(&restarted.url(), "reader")
        .await
        .expect("connect");
    let doc = docs[0];
    let expected: BTreeSet<ChangeHash> = acked[&doc].clone();
    reader.subscribe(doc);
    reader
        .wait_content(
            doc,
            "the acknowledged changes after restart",
            PATIENCE,
            move |d| expected.iter().all(|h| d.get_change_by_hash(h).is_some()),
        )
        .await
        .expect("restarted server serves acknowledged changes");
    reader.close().await;
    restarted.kill_9();
}
