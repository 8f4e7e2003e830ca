//! A phone as a process, so a test can kill it with kill -9 mid-upload: opens the store at
//! `--store`, syncs with `--url` (photos through `--api`) as the holder of `--token`, and with
//! `--attach <file> --account <id>` first makes a storecheck holding that photo. Prints
//! `attached <doc> <sha256>` once the photo is in the store, then runs until killed.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use enlace_core::DocumentId;
use enlace_core::client::{ClientConfig, SyncClient};
use enlace_core::model::storecheck::StorecheckEdit;
use enlace_core::model::{PhotoKind, Storecheck};
use enlace_core::store::{NewPhoto, Store};

fn value(args: &[String], flag: &str) -> Option<String> {
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(store), Some(url), Some(token)) = (
        value(&args, "--store"),
        value(&args, "--url"),
        value(&args, "--token"),
    ) else {
        eprintln!(
            "usage: enlace-test-phone --store F --url U --token T [--api A] [--attach P --account A]"
        );
        return ExitCode::from(2);
    };
    let store = match Store::open(PathBuf::from(store)) {
        Ok(s) => Arc::new(s),
        Err(e) => {
            eprintln!("store: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let (Some(photo), Some(account)) = (value(&args, "--attach"), value(&args, "--account")) {
        match attach(&store, &photo, &account) {
            Ok((doc, sha)) => println!("attached {doc} {sha}"),
            Err(e) => {
                eprintln!("attach: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    let mut config = ClientConfig::new(url).with_token(token);
    config.api_url = value(&args, "--api");
    config.backoff_initial = Duration::from_millis(50);
    config.backoff_max = Duration::from_millis(400);
    let _client = match SyncClient::start(store, config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("client: {e}");
            return ExitCode::FAILURE;
        }
    };
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}

fn attach(
    store: &Store,
    photo: &str,
    account: &str,
) -> Result<(DocumentId, String), Box<dyn std::error::Error>> {
    let check = enlace_tests::blobs::storecheck(account, "ae");
    let doc = store.create(&check)?;
    let photo = store.attach_photo_file::<Storecheck>(
        doc,
        std::path::Path::new(photo),
        NewPhoto {
            id: "ph-1".parse()?,
            width: 4000,
            height: 3000,
            taken_at: None,
            geo: None,
            kind: PhotoKind::Shelf,
            caption: String::new(),
        },
        |photo| StorecheckEdit::AddPhoto { photo, line: None },
    )?;
    Ok((doc, photo.sha256))
}
