//! Exhaustion: thousands of unauthenticated upgrade attempts, slow upgrades (slowloris), and a
//! flooding client are each bounded, and two healthy phones keep syncing within a generous
//! multiple of their latency before the attack (see [`enlace_tests::latency`]). A catch-up burst
//! of thousands of frames still goes through the default flood limit untouched.
//!
//! The client that never reads is covered by `hostile_input.rs`
//! (`a_client_that_never_reads_is_disconnected_while_others_keep_syncing`).
//!
//! The credential-less attacker connects from its own loopback address (127.0.0.2), so the
//! per-address failure limiter that blocks it does not block the healthy phones on 127.0.0.1, as
//! it would not block other phones in the field. Attackers run on a thread of their own.

use std::collections::BTreeMap;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use enlace_core::ids::DocumentId;
use enlace_core::wire::{Message, encode};
use enlace_server::CLOSE_RATE_LIMITED;
use enlace_tests::PATIENCE;
use enlace_tests::client::Client;
use enlace_tests::fixture::{self, Agency};
use enlace_tests::latency::{Figures, Probe};
use enlace_tests::process::ServerProcess;
use enlace_tests::raw;
use enlace_tests::server::{TestServer, http_get};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::{oneshot, watch};
use tokio_tungstenite::tungstenite::Message as WsMessage;

/// Held by each test for its whole length: an attack in one test would otherwise land in another
/// test's baseline or probe (the test harness runs a file's tests in parallel).
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Edits timed per probe run.
const PROBE_EDITS: usize = 100;

fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_enlace-test-server"))
}

/// The healthy phones' latency under attack must stay within the baseline's bound.
fn assert_within(attack: &str, baseline: &Figures, during: &Figures) {
    println!("{attack}: baseline {baseline}; during the attack {during}");
    assert!(
        during.p99() <= baseline.bound(),
        "{attack}: healthy p99 {:?} exceeds the bound {:?} (baseline {baseline}, during {during})",
        during.p99(),
        baseline.bound()
    );
}

async fn metric(addr: SocketAddr, line_start: &str) -> u64 {
    let (status, body) = http_get(addr, "/metrics").await.expect("metrics");
    assert_eq!(status, 200, "{body}");
    body.lines()
        .find_map(|l| l.strip_prefix(line_start)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no metric {line_start} in:\n{body}"))
}

/// Waits until `metric` is at most `most`.
async fn metric_falls_to(addr: SocketAddr, name: &str, most: u64) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let now = metric(addr, name).await;
        if now <= most {
            return;
        }
        assert!(Instant::now() < deadline, "{name} stayed at {now} > {most}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Open file descriptors of a process (Linux `/proc`).
fn fd_count(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("the server's /proc fd directory")
        .count()
}

/// Resident memory of this test process in KiB (the in-process server's and its attackers').
fn own_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .expect("VmRSS")
}

/// A TCP connection to `to` from the loopback address `from`.
async fn connect_from(from: Ipv4Addr, to: SocketAddr) -> io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(IpAddr::V4(from), 0))?;
    socket.connect(to).await
}

/// The status code of a raw HTTP response (0 if it is not one).
fn status_of(response: &[u8]) -> u16 {
    std::str::from_utf8(response)
        .ok()
        .and_then(|text| text.strip_prefix("HTTP/1.1 "))
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
        .unwrap_or(0)
}

/// Starts `attack` on a runtime of its own (one thread: the attacker shares the machine with the
/// server as a real one would, but never queues the healthy phones' tasks behind its own), and
/// waits until it reports `warm` units of work done, so the probe measures an attack in full
/// swing; the attack runs until `stop` is set. Await the receiver for its result.
async fn launch<F>(
    warm: u64,
    attack: impl FnOnce(Arc<AtomicBool>, watch::Sender<u64>) -> F,
) -> (Arc<AtomicBool>, oneshot::Receiver<F::Output>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let stop = Arc::new(AtomicBool::new(false));
    let (progress, mut watched) = watch::channel(0);
    let (done, result) = oneshot::channel();
    let attack = attack(stop.clone(), progress);
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("the attacker's runtime");
        let _ = done.send(runtime.block_on(attack));
    });
    tokio::time::timeout(PATIENCE, watched.wait_for(|done| *done >= warm))
        .await
        .expect("the attack got going")
        .expect("the attack is running");
    (stop, result)
}

// ----- a. thousands of unauthenticated upgrade attempts ---------------------------------------

/// Where the credential-less attacker connects from.
const STORM_FROM: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);
/// Upgrade attempts at least.
const STORM_ATTEMPTS: u64 = 3_000;
/// Attempts in flight at once.
const STORM_CONCURRENCY: u64 = 64;

/// One upgrade attempt without a valid credential: none at all, a made-up bearer token or a
/// made-up ticket. Returns the HTTP status of the answer.
async fn bad_upgrade(addr: SocketAddr, attempt: u64) -> io::Result<u16> {
    let mut stream = connect_from(STORM_FROM, addr).await?;
    let (path, header) = match attempt % 3 {
        0 => ("/v1/sync".to_owned(), String::new()),
        1 => (
            "/v1/sync".to_owned(),
            format!("Authorization: Bearer made-up-token-{attempt}\r\n"),
        ),
        _ => (format!("/v1/sync?ticket=made-up-{attempt}"), String::new()),
    };
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{header}\r\n"
    );
    stream.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    // The server closes every refused upgrade after answering (`Connection: close`).
    tokio::time::timeout(PATIENCE, stream.read_to_end(&mut response))
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no answer to an upgrade"))??;
    Ok(status_of(&response))
}

/// Keeps `STORM_CONCURRENCY` bad upgrades in flight until at least `STORM_ATTEMPTS` were made
/// and `stop` is set; returns how many got each status.
async fn upgrade_storm(
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    progress: watch::Sender<u64>,
) -> BTreeMap<u16, u64> {
    let next = Arc::new(AtomicU64::new(0));
    let progress = Arc::new(progress);
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..STORM_CONCURRENCY {
        let (next, stop, progress) = (next.clone(), stop.clone(), progress.clone());
        workers.spawn(async move {
            let mut statuses = BTreeMap::<u16, u64>::new();
            loop {
                let attempt = next.fetch_add(1, Relaxed);
                if attempt >= STORM_ATTEMPTS && stop.load(Relaxed) {
                    return statuses;
                }
                let status = bad_upgrade(addr, attempt)
                    .await
                    .unwrap_or_else(|e| panic!("upgrade attempt {attempt} failed: {e}"));
                *statuses.entry(status).or_default() += 1;
                progress.send_modify(|done| *done += 1);
            }
        });
    }
    add_up(workers, "storm worker").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_unauthenticated_upgrades_are_refused_and_cost_nothing_lasting() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let data = tempfile::tempdir().expect("data");
    let agency = fixture::seed(data.path());
    let mut server = ServerProcess::spawn_authenticated(binary(), data.path(), &[], PATIENCE);
    let (url, addr) = (server.url(), server.addr);
    let pid = server.child().id();
    let mut probe = Probe::start(&url, agency.token("mate"), agency.token("jr")).await;
    let baseline = probe.measure(PROBE_EDITS).await;
    let fds_before = fd_count(pid);
    let rss_before = server.rss_kib().expect("server RSS");

    let started = Instant::now();
    let (stop, storm) = launch(STORM_CONCURRENCY * 4, |stop, progress| {
        upgrade_storm(addr, stop, progress)
    })
    .await;
    let fds_during = fd_count(pid);
    let during = probe.measure(PROBE_EDITS).await;
    stop.store(true, Relaxed);
    let statuses = storm.await.expect("the storm ran to its end");
    let took = started.elapsed();
    let rss_after = server.rss_kib().expect("server RSS");

    let total: u64 = statuses.values().sum();
    println!(
        "upgrade storm: {total} attempts in {took:.1?}, statuses {statuses:?}; server fds \
         {fds_before} before, {fds_during} during; RSS {rss_before} KiB before, {rss_after} KiB \
         after"
    );
    assert!(total >= STORM_ATTEMPTS, "{total} attempts");
    assert!(
        statuses.keys().all(|s| matches!(s, 401 | 429)),
        "an upgrade without a valid credential got something other than 401 or 429: {statuses:?}"
    );
    // The address is blocked after a few failures: the rest are refused without a lookup.
    assert!(
        statuses.get(&429).copied().unwrap_or(0) > total / 2,
        "{statuses:?}"
    );
    assert_within("unauthenticated upgrade storm", &baseline, &during);
    assert!(
        rss_after < rss_before + 64 * 1024,
        "server RSS grew from {rss_before} KiB to {rss_after} KiB"
    );
    // Every refused connection is closed: the server's descriptors return to where they were.
    let deadline = Instant::now() + PATIENCE;
    while fd_count(pid) > fds_before + 4 {
        assert!(
            Instant::now() < deadline,
            "the server still holds {} fds (baseline {fds_before})",
            fd_count(pid)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        metric(addr, "enlace_errors_total{kind=\"unauthorized\"}").await >= total,
        "every refusal is counted"
    );
    // Only the attacker's address is blocked: a phone elsewhere still connects.
    let late = Client::connect_with_bearer(&url, "late-phone", agency.token("ae"))
        .await
        .expect("a healthy phone connects after the storm");
    late.close().await;
    server.kill_9();
}

// ----- b. slow upgrades (slowloris) -----------------------------------------------------------

/// Slow connections kept open at once (more than the server's limit below).
const SLOW_CONNECTIONS: u64 = 500;
/// The server's connection limit in this test.
const SLOW_MAX_CONNECTIONS: usize = 300;

/// How one slow connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Ended {
    /// Answered with this status, then closed.
    Status(u16),
    /// Closed (or reset) without an answer.
    Closed,
    /// The connection could not even be opened (the listen backlog was full).
    NotOpened,
}

/// One slow connection: sends nothing (`silent`), or a request head one byte every 100 ms that
/// never ends; returns how the server ended it. Panics if the server keeps it open past
/// `give_up`.
async fn slow_connection(addr: SocketAddr, silent: bool, give_up: Duration) -> Ended {
    let Ok(stream) = TcpStream::connect(addr).await else {
        return Ended::NotOpened;
    };
    let (mut read, mut write) = stream.into_split();
    let drip = async move {
        if silent {
            return std::future::pending().await;
        }
        let head = format!("GET /v1/sync HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\n");
        for byte in head.bytes().cycle() {
            if write.write_all(&[byte]).await.is_err() {
                return std::future::pending().await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    let answer = async {
        let mut response = Vec::new();
        let _ = read.read_to_end(&mut response).await;
        response
    };
    let response = tokio::select! {
        () = drip => unreachable!("the drip never ends"),
        response = tokio::time::timeout(give_up, answer) => {
            response.unwrap_or_else(|_| {
                panic!("the server kept a slow connection (silent: {silent}) open for {give_up:?}")
            })
        }
    };
    match status_of(&response) {
        0 => Ended::Closed,
        status => Ended::Status(status),
    }
}

/// Keeps `SLOW_CONNECTIONS` slow connections open, opening a new one whenever the server ends
/// one, until `stop`; returns how they ended.
async fn slowloris(
    addr: SocketAddr,
    give_up: Duration,
    stop: Arc<AtomicBool>,
    progress: watch::Sender<u64>,
) -> BTreeMap<Ended, u64> {
    let progress = Arc::new(progress);
    let mut workers = tokio::task::JoinSet::new();
    for worker in 0..SLOW_CONNECTIONS {
        let (stop, progress) = (stop.clone(), progress.clone());
        workers.spawn(async move {
            let mut ended = BTreeMap::<Ended, u64>::new();
            while !stop.load(Relaxed) {
                let how = slow_connection(addr, worker % 2 == 0, give_up).await;
                *ended.entry(how).or_default() += 1;
                progress.send_modify(|done| *done += 1);
                if how == Ended::NotOpened {
                    // A full backlog: try again a little later, as the kernel would have us.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
            ended
        });
    }
    add_up(workers, "slow worker").await
}

/// The workers' counts, added up by key, once every worker is done.
async fn add_up<K: Ord + Send + 'static>(
    mut workers: tokio::task::JoinSet<BTreeMap<K, u64>>,
    what: &str,
) -> BTreeMap<K, u64> {
    let mut total = BTreeMap::new();
    while let Some(worker) = workers.join_next().await {
        for (key, n) in worker.unwrap_or_else(|e| panic!("{what}: {e}")) {
            *total.entry(key).or_default() += n;
        }
    }
    total
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_upgrades_are_cut_at_the_request_deadline_and_capped_in_number() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let data = tempfile::tempdir().expect("data");
    let agency = fixture::seed(data.path());
    let request_timeout = Duration::from_secs(1);
    let server = TestServer::start_authenticated(data.path(), |config| {
        config.connections.max_connections = SLOW_MAX_CONNECTIONS;
        config.connections.request_timeout = request_timeout;
    })
    .await;
    let (url, addr) = (server.url(), server.addr);
    let mut probe = Probe::start(&url, agency.token("mate"), agency.token("jr")).await;
    let baseline = probe.measure(PROBE_EDITS).await;

    let started = Instant::now();
    // Warm once the first wave has been answered: every slot taken, some slow ones timed out.
    let (stop, attack) = launch(SLOW_CONNECTIONS, |stop, progress| {
        slowloris(addr, request_timeout + PATIENCE, stop, progress)
    })
    .await;
    let during = probe.measure(PROBE_EDITS).await;
    stop.store(true, Relaxed);
    let ended = attack.await.expect("the slowloris attack ran to its end");
    let took = started.elapsed();
    let count = |how| ended.get(&how).copied().unwrap_or(0);

    println!("slowloris: {ended:?} in {took:.1?}");
    // Every slow connection was ended by the server (`slow_connection` panics otherwise): past
    // the limit at once with 503, within it at the deadline with 408.
    assert!(count(Ended::Status(408)) > 0, "none timed out: {ended:?}");
    assert!(
        count(Ended::Status(503)) > 0,
        "the limit never applied: {ended:?}"
    );
    assert!(
        ended.keys().all(|how| matches!(
            how,
            Ended::Status(408 | 503) | Ended::Closed | Ended::NotOpened
        )),
        "{ended:?}"
    );
    assert_within("slowloris", &baseline, &during);
    // The server holds nothing of the attack: the probe's two sockets and this metrics request.
    metric_falls_to(addr, "enlace_tcp_connections", 3).await;
    assert!(
        metric(addr, "enlace_errors_total{kind=\"request_timeout\"}").await
            >= count(Ended::Status(408))
    );
    assert!(
        metric(addr, "enlace_errors_total{kind=\"connection_limit\"}").await
            >= count(Ended::Status(503))
    );
    // And serves new phones as before.
    let late = Client::connect_with_bearer(&url, "late-phone", agency.token("ae"))
        .await
        .expect("a healthy phone connects after the attack");
    late.close().await;
    server.stop().await.expect("stop");
}

// ----- d. a client flooding messages ----------------------------------------------------------

/// The flood budget in this test: small, so that the flood hits it at once and is closed soon.
const FLOOD_PER_SECOND: u32 = 500;
const FLOOD_BURST: u32 = 1_000;
const FLOOD_CLOSE_AFTER: Duration = Duration::from_secs(2);

/// Frames a flood cycles through: presence and sync requests for documents nobody has.
fn flood_frames(name: &str) -> Vec<Vec<u8>> {
    let sender: enlace_core::ids::PeerId = name.parse().expect("peer id");
    (0..64)
        .map(|i| {
            let doc = DocumentId::new_random();
            if i % 2 == 0 {
                encode(&Message::Ephemeral {
                    sender_id: sender.clone(),
                    target_id: "server".parse().expect("peer id"),
                    document_id: doc,
                    data: vec![0x42; 64],
                    count: i,
                    session_id: "flood".into(),
                })
            } else {
                raw::request_frame(name, doc)
            }
        })
        .collect()
}

/// One flooding socket of `token`'s user: joins, then sends as fast as it can (reading and
/// dropping whatever comes back, so it is not closed as a slow consumer) until the server closes
/// it. Returns the close code.
async fn flood_once(url: &str, token: &str, sent: &AtomicU64) -> Option<u16> {
    let mut socket = raw::connect_bearer(url, token).await;
    raw::send_binary(&mut socket, raw::join_frame("flooder")).await;
    let (mut sink, mut stream) = socket.split();
    let frames = flood_frames("flooder");
    let flood = async {
        for frame in frames.iter().cycle() {
            if sink
                .send(WsMessage::Binary(frame.clone().into()))
                .await
                .is_err()
            {
                break;
            }
            sent.fetch_add(1, Relaxed);
        }
        std::future::pending::<()>().await;
    };
    let closed = async {
        while let Some(frame) = stream.next().await {
            match frame {
                Ok(WsMessage::Close(frame)) => return frame.map(|f| u16::from(f.code)),
                Ok(_) => {}
                Err(_) => return None,
            }
        }
        None
    };
    tokio::select! {
        () = flood => unreachable!("the flood never ends by itself"),
        code = tokio::time::timeout(PATIENCE, closed) => {
            code.unwrap_or_else(|_| panic!("a flooding socket was never closed"))
        }
    }
}

/// Floods, reconnecting whenever closed, until `stop`; returns the close codes.
async fn flooder(
    url: String,
    token: String,
    stop: Arc<AtomicBool>,
    progress: watch::Sender<u64>,
) -> Vec<Option<u16>> {
    let sent = Arc::new(AtomicU64::new(0));
    let report = {
        let sent = sent.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(20));
            while !progress.is_closed() {
                tick.tick().await;
                progress.send_replace(sent.load(Relaxed));
            }
        })
    };
    let mut codes = Vec::new();
    while !stop.load(Relaxed) {
        codes.push(flood_once(&url, &token, &sent).await);
    }
    report.abort();
    codes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooding_client_is_paced_then_closed_while_others_keep_syncing() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let data = tempfile::tempdir().expect("data");
    let agency = fixture::seed(data.path());
    let server = TestServer::start_authenticated(data.path(), |config| {
        config.websocket.messages_per_second = FLOOD_PER_SECOND;
        config.websocket.message_burst = FLOOD_BURST;
        config.websocket.rate_limit_close_after = FLOOD_CLOSE_AFTER;
    })
    .await;
    let (url, addr) = (server.url(), server.addr);
    let mut probe = Probe::start(&url, agency.token("mate"), agency.token("jr")).await;
    let baseline = probe.measure(PROBE_EDITS).await;
    let messages_before = metric(addr, "enlace_messages_in_total").await;
    let rss_before = own_rss_kib();

    let started = Instant::now();
    // Warm once the flood has sent twice its burst: it is being paced.
    let (stop, flood) = launch(u64::from(FLOOD_BURST) * 2, |stop, progress| {
        flooder(url.clone(), agency.token("ae").to_owned(), stop, progress)
    })
    .await;
    let during = probe.measure(PROBE_EDITS).await;
    // Run until the flood has been closed at least once.
    while metric(addr, "enlace_errors_total{kind=\"rate_limited\"}").await == 0 {
        assert!(started.elapsed() < PATIENCE, "the flood was never closed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.store(true, Relaxed);
    let codes = flood.await.expect("the flood ran to its end");
    let took = started.elapsed();
    let messages = metric(addr, "enlace_messages_in_total").await - messages_before;
    let rss_after = own_rss_kib();

    // What the server may have read: a burst per flooding socket, the sustained rate for the
    // attack's whole length, the probe's own messages, with room to spare.
    let allowed = codes.len() as u64 * u64::from(FLOOD_BURST)
        + (took.as_secs_f64() * f64::from(FLOOD_PER_SECOND)) as u64
        + 50 * PROBE_EDITS as u64;
    println!(
        "flood: {} sockets in {took:.1?}, close codes {codes:?}; server read {messages} \
         messages (at most {allowed} allowed); test process RSS {rss_before} KiB before, \
         {rss_after} KiB after",
        codes.len()
    );
    // The close frame itself may be lost: the server drops a socket with the flood still unread
    // in its buffer, and the kernel answers that with a reset. The metric above counted it.
    assert!(
        codes
            .iter()
            .all(|c| matches!(c, Some(CLOSE_RATE_LIMITED) | None)),
        "a flooding socket was closed with something other than {CLOSE_RATE_LIMITED}: {codes:?}"
    );
    assert!(
        messages <= allowed,
        "the server read {messages} > {allowed} messages"
    );
    assert!(metric(addr, "enlace_throttled_total").await >= 1);
    assert_within("message flood", &baseline, &during);
    assert!(
        rss_after < rss_before + 128 * 1024,
        "RSS grew from {rss_before} KiB to {rss_after} KiB"
    );
    server.stop().await.expect("stop");
}

// ----- the default flood limit lets a catch-up through ----------------------------------------

/// Sync conversations a reconnecting phone opens at once in this test.
const CATCH_UP_DOCUMENTS: usize = 10_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_catch_up_burst_passes_the_default_flood_limit_untouched() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let data = tempfile::tempdir().expect("data");
    let agency: Agency = fixture::seed(data.path());
    let server = TestServer::start_authenticated(data.path(), |_| {}).await;
    let (url, addr) = (server.url(), server.addr);
    let mut socket = raw::connect_bearer(&url, agency.token("ae")).await;
    raw::send_binary(&mut socket, raw::join_frame("catching-up")).await;
    let (mut sink, mut stream) = socket.split();
    // As a phone back from a day offline: a sync request for each document, back to back.
    let send = async {
        for _ in 0..CATCH_UP_DOCUMENTS {
            let frame = raw::request_frame("catching-up", DocumentId::new_random());
            sink.send(WsMessage::Binary(frame.into()))
                .await
                .expect("the server reads the whole burst");
        }
    };
    let answered = async {
        let mut answers = 0;
        while answers < CATCH_UP_DOCUMENTS {
            match stream.next().await {
                Some(Ok(WsMessage::Binary(bytes))) => {
                    if let Ok(Message::DocUnavailable { .. }) =
                        enlace_core::wire::decode(&bytes, &Default::default())
                    {
                        answers += 1;
                    }
                }
                Some(Ok(WsMessage::Close(frame))) => panic!("closed during catch-up: {frame:?}"),
                Some(Ok(_)) => {}
                Some(Err(e)) => panic!("socket failed during catch-up: {e}"),
                None => panic!("socket ended during catch-up"),
            }
        }
    };
    let started = Instant::now();
    tokio::time::timeout(PATIENCE * 2, async { tokio::join!(send, answered) })
        .await
        .expect("the catch-up completes");
    println!(
        "catch-up burst: {CATCH_UP_DOCUMENTS} requests answered in {:.1?}",
        started.elapsed()
    );
    assert_eq!(
        metric(addr, "enlace_throttled_total").await,
        0,
        "the default budget slowed a legitimate catch-up"
    );
    assert_eq!(
        metric(addr, "enlace_errors_total{kind=\"rate_limited\"}").await,
        0
    );
    server.stop().await.expect("stop");
}
