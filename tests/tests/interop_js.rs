//! The real npm automerge-repo client (`@automerge/automerge-repo` 2.5.6 and its websocket
//! adapter, pinned in `tests/js/package-lock.json`) against enlace-server: create and find,
//! concurrent edits, ephemeral relay, unavailable documents, and a JS and a Rust client seeing
//! each other's changes.

use automerge::transaction::Transactable;
use automerge::{ObjType, ROOT, ReadDoc, Value};
use enlace_tests::PATIENCE;
use enlace_tests::client::Client;
use enlace_tests::node::scenario;
use enlace_tests::server::TestServer;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// Runs a scenario to completion; returns its stdout lines. Fails with its output unless it
/// exits 0 and its last line says `"ok":true`.
async fn run_scenario(server: &TestServer, name: &str) -> Vec<String> {
    let child = scenario(&server.url(), name, &[])
        .spawn()
        .expect("spawn node");
    let output = tokio::time::timeout(PATIENCE * 2, child.wait_with_output())
        .await
        .expect("scenario finishes in time")
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let lines: Vec<String> = stdout.lines().map(str::to_owned).collect();
    assert!(
        output.status.success() && lines.last().is_some_and(|l| l.contains("\"ok\":true")),
        "scenario {name} failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    lines
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn js_client_finds_a_document_another_js_client_created() {
    let server = TestServer::start().await;
    let lines = run_scenario(&server, "create-find").await;
    assert!(
        lines
            .iter()
            .any(|l| l.contains(r#""doc":{"client":"Acme","visits":3}"#)),
        "{lines:?}"
    );
    server.stop().await.expect("stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_js_edits_converge() {
    let server = TestServer::start().await;
    let lines = run_scenario(&server, "concurrent").await;
    let last = lines.last().expect("output");
    assert!(
        last.contains(r#""owner":"alice""#) && last.contains(r#""region":"north""#),
        "{last}"
    );
    server.stop().await.expect("stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ephemeral_messages_relay_between_js_clients() {
    let server = TestServer::start().await;
    let lines = run_scenario(&server, "ephemeral").await;
    assert!(
        lines.last().is_some_and(|l| l.contains(r#""cursor":42"#)),
        "{lines:?}"
    );
    server.stop().await.expect("stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn js_client_is_told_an_unknown_document_is_unavailable() {
    let server = TestServer::start().await;
    let lines = run_scenario(&server, "unavailable").await;
    assert!(
        lines.last().is_some_and(|l| l.contains("unavailable")),
        "{lines:?}"
    );
    server.stop().await.expect("stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn js_and_rust_clients_see_each_others_changes() {
    let server = TestServer::start().await;
    let rust = Client::connect(&server.url(), "rust-peer")
        .await
        .expect("connect");
    let doc = rust
        .create(|tx| {
            tx.put(ROOT, "client", "Acme").expect("put");
            tx.put(ROOT, "from", "rust").expect("put");
        })
        .await;
    rust.wait_for("the server to store the document", PATIENCE, |v| {
        v.in_sync(&doc)
    })
    .await
    .expect("acknowledged");

    let mut child = scenario(&server.url(), "with-rust", &[&doc.to_string()])
        .spawn()
        .expect("spawn node");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let wrote = tokio::time::timeout(PATIENCE, async {
        while let Some(line) = stdout.next_line().await.expect("read stdout") {
            if line.contains("\"wrote\":true") || line.contains("\"ok\":false") {
                return line;
            }
        }
        String::from("node exited early")
    })
    .await
    .expect("the JS client writes in time");
    assert!(wrote.contains("\"wrote\":true"), "{wrote}");

    // The JS edit reaches the Rust client through the server.
    rust.wait_content(doc, "the JS edit", PATIENCE, |d| {
        d.get(ROOT, "js").ok().flatten().is_some()
    })
    .await
    .expect("rust sees the JS change");
    // A JS string is collaborative text.
    let js = rust
        .read(doc, |d| {
            let d = d?;
            match d.get(ROOT, "js").ok().flatten()? {
                (Value::Object(ObjType::Text), id) => d.text(&id).ok(),
                (Value::Scalar(s), _) => s.as_str().map(str::to_owned),
                _ => None,
            }
        })
        .await;
    assert_eq!(js.as_deref(), Some("hello from js"));

    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(b"done\n").await.expect("confirm");
    let status = tokio::time::timeout(PATIENCE, child.wait())
        .await
        .expect("node exits")
        .expect("status");
    let mut rest = Vec::new();
    while let Ok(Some(line)) = stdout.next_line().await {
        rest.push(line);
    }
    assert!(status.success(), "{rest:?}");
    assert!(
        rest.last().is_some_and(|l| l.contains(r#""from":"rust""#)),
        "{rest:?}"
    );
    rust.close().await;
    server.stop().await.expect("stop");
}
