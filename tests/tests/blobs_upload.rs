//! Uploading photos over tus 1.0 (`docs/blobs.md`): a real JPEG goes up and comes back byte
//! for byte, an upload cut mid-body resumes from the offset the server reports, and every
//! refused upload (wrong hash, not an image, too large, over quota, malformed) is answered
//! with its status and leaves nothing readable behind.

use std::path::Path;

use enlace_tests::PATIENCE;
use enlace_tests::blobs::{self, UPLOADS, blob_path, files_under};
use enlace_tests::fixture::{self, Agency};
use enlace_tests::process::ServerProcess;

fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_enlace-test-server"))
}

/// A server over the seeded agency, blobs capped at 2 MB and 3 MB of quota per person.
fn server() -> (tempfile::TempDir, Agency, ServerProcess) {
    let dir = tempfile::tempdir().expect("dir");
    let agency = fixture::seed(dir.path());
    let flags = [
        "--max-blob-bytes",
        "2000000",
        "--blob-quota-bytes",
        "3000000",
    ];
    let server = ServerProcess::spawn_authenticated(binary(), dir.path(), &flags, PATIENCE);
    (dir, agency, server)
}

/// Blob files in the store (not upload temp files, not thumbnails).
fn stored_blobs(data: &Path) -> Vec<std::path::PathBuf> {
    files_under(&data.join("blobs"))
        .into_iter()
        .filter(|p| {
            let parent = p
                .parent()
                .and_then(Path::file_name)
                .map(|n| n.to_string_lossy().into_owned());
            parent.is_some_and(|n| n.len() == 2 && n.bytes().all(|b| b.is_ascii_hexdigit()))
                && !p.to_string_lossy().contains("thumbnails")
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_jpeg_uploads_and_reads_back_byte_for_byte() {
    let (_dir, agency, server) = server();
    let (addr, token) = (server.addr, agency.token("ae"));
    let options = blobs::send(addr, "OPTIONS", UPLOADS, &[], b"")
        .await
        .expect("options");
    assert_eq!(options.status, 204);
    assert_eq!(options.header("tus-version"), Some("1.0.0"));
    assert_eq!(options.header("tus-extension"), Some("creation"));
    assert_eq!(options.header("tus-max-size"), Some("2000000"));
    let photo = blobs::jpeg(640, 480, 3);
    let sha = blobs::sha256_hex(&photo);
    let created = blobs::create(addr, token, photo.len(), &sha).await;
    assert_eq!(created.status, 201, "{}", created.text());
    assert_eq!(created.header("tus-resumable"), Some("1.0.0"));
    assert_eq!(created.header("upload-offset"), Some("0"));
    let location = created.header("location").expect("Location").to_owned();
    let id = location
        .strip_prefix("/v1/blobs/uploads/")
        .expect("an upload URL");
    assert_eq!(id.len(), 32, "an opaque random id: {location}");
    let status = blobs::head(addr, &location, token).await;
    assert_eq!((status.status, status.number("upload-offset")), (200, 0));
    assert_eq!(status.number("upload-length"), photo.len() as u64);
    assert_eq!(status.header("cache-control"), Some("no-store"));
    // Before its last byte, the blob is nobody's to read, not even its uploader's.
    let early = blobs::get(addr, &blob_path(&sha), Some(token), &[]).await;
    assert_eq!(early.status, 404);
    let done = blobs::patch(addr, &location, token, 0, &photo).await;
    assert_eq!(done.status, 204, "{}", done.text());
    assert_eq!(done.number("upload-offset"), photo.len() as u64);
    let got = blobs::get(addr, &blob_path(&sha), Some(token), &[]).await;
    assert_eq!(got.status, 200, "{}", got.text());
    assert_eq!(got.header("content-type"), Some("image/jpeg"));
    assert_eq!(got.number("content-length"), photo.len() as u64);
    assert_eq!(blobs::sha256_hex(&got.body), sha);
    assert_eq!(got.body, photo);
    // The upload is gone once stored.
    assert_eq!(blobs::head(addr, &location, token).await.status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_cut_mid_body_resumes_from_the_offset() {
    let (_dir, agency, server) = server();
    let (addr, token) = (server.addr, agency.token("ae"));
    let photo = blobs::jpeg_like(600_000, 7);
    let sha = blobs::sha256_hex(&photo);
    let created = blobs::create(addr, token, photo.len(), &sha).await;
    let location = created.header("location").expect("Location").to_owned();
    let half = 250_000;
    blobs::broken_patch(addr, &location, token, 0, photo.len(), &photo[..half])
        .await
        .expect("send half");
    let offset = blobs::head(addr, &location, token)
        .await
        .number("upload-offset");
    assert_eq!(offset, half as u64, "what arrived is kept");
    // A few bytes only: the server answers a wrong offset without reading the body and closes,
    // and a client still sending a large body would see the connection reset, not the answer.
    let wrong = blobs::patch(addr, &location, token, 0, &photo[..16]).await;
    assert_eq!(wrong.status, 409, "{}", wrong.text());
    assert_eq!(wrong.number("upload-offset"), offset);
    let rest = blobs::patch(addr, &location, token, offset, &photo[half..]).await;
    assert_eq!(rest.status, 204, "{}", rest.text());
    let got = blobs::get(addr, &blob_path(&sha), Some(token), &[]).await;
    assert_eq!(got.body, photo);
    let metrics = blobs::get(addr, "/metrics", None, &[]).await.text();
    assert!(
        metrics.contains(&format!(
            "enlace_blob_bytes_received_total {}\n",
            photo.len()
        )),
        "every byte was received once: {metrics}"
    );
    assert!(metrics.contains("enlace_blob_uploads_completed_total 1\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_uploads_are_told_why_and_store_nothing() {
    let (dir, agency, server) = server();
    let (addr, token) = (server.addr, agency.token("ae"));
    let photo = blobs::jpeg(64, 48, 1);
    let sha = blobs::sha256_hex(&photo);

    // A wrong hash: 460, the upload discarded.
    let other = blobs::sha256_hex(b"something else");
    let created = blobs::create(addr, token, photo.len(), &other).await;
    let location = created.header("location").expect("Location").to_owned();
    let mismatch = blobs::patch(addr, &location, token, 0, &photo).await;
    assert_eq!(mismatch.status, 460, "{}", mismatch.text());
    assert_eq!(mismatch.json()["error"], "checksum_mismatch");
    assert_eq!(blobs::head(addr, &location, token).await.status, 404);
    for hash in [&sha, &other] {
        assert_eq!(
            blobs::get(addr, &blob_path(hash), Some(token), &[])
                .await
                .status,
            404
        );
    }

    // Not an image: 415 as soon as the first bytes arrive, the upload discarded.
    let html = b"<!doctype html><script>alert(1)</script>".repeat(100);
    let created = blobs::create(addr, token, html.len(), &blobs::sha256_hex(&html)).await;
    let location = created.header("location").expect("Location").to_owned();
    let refused = blobs::patch(addr, &location, token, 0, &html[..200]).await;
    assert_eq!(refused.status, 415, "{}", refused.text());
    assert!(
        refused.json()["message"]
            .as_str()
            .expect("message")
            .contains("JPEG, PNG, HEIC or WebP")
    );
    assert_eq!(blobs::head(addr, &location, token).await.status, 404);

    // Truncated: never finished, never visible.
    let created = blobs::create(addr, token, photo.len(), &sha).await;
    let location = created.header("location").expect("Location").to_owned();
    let part = blobs::patch(addr, &location, token, 0, &photo[..photo.len() / 2]).await;
    assert_eq!(part.status, 204);
    assert_eq!(
        blobs::get(addr, &blob_path(&sha), Some(token), &[])
            .await
            .status,
        404
    );

    // A body past Upload-Length: 413, none of it kept.
    let past = blobs::patch(addr, &location, token, part.number("upload-offset"), &photo).await;
    assert_eq!(past.status, 413, "{}", past.text());
    assert_eq!(
        blobs::head(addr, &location, token)
            .await
            .number("upload-offset"),
        part.number("upload-offset")
    );

    // Too large for the cap: 413 before any byte.
    let big = blobs::create(addr, token, 2_000_001, &sha).await;
    assert_eq!(big.status, 413, "{}", big.text());
    assert_eq!(big.json()["error"], "too_large");

    // Over the quota (3 MB): this person holds one open upload of ~2 KB; 1.9 MB + 1.9 MB is over.
    let first = blobs::create(addr, token, 1_900_000, &sha).await;
    assert_eq!(first.status, 201);
    let over = blobs::create(addr, token, 1_900_000, &sha).await;
    assert_eq!(over.status, 413, "{}", over.text());
    assert_eq!(over.json()["error"], "quota_exceeded");
    // Someone else's quota is theirs.
    assert_eq!(
        blobs::create(addr, agency.token("jr"), 1_900_000, &sha)
            .await
            .status,
        201
    );

    assert!(stored_blobs(dir.path()).is_empty(), "nothing was stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_or_unauthenticated_creations_are_refused() {
    let (_dir, agency, server) = server();
    let (addr, token) = (server.addr, agency.token("ae"));
    let photo = blobs::jpeg(32, 32, 2);
    let sha = blobs::sha256_hex(&photo);
    let tus = ("Tus-Resumable", "1.0.0".to_owned());
    let length = ("Upload-Length", photo.len().to_string());
    let auth = ("Authorization", format!("Bearer {token}"));
    // No token, a bad token: 401.
    let headers = [
        tus.clone(),
        length.clone(),
        ("Upload-Metadata", blobs::metadata(&sha)),
    ];
    assert_eq!(
        blobs::send(addr, "POST", UPLOADS, &headers, b"")
            .await
            .expect("post")
            .status,
        401
    );
    let bad = [
        ("Authorization", "Bearer enl_nope".to_owned()),
        tus.clone(),
        length.clone(),
    ];
    assert_eq!(
        blobs::send(addr, "POST", UPLOADS, &bad, b"")
            .await
            .expect("post")
            .status,
        401
    );
    // No sha256, a malformed one: 400.
    let bare = [auth.clone(), tus.clone(), length.clone()];
    let answer = blobs::send(addr, "POST", UPLOADS, &bare, b"")
        .await
        .expect("post");
    assert_eq!(answer.status, 400, "{}", answer.text());
    assert!(answer.text().contains("sha256"));
    let upper = [
        auth.clone(),
        tus.clone(),
        length.clone(),
        ("Upload-Metadata", blobs::metadata(&sha.to_uppercase())),
    ];
    assert_eq!(
        blobs::send(addr, "POST", UPLOADS, &upper, b"")
            .await
            .expect("post")
            .status,
        400
    );
    // Another protocol version: 412.
    let old = [
        auth.clone(),
        ("Tus-Resumable", "0.2.2".to_owned()),
        length.clone(),
        ("Upload-Metadata", blobs::metadata(&sha)),
    ];
    assert_eq!(
        blobs::send(addr, "POST", UPLOADS, &old, b"")
            .await
            .expect("post")
            .status,
        412
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patches_of_the_wrong_type_or_of_someone_elses_upload_are_refused() {
    let (_dir, agency, server) = server();
    let (addr, token) = (server.addr, agency.token("ae"));
    let photo = blobs::jpeg(32, 32, 2);
    let sha = blobs::sha256_hex(&photo);
    let tus = ("Tus-Resumable", "1.0.0".to_owned());
    let auth = ("Authorization", format!("Bearer {token}"));
    // A PATCH that is not application/offset+octet-stream: 415.
    let created = blobs::create(addr, token, photo.len(), &sha).await;
    let location = created.header("location").expect("Location").to_owned();
    let wrong_type = [
        auth.clone(),
        tus.clone(),
        ("Content-Type", "image/jpeg".to_owned()),
        ("Upload-Offset", "0".to_owned()),
    ];
    let answer = blobs::send(addr, "PATCH", &location, &wrong_type, &photo)
        .await
        .expect("patch");
    assert_eq!(answer.status, 415, "{}", answer.text());
    // Someone else's upload is answered exactly as one that does not exist.
    let theirs = blobs::head(addr, &location, agency.token("mate")).await;
    let unknown = blobs::head(
        addr,
        "/v1/blobs/uploads/00000000000000000000000000000000",
        token,
    )
    .await;
    assert_eq!(theirs.status, 404);
    assert_eq!(theirs.comparable(), unknown.comparable());
    let patched = blobs::patch(addr, &location, agency.token("mate"), 0, &photo).await;
    assert_eq!(patched.status, 404);
    assert_eq!(
        blobs::head(addr, &location, token)
            .await
            .number("upload-offset"),
        0
    );
}
