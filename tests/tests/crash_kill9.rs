//! Crash safety of the server (issue 9, part 2): in a loop, an authenticated server on one data
//! directory takes writes from 20 clients and is killed with SIGKILL at a random moment, then
//! restarted. After every restart `PRAGMA integrity_check` passes on each of its database files,
//! and every change any client saw acknowledged (inside the heads the server announced) is in
//! the store, and is served back to a fresh client of the restarted server (each writer fetches
//! its document from every restarted server and goes on writing it; every 20 iterations the
//! writers start new documents, so that fetching one stays quick however long the run).
//!
//! `ENLACE_KILL_ITERATIONS` sets the number of kills (3 by default, as CI runs it;
//! `scripts/long/kill9` runs 200), `ENLACE_KILL_SEED` the seed of the kill moments (printed, so
//! a failing run can be repeated).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use automerge::transaction::Transactable;
use automerge::{ChangeHash, ROOT, ReadDoc};
use enlace_core::ids::DocumentId;
use enlace_core::store::Store;
use enlace_tests::client::Client;
use enlace_tests::env_u64;
use enlace_tests::process::ServerProcess;
use enlace_tests::rng::{self, Prng};
use enlace_tests::{PATIENCE, fixture, integrity};

const CLIENTS: usize = 20;
/// The person every writer connects as (one of the fixture's; it may write `acme`'s documents).
const WRITER: &str = "jr";
/// Iterations the writers keep their documents for before they start new ones: a document
/// fetched whole by a fresh client after every restart must stay small enough to arrive well
/// within [`PATIENCE`], however long the run. Older documents are still checked after every
/// restart.
const GENERATION: u64 = 20;
/// How long one writer waits for an acknowledgement while its server is up.
const ACK_PATIENCE: Duration = Duration::from_secs(20);

fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_enlace-test-server"))
}

/// What every writer made of its document, across all iterations.
#[derive(Debug, Default)]
struct Chain {
    /// Every change, in order (one writer at a time per document, so history is a line).
    changes: Vec<ChangeHash>,
    /// How many of `changes`, from the start, the server has acknowledged: a change is
    /// acknowledged once it is in (or before) a head the server announced.
    acked: usize,
}

impl Chain {
    /// The server announced `heads` for this document.
    fn announced(&mut self, heads: &[ChangeHash]) {
        for head in heads {
            if let Some(at) = self.changes.iter().rposition(|c| c == head) {
                self.acked = self.acked.max(at + 1);
            }
        }
    }
}

type Chains = Arc<Mutex<BTreeMap<DocumentId, Chain>>>;

fn chains(shared: &Chains) -> std::sync::MutexGuard<'_, BTreeMap<DocumentId, Chain>> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_change_survives_repeated_kill_9() {
    let iterations = env_u64("ENLACE_KILL_ITERATIONS").unwrap_or(3);
    let seed = rng::seed_from_env("ENLACE_KILL_SEED");
    println!("crash_kill9: {iterations} iterations, {CLIENTS} writers, ENLACE_KILL_SEED={seed}");
    let mut rng = Prng::from_state(seed);
    let dir = tempfile::tempdir().expect("data dir");
    let agency = fixture::seed(dir.path());
    let token = agency.token(WRITER).to_owned();
    let connections = (CLIENTS * 2).to_string();
    let extra = ["--max-connections-per-user", connections.as_str()];
    let shared: Chains = Arc::default();
    let started = Instant::now();
    let mut integrity_ok = 0;
    let mut restarts_checked = 0;
    // The documents the writers write this generation.
    let mut current: Vec<DocumentId> = Vec::new();
    for iteration in 0..iterations {
        let round_started = Instant::now();
        let server = ServerProcess::spawn_authenticated(binary(), dir.path(), &extra, PATIENCE);
        if iteration > 0 {
            integrity_ok += verify(dir.path(), &shared);
            restarts_checked += 1;
        }
        let acked_before: usize = chains(&shared).values().map(|c| c.acked).sum();
        // Kill once every writer has had a round acknowledged (so all 20 are writing) and
        // a seeded number of rounds more, then after a seeded pause of up to 20 ms.
        let rounds_before_kill = CLIENTS as u64 + rng.below(4 * CLIENTS as u64);
        let pause = Duration::from_micros(rng.below(20_000));
        let (progress_tx, mut progress) = tokio::sync::mpsc::unbounded_channel::<usize>();
        let mut writers = Vec::new();
        let docs: Vec<Option<DocumentId>> = if iteration % GENERATION == 0 {
            vec![None; CLIENTS]
        } else {
            current.iter().copied().map(Some).collect()
        };
        for (i, doc) in docs.into_iter().enumerate() {
            let client = Client::connect_with_bearer(&server.url(), &format!("writer-{i}"), &token)
                .await
                .expect("connect");
            writers.push(tokio::spawn(write(
                i,
                client,
                doc,
                shared.clone(),
                progress_tx.clone(),
            )));
        }
        drop(progress_tx);
        let mut rounds = [0_u64; CLIENTS];
        let reached = tokio::time::timeout(PATIENCE, async {
            while rounds.contains(&0) || rounds.iter().sum::<u64>() < rounds_before_kill {
                match progress.recv().await {
                    Some(i) => rounds[i] += 1,
                    None => return false,
                }
            }
            true
        })
        .await;
        assert!(
            matches!(reached, Ok(true)),
            "iteration {iteration}: every writer gets acknowledgements before the kill; \
             rounds: {rounds:?}"
        );
        tokio::time::sleep(pause).await;
        server.kill_9();
        current.clear();
        for writer in writers {
            current.push(
                tokio::time::timeout(PATIENCE, writer)
                    .await
                    .expect("writers notice the kill")
                    .expect("writer task"),
            );
        }
        let acked: usize = chains(&shared).values().map(|c| c.acked).sum();
        println!(
            "iteration {iteration}: killed after {} acknowledged rounds (+{pause:?}); \
             {} changes newly acknowledged, {acked} in all; {:?}",
            rounds.iter().sum::<u64>(),
            acked - acked_before,
            round_started.elapsed()
        );
    }

    // The last kill is checked like every other: restart, check, and serve.
    let server = ServerProcess::spawn_authenticated(binary(), dir.path(), &extra, PATIENCE);
    integrity_ok += verify(dir.path(), &shared);
    restarts_checked += 1;
    let snapshot: Vec<(DocumentId, Vec<ChangeHash>)> = chains(&shared)
        .iter()
        .map(|(doc, chain)| (*doc, chain.changes[..chain.acked].to_vec()))
        .collect();
    let reader = Client::connect_with_bearer(&server.url(), "reader", &token)
        .await
        .expect("connect");
    for (doc, acked) in snapshot {
        reader.subscribe(doc);
        reader
            .wait_content(
                doc,
                "the acknowledged changes from the restarted server",
                PATIENCE,
                move |d| acked.iter().all(|h| d.get_change_by_hash(h).is_some()),
            )
            .await
            .expect("the restarted server serves every acknowledged change");
    }
    reader.close().await;
    server.kill_9();
    let acked: usize = chains(&shared).values().map(|c| c.acked).sum();
    println!(
        "SUMMARY crash_kill9: {iterations} kill -9 iterations, {CLIENTS} writers, \
         {acked} acknowledged changes checked after every restart, 0 lost, \
         integrity_check ok after all {restarts_checked} restarts ({integrity_ok} file checks: \
         store and directory), seed {seed}, {:?}",
        started.elapsed()
    );
}

/// After a restart: `integrity_check` of every database file, and every acknowledged change in
/// the store. Returns how many files passed.
fn verify(data_dir: &Path, shared: &Chains) -> usize {
    let checked = integrity::check_data_dir(data_dir).expect("integrity_check after kill -9");
    assert_eq!(checked, 2, "the store and the directory were both checked");
    let store = Store::open(data_dir.join(integrity::STORE_FILE)).expect("open the store");
    for (doc, chain) in chains(shared).iter() {
        if chain.acked == 0 {
            continue;
        }
        let stored = store
            .load_raw(*doc)
            .expect("load")
            .unwrap_or_else(|| panic!("acknowledged document {doc} is missing after kill -9"));
        for (n, hash) in chain.changes[..chain.acked].iter().enumerate() {
            assert!(
                stored.get_change_by_hash(hash).is_some(),
                "acknowledged change {n} ({hash}) of {doc} is missing after kill -9"
            );
        }
    }
    checked
}

/// One writer for one server life: takes up its document (creates it in the first iteration of
/// a generation, else fetches it and checks every acknowledged change came back), then writes
/// rounds of two changes until the server dies, recording every head the server announces.
/// Returns the document.
async fn write(
    i: usize,
    client: Client,
    doc: Option<DocumentId>,
    shared: Chains,
    progress: tokio::sync::mpsc::UnboundedSender<usize>,
) -> DocumentId {
    let doc = match doc {
        None => {
            let doc = client
                .create(move |tx| {
                    tx.put(ROOT, "kind", "storecheck").expect("put");
                    tx.put(ROOT, "account_id", "acme").expect("put");
                    tx.put(ROOT, "writer", i as i64).expect("put");
                })
                .await;
            let first = client.view().heads(&doc);
            chains(&shared)
                .entry(doc)
                .or_default()
                .changes
                .extend(first);
            doc
        }
        Some(doc) => {
            client.subscribe(doc);
            // All the server has: everything acknowledged, and perhaps changes stored whose
            // acknowledgement the kill cut off.
            client
                .wait_for("the document from the restarted server", PATIENCE, |v| {
                    v.in_sync(&doc)
                })
                .await
                .expect("the restarted server serves the document");
            let made = chains(&shared)[&doc].changes.clone();
            let kept = client
                .read(doc, move |d| {
                    let d = d.expect("fetched");
                    made.iter()
                        .map(|h| d.get_change_by_hash(h).is_some())
                        .collect::<Vec<bool>>()
                })
                .await;
            let mut chains = chains(&shared);
            let chain = chains.get_mut(&doc).expect("chain");
            if let Some(lost) = kept[..chain.acked].iter().position(|k| !k) {
                panic!("writer {i}: acknowledged change {lost} of {doc} not served after restart");
            }
            // Changes never acknowledged may be gone; the chain goes on from what is stored.
            let mut keep = kept.into_iter();
            chain.changes.retain(|_| keep.next().unwrap_or(false));
            doc
        }
    };
    // Record every heads value the server announces for the document.
    let mut views = client.views();
    let recorder = {
        let shared = shared.clone();
        tokio::spawn(async move {
            loop {
                let server = views
                    .borrow_and_update()
                    .docs
                    .get(&doc)
                    .and_then(|d| d.server.clone());
                if let Some(heads) = server {
                    chains(&shared)
                        .get_mut(&doc)
                        .expect("chain")
                        .announced(&heads);
                }
                if views.changed().await.is_err() {
                    return;
                }
            }
        })
    };
    let mut round = 0_i64;
    loop {
        round += 1;
        // Two changes per round, the second sent before the first is acknowledged.
        for step in 0..2 {
            let heads = client
                .change(doc, move |tx| {
                    tx.put(ROOT, format!("k{round}-{step}"), round)
                        .expect("put");
                })
                .await;
            let [head] = heads[..] else {
                panic!("writer {i}: one writer per document keeps one head, got {heads:?}");
            };
            chains(&shared).entry(doc).or_default().changes.push(head);
        }
        let synced = client
            .wait_for("the server to acknowledge", ACK_PATIENCE, |v| {
                v.in_sync(&doc) || v.closed.is_some()
            })
            .await;
        match synced {
            Ok(view) if view.closed.is_none() => {
                let _ = progress.send(i);
            }
            Ok(_) => break,
            // No acknowledgement from a live server in 20 s: stop writing; the kill threshold
            // then never comes and the test fails with every writer's rounds.
            Err(e) => {
                eprintln!(
                    "writer {i} stalled: {e}; view {:?}",
                    client.view().docs.get(&doc)
                );
                break;
            }
        }
    }
    // The last announcement may have been published just before the close.
    if let Some(heads) = client.view().docs.get(&doc).and_then(|d| d.server.clone()) {
        chains(&shared)
            .get_mut(&doc)
            .expect("chain")
            .announced(&heads);
    }
    recorder.abort();
    doc
}
