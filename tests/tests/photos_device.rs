//! Photos end to end through the device client: a storecheck with 20 photos made offline
//! uploads once the phone is online, a teammate's phone downloads every photo (hashes checked)
//! and nobody else's can; an upload cut by a kill -9 of the server, or of the phone's own
//! process, resumes from the server's offset and is never sent again from zero.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant as StdInstant};

use enlace_core::DocumentId;
use enlace_core::client::{ClientConfig, ClientError, DownloadError, SyncClient};
use enlace_core::model::storecheck::StorecheckEdit;
use enlace_core::model::{PhotoKind, Storecheck};
use enlace_core::store::{BlobHash, NewPhoto, PhotoStatus, Store};
use enlace_tests::PATIENCE;
use enlace_tests::blobs::{jpeg, jpeg_like, sha256_hex};
use enlace_tests::fixture;
use enlace_tests::process::ServerProcess;
use enlace_tests::throttle::Throttle;

const LONG: Duration = Duration::from_secs(120);
/// A large photo: several `PATCH`es of the uploader's 4 MiB.
const BIG: usize = 14 * 1024 * 1024;
/// How fast the throttled phone sends: slow enough to act mid-upload.
const SLOW: u64 = 4 * 1024 * 1024;

fn server_binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_enlace-test-server"))
}

fn phone_binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_enlace-test-phone"))
}

struct Phone {
    _dir: tempfile::TempDir,
    store: Arc<Store>,
    client: Option<SyncClient>,
}

fn config(url: &str, token: &str) -> ClientConfig {
    let mut config = ClientConfig::new(url).with_token(token);
    config.backoff_initial = Duration::from_millis(50);
    config.backoff_max = Duration::from_millis(400);
    config
}

fn offline_phone() -> Phone {
    let dir = tempfile::tempdir().expect("dir");
    let store = Arc::new(Store::open(dir.path().join("phone.sqlite")).expect("store"));
    Phone {
        _dir: dir,
        store,
        client: None,
    }
}

impl Phone {
    fn online(&mut self, config: ClientConfig) -> &SyncClient {
        let client = SyncClient::start(self.store.clone(), config).expect("client");
        self.client.insert(client)
    }

    fn client(&self) -> &SyncClient {
        self.client.as_ref().expect("online")
    }

    fn wait(&self, what: &str, mut done: impl FnMut() -> bool) {
        let deadline = StdInstant::now() + LONG;
        while !done() {
            assert!(StdInstant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn storecheck(store: &Store) -> DocumentId {
    store
        .create(&enlace_tests::blobs::storecheck("acme", "ae"))
        .expect("create")
}

fn new_photo(id: &str) -> NewPhoto {
    NewPhoto {
        id: id.parse().expect("id"),
        width: 1600,
        height: 1200,
        taken_at: None,
        geo: None,
        kind: PhotoKind::Shelf,
        caption: format!("Góndola {id}"),
    }
}

fn attach(store: &Store, doc: DocumentId, id: &str, bytes: &[u8]) -> BlobHash {
    let photo = store
        .attach_photo::<Storecheck>(doc, &mut &bytes[..], new_photo(id), |photo| {
            StorecheckEdit::AddPhoto { photo, line: None }
        })
        .expect("attach");
    BlobHash::parse(&photo.sha256).expect("hash")
}

#[test]
fn a_storecheck_with_20_photos_made_offline_reaches_a_teammate_and_nobody_else() {
    let data = tempfile::tempdir().expect("data");
    let agency = fixture::seed(data.path());
    let server = ServerProcess::spawn_authenticated(server_binary(), data.path(), &[], PATIENCE);

    // Offline: the storecheck and its photos, two real JPEGs and 18 of shelf-photo size.
    let mut ae = offline_phone();
    let doc = storecheck(&ae.store);
    let mut photos: BTreeMap<BlobHash, Vec<u8>> = BTreeMap::new();
    for i in 0..20u8 {
        let bytes = if i < 2 {
            jpeg(640, 480, i + 1)
        } else {
            jpeg_like(300_000 + usize::from(i) * 20_000, u64::from(i))
        };
        photos.insert(attach(&ae.store, doc, &format!("ph-{i}"), &bytes), bytes);
    }
    for hash in photos.keys() {
        assert_eq!(
            ae.store.photo_status(hash).expect("status"),
            PhotoStatus::OnlyOnThisPhone
        );
    }
    assert_eq!(ae.store.pending_photos().expect("pending").0, 20);

    // Online: everything uploads, and the storecheck reaches the server.
    ae.online(config(&server.url(), agency.token("ae")));
    ae.wait("every photo on the server", || {
        photos.keys().all(|h| {
            ae.store
                .photo_status(h)
                .is_ok_and(|s| s == PhotoStatus::OnServer)
        })
    });
    ae.client().wait_until_saved(doc, LONG).expect("saved");
    assert_eq!(ae.store.pending_photos().expect("pending"), (0, 0));

    // A teammate's phone gets the storecheck and downloads every photo, verified.
    let mut mate = offline_phone();
    mate.online(config(&server.url(), agency.token("mate")));
    mate.client().subscribe(doc).expect("subscribe");
    mate.wait("the storecheck", || {
        mate.store
            .get::<Storecheck>(doc)
            .is_ok_and(|s| s.photos.len() == 20)
    });
    for (hash, bytes) in &photos {
        assert_eq!(
            mate.store.photo_status(hash).expect("status"),
            PhotoStatus::Elsewhere
        );
        let path = mate.client().photo_path(hash, LONG).expect("download");
        let got = std::fs::read(&path).expect("read");
        assert_eq!(sha256_hex(&got), hash.as_str());
        assert_eq!(&got, bytes);
        // Cached: the second read is local.
        assert_eq!(mate.store.local_photo(hash).expect("local"), Some(path));
    }

    // Another organisation's phone, and a user off the account: not found, nothing kept.
    for user in ["foreigner", "outsider"] {
        let mut other = offline_phone();
        other.online(config(&server.url(), agency.token(user)));
        let hash = photos.keys().next().expect("a photo");
        let result = other.client().photo_path(hash, LONG);
        assert!(
            matches!(
                result,
                Err(ClientError::Download(DownloadError::NotFound(_)))
            ),
            "{user}: {result:?}"
        );
        assert_eq!(other.store.local_photo(hash).expect("local"), None);
    }
}

/// Polls `status` until the photo is on the server, failing if the server's offset ever goes
/// below `floor` (the upload restarted from zero).
fn on_server_without_going_back(status: impl Fn() -> PhotoStatus, floor: u64, what: &str) {
    let deadline = StdInstant::now() + LONG;
    loop {
        match status() {
            PhotoStatus::OnServer => return,
            PhotoStatus::Uploading { sent, .. } => {
                assert!(
                    sent >= floor,
                    "{what}: the upload went back to {sent} from {floor}"
                )
            }
            PhotoStatus::OnlyOnThisPhone => {}
            other => panic!("{what}: {other:?}"),
        }
        assert!(StdInstant::now() < deadline, "{what}: never on the server");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Waits until the upload is under way with at least one `PATCH` recorded; returns the offset.
fn mid_upload(status: impl Fn() -> PhotoStatus) -> u64 {
    let deadline = StdInstant::now() + LONG;
    loop {
        match status() {
            PhotoStatus::Uploading { sent, total } if sent > 0 => {
                assert!(sent < total, "caught mid-upload");
                return sent;
            }
            PhotoStatus::OnServer => panic!("the upload finished before the test could cut it"),
            _ => {}
        }
        assert!(StdInstant::now() < deadline, "the upload never started");
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_cut_by_a_server_kill_resumes_from_the_servers_offset() {
    let data = tempfile::tempdir().expect("data");
    let agency = fixture::seed(data.path());
    let server = ServerProcess::spawn_authenticated(server_binary(), data.path(), &[], PATIENCE);
    let addr = server.addr;
    let throttle = Throttle::start(addr, SLOW).await;

    let mut phone = offline_phone();
    let doc = storecheck(&phone.store);
    let bytes = jpeg_like(BIG, 7);
    let hash = attach(&phone.store, doc, "ph-big", &bytes);
    let mut config = config(&server.url(), agency.token("ae"));
    config.api_url = Some(throttle.url());
    phone.online(config);

    let store = phone.store.clone();
    let status = move || store.photo_status(&hash).expect("status");
    let floor = tokio::task::block_in_place(|| mid_upload(&status));
    server.kill_9();
    let _restarted = ServerProcess::spawn_authenticated_on(
        server_binary(),
        data.path(),
        &addr.to_string(),
        &[],
        PATIENCE,
    );
    tokio::task::block_in_place(|| {
        on_server_without_going_back(&status, floor, "after the server's restart")
    });
}

fn spawn_phone(store: &Path, url: &str, api: &str, token: &str, attach: Option<&Path>) -> Child {
    let mut command = Command::new(phone_binary());
    command
        .args(["--store"])
        .arg(store)
        .args(["--url", url, "--api", api, "--token", token])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if let Some(photo) = attach {
        command
            .arg("--attach")
            .arg(photo)
            .args(["--account", "acme"]);
    }
    command.spawn().expect("start the phone process")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_cut_by_a_kill_of_the_phone_resumes_from_the_servers_offset() {
    let data = tempfile::tempdir().expect("data");
    let agency = fixture::seed(data.path());
    let server = ServerProcess::spawn_authenticated(server_binary(), data.path(), &[], PATIENCE);
    let throttle = Throttle::start(server.addr, SLOW).await;
    let phone_dir = tempfile::tempdir().expect("phone");
    let store_path = phone_dir.path().join("phone.sqlite");
    let photo_file = phone_dir.path().join("IMG_0001.jpg");
    let bytes = jpeg_like(BIG, 11);
    std::fs::write(&photo_file, &bytes).expect("the camera's file");
    let hash = BlobHash::parse(&sha256_hex(&bytes)).expect("hash");

    let url = server.url();
    let token = agency.token("ae").to_owned();
    let mut first = spawn_phone(
        &store_path,
        &url,
        &throttle.url(),
        &token,
        Some(&photo_file),
    );
    // Once the phone says the photo is in its store, the test reads that store from outside,
    // as another process would (opening it earlier would race the phone's first writes).
    let stdout = first.stdout.take().expect("piped stdout");
    let line = tokio::task::block_in_place(|| {
        let mut line = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line)
            .expect("the phone's output");
        line
    });
    assert!(
        line.starts_with("attached ") && line.trim_end().ends_with(hash.as_str()),
        "{line}"
    );
    let watched = Store::open(&store_path).expect("the phone's store");
    let status = || watched.photo_status(&hash).expect("status");
    let floor = tokio::task::block_in_place(|| mid_upload(status));
    first.kill().expect("kill -9 the phone");
    first.wait().expect("reaped");

    let mut second = spawn_phone(&store_path, &url, &throttle.url(), &token, None);
    tokio::task::block_in_place(|| {
        on_server_without_going_back(status, floor, "after the phone's restart")
    });
    second.kill().expect("stop the phone");
    second.wait().expect("reaped");

    // The bytes on the server are the photo's.
    let got = enlace_tests::blobs::get(
        server.addr,
        &format!("/v1/blobs/{hash}"),
        Some(agency.token("ae")),
        &[],
    )
    .await;
    assert_eq!(got.status, 200);
    assert_eq!(sha256_hex(&got.body), hash.as_str());
}
