//! A 25 MB upload streams to disk: the server's resident memory grows by less than 4 MB
//! (an assertion on memory, measured from `/proc/<pid>/status`, not on time).

use std::path::Path;

use enlace_tests::PATIENCE;
use enlace_tests::blobs::{self, blob_path};
use enlace_tests::fixture;
use enlace_tests::process::ServerProcess;

fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_enlace-test-server"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_25_mb_upload_raises_the_servers_rss_by_less_than_4_mb() {
    let dir = tempfile::tempdir().expect("dir");
    let agency = fixture::seed(dir.path());
    let server = ServerProcess::spawn_authenticated(binary(), dir.path(), &[], PATIENCE);
    let (addr, token) = (server.addr, agency.token("ae"));
    // Warm up every path an upload takes (threads, buffers, SQLite caches) with a small one.
    blobs::upload(addr, token, &blobs::jpeg_like(2_000_000, 1)).await;
    let before = server.rss_kib().expect("RSS readable");
    let photo = blobs::jpeg_like(25_000_000, 2);
    let sha = blobs::upload(addr, token, &photo).await;
    let after = server.rss_kib().expect("RSS readable");
    let grown = after.saturating_sub(before);
    eprintln!("server RSS {before} KiB before, {after} KiB after a 25 MB upload: +{grown} KiB");
    assert!(grown < 4 * 1024, "RSS grew by {grown} KiB");
    let head = blobs::send(
        addr,
        "HEAD",
        &blob_path(&sha),
        &[("Authorization", format!("Bearer {token}"))],
        b"",
    )
    .await
    .expect("head");
    assert_eq!(head.number("content-length"), photo.len() as u64);
}
