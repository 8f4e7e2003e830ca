//! Catalogs on phones: an executive's phone receives the catalog of each account it works on
//! and of no other; a change to one product reaches it as a small change; importing the same
//! file again sends nothing; and nobody writes a catalog through sync (a stock client's change
//! is refused and never reaches another phone, nor is a new document of kind `catalog` kept).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use automerge::ROOT;
use automerge::transaction::Transactable;
use enlace_core::client::{ClientConfig, SyncClient};
use enlace_core::model::Catalog;
use enlace_core::store::Store;
use enlace_tests::PATIENCE;
use enlace_tests::client::Client;
use enlace_tests::fixture;
use enlace_tests::process::ServerProcess;
use enlace_tests::reference::{self, COLA, MILK, MILK_NAME, RIVAL, YOGURT, gtin13, import};

const LONG: Duration = Duration::from_secs(90);

fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_enlace-test-server"))
}

fn config(url: &str, token: &str) -> ClientConfig {
    let mut config = ClientConfig::new(url).with_token(token);
    config.backoff_initial = Duration::from_millis(50);
    config.backoff_max = Duration::from_millis(400);
    config.heartbeat_interval = Duration::from_secs(1);
    config.heartbeat_timeout = Duration::from_secs(4);
    config
}

fn phone() -> (tempfile::TempDir, Arc<Store>) {
    let dir = tempfile::tempdir().expect("dir");
    let store = Arc::new(Store::open(dir.path().join("phone.sqlite")).expect("store"));
    (dir, store)
}

fn catalog(store: &Store, account: &str) -> Option<Catalog> {
    store.get::<Catalog>(Catalog::id_for("andes", account)).ok()
}

/// The size of the last catalog change the server logged (`catalog written ... bytes=N`).
fn last_catalog_change(server: &ServerProcess) -> usize {
    let log = String::from_utf8_lossy(&server.log()).into_owned();
    log.lines()
        .filter(|line| line.contains("catalog written"))
        .filter_map(|line| line.split("bytes=").nth(1))
        .filter_map(|rest| rest.split_whitespace().next()?.parse().ok())
        .next_back()
        .expect("the server logged a catalog change")
}

#[test]
fn phones_receive_their_accounts_catalogs_and_cannot_write_them() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let data = tempfile::tempdir().expect("data");
    let agency = fixture::seed(data.path());
    let server = ServerProcess::spawn_authenticated(binary(), data.path(), &[], PATIENCE);
    let addr = server.addr;
    runtime.block_on(reference::import_all(addr, agency.token("admin")));

    // jr works on acme only: acme's catalog arrives, beta's never does.
    let (_jr_dir, jr) = phone();
    let jr_client =
        SyncClient::start(jr.clone(), config(&server.url(), agency.token("jr"))).expect("client");
    jr_client
        .wait_for(LONG, || {
            jr_client.is_caught_up() && catalog(&jr, "acme").is_some()
        })
        .expect("acme's catalog reached jr's phone");
    assert!(catalog(&jr, "beta").is_none(), "beta's catalog leaked");
    let acme = catalog(&jr, "acme").expect("catalog");
    assert_eq!(acme.account_id.as_str(), "acme");
    assert_eq!(
        acme.stores.keys().map(String::as_str).collect::<Vec<_>>(),
        ["J001", "L001"]
    );
    assert_eq!(acme.stores["J001"].name, "Jumbo Costanera, Ñuñoa");
    let (milk, rival, yogurt) = (gtin13(MILK), gtin13(RIVAL), gtin13(YOGURT));
    assert_eq!(acme.products.len(), 3);
    assert_eq!(acme.products[&milk].name, MILK_NAME);
    assert!(acme.products[&milk].is_own);
    assert!(
        acme.products[&yogurt].is_own,
        "own products are in without an assortment"
    );
    assert!(!acme.products[&rival].is_own);
    assert!(!acme.products.contains_key(&gtin13(COLA)));
    // The store's own row overrides its cluster's.
    assert_eq!(acme.assortment["J001"][&milk].target_facings, Some(6));
    assert_eq!(
        acme.assortment["J001"][&milk]
            .target_price
            .as_ref()
            .map(|p| p.amount_minor),
        Some(1190)
    );
    assert_eq!(acme.assortment["L001"][&milk].target_facings, Some(4));
    assert!(!acme.assortment["J001"][&rival].must_stock);
    assert_eq!(acme.contacts["c1"].name, "María José Peña");
    assert_eq!(acme.visit_plans["p1"].note, "Revisar góndola 🧀");
    assert_eq!(
        acme.visit_plans["p2"].ends_on.as_deref(),
        Some("2026-12-31")
    );
    let version = acme.version;
    assert!(version >= 1);

    // The outsider works on beta: its catalog, not acme's.
    let (_out_dir, out) = phone();
    let out_client =
        SyncClient::start(out.clone(), config(&server.url(), agency.token("outsider")))
            .expect("client");
    out_client
        .wait_for(LONG, || {
            out_client.is_caught_up() && catalog(&out, "beta").is_some()
        })
        .expect("beta's catalog reached the outsider's phone");
    assert!(catalog(&out, "acme").is_none(), "acme's catalog leaked");
    assert_eq!(
        catalog(&out, "beta").expect("beta").contacts["c2"].name,
        "Zoë Ñúñez 😀"
    );

    // One product renamed: the phone sees it, one version later.
    let renamed = "Leche Entera Acme 1L (nueva) 🥛✨";
    let answer = runtime.block_on(import(
        addr,
        Some(agency.token("admin")),
        "products",
        &reference::products(renamed),
    ));
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.json()["changed"], 1);
    jr_client
        .wait_for(LONG, || {
            catalog(&jr, "acme").is_some_and(|c| c.products[&milk].name == renamed)
        })
        .expect("the renamed product reached the phone");
    assert_eq!(catalog(&jr, "acme").expect("acme").version, version + 1);
    // The server reconciled one product, not the catalog again: its change is small.
    let change = last_catalog_change(&server);
    assert!(
        change < 1024,
        "renaming one product made a change of {change} bytes"
    );

    // The same file again: nothing changes, so the next change is exactly one version later.
    let answer = runtime.block_on(import(
        addr,
        Some(agency.token("admin")),
        "products",
        &reference::products(renamed),
    ));
    assert_eq!(answer.json()["changed"], 0, "{}", answer.body);
    let contact =
        "account,id,name,title,email\nacme,c1,María José Peña,Gerente de Marca,mj.pena@acme.cl\n";
    let answer = runtime.block_on(import(
        addr,
        Some(agency.token("admin")),
        "contacts",
        contact,
    ));
    assert_eq!(answer.json()["changed"], 1, "{}", answer.body);
    jr_client
        .wait_for(LONG, || {
            catalog(&jr, "acme").is_some_and(|c| c.contacts["c1"].title == "Gerente de Marca")
        })
        .expect("the contact's new title reached the phone");
    assert_eq!(
        catalog(&jr, "acme").expect("acme").version,
        version + 2,
        "re-importing an unchanged file made no catalog change"
    );

    // A stock client on jr's account writes into the catalog: refused, and never kept.
    let id = Catalog::id_for("andes", "acme");
    runtime.block_on(async {
        let raw = Client::connect_with_bearer(&server.url(), "jr-raw", agency.token("jr"))
            .await
            .expect("connect");
        raw.subscribe(id);
        raw.wait_for("the catalog", PATIENCE, |v| {
            v.in_sync(&id) && !v.heads(&id).is_empty()
        })
        .await
        .expect("the raw client has the catalog");
        raw.change(id, |tx| {
            tx.put(ROOT, "version", 999_u64).expect("put");
        })
        .await;
        raw.wait_for("the refusal", PATIENCE, |v| v.refused.contains_key(&id))
            .await
            .expect("the write was refused");
        // A new document of kind `catalog` is refused too.
        let forged = raw
            .create(|tx| {
                tx.put(ROOT, "kind", "catalog").expect("put");
                tx.put(ROOT, "account_id", "acme").expect("put");
                tx.put(ROOT, "schema_version", 1_u64).expect("put");
            })
            .await;
        raw.wait_for("the refusal", PATIENCE, |v| v.refused.contains_key(&forged))
            .await
            .expect("the forged catalog was refused");
        raw.close().await;
    });
    // A fresh phone of a teammate gets the server's catalog, not the forged write.
    let (_mate_dir, mate) = phone();
    let mate_client = SyncClient::start(mate.clone(), config(&server.url(), agency.token("mate")))
        .expect("client");
    mate_client
        .wait_for(LONG, || {
            mate_client.is_caught_up()
                && catalog(&mate, "acme").is_some_and(|c| c.version == version + 2)
        })
        .expect("the teammate's phone has the catalog");
    assert_eq!(
        mate.heads(id).expect("heads"),
        jr.heads(id).expect("heads"),
        "the refused write never reached another phone"
    );

    for client in [jr_client, out_client, mate_client] {
        client.stop();
    }
}
