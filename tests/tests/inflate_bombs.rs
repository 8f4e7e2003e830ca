//! Inflate bombs: `sync` frames whose compressed changes inflate a thousand times over
//! ([`enlace_tests::bomb`]). automerge inflates them on the engine's single thread, so ten frames
//! of 61 KB, each inflating to 60 MiB (under the store's 64 MiB bound), used to hold every user's
//! sync for about two seconds while their sender stayed connected. Now every `sync` is measured
//! on its socket's task: a frame over the per-message bound closes its socket before the engine
//! sees it, and the rest is charged to the sender's inflate budgets (per socket and per user),
//! which pace the sender and close it with 4029 if it keeps at it. A whole large document, more
//! than a bomb inflated, still syncs under the default bounds. Two healthy phones sync
//! throughout: every probe edit must arrive; their latency is printed, not asserted (the figures
//! are in `BENCHMARKS.md`).
//!
//! The limits are the server's defaults (`InflateLimits::default()`, `docs/limits.md`), spelled
//! out below so that this file also builds against a server that predates them, and fails there
//! for what the server does, not for a missing name.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use automerge::ROOT;
use automerge::transaction::Transactable;
use enlace_core::ids::DocumentId;
use enlace_core::wire::Message;
use enlace_tests::PATIENCE;
use enlace_tests::client::Client;
use enlace_tests::fixture;
use enlace_tests::latency::Probe;
use enlace_tests::raw::{self, RawSocket};
use enlace_tests::rng::Prng;
use enlace_tests::server::{TestServer, http_get};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message as WsMessage;

/// Held by each test for its whole length: one test's attack would land in the other's probe.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const MIB: u64 = 1024 * 1024;
/// A bomb the budget paces: one a honest phone's whole new document could be.
const PACED_BOMB: u64 = 4 * MIB;
/// The default inflate budget of one user: sustained rate (per second) and burst.
const USER_PER_SECOND: u64 = MIB;
const USER_BURST: u64 = 8 * MIB;
/// What the probe's own edits may add to the inflated bytes counted while it runs.
const PROBE_SLACK: u64 = MIB;
/// Edits timed per probe run.
const PROBE_EDITS: usize = 50;
/// Bombs over the bound sent one after another, each on a fresh socket of the same user.
const BIG_BOMBS: u64 = 3;
/// A hold this long closes a socket in these tests (the default is 30 s).
const CLOSE_AFTER: Duration = Duration::from_secs(2);

async fn metric(addr: SocketAddr, line_start: &str) -> Option<u64> {
    let (status, body) = http_get(addr, "/metrics").await.expect("metrics");
    assert_eq!(status, 200, "{body}");
    body.lines()
        .find_map(|l| l.strip_prefix(line_start)?.trim().parse().ok())
}

async fn exported(addr: SocketAddr, name: &str) -> u64 {
    metric(addr, name)
        .await
        .unwrap_or_else(|| panic!("the server does not export {name}"))
}

/// A raw socket of `token`'s user that has joined as `name`.
async fn joined(url: &str, token: &str, name: &str) -> RawSocket {
    let mut socket = raw::connect_bearer(url, token).await;
    raw::send_binary(&mut socket, raw::join_frame(name)).await;
    match tokio::time::timeout(PATIENCE, raw::next_message(&mut socket)).await {
        Ok(Some(Message::Peer { .. })) => socket,
        other => panic!("{name}: no answer to join: {other:?}"),
    }
}

/// Sends bombs of `inflated` bytes about `doc` as fast as the socket takes them (reading and
/// dropping whatever comes back) until the server closes it; its close code (`None` if the
/// server dropped the connection with bombs still unread, which the kernel answers with a
/// reset). Panics if the server keeps it open for `PATIENCE`.
async fn bomb_until_closed(
    socket: RawSocket,
    name: &str,
    doc: DocumentId,
    inflated: u64,
) -> Option<u16> {
    let frame = enlace_tests::bomb::sync_frame(name, doc, inflated);
    let (mut sink, mut stream) = socket.split();
    let bombard = async {
        while sink
            .send(WsMessage::Binary(frame.clone().into()))
            .await
            .is_ok()
        {}
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
        () = bombard => unreachable!("the bombing never ends by itself"),
        code = tokio::time::timeout(PATIENCE, closed) => {
            code.unwrap_or_else(|_| panic!("{name}: the server kept a bombing socket open"))
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bombs_over_the_bound_close_their_socket_before_the_engine_inflates_them() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let data = tempfile::tempdir().expect("data");
    let agency = fixture::seed(data.path());
    let server = TestServer::start_authenticated(data.path(), |_| {}).await;
    let (url, addr) = (server.url(), server.addr);
    let mut probe = Probe::start(&url, agency.token("mate"), agency.token("jr")).await;
    let baseline = probe.measure(PROBE_EDITS).await;
    let doc =
        enlace_tests::bomb::stored_document(&url, agency.token("ae"), "bomber-owner", PATIENCE)
            .await;
    let inflated_before = metric(addr, "enlace_inflated_bytes_in_total").await;

    // The attack past the default bound: frames of 100 KB, each inflating to 100 MiB
    // (bombs under the bound are the next test's: paced by the budget). Each is sent alone on a
    // fresh socket, so that the server's close frame is not lost to a reset. A refused bomb
    // is charged to its user (a burst's worth), so the third socket reads nothing until the
    // second refusal is paid back: reconnecting buys no speed.
    let attack = async {
        let mut codes = Vec::new();
        for i in 0..BIG_BOMBS {
            let name = format!("bomber-{i}");
            let mut socket = joined(&url, agency.token("ae"), &name).await;
            let frame = enlace_tests::bomb::sync_frame(&name, doc, 100 * MIB);
            assert!(frame.len() < 120_000, "{}", frame.len());
            raw::send_binary(&mut socket, frame).await;
            let code = tokio::time::timeout(PATIENCE, raw::close_code(&mut socket))
                .await
                .unwrap_or_else(|_| {
                    panic!("{name}: the server kept the socket of a 100 MiB bomb open")
                });
            codes.push(code);
        }
        codes
    };
    let (codes, during) = tokio::join!(attack, probe.measure(PROBE_EDITS));
    println!("100 MiB bombs: close codes {codes:?}; probe before {baseline}, during {during}");
    assert!(codes.iter().all(|c| *c == Some(1009)), "{codes:?}");
    assert_eq!(
        exported(addr, "enlace_errors_total{kind=\"too_large_inflated\"}").await,
        BIG_BOMBS
    );
    assert!(exported(addr, "enlace_inflate_throttled_total").await >= 1);
    // None of it reached the engine: what it was handed is the probe's edits.
    let inflated = exported(addr, "enlace_inflated_bytes_in_total").await
        - inflated_before.unwrap_or_default();
    assert!(
        inflated < PROBE_SLACK,
        "the engine was handed {inflated} inflated bytes"
    );
    probe.measure(PROBE_EDITS).await;
    server.stop().await.expect("stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bombs_under_the_bound_are_paced_by_the_users_budget_then_closed() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let data = tempfile::tempdir().expect("data");
    let agency = fixture::seed(data.path());
    let server = TestServer::start_authenticated(data.path(), |config| {
        config.websocket.rate_limit_close_after = CLOSE_AFTER;
    })
    .await;
    let (url, addr) = (server.url(), server.addr);
    let mut probe = Probe::start(&url, agency.token("mate"), agency.token("jr")).await;
    let baseline = probe.measure(PROBE_EDITS).await;
    let doc =
        enlace_tests::bomb::stored_document(&url, agency.token("ae"), "bomber-owner", PATIENCE)
            .await;
    let inflated_before = metric(addr, "enlace_inflated_bytes_in_total").await;

    // An attacker who knows the bound: bombs of half of it, from four sockets of one user at
    // once, each socket with a budget of its own. Only the user's budget holds them all.
    const SOCKETS: u64 = 4;
    const BOMB: u64 = PACED_BOMB;
    let mut sockets = Vec::new();
    for i in 0..SOCKETS {
        let name = format!("bomber-{i}");
        sockets.push((joined(&url, agency.token("ae"), &name).await, name));
    }
    let started = Instant::now();
    let attack =
        futures_util::future::join_all(sockets.into_iter().map(|(socket, name)| async move {
            bomb_until_closed(socket, &name, doc, BOMB).await
        }));
    let (codes, during) = tokio::join!(attack, probe.measure(PROBE_EDITS));
    let took = started.elapsed();
    println!(
        "{BOMB}-byte bombs from {SOCKETS} sockets: closed after {took:.1?} with {codes:?}; probe before {baseline}, during {during}"
    );
    assert!(
        codes.iter().all(|c| matches!(c, Some(4029) | None)),
        "a bombing socket was closed with something other than 4029: {codes:?}"
    );
    assert_eq!(
        exported(addr, "enlace_errors_total{kind=\"rate_limited\"}").await,
        SOCKETS,
        "every bombing socket is closed for its budget"
    );
    assert!(exported(addr, "enlace_inflate_throttled_total").await >= 1);
    // What the engine was handed: the user's burst and its rate for the attack's length (each
    // bomb is paid before the engine sees it), not four sockets' worth.
    let inflated = exported(addr, "enlace_inflated_bytes_in_total").await
        - inflated_before.unwrap_or_default();
    let allowed = USER_BURST + (took.as_secs_f64() * USER_PER_SECOND as f64) as u64 + PROBE_SLACK;
    println!(
        "the engine was handed {inflated} inflated bytes ({} bombs); at most {allowed} allowed",
        inflated / BOMB
    );
    assert!(inflated <= allowed, "{inflated} > {allowed}");
    probe.measure(PROBE_EDITS).await;
    server.stop().await.expect("stop");
}

/// `len` bytes of printable text that deflate cannot shrink much: an honest large value.
fn incompressible_text(rng: &mut Prng, len: usize) -> String {
    (0..len)
        .map(|_| char::from(b'!' + (rng.next_u64() % 90) as u8))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_large_document_of_many_changes_syncs_under_the_default_bounds() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let data = tempfile::tempdir().expect("data");
    let agency = fixture::seed(data.path());
    let server = TestServer::start_authenticated(data.path(), |_| {}).await;
    // Made offline: 12 changes of about 1 MiB each, more than the per-change bound together
    // (and more than a bomb), all sent in the one sync message a server that lacks the
    // document gets.
    let mut rng = Prng::new(7);
    let mut doc = automerge::AutoCommit::new();
    doc.put(ROOT, "kind", "storecheck").expect("put");
    doc.put(ROOT, "account_id", "acme").expect("put");
    for i in 0..12 {
        let text = incompressible_text(&mut rng, MIB as usize);
        doc.put(ROOT, format!("notes_{i}"), text).expect("put");
        doc.commit();
    }
    let doc = automerge::Automerge::load(&doc.save()).expect("loads");
    let id = DocumentId::new_random();
    let jr = Client::connect_with_bearer(&server.url(), "jr-phone", agency.token("jr"))
        .await
        .expect("connects");
    jr.adopt(id, doc).await;
    let taken = jr
        .wait_for("the large document acknowledged", 4 * PATIENCE, |v| {
            v.in_sync(&id)
        })
        .await;
    if let Err(e) = taken {
        let (_, metrics) = http_get(server.addr, "/metrics").await.expect("metrics");
        let errors: Vec<&str> = metrics
            .lines()
            .filter(|l| l.starts_with("enlace_errors_total"))
            .collect();
        panic!(
            "a large document made of ordinary changes is not taken: {e} (socket closed: {:?}; {errors:?})",
            jr.view().closed
        );
    }
    jr.close().await;
    server.stop().await.expect("stop");
}
