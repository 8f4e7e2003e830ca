//! A peer cannot write lines of its own into the server's log: a refused change whose
//! `account_id` carries a newline, a forged log line and a terminal escape is logged, escaped,
//! on the refusal's own line, against a real server process whose stderr is captured.

use std::path::Path;

use automerge::ROOT;
use automerge::transaction::Transactable;
use enlace_tests::PATIENCE;
use enlace_tests::client::Client;
use enlace_tests::fixture;
use enlace_tests::process::ServerProcess;

/// What an attacker puts in `account_id`: a newline, then a line shaped like the server's own,
/// then "erase this line" for a terminal.
const FORGED: &str =
    "acme\n2026-12-06T00:00:00Z  INFO enlace_server: admin token issued user=ana\u{1b}[2K";

/// The start of the forged line.
const FORGED_LINE: &[u8] = b"2026-12-06T00:00:00Z";

fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_enlace-test-server"))
}

fn lines(log: &[u8]) -> impl Iterator<Item = &[u8]> {
    log.split(|b| *b == b'\n')
}

fn contains(line: &[u8], needle: &str) -> bool {
    line.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// Creates a fresh document of `acme` and waits for its acknowledgement: the server handles a
/// connection's messages in order, so by then it has handled everything sent before.
async fn barrier(client: &Client) {
    let probe = client
        .create(|tx| {
            tx.put(ROOT, "kind", "client_visit").expect("put");
            tx.put(ROOT, "account_id", "acme").expect("put");
        })
        .await;
    client
        .wait_for("a later document stored", PATIENCE, |v| v.in_sync(&probe))
        .await
        .expect("barrier");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_account_id_cannot_forge_log_lines() {
    let dir = tempfile::tempdir().expect("dir");
    let agency = fixture::seed(dir.path());
    let server = ServerProcess::spawn_authenticated(binary(), dir.path(), &[], PATIENCE);
    let jr = Client::connect_with_bearer(&server.url(), "phone-jr", agency.token("jr"))
        .await
        .expect("connect");

    // A document of acme, then a change that would move it to the forged "account".
    let doc = jr
        .create(|tx| {
            tx.put(ROOT, "kind", "storecheck").expect("put");
            tx.put(ROOT, "account_id", "acme").expect("put");
        })
        .await;
    jr.wait_for("stored", PATIENCE, |v| v.in_sync(&doc))
        .await
        .expect("acknowledged");
    jr.change(doc, |tx| {
        tx.put(ROOT, "account_id", FORGED).expect("put");
    })
    .await;
    // A new document naming the forged account from its first change.
    jr.create(|tx| {
        tx.put(ROOT, "kind", "storecheck").expect("put");
        tx.put(ROOT, "account_id", FORGED).expect("put");
    })
    .await;
    barrier(&jr).await;

    let log = server
        .wait_log("both refusals in the log", PATIENCE, |log| {
            lines(log)
                .filter(|l| contains(l, "changes refused"))
                .count()
                >= 2
        })
        .await
        .expect("the refusals are logged");
    let shown = String::from_utf8_lossy(&log);
    for line in lines(&log) {
        assert!(
            !line.starts_with(FORGED_LINE),
            "a peer wrote a line of its own into the log:\n{shown}"
        );
        if contains(line, "admin token issued") {
            assert!(
                contains(line, "refus"),
                "the forged text appears outside a refusal:\n{shown}"
            );
        }
    }
    assert!(
        !log.contains(&0x1b),
        "a raw terminal escape reached the log:\n{shown}"
    );
    assert!(
        lines(&log)
            .any(|l| contains(l, "changes refused") && contains(l, r"\n2026-12-06T00:00:00Z")),
        "the refused move is logged with its account escaped:\n{shown}"
    );
}
