//! Store benchmark: how long the embedded SQLite store takes for the calls a phone makes, on a
//! file on disk, with documents of the sizes in `domain.md` ("Realistic sizes").
//!
//! ```text
//! cargo run --release -p enlace-core --example store_bench [-- --docs N --dir PATH]
//! ```
//!
//! Options: `--docs N` documents in the store that is opened and listed (default 5000, the 200
//! storechecks of step 1 included); `--creates N` timed storecheck creations (200); `--updates N`
//! timed one-field updates (300); `--opens N` timed opens (15); `--lists N` timed lists (300);
//! `--dir PATH` keeps the database in PATH (it must not already hold one) instead of a temporary
//! directory that is removed at the end.
//!
//! It prints figures; it asserts nothing about time. Documents are generated with a fixed seed, so
//! two runs store the same content (ids aside).

use std::collections::BTreeMap;
use std::error::Error;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant as Clock};

use autosurgeon::Text;
use enlace_core::model::action_item::{Priority, Source, SourceKind};
use enlace_core::model::client_visit::{
    Expense, ExpenseCategory, Location, LocationKind, Outcome, VisitKind,
};
use enlace_core::model::meeting_note::{
    ActionRef, Decision, MeetingKind, Recipient, RecipientReason,
};
use enlace_core::model::order::between;
use enlace_core::model::people::{Attendance, Attendee, Party};
use enlace_core::model::rules::CheckInMethod;
use enlace_core::model::storecheck::{
    CategoryBlock, CompetitorLine, Expected, Issue, IssueType, Line, Planogram, PopCondition,
    PopItem, Presence, PriceTag, ProductSnapshot, Promo, Severity, ShelfLevel, ShelfLocation,
    StoreSnapshot,
};
use enlace_core::model::{
    self as model, ActionItem, ActionItemStatus, CheckIn, ClientVisit, Document, DocumentKind,
    GeoPoint, IdSet, Instant, MeetingNote, ModelError, Money, PhotoKind, PhotoRef, Storecheck,
    VisitStatus,
};
use enlace_core::store::{Query, Store};
use enlace_core::{DocumentId, EntityId};

type BoxResult<T> = Result<T, Box<dyn Error>>;

/// 2025-06-01T00:00:00Z: "now" for the generated documents, which spread over the two years
/// before it.
const NOW_MS: i64 = 1_748_736_000_000;
const DAY_MS: i64 = 86_400_000;
const ZONE: &str = "America/Santiago";
const DB_FILE: &str = "store_bench.sqlite";

// ---------------------------------------------------------------------------------------------
// Arguments

#[derive(Debug)]
struct Args {
    docs: usize,
    creates: usize,
    updates: usize,
    opens: usize,
    lists: usize,
    dir: Option<PathBuf>,
}

const USAGE: &str = "usage: store_bench [--docs N] [--creates N] [--updates N] [--opens N] \
                     [--lists N] [--dir PATH]";

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        docs: 5_000,
        creates: 200,
        updates: 300,
        opens: 15,
        lists: 300,
        dir: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))
        };
        let count = |v: String| -> Result<usize, String> {
            v.parse::<usize>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("{flag}: {v:?} is not a positive count\n{USAGE}"))
        };
        match flag.as_str() {
            "--docs" => args.docs = count(value()?)?,
            "--creates" => args.creates = count(value()?)?,
            "--updates" => args.updates = count(value()?)?,
            "--opens" => args.opens = count(value()?)?,
            "--lists" => args.lists = count(value()?)?,
            "--dir" => args.dir = Some(PathBuf::from(value()?)),
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    Ok(args)
}

// ---------------------------------------------------------------------------------------------
// Measuring

/// splitmix64: a small deterministic generator, so every run stores the same content.
#[derive(Debug)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `percent`/100.
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Clock::now();
    let out = f();
    (out, start.elapsed())
}

/// Median, p95 and max of a set of timings.
#[derive(Debug, Clone, Copy)]
struct Summary {
    n: usize,
    median: Duration,
    p95: Duration,
    max: Duration,
}

fn summarize(samples: &[Duration]) -> Option<Summary> {
    let mut v = samples.to_vec();
    v.sort();
    let n = v.len();
    let last = *v.last()?;
    // Nearest-rank percentiles.
    let rank = |p: usize| v[(n * p).div_ceil(100).clamp(1, n) - 1];
    Some(Summary {
        n,
        median: rank(50),
        p95: rank(95),
        max: last,
    })
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1e3)
}

fn kib(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / 1024.0)
}

/// Rows of the results table.
#[derive(Debug, Default)]
struct Table(Vec<(String, Option<Summary>, String)>);

impl Table {
    fn row(&mut self, what: impl Into<String>, samples: &[Duration], note: impl Into<String>) {
        self.0.push((what.into(), summarize(samples), note.into()));
    }

    fn print(&self) {
        println!(
            "| {:<58} | {:>5} | {:>11} | {:>8} | {:>8} | note",
            "operation", "n", "median (ms)", "p95 (ms)", "max (ms)"
        );
        println!(
            "|{:-<60}|{:-<7}|{:-<13}|{:-<10}|{:-<10}|------",
            "", "", "", "", ""
        );
        for (what, s, note) in &self.0 {
            match s {
                Some(s) => println!(
                    "| {:<58} | {:>5} | {:>11} | {:>8} | {:>8} | {note}",
                    what,
                    s.n,
                    ms(s.median),
                    ms(s.p95),
                    ms(s.max)
                ),
                None => println!(
                    "| {what:<58} | {:>5} | {:>11} | {:>8} | {:>8} | {note}",
                    0, "-", "-", "-"
                ),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Realistic documents

const VARIETIES: [&str; 10] = [
    "Cabernet Sauvignon",
    "Carménère",
    "Merlot",
    "Syrah",
    "Sauvignon Blanc",
    "Chardonnay",
    "País",
    "Malbec",
    "Pinot Noir",
    "Rosé",
];
const FORMATS: [&str; 6] = [
    "Reserva 750 ml",
    "Gran Reserva 750 ml",
    "Clásico 1,5 L",
    "Bag-in-box 3 L",
    "Reserva 375 ml",
    "Edición Limitada 750 ml",
];
const OWN_BRANDS: [&str; 2] = ["Viña Santa Rosalía", "Viña Añañuca"];
const COMPETITOR_BRANDS: [&str; 4] = [
    "Viña Los Coihues",
    "Bodegas del Maule",
    "Viña Peñalolén",
    "Casa Ñandú",
];
const STORES: [(&str, &str, &str); 6] = [
    ("Jumbo", "Jumbo Costanera Center", "hiper"),
    ("Líder", "Líder Ñuñoa", "hiper"),
    ("Santa Isabel", "Santa Isabel Viña del Mar", "super"),
    ("Unimarc", "Unimarc Concepción Centro", "super"),
    ("Tottus", "Tottus La Florida", "hiper"),
    ("Líder Express", "Líder Express Providencia", "express"),
];
const LINE_NOTES: [&str; 6] = [
    "Góndola desordenada, el reponedor quedó de ordenar mañana.",
    "Precio de la flexible no coincide con el sistema 🙁",
    "Producto detrás de la competencia, poca visibilidad.",
    "Quiebre informado al jefe de sección (Sr. Muñoz).",
    "Fecha de vencimiento próxima en 3 cajas; pedir rotación.",
    "Excelente exhibición en cabecera 👍",
];
const SENTENCES: [&str; 12] = [
    "El cliente pidió revisar la inversión en trade para el segundo semestre.",
    "Se acordó adelantar la campaña de Fiestas Patrias dos semanas.",
    "La gerenta de marca quiere ver el estudio de precios antes del jueves.",
    "Hubo dudas sobre la rotación en las salas de regiones, sobre todo en Concepción.",
    "Propusimos una activación en punto de venta con degustación los fines de semana.",
    "El equipo creativo presentará dos rutas; el cliente prefiere la más emocional.",
    "Quedó pendiente la aprobación del presupuesto de medios digitales.",
    "Se revisaron los quiebres de stock de la última quincena en Jumbo y Líder.",
    "La agencia enviará el contact report dentro de las 24 horas hábiles.",
    "El cliente destacó el trabajo del ejecutivo junior en la ruta de supermercados.",
    "Conversamos la posibilidad de sumar material POP en cabeceras de góndola.",
    "Acordamos una reunión de seguimiento con el área comercial la próxima semana.",
];
const PEOPLE: [(&str, &str); 8] = [
    ("María José Núñez", "Gerenta de marca"),
    ("Andrés Peña", "Jefe de trade marketing"),
    ("Sofía Ibáñez", "Ejecutiva de cuentas"),
    ("Tomás Aravena", "Director de cuentas"),
    ("Camila Ñancupil", "Ejecutiva junior"),
    ("José Ignacio Güell", "Planner de medios"),
    ("Valentina Ruíz", "Product manager"),
    ("Matías Echeñique", "Subgerente comercial"),
];
const ACCOUNTS: [&str; 4] = [
    "acc-vina-sur",
    "acc-lacteos-sol",
    "acc-cafe-andino",
    "acc-snacks-norte",
];

fn eid(s: &str) -> BoxResult<EntityId> {
    s.parse()
        .map_err(|e| format!("generated entity id {s:?}: {e}").into())
}

fn at(ms: i64) -> Result<Instant, ModelError> {
    Instant::new(ms, ZONE)
}

fn clp(pesos: i64) -> Result<Money, ModelError> {
    Money::new(pesos, "CLP")
}

fn geo(rng: &mut Rng) -> GeoPoint {
    GeoPoint {
        lat: -33.45 + rng.below(1000) as f64 / 5000.0,
        lon: -70.66 + rng.below(1000) as f64 / 5000.0,
        accuracy_m: Some(5.0 + rng.below(30) as f64),
    }
}

fn gps_check_in(rng: &mut Rng, ms: i64) -> Result<CheckIn, ModelError> {
    Ok(CheckIn {
        at: at(ms)?,
        geo: Some(geo(rng)),
        method: CheckInMethod::Gps,
        manual_reason: None,
    })
}

/// Spanish prose of about `words` words.
fn prose(rng: &mut Rng, words: usize) -> String {
    let mut out = String::new();
    let mut count = 0;
    while count < words {
        let s = rng.pick(&SENTENCES);
        if !out.is_empty() {
            out.push(if rng.chance(15) { '\n' } else { ' ' });
        }
        out.push_str(s);
        count += s.split_whitespace().count();
    }
    out
}

fn photo(rng: &mut Rng, ms: i64, kind: PhotoKind, caption: &str) -> BoxResult<PhotoRef> {
    let sha256 = (0..4).map(|_| format!("{:016x}", rng.next())).collect();
    Ok(PhotoRef {
        id: eid(&format!("ph-{:016x}", rng.next()))?,
        sha256,
        mime: "image/jpeg".into(),
        bytes: 300_000 + rng.below(500_000) as u64,
        width: 1600,
        height: 1200,
        taken_at: Some(at(ms)?),
        geo: Some(geo(rng)),
        kind,
        caption: caption.into(),
        deleted: false,
    })
}

/// A storecheck as an executive leaves it after walking the shelf: every line counted, priced
/// and marked, a few notes, issues, photos, category blocks and POP items.
fn storecheck(rng: &mut Rng, own: usize, competitors: usize, ms: i64) -> BoxResult<Storecheck> {
    let store_no = rng.below(60);
    let (chain, name, format) = *rng.pick(&STORES);
    let mut sc = Storecheck::new(
        DocumentId::new_random(),
        eid(ACCOUNTS[0])?,
        eid("user-sofia-ibanez")?,
        at(ms - 20 * 60_000)?,
        StoreSnapshot {
            id: eid(&format!("store-{store_no:03}"))?,
            code: format!("J{store_no:03}"),
            name: format!("{name} #{store_no}"),
            chain: chain.into(),
            format: format.into(),
        },
        "2025-05",
    );
    sc.check_in(gps_check_in(rng, ms)?)?;
    let photos: Vec<PhotoRef> = (0..5)
        .map(|i| {
            photo(
                rng,
                ms + i * 60_000,
                PhotoKind::Shelf,
                "Góndola de vinos tintos",
            )
        })
        .collect::<BoxResult<_>>()?;
    let mut own_facings = 0;
    for i in 0..own {
        let key = format!("p{:05}", i);
        let target = 3_990 + 1_000 * rng.below(11) as i64;
        let line = sc.add_line(
            &key,
            ProductSnapshot {
                gtin: format!("780{:010}", 4_411_000 + i),
                name: format!(
                    "{} {}",
                    VARIETIES[i % VARIETIES.len()],
                    FORMATS[(i / VARIETIES.len()) % FORMATS.len()]
                ),
                brand: OWN_BRANDS[i % OWN_BRANDS.len()].into(),
                is_own: true,
            },
            Expected {
                must_stock: rng.chance(70),
                target_facings: Some(rng.range(2, 8) as i64),
                target_price: Some(clp(target)?),
            },
        )?;
        fill_line(rng, line, target, &photos)?;
        own_facings += line.facings.unwrap_or(0);
    }
    let mut competitor_facings = 0;
    for i in 0..competitors {
        let facings = rng.range(1, 10) as i64;
        competitor_facings += facings;
        let promo = rng.chance(15).then(|| Promo {
            active: true,
            price: None,
            mechanic: "2x1".into(),
        });
        sc.competitor_lines.insert(
            format!("c{:05}", i),
            CompetitorLine {
                product: ProductSnapshot {
                    gtin: format!("780{:010}", 9_120_000 + i),
                    name: format!(
                        "{} {}",
                        VARIETIES[(i + 3) % VARIETIES.len()],
                        FORMATS[i % FORMATS.len()]
                    ),
                    brand: COMPETITOR_BRANDS[i % COMPETITOR_BRANDS.len()].into(),
                    is_own: false,
                },
                facings: Some(facings),
                shelf_price: Some(clp(3_490 + 1_000 * rng.below(10) as i64)?),
                promo,
                deleted: false,
            },
        );
    }
    sc.category_blocks.insert(
        "cat-tintos".into(),
        CategoryBlock {
            name: "Vinos tintos".into(),
            total_facings: Some(own_facings + competitor_facings + rng.range(20, 80) as i64),
            deleted: false,
        },
    );
    sc.category_blocks.insert(
        "cat-blancos".into(),
        CategoryBlock {
            name: "Vinos blancos y rosés".into(),
            total_facings: Some(rng.range(30, 90) as i64),
            deleted: false,
        },
    );
    for (key, name) in [
        ("pop-cabecera", "Cabecera de góndola Fiestas Patrias"),
        ("pop-flejera", "Flejera de precios"),
    ] {
        sc.pop_items.insert(
            key.into(),
            PopItem {
                name: name.into(),
                expected: true,
                present: Some(rng.chance(70)),
                condition: Some(if rng.chance(80) {
                    PopCondition::Good
                } else {
                    PopCondition::Damaged
                }),
                deleted: false,
            },
        );
    }
    let oos: Vec<String> = sc
        .lines
        .iter()
        .filter(|(_, l)| l.presence == Presence::Oos)
        .map(|(k, _)| k.clone())
        .take(3)
        .collect();
    for (i, key) in oos.into_iter().enumerate() {
        sc.issues.insert(
            format!("iss-{i}"),
            Issue {
                issue_type: IssueType::Oos,
                severity: Severity::High,
                line_key: Some(key),
                description: Text::with_value(
                    "Quiebre de stock; bodega sin unidades según el jefe de sala.",
                ),
                action_item_id: None,
                deleted: false,
            },
        );
    }
    for p in photos {
        sc.photos.insert(p.id.to_string(), p);
    }
    sc.general_notes = Text::with_value(prose(rng, 60));
    Ok(sc)
}

fn fill_line(rng: &mut Rng, line: &mut Line, target: i64, photos: &[PhotoRef]) -> BoxResult<()> {
    let roll = rng.below(100);
    line.presence = match roll {
        0..=7 => Presence::Oos,
        8..=10 => Presence::NotListed,
        _ => Presence::Present,
    };
    if line.presence != Presence::Present {
        line.facings = Some(0);
        return Ok(());
    }
    line.facings = Some(rng.range(1, 12) as i64);
    line.shelf_level = Some(*rng.pick(&[
        ShelfLevel::Top,
        ShelfLevel::Eye,
        ShelfLevel::Hand,
        ShelfLevel::Bottom,
    ]));
    line.location = Some(if rng.chance(85) {
        ShelfLocation::Shelf
    } else {
        ShelfLocation::Endcap
    });
    line.planogram = Some(if rng.chance(80) {
        Planogram::Compliant
    } else {
        Planogram::WrongPosition
    });
    line.shelf_price = Some(clp(target + 200 * (rng.below(5) as i64 - 2))?);
    line.price_tag = Some(if rng.chance(90) {
        PriceTag::Ok
    } else {
        PriceTag::Wrong
    });
    if rng.chance(10) {
        line.promo = Some(Promo {
            active: true,
            price: Some(clp(target - 1_000)?),
            mechanic: "Lleve 3 pague 2".into(),
        });
    }
    if rng.chance(20) {
        line.expiry_nearest = Some(format!(
            "2026-{:02}-{:02}",
            rng.range(1, 12),
            rng.range(1, 28)
        ));
    }
    if rng.chance(15) {
        line.note = Text::with_value(*rng.pick(&LINE_NOTES));
    }
    if rng.chance(10) {
        line.photo_ids.insert(rng.pick(photos).id.to_string());
    }
    Ok(())
}

fn attendees(rng: &mut Rng, n: usize) -> BTreeMap<String, Attendee> {
    (0..n)
        .map(|i| {
            let (name, title) = PEOPLE[i % PEOPLE.len()];
            let attendee = Attendee {
                party: if i % 2 == 0 {
                    Party::Client
                } else {
                    Party::Agency
                },
                person_id: Some(format!("person-{}", i % PEOPLE.len())),
                name: if i < PEOPLE.len() {
                    name.to_owned()
                } else {
                    format!("{name} ({i})")
                },
                title: title.into(),
                attendance: if rng.chance(90) {
                    Attendance::Attended
                } else {
                    Attendance::Absent
                },
                deleted: false,
            };
            (format!("att-{i}"), attendee)
        })
        .collect()
}

fn client_visit(rng: &mut Rng, ms: i64) -> BoxResult<ClientVisit> {
    let kind = *rng.pick(&[
        VisitKind::ClientMeeting,
        VisitKind::BusinessLunch,
        VisitKind::Presentation,
        VisitKind::StoreWalk,
        VisitKind::Call,
    ]);
    let mut v = ClientVisit::new(
        DocumentId::new_random(),
        eid(rng.pick::<&str>(&ACCOUNTS))?,
        eid("user-sofia-ibanez")?,
        at(ms - 3 * DAY_MS)?,
        kind,
        format!("Reunión de seguimiento — {}", rng.pick(&STORES).0),
    );
    v.planned_start = Some(at(ms)?);
    v.planned_end = Some(at(ms + 90 * 60_000)?);
    v.location = Some(Location {
        kind: LocationKind::ClientOffice,
        place_name: "Oficinas del cliente, piso 12".into(),
        address: "Av. Apoquindo 4501, Las Condes".into(),
        geo: Some(geo(rng)),
    });
    v.objective = Text::with_value(prose(rng, 30));
    let words = rng.range(80, 300);
    v.notes = Text::with_value(prose(rng, words));
    v.next_steps = Text::with_value(prose(rng, 25));
    let people = rng.range(2, 6);
    v.attendees = attendees(rng, people);
    if kind == VisitKind::BusinessLunch {
        v.expenses.insert(
            "exp-1".into(),
            Expense {
                category: ExpenseCategory::Meal,
                amount: clp(rng.range(35, 120) as i64 * 1_000)?,
                billable: true,
                receipt_photo: None,
                deleted: false,
            },
        );
    }
    if ms < NOW_MS {
        v.check_in(gps_check_in(rng, ms + 5 * 60_000)?)?;
        v.advance(VisitStatus::Held)?;
        v.check_out(at(ms + 80 * 60_000)?)?;
        v.outcome = Some(if rng.chance(70) {
            Outcome::Positive
        } else {
            Outcome::FollowUpRequired
        });
        v.outcome_note = Text::with_value(prose(rng, 20));
    }
    Ok(v)
}

fn meeting_note(rng: &mut Rng, ms: i64, action_items: usize) -> BoxResult<MeetingNote> {
    let mut n = MeetingNote::new(
        DocumentId::new_random(),
        eid("user-sofia-ibanez")?,
        at(ms)?,
        *rng.pick(&[
            MeetingKind::ClientMeeting,
            MeetingKind::BudgetReview,
            MeetingKind::BrandReview,
            MeetingKind::CreativePresentation,
        ]),
        "Reunión mensual de marca — revisión de campaña",
    );
    n.account_id = Some(eid(rng.pick::<&str>(&ACCOUNTS))?);
    n.started_at = Some(at(ms)?);
    n.ended_at = Some(at(ms + 60 * 60_000)?);
    n.location = "Sala Los Andes, oficinas del cliente".into();
    // 200-2,500 words, most notes well under the top.
    let words = if rng.chance(80) {
        rng.range(200, 900)
    } else {
        rng.range(900, 2_500)
    };
    n.body = Text::with_value(prose(rng, words));
    n.internal_notes = Text::with_value(prose(rng, 40));
    let people = rng.range(2, 12);
    n.attendees = attendees(rng, people);
    for (i, title) in [
        "Resultados del mes",
        "Campaña Fiestas Patrias",
        "Storechecks y quiebres",
        "Varios",
    ]
    .iter()
    .enumerate()
    {
        n.add_agenda_item(&format!("ag-{i}"), *title)?;
    }
    let mut order: Option<String> = None;
    for i in 0..2 {
        let key = between(order.as_deref(), None)?;
        n.decisions.insert(
            format!("dec-{i}"),
            Decision {
                order: key.clone(),
                text: Text::with_value(*rng.pick(&SENTENCES)),
                agreed_by: IdSet::new(),
                deleted: false,
            },
        );
        order = Some(key);
    }
    let mut order: Option<String> = None;
    for i in 0..action_items {
        let key = between(order.as_deref(), None)?;
        n.action_item_ids.insert(
            format!("ai-{i}"),
            ActionRef {
                order: key.clone(),
                deleted: false,
            },
        );
        order = Some(key);
    }
    for (i, (name, _)) in PEOPLE.iter().take(3).enumerate() {
        n.contact_report.distribution.insert(
            format!("rcpt-{i}"),
            Recipient {
                name: (*name).into(),
                email: format!("persona{i}@cliente.example"),
                party: Party::Client,
                reason: RecipientReason::Attendee,
                deleted: false,
            },
        );
    }
    Ok(n)
}

fn action_item(rng: &mut Rng, ms: i64, note: Option<DocumentId>) -> BoxResult<ActionItem> {
    let mut a = ActionItem::new(
        DocumentId::new_random(),
        eid("user-sofia-ibanez")?,
        at(ms)?,
        Source {
            kind: if note.is_some() {
                SourceKind::MeetingNote
            } else {
                SourceKind::Manual
            },
            doc_id: note,
        },
        "Enviar propuesta de activación en cabeceras",
        eid("user-camila-nancupil")?,
    );
    a.account_id = Some(eid(rng.pick::<&str>(&ACCOUNTS))?);
    a.due_date = Some(at(ms + rng.range(2, 14) as i64 * DAY_MS)?);
    a.priority = *rng.pick(&[Priority::Normal, Priority::High, Priority::Low]);
    a.description = Text::with_value(prose(rng, 30));
    for i in 0..rng.below(3) {
        a.add_comment(
            &format!("cm-{i}"),
            eid("user-tomas-aravena")?,
            at(ms + DAY_MS)?,
            "¿Cómo vamos con esto? Avísame si necesitas apoyo 🙂",
        )?;
    }
    if ms < NOW_MS - 30 * DAY_MS {
        a.advance(ActionItemStatus::InProgress)?;
        a.advance(ActionItemStatus::Done)?;
    }
    Ok(a)
}

// ---------------------------------------------------------------------------------------------
// Machine and files

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into())
}

/// The file system type holding `path` (longest matching mount point in /proc/mounts).
fn fs_type(path: &Path) -> String {
    let Ok(path) = path.canonicalize() else {
        return "unknown".into();
    };
    let Ok(mounts) = std::fs::read_to_string("/proc/mounts") else {
        return "unknown".into();
    };
    mounts
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let (_dev, mnt, ty) = (f.next()?, f.next()?, f.next()?);
            path.starts_with(mnt).then(|| (mnt.len(), ty.to_owned()))
        })
        .max()
        .map_or_else(|| "unknown".into(), |(_, ty)| ty)
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

fn wal_path(db: &Path) -> PathBuf {
    let mut s = db.as_os_str().to_owned();
    s.push("-wal");
    PathBuf::from(s)
}

/// Checkpoints the WAL into the database with a connection of its own (the store has no such
/// call) and returns (page size, pages, free pages).
fn checkpoint(db: &Path) -> BoxResult<(u64, u64, u64)> {
    let conn = rusqlite::Connection::open(db)?;
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    let get = |pragma: &str| -> rusqlite::Result<u64> {
        conn.query_row(&format!("PRAGMA {pragma}"), [], |r| r.get::<_, i64>(0))
            .map(|v| v.max(0) as u64)
    };
    Ok((
        get("page_size")?,
        get("page_count")?,
        get("freelist_count")?,
    ))
}

/// The cost of one committed SQLite write with the store's settings (WAL, synchronous=FULL) and
/// nothing else: a 100-byte insert per transaction.
fn bare_commits(dir: &Path, n: usize) -> BoxResult<Vec<Duration>> {
    let path = dir.join("bare_commit.sqlite");
    let conn = rusqlite::Connection::open(&path)?;
    conn.pragma_update_and_check(None, "journal_mode", "wal", |_| Ok(()))?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.execute_batch("CREATE TABLE t (x BLOB NOT NULL)")?;
    let blob = [7u8; 100];
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let (r, d) = timed(|| conn.execute("INSERT INTO t (x) VALUES (?1)", [&blob[..]]));
        r?;
        out.push(d);
    }
    drop(conn);
    for p in [wal_path(&path), path.clone()] {
        let _ = std::fs::remove_file(p);
    }
    let mut shm = path.into_os_string();
    shm.push("-shm");
    let _ = std::fs::remove_file(shm);
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// The benchmark

/// Where the time of a create and an update goes: the model and automerge steps the store runs,
/// timed one by one in memory on a 60+20-line storecheck.
fn breakdown(rng: &mut Rng, table: &mut Table) -> BoxResult<()> {
    const N: usize = 20;
    let mut steps: [Vec<Duration>; 7] = Default::default();
    for i in 0..N {
        let sc = storecheck(rng, 60, 20, NOW_MS)?;
        let (r, d) = timed(|| sc.validate());
        r?;
        steps[0].push(d);
        let (doc, d) = timed(|| model::new_document(&sc));
        let mut doc = doc?;
        steps[1].push(d);
        let (bytes, d) = timed(|| doc.save());
        steps[2].push(d);
        let (doc2, d) = timed(|| model::load_document(&bytes));
        let mut doc2 = doc2?;
        steps[3].push(d);
        let (before, d) = timed(|| model::hydrate_document::<Storecheck, _>(&doc2));
        let before = before?;
        steps[4].push(d);
        let mut after = before.clone();
        after.set_facings("p00007", 30 + i as i64)?;
        let heads = doc2.get_heads();
        let (r, d) = timed(|| model::write_document(&mut doc2, &before, &after));
        r?;
        steps[5].push(d);
        let (_chunk, d) = timed(|| doc2.save_after(&heads));
        steps[6].push(d);
        doc.commit();
    }
    let names = [
        "  step: validate the value",
        "  step: new_document (reconcile into an empty automerge doc)",
        "  step: automerge save (snapshot)",
        "  step: automerge load of the snapshot",
        "  step: hydrate (automerge -> Storecheck)",
        "  step: write_document, one facings changed (reconcile)",
        "  step: automerge save_after (the update's chunk)",
    ];
    for (name, samples) in names.iter().zip(&steps) {
        table.row(*name, samples, "in memory");
    }
    Ok(())
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(msg) => {
            eprintln!("{msg}");
            std::process::exit(2);
        }
    };
    if let Err(e) = run(&args) {
        eprintln!("store_bench failed: {e}");
        std::process::exit(1);
    }
}

fn run(args: &Args) -> BoxResult<()> {
    let started = Clock::now();
    let (tmp, dir) = match &args.dir {
        Some(d) => {
            std::fs::create_dir_all(d)?;
            (None, d.clone())
        }
        None => {
            let t = tempfile::Builder::new().prefix("store_bench").tempdir()?;
            let d = t.path().to_owned();
            (Some(t), d)
        }
    };
    let db = dir.join(DB_FILE);
    if db.exists() {
        return Err(format!("{} already exists; give an empty --dir", db.display()).into());
    }
    let mut rng = Rng(0x5EED_E1AC_E000_0001);
    let mut table = Table::default();
    let mut kinds: BTreeMap<&'static str, (DocumentKind, Vec<DocumentId>, Vec<Duration>)> =
        BTreeMap::new();
    let mut record = |name: &'static str, kind: DocumentKind, id: DocumentId, d: Duration| {
        let e = kinds.entry(name).or_insert((kind, Vec::new(), Vec::new()));
        e.1.push(id);
        e.2.push(d);
    };

    println!("enlace store benchmark");
    println!(
        "machine: {} CPUs (available_parallelism), {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        cpu_model()
    );
    println!("load average at start: {}", loadavg());
    println!("database: {} ({})", db.display(), fs_type(&dir));
    println!(
        "parameters: docs={} creates={} updates={} opens={} lists={}; storecheck = 60 own + 20 \
         competitor lines; SQLite WAL, synchronous=FULL",
        args.docs, args.creates, args.updates, args.opens, args.lists
    );
    println!();

    // 0. Baseline: one durable commit with nothing else.
    let bare = bare_commits(&dir, 200)?;
    table.row(
        "baseline: bare SQLite commit (WAL, synchronous=FULL)",
        &bare,
        "100-byte insert, own connection",
    );

    let store = Store::open(&db)?;

    // 1. Create + save 60/20-line storechecks.
    let mut creates = Vec::with_capacity(args.creates);
    let mut created = Vec::with_capacity(args.creates);
    let mut snapshot_bytes = Vec::with_capacity(args.creates);
    for _ in 0..args.creates {
        let date = NOW_MS - rng.below(730) as i64 * DAY_MS;
        let sc = storecheck(&mut rng, 60, 20, date)?;
        let (id, d) = timed(|| store.create(&sc));
        let id = id?;
        creates.push(d);
        created.push(id);
        record("storecheck", DocumentKind::Storecheck, id, d);
    }
    for id in &created {
        snapshot_bytes.push(store.stats(*id)?.snapshot_bytes);
    }
    snapshot_bytes.sort_unstable();
    let median_snapshot = snapshot_bytes
        .get(snapshot_bytes.len() / 2)
        .copied()
        .unwrap_or(0);
    table.row(
        "create storecheck 60+20 lines (validate, encode, commit)",
        &creates,
        format!("snapshot {} KiB", kib(median_snapshot as u64)),
    );

    // Same on an in-memory store: the CPU part alone (model + automerge + SQLite, no fsync).
    let mem = Store::open_in_memory()?;
    let mut mem_creates = Vec::new();
    let mut mem_ids = Vec::new();
    for _ in 0..args.creates.min(30) {
        let sc = storecheck(&mut rng, 60, 20, NOW_MS)?;
        let (id, d) = timed(|| mem.create(&sc));
        mem_ids.push(id?);
        mem_creates.push(d);
    }
    table.row(
        "  same, in-memory store (no disk)",
        &mem_creates,
        "CPU share of the above",
    );

    // 2. Update one field of one line, as while walking the shelf: consecutive recounts on one
    // storecheck (so chunks accumulate and compaction kicks in as it would on the phone).
    let target = *created.first().ok_or("no storecheck created")?;
    let keys: Vec<String> = (0..60).map(|i| format!("p{:05}", i)).collect();
    let mut updates = Vec::with_capacity(args.updates);
    let mut compacting = Vec::new();
    let mut plain = Vec::new();
    let mut chunks_before = store.stats(target)?.chunk_count;
    for i in 0..args.updates {
        let key = &keys[i % keys.len()];
        // Always a new value (the generated counts are 0..=12), so every update writes.
        let facings = 20 + (i / keys.len()) as i64 % 900;
        let (r, d) =
            timed(|| store.update(target, |s: &mut Storecheck| s.set_facings(key, facings)));
        r?;
        updates.push(d);
        let chunks = store.stats(target)?.chunk_count;
        if chunks <= chunks_before {
            compacting.push(d);
        } else {
            plain.push(d);
        }
        chunks_before = chunks;
    }
    let after = store.stats(target)?;
    table.row(
        "update one line field (facings) of that storecheck",
        &updates,
        format!(
            "{} of them compacted; now {} KiB snapshot + {} chunks",
            compacting.len(),
            kib(after.snapshot_bytes as u64),
            after.chunk_count
        ),
    );
    table.row("  of which: updates that did not compact", &plain, "");
    table.row(
        "  of which: updates that compacted (re-save + verify)",
        &compacting,
        "",
    );
    let mem_target = *mem_ids.first().ok_or("no in-memory storecheck")?;
    let mut mem_updates = Vec::new();
    for i in 0..args.updates.min(100) {
        let key = &keys[i % keys.len()];
        let facings = 20 + (i / keys.len()) as i64;
        let (r, d) =
            timed(|| mem.update(mem_target, |s: &mut Storecheck| s.set_facings(key, facings)));
        r?;
        mem_updates.push(d);
    }
    drop(mem);
    table.row(
        "  same, in-memory store (no disk)",
        &mem_updates,
        "CPU share of the above",
    );

    breakdown(&mut rng, &mut table)?;

    // Reading one back (what opening a storecheck screen costs).
    let mut gets = Vec::new();
    for id in created.iter().skip(1).take(100) {
        let (r, d) = timed(|| store.get::<Storecheck>(*id));
        r?;
        gets.push(d);
    }
    table.row(
        "get storecheck 60+20 lines (load + hydrate)",
        &gets,
        "never-updated documents",
    );

    // 3. Fill up to `docs` documents with a realistic mix.
    let fill = args.docs.saturating_sub(created.len());
    let (fill_result, fill_time) = timed(|| -> BoxResult<()> {
        let mut last_note: Option<DocumentId> = None;
        for _ in 0..fill {
            let date = NOW_MS - rng.below(730) as i64 * DAY_MS + rng.below(10) as i64 * 3_600_000;
            match rng.below(100) {
                0..=14 => {
                    let (own, comp) = (rng.range(15, 60), rng.range(5, 30));
                    let mut sc = storecheck(&mut rng, own, comp, date)?;
                    if date < NOW_MS - 7 * DAY_MS {
                        sc.submit()?;
                    }
                    let (id, d) = timed(|| store.create(&sc));
                    record("storecheck", DocumentKind::Storecheck, id?, d);
                }
                15..=39 => {
                    let v = client_visit(&mut rng, date)?;
                    let (id, d) = timed(|| store.create(&v));
                    record("client_visit", DocumentKind::ClientVisit, id?, d);
                }
                40..=59 => {
                    let n = meeting_note(&mut rng, date, 4)?;
                    let (id, d) = timed(|| store.create(&n));
                    let id = id?;
                    last_note = Some(id);
                    record("meeting_note", DocumentKind::MeetingNote, id, d);
                }
                _ => {
                    let a = action_item(&mut rng, date, last_note)?;
                    let (id, d) = timed(|| store.create(&a));
                    record("action_item", DocumentKind::ActionItem, id?, d);
                }
            }
        }
        Ok(())
    });
    fill_result?;
    let count = store.document_count()?;
    let wal_before = file_len(&wal_path(&db));

    // 5 (measured now, while the documents are all there). Bytes on disk after a checkpoint.
    let (page_size, pages, free_pages) = checkpoint(&db)?;
    let db_bytes = file_len(&db);
    let wal_bytes = file_len(&wal_path(&db));
    let mut per_kind = Vec::new();
    let mut total_payload = 0u64;
    for (name, (kind, ids, create_times)) in &kinds {
        let mut payload = 0u64;
        let mut loads = Vec::with_capacity(ids.len());
        for id in ids {
            let (s, d) = timed(|| store.stats(*id));
            let s = s?;
            payload += (s.snapshot_bytes + s.chunk_bytes) as u64;
            loads.push(d);
        }
        total_payload += payload;
        per_kind.push((
            *name,
            *kind,
            ids.len(),
            payload,
            create_times.clone(),
            loads,
        ));
    }

    // 4. List the 200 most recent.
    let query = Query::new().limit(200);
    let mut lists = Vec::with_capacity(args.lists);
    let mut listed = 0;
    for _ in 0..args.lists {
        let (r, d) = timed(|| store.list(&query));
        listed = r?.len();
        lists.push(d);
    }
    table.row(
        format!("list 200 most recent (of {count} documents)"),
        &lists,
        format!("{listed} rows, newest first"),
    );

    // 3. Open the existing file, dropping the store between opens.
    drop(store);
    let mut opens = Vec::with_capacity(args.opens);
    let mut first_lists = Vec::with_capacity(args.opens);
    for _ in 0..args.opens {
        let (s, d) = timed(|| Store::open(&db));
        let s = s?;
        opens.push(d);
        let (r, d) = timed(|| s.list(&query));
        r?;
        first_lists.push(d);
        drop(s);
    }
    table.row(
        format!("Store::open on the existing file ({count} documents)"),
        &opens,
        "dropped between opens; page cache warm",
    );
    table.row("  first list 200 after that open", &first_lists, "");

    // Output.
    println!("## Timings");
    println!();
    table.print();
    println!();
    println!(
        "fill to {count} documents: {fill} creates in {:.1} s ({:.0} documents/s)",
        fill_time.as_secs_f64(),
        fill as f64 / fill_time.as_secs_f64().max(1e-9)
    );
    println!();
    println!("## Per kind");
    println!();
    println!(
        "| {:<12} | {:>5} | {:>17} | {:>16} | {:>17} |",
        "kind", "docs", "create median (ms)", "load median (ms)", "stored KiB / doc"
    );
    println!(
        "|{:-<14}|{:-<7}|{:-<20}|{:-<18}|{:-<19}|",
        "", "", "", "", ""
    );
    for (name, _kind, n, payload, create_times, loads) in &per_kind {
        let med = |v: &[Duration]| summarize(v).map_or_else(|| "-".into(), |s| ms(s.median));
        println!(
            "| {:<12} | {:>5} | {:>18} | {:>16} | {:>17} |",
            name,
            n,
            med(create_times),
            med(loads),
            kib(payload / (*n as u64).max(1))
        );
    }
    println!();
    println!("## Bytes on disk (after wal_checkpoint(TRUNCATE))");
    println!();
    let per_doc = (db_bytes + wal_bytes) / count.max(1);
    println!(
        "database {} KiB + WAL {} KiB = {} KiB per document ({} documents)",
        kib(db_bytes),
        kib(wal_bytes),
        kib(per_doc),
        count
    );
    println!(
        "  automerge bytes stored (snapshots + chunks): {} KiB per document; file / payload = {:.2}",
        kib(total_payload / count.max(1)),
        (db_bytes + wal_bytes) as f64 / (total_payload as f64).max(1.0)
    );
    println!(
        "  pages: {pages} x {page_size} B, {free_pages} free; WAL before the checkpoint: {} KiB",
        kib(wal_before)
    );
    println!();
    println!("load average at end: {}", loadavg());
    println!("total run time: {:.1} s", started.elapsed().as_secs_f64());
    match tmp {
        Some(t) => t.close()?,
        None => println!("database kept in {}", dir.display()),
    }
    Ok(())
}
