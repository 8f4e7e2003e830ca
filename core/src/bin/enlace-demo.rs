//! A tour of enlace-core: opens a store, creates a client visit, a storecheck with lines and a
//! meeting note, edits them as an executive would in the field, and prints them as JSON.
//!
//! `enlace-demo [STORE_PATH]` (default: `enlace-demo.sqlite` in the current directory).

use std::error::Error;
use std::time::{SystemTime, UNIX_EPOCH};

use enlace_core::model::client_visit::VisitKind;
use enlace_core::model::meeting_note::MeetingKind;
use enlace_core::model::rules::CheckInMethod;
use enlace_core::model::storecheck::{Expected, Presence, ProductSnapshot, StoreSnapshot};
use enlace_core::model::{
    CheckIn, ClientVisit, GeoPoint, Instant, MeetingNote, Money, Storecheck, to_json,
};
use enlace_core::store::{Query, Store};
use enlace_core::{DocumentId, EntityId};

const ZONE: &str = "America/Santiago";

fn main() -> Result<(), Box<dyn Error>> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "enlace-demo.sqlite".to_owned());
    let store = Store::open(&path)?;
    let now_ms = i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis())?;
    let now = Instant::new(now_ms, ZONE)?;
    let ana: EntityId = "user-ana".parse()?;
    let account: EntityId = "acc-vina-sur".parse()?;

    // A client visit, checked in by GPS at the client's office.
    let mut visit = ClientVisit::new(
        DocumentId::new_random(),
        account.clone(),
        ana.clone(),
        now.clone(),
        VisitKind::BusinessLunch,
        "Almuerzo con la gerente de marca",
    );
    visit
        .objective
        .update("Revisar la campaña de otoño y el presupuesto 🍷");
    let visit_id = store.create(&visit)?;
    store.update(visit_id, |v: &mut ClientVisit| {
        v.check_in(CheckIn {
            at: now.clone(),
            geo: Some(GeoPoint {
                lat: -33.4172,
                lon: -70.6064,
                accuracy_m: Some(12.0),
            }),
            method: CheckInMethod::Gps,
            manual_reason: None,
        })
    })?;

    // A storecheck with three own lines; the executive counts facings and prices.
    let mut check = Storecheck::new(
        DocumentId::new_random(),
        account.clone(),
        ana.clone(),
        now.clone(),
        StoreSnapshot {
            id: "store-042".parse()?,
            code: "J042".into(),
            name: "Jumbo Costanera".into(),
            chain: "Jumbo".into(),
            format: "hiper".into(),
        },
        "2026-11",
    );
    for (key, name, price) in [
        ("7801234000011", "Cabernet Sauvignon 750 ml", 4990),
        ("7801234000028", "Carménère Reserva 750 ml", 6490),
        ("7801234000035", "Sauvignon Blanc 750 ml", 4590),
    ] {
        check.add_line(
            key,
            ProductSnapshot {
                gtin: key.into(),
                name: name.into(),
                brand: "Viña Sur".into(),
                is_own: true,
            },
            Expected {
                must_stock: true,
                target_facings: Some(6),
                target_price: Some(Money::new(price, "CLP")?),
            },
        )?;
    }
    let check_id = store.create(&check)?;
    store.update(check_id, |c: &mut Storecheck| {
        c.set_facings("7801234000011", 5)?;
        c.set_shelf_price("7801234000011", Money::new(4990, "CLP")?)?;
        c.set_presence("7801234000028", Presence::Oos)?;
        c.line_mut("7801234000028")?
            .note
            .update("Sin stock en góndola; la reposición llega el jueves");
        c.general_notes
            .update("Cabecera de góndola bien ejecutada.");
        Ok(())
    })?;

    // Meeting notes with a contact report draft.
    let mut note = MeetingNote::new(
        DocumentId::new_random(),
        ana.clone(),
        now.clone(),
        MeetingKind::ClientMeeting,
        "Reunión de estado semanal",
    );
    note.account_id = Some(account.clone());
    note.body
        .update("Acordamos adelantar el lanzamiento. El cliente pide una propuesta de POP.");
    let note_id = store.create(&note)?;
    store.update(note_id, |n: &mut MeetingNote| {
        n.add_agenda_item("a1", "Campaña de otoño")?;
        n.add_agenda_item("a2", "Material POP")?;
        n.contact_report.submit_for_review()
    })?;

    for id in [visit_id, check_id, note_id] {
        if let Some(doc) = store.load_raw(id)? {
            println!("{}", serde_json::to_string_pretty(&to_json(&doc)?)?);
        }
    }
    let listed = store.list(&Query::new().limit(10))?;
    println!("{} documents in {path}; most recent:", listed.len());
    for entry in listed {
        println!(
            "  {} {:<13} {:<12} {}",
            entry.id,
            entry.listing.kind.as_str(),
            entry.listing.status,
            entry.listing.title
        );
    }
    Ok(())
}
