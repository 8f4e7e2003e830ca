//! The contact report reaches the client by e-mail: a real SMTP server started here (aiosmtpd,
//! `tests/smtp/sink.py`) receives one message per recipient, with the number, the subject, both
//! parts and nothing internal, and the link in it answers the report. A server killed with
//! kill -9 between recording the e-mail and delivering it, while the relay is down, still
//! delivers exactly one message per recipient once it is back.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant as StdInstant};

use enlace_core::DocumentId;
use enlace_core::client::{ClientConfig, SyncClient};
use enlace_core::model::meeting_note::{
    ContactReportStatus, DeliveryState, MeetingKind, Recipient, RecipientReason,
};
use enlace_core::model::people::Party;
use enlace_core::model::{Instant, MeetingNote};
use enlace_core::store::Store;
use enlace_server::testing::smtp::{Received, Sink};
use enlace_tests::PATIENCE;
use enlace_tests::fixture::{self, Agency};
use enlace_tests::http::{call, post_form};
use enlace_tests::process::ServerProcess;

const LONG: Duration = Duration::from_secs(90);
const SECRET: &str = "MARCA-INTERNA-7f3a";

fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_enlace-test-server"))
}

fn recipient(name: &str, email: &str, party: Party) -> Recipient {
    Recipient {
        name: name.into(),
        email: email.into(),
        party,
        reason: RecipientReason::Attendee,
        deleted: false,
    }
}

/// A meeting note on `acme` with notes, internal notes and two recipients.
fn note() -> MeetingNote {
    let at = Instant::new(enlace_server::directory::now_ms(), "America/Santiago").expect("at");
    let mut note = MeetingNote::new(
        DocumentId::new_random(),
        "ae".parse().expect("id"),
        at.clone(),
        MeetingKind::ClientMeeting,
        "Reunión con Viña Sur",
    );
    note.account_id = Some("acme".parse().expect("id"));
    note.started_at = Some(at);
    note.body.splice(0, 0, "Se acordó el lanzamiento en marzo.");
    note.internal_notes.splice(0, 0, SECRET);
    note.contact_report.distribution = BTreeMap::from([
        (
            "client".to_owned(),
            recipient("Marta Soto", "marta@acme.example", Party::Client),
        ),
        (
            "agency".to_owned(),
            recipient("Ana Ruiz", "ana@andes.example", Party::Agency),
        ),
    ]);
    note
}

struct Phone {
    _dir: tempfile::TempDir,
    store: Arc<Store>,
    client: SyncClient,
}

fn phone(url: &str, token: &str) -> Phone {
    let dir = tempfile::tempdir().expect("dir");
    let store = Arc::new(Store::open(dir.path().join("phone.sqlite")).expect("store"));
    let mut config = ClientConfig::new(url).with_token(token);
    config.backoff_initial = Duration::from_millis(50);
    config.backoff_max = Duration::from_millis(400);
    let client = SyncClient::start(store.clone(), config).expect("client");
    Phone {
        _dir: dir,
        store,
        client,
    }
}

async fn send(server: &ServerProcess, agency: &Agency, doc: DocumentId) -> String {
    let answer = call(
        server.addr,
        "POST",
        &format!("/v1/documents/{doc}/commands/send-contact-report"),
        agency.token("ae"),
        None,
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()["report_no"]
        .as_str()
        .expect("number")
        .to_owned()
}

/// Waits until at least `n` messages arrived (a relay retried after a back-off may take a
/// while), then returns them all.
fn received(sink: &Sink, n: usize, within: Duration) -> Vec<Received> {
    let deadline = StdInstant::now() + within;
    loop {
        let got = sink.received();
        if got.len() >= n || StdInstant::now() >= deadline {
            return got;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The answer link in a message's text part, as a path on the server.
fn answer_path(message: &Received) -> String {
    let text = message.text.as_deref().expect("a text part");
    let start = text.find("/v1/answers/").expect("an answer link");
    text[start..]
        .split_whitespace()
        .next()
        .expect("the link")
        .trim_end_matches(['.', ',', ')', '>'])
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_reaches_every_recipient_by_email_and_its_link_answers_it() {
    let sink = Sink::start(0);
    let data = tempfile::tempdir().expect("data");
    let agency = fixture::seed(data.path());
    let smtp = sink.url();
    let server = ServerProcess::spawn_authenticated(
        binary(),
        data.path(),
        &[
            "--smtp-url",
            &smtp,
            "--mail-from",
            "Reportes <reportes@andes.example>",
        ],
        PATIENCE,
    );
    let ae = phone(&server.url(), agency.token("ae"));
    let id = ae.store.create(&note()).expect("create");
    if ae.client.wait_until_saved(id, LONG).is_err() {
        panic!(
            "not saved; server log:\n{}",
            String::from_utf8_lossy(&server.log())
        );
    }
    let number = send(&server, &agency, id).await;

    let messages = received(&sink, 2, LONG);
    assert_eq!(messages.len(), 2, "one message per recipient: {messages:?}");
    let to: BTreeSet<String> = messages.iter().flat_map(|m| m.rcpt_tos.clone()).collect();
    assert_eq!(
        to,
        BTreeSet::from([
            "ana@andes.example".to_owned(),
            "marta@acme.example".to_owned()
        ])
    );
    let ids: BTreeSet<Option<String>> = messages.iter().map(|m| m.message_id.clone()).collect();
    assert_eq!(ids.len(), 2, "distinct Message-IDs");
    for m in &messages {
        let subject = m.subject.as_deref().unwrap_or_default();
        assert!(
            subject.contains(&number) && subject.contains("Reunión con Viña Sur"),
            "{subject}"
        );
        for part in [m.text.as_deref(), m.html.as_deref()] {
            let part = part.expect("text and HTML parts");
            assert!(part.contains(&number), "the number is in the body");
            assert!(part.contains("Se acordó el lanzamiento en marzo."));
            assert!(
                !part.contains(SECRET),
                "internal notes never reach the client"
            );
            assert!(
                part.contains("Agencia Andes"),
                "the agency is named as the organisation is, not as the sender: {part}"
            );
        }
        assert!(
            m.from
                .as_deref()
                .is_some_and(|f| f.contains("reportes@andes.example"))
        );
    }

    // The phone sees both e-mails delivered, written into the report by the server.
    let deadline = StdInstant::now() + LONG;
    loop {
        let report = ae
            .store
            .get::<MeetingNote>(id)
            .expect("note")
            .contact_report;
        let delivered: BTreeSet<String> = report
            .deliveries
            .values()
            .filter(|d| d.state == DeliveryState::Delivered && d.attempts == 1)
            .map(|d| d.email.clone())
            .collect();
        if delivered.len() == 2 {
            assert_eq!(
                report.deliveries.keys().collect::<BTreeSet<_>>(),
                report.distribution.keys().collect::<BTreeSet<_>>(),
                "keyed like the distribution list"
            );
            break;
        }
        assert!(
            StdInstant::now() < deadline,
            "the phone never saw the deliveries: {:?}",
            report.deliveries
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    // The client's link answers the report, and the phone sees it.
    let client_mail = messages
        .iter()
        .find(|m| m.rcpt_tos.contains(&"marta@acme.example".to_owned()))
        .expect("the client's message");
    let answered = post_form(server.addr, &answer_path(client_mail), "action=accept")
        .await
        .expect("answer");
    assert_eq!(answered.status, 200, "{}", answered.body);
    let deadline = StdInstant::now() + LONG;
    while ae
        .store
        .get::<MeetingNote>(id)
        .map(|n| n.contact_report.status())
        .ok()
        != Some(ContactReportStatus::Accepted)
    {
        assert!(
            StdInstant::now() < deadline,
            "the phone never saw the acceptance"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    // A second report, disputed by the client: the creator's team is told, with the comment.
    let disputed = ae.store.create(&note()).expect("create");
    ae.client.wait_until_saved(disputed, LONG).expect("saved");
    send(&server, &agency, disputed).await;
    let messages = received(&sink, 4, LONG);
    let link = messages
        .iter()
        .skip(2)
        .find(|m| m.rcpt_tos.contains(&"marta@acme.example".to_owned()))
        .map(answer_path)
        .expect("the client's second message");
    let answered = post_form(
        server.addr,
        &link,
        "action=dispute&comment=La+fecha+acordada+fue+abril",
    )
    .await
    .expect("dispute");
    assert_eq!(answered.status, 200, "{}", answered.body);
    let deadline = StdInstant::now() + LONG;
    let told = loop {
        let told: BTreeSet<String> = sink
            .received()
            .iter()
            .filter(|m| m.subject.as_deref().is_some_and(|s| s.contains("disputed")))
            .inspect(|m| {
                assert!(
                    m.text
                        .as_deref()
                        .is_some_and(|t| t.contains("La fecha acordada fue abril")),
                    "the comment is in the notice"
                );
            })
            .flat_map(|m| m.rcpt_tos.clone())
            .collect();
        if told.contains("ae@example.com") && told.contains("mate@example.com") {
            break told;
        }
        assert!(
            StdInstant::now() < deadline,
            "the team was not told: {told:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(
        !told.iter().any(|t| t.contains("acme.example")),
        "the notice goes to the team, not to the client: {told:?}"
    );

    // The team sees how delivery went; another organisation does not.
    let deliveries = call(
        server.addr,
        "GET",
        &format!("/v1/documents/{id}/deliveries"),
        agency.token("mate"),
        None,
    )
    .await;
    assert_eq!(deliveries.status, 200, "{}", deliveries.body);
    let list = deliveries.json();
    let states: Vec<&str> = list
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|d| d["state"].as_str())
        .collect();
    assert_eq!(states, ["delivered", "delivered"], "{list}");
    assert_eq!(list.as_array().map(Vec::len), Some(2), "{list}");
    let foreign = call(
        server.addr,
        "GET",
        &format!("/v1/documents/{id}/deliveries"),
        agency.token("foreigner"),
        None,
    )
    .await;
    assert_eq!(foreign.status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_9_between_recording_and_delivering_sends_each_email_once() {
    // A port with nothing on it yet: the relay is down when the report is sent.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let smtp = format!("smtp://127.0.0.1:{port}");
    let data = tempfile::tempdir().expect("data");
    let agency = fixture::seed(data.path());
    let server =
        ServerProcess::spawn_authenticated(binary(), data.path(), &["--smtp-url", &smtp], PATIENCE);
    let ae = phone(&server.url(), agency.token("ae"));
    let id = ae.store.create(&note()).expect("create");
    ae.client.wait_until_saved(id, LONG).expect("saved");
    send(&server, &agency, id).await;
    // Recorded (the command answered), not delivered (no relay): kill -9.
    server.kill_9();
    ae.client.stop();

    let sink = Sink::start(port);
    let server =
        ServerProcess::spawn_authenticated(binary(), data.path(), &["--smtp-url", &smtp], PATIENCE);
    // The first failed attempt set a back-off (30 s at first); wait past it.
    let messages = received(&sink, 2, Duration::from_secs(120));
    assert_eq!(messages.len(), 2, "every recipient's message arrives");
    // And no more: give a duplicate time to show up.
    std::thread::sleep(Duration::from_secs(2));
    let messages = sink.received();
    let mut ids: Vec<String> = messages
        .iter()
        .filter_map(|m| m.message_id.clone())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(
        (messages.len(), ids.len()),
        (2, 2),
        "exactly one message per recipient, by Message-ID: {messages:?}"
    );
    drop(server);
}
