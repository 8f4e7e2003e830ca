//! `large-doc`: a storecheck-like document with a long history (one change per line, each line
//! a map of several fields and a short text note), uploaded by one client (time until the
//! server acknowledges it) and downloaded by a fresh one (time until it holds the same heads).

use std::sync::Arc;
use std::time::Instant;

use automerge::transaction::Transactable;
use automerge::{ObjType, ROOT, ReadDoc};
use enlace_core::ids::DocumentId;
use serde_json::{Value, json};

use super::{peer_id, run_tag};
use crate::cli::ClientOpts;
use crate::conn::Target;
use crate::error::BenchError;
use crate::replica::{Replica, sync_until};
use crate::stats::round3;

/// Words the notes are made of, so the text is not one repeated string.
const WORDS: [&str; 48] = [
    "facings",
    "shelf",
    "price",
    "promo",
    "missing",
    "competitor",
    "endcap",
    "stock",
    "label",
    "damaged",
    "eye-level",
    "restock",
    "planogram",
    "aisle",
    "cooler",
    "display",
    "gondola",
    "backroom",
    "expired",
    "dusty",
    "tilted",
    "hidden",
    "wobbler",
    "shelf-talker",
    "voucher",
    "manager",
    "delivery",
    "tuesday",
    "pallet",
    "facing-up",
    "out-of-stock",
    "overstock",
    "discount",
    "bundle",
    "flyer",
    "header",
    "fridge",
    "freezer",
    "checkout",
    "basket",
    "mislabelled",
    "two-for-one",
    "new-listing",
    "delisted",
    "price-war",
    "queue",
    "bay",
    "lamp",
];

/// Runs the scenario.
pub async fn run(
    target: Arc<Target>,
    _opts: &ClientOpts,
    lines: usize,
) -> Result<Value, BenchError> {
    if lines == 0 {
        return Err(BenchError::Usage(
            "large-doc needs --lines above zero".into(),
        ));
    }
    let tag = run_tag();
    let patience = target.patience;
    eprintln!("large-doc: building a storecheck with {lines} lines");
    let built = Instant::now();
    let mut replica = build(DocumentId::new_random(), lines)?;
    let build_s = built.elapsed().as_secs_f64();
    let saved_bytes = replica.doc.save().len();
    let changes = replica.doc.get_changes(&[]).len();
    eprintln!(
        "large-doc: built in {:.1} s: {changes} changes, {saved_bytes} bytes saved",
        built.elapsed().as_secs_f64()
    );

    let mut uploader = target
        .connect(0, peer_id(&[&"large", &tag, &"up"])?, None)
        .await?;
    let upload_started = Instant::now();
    sync_until(
        &mut uploader,
        std::slice::from_mut(&mut replica),
        Replica::acknowledged,
        "the server's acknowledgement of the upload",
        patience,
    )
    .await?;
    let upload_s = upload_started.elapsed().as_secs_f64();
    uploader.close().await;
    eprintln!("large-doc: uploaded in {upload_s:.3} s");

    let heads = replica.heads();
    let mut downloader = target
        .connect(1, peer_id(&[&"large", &tag, &"down"])?, None)
        .await?;
    let mut copy = Replica::empty(replica.id);
    let download_started = Instant::now();
    sync_until(
        &mut downloader,
        std::slice::from_mut(&mut copy),
        |r| r.heads() == heads,
        "downloading the document",
        patience,
    )
    .await?;
    let download_s = download_started.elapsed().as_secs_f64();
    let arrived_s = downloader
        .last_received_at
        .map_or(download_s, |t| (t - download_started).as_secs_f64());
    downloader.close().await;
    eprintln!(
        "large-doc: downloaded in {download_s:.3} s (the document arrived after {arrived_s:.3} s)"
    );

    Ok(json!({
        "scenario": "large_doc",
        "lines": lines,
        "saved_bytes": saved_bytes,
        "changes": changes,
        "build_s": round3(build_s),
        "upload_s": round3(upload_s),
        "download_s": round3(download_s),
        "download_arrived_s": round3(arrived_s),
    }))
}

/// The document: the classifying keys and an empty `lines` map in the first change, then two
/// changes per line, as an executive walking the aisles makes them: the line as first counted,
/// and a recount a moment later (facings and price set again, a few words added to the note).
fn build(id: DocumentId, lines: usize) -> Result<Replica, BenchError> {
    let mut replica = Replica::create(id, |tx| {
        tx.put(ROOT, "title", "Storecheck (benchmark)")?;
        tx.put(ROOT, "status", "draft")?;
        tx.put_object(ROOT, "lines", ObjType::Map)?;
        Ok(())
    })?;
    let lines_obj = match replica.doc.get(ROOT, "lines")? {
        Some((_, id)) => id,
        None => return Err(BenchError::Protocol("the lines map vanished".into())),
    };
    let checkers: Vec<String> = (0..5)
        .map(|_| uuid::Uuid::new_v4().hyphenated().to_string())
        .collect();
    for i in 0..lines {
        let n = i64::try_from(i).unwrap_or(i64::MAX);
        let line_id = uuid::Uuid::new_v4().hyphenated().to_string();
        let note = note(i);
        let mut ids = None;
        replica.edit(|tx| {
            let line = tx.put_object(&lines_obj, line_id.as_str(), ObjType::Map)?;
            let sku = format!("sku-{:06}", i * 7919 % 1_000_003);
            tx.put(&line, "product_id", sku)?;
            let ean = format!("78{:011}", i.wrapping_mul(104_729) % 100_000_000_000);
            tx.put(&line, "ean", ean)?;
            tx.put(&line, "facings", n % 13)?;
            tx.put(&line, "price_minor", 990 + n % 500)?;
            tx.put(&line, "currency", "CLP")?;
            tx.put(&line, "on_promo", i % 3 == 0)?;
            tx.put(&line, "position", n)?;
            let photo = uuid::Uuid::new_v4().hyphenated().to_string();
            tx.put(&line, "photo_id", photo)?;
            tx.put(&line, "checked_by", checkers[i % checkers.len()].as_str())?;
            tx.put(&line, "checked_at_ms", 1_767_000_000_000 + n * 7_919)?;
            let text = tx.put_object(&line, "note", ObjType::Text)?;
            tx.splice_text(&text, 0, 0, &note)?;
            ids = Some((line, text));
            Ok(())
        })?;
        let Some((line, text)) = ids else {
            return Err(BenchError::Protocol("a line was not created".into()));
        };
        replica.edit(|tx| {
            tx.put(&line, "facings", (n + 1) % 13)?;
            tx.put(&line, "price_minor", 1_090 + n % 500)?;
            tx.splice_text(&text, note.chars().count(), 0, " (recounted)")?;
            Ok(())
        })?;
        if (i + 1) % 5000 == 0 {
            eprintln!("large-doc: {} lines", i + 1);
        }
    }
    Ok(replica)
}

/// A short note that differs from line to line.
fn note(i: usize) -> String {
    let mut words = Vec::with_capacity(40);
    let mut x = i.wrapping_mul(2_654_435_761) ^ 0x5bd1_e995;
    for _ in 0..40 {
        words.push(WORDS[x % WORDS.len()]);
        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        x ^= x >> 17;
    }
    format!("{} {}", i % 97, words.join(" "))
}
