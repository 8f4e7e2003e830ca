//! Garbage collection of blobs (`enlace-server admin gc-blobs`): a blob no document references
//! is removed once past the grace period, a referenced one is kept, and within the grace period
//! nothing is removed.

use std::path::Path;
use std::time::{Duration, Instant};

use enlace_tests::PATIENCE;
use enlace_tests::blobs::{self, Phone, blob_path};
use enlace_tests::fixture;
use enlace_tests::process::{ServerProcess, admin};

fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_enlace-test-server"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gc_removes_unreferenced_blobs_past_the_grace_and_keeps_referenced_ones() {
    let dir = tempfile::tempdir().expect("dir");
    let agency = fixture::seed(dir.path());
    let server = ServerProcess::spawn_authenticated(binary(), dir.path(), &[], PATIENCE);
    let (addr, token) = (server.addr, agency.token("mate"));
    let kept = blobs::jpeg(60, 40, 1);
    let kept_sha = blobs::upload(addr, token, &kept).await;
    let dropped = blobs::jpeg(60, 40, 2);
    let dropped_sha = blobs::upload(addr, token, &dropped).await;
    let thumb = blobs::get(
        addr,
        &format!("{}/thumbnail", blob_path(&dropped_sha)),
        Some(token),
        &[],
    )
    .await;
    assert_eq!(thumb.status, 200);
    let phone = Phone::start(&server.url(), token);
    phone.storecheck_with_photos("acme", "mate", &[(&kept_sha, kept.len() as u64)]);
    // The reference reaches the index a moment after the document is saved.
    let deadline = Instant::now() + PATIENCE;
    while blobs::get(addr, &blob_path(&kept_sha), Some(agency.token("jr")), &[])
        .await
        .status
        != 200
    {
        assert!(
            Instant::now() < deadline,
            "the reference never reached the index"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let within = admin(binary(), dir.path(), &["gc-blobs"]);
    assert_eq!(within["removed"], serde_json::json!([]), "{within}");

    let report = admin(binary(), dir.path(), &["gc-blobs", "--grace-days", "0"]);
    assert_eq!(
        report["removed"],
        serde_json::json!([{"sha256": dropped_sha, "bytes": dropped.len()}]),
        "{report}"
    );
    assert_eq!(
        blobs::get(addr, &blob_path(&dropped_sha), Some(token), &[])
            .await
            .status,
        404
    );
    let still = blobs::get(addr, &blob_path(&kept_sha), Some(token), &[]).await;
    assert_eq!((still.status, still.body.clone()), (200, kept));
    let remaining = blobs::files_under(&dir.path().join("blobs"));
    assert!(
        !remaining
            .iter()
            .any(|p| p.to_string_lossy().contains(&dropped_sha[2..])),
        "the blob and its thumbnail are gone: {remaining:?}"
    );
}

/// Waits until `token`'s holder reads `sha` (200), or fails after the patience.
async fn readable(addr: std::net::SocketAddr, sha: &str, token: &str) {
    let deadline = Instant::now() + PATIENCE;
    while blobs::get(addr, &blob_path(sha), Some(token), &[])
        .await
        .status
        != 200
    {
        assert!(Instant::now() < deadline, "{sha} never became readable");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn wipe_refs(data: &Path) {
    let conn = rusqlite::Connection::open(data.join("blobs.sqlite3")).expect("open");
    conn.execute("DELETE FROM refs", []).expect("wipe");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_index_is_rebuilt_after_an_unclean_stop_and_on_command() {
    let dir = tempfile::tempdir().expect("dir");
    let agency = fixture::seed(dir.path());
    let server = ServerProcess::spawn_authenticated(binary(), dir.path(), &[], PATIENCE);
    let photo = blobs::jpeg(60, 40, 3);
    let sha = blobs::upload(server.addr, agency.token("mate"), &photo).await;
    let phone = Phone::start(&server.url(), agency.token("mate"));
    phone.storecheck_with_photos("acme", "mate", &[(&sha, photo.len() as u64)]);
    drop(phone);
    readable(server.addr, &sha, agency.token("jr")).await;

    // kill -9, and the index loses what it knew: the next start rebuilds it from the documents.
    server.kill_9();
    wipe_refs(dir.path());
    let server = ServerProcess::spawn_authenticated(binary(), dir.path(), &[], PATIENCE);
    readable(server.addr, &sha, agency.token("jr")).await;

    // With the server stopped, the command rebuilds it too.
    server.kill_9();
    wipe_refs(dir.path());
    let report = admin(binary(), dir.path(), &["rebuild-blob-refs"]);
    assert_eq!(report["documents"], 1, "{report}");
    let conn = rusqlite::Connection::open(dir.path().join("blobs.sqlite3")).expect("open");
    let refs: i64 = conn
        .query_row("SELECT COUNT(*) FROM refs WHERE sha256 = ?1", [&sha], |r| {
            r.get(0)
        })
        .expect("count");
    assert_eq!(refs, 1);
}
