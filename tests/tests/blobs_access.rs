//! Who may read a photo blob (`docs/blobs.md`, *Access*): whoever may read a document whose
//! content references it, and its uploader. Everyone else, another organisation, another
//! account's team, someone taken off the account, gets the `404` of a blob that does not exist,
//! byte for byte; no credential at all is a `401`.

use std::path::Path;
use std::time::{Duration, Instant};

use enlace_tests::PATIENCE;
use enlace_tests::blobs::{self, Answer, Phone, blob_path};
use enlace_tests::fixture::{self, Agency};
use enlace_tests::process::{ServerProcess, admin};

fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_enlace-test-server"))
}

fn server() -> (tempfile::TempDir, Agency, ServerProcess) {
    let dir = tempfile::tempdir().expect("dir");
    let agency = fixture::seed(dir.path());
    let server = ServerProcess::spawn_authenticated(binary(), dir.path(), &[], PATIENCE);
    (dir, agency, server)
}

/// Asks until the answer has `status` (the reference index and the directory are read a moment
/// after a change), or fails after the patience.
async fn eventually(server: &ServerProcess, sha: &str, token: &str, status: u16) -> Answer {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let answer = blobs::get(server.addr, &blob_path(sha), Some(token), &[]).await;
        if answer.status == status || Instant::now() > deadline {
            assert_eq!(answer.status, status, "{}", answer.text());
            return answer;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_of_the_document_read_its_photos_and_nobody_else_tells_them_from_missing() {
    let (dir, agency, server) = server();
    let addr = server.addr;
    let photo = blobs::jpeg(80, 60, 5);
    let sha = blobs::upload(addr, agency.token("mate"), &photo).await;
    let phone = Phone::start(&server.url(), agency.token("mate"));
    phone.storecheck_with_photos("acme", "mate", &[(&sha, photo.len() as u64)]);

    // A teammate reads it, by bearer token and by ticket.
    let read = eventually(&server, &sha, agency.token("jr"), 200).await;
    assert_eq!(read.body, photo);
    let ticket =
        enlace_tests::http::call(addr, "POST", "/v1/tickets", agency.token("jr"), None).await;
    let ticket = ticket.json()["ticket"].as_str().expect("ticket").to_owned();
    let query = enlace_tests::raw::ticket_query(&ticket);
    let by_ticket = blobs::get(addr, &format!("{}?{query}", blob_path(&sha)), None, &[]).await;
    assert_eq!((by_ticket.status, by_ticket.body.len()), (200, photo.len()));

    // Everyone else: the answer of a blob that does not exist.
    let unknown_sha = blobs::sha256_hex(b"no such photo");
    let missing = blobs::get(
        addr,
        &blob_path(&unknown_sha),
        Some(agency.token("jr")),
        &[],
    )
    .await;
    assert_eq!(missing.status, 404);
    for (who, path) in [
        ("outsider", blob_path(&sha)),
        ("foreigner", blob_path(&sha)),
        ("jr", blob_path("not-a-hash")),
        ("jr", format!("{}/thumbnail", blob_path(&unknown_sha))),
    ] {
        let answer = blobs::get(addr, &path, Some(agency.token(who)), &[]).await;
        assert_eq!(answer.comparable(), missing.comparable(), "{who} {path}");
    }
    let anonymous = blobs::get(addr, &blob_path(&sha), None, &[]).await;
    assert_eq!(anonymous.status, 401);

    // Taken off the account: from then on, missing.
    admin(
        binary(),
        dir.path(),
        &[
            "remove-member",
            "--org",
            "andes",
            "--account",
            "acme",
            "--user",
            "jr",
        ],
    );
    let gone = eventually(&server, &sha, agency.token("jr"), 404).await;
    assert_eq!(gone.comparable(), missing.comparable());

    // Still a teammate: still a reader.
    eventually(&server, &sha, agency.token("ae"), 200).await;
    drop(phone);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_readers_download_and_uploaders_read_their_own_uploads() {
    let (_dir, agency, server) = server();
    let addr = server.addr;
    // An upload nobody references yet: its uploader reads it, nobody else.
    let own = blobs::jpeg(40, 30, 9);
    let own_sha = blobs::upload(addr, agency.token("dir"), &own).await;
    let mine = blobs::get(addr, &blob_path(&own_sha), Some(agency.token("dir")), &[]).await;
    assert_eq!((mine.status, mine.body.clone()), (200, own));
    let theirs = blobs::get(addr, &blob_path(&own_sha), Some(agency.token("ae")), &[]).await;
    assert_eq!(theirs.status, 404);

    // A storecheck of `beta` by `outsider`: management reads beta read-only, and downloads.
    let photo = blobs::jpeg(50, 40, 11);
    let sha = blobs::upload(addr, agency.token("outsider"), &photo).await;
    let phone = Phone::start(&server.url(), agency.token("outsider"));
    let check = phone.storecheck_with_photos("beta", "outsider", &[(&sha, photo.len() as u64)]);
    let read = eventually(&server, &sha, agency.token("mgmt"), 200).await;
    assert_eq!(read.body, photo);
    // `ae` is on acme only.
    assert_eq!(
        blobs::get(addr, &blob_path(&sha), Some(agency.token("ae")), &[])
            .await
            .status,
        404
    );

    // Deleting the photo takes the document's access away; the uploader keeps theirs.
    phone.delete_photos(check);
    eventually(&server, &sha, agency.token("mgmt"), 404).await;
    let still = blobs::get(addr, &blob_path(&sha), Some(agency.token("outsider")), &[]).await;
    assert_eq!(still.status, 200);
}
