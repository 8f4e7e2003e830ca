//! Access changes apply to live connections: a junior taken off an account stops receiving that
//! account's new changes on the socket they already have open, without reconnecting, whether
//! the change comes through the admin API or through `enlace-server admin` run beside a live
//! server. Their own documents (creator) stay theirs, and putting them back restores access.

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use automerge::transaction::Transactable;
use automerge::{ROOT, ReadDoc, ScalarValue, Value};
use enlace_core::ids::DocumentId;
use enlace_tests::client::Client;
use enlace_tests::fixture::{self, Agency};
use enlace_tests::http::request;
use enlace_tests::process::{ServerProcess, admin};
use enlace_tests::server::TestServer;
use enlace_tests::{PATIENCE, TimedOut};

fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_enlace-test-server"))
}

fn counter(doc: &automerge::Automerge) -> Option<i64> {
    match doc.get(ROOT, "n").ok()?? {
        (Value::Scalar(s), _) => match s.as_ref() {
            ScalarValue::Int(n) => Some(*n),
            _ => None,
        },
        _ => None,
    }
}

async fn set(client: &Client, doc: DocumentId, n: i64) {
    client
        .change(doc, move |tx| {
            tx.put(ROOT, "n", n).expect("put");
        })
        .await;
    client
        .wait_for("the server to acknowledge", PATIENCE, |v| v.in_sync(&doc))
        .await
        .expect("acknowledged");
}

async fn sees(client: &Client, doc: DocumentId, n: i64) -> Result<(), TimedOut> {
    client
        .wait_content(doc, "a counter value", PATIENCE, move |d| {
            counter(d) == Some(n)
        })
        .await
}

async fn document_status(addr: SocketAddr, token: &str, doc: DocumentId) -> u16 {
    request(
        addr,
        "GET",
        &format!("/v1/documents/{doc}"),
        Some(token),
        None,
    )
    .await
    .expect("http")
    .status
}

/// The scenario, with `remove` and `restore` taking the junior off `acme` and back.
async fn junior_moved_off_acme<R, S>(
    url: &str,
    addr: SocketAddr,
    agency: &Agency,
    remove: R,
    restore: S,
) where
    R: AsyncFnOnce(),
    S: AsyncFnOnce(),
{
    let mate = Client::connect_with_bearer(url, "phone-mate", agency.token("mate"))
        .await
        .expect("mate connects");
    let jr = Client::connect_with_bearer(url, "phone-jr", agency.token("jr"))
        .await
        .expect("jr connects");
    let shared = mate
        .create(|tx| {
            tx.put(ROOT, "kind", "storecheck").expect("put");
            tx.put(ROOT, "account_id", "acme").expect("put");
            tx.put(ROOT, "n", 0).expect("put");
        })
        .await;
    let own = jr
        .create(|tx| {
            tx.put(ROOT, "kind", "client_visit").expect("put");
            tx.put(ROOT, "account_id", "acme").expect("put");
            tx.put(ROOT, "n", 0).expect("put");
        })
        .await;
    jr.wait_for("jr's document stored", PATIENCE, |v| v.in_sync(&own))
        .await
        .expect("stored");
    jr.subscribe(shared);
    mate.subscribe(own);
    sees(&jr, shared, 0)
        .await
        .expect("jr reads the team's storecheck");
    sees(&mate, own, 0).await.expect("mate reads jr's visit");
    set(&mate, shared, 1).await;
    sees(&jr, shared, 1).await.expect("live changes reach jr");

    remove().await;
    let deadline = Instant::now() + PATIENCE;
    while document_status(addr, agency.token("jr"), shared).await != 404 {
        assert!(
            Instant::now() < deadline,
            "{}",
            TimedOut(PATIENCE, "the removal to apply")
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    set(&mate, shared, 2).await;
    // Barrier: a later change to jr's own document (still theirs as its creator) reaches jr's
    // same socket, so the server has handled the storecheck change by then.
    set(&mate, own, 2).await;
    sees(&jr, own, 2)
        .await
        .expect("jr still receives their own document");
    let seen = jr.read(shared, |d| d.and_then(counter)).await;
    assert_eq!(
        seen,
        Some(1),
        "the account's new change reached a junior no longer on it"
    );
    assert!(
        jr.view().closed.is_none(),
        "jr's socket stayed open throughout"
    );
    // jr's own writes to the storecheck are no longer taken either.
    jr.change(shared, |tx| {
        tx.put(ROOT, "n", 99).expect("put");
    })
    .await;
    set(&mate, own, 3).await;
    sees(&jr, own, 3).await.expect("barrier");
    assert_eq!(mate.read(shared, |d| d.and_then(counter)).await, Some(2));

    restore().await;
    let deadline = Instant::now() + PATIENCE;
    while document_status(addr, agency.token("jr"), shared).await != 200 {
        assert!(
            Instant::now() < deadline,
            "{}",
            TimedOut(PATIENCE, "the restore to apply")
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let again = Client::connect_with_bearer(url, "phone-jr-2", agency.token("jr"))
        .await
        .expect("jr reconnects");
    again.subscribe(shared);
    sees(&again, shared, 2)
        .await
        .expect("back on the team, jr reads it again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_the_admin_api() {
    let dir = tempfile::tempdir().expect("dir");
    let agency = fixture::seed(dir.path());
    let server = TestServer::start_authenticated(dir.path(), |_| {}).await;
    let addr = server.addr;
    let admin_token = agency.token("admin").to_owned();
    let member = "/v1/admin/accounts/acme/members/jr";
    let token = admin_token.clone();
    junior_moved_off_acme(
        &server.url(),
        addr,
        &agency,
        async move || {
            let answer = request(addr, "DELETE", member, Some(&token), None)
                .await
                .expect("http");
            assert_eq!(answer.status, 204, "{answer:?}");
        },
        async move || {
            let answer = request(addr, "PUT", member, Some(&admin_token), None)
                .await
                .expect("http");
            assert_eq!(answer.status, 204, "{answer:?}");
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_the_admin_command_beside_a_running_server() {
    let dir = tempfile::tempdir().expect("dir");
    let agency = fixture::seed(dir.path());
    let server = ServerProcess::spawn_authenticated(binary(), dir.path(), &[], PATIENCE);
    let data = dir.path().to_owned();
    let data2 = data.clone();
    junior_moved_off_acme(
        &server.url(),
        server.addr,
        &agency,
        async move || {
            let out = admin(
                binary(),
                &data,
                &[
                    "remove-member",
                    "--org",
                    "andes",
                    "--account",
                    "acme",
                    "--user",
                    "jr",
                ],
            );
            assert_eq!(out["removed"], true);
        },
        async move || {
            admin(
                binary(),
                &data2,
                &[
                    "add-member",
                    "--org",
                    "andes",
                    "--account",
                    "acme",
                    "--user",
                    "jr",
                ],
            );
        },
    )
    .await;
}
