//! Storage faults (issue 9, part 5), against the real server binary:
//! - a full disk: writes fail, nothing is acknowledged, the server keeps running and says why;
//!   once there is room again every change the phone kept is stored and acknowledged;
//! - a read-only data directory: the server refuses to start and names the directory;
//! - a corrupt store or directory database (garbage, truncated, one damaged page): the server
//!   refuses to start, names the file, and leaves it as it was.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use enlace_core::client::{SyncClient, SyncStatus};
use enlace_core::model::ClientVisit;
use enlace_core::store::Store;
use enlace_tests::device::{quick_config, visit};
use enlace_tests::limits::{self, Limits, LoggedServer};
use enlace_tests::process::ServerProcess;
use enlace_tests::{PATIENCE, fixture, integrity};

const LONG: Duration = Duration::from_secs(90);

fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_enlace-test-server"))
}

/// `len` characters no compressor shrinks much (a seeded xorshift over 64 symbols).
fn incompressible(len: usize) -> String {
    const SYMBOLS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from(SYMBOLS[(x % 64) as usize])
        })
        .collect()
}

fn largest_file(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .expect("read the data dir")
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .max()
        .unwrap_or(0)
}

fn http_get(addr: std::net::SocketAddr, path: &str) -> (u16, String) {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(enlace_tests::server::http_get(addr, path))
        .expect("http get")
}

#[test]
fn a_full_disk_acknowledges_nothing_and_loses_nothing() {
    let data = tempfile::tempdir().expect("data");
    let phone_dir = tempfile::tempdir().expect("phone");
    let phone = Arc::new(Store::open(phone_dir.path().join("phone.sqlite")).expect("store"));

    // A document saved while there is room.
    let server = ServerProcess::spawn(binary(), data.path(), PATIENCE);
    let addr = server.addr.to_string();
    let client = SyncClient::start(phone.clone(), quick_config(&server.url())).expect("client");
    let doc = phone.create(&visit("Visita a Viña Sur")).expect("create");
    client.wait_until_saved(doc, LONG).expect("saved");
    let saved = phone.heads(doc).expect("heads").expect("stored");
    server.kill_9();

    // The same server with every file capped just above its largest one: the next large
    // write fails with EFBIG, as it would with ENOSPC on a full disk.
    let cap = largest_file(data.path()).max(32 * 1024) + 16 * 1024;
    let args = limits::serve_args(data.path(), &addr, true);
    let full = LoggedServer::start(limits::command(
        binary(),
        Limits {
            max_file_bytes: Some(cap),
            ..Limits::default()
        },
        &args,
    ));
    full.wait_listening(PATIENCE)
        .expect("starts: reading needs no room");
    // An edit twice the size of the cap cannot be stored, whatever else is in the files (two
    // fields: each holds at most 256 KiB).
    println!("full disk: files capped at {cap} bytes");
    let half = usize::try_from(cap).expect("small");
    assert!(half <= 256 * 1024, "the cap fits a field: {cap}");
    let (notes, internal) = (incompressible(half), incompressible(half));
    phone
        .update(doc, move |v: &mut ClientVisit| {
            v.notes.splice(0, 0, &notes);
            v.internal_notes.splice(0, 0, &internal);
            Ok(())
        })
        .expect("the phone stores the edit");
    let edited = phone.heads(doc).expect("heads").expect("stored");
    assert_ne!(edited, saved);
    let failure = full
        .wait_for_line("the failed write in the server log", PATIENCE, |l| {
            l.contains("persisting changes failed") && l.contains(&doc.to_string())
        })
        .expect("the server logs why the change is not stored");
    println!("full disk, the server says: {failure}");
    let commit = full
        .wait_for_line("the failed commit", PATIENCE, |l| {
            l.contains("group commit failed")
        })
        .expect("the failed commit is logged");
    println!("full disk, the commit: {commit}");
    assert!(
        commit.contains("disk") || commit.contains("full"),
        "the error says it is the disk: {commit}"
    );
    assert_ne!(
        client.sync_status(doc).expect("status"),
        SyncStatus::SavedOnServer,
        "nothing unstored is acknowledged"
    );
    // Still serving: the health check answers and the failure is counted.
    let mut full = full;
    assert!(full.is_running(), "the server keeps running on a full disk");
    let (status, _) = http_get(full_addr(&addr), "/healthz");
    assert_eq!(status, 200);
    let (_, metrics) = http_get(full_addr(&addr), "/metrics");
    let storage_errors = metrics
        .lines()
        .find_map(|l| l.strip_prefix("enlace_errors_total{kind=\"storage\"} "))
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(0);
    assert!(storage_errors > 0, "storage errors are counted: {metrics}");
    assert_ne!(
        client.sync_status(doc).expect("status"),
        SyncStatus::SavedOnServer,
        "still nothing acknowledged after the retries"
    );
    full.kill_9();

    // What the server holds is what it acknowledged: the first version, intact.
    integrity::check_data_dir(data.path()).expect("integrity_check after the full disk");
    {
        let store = Store::open(data.path().join(integrity::STORE_FILE)).expect("open");
        assert_eq!(store.heads(doc).expect("heads"), Some(saved.clone()));
    }

    // Room again: the phone's edit, kept all along, is stored and acknowledged.
    let server = ServerProcess::spawn_on(binary(), data.path(), &addr, PATIENCE);
    client
        .wait_until_saved(doc, LONG)
        .expect("saved once there is room");
    server.kill_9();
    let store = Store::open(data.path().join(integrity::STORE_FILE)).expect("open");
    assert_eq!(store.heads(doc).expect("heads"), Some(edited));
    integrity::check_data_dir(data.path()).expect("integrity_check after the recovery");
    client.stop();
}

fn full_addr(addr: &str) -> std::net::SocketAddr {
    addr.parse().expect("address")
}

#[test]
fn a_read_only_data_directory_is_refused_by_name() {
    let root = tempfile::tempdir().expect("tmp");
    let data = root.path().join("data");
    // A data directory in use before it became read-only.
    seed_store(&data, 3);
    let before = snapshot(&data);
    set_mode(root.path(), 0o755); // the unprivileged server must reach it
    set_mode(&data, 0o555);
    let args = limits::serve_args(&data, "127.0.0.1:0", true);
    let mut server = LoggedServer::start(limits::command(
        binary(),
        Limits {
            unprivileged: true,
            ..Limits::default()
        },
        &args,
    ));
    let status = server.wait_exit(PATIENCE);
    set_mode(&data, 0o755);
    let log = server.log().join("\n");
    println!("read-only data directory, the server says: {}", last(&log));
    let status = status.expect("the server exits instead of serving");
    assert!(!status.success(), "exits non-zero: {status}\n{log}");
    assert!(
        log.contains(&format!(
            "data directory {} is not writable",
            data.display()
        )),
        "names the directory: {log}"
    );
    assert_eq!(snapshot(&data), before, "nothing in it changed");
}

/// The kinds of damage done to a database file.
#[derive(Debug, Clone, Copy)]
enum Damage {
    /// Overwritten whole with bytes that are no database.
    Garbage,
    /// Cut to half its length.
    Truncated,
    /// One b-tree page in the middle overwritten.
    Page,
}

impl Damage {
    const ALL: [Damage; 3] = [Damage::Garbage, Damage::Truncated, Damage::Page];

    fn apply(self, path: &Path) {
        integrity::checkpoint(path).expect("checkpoint before the damage");
        let mut bytes = std::fs::read(path).expect("read");
        match self {
            Damage::Garbage => {
                bytes = incompressible(bytes.len()).into_bytes();
            }
            Damage::Truncated => {
                let page = integrity::page_size(&bytes).expect("a database");
                bytes.truncate((bytes.len() / 2) / page * page);
            }
            Damage::Page => {
                let page = integrity::page_size(&bytes).expect("a database");
                let pages = integrity::btree_pages(&bytes);
                assert!(pages.len() >= 3, "a database of several pages: {pages:?}");
                let number = pages[pages.len() / 2];
                bytes[(number - 1) * page..number * page].fill(0xa5);
            }
        }
        std::fs::write(path, bytes).expect("write the damage");
    }
}

#[test]
fn a_corrupt_store_is_refused_by_name() {
    for damage in Damage::ALL {
        let root = tempfile::tempdir().expect("tmp");
        let data = root.path().join("data");
        seed_store(&data, 60);
        let file = data.join(integrity::STORE_FILE);
        damage.apply(&file);
        refused(&data, &file, true, &[], damage);
    }
}

/// Without the startup scan (`--startup-check off`) a file that is no database at all is still
/// refused by name when it is opened.
#[test]
fn without_the_startup_scan_a_garbage_store_is_still_refused_by_name() {
    let root = tempfile::tempdir().expect("tmp");
    let data = root.path().join("data");
    seed_store(&data, 3);
    let file = data.join(integrity::STORE_FILE);
    Damage::Garbage.apply(&file);
    let log = refused(
        &data,
        &file,
        true,
        &["--startup-check", "off"],
        Damage::Garbage,
    );
    assert!(
        log.contains("startup check off"),
        "the scan was skipped: {log}"
    );
    assert!(
        !log.contains("quick_check"),
        "refused by the open, not the scan: {log}"
    );
}

#[test]
fn a_corrupt_directory_is_refused_by_name() {
    for damage in Damage::ALL {
        let root = tempfile::tempdir().expect("tmp");
        let data = root.path().join("data");
        fixture::seed(&data);
        seed_store(&data, 3);
        let file = data.join(enlace_server::directory::DIRECTORY_FILE);
        damage.apply(&file);
        refused(&data, &file, false, &[], damage);
    }
}

/// Starts the server on `data` (open, or authenticated so that it reads its directory) with
/// `extra` flags and checks it exits non-zero naming `file`, which it left as it was. Returns
/// the server's log.
fn refused(data: &Path, file: &Path, open: bool, extra: &[&str], damage: Damage) -> String {
    let before = std::fs::read(file).expect("read");
    let mut args = limits::serve_args(data, "127.0.0.1:0", open);
    args.extend(extra.iter().map(std::ffi::OsStr::new));
    let mut server = LoggedServer::start(limits::command(binary(), Limits::default(), &args));
    let status = server.wait_exit(PATIENCE);
    let log = server.log().join("\n");
    println!("{damage:?} {}: {}", file.display(), last(&log));
    let status = status.unwrap_or_else(|| panic!("{damage:?}: the server serves: {log}"));
    assert!(!status.success(), "{damage:?}: exits non-zero\n{log}");
    assert!(
        log.contains(&file.display().to_string()),
        "{damage:?}: the error names {}: {log}",
        file.display()
    );
    assert!(
        std::fs::read(file).expect("read") == before,
        "{damage:?}: the damaged file is left as it was, for recovery"
    );
    log
}

/// A store in `data` holding `notes` visits with a page or so of notes each.
fn seed_store(data: &Path, notes: usize) {
    std::fs::create_dir_all(data).expect("data dir");
    let store = Store::open(data.join(integrity::STORE_FILE)).expect("store");
    for i in 0..notes {
        let id = store
            .create(&visit(&format!("Visita {i}")))
            .expect("create");
        store
            .update(id, |v: &mut ClientVisit| {
                v.notes.splice(0, 0, incompressible(3000));
                Ok(())
            })
            .expect("notes");
    }
}

/// Every file of `dir` with its bytes.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| {
            let path = e.expect("entry").path();
            let bytes = std::fs::read(&path).expect("read");
            (path, bytes)
        })
        .collect();
    files.sort();
    files
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// The last line of a log (where the server's final error is).
fn last(log: &str) -> &str {
    log.lines().last().unwrap_or("")
}
