//! Regression tests for holes found by attacking the server with hand-built protocol clients:
//! each test is the attack, and fails on a server that has the hole.
//!
//! - An outsider who sends `sync` for a document id before the document exists must never
//!   receive it once its rightful creator creates it.
//! - A forbidden document answers an empty `sync` exactly as a missing one does.
//! - A relayed ephemeral message carries the authenticated sender's peer id, and a forged
//!   counter cannot silence another peer's presence.
//!
//! The id-squatting case (a creator whose id was taken first) is in `auth_before_create` and
//! `device_sync_authenticated`.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, Automerge, ROOT};
use enlace_core::ids::DocumentId;
use enlace_core::wire::{Message, encode};
use enlace_tests::PATIENCE;
use enlace_tests::client::Client;
use enlace_tests::fixture;
use enlace_tests::forge::{self, RawPeer};
use enlace_tests::server::TestServer;

fn storecheck(account: &str) -> Automerge {
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "kind", "storecheck").expect("put");
    doc.put(ROOT, "account_id", account).expect("put");
    Automerge::load(&doc.save()).expect("the document loads")
}

/// Whether `raw` received any content of `doc` before the server answered a `request` for a
/// missing id sent last (the server answers a socket's frames in order).
async fn received_content(raw: &mut RawPeer, doc: DocumentId) -> bool {
    let barrier = DocumentId::new_random();
    raw.request(barrier).await;
    let messages = raw
        .messages_until_answer_about(barrier, PATIENCE)
        .await
        .expect("the barrier is answered");
    messages.iter().any(|(_, m)| match m {
        Message::Sync {
            document_id, data, ..
        } => *document_id == doc && forge::sync_heads(data).is_some_and(|h| !h.is_empty()),
        _ => false,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outsider_who_syncs_an_id_first_never_receives_the_document() {
    let dir = tempfile::tempdir().expect("data dir");
    let agency = fixture::seed(dir.path());
    let server = TestServer::start_authenticated(dir.path(), |_| {}).await;
    let url = server.ws_url();

    // The outsider (another organisation) learnt the id of a document made offline.
    let doc = DocumentId::new_random();
    let mut outsider = RawPeer::join(&url, agency.token("foreigner"), "outsider", PATIENCE).await;
    outsider.sync_empty(doc).await;
    let (_, first) = outsider
        .answer_about(doc, PATIENCE)
        .await
        .expect("a missing document is answered");
    assert!(matches!(first, Message::Sync { .. }), "{first:?}");

    // The rightful creator syncs it, then keeps editing.
    let jr = Client::connect_with_bearer(&url, "jr-phone", agency.token("jr"))
        .await
        .expect("connects");
    jr.adopt(doc, storecheck("acme")).await;
    jr.wait_for("the new document acknowledged", PATIENCE, |v| {
        v.in_sync(&doc)
    })
    .await
    .expect("acknowledged");
    jr.change(doc, |tx| {
        tx.put(ROOT, "notes", "precio de góndola").expect("put");
    })
    .await;
    jr.wait_for("the edit acknowledged", PATIENCE, |v| v.in_sync(&doc))
        .await
        .expect("acknowledged");

    assert!(
        !received_content(&mut outsider, doc).await,
        "the outsider received another organisation's document"
    );
    jr.close().await;
    server.stop().await.expect("clean stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_teammate_who_syncs_an_id_first_receives_the_document_once_it_exists() {
    let dir = tempfile::tempdir().expect("data dir");
    let agency = fixture::seed(dir.path());
    let server = TestServer::start_authenticated(dir.path(), |_| {}).await;
    let url = server.ws_url();
    let doc = DocumentId::new_random();
    let mut mate = RawPeer::join(&url, agency.token("mate"), "mate-early", PATIENCE).await;
    mate.sync_empty(doc).await;
    mate.answer_about(doc, PATIENCE)
        .await
        .expect("a missing document is answered");
    let jr = Client::connect_with_bearer(&url, "jr-phone", agency.token("jr"))
        .await
        .expect("connects");
    jr.adopt(doc, storecheck("acme")).await;
    jr.wait_for("the new document acknowledged", PATIENCE, |v| {
        v.in_sync(&doc)
    })
    .await
    .expect("acknowledged");
    assert!(
        received_content(&mut mate, doc).await,
        "a teammate waiting for the document never received it"
    );
    jr.close().await;
    server.stop().await.expect("clean stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forbidden_document_answers_an_empty_sync_as_a_missing_one() {
    let dir = tempfile::tempdir().expect("data dir");
    let agency = fixture::seed(dir.path());
    let server = TestServer::start_authenticated(dir.path(), |_| {}).await;
    let url = server.ws_url();
    let jr = Client::connect_with_bearer(&url, "jr-phone", agency.token("jr"))
        .await
        .expect("connects");
    let doc = DocumentId::new_random();
    jr.adopt(doc, storecheck("acme")).await;
    jr.wait_for("the new document acknowledged", PATIENCE, |v| {
        v.in_sync(&doc)
    })
    .await
    .expect("acknowledged");

    let mut outsider = RawPeer::join(&url, agency.token("foreigner"), "prober", PATIENCE).await;
    let nowhere = DocumentId::new_random();
    outsider.sync_empty(doc).await;
    let (forbidden_bytes, forbidden) = outsider.answer_about(doc, PATIENCE).await.expect("answer");
    outsider.sync_empty(nowhere).await;
    let (missing_bytes, missing) = outsider
        .answer_about(nowhere, PATIENCE)
        .await
        .expect("answer");
    let Message::Sync {
        sender_id,
        target_id,
        data,
        ..
    } = forbidden
    else {
        panic!(
            "a forbidden document answered `{}`, a missing one `{}`",
            forbidden.type_name(),
            missing.type_name()
        );
    };
    let swapped = encode(&Message::Sync {
        sender_id,
        target_id,
        document_id: nowhere,
        data,
    });
    assert_eq!(
        swapped, missing_bytes,
        "forbidden {forbidden_bytes:02x?} differs from missing {missing_bytes:02x?}"
    );
    jr.close().await;
    server.stop().await.expect("clean stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relayed_ephemeral_messages_carry_the_authenticated_sender() {
    let dir = tempfile::tempdir().expect("data dir");
    let agency = fixture::seed(dir.path());
    let server = TestServer::start_authenticated(dir.path(), |_| {}).await;
    let url = server.ws_url();
    let jr = Client::connect_with_bearer(&url, "jr-phone", agency.token("jr"))
        .await
        .expect("connects");
    let doc = DocumentId::new_random();
    jr.adopt(doc, storecheck("acme")).await;
    jr.wait_for("the new document acknowledged", PATIENCE, |v| {
        v.in_sync(&doc)
    })
    .await
    .expect("acknowledged");
    let mate = Client::connect_with_bearer(&url, "mate-phone", agency.token("mate"))
        .await
        .expect("connects");
    mate.subscribe(doc);
    let heads = jr.view().heads(&doc);
    mate.wait_for("the teammate has the document", PATIENCE, |v| {
        v.heads(&doc) == heads
    })
    .await
    .expect("synced");

    // `ae`, on the team too, claims to be jr's phone, in jr's session, with the highest count.
    let mut spoofer = RawPeer::join(&url, agency.token("ae"), "ae-raw", PATIENCE).await;
    spoofer.sync_empty(doc).await;
    spoofer.answer_about(doc, PATIENCE).await.expect("answer");
    let forged = forge::cbor_text("jr is here (not really)");
    spoofer
        .send(forge::ephemeral_frame(
            "jr-phone",
            &spoofer.server.clone(),
            doc,
            forged.clone(),
            (1 << 53) - 1,
            "enlace",
        ))
        .await;
    // jr's real presence, count 1 of its session "enlace".
    let real = forge::cbor_text("jr really is here");
    jr.broadcast(doc, real.clone());

    let view = mate
        .wait_for("both ephemeral messages relayed", PATIENCE, |v| {
            v.heard(&doc, &forged) && v.heard(&doc, &real)
        })
        .await
        .expect("the real presence was not dropped as a duplicate of the forged one");
    let sender_of = |data: &[u8]| {
        view.ephemeral
            .iter()
            .find(|e| e.doc == doc && e.data == data)
            .map(|e| e.sender.to_string())
    };
    assert_eq!(sender_of(&forged).as_deref(), Some("ae-raw"));
    assert_eq!(sender_of(&real).as_deref(), Some("jr-phone"));
    for client in [jr, mate] {
        client.close().await;
    }
    server.stop().await.expect("clean stop");
}

/// Waits for the server to refuse (`not_permitted`) or acknowledge the client's copy of `doc`.
async fn refused_or_acknowledged(client: &Client, doc: DocumentId) -> &'static str {
    let view = client
        .wait_for("the server's verdict", PATIENCE, |v| {
            v.refused.contains_key(&doc) || v.in_sync(&doc)
        })
        .await
        .expect("a verdict");
    match view.refused.get(&doc) {
        Some((code, _)) if code == "not_permitted" => "refused",
        Some(_) => "refused with another code",
        None => "acknowledged",
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fields_only_the_server_or_a_reviewer_writes_are_refused_from_clients() {
    let dir = tempfile::tempdir().expect("data dir");
    let agency = fixture::seed(dir.path());
    let server = TestServer::start_authenticated(dir.path(), |_| {}).await;
    let url = server.ws_url();
    let jr = Client::connect_with_bearer(&url, "jr-phone", agency.token("jr"))
        .await
        .expect("connects");

    // A contact report in review; the client writes `sent` itself.
    let note = DocumentId::new_random();
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "kind", "meeting_note").expect("put");
    doc.put(ROOT, "account_id", "acme").expect("put");
    let report = doc
        .put_object(ROOT, "contact_report", automerge::ObjType::Map)
        .expect("put");
    let status = doc
        .put_object(&report, "status", automerge::ObjType::Map)
        .expect("put");
    let round = doc
        .put_object(&status, "0", automerge::ObjType::Map)
        .expect("put");
    doc.put(&round, "draft", true).expect("put");
    doc.put(&round, "in_review", true).expect("put");
    jr.adopt(note, Automerge::load(&doc.save()).expect("loads"))
        .await;
    assert_eq!(refused_or_acknowledged(&jr, note).await, "acknowledged");
    let acknowledged = jr.view().heads(&note);
    jr.change(note, |tx| {
        use automerge::ReadDoc;
        let report = tx.get(ROOT, "contact_report").expect("get").expect("map").1;
        let status = tx.get(&report, "status").expect("get").expect("map").1;
        let round = tx.get(&status, "0").expect("get").expect("map").1;
        tx.put(&round, "sent", true).expect("put");
        tx.put(&report, "report_no", "ACME-2026-0001").expect("put");
    })
    .await;
    assert_eq!(refused_or_acknowledged(&jr, note).await, "refused");

    // The server kept the report as it was: a teammate fetching it gets the acknowledged heads.
    let mate = Client::connect_with_bearer(&url, "mate-phone", agency.token("mate"))
        .await
        .expect("connects");
    mate.subscribe(note);
    mate.wait_for("the teammate has the report", PATIENCE, |v| {
        v.heads(&note) == acknowledged
    })
    .await
    .expect("the server's copy has no client-written `sent`");

    // A storecheck its creator marks reviewed: refused; its creator's supervisor: accepted.
    let sub = Client::connect_with_bearer(&url, "sub-phone", agency.token("sub-sup"))
        .await
        .expect("connects");
    let check = DocumentId::new_random();
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "kind", "storecheck").expect("put");
    doc.put(ROOT, "account_id", "beta").expect("put");
    let status = doc
        .put_object(ROOT, "status", automerge::ObjType::Map)
        .expect("put");
    let round = doc
        .put_object(&status, "0", automerge::ObjType::Map)
        .expect("put");
    for s in ["draft", "in_progress", "submitted"] {
        doc.put(&round, s, true).expect("put");
    }
    sub.adopt(check, Automerge::load(&doc.save()).expect("loads"))
        .await;
    assert_eq!(refused_or_acknowledged(&sub, check).await, "acknowledged");
    let saved = sub
        .read(check, |d| d.map(Automerge::save))
        .await
        .expect("held");
    let mark_reviewed = |tx: &mut automerge::transaction::Transaction<'_>| {
        use automerge::ReadDoc;
        let status = tx.get(ROOT, "status").expect("get").expect("map").1;
        let round = tx.get(&status, "0").expect("get").expect("map").1;
        tx.put(&round, "reviewed", true).expect("put");
    };
    sub.change(check, mark_reviewed).await;
    assert_eq!(refused_or_acknowledged(&sub, check).await, "refused");
    let sup = Client::connect_with_bearer(&url, "sup-phone", agency.token("sup"))
        .await
        .expect("connects");
    sup.adopt(check, Automerge::load(&saved).expect("loads"))
        .await;
    sup.change(check, mark_reviewed).await;
    assert_eq!(refused_or_acknowledged(&sup, check).await, "acknowledged");

    for client in [jr, mate, sub, sup] {
        client.close().await;
    }
    server.stop().await.expect("clean stop");
}
