//! Shared fixtures for the `model_*` scenario tests (included with `#[path]`; this file alone has
//! no tests).
#![allow(dead_code, clippy::unwrap_used)]

use automerge::{ActorId, AutoCommit};
use enlace_core::model::storecheck::{Expected, ProductSnapshot, StoreSnapshot};
use enlace_core::model::{
    Document, Instant, Money, Storecheck, hydrate_document, new_document, write_document,
};
use enlace_core::{DocumentId, EntityId};

/// A replica forked from `doc` with its own actor.
pub fn fork(doc: &mut AutoCommit) -> AutoCommit {
    doc.fork().with_actor(ActorId::random())
}

/// hydrate -> mutate -> write_document -> commit, as the store does for one user action.
pub fn edit<D: Document>(doc: &mut AutoCommit, f: impl FnOnce(&mut D)) {
    try_edit(doc, |d: &mut D| {
        f(d);
        Ok(())
    })
    .unwrap();
}

/// Like [`edit`], returning the model error instead of panicking.
pub fn try_edit<D: Document>(
    doc: &mut AutoCommit,
    f: impl FnOnce(&mut D) -> Result<(), enlace_core::model::ModelError>,
) -> Result<(), enlace_core::model::ModelError> {
    let before: D = hydrate_document(doc)?;
    let mut after = before.clone();
    f(&mut after)?;
    write_document(doc, &before, &after)?;
    doc.commit();
    Ok(())
}

/// Merges both ways so both replicas hold every change.
pub fn sync(a: &mut AutoCommit, b: &mut AutoCommit) {
    a.merge(b).unwrap();
    b.merge(a).unwrap();
}

pub fn eid(s: &str) -> EntityId {
    s.parse().unwrap()
}

pub fn santiago(ms: i64) -> Instant {
    Instant::new(ms, "America/Santiago").unwrap()
}

pub fn clp(n: i64) -> Money {
    Money::new(n, "CLP").unwrap()
}

/// A storecheck with two own lines (`p1`, `p2`) and a category block, checked in.
pub fn storecheck_doc() -> AutoCommit {
    let mut sc = Storecheck::new(
        DocumentId::new_random(),
        eid("acc-vina"),
        eid("user-ana"),
        santiago(1_700_000_000_000),
        StoreSnapshot {
            id: eid("store-42"),
            code: "J042".into(),
            name: "Jumbo Costanera".into(),
            chain: "Jumbo".into(),
            format: "hiper".into(),
        },
        "2024-05",
    );
    for (key, name) in [("p1", "Cabernet 750"), ("p2", "Carmenere 750")] {
        sc.add_line(
            key,
            ProductSnapshot {
                gtin: format!("780{key}"),
                name: name.into(),
                brand: "Viña Sur".into(),
                is_own: true,
            },
            Expected {
                must_stock: true,
                target_facings: Some(6),
                target_price: Some(clp(4990)),
            },
        )
        .unwrap();
    }
    new_document(&sc).unwrap()
}
