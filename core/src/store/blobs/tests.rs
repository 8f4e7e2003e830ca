//! The device side of photos without a server: attach, refusals that leave nothing behind,
//! a queue that survives reopening, and a cache that never evicts what the server lacks.

use std::path::Path;

use sha2::{Digest, Sha256};

use super::*;
use crate::model::PhotoKind;
use crate::model::storecheck::{StoreSnapshot, Storecheck, StorecheckEdit};

fn jpeg(seed: u8, len: usize) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
    bytes.extend((0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)));
    bytes
}

fn photo(id: &str) -> NewPhoto {
    NewPhoto {
        id: id.parse().expect("id"),
        width: 3024,
        height: 4032,
        taken_at: None,
        geo: None,
        kind: PhotoKind::Shelf,
        caption: "Góndola".into(),
    }
}

fn storecheck(store: &Store) -> DocumentId {
    let check = Storecheck::new(
        DocumentId::new_random(),
        "acme".parse().expect("id"),
        "ae".parse().expect("id"),
        Instant::new(1_780_000_000_000, "America/Santiago").expect("instant"),
        StoreSnapshot {
            id: "store-1".parse().expect("id"),
            code: "J-101".into(),
            name: "Jumbo Costanera".into(),
            chain: "Jumbo".into(),
            format: "hiper".into(),
        },
        "2026-12",
    );
    store.create(&check).expect("create")
}

fn attach(store: &Store, doc: DocumentId, id: &str, bytes: &[u8]) -> Result<PhotoRef, StoreError> {
    store.attach_photo::<Storecheck>(doc, &mut &bytes[..], photo(id), |photo| {
        StorecheckEdit::AddPhoto { photo, line: None }
    })
}

fn files(dir: &Path) -> usize {
    std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0)
}

fn blob_dir(path: &Path) -> PathBuf {
    let mut dir = path.as_os_str().to_owned();
    dir.push(".blobs");
    dir.into()
}

#[test]
fn an_attached_photo_is_kept_queued_and_named_by_the_document_in_one_call() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("phone.sqlite");
    let store = Store::open(&path).expect("open");
    let doc = storecheck(&store);
    let bytes = jpeg(1, 500_000);
    let reference = attach(&store, doc, "ph-1", &bytes).expect("attach");

    let expected = BlobHash::of_digest(&Sha256::digest(&bytes));
    assert_eq!(reference.sha256, expected.as_str());
    assert_eq!(
        (reference.mime.as_str(), reference.bytes),
        ("image/jpeg", bytes.len() as u64)
    );
    let stored = store.get::<Storecheck>(doc).expect("get");
    assert_eq!(stored.photos.get("ph-1"), Some(&reference));
    assert_eq!(
        store.photo_status(&expected).expect("status"),
        PhotoStatus::OnlyOnThisPhone
    );
    let local = store
        .local_photo(&expected)
        .expect("local")
        .expect("on the phone");
    assert_eq!(std::fs::read(local).expect("read"), bytes);
    assert_eq!(
        store.pending_photos().expect("pending"),
        (1, bytes.len() as u64)
    );
    drop(store);

    // The queue is in the store: reopened, the photo still waits.
    let store = Store::open(&path).expect("reopen");
    assert_eq!(
        store.pending_photos().expect("pending"),
        (1, bytes.len() as u64)
    );
    let (next, _) = store.next_uploads(now_ms(), 4).expect("next");
    assert_eq!(
        next.into_iter().map(|p| p.hash).collect::<Vec<_>>(),
        vec![expected]
    );
}

#[test]
fn refused_photos_leave_nothing_behind() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("phone.sqlite");
    let store = Store::open(&path).expect("open");
    let doc = storecheck(&store);
    let before = store.get::<Storecheck>(doc).expect("get");

    let pdf = attach(&store, doc, "ph-1", b"%PDF-1.7 not a photo");
    assert!(
        matches!(pdf, Err(StoreError::Blob(ref b)) if matches!(**b, BlobError::NotAnImage)),
        "{pdf:?}"
    );
    let empty = attach(&store, doc, "ph-1", b"");
    assert!(
        matches!(empty, Err(StoreError::Blob(ref b)) if matches!(**b, BlobError::Size { .. })),
        "{empty:?}"
    );
    let missing = attach(&store, DocumentId::new_random(), "ph-1", &jpeg(2, 1000));
    assert!(
        matches!(missing, Err(StoreError::NotFound(_))),
        "{missing:?}"
    );
    let mut long = photo("ph-1");
    long.caption = "x".repeat(100_000);
    let bytes = jpeg(3, 1000);
    let bad = store.attach_photo::<Storecheck>(doc, &mut &bytes[..], long, |photo| {
        StorecheckEdit::AddPhoto { photo, line: None }
    });
    assert!(matches!(bad, Err(StoreError::InvalidValue(_))), "{bad:?}");

    assert_eq!(store.get::<Storecheck>(doc).expect("get"), before);
    assert_eq!(files(&blob_dir(&path)), 0, "no blob file kept");
    assert_eq!(store.pending_photos().expect("pending"), (0, 0));

    let memory = Store::open_in_memory().expect("memory");
    let doc = storecheck(&memory);
    let result = attach(&memory, doc, "ph-1", &jpeg(4, 100));
    assert!(
        matches!(result, Err(StoreError::Blob(ref b)) if matches!(**b, BlobError::NoBlobDirectory))
    );
}

#[test]
fn the_cache_evicts_only_what_the_server_holds_least_recently_used_first() {
    let dir = tempfile::tempdir().expect("dir");
    let store = Store::open(dir.path().join("phone.sqlite")).expect("open");
    let doc = storecheck(&store);
    let taken: Vec<PhotoRef> = (0..3)
        .map(|i| attach(&store, doc, &format!("ph-{i}"), &jpeg(i, 10_000)).expect("attach"))
        .collect();
    let hash = |p: &PhotoRef| BlobHash::parse(&p.sha256).expect("hash");

    // Nothing uploaded: a budget of zero evicts nothing.
    store.set_photo_cache_budget(0).expect("budget");
    for p in &taken {
        assert!(store.local_photo(&hash(p)).expect("local").is_some());
    }
    // Two uploaded; the older-used one goes first once they exceed the budget.
    store.set_photo_cache_budget(15_000).expect("budget");
    store.upload_done(&hash(&taken[0])).expect("done");
    std::thread::sleep(std::time::Duration::from_millis(5));
    assert!(
        store
            .local_photo(&hash(&taken[1]))
            .expect("local")
            .is_some(),
        "used last"
    );
    store.upload_done(&hash(&taken[1])).expect("done");
    assert_eq!(
        store.local_photo(&hash(&taken[0])).expect("local"),
        None,
        "evicted"
    );
    assert!(
        store
            .local_photo(&hash(&taken[1]))
            .expect("local")
            .is_some()
    );
    assert!(
        store
            .local_photo(&hash(&taken[2]))
            .expect("local")
            .is_some(),
        "not uploaded"
    );
    assert_eq!(
        store.photo_status(&hash(&taken[0])).expect("status"),
        PhotoStatus::Elsewhere
    );
    assert_eq!(
        store.photo_status(&hash(&taken[1])).expect("status"),
        PhotoStatus::OnServer
    );
}
