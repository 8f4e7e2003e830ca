//! Downloading a photo (`docs/blobs.md`, *Download*): ranges, validators and immutable caching
//! headers, `HEAD`, and the server's thumbnails.

use std::path::Path;

use enlace_tests::PATIENCE;
use enlace_tests::blobs::{self, blob_path};
use enlace_tests::fixture::{self, Agency};
use enlace_tests::process::ServerProcess;

fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_enlace-test-server"))
}

fn server() -> (tempfile::TempDir, Agency, ServerProcess) {
    let dir = tempfile::tempdir().expect("dir");
    let agency = fixture::seed(dir.path());
    let server = ServerProcess::spawn_authenticated(binary(), dir.path(), &[], PATIENCE);
    (dir, agency, server)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ranges_validators_and_head() {
    let (_dir, agency, server) = server();
    let (addr, token) = (server.addr, agency.token("ae"));
    let photo = blobs::jpeg(800, 600, 4);
    let sha = blobs::upload(addr, token, &photo).await;
    let path = blob_path(&sha);
    let total = photo.len();

    let whole = blobs::get(addr, &path, Some(token), &[]).await;
    assert_eq!(whole.status, 200);
    let etag = format!("\"{sha}\"");
    assert_eq!(whole.header("etag"), Some(etag.as_str()));
    assert_eq!(
        whole.header("cache-control"),
        Some("private, max-age=31536000, immutable")
    );
    assert_eq!(whole.header("accept-ranges"), Some("bytes"));

    let range = |v: &str| vec![("Range", v.to_owned())];
    let part = blobs::get(addr, &path, Some(token), &range("bytes=10-19")).await;
    assert_eq!(part.status, 206);
    assert_eq!(part.body, &photo[10..20]);
    assert_eq!(
        part.header("content-range"),
        Some(format!("bytes 10-19/{total}").as_str())
    );
    assert_eq!(part.number("content-length"), 10);
    let tail = blobs::get(addr, &path, Some(token), &range("bytes=-5")).await;
    assert_eq!(
        (tail.status, tail.body.as_slice()),
        (206, &photo[total - 5..])
    );
    let from = blobs::get(
        addr,
        &path,
        Some(token),
        &range(&format!("bytes={}-", total - 3)),
    )
    .await;
    assert_eq!(from.body, &photo[total - 3..]);
    let past = blobs::get(addr, &path, Some(token), &range(&format!("bytes={total}-"))).await;
    assert_eq!(past.status, 416);
    assert_eq!(
        past.header("content-range"),
        Some(format!("bytes */{total}").as_str())
    );

    let fresh = blobs::get(addr, &path, Some(token), &[("If-None-Match", etag.clone())]).await;
    assert_eq!(fresh.status, 304);
    assert!(fresh.body.is_empty());
    assert_eq!(fresh.header("etag"), Some(etag.as_str()));
    let stale = blobs::get(
        addr,
        &path,
        Some(token),
        &[("If-None-Match", "\"other\"".into())],
    )
    .await;
    assert_eq!(stale.status, 200);

    let auth = [("Authorization", format!("Bearer {token}"))];
    let head = blobs::send(addr, "HEAD", &path, &auth, b"")
        .await
        .expect("head");
    assert_eq!(head.status, 200);
    assert_eq!(head.number("content-length"), total as u64);
    assert!(head.body.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thumbnails_are_made_once_and_cached() {
    let (dir, agency, server) = server();
    let (addr, token) = (server.addr, agency.token("ae"));
    let photo = blobs::jpeg(800, 600, 4);
    let sha = blobs::upload(addr, token, &photo).await;
    let path = blob_path(&sha);
    // A thumbnail: a JPEG within 320 px, made once, cached under the original's hash.
    let thumb_path = format!("{path}/thumbnail");
    let thumb = blobs::get(addr, &thumb_path, Some(token), &[]).await;
    assert_eq!(thumb.status, 200, "{}", thumb.text());
    assert_eq!(thumb.header("content-type"), Some("image/jpeg"));
    assert_eq!(
        thumb.header("cache-control"),
        Some("private, max-age=31536000, immutable")
    );
    let small = image::load_from_memory(&thumb.body).expect("a JPEG");
    assert_eq!((small.width(), small.height()), (320, 240));
    let again = blobs::get(addr, &thumb_path, Some(token), &[]).await;
    assert_eq!(again.body, thumb.body);
    let metrics = blobs::get(addr, "/metrics", None, &[]).await.text();
    assert!(
        metrics.contains("enlace_blob_thumbnails_made_total 1\n"),
        "{metrics}"
    );
    assert!(!blobs::files_under(&dir.path().join("blobs/thumbnails")).is_empty());

    // A PNG gets one too.
    let png = blobs::png(100, 400);
    let png_sha = blobs::upload(addr, token, &png).await;
    let png_got = blobs::get(addr, &blob_path(&png_sha), Some(token), &[]).await;
    assert_eq!(png_got.header("content-type"), Some("image/png"));
    let png_thumb = blobs::get(
        addr,
        &format!("{}/thumbnail", blob_path(&png_sha)),
        Some(token),
        &[],
    )
    .await;
    let small = image::load_from_memory(&png_thumb.body).expect("a JPEG");
    assert_eq!((small.width(), small.height()), (80, 320));
}
