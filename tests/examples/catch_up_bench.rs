//! Reconnect cost of a phone holding many documents, with catch-up and with plain per-document
//! sync as a stock automerge-repo client does it: time and bytes until the phone holds every
//! change made elsewhere while it was away.
//!
//! `cargo run --release -p enlace-tests --example catch_up_bench [-- DOCS PERCENT_CHANGED]`
//! (defaults: 10000 documents, 1% changed). Prints a table; asserts nothing about time.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant as StdInstant};

use enlace_core::DocumentId;
use enlace_core::client::{ClientConfig, SyncClient, SyncMode, Traffic};
use enlace_core::model::action_item::{Source, SourceKind};
use enlace_core::model::{ActionItem, Instant};
use enlace_core::store::Store;
use enlace_tests::process::ServerProcess;

const PATIENCE: Duration = Duration::from_secs(600);

fn binary() -> PathBuf {
    // The server binary built next to this example (`cargo run --example` builds the crate's
    // binaries too).
    let mut exe = std::env::current_exe().expect("current exe");
    exe.pop();
    if exe.ends_with("examples") {
        exe.pop();
    }
    exe.join("enlace-test-server")
}

fn config(url: &str, mode: SyncMode) -> ClientConfig {
    let mut config = ClientConfig::new(url);
    config.mode = mode;
    config.backoff_initial = Duration::from_millis(50);
    config
}

fn action_item(i: usize) -> ActionItem {
    let mut item = ActionItem::new(
        DocumentId::new_random(),
        "user-ana".parse().expect("id"),
        Instant::new(1_700_000_000_000, "America/Santiago").expect("instant"),
        Source {
            kind: SourceKind::Manual,
            doc_id: None,
        },
        format!("Enviar propuesta de POP #{i}"),
        "user-ana".parse().expect("id"),
    );
    item.account_id = Some("acc-vina-sur".parse().expect("id"));
    item
}

/// Waits until `done` holds and the client's traffic has been still for a moment; returns the
/// time from `start` to the last frame and the traffic.
fn settle(
    client: &SyncClient,
    start: StdInstant,
    mut done: impl FnMut() -> bool,
) -> (Duration, Traffic) {
    client.wait_for(PATIENCE, &mut done).expect("converged");
    let mut last = client.traffic();
    let mut last_change = StdInstant::now();
    loop {
        // Traffic counters have no notification of their own: sample until quiet for 500 ms.
        std::thread::sleep(Duration::from_millis(50));
        let now = client.traffic();
        if now != last {
            last = now;
            last_change = StdInstant::now();
        } else if last_change.elapsed() > Duration::from_millis(500) {
            return (last_change - start, last);
        }
    }
}

fn copy_store(from: &Path, to: &Path) {
    std::fs::copy(from, to).expect("copy the phone's database");
}

fn main() {
    let mut args = std::env::args().skip(1);
    let docs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let percent: f64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1.0);
    let changed = ((docs as f64) * percent / 100.0).round().max(1.0) as usize;
    let work = tempfile::tempdir().expect("dir");
    let data = work.path().join("server");
    std::fs::create_dir_all(&data).expect("dir");
    let server = ServerProcess::spawn(&binary(), &data, PATIENCE);
    let url = server.url();

    // A phone creates the documents and syncs them all.
    let phone_path = work.path().join("phone.sqlite");
    let ids: Vec<DocumentId> = {
        let store = Arc::new(Store::open(&phone_path).expect("store"));
        let started = StdInstant::now();
        let ids: Vec<DocumentId> = (0..docs)
            .map(|i| store.create(&action_item(i)).expect("create"))
            .collect();
        eprintln!("created {docs} documents in {:.1?}", started.elapsed());
        let client =
            SyncClient::start(store.clone(), config(&url, SyncMode::CatchUp)).expect("client");
        let started = StdInstant::now();
        client
            .wait_for(PATIENCE, || client.pending_count().is_ok_and(|n| n == 0))
            .expect("initial upload");
        eprintln!("uploaded them in {:.1?}", started.elapsed());
        // Refresh the cursor so the phone's next catch-up starts from here.
        client.stop();
        let client =
            SyncClient::start(store.clone(), config(&url, SyncMode::CatchUp)).expect("client");
        client
            .wait_for(PATIENCE, || client.is_caught_up())
            .expect("cursor");
        client.stop();
        ids
    };
    let catch_up_path = work.path().join("phone-catch-up.sqlite");
    let per_doc_path = work.path().join("phone-per-document.sqlite");
    copy_store(&phone_path, &catch_up_path);
    copy_store(&phone_path, &per_doc_path);

    // A teammate changes some of them while the phone is away.
    let edited: Vec<DocumentId> = ids
        .iter()
        .step_by(docs / changed)
        .take(changed)
        .copied()
        .collect();
    {
        let store = Arc::new(Store::open(work.path().join("teammate.sqlite")).expect("store"));
        let client =
            SyncClient::start(store.clone(), config(&url, SyncMode::CatchUp)).expect("client");
        for doc in &edited {
            client.subscribe(*doc).expect("subscribe");
        }
        client
            .wait_for(PATIENCE, || {
                edited
                    .iter()
                    .all(|d| store.heads(*d).is_ok_and(|h| h.is_some()))
            })
            .expect("teammate fetched");
        for doc in &edited {
            store
                .update(*doc, |a: &mut ActionItem| {
                    a.title = format!("{} (revisado)", a.title);
                    Ok(())
                })
                .expect("edit");
        }
        client
            .wait_for(PATIENCE, || client.pending_count().is_ok_and(|n| n == 0))
            .expect("teammate saved");
        let expected: Vec<_> = edited
            .iter()
            .map(|d| store.heads(*d).expect("heads"))
            .collect();

        println!("# enlace reconnect: {docs} documents on the phone, {changed} changed elsewhere");
        println!("| mode | reconnect time | frames in/out | bytes in | bytes out | bytes total |");
        println!("|---|---:|---:|---:|---:|---:|");
        let mut results = Vec::new();
        for (mode, path) in [
            (SyncMode::CatchUp, &catch_up_path),
            (SyncMode::PerDocument, &per_doc_path),
        ] {
            let phone = Arc::new(Store::open(path).expect("store"));
            let start = StdInstant::now();
            let client = SyncClient::start(phone.clone(), config(&url, mode)).expect("client");
            let (time, traffic) = settle(&client, start, || {
                edited
                    .iter()
                    .zip(&expected)
                    .all(|(d, h)| phone.heads(*d).ok().as_ref() == Some(h))
            });
            client.stop();
            println!(
                "| {mode:?} | {:.0} ms | {}/{} | {} | {} | {} |",
                time.as_secs_f64() * 1000.0,
                traffic.frames_in,
                traffic.frames_out,
                traffic.bytes_in,
                traffic.bytes_out,
                traffic.bytes_in + traffic.bytes_out
            );
            results.push((time, traffic.bytes_in + traffic.bytes_out));
        }
        if let [(t1, b1), (t2, b2)] = results[..] {
            println!(
                "\ncatch-up: {:.1}x fewer bytes, {:.1}x less time",
                b2 as f64 / b1.max(1) as f64,
                t2.as_secs_f64() / t1.as_secs_f64().max(1e-9)
            );
        }
        client.stop();
    }
    drop(server);
}
