//! A catch-up shows a device nothing of other organisations' writes: its pages, where they end,
//! whether more follow and the cursors it gets are exactly what they would be had nobody else
//! written; cursors are opaque, and a plain cursor from an older server reads as a full
//! catch-up instead of being misread.

use automerge::ROOT;
use automerge::transaction::Transactable;
use enlace_core::ids::DocumentId;
use enlace_tests::PATIENCE;
use enlace_tests::client::Client;
use enlace_tests::fixture;
use enlace_tests::forge::{CatchUpPage, RawPeer};
use enlace_tests::server::TestServer;

/// Creates a storecheck of `account` and waits until the server acknowledged it.
async fn write(client: &Client, account: &'static str) -> DocumentId {
    let doc = client
        .create(move |tx| {
            tx.put(ROOT, "kind", "storecheck").expect("put");
            tx.put(ROOT, "account_id", account).expect("put");
        })
        .await;
    client
        .wait_for("the document stored", PATIENCE, |v| v.in_sync(&doc))
        .await
        .expect("acknowledged");
    doc
}

/// Creates `n` storechecks of `account` and waits until the server acknowledged them all.
async fn write_many(client: &Client, account: &'static str, n: usize) -> Vec<DocumentId> {
    let mut docs = Vec::with_capacity(n);
    for _ in 0..n {
        docs.push(
            client
                .create(move |tx| {
                    tx.put(ROOT, "kind", "storecheck").expect("put");
                    tx.put(ROOT, "account_id", account).expect("put");
                })
                .await,
        );
    }
    client
        .wait_for("the documents stored", PATIENCE, |v| {
            docs.iter().all(|d| v.in_sync(d))
        })
        .await
        .expect("acknowledged");
    docs
}

fn nothing_new(cursor: u64) -> CatchUpPage {
    CatchUpPage {
        docs: Vec::new(),
        cursor,
        more: false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_organisations_writes_leave_no_trace_in_catch_up() {
    let dir = tempfile::tempdir().expect("dir");
    let agency = fixture::seed(dir.path());
    let server = TestServer::start_authenticated(dir.path(), |_| {}).await;
    // Organisation pampa's `foreigner` (B) and andes' `jr` (A).
    let b_phone = Client::connect_with_bearer(&server.url(), "phone-b", agency.token("foreigner"))
        .await
        .expect("connect");
    let a_phone = Client::connect_with_bearer(&server.url(), "phone-a", agency.token("jr"))
        .await
        .expect("connect");
    let b1 = write(&b_phone, "gamma").await;
    let mut b = RawPeer::join(
        &server.url(),
        agency.token("foreigner"),
        "catch-up-b",
        PATIENCE,
    )
    .await;

    let before = b.catch_up(0, 1000, PATIENCE).await;
    assert_eq!((before.docs.clone(), before.more), (vec![b1], false));
    let c1 = before.cursor;
    assert_eq!(b.catch_up(c1, 1000, PATIENCE).await, nothing_new(c1));

    // A writes; B's catch-ups are byte for byte what they were.
    let mut a_docs = write_many(&a_phone, "acme", 40).await;
    assert_eq!(b.catch_up(c1, 1000, PATIENCE).await, nothing_new(c1));
    assert_eq!(b.catch_up(0, 1000, PATIENCE).await, before);
    assert_eq!(
        b.catch_up(0, 1, PATIENCE).await,
        before,
        "a page of one is not followed by pages of A's entries"
    );

    // B's organisation writes between more of A's writes: B gets it, and pages of one document
    // end exactly at B's documents.
    a_docs.extend(write_many(&a_phone, "acme", 20).await);
    let b2 = write(&b_phone, "gamma").await;
    a_docs.extend(write_many(&a_phone, "acme", 20).await);
    let first = b.catch_up(0, 1, PATIENCE).await;
    assert_eq!(
        first,
        CatchUpPage {
            docs: vec![b1],
            cursor: c1,
            more: true
        }
    );
    let second = b.catch_up(c1, 1, PATIENCE).await;
    assert_eq!((second.docs.clone(), second.more), (vec![b2], false));
    let c2 = second.cursor;
    assert_ne!(c2, c1);
    assert_eq!(b.catch_up(c1, 1000, PATIENCE).await, second);
    assert_eq!(b.catch_up(c2, 1000, PATIENCE).await, nothing_new(c2));

    // Opaque: the store's sequence numbers here are at most 82; the cursors are not.
    for cursor in [c1, c2] {
        assert!(
            cursor > u64::from(u32::MAX),
            "cursor {cursor} looks like a sequence"
        );
    }
    // A plain sequence number, as an older server handed out, is a full catch-up.
    for stale in [1, 2, 41, 62, 82] {
        let page = b.catch_up(stale, 1000, PATIENCE).await;
        assert_eq!(page.docs, vec![b1, b2], "stale cursor {stale}");
        assert_eq!((page.cursor, page.more), (c2, false));
    }

    // A's own catch-up lists A's documents and none of B's.
    let mut a = RawPeer::join(&server.url(), agency.token("jr"), "catch-up-a", PATIENCE).await;
    let mut page = a.catch_up(0, 1000, PATIENCE).await;
    assert!(!page.more);
    page.docs.sort();
    a_docs.sort();
    assert_eq!(page.docs, a_docs);
}
