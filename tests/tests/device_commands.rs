//! Server commands asked from the phone (`SyncClient::run_command`): the executive presses send
//! and the report is numbered and sent, a director reviews and reopens a storecheck from their
//! own phone, and each result reaches the other phones by sync. A caller who may not gets the
//! server's refusal with its kind; a phone whose edits are not on the server asks nothing.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant as StdInstant};

use enlace_core::DocumentId;
use enlace_core::client::{
    ClientConfig, ClientError, CommandError, CommandRefusal, RefusalKind, ServerCommand, SyncClient,
};
use enlace_core::model::meeting_note::{
    ContactReportStatus, MeetingKind, Recipient, RecipientReason,
};
use enlace_core::model::people::Party;
use enlace_core::model::storecheck::{StoreSnapshot, StorecheckStatus};
use enlace_core::model::{Document, Instant, MeetingNote, Storecheck};
use enlace_core::store::Store;
use enlace_tests::PATIENCE;
use enlace_tests::fixture::{self, Agency};
use enlace_tests::process::ServerProcess;

const LONG: Duration = Duration::from_secs(90);

fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_enlace-test-server"))
}

struct Phone {
    _dir: tempfile::TempDir,
    store: Arc<Store>,
    client: SyncClient,
}

fn phone_with(config: ClientConfig) -> Phone {
    let dir = tempfile::tempdir().expect("dir");
    let store = Arc::new(Store::open(dir.path().join("phone.sqlite")).expect("store"));
    let client = SyncClient::start(store.clone(), config).expect("client");
    Phone {
        _dir: dir,
        store,
        client,
    }
}

fn config(url: &str, token: &str) -> ClientConfig {
    let mut config = ClientConfig::new(url).with_token(token);
    config.backoff_initial = Duration::from_millis(50);
    config.backoff_max = Duration::from_millis(400);
    config
}

fn phone(server: &ServerProcess, agency: &Agency, user: &str) -> Phone {
    phone_with(config(&server.url(), agency.token(user)))
}

fn at() -> Instant {
    Instant::new(enlace_server::directory::now_ms(), "America/Santiago").expect("instant")
}

fn note(by: &str) -> MeetingNote {
    let mut note = MeetingNote::new(
        DocumentId::new_random(),
        by.parse().expect("id"),
        at(),
        MeetingKind::ClientMeeting,
        "Reunión de planificación",
    );
    note.account_id = Some("acme".parse().expect("id"));
    note.started_at = Some(at());
    note.body.splice(0, 0, "Lanzamiento en marzo.");
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

fn storecheck(by: &str) -> Storecheck {
    Storecheck::new(
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
        "2026-12",
    )
}

fn sees<D: Document>(phone: &Phone, id: DocumentId, what: &str, done: impl Fn(&D) -> bool) {
    let deadline = StdInstant::now() + LONG;
    while !phone.store.get::<D>(id).is_ok_and(|d| done(&d)) {
        assert!(StdInstant::now() < deadline, "the phone never saw {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn refusal(result: Result<enlace_core::client::CommandOutcome, ClientError>) -> CommandRefusal {
    match result {
        Err(ClientError::Command(CommandError::Refused(r))) => r,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn the_executive_sends_the_report_from_the_phone_and_every_phone_sees_it_sent() {
    let data = tempfile::tempdir().expect("data");
    let agency = fixture::seed(data.path());
    let server = ServerProcess::spawn_authenticated(binary(), data.path(), &[], PATIENCE);
    let ae = phone(&server, &agency, "ae");
    let mate = phone(&server, &agency, "mate");

    // Written and sent in one go: the command waits for the note to reach the server.
    let id = ae.store.create(&note("ae")).expect("create");
    let sent = ae
        .client
        .run_command(id, &ServerCommand::SendContactReport, LONG)
        .expect("sent");
    assert_eq!(sent.status, "sent");
    assert_eq!(sent.document, id.to_string());
    let number = sent.report_no.clone().expect("a number");
    assert!(
        number.starts_with("ACME-20") && number.ends_with("-0001"),
        "{number}"
    );
    mate.client.subscribe(id).expect("subscribe");
    for phone in [&ae, &mate] {
        sees::<MeetingNote>(phone, id, "the report sent", |n| {
            n.contact_report.status() == ContactReportStatus::Sent
                && n.contact_report.report_no.as_deref() == Some(number.as_str())
                && n.contact_report.sent_at.is_some()
        });
    }

    // Pressing send again: the server says it is sent already, and nothing changes.
    let again = refusal(
        ae.client
            .run_command(id, &ServerCommand::SendContactReport, LONG),
    );
    assert_eq!((again.kind, again.status), (RefusalKind::Conflict, 409));

    // A user without access to the account, and another organisation's: not found.
    for user in ["outsider", "foreigner"] {
        let other = phone(&server, &agency, user);
        let refused = refusal(other.client.run_command(
            id,
            &ServerCommand::SendContactReport,
            Duration::from_secs(5),
        ));
        assert_eq!(
            (refused.kind, refused.status),
            (RefusalKind::NotFound, 404),
            "{user}"
        );
    }
}

#[test]
fn a_director_reviews_and_reopens_from_their_phone_and_the_executive_sees_it() {
    let data = tempfile::tempdir().expect("data");
    let agency = fixture::seed(data.path());
    let server = ServerProcess::spawn_authenticated(binary(), data.path(), &[], PATIENCE);
    let jr = phone(&server, &agency, "jr");
    let dir = phone(&server, &agency, "dir");

    let id = jr.store.create(&storecheck("jr")).expect("create");
    jr.store
        .update::<Storecheck, _>(id, |s| {
            s.status.advance(StorecheckStatus::InProgress)?;
            s.status.advance(StorecheckStatus::Submitted)
        })
        .expect("submit");
    jr.client.wait_until_saved(id, LONG).expect("saved");

    // The junior cannot review their own work.
    let own = refusal(jr.client.run_command(
        id,
        &ServerCommand::ReviewStorecheck { comment: None },
        LONG,
    ));
    assert_eq!((own.kind, own.status), (RefusalKind::NotAllowed, 403));

    // The director's phone fetches the storecheck, then reviews it.
    dir.client.subscribe(id).expect("subscribe");
    sees::<Storecheck>(&dir, id, "the storecheck", |s| {
        s.status() == StorecheckStatus::Submitted
    });
    let reviewed = dir
        .client
        .run_command(
            id,
            &ServerCommand::ReviewStorecheck {
                comment: Some("Bien: faltan fotos del pasillo 4".into()),
            },
            LONG,
        )
        .expect("reviewed");
    assert_eq!(reviewed.status, "reviewed");
    sees::<Storecheck>(&jr, id, "the review", |s| {
        s.status() == StorecheckStatus::Reviewed
            && s.reviewed_by.as_ref().map(|r| r.as_str()) == Some("dir")
            && s.review_comment.as_str() == "Bien: faltan fotos del pasillo 4"
    });

    // A reopen needs a reason the executive can read.
    let bare = refusal(dir.client.run_command(
        id,
        &ServerCommand::ReopenStorecheck {
            reason: String::new(),
        },
        LONG,
    ));
    assert_eq!((bare.kind, bare.status), (RefusalKind::BadRequest, 400));
    let reopened = dir
        .client
        .run_command(
            id,
            &ServerCommand::ReopenStorecheck {
                reason: "Falta la góndola de lácteos".into(),
            },
            LONG,
        )
        .expect("reopened");
    assert_eq!(reopened.status, "in_progress");
    sees::<Storecheck>(&jr, id, "the reopen", |s| {
        s.status() == StorecheckStatus::InProgress
            && s.review_comment.as_str() == "Falta la góndola de lácteos"
    });
}

#[test]
fn offline_nothing_is_asked_and_the_phone_says_so() {
    let data = tempfile::tempdir().expect("data");
    let agency = fixture::seed(data.path());
    let server = ServerProcess::spawn_authenticated(binary(), data.path(), &[], PATIENCE);

    // No server at all: the note never reaches one, so the send is not asked.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let offline = phone_with(config(
        &format!("ws://127.0.0.1:{port}/v1/sync"),
        agency.token("ae"),
    ));
    let id = offline.store.create(&note("ae")).expect("create");
    let result = offline.client.run_command(
        id,
        &ServerCommand::SendContactReport,
        Duration::from_millis(500),
    );
    assert!(
        matches!(result, Err(ClientError::Command(CommandError::NotSaved))),
        "{result:?}"
    );

    // Synced, but the API unreachable (a wrong API URL): the HTTP error, and the report stays
    // unsent on the server.
    let mut split = config(&server.url(), agency.token("ae"));
    split.api_url = Some(format!("http://127.0.0.1:{port}"));
    let unreachable = phone_with(split);
    let id = unreachable.store.create(&note("ae")).expect("create");
    let result = unreachable
        .client
        .run_command(id, &ServerCommand::SendContactReport, LONG);
    assert!(
        matches!(result, Err(ClientError::Command(CommandError::Http(_)))),
        "{result:?}"
    );
    let ae = phone(&server, &agency, "ae");
    ae.client.subscribe(id).expect("subscribe");
    sees::<MeetingNote>(&ae, id, "the note", |_| true);
    let sent = ae
        .client
        .run_command(id, &ServerCommand::SendContactReport, LONG)
        .expect("sent once the API is reachable");
    assert_eq!(sent.status, "sent");
}
