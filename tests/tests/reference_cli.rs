//! Reference data from the command line: `admin reference import` with the server stopped
//! leaves the catalogs to write, and the server writes them when it starts (as it would after
//! a crash between the import and the catalogs); with the server running, it writes them
//! within a second or so. A file with bad lines prints them and fails, importing nothing.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use enlace_core::client::{ClientConfig, SyncClient};
use enlace_core::model::Catalog;
use enlace_core::store::Store;
use enlace_tests::PATIENCE;
use enlace_tests::fixture;
use enlace_tests::process::{ServerProcess, admin, admin_output};
use enlace_tests::reference::{self, MILK, gtin13};

const LONG: Duration = Duration::from_secs(90);

fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_enlace-test-server"))
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path
}

fn import(data: &Path, files: &Path, kind: &str, text: &str) -> serde_json::Value {
    let file = write(files, &format!("{kind}.csv"), text);
    let file = file.to_str().expect("utf-8 path");
    admin(
        binary(),
        data,
        &[
            "reference",
            "import",
            "--org",
            "andes",
            "--kind",
            kind,
            "--file",
            file,
        ],
    )
}

fn catalog(store: &Store) -> Option<Catalog> {
    store.get::<Catalog>(Catalog::id_for("andes", "acme")).ok()
}

#[test]
fn the_command_line_imports_and_the_server_writes_the_catalogs() {
    let data = tempfile::tempdir().expect("data");
    let files = tempfile::tempdir().expect("files");
    let agency = fixture::seed(data.path());
    for (kind, text) in reference::all_files() {
        let answer = import(data.path(), files.path(), kind, &text);
        assert_eq!(answer["unchanged"], 0, "{kind}: {answer}");
        assert!(answer["changed"].as_u64() > Some(0), "{kind}: {answer}");
    }
    // Bad lines: printed as JSON on stdout, a failing exit code, nothing imported.
    let bad = write(
        files.path(),
        "bad.csv",
        "account,id,name,title,email\nacme,c5,Ok,Ok,ok@acme.cl\nacme,c6,No Email,X,\nzeta,c7,A,B,a@b.cl\n",
    );
    let output = admin_output(
        binary(),
        data.path(),
        &[
            "reference",
            "import",
            "--org",
            "andes",
            "--kind",
            "contacts",
            "--file",
            bad.to_str().expect("path"),
        ],
    );
    assert!(!output.status.success());
    let printed: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("the errors as JSON");
    let lines: Vec<u64> = printed["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["line"].as_u64().expect("line"))
        .collect();
    assert_eq!(lines, [3], "{printed}");
    let listed = admin(
        binary(),
        data.path(),
        &["reference", "list", "--org", "andes", "--kind", "contacts"],
    );
    assert_eq!(listed["rows"].as_array().map(Vec::len), Some(2), "{listed}");

    // The server writes the catalogs the imports left to do when it starts.
    let server = ServerProcess::spawn_authenticated(binary(), data.path(), &[], PATIENCE);
    let dir = tempfile::tempdir().expect("phone");
    let jr = Arc::new(Store::open(dir.path().join("phone.sqlite")).expect("store"));
    let mut config = ClientConfig::new(server.url()).with_token(agency.token("jr"));
    config.backoff_initial = Duration::from_millis(50);
    config.backoff_max = Duration::from_millis(400);
    let client = SyncClient::start(jr.clone(), config).expect("client");
    client
        .wait_for(LONG, || catalog(&jr).is_some_and(|c| c.products.len() == 3))
        .expect("the catalog written at start reached the phone");

    // While it runs, an import from the command line reaches the phone too.
    let renamed = "Leche Cordillera 🏔️";
    let answer = import(
        data.path(),
        files.path(),
        "products",
        &reference::products(renamed),
    );
    assert_eq!(answer["changed"], 1, "{answer}");
    client
        .wait_for(LONG, || {
            catalog(&jr).is_some_and(|c| c.products[&gtin13(MILK)].name == renamed)
        })
        .expect("the renamed product reached the phone");
    client.stop();

    // After a crash, the server knows the catalogs it made: a later import updates them.
    server.kill_9();
    let answer = import(
        data.path(),
        files.path(),
        "products",
        &reference::products("Leche Austral"),
    );
    assert_eq!(answer["changed"], 1, "{answer}");
    let server = ServerProcess::spawn_authenticated(binary(), data.path(), &[], PATIENCE);
    let mut config = ClientConfig::new(server.url()).with_token(agency.token("jr"));
    config.backoff_initial = Duration::from_millis(50);
    let client = SyncClient::start(jr.clone(), config).expect("client");
    client
        .wait_for(LONG, || {
            catalog(&jr).is_some_and(|c| c.products[&gtin13(MILK)].name == "Leche Austral")
        })
        .expect("the catalog written after the restart reached the phone");
    client.stop();
}
