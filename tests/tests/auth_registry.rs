//! The document registry decides, not the content: the first sync of a document records its
//! kind, account and creator if the sender may create there; a document that names no kind or
//! account, or an account its sender is not on, is refused and stored nowhere; a later change
//! that would move a document to another account or change its kind is refused; documents
//! stored by an open server are registered from their content when the server first starts
//! with authentication.

use automerge::ROOT;
use automerge::transaction::Transactable;
use enlace_core::ids::DocumentId;
use enlace_core::store::Store;
use enlace_tests::PATIENCE;
use enlace_tests::client::Client;
use enlace_tests::fixture;
use enlace_tests::http::request;
use enlace_tests::server::TestServer;

async fn status(server: &TestServer, token: &str, doc: DocumentId) -> (u16, serde_json::Value) {
    let answer = request(
        server.addr,
        "GET",
        &format!("/v1/documents/{doc}"),
        Some(token),
        None,
    )
    .await
    .expect("http");
    let body = answer.json();
    (answer.status, body)
}

fn stored(server_dir: &std::path::Path, doc: DocumentId) -> bool {
    Store::open(server_dir.join("enlace.sqlite3"))
        .expect("open store")
        .heads(doc)
        .expect("heads")
        .is_some()
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
async fn first_sync_registers_and_the_registry_cannot_be_rewritten() {
    let dir = tempfile::tempdir().expect("dir");
    let agency = fixture::seed(dir.path());
    let server = TestServer::start_authenticated(dir.path(), |_| {}).await;
    let jr = Client::connect_with_bearer(&server.url(), "phone-jr", agency.token("jr"))
        .await
        .expect("connect");

    // Registered with its creator.
    let doc = jr
        .create(|tx| {
            tx.put(ROOT, "kind", "storecheck").expect("put");
            tx.put(ROOT, "account_id", "acme").expect("put");
        })
        .await;
    jr.wait_for("stored", PATIENCE, |v| v.in_sync(&doc))
        .await
        .expect("acknowledged");
    let (code, body) = status(&server, agency.token("mate"), doc).await;
    assert_eq!(code, 200);
    assert_eq!(body["kind"], "storecheck");
    assert_eq!(body["account"], "acme");
    assert_eq!(body["creator"], "jr");
    assert_eq!(body["access"], "read_write");

    // Moving it to another account, or changing its kind, is refused: nothing of it applies.
    let heads_before = jr.view().docs[&doc].server.clone();
    jr.change(doc, |tx| {
        tx.put(ROOT, "account_id", "beta").expect("put");
    })
    .await;
    barrier(&jr).await;
    assert_eq!(
        jr.view().docs[&doc].server,
        heads_before,
        "the move was refused"
    );
    let mate = Client::connect_with_bearer(&server.url(), "phone-mate", agency.token("mate"))
        .await
        .expect("connect");
    mate.subscribe(doc);
    mate.wait_for("the storecheck", PATIENCE, |v| {
        v.docs
            .get(&doc)
            .is_some_and(|d| Some(&d.local) == heads_before.as_ref())
    })
    .await
    .expect("mate gets the registered version only");
    let (code, body) = status(&server, agency.token("outsider"), doc).await;
    assert_eq!(code, 404, "beta's team cannot see it: {body}");
    // A kind change from a fresh writer is refused the same way.
    mate.change(doc, |tx| {
        tx.put(ROOT, "kind", "action_item").expect("put");
    })
    .await;
    barrier(&mate).await;
    let (_, body) = status(&server, agency.token("mate"), doc).await;
    assert_eq!(body["kind"], "storecheck");
    assert_eq!(mate.view().docs[&doc].server, heads_before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unclassifiable_documents_and_foreign_accounts_are_refused() {
    let dir = tempfile::tempdir().expect("dir");
    let agency = fixture::seed(dir.path());
    let server = TestServer::start_authenticated(dir.path(), |_| {}).await;
    let jr = Client::connect_with_bearer(&server.url(), "phone-jr", agency.token("jr"))
        .await
        .expect("connect");
    type Edit = fn(&mut automerge::transaction::Transaction<'_>);
    let cases: [(&str, Edit); 4] = [
        ("no kind", |tx| {
            tx.put(ROOT, "account_id", "acme").expect("put");
        }),
        ("no account", |tx| {
            tx.put(ROOT, "kind", "storecheck").expect("put");
        }),
        ("unknown kind", |tx| {
            tx.put(ROOT, "kind", "poem").expect("put");
            tx.put(ROOT, "account_id", "acme").expect("put");
        }),
        ("an account jr is not on", |tx| {
            tx.put(ROOT, "kind", "storecheck").expect("put");
            tx.put(ROOT, "account_id", "beta").expect("put");
        }),
    ];
    let mut refused = Vec::new();
    for (what, edit) in cases {
        refused.push((what, jr.create(edit).await));
    }
    // Barrier: a good document sent after them is acknowledged, so the server has handled them.
    barrier(&jr).await;
    let view = jr.view();
    for (what, doc) in refused {
        let acknowledged = view.docs.get(&doc).and_then(|d| d.server.clone());
        assert!(
            acknowledged.is_none_or(|heads| heads.is_empty()),
            "{what}: acknowledged"
        );
        for who in ["jr", "outsider", "mgmt"] {
            assert_eq!(
                status(&server, agency.token(who), doc).await.0,
                404,
                "{what}"
            );
        }
        assert!(!stored(dir.path(), doc), "{what}: nothing stored");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_of_an_open_server_are_registered_from_their_content() {
    let dir = tempfile::tempdir().expect("dir");
    let (classified, unclassified) = {
        let open = TestServer::start_in(dir.path(), |_| {}).await;
        let phone = Client::connect(&open.url(), "phone")
            .await
            .expect("connect");
        let classified = phone
            .create(|tx| {
                tx.put(ROOT, "kind", "meeting_note").expect("put");
                tx.put(ROOT, "account_id", "acme").expect("put");
            })
            .await;
        let unclassified = phone
            .create(|tx| {
                tx.put(ROOT, "title", "no kind").expect("put");
            })
            .await;
        for doc in [classified, unclassified] {
            phone
                .wait_for("stored", PATIENCE, |v| v.in_sync(&doc))
                .await
                .expect("stored");
        }
        phone.close().await;
        open.stop().await.expect("stop");
        (classified, unclassified)
    };
    let agency = fixture::seed(dir.path());
    let server = TestServer::start_authenticated(dir.path(), |_| {}).await;
    let (code, body) = status(&server, agency.token("mate"), classified).await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["account"], "acme");
    assert_eq!(body["creator"], serde_json::Value::Null);
    assert_eq!(
        status(&server, agency.token("outsider"), classified)
            .await
            .0,
        404
    );
    for who in ["mate", "mgmt", "admin"] {
        assert_eq!(
            status(&server, agency.token(who), unclassified).await.0,
            404
        );
    }
    let mate = Client::connect_with_bearer(&server.url(), "phone-mate", agency.token("mate"))
        .await
        .expect("connect");
    mate.subscribe(classified);
    mate.subscribe(unclassified);
    mate.wait_for("both answered", PATIENCE, |v| {
        v.in_sync(&classified) && v.unavailable.contains(&unclassified)
    })
    .await
    .expect("the classified one syncs, the other is unavailable");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_fields_of_stock_clients_classify_and_cannot_be_edited_into_another_account() {
    use automerge::ObjType;
    let dir = tempfile::tempdir().expect("dir");
    let agency = fixture::seed(dir.path());
    let server = TestServer::start_authenticated(dir.path(), |_| {}).await;
    let jr = Client::connect_with_bearer(&server.url(), "phone-jr", agency.token("jr"))
        .await
        .expect("connect");
    // A stock JavaScript client's `{kind: "storecheck", account_id: "acme"}`: both are text.
    let doc = jr
        .create(|tx| {
            let kind = tx.put_object(ROOT, "kind", ObjType::Text).expect("text");
            tx.splice_text(&kind, 0, 0, "storecheck").expect("splice");
            let account = tx
                .put_object(ROOT, "account_id", ObjType::Text)
                .expect("text");
            tx.splice_text(&account, 0, 0, "acme").expect("splice");
        })
        .await;
    jr.wait_for("stored", PATIENCE, |v| v.in_sync(&doc))
        .await
        .expect("a text-classified document is accepted");
    let (code, body) = status(&server, agency.token("mate"), doc).await;
    assert_eq!((code, body["account"].as_str()), (200, Some("acme")));
    let acknowledged = jr.view().docs[&doc].server.clone();

    // Editing inside the text, not writing the root key, must not move it either.
    jr.change(doc, |tx| {
        use automerge::ReadDoc;
        let (_, account) = tx.get(ROOT, "account_id").expect("get").expect("field");
        tx.splice_text(&account, 0, 4, "beta").expect("splice");
    })
    .await;
    barrier(&jr).await;
    assert_eq!(
        jr.view().docs[&doc].server,
        acknowledged,
        "the edit was refused"
    );
    assert_eq!(status(&server, agency.token("outsider"), doc).await.0, 404);
}
