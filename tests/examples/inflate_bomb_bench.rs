//! What one hostile peer sending inflate bombs costs everyone else: ordinary phones' round-trip
//! latency on a real server (a child process), without an attacker, with the issue's attack
//! (frames of 61 KB inflating to 60 MiB each, sent as fast as the server takes them, reconnecting
//! whenever closed), with an attacker who knows the server's bound (bombs just under it, from four
//! sockets of the same user), and with one who sends valid documents instead (a storecheck of
//! `--valid-lines` lines under a new id each time): automerge spends far more per inflated byte
//! applying real changes than inflating zeros, which no bound on inflated bytes alone can
//! express. Each phase runs on a fresh server.
//!
//! `cargo run --release -p enlace-tests --example inflate_bomb_bench [-- OPTIONS]`
//!
//! Options: `--server PATH` (the server binary; default the `enlace-test-server` built next to
//! this example), `--pairs N` (8 writer/reader pairs), `--secs S` (20 per phase),
//! `--interval-ms MS` (100 between one pair's edits), `--bound BYTES` (8 MiB: the size the
//! second attack stays under), `--valid-lines N` (2000), `--phases a,b,...`
//! (`none,issue,bound,valid`). Prints a table; asserts nothing about time.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use automerge::ROOT;
use automerge::transaction::Transactable;
use enlace_core::ids::DocumentId;
use enlace_tests::client::Client;
use enlace_tests::fixture::{self, Agency};
use enlace_tests::process::ServerProcess;
use enlace_tests::raw;
use enlace_tests::server::http_get;
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message as WsMessage;

const MIB: u64 = 1024 * 1024;
/// The most one edit may take before it counts as lost (and is recorded at this value).
const EDIT_PATIENCE: Duration = Duration::from_secs(10);
const SETUP_PATIENCE: Duration = Duration::from_secs(60);
/// Writers and readers of the pairs: people of the fixture's `acme` team. The attacker is `ae`.
const WRITERS: [&str; 3] = ["mate", "sup", "dir"];
const READERS: [&str; 3] = ["jr", "mgmt", "admin"];
const ATTACKER: &str = "ae";

#[derive(Debug, Clone)]
struct Options {
    server: PathBuf,
    pairs: usize,
    secs: u64,
    interval: Duration,
    bound: u64,
    valid_lines: usize,
    phases: Vec<Phase>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// No attacker.
    None,
    /// The issue's attack: 60 MiB bombs, one socket.
    Issue,
    /// Bombs just under the bound, four sockets of one user.
    Bound,
    /// Valid documents, each under a new id, one socket.
    Valid,
}

/// What an attacking socket sends.
#[derive(Debug, Clone)]
enum Ammo {
    /// Bombs inflating to this many bytes, about one document.
    Bomb(u64),
    /// This saved document, under a new id each time.
    Document(Vec<u8>),
}

impl Ammo {
    fn frame(&self, doc: DocumentId) -> Vec<u8> {
        match self {
            Ammo::Bomb(size) => enlace_tests::bomb::sync_frame("attacker", doc, *size),
            Ammo::Document(saved) => enlace_tests::bomb::sync_frame_carrying(
                "attacker",
                DocumentId::new_random(),
                saved.clone(),
            ),
        }
    }
}

impl Phase {
    fn parse(s: &str) -> Phase {
        match s {
            "none" => Phase::None,
            "issue" => Phase::Issue,
            "bound" => Phase::Bound,
            "valid" => Phase::Valid,
            other => panic!("unknown phase {other:?} (none, issue, bound, valid)"),
        }
    }

    /// What the attacking user sends, and from how many sockets.
    fn attack(self, o: &Options) -> Option<(Ammo, usize)> {
        match self {
            Phase::None => None,
            Phase::Issue => Some((Ammo::Bomb(60 * MIB), 1)),
            Phase::Bound => Some((Ammo::Bomb(o.bound - 1024), 4)),
            Phase::Valid => Some((Ammo::Document(storecheck(o.valid_lines)), 1)),
        }
    }
}

/// One line about an attack, for the table.
fn describe(attack: Option<&(Ammo, usize)>) -> String {
    let Some((ammo, sockets)) = attack else {
        return "no attacker".to_owned();
    };
    let frame = ammo.frame(DocumentId::new_random());
    let (what, inflated) = match ammo {
        Ammo::Bomb(size) => ("bombs", *size),
        Ammo::Document(saved) => (
            "valid documents",
            enlace_core::wire::check_automerge_bytes(saved, u64::MAX).unwrap_or_default(),
        ),
    };
    format!(
        "{what} of {:.1} MiB inflated ({} B frames), {sockets} socket(s)",
        inflated as f64 / MIB as f64,
        frame.len()
    )
}

/// A saved storecheck of `lines` lines, two changes each (counted, then recounted), of the
/// fixture's account `acme`.
fn storecheck(lines: usize) -> Vec<u8> {
    use automerge::{AutoCommit, ObjType};
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "kind", "storecheck").expect("put");
    doc.put(ROOT, "account_id", "acme").expect("put");
    let all = doc.put_object(ROOT, "lines", ObjType::Map).expect("put");
    doc.commit();
    for i in 0..lines {
        let n = i64::try_from(i).expect("lines fit");
        let line = doc
            .put_object(&all, format!("line-{i}"), ObjType::Map)
            .expect("put");
        doc.put(
            &line,
            "product_id",
            format!("sku-{:06}", i * 7919 % 1_000_003),
        )
        .expect("put");
        doc.put(&line, "facings", n % 13).expect("put");
        doc.put(&line, "price_minor", 990 + n % 500).expect("put");
        let note = doc.put_object(&line, "note", ObjType::Text).expect("put");
        doc.splice_text(
            &note,
            0,
            0,
            &format!("{i} facings shelf price promo endcap {}", n * 31),
        )
        .expect("splice");
        doc.commit();
        doc.put(&line, "facings", (n + 1) % 13).expect("put");
        doc.splice_text(&note, 0, 0, "(recounted) ")
            .expect("splice");
        doc.commit();
    }
    doc.save()
}

fn options() -> Options {
    let mut o = Options {
        server: default_server(),
        pairs: 8,
        secs: 20,
        interval: Duration::from_millis(100),
        bound: 8 * MIB,
        valid_lines: 2000,
        phases: vec![Phase::None, Phase::Issue, Phase::Bound, Phase::Valid],
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .unwrap_or_else(|| panic!("{flag} needs a value"));
        let number = || -> u64 {
            value
                .parse()
                .unwrap_or_else(|_| panic!("{flag} {value:?} is no number"))
        };
        match flag.as_str() {
            "--server" => o.server = PathBuf::from(&value),
            "--pairs" => o.pairs = number() as usize,
            "--secs" => o.secs = number(),
            "--interval-ms" => o.interval = Duration::from_millis(number()),
            "--bound" => o.bound = number(),
            "--valid-lines" => o.valid_lines = number() as usize,
            "--phases" => o.phases = value.split(',').map(Phase::parse).collect(),
            other => panic!("unknown option {other}"),
        }
    }
    o
}

/// The server binary built next to this example (`cargo run --example` builds the crate's
/// binaries too).
fn default_server() -> PathBuf {
    let mut exe = std::env::current_exe().expect("current exe");
    exe.pop();
    if exe.ends_with("examples") {
        exe.pop();
    }
    exe.join("enlace-test-server")
}

/// One writer and one reader sharing a storecheck.
struct Pair {
    writer: Client,
    reader: Client,
    doc: DocumentId,
}

impl Pair {
    async fn start(url: &str, agency: &Agency, i: usize) -> Pair {
        let (w, r) = (WRITERS[i % WRITERS.len()], READERS[i % READERS.len()]);
        let writer = Client::connect_with_bearer(url, &format!("writer-{i}"), agency.token(w))
            .await
            .expect("a writer connects");
        let reader = Client::connect_with_bearer(url, &format!("reader-{i}"), agency.token(r))
            .await
            .expect("a reader connects");
        let doc = writer
            .create(|tx| {
                tx.put(ROOT, "kind", "storecheck").expect("put");
                tx.put(ROOT, "account_id", "acme").expect("put");
                tx.put(ROOT, "facings", 0).expect("put");
            })
            .await;
        writer
            .wait_for("the pair's document stored", SETUP_PATIENCE, |v| {
                v.in_sync(&doc)
            })
            .await
            .expect("stored");
        reader.subscribe(doc);
        let heads = writer.view().heads(&doc);
        reader
            .wait_for("the reader to get it", SETUP_PATIENCE, |v| {
                v.heads(&doc) == heads
            })
            .await
            .expect("the reader has it");
        Pair {
            writer,
            reader,
            doc,
        }
    }

    /// One edit every `interval` until `until`: each timed from the writer's change to the
    /// reader holding it. An edit that does not arrive within [`EDIT_PATIENCE`] is recorded at
    /// that value and counted as lost.
    async fn run(&self, until: Instant, interval: Duration) -> (Vec<Duration>, u64) {
        let mut samples = Vec::new();
        let mut lost = 0;
        let mut value = 0i64;
        let mut next = Instant::now();
        while Instant::now() < until {
            tokio::time::sleep_until(next.into()).await;
            next += interval;
            value += 1;
            let started = Instant::now();
            let heads = self
                .writer
                .change(self.doc, move |tx| {
                    tx.put(ROOT, "facings", value).expect("put");
                })
                .await;
            let doc = self.doc;
            let arrived = self
                .reader
                .wait_for("an edit", EDIT_PATIENCE, |v| v.heads(&doc) == heads)
                .await;
            if arrived.is_err() {
                lost += 1;
            }
            samples.push(started.elapsed());
            next = next.max(Instant::now());
        }
        (samples, lost)
    }
}

#[derive(Debug, Default)]
struct AttackStats {
    frames: AtomicU64,
    sockets: AtomicU64,
    closed_1009: AtomicU64,
    closed_4029: AtomicU64,
    closed_other: AtomicU64,
}

/// One attacking socket: joins, sends bombs as fast as the socket takes them (reading and
/// dropping what comes back) until the server closes it or `stop`; then again on a new socket.
async fn attacker(
    url: String,
    token: String,
    doc: DocumentId,
    ammo: Ammo,
    stop: Arc<AtomicBool>,
    stats: Arc<AttackStats>,
) {
    while !stop.load(Relaxed) {
        // Refused once the server is gone at the end of the phase.
        let Ok(socket) = raw::try_connect(&url, Some(&token)).await else {
            break;
        };
        stats.sockets.fetch_add(1, Relaxed);
        let (mut sink, mut stream) = socket.split();
        let join = WsMessage::Binary(raw::join_frame("attacker").into());
        if sink.send(join).await.is_err() {
            continue;
        }
        let bombard = async {
            while !stop.load(Relaxed)
                && sink
                    .send(WsMessage::Binary(ammo.frame(doc).into()))
                    .await
                    .is_ok()
            {
                stats.frames.fetch_add(1, Relaxed);
            }
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
        tokio::pin!(closed);
        let code = tokio::select! {
            () = bombard => {
                if stop.load(Relaxed) {
                    break;
                }
                // A send failed: the server dropped the socket. Its close frame, if any came.
                tokio::time::timeout(Duration::from_secs(1), &mut closed)
                    .await
                    .unwrap_or(None)
            }
            code = &mut closed => code,
        };
        let counter = match code {
            Some(1009) => &stats.closed_1009,
            Some(4029) => &stats.closed_4029,
            _ => &stats.closed_other,
        };
        counter.fetch_add(1, Relaxed);
    }
}

/// A counter of the server's `/metrics`, if it exports it.
async fn metric(addr: std::net::SocketAddr, line_start: &str) -> Option<u64> {
    let (_, body) = http_get(addr, "/metrics").await.ok()?;
    body.lines()
        .find_map(|l| l.strip_prefix(line_start)?.trim().parse().ok())
}

/// User + system CPU seconds of a process so far (Linux `/proc`, clock ticks of 1/100 s).
fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command name (which may hold spaces) start after its `)`.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

struct Row {
    label: String,
    samples: Vec<Duration>,
    lost: u64,
    frames: u64,
    sockets: u64,
    closes: (u64, u64, u64),
    inflated: Option<u64>,
    server_cpu: f64,
}

fn quantile(sorted: &[Duration], q: f64) -> Duration {
    let last = sorted.len().saturating_sub(1);
    sorted
        .get(((last as f64) * q).round() as usize)
        .copied()
        .unwrap_or_default()
}

async fn run_phase(o: &Options, attack: Option<(Ammo, usize)>, binary: &Path) -> Row {
    let label = describe(attack.as_ref());
    eprintln!("phase: {label}");
    let data = tempfile::tempdir().expect("data");
    let agency = fixture::seed(data.path());
    let mut server = ServerProcess::spawn_authenticated(binary, data.path(), &[], SETUP_PATIENCE);
    let (url, addr) = (server.url(), server.addr);
    let pid = server.child().id();
    let mut pairs = Vec::new();
    for i in 0..o.pairs {
        pairs.push(Pair::start(&url, &agency, i).await);
    }
    let stop = Arc::new(AtomicBool::new(false));
    let stats = Arc::new(AttackStats::default());
    let mut attackers = Vec::new();
    if let Some((ammo, sockets)) = attack {
        let doc = enlace_tests::bomb::stored_document(
            &url,
            agency.token(ATTACKER),
            "attacker-owner",
            SETUP_PATIENCE,
        )
        .await;
        for _ in 0..sockets {
            let (url, token) = (url.clone(), agency.token(ATTACKER).to_owned());
            let (stop, stats, ammo) = (stop.clone(), stats.clone(), ammo.clone());
            // A runtime of its own: the attacker shares the machine with the server, as a real
            // one would, but never queues the phones' tasks behind its own.
            attackers.push(std::thread::spawn(move || {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("the attacker's runtime")
                    .block_on(attacker(url, token, doc, ammo, stop, stats));
            }));
        }
        // Let it get going.
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let inflated_before = metric(addr, "enlace_inflated_bytes_in_total").await;
    let cpu_before = cpu_secs(pid);
    let until = Instant::now() + Duration::from_secs(o.secs);
    let results =
        futures_util::future::join_all(pairs.iter().map(|p| p.run(until, o.interval))).await;
    let server_cpu = cpu_secs(pid) - cpu_before;
    let inflated = match (
        inflated_before,
        metric(addr, "enlace_inflated_bytes_in_total").await,
    ) {
        (Some(before), Some(after)) => Some(after - before),
        _ => None,
    };
    stop.store(true, Relaxed);
    server.kill_9();
    for attacker in attackers {
        let _ = attacker.join();
    }
    let mut samples: Vec<Duration> = results.iter().flat_map(|(s, _)| s.clone()).collect();
    samples.sort();
    Row {
        label,
        samples,
        lost: results.iter().map(|(_, lost)| lost).sum(),
        frames: stats.frames.load(Relaxed),
        sockets: stats.sockets.load(Relaxed),
        closes: (
            stats.closed_1009.load(Relaxed),
            stats.closed_4029.load(Relaxed),
            stats.closed_other.load(Relaxed),
        ),
        inflated,
        server_cpu,
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let o = options();
    assert!(
        o.server.exists(),
        "no server binary at {} (--server PATH)",
        o.server.display()
    );
    println!(
        "server {}; {} pairs, one edit each every {:?}, {} s per phase",
        o.server.display(),
        o.pairs,
        o.interval,
        o.secs
    );
    let mut rows = Vec::new();
    for &phase in &o.phases {
        rows.push(run_phase(&o, phase.attack(&o), &o.server).await);
    }
    println!(
        "\n| attack | edits | lost | p50 ms | p99 ms | max ms | attack frames sent | attacker sockets (closed 1009 / 4029 / other) | inflated bytes the engine took | server CPU s |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---|---:|---:|");
    for row in rows {
        let ms = |d: Duration| format!("{:.1}", d.as_secs_f64() * 1000.0);
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} ({} / {} / {}) | {} | {:.1} |",
            row.label,
            row.samples.len(),
            row.lost,
            ms(quantile(&row.samples, 0.5)),
            ms(quantile(&row.samples, 0.99)),
            ms(row.samples.last().copied().unwrap_or_default()),
            row.frames,
            row.sockets,
            row.closes.0,
            row.closes.1,
            row.closes.2,
            row.inflated.map_or("not exported".to_owned(), |b| format!(
                "{:.1} MiB",
                b as f64 / MIB as f64
            )),
            row.server_cpu,
        );
    }
}
