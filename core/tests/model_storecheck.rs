//! Storecheck merge rules between two replicas.
#![allow(clippy::unwrap_used)]

#[path = "support/model.rs"]
mod support;

use enlace_core::model::rules::CheckInMethod;
use enlace_core::model::storecheck::{CategoryBlock, Presence};
use enlace_core::model::{CheckIn, GeoPoint, Storecheck, StorecheckStatus, hydrate_document};
use support::*;

fn get(doc: &automerge::AutoCommit) -> Storecheck {
    hydrate_document(doc).unwrap()
}

fn gps_check_in() -> CheckIn {
    CheckIn {
        at: santiago(1_700_000_100_000),
        geo: Some(GeoPoint {
            lat: -33.417,
            lon: -70.606,
            accuracy_m: Some(8.0),
        }),
        method: CheckInMethod::Gps,
        manual_reason: None,
    }
}

#[test]
fn two_recounts_of_one_line_pick_one_value_never_the_sum() {
    let mut a = storecheck_doc();
    edit(&mut a, |s: &mut Storecheck| s.set_facings("p1", 5).unwrap());
    let mut b = fork(&mut a);
    edit(&mut a, |s: &mut Storecheck| s.set_facings("p1", 6).unwrap());
    edit(&mut b, |s: &mut Storecheck| s.set_facings("p1", 7).unwrap());
    sync(&mut a, &mut b);
    let (fa, fb) = (get(&a).lines["p1"].facings, get(&b).lines["p1"].facings);
    assert_eq!(fa, fb, "replicas converge");
    assert!(matches!(fa, Some(6) | Some(7)), "got {fa:?}, never 13");
}

#[test]
fn price_on_one_replica_and_facings_on_the_other_both_survive() {
    let mut a = storecheck_doc();
    let mut b = fork(&mut a);
    edit(&mut a, |s: &mut Storecheck| {
        s.set_shelf_price("p1", clp(4590)).unwrap()
    });
    edit(&mut b, |s: &mut Storecheck| {
        s.set_facings("p1", 8).unwrap();
        s.set_presence("p1", Presence::Present).unwrap();
    });
    sync(&mut a, &mut b);
    for doc in [&a, &b] {
        let line = &get(doc).lines["p1"];
        assert_eq!(line.shelf_price, Some(clp(4590)));
        assert_eq!(line.facings, Some(8));
        assert_eq!(line.presence, Presence::Present);
    }
}

#[test]
fn a_late_draft_edit_does_not_unsubmit() {
    let mut a = storecheck_doc();
    let mut b = fork(&mut a); // b goes offline while still a draft
    edit(&mut a, |s: &mut Storecheck| {
        s.check_in(gps_check_in()).unwrap();
        s.set_facings("p1", 6).unwrap();
        s.submit().unwrap();
    });
    edit(&mut b, |s: &mut Storecheck| {
        assert_eq!(s.status(), StorecheckStatus::Draft);
        s.set_facings("p2", 3).unwrap();
    });
    sync(&mut a, &mut b);
    let merged = get(&b);
    assert_eq!(merged.status(), StorecheckStatus::Submitted);
    assert_eq!(
        merged.lines["p2"].facings,
        Some(3),
        "the late edit itself is kept"
    );
    assert_eq!(get(&a).status(), StorecheckStatus::Submitted);
}

#[test]
fn delete_vs_edit_keeps_both_the_flag_and_the_edit() {
    // Documented outcome: the line reads as deleted (flag set) and still carries the concurrent
    // edit, so undoing the delete restores the recount.
    let mut a = storecheck_doc();
    let mut b = fork(&mut a);
    edit(&mut a, |s: &mut Storecheck| {
        s.set_line_deleted("p1", true).unwrap()
    });
    edit(&mut b, |s: &mut Storecheck| s.set_facings("p1", 9).unwrap());
    sync(&mut a, &mut b);
    let line = &get(&a).lines["p1"];
    assert!(line.deleted);
    assert_eq!(line.facings, Some(9));
    edit(&mut a, |s: &mut Storecheck| {
        s.set_line_deleted("p1", false).unwrap()
    });
    assert!(!get(&a).lines["p1"].deleted);
}

#[test]
fn reopen_is_a_server_command_that_moves_back() {
    let mut a = storecheck_doc();
    edit(&mut a, |s: &mut Storecheck| {
        s.check_in(gps_check_in()).unwrap();
        s.submit().unwrap();
        s.review(eid("sup-carla")).unwrap();
    });
    let mut phone = fork(&mut a);
    edit(&mut a, |s: &mut Storecheck| s.reopen().unwrap());
    edit(&mut phone, |s: &mut Storecheck| {
        s.set_facings("p1", 2).unwrap()
    });
    sync(&mut a, &mut phone);
    assert_eq!(get(&phone).status(), StorecheckStatus::InProgress);
    assert_eq!(get(&phone).status.round(), 1);
}

#[test]
fn kpis_are_derived_from_lines() {
    let mut a = storecheck_doc();
    edit(&mut a, |s: &mut Storecheck| {
        s.set_presence("p1", Presence::Present).unwrap();
        s.set_facings("p1", 6).unwrap();
        s.set_shelf_price("p1", clp(4990)).unwrap();
        s.set_presence("p2", Presence::Oos).unwrap();
        s.category_blocks.insert(
            "tintos".into(),
            CategoryBlock {
                name: "Tintos".into(),
                total_facings: Some(24),
                deleted: false,
            },
        );
    });
    let sc = get(&a);
    assert_eq!(
        sc.oos_rate().map(|r| (r.numerator, r.denominator)),
        Some((1, 2))
    );
    assert_eq!(sc.share_of_shelf().map(|r| r.value()), Some(0.25));
    assert_eq!(sc.price_compliance().map(|r| r.value()), Some(1.0));
    assert!(sc.perfect_store_score().is_some());
    // Not-listed is not out of stock.
    edit(&mut a, |s: &mut Storecheck| {
        s.set_presence("p2", Presence::NotListed).unwrap()
    });
    assert_eq!(get(&a).oos_rate().map(|r| r.numerator), Some(0));
    let json = enlace_core::model::to_json(&a).unwrap();
    assert_eq!(json["status"], "draft");
    assert!(json["kpis"]["oos_rate"].is_object());
}
