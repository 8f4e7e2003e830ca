//! The outbox against a real SMTP server on loopback (`tests/smtp/sink.py`, aiosmtpd): what is
//! queued arrives once, whole and correctly encoded; a relay that is down at first gets each
//! e-mail exactly once when it comes up; queueing is idempotent and transactional; the server
//! starts the worker when a relay is configured.

use crate::testing::smtp as sink;

use crate::outbox::mail::InvalidMail;
use crate::outbox::queue::DeliveryState;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use enlace_core::ids::DocumentId;
use enlace_core::store::Store;
use rusqlite::Connection;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use self::sink::{PATIENCE, Received, Sink};
use super::*;

const SUBJECT: &str = "Reunión con Viña Sur";
const TEXT: &str = "Acuerdos de la reunión con Viña Sur:\n- Campaña de otoño: año 2026, ñandú.\n";
const HTML: &str =
    "<p>Acuerdos de la reunión con <b>Viña Sur</b>: campaña de otoño, año 2026, ñandú.</p>";

/// A documents database as the server has it: the store's tables, then the server's.
struct Database {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl Database {
    fn new() -> Database {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("enlace.sqlite3");
        prepare(&path);
        Database { _dir: dir, path }
    }

    fn conn(&self) -> Connection {
        Connection::open(&self.path).expect("open")
    }

    /// Queues `mails` in one committed transaction; returns what `enqueue` said of each.
    fn enqueue(&self, mails: &[OutgoingMail]) -> Vec<bool> {
        let mut conn = self.conn();
        let tx = conn.transaction().expect("tx");
        let queued = mails
            .iter()
            .map(|m| enqueue(&tx, m).expect("enqueue"))
            .collect();
        tx.commit().expect("commit");
        queued
    }

    fn rows(&self) -> i64 {
        self.conn()
            .query_row("SELECT count(*) FROM outbox", [], |r| r.get(0))
            .expect("count")
    }

    fn deliveries(&self, doc: DocumentId) -> Vec<Delivery> {
        deliveries_of(&self.conn(), doc).expect("deliveries")
    }
}

/// Creates the store's tables and the server's (the outbox among them) at `path`.
fn prepare(path: &Path) {
    drop(Store::open(path).expect("store"));
    crate::commands::schema::ensure(path).expect("server tables");
}

fn mailbox(name: &str, email: &str) -> Mailbox {
    Mailbox {
        name: name.into(),
        email: email.into(),
    }
}

/// The contact report of `doc` to the recipient `key`, at `email`.
fn report_mail(doc: DocumentId, key: &str, name: &str, email: &str) -> OutgoingMail {
    let from = mailbox("Enlace", "enlace@agencia.example");
    OutgoingMail {
        message_id: message_id(doc, "VINASUR-2026-0007", key, from.domain()),
        doc: Some(doc),
        from,
        to: mailbox(name, email),
        subject: SUBJECT.into(),
        text: TEXT.into(),
        html: HTML.into(),
        report_recipient: Some(key.to_owned()),
    }
}

/// A worker configuration for tests: quick polls and retries, to `url`.
fn config(url: &str) -> MailConfig {
    MailConfig {
        smtp: Some(url.parse().expect("smtp url")),
        from: mailbox("Enlace", "enlace@agencia.example"),
        poll_interval: Duration::from_millis(50),
        retry_initial: Duration::from_millis(100),
        retry_max: Duration::from_millis(400),
        batch: 8,
        smtp_timeout: Duration::from_secs(5),
    }
}

/// A started worker; stopped (and waited for) by [`Running::stop`].
struct Running {
    outbox: Outbox,
    stop: CancellationToken,
    tracker: TaskTracker,
}

async fn run_worker(db: &Database, config: &MailConfig) -> Running {
    let stop = CancellationToken::new();
    let tracker = TaskTracker::new();
    let outbox = start(config, &db.path, &tracker, stop.clone())
        .await
        .expect("start the worker");
    Running {
        outbox,
        stop,
        tracker,
    }
}

impl Running {
    async fn stop(self) {
        self.stop.cancel();
        self.tracker.close();
        tokio::time::timeout(PATIENCE, self.tracker.wait())
            .await
            .expect("the worker stops when told to");
    }
}

/// Waits until `done` holds of the deliveries of `doc`.
async fn wait_deliveries(db: &Database, doc: DocumentId, done: impl Fn(&[Delivery]) -> bool) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let deliveries = db.deliveries(doc);
        if done(&deliveries) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "deliveries never got there: {deliveries:#?}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Each message id with how often it arrived.
fn arrivals(received: &[Received]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for message in received {
        let id = message.message_id.clone().expect("a Message-ID");
        *counts.entry(id).or_insert(0) += 1;
    }
    counts
}

/// A body as it was written: mail travels with CRLF line ends, and Python's decoder may end a
/// part with a line end of its own.
fn as_sent(body: &str) -> String {
    body.replace("\r\n", "\n").trim_end().to_owned()
}

/// Lets the worker run several more polls, so that a duplicate would have time to arrive.
async fn settle() {
    tokio::time::sleep(Duration::from_millis(600)).await;
}

#[tokio::test]
async fn two_mails_arrive_once_each_whole_with_their_accents() {
    let sink = Sink::start(0);
    let db = Database::new();
    let doc = DocumentId::new_random();
    let mails = [
        report_mail(doc, "r1", "Marta Soto", "marta@vinasur.example"),
        report_mail(doc, "r2", "José Núñez", "jose@agencia.example"),
    ];
    assert_eq!(db.enqueue(&mails), [true, true]);
    let config = config(&sink.url());
    let worker = run_worker(&db, &config).await;
    assert_eq!(worker.outbox.from(), &config.from);
    worker.outbox.wake();
    sink.wait_for(2).await;
    settle().await;
    worker.stop().await;

    let received = sink.received();
    assert_eq!(received.len(), 2, "{received:#?}");
    let expected: BTreeMap<String, usize> =
        mails.iter().map(|m| (m.message_id.clone(), 1)).collect();
    assert_eq!(arrivals(&received), expected);
    for mail in &mails {
        let got = received
            .iter()
            .find(|r| r.message_id.as_deref() == Some(mail.message_id.as_str()))
            .expect("arrived");
        assert_eq!(got.rcpt_tos, std::slice::from_ref(&mail.to.email));
        assert_eq!(got.subject.as_deref(), Some(SUBJECT));
        assert_eq!(
            got.to.as_deref(),
            Some(format!("{} <{}>", mail.to.name, mail.to.email).as_str())
        );
        assert_eq!(got.from.as_deref(), Some("Enlace <enlace@agencia.example>"));
        assert!(got.date.is_some(), "a Date header");
        assert_eq!(got.content_type, "multipart/alternative");
        assert_eq!(
            got.text.as_deref().map(as_sent),
            Some(TEXT.trim_end().to_owned())
        );
        assert_eq!(got.html.as_deref().map(as_sent), Some(HTML.to_owned()));
        assert!(got.raw_ascii, "non-ASCII went out unencoded");
    }
    let deliveries = db.deliveries(doc);
    assert_eq!(deliveries.len(), 2);
    for delivery in &deliveries {
        assert_eq!(delivery.state, DeliveryState::Delivered, "{delivery:?}");
        assert_eq!(delivery.attempts, 1);
        assert!(delivery.delivered_ms.is_some());
        assert_eq!(delivery.next_attempt_ms, None);
        assert_eq!(delivery.last_error, None);
    }
    assert_eq!(deliveries[1].to, mails[1].to);
}

#[tokio::test]
async fn a_relay_down_at_first_gets_each_mail_exactly_once_when_it_comes_up() {
    // A port nothing listens on, until the sink takes it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let db = Database::new();
    let doc = DocumentId::new_random();
    let mails = [
        report_mail(doc, "r1", "Marta Soto", "marta@vinasur.example"),
        report_mail(doc, "r2", "José Núñez", "jose@agencia.example"),
    ];
    db.enqueue(&mails);
    let worker = run_worker(&db, &config(&format!("smtp://127.0.0.1:{port}"))).await;
    worker.outbox.wake();
    // Failed and retried, with the error recorded.
    wait_deliveries(&db, doc, |d| {
        d.iter()
            .any(|d| d.state == DeliveryState::Failing && d.attempts >= 2)
    })
    .await;
    let failing = db.deliveries(doc);
    assert!(
        failing
            .iter()
            .all(|d| d.delivered_ms.is_none() && d.state != DeliveryState::Delivered),
        "{failing:#?}"
    );
    let error = failing
        .iter()
        .find_map(|d| d.last_error.clone())
        .expect("an error recorded");
    assert!(error.contains("onnection"), "{error}");

    let sink = Sink::start(port);
    sink.wait_for(2).await;
    wait_deliveries(&db, doc, |d| {
        d.iter().all(|d| d.state == DeliveryState::Delivered)
    })
    .await;
    settle().await;
    worker.stop().await;

    let expected: BTreeMap<String, usize> =
        mails.iter().map(|m| (m.message_id.clone(), 1)).collect();
    assert_eq!(arrivals(&sink.received()), expected);
    let deliveries = db.deliveries(doc);
    assert!(
        deliveries.iter().any(|d| d.attempts >= 3),
        "{deliveries:#?}"
    );
    // The failure stays on record after the success.
    assert!(deliveries.iter().any(|d| d.last_error.is_some()));
}

#[tokio::test]
async fn a_refused_recipient_is_retried_without_holding_back_the_others() {
    let sink = Sink::start(0);
    let db = Database::new();
    let doc = DocumentId::new_random();
    let refused = report_mail(doc, "r1", "Nadie", "reject@vinasur.example");
    let good = report_mail(doc, "r2", "Marta Soto", "marta@vinasur.example");
    db.enqueue(&[refused.clone(), good.clone()]);
    let worker = run_worker(&db, &config(&sink.url())).await;
    sink.wait_for(1).await;
    wait_deliveries(&db, doc, |d| {
        d.iter()
            .any(|d| d.message_id == refused.message_id && d.attempts >= 2)
    })
    .await;
    worker.stop().await;

    let received = sink.received();
    assert_eq!(received.len(), 1, "{received:#?}");
    assert_eq!(received[0].message_id.as_ref(), Some(&good.message_id));
    let deliveries = db.deliveries(doc);
    let refused_row = deliveries
        .iter()
        .find(|d| d.message_id == refused.message_id)
        .expect("refused row");
    assert_eq!(refused_row.state, DeliveryState::Failing);
    let error = refused_row.last_error.as_deref().unwrap_or_default();
    assert!(error.contains("550"), "{error}");
    let next = refused_row.next_attempt_ms.expect("scheduled");
    assert!(next > refused_row.created_ms);
}

#[test]
fn enqueue_is_idempotent_by_message_id() {
    let db = Database::new();
    let doc = DocumentId::new_random();
    let mail = report_mail(doc, "r1", "Marta Soto", "marta@vinasur.example");
    let mut again = mail.clone();
    again.subject = "Otro asunto".into();
    assert_eq!(db.enqueue(&[mail.clone(), again]), [true, false]);
    assert_eq!(db.enqueue(std::slice::from_ref(&mail)), [false]);
    assert_eq!(db.rows(), 1);
    let deliveries = db.deliveries(doc);
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0].state, DeliveryState::Pending);
    assert_eq!(deliveries[0].attempts, 0);
    // The first one stands.
    let subject: String = db
        .conn()
        .query_row("SELECT subject FROM outbox", [], |r| r.get(0))
        .expect("subject");
    assert_eq!(subject, SUBJECT);
}

#[test]
fn a_rolled_back_transaction_queues_nothing() {
    let db = Database::new();
    let doc = DocumentId::new_random();
    let mut conn = db.conn();
    let tx = conn.transaction().expect("tx");
    let mail = report_mail(doc, "r1", "Marta Soto", "marta@vinasur.example");
    assert!(enqueue(&tx, &mail).expect("enqueue"));
    assert_eq!(deliveries_of(&tx, doc).expect("inside").len(), 1);
    tx.rollback().expect("rollback");
    assert_eq!(db.rows(), 0);
    assert!(db.deliveries(doc).is_empty());
    // ... so the same e-mail can still be queued later.
    assert_eq!(db.enqueue(&[mail]), [true]);
}

#[test]
fn an_unsendable_mail_is_refused_and_writes_nothing() {
    let db = Database::new();
    let doc = DocumentId::new_random();
    let mut mail = report_mail(doc, "r1", "Marta Soto", "marta@vinasur.example");
    mail.subject = "Reunión\r\nBcc: todos@example.com".into();
    let mut conn = db.conn();
    let tx = conn.transaction().expect("tx");
    assert!(matches!(
        enqueue(&tx, &mail),
        Err(EnqueueError::Invalid(InvalidMail::ControlCharacter(
            "subject"
        )))
    ));
    tx.commit().expect("commit");
    assert_eq!(db.rows(), 0);
}

#[tokio::test]
async fn the_server_starts_the_worker_when_a_relay_is_configured() {
    let sink = Sink::start(0);
    let db = Database::new();
    let data_dir = db.path.parent().expect("data directory");
    let mut server_config = crate::ServerConfig::new(data_dir, crate::AccessMode::InsecureOpen);
    assert_eq!(server_config.database_path(), db.path);
    let doc = DocumentId::new_random();
    let mail = report_mail(doc, "r1", "Marta Soto", "marta@vinasur.example");
    db.enqueue(std::slice::from_ref(&mail));
    server_config.mail = config(&sink.url());

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("listener");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(crate::run(listener, server_config, async move {
        let _ = stopped.await;
    }));
    let received = sink.wait_for(1).await;
    assert_eq!(received[0].message_id.as_ref(), Some(&mail.message_id));
    let _ = stop.send(());
    tokio::time::timeout(PATIENCE, server)
        .await
        .expect("the server stops")
        .expect("server task")
        .expect("server ran");
    assert_eq!(db.deliveries(doc)[0].state, DeliveryState::Delivered);
    assert_eq!(sink.received().len(), 1);
}
