//! Edit benchmark: what a tap costs on the phone's edit path (`Store::edit`, targeted edits on
//! a cached document) for the storechecks of `domain.md`, and what creating and reading one
//! costs.
//!
//! ```text
//! cargo run --release -p enlace-core --example edit_bench [-- --json] [--edits N] [--creates N]
//! ```
//!
//! Figures (medians, milliseconds):
//! - `edit_line_ms`: one line-field edit (`SetFacings`) of a 60+20-line storecheck, in-memory
//!   store; `edit_line_file_ms` the same on a file store (WAL, `synchronous=FULL`) beside
//!   `bare_commit_ms`, a bare 100-byte SQLite commit on the same disk.
//! - `edit_line_1000_ms`: the same edit on a 1,000-line storecheck, in memory.
//! - `create_ms`: `Store::create` of a full 60+20-line storecheck, in memory.
//! - `get_warm_ms`: `Store::get` of it while it is in use (cached); `get_cold_ms`: the same
//!   with the cache off (load from SQLite + hydrate); `get_line_cold_ms`: one line read with
//!   the cache off (`Store::read_entry`: load, then hydrate that line only).
//! - `old_edit_line_ms`, `old_edit_line_1000_ms`: the same line edit through the old
//!   whole-document path (`Store::update`), for comparison.
//!
//! It prints figures and asserts nothing about time; the content is generated with a fixed seed.

use std::error::Error;
use std::time::{Duration, Instant as Clock};

use enlace_core::model::edit::{Editable, TextEdit, ValueTarget};
use enlace_core::model::rules::CheckInMethod;
use enlace_core::model::storecheck::{
    Expected, IssueType, LINES, Planogram, PopCondition, Presence, PriceTag, ProductSnapshot,
    Promo, Severity, ShelfLevel, ShelfLocation, StoreSnapshot, StorecheckEdit as E,
};
use enlace_core::model::{CheckIn, Instant, Money, Storecheck};
use enlace_core::store::Store;
use enlace_core::{DocumentId, EntityId};

type BoxResult<T> = Result<T, Box<dyn Error>>;

/// 2025-06-01T00:00:00Z.
const NOW_MS: i64 = 1_748_736_000_000;
const ZONE: &str = "America/Santiago";

#[derive(Debug)]
struct Args {
    json: bool,
    edits: usize,
    creates: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        json: false,
        edits: 300,
        creates: 30,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut count = || -> Result<usize, String> {
            it.next()
                .and_then(|v| v.parse().ok())
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("{flag} needs a positive number"))
        };
        match flag.as_str() {
            "--json" => args.json = true,
            "--edits" => args.edits = count()?,
            "--creates" => args.creates = count()?,
            _ => return Err(format!("unknown argument {flag}; see the source's header")),
        }
    }
    Ok(args)
}

/// A small deterministic generator (xorshift), so two runs build the same documents.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

fn clp(pesos: i64) -> BoxResult<Money> {
    Ok(Money::new(pesos, "CLP")?)
}

fn product(i: usize, own: bool) -> ProductSnapshot {
    ProductSnapshot {
        gtin: format!("780{:010}", 4_411_000 + i),
        name: format!("Cabernet Sauvignon Reserva 750 ml #{i}"),
        brand: if own {
            "Viña Añañuca"
        } else {
            "Concha y Toro"
        }
        .into(),
        is_own: own,
    }
}

/// The edits that fill a storecheck the way an executive does in a store: check in, then every
/// own line counted, competitor lines, a category block, POP items, an issue.
fn fill(rng: &mut Rng, own: usize, competitors: usize) -> BoxResult<Vec<E>> {
    let mut edits = vec![E::CheckIn {
        check_in: CheckIn {
            at: Instant::new(NOW_MS, ZONE)?,
            geo: None,
            method: CheckInMethod::Manual,
            manual_reason: Some("sin señal en el subterráneo".into()),
        },
    }];
    for i in 0..own {
        let line = format!("p{i:05}");
        let target = 3_990 + 1_000 * rng.below(11) as i64;
        edits.push(E::AddLine {
            key: line.clone(),
            product: product(i, true),
            expected: Expected {
                must_stock: rng.chance(70),
                target_facings: Some(2 + rng.below(6) as i64),
                target_price: Some(clp(target)?),
            },
        });
        if rng.chance(8) {
            edits.push(E::SetPresence {
                line,
                presence: Presence::Oos,
            });
            continue;
        }
        edits.extend([
            E::SetPresence {
                line: line.clone(),
                presence: Presence::Present,
            },
            E::SetFacings {
                line: line.clone(),
                facings: Some(1 + rng.below(11) as i64),
            },
            E::SetShelfLevel {
                line: line.clone(),
                level: Some(ShelfLevel::Eye),
            },
            E::SetLocation {
                line: line.clone(),
                location: Some(ShelfLocation::Shelf),
            },
            E::SetPlanogram {
                line: line.clone(),
                planogram: Some(Planogram::Compliant),
            },
            E::SetShelfPrice {
                line: line.clone(),
                price: Some(clp(target + 200)?),
            },
            E::SetPriceTag {
                line: line.clone(),
                price_tag: Some(PriceTag::Ok),
            },
        ]);
        if rng.chance(10) {
            edits.push(E::SetPromo {
                line: line.clone(),
                promo: Some(Promo {
                    active: true,
                    price: Some(clp(target - 1_000)?),
                    mechanic: "Lleve 3 pague 2".into(),
                }),
            });
        }
        if rng.chance(15) {
            edits.push(E::EditLineNote {
                line,
                edit: TextEdit::insert(0, "Etiqueta de precio despegada, reponer mañana"),
            });
        }
    }
    for i in 0..competitors {
        let line = format!("c{i:05}");
        edits.push(E::AddCompetitorLine {
            key: line.clone(),
            product: product(10_000 + i, false),
        });
        edits.push(E::SetCompetitorFacings {
            line,
            facings: Some(1 + rng.below(9) as i64),
        });
    }
    edits.extend([
        E::AddCategoryBlock {
            key: "vino-tinto".into(),
            name: "Vino tinto".into(),
            total_facings: Some(240),
        },
        E::AddPopItem {
            key: "wobbler".into(),
            name: "Wobbler de temporada".into(),
            expected: true,
        },
        E::SetPopCondition {
            item: "wobbler".into(),
            condition: Some(PopCondition::Damaged),
        },
        E::RaiseIssue {
            key: "i1".into(),
            issue_type: IssueType::Oos,
            severity: Severity::High,
            line: Some("p00000".into()),
            description: "Quiebre de stock en la góndola principal".into(),
        },
    ]);
    Ok(edits)
}

/// A full storecheck value with `own` + `competitors` lines, built by applying [`fill`] to a
/// new draft in memory.
fn full_storecheck(rng: &mut Rng, own: usize, competitors: usize) -> BoxResult<Storecheck> {
    let mut sc = Storecheck::new(
        DocumentId::new_random(),
        "acct-vina-anauca".parse::<EntityId>()?,
        "user-sofia-ibanez".parse::<EntityId>()?,
        Instant::new(NOW_MS - 1_200_000, ZONE)?,
        StoreSnapshot {
            id: "store-017".parse::<EntityId>()?,
            code: "J017".into(),
            name: "Jumbo Costanera #17".into(),
            chain: "Jumbo".into(),
            format: "hiper".into(),
        },
        "2025-05",
    );
    for edit in fill(rng, own, competitors)? {
        Storecheck::apply(&edit, &mut ValueTarget::new(&mut sc))?;
    }
    Ok(sc)
}

fn with_new_id(sc: &Storecheck) -> Storecheck {
    let mut copy = sc.clone();
    copy.id = DocumentId::new_random();
    copy
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Clock::now();
    let out = f();
    (out, start.elapsed())
}

fn median_ms(samples: &mut [Duration]) -> f64 {
    samples.sort();
    samples
        .get(samples.len() / 2)
        .map_or(f64::NAN, |d| d.as_secs_f64() * 1e3)
}

/// Median of `n` one-line `SetFacings` edits on random lines of document `id`.
fn edit_lines(
    rng: &mut Rng,
    store: &Store,
    id: DocumentId,
    lines: usize,
    n: usize,
) -> BoxResult<f64> {
    // One edit first, so the document is in use (cached) as it is while an executive taps.
    store.edit::<Storecheck>(id, &[])?;
    let _warm: Storecheck = store.get(id)?;
    let mut samples = Vec::with_capacity(n);
    for i in 0..n {
        let edit = E::SetFacings {
            line: format!("p{:05}", rng.below(lines as u64)),
            facings: Some((i % 13) as i64),
        };
        let (result, d) = timed(|| store.edit::<Storecheck>(id, std::slice::from_ref(&edit)));
        result?;
        samples.push(d);
    }
    Ok(median_ms(&mut samples))
}

/// The same edits through the old whole-document path (`Store::update`: load, hydrate, change
/// the value, reconcile it all), for the before/after comparison.
fn update_lines(
    rng: &mut Rng,
    store: &Store,
    id: DocumentId,
    lines: usize,
    n: usize,
) -> BoxResult<f64> {
    let mut samples = Vec::with_capacity(n);
    for i in 0..n {
        let line = format!("p{:05}", rng.below(lines as u64));
        let facings = (i % 13) as i64;
        let (result, d) =
            timed(|| store.update(id, |s: &mut Storecheck| s.set_facings(&line, facings)));
        result?;
        samples.push(d);
    }
    Ok(median_ms(&mut samples))
}

/// Median of `n` bare SQLite commits (100-byte insert, WAL, `synchronous=FULL`) in `dir`.
fn bare_commits(dir: &std::path::Path, n: usize) -> BoxResult<f64> {
    let conn = rusqlite::Connection::open(dir.join("bare.sqlite"))?;
    conn.pragma_update(None, "journal_mode", "wal")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.execute("CREATE TABLE t (b BLOB)", [])?;
    let payload = [7u8; 100];
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        let (r, d) = timed(|| conn.execute("INSERT INTO t (b) VALUES (?1)", [&payload[..]]));
        r?;
        samples.push(d);
    }
    Ok(median_ms(&mut samples))
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("edit_bench: {e}");
            std::process::exit(2);
        }
    };
    if let Err(e) = run(&args) {
        eprintln!("edit_bench: {e}");
        std::process::exit(1);
    }
}

fn run(args: &Args) -> BoxResult<()> {
    let mut rng = Rng(0x5eed_cafe_f00d_beef);
    let full = full_storecheck(&mut rng, 60, 20)?;
    let big = full_storecheck(&mut rng, 1_000, 20)?;

    let mem = Store::open_in_memory()?;
    let mut creates = Vec::with_capacity(args.creates);
    let mut created = Vec::with_capacity(args.creates);
    for _ in 0..args.creates {
        let sc = with_new_id(&full);
        let (id, d) = timed(|| mem.create(&sc));
        created.push(id?);
        creates.push(d);
    }
    let create_ms = median_ms(&mut creates);

    let target = *created.first().ok_or("no storecheck created")?;
    let edit_line_ms = edit_lines(&mut rng, &mem, target, 60, args.edits)?;

    let mut warm = Vec::with_capacity(args.edits);
    for _ in 0..args.edits {
        let (r, d) = timed(|| mem.get::<Storecheck>(target));
        r?;
        warm.push(d);
    }
    let get_warm_ms = median_ms(&mut warm);

    let budget = enlace_core::store::DEFAULT_CACHE_BYTES;
    mem.set_cache_budget(0);
    let mut cold = Vec::with_capacity(created.len());
    for id in &created {
        let (r, d) = timed(|| mem.get::<Storecheck>(*id));
        r?;
        cold.push(d);
    }
    let get_cold_ms = median_ms(&mut cold);
    let mut cold_line = Vec::with_capacity(created.len());
    for id in &created {
        let (r, d) = timed(|| mem.read_entry(*id, LINES, "p00007"));
        r?.ok_or("line p00007 is missing")?;
        cold_line.push(d);
    }
    let get_line_cold_ms = median_ms(&mut cold_line);
    mem.set_cache_budget(budget);

    let big_id = mem.create(&with_new_id(&big))?;
    let edit_line_1000_ms = edit_lines(&mut rng, &mem, big_id, 1_000, args.edits.min(200))?;

    let old_n = args.edits.min(40);
    let old_edit_line_ms = update_lines(&mut rng, &mem, target, 60, old_n)?;
    let old_edit_line_1000_ms = update_lines(&mut rng, &mem, big_id, 1_000, old_n.min(10))?;

    let dir = tempfile::tempdir()?;
    let file = Store::open(dir.path().join("edit_bench.sqlite"))?;
    let on_disk = file.create(&with_new_id(&full))?;
    let edit_line_file_ms = edit_lines(&mut rng, &file, on_disk, 60, args.edits.min(200))?;
    let bare_commit_ms = bare_commits(dir.path(), args.edits.min(200))?;

    let figures = [
        ("edit_line_ms", edit_line_ms),
        ("edit_line_1000_ms", edit_line_1000_ms),
        ("create_ms", create_ms),
        ("get_warm_ms", get_warm_ms),
        ("get_cold_ms", get_cold_ms),
        ("get_line_cold_ms", get_line_cold_ms),
        ("edit_line_file_ms", edit_line_file_ms),
        ("bare_commit_ms", bare_commit_ms),
        ("old_edit_line_ms", old_edit_line_ms),
        ("old_edit_line_1000_ms", old_edit_line_1000_ms),
    ];
    if args.json {
        let fields: Vec<String> = figures
            .iter()
            .map(|(k, v)| format!("\"{k}\":{v:.3}"))
            .collect();
        println!("{{{}}}", fields.join(","));
    } else {
        println!(
            "edit_bench: storecheck 60 own + 20 competitor lines ({} edits to fill), medians in ms",
            fill(&mut Rng(1), 60, 20)?.len()
        );
        for (k, v) in figures {
            println!("  {k:<20} {v:>8.3}");
        }
    }
    Ok(())
}
