//! Hostile input: garbage, text frames, oversized frames, CBOR declaring huge lengths, messages
//! before `join`, unknown types, and a client that never reads. The offender is closed (with a
//! code saying why) or its message ignored; other clients keep syncing; memory stays bounded.

use std::path::Path;
use std::time::{Duration, Instant};

use automerge::ROOT;
use automerge::transaction::Transactable;
use enlace_core::ids::DocumentId;
use enlace_core::wire::Message;
use enlace_tests::PATIENCE;
use enlace_tests::client::Client;
use enlace_tests::process::ServerProcess;
use enlace_tests::raw;
use enlace_tests::server::http_get;
use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::Message as WsMessage;

fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_enlace-test-server"))
}

/// Two well-behaved clients syncing one document.
struct Healthy {
    writer: Client,
    reader: Client,
    doc: DocumentId,
}

impl Healthy {
    async fn start(url: &str) -> Healthy {
        let writer = Client::connect(url, "healthy-writer")
            .await
            .expect("connect");
        let reader = Client::connect(url, "healthy-reader")
            .await
            .expect("connect");
        let doc = writer
            .create(|tx| {
                tx.put(ROOT, "client", "Acme").expect("put");
            })
            .await;
        writer
            .wait_for("the first acknowledgement", PATIENCE, |v| v.in_sync(&doc))
            .await
            .expect("acknowledged");
        reader.subscribe(doc);
        let healthy = Healthy {
            writer,
            reader,
            doc,
        };
        healthy.converge().await;
        healthy
    }

    /// Waits until the reader has everything the writer has and the server acknowledged it.
    async fn converge(&self) {
        let doc = self.doc;
        let heads = self.writer.view().heads(&doc);
        self.writer
            .wait_for("the writer's acknowledgement", PATIENCE, |v| {
                v.in_sync(&doc)
            })
            .await
            .expect("writer acknowledged");
        self.reader
            .wait_for("the reader to catch up", PATIENCE, |v| {
                v.heads(&doc) == heads
            })
            .await
            .expect("reader converged");
    }

    /// One more edit, synced end to end.
    async fn still_syncing(&self, key: &str) {
        let key = key.to_owned();
        self.writer
            .change(self.doc, move |tx| {
                tx.put(ROOT, key, true).expect("put");
            })
            .await;
        self.converge().await;
    }
}

async fn metric(addr: std::net::SocketAddr, line_start: &str) -> u64 {
    let (status, body) = http_get(addr, "/metrics").await.expect("metrics");
    assert_eq!(status, 200);
    body.lines()
        .find_map(|l| l.strip_prefix(line_start)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no metric {line_start} in:\n{body}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_frames_close_only_the_offender() {
    let dir = tempfile::tempdir().expect("dir");
    let server = ServerProcess::spawn_with(
        binary(),
        dir.path(),
        &["--max-message-bytes", "65536"],
        PATIENCE,
    );
    let url = server.url();
    let healthy = Healthy::start(&url).await;

    // A map whose `data` byte string declares 2^64-1 bytes.
    let mut huge_length = vec![0xa2];
    huge_length.extend([0x64, b't', b'y', b'p', b'e', 0x64, b's', b'y', b'n', b'c']);
    huge_length.extend([0x64, b'd', b'a', b't', b'a', 0x5b]);
    huge_length.extend([0xff; 8]);
    // A map declaring 2^32 entries, then nothing.
    let huge_map = vec![0xba, 0xff, 0xff, 0xff, 0xff];
    // The expected close code. An oversized frame is refused before it is read to its end, and
    // closing a socket with unread bytes makes the kernel reset it, so the 1009 close frame may
    // be lost: the metric below shows the server detected it either way.
    let cases: Vec<(&str, WsMessage, u16)> = vec![
        (
            "garbage",
            WsMessage::Binary(vec![0xff, 0x00, 0x13, 0x37].into()),
            1007,
        ),
        (
            "text frame",
            WsMessage::Text("{\"type\":\"join\"}".into()),
            1003,
        ),
        (
            "huge declared data length",
            WsMessage::Binary(huge_length.into()),
            1007,
        ),
        (
            "huge declared map",
            WsMessage::Binary(huge_map.into()),
            1007,
        ),
        (
            "oversized frame",
            WsMessage::Binary(vec![0xa0; 100 * 1024].into()),
            1009,
        ),
    ];
    for (what, frame, expected) in cases {
        let mut socket = raw::connect(&url).await;
        raw::send_binary(&mut socket, raw::join_frame("hostile")).await;
        // Whatever the server does, sending may fail once it has closed: that is fine.
        let _ = socket.send(frame).await;
        let code = tokio::time::timeout(PATIENCE, raw::close_code(&mut socket))
            .await
            .unwrap_or_else(|_| panic!("{what}: the server did not close the socket"));
        if expected == 1009 {
            assert!(matches!(code, Some(1009) | None), "{what}: {code:?}");
        } else {
            assert_eq!(code, Some(expected), "{what}");
        }
        healthy.still_syncing(what).await;
    }
    assert!(metric(server.addr, "enlace_errors_total{kind=\"decode\"}").await >= 3);
    assert_eq!(
        metric(server.addr, "enlace_errors_total{kind=\"text_frame\"}").await,
        1
    );
    assert_eq!(
        metric(server.addr, "enlace_errors_total{kind=\"too_large\"}").await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_before_join_and_unknown_types_are_ignored() {
    let dir = tempfile::tempdir().expect("dir");
    let server = ServerProcess::spawn(binary(), dir.path(), PATIENCE);
    let url = server.url();
    let healthy = Healthy::start(&url).await;

    let mut socket = raw::connect(&url).await;
    // Before join: a request (for a document that exists) is ignored, not answered.
    raw::send_binary(&mut socket, raw::request_frame("early", healthy.doc)).await;
    raw::send_binary(&mut socket, raw::join_frame("early")).await;
    let first = tokio::time::timeout(PATIENCE, raw::next_message(&mut socket))
        .await
        .expect("an answer to join");
    assert!(matches!(first, Some(Message::Peer { .. })), "{first:?}");

    // An unknown message type is ignored; the connection keeps working.
    let mut unknown = vec![0xa2];
    unknown.extend([0x64, b't', b'y', b'p', b'e', 0x6a]);
    unknown.extend(b"from-2030!");
    unknown.extend([0x68]);
    unknown.extend(b"senderId");
    unknown.extend([0x65]);
    unknown.extend(b"early");
    raw::send_binary(&mut socket, unknown).await;
    let missing = DocumentId::new_random();
    raw::send_binary(&mut socket, raw::request_frame("early", missing)).await;
    let answer = tokio::time::timeout(PATIENCE, raw::next_message(&mut socket))
        .await
        .expect("an answer to the request");
    assert!(
        matches!(answer, Some(Message::DocUnavailable { document_id, .. }) if document_id == missing),
        "{answer:?}"
    );
    assert_eq!(
        metric(server.addr, "enlace_errors_total{kind=\"unknown_type\"}").await,
        1
    );
    healthy.still_syncing("after unknown types").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_reads_is_disconnected_while_others_keep_syncing() {
    let dir = tempfile::tempdir().expect("dir");
    let server = ServerProcess::spawn_with(
        binary(),
        dir.path(),
        &["--outbound-queue", "8", "--max-message-bytes", "1048576"],
        PATIENCE,
    );
    let url = server.url();
    let healthy = Healthy::start(&url).await;

    // The slow peer asks for the document, then never reads again.
    let mut slow = raw::connect_small_window(&url, server.addr).await;
    raw::send_binary(&mut slow, raw::join_frame("never-reads")).await;
    raw::send_binary(&mut slow, raw::request_frame("never-reads", healthy.doc)).await;

    // automerge's sync protocol sends a peer that never answers nothing past its first message,
    // so sync traffic alone cannot back the server up; presence relayed to every peer of the
    // document can. The writer keeps editing and broadcasting presence until the server gives up
    // on the slow peer; the healthy pair stays in step throughout.
    let presence = vec![0x42; 60 * 1024];
    let deadline = Instant::now() + PATIENCE * 2;
    let mut written = 0;
    while metric(server.addr, "enlace_errors_total{kind=\"slow_consumer\"}").await == 0 {
        assert!(
            Instant::now() < deadline,
            "the slow consumer was never disconnected"
        );
        written += 1;
        for _ in 0..8 {
            healthy.writer.broadcast(healthy.doc, presence.clone());
        }
        healthy.still_syncing(&format!("edit-{written}")).await;
    }
    // Others keep syncing promptly after the disconnect.
    let started = Instant::now();
    healthy.still_syncing("after the slow consumer").await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    let rss = server.rss_kib().expect("server RSS");
    assert!(
        rss < 512 * 1024,
        "server RSS {rss} KiB after {written} large changes"
    );
    let deadline = Instant::now() + PATIENCE;
    while metric(server.addr, "enlace_connections").await != 2 {
        assert!(
            Instant::now() < deadline,
            "the slow consumer's socket was not closed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(slow);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_stops_answering_pings_is_dropped() {
    let server = enlace_tests::server::TestServer::start_with(|config| {
        config.websocket.ping_interval = Duration::from_millis(100);
        config.websocket.idle_timeout = Duration::from_millis(400);
    })
    .await;
    let url = server.url();
    let healthy = Healthy::start(&url).await;
    // Joins, then never reads: its websocket library never sees the pings, so never answers.
    let mut silent = raw::connect(&url).await;
    raw::send_binary(&mut silent, raw::join_frame("silent")).await;
    let deadline = Instant::now() + PATIENCE;
    while metric(server.addr, "enlace_errors_total{kind=\"ping_timeout\"}").await == 0 {
        assert!(
            Instant::now() < deadline,
            "the silent peer was never dropped"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Well-behaved peers answer pings (their library does) and stay connected.
    healthy.still_syncing("after the silent peer").await;
    assert_eq!(healthy.writer.view().closed, None);
    assert_eq!(healthy.reader.view().closed, None);
    assert_eq!(
        metric(server.addr, "enlace_errors_total{kind=\"ping_timeout\"}").await,
        1
    );
    server.stop().await.expect("stop");
}
