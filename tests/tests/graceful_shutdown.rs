//! Stopping: SIGTERM closes every socket with 1001, flushes and exits 0; `run` stops when its
//! shutdown future completes and the acknowledged data is on disk.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use automerge::ROOT;
use automerge::transaction::Transactable;
use enlace_core::store::Store;
use enlace_tests::PATIENCE;
use enlace_tests::client::Client;
use enlace_tests::process::ServerProcess;
use enlace_tests::server::{TestServer, http_get};

fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_enlace-test-server"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_closes_sockets_with_1001_and_exits_cleanly() {
    let dir = tempfile::tempdir().expect("dir");
    let mut server = ServerProcess::spawn(binary(), dir.path(), PATIENCE);
    let client = Client::connect(&server.url(), "phone")
        .await
        .expect("connect");
    let doc = client
        .create(|tx| {
            tx.put(ROOT, "client", "Acme").expect("put");
        })
        .await;
    let heads = client
        .wait_for("acknowledgement", PATIENCE, |v| v.in_sync(&doc))
        .await
        .expect("acknowledged")
        .heads(&doc);

    let pid = server.child().id().to_string();
    let status = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(status.success());
    let view = client
        .wait_for("the server to close the socket", PATIENCE, |v| {
            v.closed.is_some()
        })
        .await
        .expect("closed");
    assert_eq!(view.closed, Some(Some(1001)));
    let deadline = Instant::now() + PATIENCE;
    let exit = loop {
        if let Some(exit) = server.child().try_wait().expect("wait") {
            break exit;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not exit after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(exit.success(), "{exit}");
    let store = Store::open(dir.path().join("enlace.sqlite3")).expect("store");
    let mut stored = store.heads(doc).expect("heads").expect("stored");
    stored.sort();
    assert_eq!(stored, heads);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_process_shutdown_flushes_and_reports_not_ready() {
    let dir = tempfile::tempdir().expect("dir");
    let server = TestServer::start_in(dir.path(), |_| {}).await;
    let client = Client::connect(&server.url(), "phone")
        .await
        .expect("connect");
    let doc = client
        .create(|tx| {
            tx.put(ROOT, "client", "Acme").expect("put");
        })
        .await;
    client
        .wait_for("acknowledgement", PATIENCE, |v| v.in_sync(&doc))
        .await
        .expect("acknowledged");
    let (_, metrics) = http_get(server.addr, "/metrics").await.expect("metrics");
    for series in [
        "enlace_connections 1",
        "enlace_messages_in_total",
        "enlace_messages_out_total",
        "enlace_bytes_in_total",
        "enlace_bytes_out_total",
        "enlace_documents_loaded",
        "enlace_sync_handling_seconds_count",
        "enlace_storage_commit_seconds_count",
        "enlace_errors_total{kind=\"decode\"} 0",
    ] {
        assert!(
            metrics.contains(series),
            "{series} missing from:\n{metrics}"
        );
    }
    let addr = server.addr;
    tokio::time::timeout(PATIENCE, server.stop())
        .await
        .expect("stops in time")
        .expect("clean stop");
    let view = client
        .wait_for("close", PATIENCE, |v| v.closed.is_some())
        .await
        .expect("closed");
    assert_eq!(view.closed, Some(Some(1001)));
    assert!(
        http_get(addr, "/readyz").await.is_err(),
        "no longer listening"
    );
    assert!(
        Store::open(dir.path().join("enlace.sqlite3"))
            .expect("store")
            .heads(doc)
            .expect("heads")
            .is_some()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starts_on_a_store_with_many_documents_without_loading_them() {
    use automerge::AutoCommit;
    use enlace_core::ids::DocumentId;
    use enlace_core::store::{BatchWrite, listing_if_known};

    const DOCUMENTS: usize = 5_000;
    let dir = tempfile::tempdir().expect("dir");
    let ids: Vec<DocumentId> = (0..DOCUMENTS).map(|_| DocumentId::new_random()).collect();
    {
        let store = Store::open(dir.path().join("enlace.sqlite3")).expect("store");
        let changes: Vec<Vec<u8>> = (0..DOCUMENTS)
            .map(|i| {
                let mut doc = AutoCommit::new();
                doc.put(ROOT, "n", i as i64).expect("put");
                doc.save_after(&[])
            })
            .collect();
        let writes: Vec<BatchWrite<'_>> = ids
            .iter()
            .zip(&changes)
            .map(|(doc, bytes)| BatchWrite::Changes {
                doc: *doc,
                bytes,
                heads: None,
                base: None,
            })
            .collect();
        let outcomes = store
            .write_batch(&writes, listing_if_known)
            .expect("commit");
        assert!(outcomes.iter().all(Result::is_ok));
    }
    let started = Instant::now();
    let server = ServerProcess::spawn(binary(), dir.path(), PATIENCE);
    // A figure, not an assertion: the CI machine's speed is not the server's.
    println!(
        "listening {:?} after start on {DOCUMENTS} documents",
        started.elapsed()
    );
    let (_, metrics) = http_get(server.addr, "/metrics").await.expect("metrics");
    assert!(metrics.contains("enlace_documents_loaded 0\n"), "{metrics}");
    let reader = Client::connect(&server.url(), "reader")
        .await
        .expect("connect");
    let doc = ids[DOCUMENTS / 2];
    reader.subscribe(doc);
    reader
        .wait_content(doc, "a stored document", PATIENCE, |d| {
            automerge::ReadDoc::get(d, ROOT, "n")
                .ok()
                .flatten()
                .is_some()
        })
        .await
        .expect("served lazily");
    reader.close().await;
}
