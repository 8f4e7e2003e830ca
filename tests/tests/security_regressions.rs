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

use automerge::transaction::{Transactable, Transaction};
use automerge::{AutoCommit, Automerge, ObjType, ROOT, ReadDoc};
use enlace_core::ids::DocumentId;
use enlace_core::wire::{Message, encode};
use enlace_tests::PATIENCE;
use enlace_tests::client::Client;
use enlace_tests::fixture;
use enlace_tests::forge::{self, RawPeer};
use enlace_tests::server::TestServer;

/// A server on a seeded agency, with its data directory.
struct Agency {
    _dir: tempfile::TempDir,
    people: fixture::Agency,
    server: TestServer,
}

impl Agency {
    async fn start() -> Agency {
        let dir = tempfile::tempdir().expect("data dir");
        let people = fixture::seed(dir.path());
        let server = TestServer::start_authenticated(dir.path(), |_| {}).await;
        Agency {
            _dir: dir,
            people,
            server,
        }
    }

    /// A client of `user`, joined as `peer`.
    async fn client(&self, user: &str, peer: &str) -> Client {
        Client::connect_with_bearer(&self.server.ws_url(), peer, self.people.token(user))
            .await
            .expect("connects")
    }

    /// A raw socket of `user`, joined as `peer`.
    async fn raw(&self, user: &str, peer: &str) -> RawPeer {
        RawPeer::join(
            &self.server.ws_url(),
            self.people.token(user),
            peer,
            PATIENCE,
        )
        .await
    }

    async fn stop(self, clients: impl IntoIterator<Item = Client>) {
        for client in clients {
            client.close().await;
        }
        self.server.stop().await.expect("clean stop");
    }
}

/// `client` syncs `doc` (its copy made offline) and the server acknowledges it.
async fn create(client: &Client, id: DocumentId, doc: Automerge) {
    client.adopt(id, doc).await;
    client
        .wait_for("the new document acknowledged", PATIENCE, |v| {
            v.in_sync(&id)
        })
        .await
        .expect("acknowledged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outsider_who_syncs_an_id_first_never_receives_the_document() {
    let agency = Agency::start().await;
    // The outsider (another organisation) learnt the id of a document made offline.
    let doc = DocumentId::new_random();
    let mut outsider = agency.raw("foreigner", "outsider").await;
    outsider.sync_empty(doc).await;
    let (_, first) = outsider
        .answer_about(doc, PATIENCE)
        .await
        .expect("a missing document is answered");
    assert!(matches!(first, Message::Sync { .. }), "{first:?}");

    // The rightful creator syncs it, then keeps editing.
    let jr = agency.client("jr", "jr-phone").await;
    create(&jr, doc, forge::storecheck("acme", "jr")).await;
    jr.change(doc, |tx| {
        tx.put(ROOT, "notes", "precio de góndola").expect("put");
    })
    .await;
    jr.wait_for("the edit acknowledged", PATIENCE, |v| v.in_sync(&doc))
        .await
        .expect("acknowledged");

    let received = outsider.received_content(doc, PATIENCE).await;
    assert!(
        !received.expect("the barrier is answered"),
        "the outsider received another organisation's document"
    );
    agency.stop([jr]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_teammate_who_syncs_an_id_first_receives_the_document_once_it_exists() {
    let agency = Agency::start().await;
    let doc = DocumentId::new_random();
    let mut mate = agency.raw("mate", "mate-early").await;
    mate.sync_empty(doc).await;
    mate.answer_about(doc, PATIENCE)
        .await
        .expect("a missing document is answered");
    let jr = agency.client("jr", "jr-phone").await;
    create(&jr, doc, forge::storecheck("acme", "jr")).await;
    let received = mate.received_content(doc, PATIENCE).await;
    assert!(
        received.expect("the barrier is answered"),
        "a teammate waiting for the document never received it"
    );
    agency.stop([jr]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forbidden_document_answers_an_empty_sync_as_a_missing_one() {
    let agency = Agency::start().await;
    let jr = agency.client("jr", "jr-phone").await;
    let doc = DocumentId::new_random();
    create(&jr, doc, forge::storecheck("acme", "jr")).await;

    let mut outsider = agency.raw("foreigner", "prober").await;
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
    agency.stop([jr]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relayed_ephemeral_messages_carry_the_authenticated_sender() {
    let agency = Agency::start().await;
    let jr = agency.client("jr", "jr-phone").await;
    let doc = DocumentId::new_random();
    create(&jr, doc, forge::storecheck("acme", "jr")).await;
    let mate = agency.client("mate", "mate-phone").await;
    mate.subscribe(doc);
    let heads = jr.view().heads(&doc);
    mate.wait_for("the teammate has the document", PATIENCE, |v| {
        v.heads(&doc) == heads
    })
    .await
    .expect("synced");

    // `ae`, on the team too, claims to be jr's phone, in jr's session, with the highest count.
    let mut spoofer = agency.raw("ae", "ae-raw").await;
    spoofer.sync_empty(doc).await;
    spoofer.answer_about(doc, PATIENCE).await.expect("answer");
    let forged = forge::cbor_text("jr is here (not really)");
    let server = spoofer.server.clone();
    spoofer
        .send(forge::ephemeral_frame(
            "jr-phone",
            &server,
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
    agency.stop([jr, mate]).await;
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

/// A document of `kind` in `account` whose status (at `parent.status`, `parent` the root or
/// the contact report) reached `states` in round 0.
fn with_status(kind: &str, account: &str, in_report: bool, states: &[&str]) -> Automerge {
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "kind", kind).expect("put");
    doc.put(ROOT, "account_id", account).expect("put");
    let parent = match in_report {
        true => doc
            .put_object(ROOT, "contact_report", ObjType::Map)
            .expect("put"),
        false => ROOT,
    };
    let status = doc
        .put_object(&parent, "status", ObjType::Map)
        .expect("put");
    let round = doc.put_object(&status, "0", ObjType::Map).expect("put");
    for state in states {
        doc.put(&round, *state, true).expect("put");
    }
    Automerge::load(&doc.save()).expect("loads")
}

/// Round 0 of the status under `parent`.
fn round0(tx: &Transaction<'_>, parent: &automerge::ObjId) -> automerge::ObjId {
    let status = tx.get(parent, "status").expect("get").expect("map").1;
    tx.get(&status, "0").expect("get").expect("map").1
}

/// The states round 0 of the status under `parent` (`contact_report` or the root) reached in
/// `doc`, and its `report_no` if it is a contact report.
fn status_of(doc: &Automerge, in_report: bool) -> (Vec<String>, Option<String>) {
    let parent = match in_report {
        true => match doc.get(ROOT, "contact_report") {
            Ok(Some((_, id))) => id,
            _ => return (Vec::new(), None),
        },
        false => ROOT,
    };
    let states = doc
        .get(&parent, "status")
        .ok()
        .flatten()
        .and_then(|(_, status)| doc.get(&status, "0").ok().flatten())
        .map(|(_, round)| doc.keys(&round).collect())
        .unwrap_or_default();
    let number = doc
        .get(&parent, "report_no")
        .ok()
        .flatten()
        .and_then(|(v, _)| v.into_string().ok());
    (states, number)
}

/// Waits until `client`'s copy of `doc` is in sync with the server and shows `states` (and no
/// report number), and was never refused: the server kept the write and repaired it.
async fn repaired_to(client: &Client, doc: DocumentId, in_report: bool, states: &[&str]) {
    let want: Vec<String> = states.iter().map(|s| (*s).to_owned()).collect();
    let expected = (want.clone(), None);
    client
        .wait_content(doc, "the server's repair", PATIENCE, move |d| {
            status_of(d, in_report) == expected
        })
        .await
        .expect("the client's copy converges to the server's value");
    client
        .wait_for("in sync with the server", PATIENCE, |v| v.in_sync(&doc))
        .await
        .expect("in sync");
    assert!(
        !client.view().refused.contains_key(&doc),
        "repaired, not refused"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fields_only_the_server_or_a_reviewer_writes_are_repaired_for_every_replica() {
    let agency = Agency::start().await;
    let jr = agency.client("jr", "jr-phone").await;

    // A contact report in review; the client writes `sent` and a number itself.
    let note = DocumentId::new_random();
    let doc = with_status("meeting_note", "acme", true, &["draft", "in_review"]);
    jr.adopt(note, doc).await;
    assert_eq!(refused_or_acknowledged(&jr, note).await, "acknowledged");
    jr.change(note, |tx| {
        let report = tx.get(ROOT, "contact_report").expect("get").expect("map").1;
        let round = round0(tx, &report);
        tx.put(&round, "sent", true).expect("put");
        tx.put(&report, "report_no", "ACME-2026-0001").expect("put");
    })
    .await;
    // The server kept the write and restored the report: the writer's copy converges to it.
    repaired_to(&jr, note, true, &["draft", "in_review"]).await;

    // A teammate fetching the report gets the same document.
    let mate = agency.client("mate", "mate-phone").await;
    mate.subscribe(note);
    let heads = jr.view().heads(&note);
    mate.wait_for("the teammate has the report", PATIENCE, |v| {
        v.heads(&note) == heads
    })
    .await
    .expect("every replica holds the server's state");
    repaired_to(&mate, note, true, &["draft", "in_review"]).await;

    // A storecheck its creator marks reviewed: repaired; its creator's supervisor: kept.
    let sub = agency.client("sub-sup", "sub-phone").await;
    let check = DocumentId::new_random();
    let doc = with_status(
        "storecheck",
        "beta",
        false,
        &["draft", "in_progress", "submitted"],
    );
    sub.adopt(check, doc).await;
    assert_eq!(refused_or_acknowledged(&sub, check).await, "acknowledged");
    let saved = sub
        .read(check, |d| d.map(Automerge::save))
        .await
        .expect("held");
    let mark_reviewed = |tx: &mut Transaction<'_>| {
        let round = round0(tx, &ROOT);
        tx.put(&round, "reviewed", true).expect("put");
    };
    sub.change(check, mark_reviewed).await;
    repaired_to(&sub, check, false, &["draft", "in_progress", "submitted"]).await;
    let sup = agency.client("sup", "sup-phone").await;
    sup.adopt(check, Automerge::load(&saved).expect("loads"))
        .await;
    sup.change(check, mark_reviewed).await;
    assert_eq!(refused_or_acknowledged(&sup, check).await, "acknowledged");
    sub.wait_content(check, "the supervisor's review", PATIENCE, |d| {
        status_of(d, false).0.contains(&"reviewed".to_owned())
    })
    .await
    .expect("a reviewer's review stands and reaches the creator");

    // Counted for the operator.
    let (_, metrics) = enlace_tests::server::http_get(agency.server.addr, "/metrics")
        .await
        .expect("metrics");
    let repaired = metrics
        .lines()
        .find(|l| l.contains("authority_repaired"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|n| n.parse::<u64>().ok());
    assert!(
        repaired.is_some_and(|n| n >= 2),
        "two repairs counted: {repaired:?}"
    );
    agency.stop([jr, mate, sub, sup]).await;
}
