//! The client's silence accepts a sent contact report after 48 working hours of the
//! organisation's calendar (set through the admin API), checked with a controlled clock: not
//! before the deadline, once after it, and never a report the client disputed.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant as StdInstant};

use enlace_core::DocumentId;
use enlace_core::client::{ClientConfig, SyncClient};
use enlace_core::model::meeting_note::{
    ContactReportStatus, MeetingKind, Recipient, RecipientReason,
};
use enlace_core::model::people::Party;
use enlace_core::model::{Instant, MeetingNote};
use enlace_core::store::Store;
use enlace_tests::fixture;
use enlace_tests::http::call;
use enlace_tests::server::TestServer;
use serde_json::json;

const LONG: Duration = Duration::from_secs(60);

/// The server's clock for the silence check: real time plus this offset.
static OFFSET_MS: AtomicI64 = AtomicI64::new(0);

fn test_clock() -> i64 {
    enlace_server::directory::now_ms() + OFFSET_MS.load(Ordering::SeqCst)
}

/// The overdue test's own clock (tests in this file run at the same time).
static OVERDUE_OFFSET_MS: AtomicI64 = AtomicI64::new(0);

fn overdue_clock() -> i64 {
    enlace_server::directory::now_ms() + OVERDUE_OFFSET_MS.load(Ordering::SeqCst)
}

const DAY_MS: i64 = 24 * 3_600_000;

fn note(title: &str) -> MeetingNote {
    let at = Instant::new(enlace_server::directory::now_ms(), "Europe/Madrid").expect("instant");
    let mut note = MeetingNote::new(
        DocumentId::new_random(),
        "ae".parse().expect("id"),
        at.clone(),
        MeetingKind::ClientMeeting,
        title,
    );
    note.account_id = Some("acme".parse().expect("id"));
    note.started_at = Some(at);
    note.contact_report.distribution = BTreeMap::from([(
        "r1".to_owned(),
        Recipient {
            name: "Lucía Pérez".into(),
            email: "lucia@acme.example".into(),
            party: Party::Client,
            reason: RecipientReason::Attendee,
            deleted: false,
        },
    )]);
    note
}

fn status(store: &Store, id: DocumentId) -> Option<ContactReportStatus> {
    store
        .get::<MeetingNote>(id)
        .ok()
        .map(|n| n.contact_report.status())
}

/// Waits until `id` on the phone has `want`; the status it ended with otherwise.
fn settles_at(store: &Store, id: DocumentId, want: ContactReportStatus, within: Duration) -> bool {
    let deadline = StdInstant::now() + within;
    while StdInstant::now() < deadline {
        if status(store, id) == Some(want) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silence_accepts_a_sent_report_after_48_working_hours_and_not_before() {
    let data = tempfile::tempdir().expect("data");
    let agency = fixture::seed(data.path());
    let server = TestServer::start_authenticated(data.path(), |config| {
        config.contact_reports.clock = test_clock;
        config.contact_reports.check_every = Duration::from_millis(50);
    })
    .await;

    // The organisation works Monday to Friday in Madrid; no holidays in the way.
    let admin = agency.token("admin");
    let set = call(
        server.addr,
        "PUT",
        "/v1/admin/calendar",
        admin,
        Some(json!({
            "zone": "Europe/Madrid",
            "working_days": ["monday", "tuesday", "wednesday", "thursday", "friday"],
            "holidays": []
        })),
    )
    .await;
    assert_eq!(set.status, 204, "{}", set.body);
    let got = call(server.addr, "GET", "/v1/admin/calendar", admin, None).await;
    assert_eq!(got.json()["zone"], "Europe/Madrid");
    let refused = call(
        server.addr,
        "GET",
        "/v1/admin/calendar",
        agency.token("ae"),
        None,
    )
    .await;
    assert_eq!(refused.status, 403, "only admins");
    let bad = call(
        server.addr,
        "PUT",
        "/v1/admin/calendar",
        admin,
        Some(json!({"zone": "Mars/Olympus", "working_days": ["monday"], "holidays": []})),
    )
    .await;
    assert_eq!(bad.status, 400, "{}", bad.body);

    let dir = tempfile::tempdir().expect("phone");
    let store = Arc::new(Store::open(dir.path().join("phone.sqlite")).expect("store"));
    let mut config = ClientConfig::new(server.ws_url()).with_token(agency.token("ae"));
    config.backoff_initial = Duration::from_millis(50);
    let client = SyncClient::start(store.clone(), config).expect("client");
    let silent = store.create(&note("Reunión mensual")).expect("create");
    let disputed = store.create(&note("Revisión de campaña")).expect("create");
    for id in [silent, disputed] {
        client.wait_until_saved(id, LONG).expect("saved");
        let sent = call(
            server.addr,
            "POST",
            &format!("/v1/documents/{id}/commands/send-contact-report"),
            agency.token("ae"),
            None,
        )
        .await;
        assert_eq!(sent.status, 200, "{}", sent.body);
        assert!(settles_at(&store, id, ContactReportStatus::Sent, LONG));
    }
    // The client disputes one through its link.
    let report_no = store
        .get::<MeetingNote>(disputed)
        .expect("note")
        .contact_report
        .report_no
        .expect("number");
    let directory = enlace_server::directory::Directory::open_in(data.path()).expect("directory");
    let token = enlace_server::answers::links::AnswerKey::derive(
        directory.snapshot().expect("snapshot").ticket_key(),
    )
    .sign(&enlace_server::answers::links::AnswerClaim {
        doc: disputed,
        report_no,
        recipient: "r1".into(),
        expires_ms: i64::MAX / 2,
    })
    .expect("token");
    let answered = enlace_tests::http::post_form(
        server.addr,
        &format!("/v1/answers/{token}"),
        "action=dispute&comment=No+fue+as%C3%AD",
    )
    .await
    .expect("answer");
    assert_eq!(answered.status, 200, "{}", answered.body);
    assert!(settles_at(
        &store,
        disputed,
        ContactReportStatus::Disputed,
        LONG
    ));

    // One working hour later: still waiting for the client (many checks run meanwhile).
    OFFSET_MS.store(3_600_000, Ordering::SeqCst);
    assert!(
        !settles_at(
            &store,
            silent,
            ContactReportStatus::Accepted,
            Duration::from_secs(2)
        ),
        "accepted before the deadline"
    );
    // Ten calendar days later, past any 48 working hours: accepted by silence.
    OFFSET_MS.store(10 * 24 * 3_600_000, Ordering::SeqCst);
    assert!(
        settles_at(&store, silent, ContactReportStatus::Accepted, LONG),
        "never accepted: {:?}",
        status(&store, silent)
    );
    let note: MeetingNote = store.get(silent).expect("note");
    assert!(note.contact_report.answered_at.is_some());
    assert!(note.contact_report.client_comment.is_none());
    // The disputed one stays disputed.
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        status(&store, disputed),
        Some(ContactReportStatus::Disputed)
    );
    client.stop();
    server.stop().await.expect("stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_calendar_set_with_enlace_server_admin_is_the_one_the_api_shows() {
    use enlace_tests::process::{admin, admin_output};
    let binary = std::path::Path::new(env!("CARGO_BIN_EXE_enlace-test-server"));
    let data = tempfile::tempdir().expect("data");
    let agency = fixture::seed(data.path());
    // Before the server ever ran there is no documents database: a clear refusal.
    let early = admin_output(binary, data.path(), &["calendar", "--org", "andes"]);
    assert!(!early.status.success());
    assert!(String::from_utf8_lossy(&early.stderr).contains("does not exist"));

    let server = TestServer::start_authenticated(data.path(), |_| {}).await;
    let file = data.path().join("calendar.json");
    std::fs::write(
        &file,
        r#"{"zone": "America/Santiago", "working_days": ["monday", "tuesday", "wednesday", "thursday", "friday"], "holidays": ["2026-09-18", "2026-09-19"]}"#,
    )
    .expect("file");
    let file = file.to_str().expect("utf-8 path");
    let set = admin(
        binary,
        data.path(),
        &["set-calendar", "--org", "andes", "--file", file],
    );
    assert_eq!(set["zone"], "America/Santiago", "{set}");
    let shown = call(
        server.addr,
        "GET",
        "/v1/admin/calendar",
        agency.token("admin"),
        None,
    )
    .await;
    assert_eq!(shown.json()["zone"], "America/Santiago");
    assert_eq!(
        shown.json()["holidays"],
        json!(["2026-09-18", "2026-09-19"])
    );
    // Another organisation's calendar is untouched.
    let other = admin(binary, data.path(), &["calendar", "--org", "pampa"]);
    assert_eq!(other["zone"], "UTC", "{other}");
    // A bad calendar changes nothing and says why.
    let bad = data.path().join("bad.json");
    std::fs::write(
        &bad,
        r#"{"zone": "Mars/Olympus", "working_days": ["monday"], "holidays": []}"#,
    )
    .expect("file");
    let refused = admin_output(
        binary,
        data.path(),
        &[
            "set-calendar",
            "--org",
            "andes",
            "--file",
            bad.to_str().expect("path"),
        ],
    );
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("calendar"));
    let still = admin(binary, data.path(), &["calendar", "--org", "andes"]);
    assert_eq!(still["zone"], "America/Santiago");
    server.stop().await.expect("stop");
}

/// The report's `overdue_since` on the phone, once it is set (or `None` after `within`).
fn overdue_since(store: &Store, id: DocumentId, within: Duration) -> Option<i64> {
    let deadline = StdInstant::now() + within;
    loop {
        let since = store
            .get::<MeetingNote>(id)
            .ok()
            .and_then(|n| n.contact_report.overdue_since)
            .map(|at| at.utc_ms);
        if since.is_some() || StdInstant::now() >= deadline {
            return since;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_not_sent_within_24_working_hours_of_the_meeting_is_flagged_overdue() {
    let data = tempfile::tempdir().expect("data");
    let agency = fixture::seed(data.path());
    let server = TestServer::start_authenticated(data.path(), |config| {
        config.contact_reports.clock = overdue_clock;
        config.contact_reports.check_every = Duration::from_millis(50);
    })
    .await;
    let dir = tempfile::tempdir().expect("phone");
    let store = Arc::new(Store::open(dir.path().join("phone.sqlite")).expect("store"));
    let mut config = ClientConfig::new(server.ws_url()).with_token(agency.token("ae"));
    config.backoff_initial = Duration::from_millis(50);
    let client = SyncClient::start(store.clone(), config).expect("client");
    let now = enlace_server::directory::now_ms();
    let met = |title: &str, days_ago: i64, kind: MeetingKind| {
        let mut n = note(title);
        n.meeting_kind = kind;
        n.started_at = Some(Instant::new(now - days_ago * DAY_MS, "Europe/Madrid").expect("at"));
        store.create(&n).expect("create")
    };
    // Met ten days ago and never sent: flagged by the server's check.
    let forgotten = met("Reunión olvidada", 10, MeetingKind::ClientMeeting);
    // An internal meeting has no client to report to: never flagged.
    let internal = met("Estado interno", 10, MeetingKind::InternalStatus);
    // Met ten days ago and sent now: sent, and flagged as late in the same change.
    let late = met("Reunión tardía", 10, MeetingKind::ClientMeeting);
    // Met today and sent today: on time, never flagged.
    let on_time = met("Reunión de hoy", 0, MeetingKind::ClientMeeting);
    // Met today, not sent yet: flagged only once the clock passes its deadline.
    let pending = met("Reunión pendiente", 0, MeetingKind::ClientMeeting);
    for id in [forgotten, internal, late, on_time, pending] {
        client.wait_until_saved(id, LONG).expect("saved");
    }
    for id in [late, on_time] {
        let sent = call(
            server.addr,
            "POST",
            &format!("/v1/documents/{id}/commands/send-contact-report"),
            agency.token("ae"),
            None,
        )
        .await;
        assert_eq!(sent.status, 200, "{}", sent.body);
        assert!(settles_at(&store, id, ContactReportStatus::Sent, LONG));
    }

    let flagged = overdue_since(&store, forgotten, LONG).expect("the forgotten report is flagged");
    let met_ms = now - 10 * DAY_MS;
    assert!(
        flagged > met_ms + DAY_MS && flagged < met_ms + 6 * DAY_MS,
        "the deadline it missed is 24 working hours after the meeting: {flagged} vs {met_ms}"
    );
    assert!(
        overdue_since(&store, late, LONG).is_some(),
        "a late send is flagged"
    );
    // Many checks run meanwhile; nothing else is flagged.
    for id in [internal, on_time, pending] {
        assert_eq!(
            overdue_since(&store, id, Duration::from_secs(1)),
            None,
            "flagged too early or wrongly"
        );
    }
    // Ten days later the unsent one is overdue; the one sent on time and the internal one
    // still are not.
    OVERDUE_OFFSET_MS.store(10 * DAY_MS, Ordering::SeqCst);
    if overdue_since(&store, pending, LONG).is_none() {
        // Say whether the server never flagged it or the phone never heard.
        let on_server = call(
            server.addr,
            "GET",
            &format!("/v1/documents/{pending}"),
            agency.token("ae"),
            None,
        )
        .await;
        panic!(
            "never flagged on the phone; the server's copy: {} {}",
            on_server.status, on_server.body
        );
    }
    for id in [internal, on_time] {
        assert_eq!(overdue_since(&store, id, Duration::from_secs(1)), None);
    }
    // A phone writing the flag away is put back by the server.
    store
        .update::<MeetingNote, _>(pending, |n| {
            n.contact_report.overdue_since = None;
            Ok(())
        })
        .expect("edit");
    assert!(
        overdue_since(&store, pending, Duration::ZERO).is_none(),
        "removed on the phone"
    );
    assert!(
        overdue_since(&store, pending, LONG).is_some(),
        "the server restores its flag"
    );
    client.stop();
    server.stop().await.expect("stop");
}
