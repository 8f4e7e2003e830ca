//! Catalog benchmark: how long a phone takes to create a storecheck of 60 lines from a store's
//! assortment, with one account's catalog of the benchmark size on the phone (500 stores, 100
//! products, about 25,000 assortment rows), on a store file on disk.
//!
//! ```text
//! cargo run --release -p enlace-core --example catalog_storecheck_bench [-- --runs N]
//! ```
//!
//! `--runs N` timed creations (default 51). It prints figures (median, fastest, slowest); it
//! asserts nothing about time. Each creation is the whole call: finding the catalog, reading
//! the assortment out of it, building the storecheck and storing it in one durable transaction.

#[path = "../tests/support/catalog.rs"]
mod catalog_support;

use std::error::Error;
use std::time::{Duration, Instant as Clock};

use catalog_support::{catalog, gtin, store_code, target};
use enlace_core::EntityId;
use enlace_core::model::{Instant, Storecheck};
use enlace_core::store::Store;

const STORES: usize = 500;
const PRODUCTS: usize = 100;
const ROWS_PER_STORE: usize = 50;
const LINES: usize = 60;

fn main() -> Result<(), Box<dyn Error>> {
    let runs = runs_from_args()?;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("catalog_bench.sqlite");
    let account: EntityId = "acc-bench".parse()?;
    let exec: EntityId = "exec-1".parse()?;
    let now = Instant::new(1_765_100_000_000, "America/Santiago")?;

    // One account's catalog; store 0 gets a 60-product assortment, the others 50.
    let mut c = catalog(account.as_str(), STORES, PRODUCTS, ROWS_PER_STORE);
    let code = store_code(0);
    let rows = (0..LINES).map(|j| (gtin(j), target(j))).collect();
    c.assortment.insert(code.clone(), rows);
    let assortment_rows: usize = c.assortment.values().map(|r| r.len()).sum();

    let store = Store::open(&path)?;
    let started = Clock::now();
    store.create(&c)?;
    let stored = started.elapsed();
    drop(store);

    // A fresh open: the first call reads the catalog from the store file.
    let store = Store::open(&path)?;
    let started = Clock::now();
    let first =
        store.create_storecheck_from_assortment(&account, &code, exec.clone(), now.clone())?;
    let cold = started.elapsed();
    let lines = store.read(first, |s: &Storecheck| {
        s.lines.len() + s.competitor_lines.len()
    })?;

    let mut create = Vec::with_capacity(runs);
    let mut read = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Clock::now();
        store.create_storecheck_from_assortment(&account, &code, exec.clone(), now.clone())?;
        create.push(started.elapsed());
        let started = Clock::now();
        store.with_catalog(&account, |c| c.assortment_of(&code).len())?;
        read.push(started.elapsed());
    }

    println!(
        "catalog: {STORES} stores, {PRODUCTS} products, {assortment_rows} assortment rows; \
         storecheck: {lines} lines from store {code}"
    );
    println!(
        "store the catalog once:                      {}",
        ms(stored)
    );
    println!("first storecheck after opening the store:    {}", ms(cold));
    println!(
        "storecheck from the assortment ({runs} runs):   {}",
        summary(&mut create)
    );
    println!(
        "  of which reading the assortment, alone:    {}",
        summary(&mut read)
    );
    Ok(())
}

fn runs_from_args() -> Result<usize, Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let mut runs = 51;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--runs" => {
                runs = args.next().ok_or("--runs needs a number")?.parse()?;
                if runs == 0 {
                    return Err("--runs must be at least 1".into());
                }
            }
            other => return Err(format!("unknown argument {other:?}").into()),
        }
    }
    Ok(runs)
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

/// Median, fastest and slowest of `times` (sorted in place).
fn summary(times: &mut [Duration]) -> String {
    times.sort();
    format!(
        "median {}, fastest {}, slowest {}",
        ms(times[times.len() / 2]),
        ms(times[0]),
        ms(times[times.len() - 1])
    )
}
