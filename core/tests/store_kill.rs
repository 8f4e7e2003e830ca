//! kill -9: every write a child process acknowledged (printed after the call returned) is in the
//! store after the child is killed mid-loop and the store is reopened.
//!
//! The test re-executes its own binary as the child, selected by an environment variable.

mod store_support;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use enlace_core::DocumentId;
use enlace_core::store::Store;
use store_support::Note;

const TEST_NAME: &str = "kill_nine_keeps_every_acknowledged_write";
const CHILD_ENV: &str = "ENLACE_STORE_KILL_CHILD_PATH";
/// Acknowledged writes to collect before killing the child.
const ACKS_BEFORE_KILL: usize = 150;
const DEADLINE: Duration = Duration::from_secs(120);

#[test]
fn kill_nine_keeps_every_acknowledged_write() {
    if let Some(path) = std::env::var_os(CHILD_ENV) {
        child(std::path::Path::new(&path));
        return;
    }

    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("enlace.db");
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args(["--exact", TEST_NAME, "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, &path)
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

    // id -> highest counter the child acknowledged.
    let mut acked: HashMap<DocumentId, u64> = HashMap::new();
    let mut acks = 0;
    let deadline = Instant::now() + DEADLINE;
    while acks < ACKS_BEFORE_KILL {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = rx
            .recv_timeout(left)
            .expect("child acknowledges writes before the deadline");
        if let Some(ack) = parse_ack(&line) {
            let (id, counter) = ack;
            let entry = acked.entry(id).or_default();
            *entry = (*entry).max(counter);
            acks += 1;
        }
    }
    child.kill().expect("SIGKILL the child");
    child.wait().expect("reap the child");
    // Lines already written before the kill were acknowledged too.
    while let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
        if let Some((id, counter)) = parse_ack(&line) {
            let entry = acked.entry(id).or_default();
            *entry = (*entry).max(counter);
            acks += 1;
        }
    }
    reader.join().expect("reader thread");

    let store = Store::open(&path).expect("reopen after kill");
    store.check_integrity().expect("integrity after kill");
    for (id, counter) in &acked {
        let note: Note = store.get(*id).expect("acknowledged document is present");
        assert!(
            note.counter >= *counter,
            "{id}: stored counter {} < acknowledged {counter}",
            note.counter
        );
        assert!(note.body.as_str().contains(&format!("#{counter};")));
    }
    assert!(acks >= ACKS_BEFORE_KILL);
}

fn parse_ack(line: &str) -> Option<(DocumentId, u64)> {
    let rest = line.strip_prefix("ACK ")?;
    let (id, counter) = rest.split_once(' ')?;
    Some((id.parse().ok()?, counter.parse().ok()?))
}

/// The child: writes forever (until killed, or a safety cap), acknowledging each write on stdout
/// only after the store call returned.
fn child(path: &std::path::Path) {
    let store = Store::open(path).expect("child opens the store");
    let mut ids: Vec<DocumentId> = Vec::new();
    let started = Instant::now();
    let mut out = std::io::stdout().lock();
    for i in 0u64.. {
        if started.elapsed() > DEADLINE {
            break;
        }
        if i % 4 == 0 {
            let mut note = Note::new("acme", 1_700_000_000_000 + i as i64, "Visita");
            note.body = autosurgeon::Text::with_value("#0;");
            let id = store.create(&note).expect("create");
            ids.push(id);
            writeln!(out, "ACK {id} 0").expect("stdout");
        } else {
            let Some(id) = ids.get((i as usize) % ids.len()).copied() else {
                continue;
            };
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
