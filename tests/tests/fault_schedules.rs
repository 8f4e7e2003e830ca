//! Convergence under faults across the whole stack (issue 9): seeded schedules of edits,
//! partitions, connection kills and server restarts (kill -9 and SIGTERM) against a real server
//! process, with two device clients (`SyncClient` over SQLite, one in catch-up mode and one per
//! document) and two protocol clients, each on its own loopback socket behind a fault proxy.
//! After every checkpoint and at the end, all replicas and the server hold identical heads and
//! identical contents, and every change any replica made is in them.
//!
//! - `ENLACE_FAULT_SEEDS=N`: how many seeds (default 40, what CI runs), from
//!   `ENLACE_FAULT_FIRST` (default 0).
//! - `ENLACE_FAULT_SEED=S`: replay exactly seed `S` (same steps; the network's timing differs,
//!   so a timing-dependent failure may need `ENLACE_FAULT_REPEAT=N` to run it `N` times).
//! - `ENLACE_FAULT_LANES=L`: schedules run at once, each lane its own server (default 2).
//!
//! `scripts/long/faults` runs thousands.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use enlace_tests::env_u64;
use enlace_tests::faults::runner::Lane;
use enlace_tests::faults::schedule::{Schedule, Tally};

const CI_SEEDS: u64 = 40;
const CI_LANES: u64 = 2;

/// What the lanes share: the next seed to run and what has been seen.
#[derive(Debug, Default)]
struct Progress {
    tally: Tally,
    durations: Vec<Duration>,
    failures: Vec<String>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_schedule_converges() {
    let binary = Path::new(env!("CARGO_BIN_EXE_enlace-test-server"));
    let repeat = env_u64("ENLACE_FAULT_REPEAT").unwrap_or(1).max(1);
    let (first, count) = match env_u64("ENLACE_FAULT_SEED") {
        Some(seed) => (seed, repeat),
        None => (
            env_u64("ENLACE_FAULT_FIRST").unwrap_or(0),
            env_u64("ENLACE_FAULT_SEEDS").unwrap_or(CI_SEEDS),
        ),
    };
    let single = std::env::var_os("ENLACE_FAULT_SEED").is_some();
    let end = first.saturating_add(count);
    let lanes = env_u64("ENLACE_FAULT_LANES")
        .unwrap_or(CI_LANES)
        .clamp(1, 16);
    // Progress lines for long runs: about fifty of them.
    let every = (count / 50).max(1);

    let next = Arc::new(AtomicU64::new(first));
    let progress = Arc::new(Mutex::new(Progress::default()));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..lanes.min(count) {
        let next = next.clone();
        let progress = progress.clone();
        tasks.push(tokio::spawn(async move {
            let mut lane = Lane::start(binary).await.expect("start a lane");
            loop {
                let seed = next.fetch_add(1, Ordering::Relaxed);
                if seed >= end {
                    return;
                }
                // Replaying one seed `ENLACE_FAULT_REPEAT` times.
                let seed = if single { first } else { seed };
                let schedule = Schedule::generate(seed);
                let began = Instant::now();
                let result = lane.run(&schedule).await;
                let took = began.elapsed();
                let mut p = progress.lock().expect("progress lock");
                p.tally.add(&Tally::of(&schedule));
                p.durations.push(took);
                if let Err(failed) = result {
                    let report = format!(
                        "{}\n{schedule}\nreplay: ENLACE_FAULT_SEED={seed} cargo test -p \
                         enlace-tests --test fault_schedules -- --nocapture (timing is not \
                         replayed: add ENLACE_FAULT_REPEAT=50 if it passes)",
                        chain(&failed)
                    );
                    eprintln!("FAILED {report}");
                    p.failures.push(report);
                }
                let done = p.tally.schedules;
                if done % every == 0 && count > 1 {
                    eprintln!(
                        "[faults] {done}/{count} schedules, {} divergences, {:.1} s, {:.3} s/schedule",
                        p.failures.len(),
                        started.elapsed().as_secs_f64(),
                        started.elapsed().as_secs_f64() / done as f64
                    );
                }
            }
        }));
    }
    for task in tasks {
        task.await.expect("a lane panicked");
    }
    let wall = started.elapsed();
    let p = progress.lock().expect("progress lock");
    let mut durations = p.durations.clone();
    durations.sort();
    let at = |q: f64| {
        durations
            .get(((durations.len() as f64 - 1.0) * q).round() as usize)
            .copied()
            .unwrap_or_default()
    };
    eprintln!(
        "[faults] summary: {} lanes={lanes} {} divergences={} wall={:.1}s \
         per_schedule_wall={:.3}s schedule_time p50={:.3}s p99={:.3}s max={:.3}s",
        if single {
            format!("seed {first} x{count}")
        } else {
            format!("seeds {first}..{end}")
        },
        p.tally,
        p.failures.len(),
        wall.as_secs_f64(),
        wall.as_secs_f64() / p.tally.schedules.max(1) as f64,
        at(0.5).as_secs_f64(),
        at(0.99).as_secs_f64(),
        at(1.0).as_secs_f64(),
    );
    assert!(
        p.failures.is_empty(),
        "{} of {} schedules failed:\n\n{}",
        p.failures.len(),
        p.tally.schedules,
        p.failures.join("\n\n")
    );
}

/// An error with its causes, one per line.
fn chain(error: &dyn std::error::Error) -> String {
    let mut out = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        out.push_str(&format!("\n  caused by: {cause}"));
        source = cause.source();
    }
    out
}
