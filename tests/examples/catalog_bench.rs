//! Reference data at agency scale: an organisation of 200 accounts, 5,000 stores, 20,000
//! products and 100,000 assortment rows, imported as CSV through the admin API of a real server
//! process; then what a phone downloads (counted on the wire, through a TCP proxy) for the first
//! sync of a user on 3 accounts, and after one product changes.
//!
//! `cargo build --release -p enlace-tests --example catalog_bench --bins`, then
//! `target/release/examples/catalog_bench`. Prints figures; asserts nothing about time.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use enlace_core::client::{ClientConfig, SyncClient};
use enlace_core::model::Catalog;
use enlace_core::store::Store;
use enlace_server::directory::{Directory, Role};
use enlace_tests::process::ServerProcess;
use enlace_tests::reference::{gtin13, import};
use enlace_tests::throttle::Throttle;

const PATIENCE: Duration = Duration::from_secs(600);
const ACCOUNTS: usize = 200;
const STORES: usize = 5_000;
const PRODUCTS: usize = 20_000;
/// Products owned by some account (the rest are competitors'): 50 per account.
const OWNED: usize = 10_000;
/// Assortment rows per account: 10 stores × (25 own + 25 competitor products).
const STORES_PER_ACCOUNT: usize = 10;
const PRODUCTS_PER_STORE: usize = 50;
/// The user's accounts.
const MINE: [usize; 3] = [0, 1, 2];

fn binary() -> PathBuf {
    let mut exe = std::env::current_exe().expect("current exe");
    exe.pop();
    if exe.ends_with("examples") {
        exe.pop();
    }
    exe.join("enlace-test-server")
}

fn account(i: usize) -> String {
    format!("a{i:03}")
}

fn gtin(j: usize) -> String {
    gtin13(&format!("78{j:010}"))
}

fn stores_csv() -> String {
    let mut csv = String::from("code,name,chain,format,address,region,lat,lon,cluster\n");
    for s in 0..STORES {
        let _ = writeln!(
            csv,
            "S{s:05},Supermercado Número {s} Ñuñoa,Cadena {},hiper,Av. Andrés Bello {s},RM,-33.{s:04},-70.{s:04},c{}",
            s % 7,
            s % 50
        );
    }
    csv
}

fn product_name(j: usize, edition: &str) -> String {
    format!("Producto {j} Lácteo 1L{edition}")
}

fn products_csv(changed: Option<usize>) -> String {
    let mut csv = String::from("gtin,name,brand,category,owner_account\n");
    for j in 0..PRODUCTS {
        let owner = if j < OWNED {
            account(j % ACCOUNTS)
        } else {
            String::new()
        };
        let edition = if Some(j) == changed {
            " (nueva receta)"
        } else {
            ""
        };
        let _ = writeln!(
            csv,
            "{},{},Marca {},Categoría {},{owner}",
            gtin(j),
            product_name(j, edition),
            j % 300,
            j % 40
        );
    }
    csv
}

/// The own products of account `i`.
fn own(i: usize) -> impl Iterator<Item = usize> {
    (0..OWNED).filter(move |j| j % ACCOUNTS == i)
}

fn assortments_csv() -> String {
    let mut csv =
        String::from("account,store,gtin,must_stock,target_facings,target_price,currency\n");
    for i in 0..ACCOUNTS {
        let mine: Vec<usize> = own(i).take(PRODUCTS_PER_STORE / 2).collect();
        let rivals: Vec<usize> = (0..PRODUCTS_PER_STORE / 2)
            .map(|m| OWNED + (i * 50 + m) % (PRODUCTS - OWNED))
            .collect();
        for k in 0..STORES_PER_ACCOUNT {
            let store = (i * 25 + k * 7) % STORES;
            for (n, j) in mine.iter().chain(&rivals).enumerate() {
                let _ = writeln!(
                    csv,
                    "{},S{store:05},{},{},{},{},CLP",
                    account(i),
                    gtin(*j),
                    n % 3 != 0,
                    n % 8,
                    990 + 10 * n
                );
            }
        }
    }
    csv
}

fn mib(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let work = tempfile::tempdir().expect("dir");
    let data = work.path().join("server");
    std::fs::create_dir_all(&data).expect("dir");
    let (admin, exec) = {
        let d = Directory::open_in(&data).expect("directory");
        let org = d
            .create_org(Some("bench".parse().expect("id")), "Agencia Bench")
            .expect("org");
        for i in 0..ACCOUNTS {
            d.create_account(
                &org,
                Some(account(i).parse().expect("id")),
                &format!("Cuenta {i}"),
            )
            .expect("account");
        }
        let admin = d
            .create_user(
                &org,
                Some("admin".parse().expect("id")),
                "Admin",
                "admin@x.cl",
                Role::Admin,
            )
            .expect("user");
        let exec = d
            .create_user(
                &org,
                Some("exec".parse().expect("id")),
                "Ejecutiva",
                "exec@x.cl",
                Role::AccountExecutive,
            )
            .expect("user");
        for i in MINE {
            d.set_member(&org, &account(i).parse().expect("id"), &exec, None)
                .expect("member");
        }
        let ttl = Duration::from_secs(3600);
        (
            d.issue_token(&org, &admin, ttl, "bench")
                .expect("token")
                .token,
            d.issue_token(&org, &exec, ttl, "bench")
                .expect("token")
                .token,
        )
    };
    let server = ServerProcess::spawn_authenticated(&binary(), &data, &[], PATIENCE);
    let addr = server.addr;

    let files = [
        ("stores", stores_csv()),
        ("products", products_csv(None)),
        ("assortments", assortments_csv()),
    ];
    println!(
        "# enlace reference data: {ACCOUNTS} accounts, {STORES} stores, {PRODUCTS} products, {} assortment rows",
        ACCOUNTS * STORES_PER_ACCOUNT * PRODUCTS_PER_STORE
    );
    println!();
    println!("| import | rows | file | first import (and catalogs) | same file again |");
    println!("|---|---:|---:|---:|---:|");
    for (kind, csv) in &files {
        let rows = csv.lines().count() - 1;
        let started = Instant::now();
        let answer = runtime.block_on(import(addr, Some(&admin), kind, csv));
        let first = started.elapsed();
        assert_eq!(answer.status, 200, "{kind}: {}", answer.body);
        let started = Instant::now();
        let again = runtime.block_on(import(addr, Some(&admin), kind, csv));
        let second = started.elapsed();
        assert_eq!(again.json()["changed"], 0, "{kind}: {}", again.body);
        println!(
            "| {kind} | {rows} | {:.1} MiB | {first:.2?} | {second:.2?} |",
            mib(csv.len())
        );
    }

    // A phone of the user on 3 accounts syncs for the first time, through a counting proxy.
    let proxy = runtime.block_on(Throttle::start(addr, u64::MAX));
    let phone_dir = work.path().join("phone");
    std::fs::create_dir_all(&phone_dir).expect("dir");
    let phone = Arc::new(Store::open(phone_dir.join("phone.sqlite")).expect("store"));
    let ids: Vec<_> = MINE
        .iter()
        .map(|i| Catalog::id_for("bench", &account(*i)))
        .collect();
    let mut config = ClientConfig::new(format!("ws://{}/v1/sync", proxy.addr)).with_token(&exec);
    config.backoff_initial = Duration::from_millis(50);
    let started = Instant::now();
    let client = SyncClient::start(phone.clone(), config).expect("client");
    client
        .wait_for(PATIENCE, || {
            client.is_caught_up() && ids.iter().all(|id| phone.get::<Catalog>(*id).is_ok())
        })
        .expect("the phone has its catalogs");
    let first_sync = started.elapsed();
    let (down, up) = (proxy.downloaded(), proxy.uploaded());
    println!();
    println!("| phone (3 accounts) | time | bytes down | bytes up |");
    println!("|---|---:|---:|---:|");
    println!("| first sync | {first_sync:.2?} | {down} | {up} |");

    // One product of the user's first account changes.
    let changed = own(MINE[0]).next().expect("a product");
    let started = Instant::now();
    let answer = runtime.block_on(import(
        addr,
        Some(&admin),
        "products",
        &products_csv(Some(changed)),
    ));
    assert_eq!(answer.json()["changed"], 1, "{}", answer.body);
    let name = product_name(changed, " (nueva receta)");
    client
        .wait_for(PATIENCE, || {
            phone.get::<Catalog>(ids[0]).is_ok_and(|c| {
                c.products
                    .get(&gtin(changed))
                    .is_some_and(|p| p.name == name)
            })
        })
        .expect("the change reached the phone");
    let after_change = started.elapsed();
    println!(
        "| one product renamed (import of 20,000 rows, then sync) | {after_change:.2?} | {} | {} |",
        proxy.downloaded() - down,
        proxy.uploaded() - up
    );

    println!();
    println!("| catalog | stores | products | assortment rows | document bytes |");
    println!("|---|---:|---:|---:|---:|");
    for (i, id) in MINE.iter().zip(&ids) {
        let catalog = phone.get::<Catalog>(*id).expect("catalog");
        let rows: usize = catalog.assortment.values().map(|a| a.len()).sum();
        let bytes = phone
            .load_raw(*id)
            .expect("load")
            .map_or(0, |mut doc| doc.save().len());
        println!(
            "| {} | {} | {} | {rows} | {bytes} |",
            account(*i),
            catalog.stores.len(),
            catalog.products.len()
        );
    }
    client.stop();
    drop(server);
}
