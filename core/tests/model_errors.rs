//! Bad input becomes typed errors, never panics.
#![allow(clippy::unwrap_used)]

#[path = "support/model.rs"]
mod support;

use automerge::{ROOT, transaction::Transactable};
use enlace_core::model::{
    ClientVisit, Currency, ModelError, Money, Storecheck, StorecheckStatus, hydrate_document,
    listing_of,
};
use support::*;

#[test]
fn negative_facings_are_invalid() {
    let mut doc = storecheck_doc();
    let err = try_edit(&mut doc, |s: &mut Storecheck| s.set_facings("p1", -1)).unwrap_err();
    assert!(
        matches!(err, ModelError::InvalidValue { ref field, .. } if field == "lines.p1.facings")
    );
    // Also when written straight into the value.
    let err = try_edit(&mut doc, |s: &mut Storecheck| {
        s.lines.get_mut("p1").unwrap().facings = Some(-4);
        Ok(())
    })
    .unwrap_err();
    assert!(matches!(err, ModelError::InvalidValue { .. }));
}

#[test]
fn unknown_currency_is_typed() {
    assert!(
        matches!(Money::new(100, "XYZ"), Err(ModelError::UnknownCurrency { ref code }) if code == "XYZ")
    );
    assert!(matches!(
        Currency::from_code("XYZ"),
        Err(ModelError::UnknownCurrency { .. })
    ));
    // A hostile document holding "XYZ" fails to hydrate instead of panicking.
    let mut doc = storecheck_doc();
    edit(&mut doc, |s: &mut Storecheck| {
        s.set_shelf_price("p1", clp(100)).unwrap()
    });
    let sc: Storecheck = hydrate_document(&doc).unwrap();
    drop(sc);
    let lines = automerge::ReadDoc::get(&doc, ROOT, "lines")
        .unwrap()
        .unwrap()
        .1;
    let p1 = automerge::ReadDoc::get(&doc, &lines, "p1")
        .unwrap()
        .unwrap()
        .1;
    let price = automerge::ReadDoc::get(&doc, &p1, "shelf_price")
        .unwrap()
        .unwrap()
        .1;
    doc.put(&price, "currency", "XYZ").unwrap();
    assert!(matches!(
        hydrate_document::<Storecheck, _>(&doc),
        Err(ModelError::Hydrate(_))
    ));
}

#[test]
fn forbidden_status_jumps_are_invalid() {
    let mut doc = storecheck_doc();
    let err = try_edit(&mut doc, |s: &mut Storecheck| {
        s.advance(StorecheckStatus::Reviewed)
    })
    .unwrap_err();
    assert!(matches!(err, ModelError::InvalidValue { ref field, .. } if field == "status"));
    // Backwards after submit.
    edit(&mut doc, |s: &mut Storecheck| {
        s.advance(StorecheckStatus::InProgress).unwrap();
        s.submit().unwrap();
    });
    let err = try_edit(&mut doc, |s: &mut Storecheck| {
        s.advance(StorecheckStatus::InProgress)
    })
    .unwrap_err();
    assert!(matches!(err, ModelError::InvalidValue { .. }));
    // A forged value that drops reached states is caught by validate_transition.
    let err = try_edit(&mut doc, |s: &mut Storecheck| {
        s.status = Default::default();
        Ok(())
    })
    .unwrap_err();
    assert!(matches!(err, ModelError::InvalidValue { .. }));
}

#[test]
fn wrong_kind_on_hydrate() {
    let doc = storecheck_doc();
    let err = hydrate_document::<ClientVisit, _>(&doc).unwrap_err();
    assert!(matches!(err, ModelError::WrongKind { ref found, .. } if found == "storecheck"));
}

#[test]
fn schema_too_new() {
    let mut doc = storecheck_doc();
    doc.put(ROOT, "schema_version", 99_u64).unwrap();
    let err = hydrate_document::<Storecheck, _>(&doc).unwrap_err();
    assert!(matches!(
        err,
        ModelError::SchemaTooNew {
            found: 99,
            supported: 1
        }
    ));
    assert!(matches!(
        enlace_core::model::migrate(&mut doc),
        Err(ModelError::SchemaTooNew { .. })
    ));
}

#[test]
fn unknown_kind_in_listing() {
    let mut doc = storecheck_doc();
    doc.put(ROOT, "kind", "grocery_list").unwrap();
    assert!(
        matches!(listing_of(&doc), Err(ModelError::UnknownKind { ref found }) if found == "grocery_list")
    );
}

#[test]
fn oversized_input_is_bounded() {
    let mut doc = storecheck_doc();
    let err = try_edit(&mut doc, |s: &mut Storecheck| {
        s.store.name = "x".repeat(10_000);
        Ok(())
    })
    .unwrap_err();
    assert!(matches!(
        err,
        ModelError::InvalidValue { .. } | ModelError::TooLarge { .. }
    ));
    let err = try_edit(&mut doc, |s: &mut Storecheck| {
        s.general_notes.update("é".repeat(200_000));
        Ok(())
    })
    .unwrap_err();
    assert!(matches!(err, ModelError::TooLarge { .. }));
}

#[test]
fn listing_comes_from_the_raw_document() {
    let doc = storecheck_doc();
    let l = listing_of(&doc).unwrap();
    assert_eq!(l.status, "draft");
    assert_eq!(l.account_id.as_deref(), Some("acc-vina"));
    assert_eq!(l.title, "Jumbo Costanera");
}
