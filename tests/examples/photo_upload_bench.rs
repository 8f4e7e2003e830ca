//! Photo upload throughput of the device client over loopback, against writing the same bytes
//! with an fsync per photo to the same disk (the median of three runs), the CPU both processes
//! spent, and the phone's peak RSS while uploading.
//!
//! `cargo run --release -p enlace-tests --example photo_upload_bench [-- PHOTOS KB]` (defaults:
//! 100 photos of 500 KB). The server runs as a separate process. Prints figures; asserts
//! nothing about time.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant as StdInstant};

use enlace_core::client::{ClientConfig, SyncClient};
use enlace_core::model::storecheck::StorecheckEdit;
use enlace_core::model::{PhotoKind, Storecheck};
use enlace_core::store::{BlobHash, NewPhoto, PhotoStatus, Store};
use enlace_tests::blobs::jpeg_like;
use enlace_tests::fixture;
use enlace_tests::process::ServerProcess;

const PATIENCE: Duration = Duration::from_secs(600);

fn binary() -> PathBuf {
    let mut exe = std::env::current_exe().expect("current exe");
    exe.pop();
    if exe.ends_with("examples") {
        exe.pop();
    }
    exe.join("enlace-test-server")
}

/// This process's resident set now and at its peak since the last reset, in KiB.
fn rss_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// CPU time (user + system, all threads) of process `pid` so far, in ms (10 ms ticks).
fn cpu_ms(pid: &str) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command name (which is in parentheses and may hold spaces).
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    (ticks(11) + ticks(12)) * 10
}

/// Resets the kernel's peak-RSS mark for this process (Linux: `clear_refs` 5).
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Writes each photo to its own file in `dir` with an fsync, as the baseline; returns the time.
fn fsync_baseline(dir: &Path, photos: &[Vec<u8>]) -> Duration {
    std::fs::create_dir_all(dir).expect("dir");
    let start = StdInstant::now();
    for (i, bytes) in photos.iter().enumerate() {
        let mut file = std::fs::File::create(dir.join(format!("photo-{i}"))).expect("create");
        file.write_all(bytes).expect("write");
        file.sync_all().expect("fsync");
    }
    start.elapsed()
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let count = args.first().copied().unwrap_or(100);
    let kb = args.get(1).copied().unwrap_or(500);
    let photos: Vec<Vec<u8>> = (0..count)
        .map(|i| jpeg_like(kb * 1000, i as u64 + 1))
        .collect();
    let total: usize = photos.iter().map(Vec::len).sum();

    let work = tempfile::tempdir_in(".").expect("a directory on this disk");
    let data = work.path().join("server");
    let agency = fixture::seed(&data);
    let mut server = ServerProcess::spawn_authenticated(&binary(), &data, &[], PATIENCE);

    let store = Arc::new(Store::open(work.path().join("phone.sqlite")).expect("store"));
    let doc = store
        .create(&enlace_tests::blobs::storecheck("acme", "ae"))
        .expect("create");
    let attach_start = StdInstant::now();
    let hashes: Vec<BlobHash> = photos
        .iter()
        .enumerate()
        .map(|(i, bytes)| {
            let photo = NewPhoto {
                id: format!("ph-{i}").parse().expect("id"),
                width: 1600,
                height: 1200,
                taken_at: None,
                geo: None,
                kind: PhotoKind::Shelf,
                caption: String::new(),
            };
            let reference = store
                .attach_photo::<Storecheck>(doc, &mut &bytes[..], photo, |photo| {
                    StorecheckEdit::AddPhoto { photo, line: None }
                })
                .expect("attach");
            BlobHash::parse(&reference.sha256).expect("hash")
        })
        .collect();
    let attach_time = attach_start.elapsed();
    drop(photos);

    let baseline_before = {
        let photos: Vec<Vec<u8>> = (0..count)
            .map(|i| jpeg_like(kb * 1000, i as u64 + 1))
            .collect();
        fsync_baseline(&work.path().join("baseline-0"), &photos)
    };
    let (rss_before, _) = rss_kib();
    reset_peak();
    let server_pid = server.child().id().to_string();
    let cpu_before = (cpu_ms("self"), cpu_ms(&server_pid));
    let start = StdInstant::now();
    let mut config = ClientConfig::new(server.url()).with_token(agency.token("ae"));
    config.backoff_initial = Duration::from_millis(50);
    let client = SyncClient::start(store.clone(), config).expect("client");
    // One query per wake-up (asking each photo's status would cost the phone more than the
    // upload), and each photo's status checked once at the end.
    client
        .wait_for(PATIENCE, || {
            store.pending_photos().is_ok_and(|(photos, _)| photos == 0)
        })
        .expect("every photo uploaded");
    let upload_time = start.elapsed();
    for hash in &hashes {
        assert_eq!(
            store.photo_status(hash).expect("status"),
            PhotoStatus::OnServer,
            "{hash} is on the server"
        );
    }
    let cpu = (
        cpu_ms("self") - cpu_before.0,
        cpu_ms(&server_pid) - cpu_before.1,
    );
    let (_, peak) = rss_kib();
    client.stop();

    // The disk's fsync time moves a lot from one moment to the next on a shared machine: the
    // baseline is the median of three runs, one before the upload and two after.
    let photos: Vec<Vec<u8>> = (0..count)
        .map(|i| jpeg_like(kb * 1000, i as u64 + 1))
        .collect();
    let mut baselines = vec![baseline_before];
    for round in 1..3 {
        baselines.push(fsync_baseline(
            &work.path().join(format!("baseline-{round}")),
            &photos,
        ));
    }
    baselines.sort();
    let baseline = baselines[1];

    let mb = total as f64 / 1e6;
    let rate = |d: Duration| mb / d.as_secs_f64();
    println!("photos: {count} x {kb} KB = {mb:.1} MB");
    println!(
        "attach (copy + hash + fsync + document edit): {:.0} ms",
        attach_time.as_secs_f64() * 1e3
    );
    println!(
        "upload over loopback: {:.0} ms, {:.1} MB/s",
        upload_time.as_secs_f64() * 1e3,
        rate(upload_time)
    );
    println!(
        "write with fsync per photo (median of {:?} ms): {:.0} ms, {:.1} MB/s",
        baselines
            .iter()
            .map(Duration::as_millis)
            .collect::<Vec<_>>(),
        baseline.as_secs_f64() * 1e3,
        rate(baseline)
    );
    println!(
        "upload / fsync baseline: {:.0} %",
        100.0 * rate(upload_time) / rate(baseline)
    );
    println!(
        "CPU during the upload: phone {} ms, server {} ms",
        cpu.0, cpu.1
    );
    println!(
        "phone RSS before upload: {rss_before} KiB; peak during upload: {peak} KiB (+{} KiB)",
        peak.saturating_sub(rss_before)
    );
}
