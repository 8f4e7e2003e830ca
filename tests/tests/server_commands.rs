//! Server commands over the JSON API (`POST /v1/documents/{id}/commands/{name}`): the server
//! numbers and sends a contact report and reviews or reopens a storecheck under its own
//! authority, the result reaches the phones by sync, numbers stay consecutive under concurrent
//! sends, and every caller who may not issue a command is refused (with the `404` of a missing
//! document when they may not read it).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant as StdInstant};

use enlace_core::DocumentId;
use enlace_core::client::{ClientConfig, SyncClient};
use enlace_core::model::meeting_note::{
    ContactReportStatus, MeetingKind, Recipient, RecipientReason,
};
use enlace_core::model::people::Party;
use enlace_core::model::storecheck::{StoreSnapshot, StorecheckStatus};
use enlace_core::model::{Document, Instant, MeetingNote, Storecheck};
use enlace_core::store::Store;
use enlace_tests::PATIENCE;
use enlace_tests::fixture::{self, Agency};
use enlace_tests::http::{HttpResponse, request};
use enlace_tests::process::ServerProcess;
use serde_json::json;

const LONG: Duration = Duration::from_secs(90);

fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_enlace-test-server"))
}

fn config(url: &str, token: &str) -> ClientConfig {
    let mut config = ClientConfig::new(url).with_token(token);
    config.backoff_initial = Duration::from_millis(50);
    config.backoff_max = Duration::from_millis(400);
    config
}

struct Phone {
    _dir: tempfile::TempDir,
    store: Arc<Store>,
    client: SyncClient,
}

fn phone(server: &ServerProcess, agency: &Agency, user: &str) -> Phone {
    let dir = tempfile::tempdir().expect("dir");
    let store = Arc::new(Store::open(dir.path().join("phone.sqlite")).expect("store"));
    let client = SyncClient::start(store.clone(), config(&server.url(), agency.token(user)))
        .expect("client");
    Phone {
        _dir: dir,
        store,
        client,
    }
}

fn at() -> Instant {
    Instant::new(1_780_000_000_000, "America/Santiago").expect("instant")
}

/// A meeting note on `acme` by `by`, with a contact report to one client recipient.
fn note(by: &str, title: &str) -> MeetingNote {
    let mut note = MeetingNote::new(
        DocumentId::new_random(),
        by.parse().expect("id"),
        at(),
        MeetingKind::ClientMeeting,
        title,
    );
    note.account_id = Some("acme".parse().expect("id"));
    note.started_at = Some(at());
    note.contact_report.distribution = BTreeMap::from([(
        "r1".to_owned(),
        Recipient {
            name: "Marta Soto".into(),
            email: "marta@acme.example".into(),
            party: Party::Client,
            reason: RecipientReason::Attendee,
            deleted: false,
        },
    )]);
    note
}

/// A storecheck on `acme` by `by`, submitted.
fn submitted_storecheck(phone: &Phone, by: &str) -> DocumentId {
    let check = Storecheck::new(
        DocumentId::new_random(),
        "acme".parse().expect("id"),
        by.parse().expect("id"),
        at(),
        StoreSnapshot {
            id: "store-1".parse().expect("id"),
            code: "J-101".into(),
            name: "Jumbo Costanera".into(),
            chain: "Jumbo".into(),
            format: "hiper".into(),
        },
        "2026-11",
    );
    let id = phone.store.create(&check).expect("create");
    phone
        .store
        .update::<Storecheck, _>(id, |s| {
            s.status.advance(StorecheckStatus::InProgress)?;
            s.status.advance(StorecheckStatus::Submitted)
        })
        .expect("submit");
    phone.client.wait_until_saved(id, LONG).expect("saved");
    id
}

async fn command(
    server: &ServerProcess,
    token: Option<&str>,
    doc: &str,
    name: &str,
    body: Option<serde_json::Value>,
) -> HttpResponse {
    request(
        server.addr,
        "POST",
        &format!("/v1/documents/{doc}/commands/{name}"),
        token,
        body.as_ref(),
    )
    .await
    .expect("the server answers")
}

/// `GET /v1/documents/{doc}/deliveries` as `token`'s holder (no credential with `None`).
async fn deliveries(server: &ServerProcess, doc: &str, token: Option<&str>) -> HttpResponse {
    request(
        server.addr,
        "GET",
        &format!("/v1/documents/{doc}/deliveries"),
        token,
        None,
    )
    .await
    .expect("the server answers")
}

/// Waits until the phone's copy of `id` satisfies `done`.
fn phone_sees<D: Document>(phone: &Phone, id: DocumentId, what: &str, done: impl Fn(&D) -> bool) {
    let deadline = StdInstant::now() + LONG;
    loop {
        if phone.store.get::<D>(id).is_ok_and(|d| done(&d)) {
            return;
        }
        assert!(StdInstant::now() < deadline, "the phone never saw {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sent_contact_report_is_numbered_and_reaches_every_phone() {
    let data = tempfile::tempdir().expect("data");
    let agency = fixture::seed(data.path());
    let server = ServerProcess::spawn_authenticated(binary(), data.path(), &[], PATIENCE);
    let ae = phone(&server, &agency, "ae");
    let mate = phone(&server, &agency, "mate");
    let id = ae
        .store
        .create(&note("ae", "Reunión con Acme"))
        .expect("create");
    ae.client.wait_until_saved(id, LONG).expect("saved");
    mate.client.subscribe(id).expect("subscribe");

    let answer = command(
        &server,
        Some(agency.token("ae")),
        &id.to_string(),
        "send-contact-report",
        None,
    )
    .await;
    assert_eq!(answer.status, 200, "{:?}", answer.json());
    let body = answer.json();
    assert_eq!(body["status"], "sent");
    let number = body["report_no"].as_str().expect("a number").to_owned();
    assert!(
        number.starts_with("ACME-") && number.ends_with("-0001"),
        "the account's first number: {number}"
    );
    for (who, phone) in [("the sender", &ae), ("the teammate", &mate)] {
        phone_sees::<MeetingNote>(phone, id, who, |n| {
            n.contact_report.status() == ContactReportStatus::Sent
                && n.contact_report.report_no.as_deref() == Some(number.as_str())
                && n.contact_report.sent_at.is_some()
        });
    }

    // Sending again is refused: the report is sent already and keeps its number.
    let again = command(
        &server,
        Some(agency.token("ae")),
        &id.to_string(),
        "send-contact-report",
        None,
    )
    .await;
    assert_eq!(again.status, 409, "{:?}", again.json());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sends_get_distinct_consecutive_numbers() {
    let data = tempfile::tempdir().expect("data");
    let agency = fixture::seed(data.path());
    let server = ServerProcess::spawn_authenticated(binary(), data.path(), &[], PATIENCE);
    let ae = phone(&server, &agency, "ae");
    let ids: Vec<DocumentId> = (0..20)
        .map(|i| {
            ae.store
                .create(&note("ae", &format!("Reunión {i}")))
                .expect("create")
        })
        .collect();
    for id in &ids {
        ae.client.wait_until_saved(*id, LONG).expect("saved");
    }
    let token = agency.token("ae").to_owned();
    let sends = ids.iter().map(|id| {
        let (server, token, id) = (&server, token.clone(), id.to_string());
        async move { command(server, Some(&token), &id, "send-contact-report", None).await }
    });
    let answers = futures_util::future::join_all(sends).await;
    let mut numbers: Vec<String> = answers
        .iter()
        .map(|a| {
            assert_eq!(a.status, 200, "{:?}", a.json());
            a.json()["report_no"].as_str().expect("number").to_owned()
        })
        .collect();
    numbers.sort();
    let year = numbers[0].split('-').nth(1).expect("year").to_owned();
    let expected: Vec<String> = (1..=20).map(|n| format!("ACME-{year}-{n:04}")).collect();
    assert_eq!(numbers, expected, "no gaps, no duplicates");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_director_reviews_and_reopens_a_storecheck_and_the_executive_sees_it() {
    let data = tempfile::tempdir().expect("data");
    let agency = fixture::seed(data.path());
    let server = ServerProcess::spawn_authenticated(binary(), data.path(), &[], PATIENCE);
    let jr = phone(&server, &agency, "jr");
    let id = submitted_storecheck(&jr, "jr");
    let doc = id.to_string();

    // The junior cannot review their own work.
    let own = command(
        &server,
        Some(agency.token("jr")),
        &doc,
        "review-storecheck",
        None,
    )
    .await;
    assert_eq!(own.status, 403, "{:?}", own.json());

    let reviewed = command(
        &server,
        Some(agency.token("dir")),
        &doc,
        "review-storecheck",
        Some(json!({"comment": "Bien: faltan fotos del pasillo 4"})),
    )
    .await;
    assert_eq!(reviewed.status, 200, "{:?}", reviewed.json());
    assert_eq!(reviewed.json()["status"], "reviewed");
    phone_sees::<Storecheck>(&jr, id, "the review", |s| {
        s.status() == StorecheckStatus::Reviewed
            && s.reviewed_by.as_ref().map(|r| r.as_str()) == Some("dir")
            && s.review_comment.as_str() == "Bien: faltan fotos del pasillo 4"
    });

    // Reopening needs a reason.
    let bare = command(
        &server,
        Some(agency.token("dir")),
        &doc,
        "reopen-storecheck",
        None,
    )
    .await;
    assert_eq!(bare.status, 400, "{:?}", bare.json());
    let reopened = command(
        &server,
        Some(agency.token("dir")),
        &doc,
        "reopen-storecheck",
        Some(json!({"reason": "Falta la góndola de lácteos"})),
    )
    .await;
    assert_eq!(reopened.status, 200, "{:?}", reopened.json());
    assert_eq!(reopened.json()["status"], "in_progress");
    phone_sees::<Storecheck>(&jr, id, "the reopen", |s| {
        s.status() == StorecheckStatus::InProgress
            && s.review_comment.as_str() == "Falta la góndola de lácteos"
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_who_may_not_issue_a_command_are_refused() {
    let data = tempfile::tempdir().expect("data");
    let agency = fixture::seed(data.path());
    let server = ServerProcess::spawn_authenticated(binary(), data.path(), &[], PATIENCE);
    let ae = phone(&server, &agency, "ae");
    let id = ae
        .store
        .create(&note("ae", "Reunión de estado"))
        .expect("create");
    ae.client.wait_until_saved(id, LONG).expect("saved");
    let doc = id.to_string();
    let missing = DocumentId::new_random().to_string();

    // Another organisation's user and a user of another account: the answer of a missing
    // document, byte for byte.
    let absent = command(
        &server,
        Some(agency.token("foreigner")),
        &missing,
        "send-contact-report",
        None,
    )
    .await;
    assert_eq!(absent.status, 404);
    for user in ["foreigner", "outsider"] {
        let refused = command(
            &server,
            Some(agency.token(user)),
            &doc,
            "send-contact-report",
            None,
        )
        .await;
        assert_eq!(refused.status, 404, "{user}");
        assert_eq!(
            refused.body, absent.body,
            "{user}: indistinguishable from missing"
        );
    }
    // No credential.
    let anonymous = command(&server, None, &doc, "send-contact-report", None).await;
    assert_eq!(anonymous.status, 401);
    // No such command; a command for another kind of document; bad arguments.
    let unknown = command(&server, Some(agency.token("ae")), &doc, "publish", None).await;
    assert_eq!(unknown.status, 404);
    let wrong_kind = command(
        &server,
        Some(agency.token("dir")),
        &doc,
        "review-storecheck",
        None,
    )
    .await;
    assert_eq!(wrong_kind.status, 409, "{:?}", wrong_kind.json());
    let malformed = command(
        &server,
        Some(agency.token("ae")),
        &doc,
        "send-contact-report",
        Some(json!({"unexpected": true})),
    )
    .await;
    assert_eq!(malformed.status, 400, "{:?}", malformed.json());
    // A read-only reader (management reads every document of the organisation, but another
    // account's note is not theirs to send): 403, not the 404 of a document they cannot read.
    let outsider = phone(&server, &agency, "outsider");
    let mut beta_note = note("outsider", "Reunión de Beta");
    beta_note.account_id = Some("beta".parse().expect("id"));
    let beta = outsider.store.create(&beta_note).expect("create");
    outsider.client.wait_until_saved(beta, LONG).expect("saved");
    let read_only = command(
        &server,
        Some(agency.token("mgmt")),
        &beta.to_string(),
        "send-contact-report",
        None,
    )
    .await;
    assert_eq!(read_only.status, 403, "{:?}", read_only.json());

    // The delivery list: missing and forbidden alike for another organisation, 401 without a
    // credential, readable by a read-only reader.
    let absent = deliveries(&server, &missing, Some(agency.token("foreigner"))).await;
    let hidden = deliveries(&server, &doc, Some(agency.token("foreigner"))).await;
    assert_eq!((absent.status, hidden.status), (404, 404));
    assert_eq!(
        absent.body, hidden.body,
        "forbidden deliveries look missing"
    );
    assert_eq!(deliveries(&server, &doc, None).await.status, 401);
    let readable = deliveries(&server, &beta.to_string(), Some(agency.token("mgmt"))).await;
    assert_eq!(readable.status, 200, "a read-only reader sees deliveries");
    // The calendar needs a credential too.
    let calendar = request(server.addr, "GET", "/v1/admin/calendar", None, None)
        .await
        .expect("answer");
    assert_eq!(calendar.status, 401);

    // Nothing of the refusals touched the report.
    let store = &ae.store;
    let note: MeetingNote = store.get(id).expect("note");
    assert_eq!(note.contact_report.status(), ContactReportStatus::Draft);
    assert!(note.contact_report.report_no.is_none());
}

/// A signed answer link for report `report_no` of `doc`, made with the server's own key (read
/// from its directory, as the server does), valid until `expires_ms`.
fn answer_link(data: &Path, doc: DocumentId, report_no: &str, expires_ms: i64) -> String {
    use enlace_server::answers::links::{AnswerClaim, AnswerKey};
    let directory = enlace_server::directory::Directory::open_in(data).expect("directory");
    let snapshot = directory.snapshot().expect("snapshot");
    let token = AnswerKey::derive(snapshot.ticket_key())
        .sign(&AnswerClaim {
            doc,
            report_no: report_no.to_owned(),
            recipient: "r1".into(),
            expires_ms,
        })
        .expect("token");
    format!("/v1/answers/{token}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_accepts_or_disputes_through_a_signed_link() {
    use enlace_tests::http::post_form;
    let data = tempfile::tempdir().expect("data");
    let agency = fixture::seed(data.path());
    let server = ServerProcess::spawn_authenticated(binary(), data.path(), &[], PATIENCE);
    let ae = phone(&server, &agency, "ae");
    let mut sent = Vec::new();
    for title in ["Reunión con Viña Sur", "Revisión de presupuesto"] {
        let id = ae.store.create(&note("ae", title)).expect("create");
        ae.client.wait_until_saved(id, LONG).expect("saved");
        let answer = command(
            &server,
            Some(agency.token("ae")),
            &id.to_string(),
            "send-contact-report",
            None,
        )
        .await;
        assert_eq!(answer.status, 200, "{:?}", answer.json());
        let number = answer.json()["report_no"]
            .as_str()
            .expect("number")
            .to_owned();
        sent.push((id, number));
    }
    let later = i64::MAX / 2;

    // The page names the report, escaped, and offers both answers.
    let (accepted, accepted_no) = &sent[0];
    let link = answer_link(data.path(), *accepted, accepted_no, later);
    let page = request(server.addr, "GET", &link, None, None)
        .await
        .expect("page");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Reunión con Viña Sur") && page.body.contains(accepted_no.as_str()));
    let done = post_form(server.addr, &link, "action=accept")
        .await
        .expect("answer");
    assert_eq!(done.status, 200, "{}", done.body);
    phone_sees::<MeetingNote>(&ae, *accepted, "the acceptance", |n| {
        n.contact_report.status() == ContactReportStatus::Accepted
            && n.contact_report.answered_at.is_some()
    });
    // Answering twice changes nothing.
    let again = post_form(server.addr, &link, "action=dispute&comment=tarde")
        .await
        .expect("answer");
    assert_eq!(again.status, 409, "{}", again.body);

    let (disputed, disputed_no) = &sent[1];
    let link = answer_link(data.path(), *disputed, disputed_no, later);
    let done = post_form(
        server.addr,
        &link,
        "action=dispute&comment=El+presupuesto+acordado+fue+%24120.000",
    )
    .await
    .expect("answer");
    assert_eq!(done.status, 200, "{}", done.body);
    phone_sees::<MeetingNote>(&ae, *disputed, "the dispute", |n| {
        n.contact_report.status() == ContactReportStatus::Disputed
            && n.contact_report.client_comment.as_deref()
                == Some("El presupuesto acordado fue $120.000")
    });

    // Forged, tampered and expired links are refused, and change nothing.
    let other = tempfile::tempdir().expect("other");
    fixture::seed(other.path());
    let forged = answer_link(other.path(), *accepted, accepted_no, later);
    let refused = post_form(server.addr, &forged, "action=dispute")
        .await
        .expect("answer");
    assert_eq!(refused.status, 404, "another server's key");
    let genuine = answer_link(data.path(), *accepted, accepted_no, later);
    let (payload, tag) = genuine.rsplit_once('.').expect("dot");
    let tampered = format!("{payload}A.{tag}");
    let refused = post_form(server.addr, &tampered, "action=dispute")
        .await
        .expect("answer");
    assert_eq!(refused.status, 404, "tampered");
    let expired = answer_link(data.path(), *accepted, accepted_no, 1_000);
    let refused = request(server.addr, "GET", &expired, None, None)
        .await
        .expect("page");
    assert_eq!(refused.status, 410, "expired");
    let wrong_report = answer_link(data.path(), *accepted, "ACME-1999-0001", later);
    let refused = post_form(server.addr, &wrong_report, "action=accept")
        .await
        .expect("answer");
    assert_eq!(refused.status, 404, "a link for another report");
    let note: MeetingNote = ae.store.get(*accepted).expect("note");
    assert_eq!(note.contact_report.status(), ContactReportStatus::Accepted);
}
