//! kill -9 of the server in the middle of an upload: after the restart the upload's offset is
//! what reached the disk, the client resumes from there with `HEAD` and `PATCH`, and the blob
//! is whole; nothing is uploaded twice in full.

use std::path::Path;
use std::time::{Duration, Instant};

use enlace_tests::PATIENCE;
use enlace_tests::blobs::{self, blob_path};
use enlace_tests::fixture;
use enlace_tests::process::ServerProcess;
use tokio::io::AsyncWriteExt;

fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_enlace-test-server"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_resumes_after_the_server_is_killed_mid_body() {
    let dir = tempfile::tempdir().expect("dir");
    let agency = fixture::seed(dir.path());
    let token = agency.token("ae");
    let server = ServerProcess::spawn_authenticated(binary(), dir.path(), &[], PATIENCE);
    let photo = blobs::jpeg_like(3_000_000, 42);
    let sha = blobs::sha256_hex(&photo);
    let created = blobs::create(server.addr, token, photo.len(), &sha).await;
    let location = created.header("location").expect("Location").to_owned();

    // A PATCH of the whole photo, of which 1.2 MB is sent before the server dies.
    let sent = 1_200_000;
    let mut stream = tokio::net::TcpStream::connect(server.addr)
        .await
        .expect("connect");
    let head = format!(
        "PATCH {location} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
         Tus-Resumable: 1.0.0\r\nContent-Type: application/offset+octet-stream\r\n\
         Upload-Offset: 0\r\nContent-Length: {}\r\n\r\n",
        photo.len()
    );
    stream.write_all(head.as_bytes()).await.expect("head");
    stream.write_all(&photo[..sent]).await.expect("body");
    let deadline = Instant::now() + PATIENCE;
    loop {
        let offset = blobs::head(server.addr, &location, token)
            .await
            .number("upload-offset");
        if offset == sent as u64 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the server never wrote what was sent ({offset})"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.kill_9();
    drop(stream);

    let server = ServerProcess::spawn_authenticated(binary(), dir.path(), &[], PATIENCE);
    let status = blobs::head(server.addr, &location, token).await;
    assert_eq!(status.status, 200, "the upload survived: {}", status.text());
    let offset = status.number("upload-offset");
    assert_eq!(offset, sent as u64, "the offset is what reached the disk");
    let rest = blobs::patch(server.addr, &location, token, offset, &photo[sent..]).await;
    assert_eq!(rest.status, 204, "{}", rest.text());
    let got = blobs::get(server.addr, &blob_path(&sha), Some(token), &[]).await;
    assert_eq!(blobs::sha256_hex(&got.body), sha);
    let metrics = blobs::get(server.addr, "/metrics", None, &[]).await.text();
    assert!(
        metrics.contains(&format!(
            "enlace_blob_bytes_received_total {}\n",
            photo.len() - sent
        )),
        "only the rest was sent again: {metrics}"
    );
}
