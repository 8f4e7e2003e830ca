//! Crash safety of the device store (issue 9, part 2): in a loop, a child process writes to one
//! store file (creating notes and appending to them), printing each write only after the store
//! call returned, and is killed with SIGKILL at a random moment. After every kill the store
//! reopens, passes `PRAGMA integrity_check`, and holds every write any child acknowledged.
//!
//! `ENLACE_KILL_ITERATIONS` sets the number of kills (3 by default, as CI runs it;
//! `scripts/long/kill9` runs 200), `ENLACE_KILL_SEED` the seed of the kill moments (printed).
//! The test re-executes its own binary as the child, selected by an environment variable.

mod store_support;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use enlace_core::DocumentId;
use enlace_core::store::Store;
use store_support::Note;

const TEST_NAME: &str = "kill_nine_keeps_every_acknowledged_write";
const CHILD_ENV: &str = "ENLACE_STORE_KILL_CHILD_PATH";
/// Notes the children create before they only append: later iterations write into documents
/// that earlier kills interrupted.
const MAX_NOTES: usize = 40;
/// A child stops on its own after this long, in case nobody kills it.
const CHILD_LIFETIME: Duration = Duration::from_secs(120);

#[test]
fn kill_nine_keeps_every_acknowledged_write() {
    if let Some(path) = std::env::var_os(CHILD_ENV) {
        child(Path::new(&path));
        return;
    }
    let iterations = env_number("ENLACE_KILL_ITERATIONS", 3);
    let seed = env_number("ENLACE_KILL_SEED", clock_seed());
    println!("store_kill: {iterations} iterations, ENLACE_KILL_SEED={seed}");
    let mut rng = Rng(seed);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("enlace.db");
    // Per note, the highest counter any child acknowledged.
    let mut acked: BTreeMap<DocumentId, u64> = BTreeMap::new();
    let mut total_acks = 0_u64;
    let started = Instant::now();
    for iteration in 0..iterations {
        let round_started = Instant::now();
        // At least one write per child, at most 200.
        let kill_after = 1 + rng.below(200);
        let acks = run_child_until(&path, kill_after, &mut acked);
        total_acks += acks;
        let store = Store::open(&path).expect("reopen after kill -9");
        store
            .check_integrity()
            .expect("integrity_check after kill -9");
        let checked = check(&store, &acked);
        println!(
            "iteration {iteration}: killed after {acks} acknowledged writes (asked {kill_after}); \
             {checked} notes hold every acknowledged write; {:?}",
            round_started.elapsed()
        );
    }
    println!(
        "SUMMARY store_kill: {iterations} kill -9 iterations, {total_acks} acknowledged writes \
         into {} notes, 0 lost, integrity_check ok {iterations} times, seed {seed}, {:?}",
        acked.len(),
        started.elapsed()
    );
}

/// Runs a child on the store at `path`, kills it once it acknowledged `kill_after` writes, and
/// merges every acknowledgement it printed into `acked`. Returns how many it printed.
fn run_child_until(path: &Path, kill_after: u64, acked: &mut BTreeMap<DocumentId, u64>) -> u64 {
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args(["--exact", TEST_NAME, "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn child");
    let stdout = child.stdout.take().expect("child stdout");
    let (tx, rx) = mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut acks = 0;
    let mut record = |line: &str| {
        let Some((id, counter)) = parse_ack(line) else {
            return 0;
        };
        let entry = acked.entry(id).or_default();
        *entry = (*entry).max(counter);
        1
    };
    let deadline = Instant::now() + CHILD_LIFETIME;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = rx
            .recv_timeout(left)
            .expect("the child acknowledges writes before the deadline");
        acks += record(&line);
        if acks >= kill_after {
            break;
        }
    }
    child.kill().expect("SIGKILL the child");
    child.wait().expect("reap the child");
    // Lines written before the kill were acknowledged too: read to the end of the pipe.
    while let Ok(line) = rx.recv() {
        acks += record(&line);
    }
    reader.join().expect("reader thread");
    acks
}

/// Every acknowledged write is in `store`; returns how many notes were checked.
fn check(store: &Store, acked: &BTreeMap<DocumentId, u64>) -> usize {
    for (id, counter) in acked {
        let note: Note = store
            .get(*id)
            .unwrap_or_else(|e| panic!("acknowledged note {id} is missing after kill -9: {e}"));
        assert!(
            note.counter >= *counter,
            "{id}: stored counter {} < acknowledged {counter}",
            note.counter
        );
        // The body is the appends in order, "#0;#1;...": each acknowledged one is there, once.
        let appends: Vec<u64> = note
            .body
            .as_str()
            .split_terminator(';')
            .map(|a| {
                a.strip_prefix('#')
                    .and_then(|n| n.parse().ok())
                    .unwrap_or_else(|| panic!("{id}: {a:?} is no append"))
            })
            .collect();
        let expected: Vec<u64> = (0..=note.counter).collect();
        assert_eq!(
            appends, expected,
            "{id}: appends 0..={} in order",
            note.counter
        );
    }
    acked.len()
}

fn parse_ack(line: &str) -> Option<(DocumentId, u64)> {
    let rest = line.strip_prefix("ACK ")?;
    let (id, counter) = rest.split_once(' ')?;
    Some((id.parse().ok()?, counter.parse().ok()?))
}

/// The child: writes until killed (or its lifetime ends), acknowledging each write on stdout
/// only after the store call returned. It goes on with the notes earlier children left.
fn child(path: &Path) {
    let store = Store::open(path).expect("child opens the store");
    let mut ids: Vec<DocumentId> = store.document_ids().expect("stored notes");
    let started = Instant::now();
    let mut out = std::io::stdout().lock();
    for i in 0u64.. {
        if started.elapsed() > CHILD_LIFETIME {
            break;
        }
        if ids.len() < MAX_NOTES && (ids.is_empty() || i % 4 == 0) {
            let mut note = Note::new("acme", 1_700_000_000_000 + i as i64, "Visita");
            note.body = autosurgeon::Text::with_value("#0;");
            let id = store.create(&note).expect("create");
            ids.push(id);
            writeln!(out, "ACK {id} 0").expect("stdout");
        } else {
            let id = ids[(i as usize) % ids.len()];
            let counter = store
                .update(id, |n: &mut Note| {
                    n.counter += 1;
                    let end = n.body.as_str().chars().count();
                    n.body.splice(end, 0, format!("#{};", n.counter));
                    Ok(n.counter)
                })
                .expect("update");
            writeln!(out, "ACK {id} {counter}").expect("stdout");
        }
        out.flush().expect("flush");
    }
}

/// splitmix64: the kill moments, reproducible from the printed seed.
#[derive(Debug)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn env_number(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(value) => value
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={value:?} is not a number")),
        Err(_) => default,
    }
}

fn clock_seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}
