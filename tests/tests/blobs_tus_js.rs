//! A stock tus client uploads a photo: tus-js-client (from `tests/js/package-lock.json`) in
//! Node, authenticated by a ticket in the endpoint URL as a browser would be, in several
//! `PATCH`es; the Rust side then downloads the blob and checks its hash.

use std::path::Path;
use std::time::Duration;

use enlace_tests::PATIENCE;
use enlace_tests::blobs::{self, blob_path};
use enlace_tests::fixture;
use enlace_tests::node::script;
use enlace_tests::process::ServerProcess;

fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_enlace-test-server"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tus_js_client_uploads_with_a_ticket() {
    let dir = tempfile::tempdir().expect("dir");
    let agency = fixture::seed(dir.path());
    let server = ServerProcess::spawn_authenticated(binary(), dir.path(), &[], PATIENCE);
    let token = agency.token("ae");
    let photo = blobs::jpeg(900, 700, 8);
    assert!(
        photo.len() > 3 * 16 * 1024,
        "several chunks: {}",
        photo.len()
    );
    let sha = blobs::sha256_hex(&photo);
    let file = dir.path().join("photo.jpg");
    std::fs::write(&file, &photo).expect("write the photo");
    let ticket = enlace_tests::http::call(server.addr, "POST", "/v1/tickets", token, None).await;
    let ticket = ticket.json()["ticket"].as_str().expect("ticket").to_owned();
    let endpoint = format!(
        "http://{}{}?{}",
        server.addr,
        blobs::UPLOADS,
        enlace_tests::raw::ticket_query(&ticket)
    );
    // Chunks of 16 KiB: the upload takes several PATCHes to the Location the POST answered.
    let chunk = (16 * 1024).to_string();
    let file = file.to_string_lossy().into_owned();
    let run = script("tus_upload.mjs", &[&endpoint, &file, &sha, &chunk]).output();
    let output = tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("node finishes")
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("UPLOADED"),
        "tus-js-client failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("/v1/blobs/uploads/"), "{stdout}");
    let got = blobs::get(server.addr, &blob_path(&sha), Some(token), &[]).await;
    assert_eq!(got.status, 200, "{}", got.text());
    assert_eq!(blobs::sha256_hex(&got.body), sha);
    let metrics = blobs::get(server.addr, "/metrics", None, &[]).await.text();
    assert!(
        metrics.contains("enlace_blob_uploads_completed_total 1\n"),
        "{metrics}"
    );
}
