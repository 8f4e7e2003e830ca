//! Client visit merge rules: concurrent check-ins, status never backwards.
#![allow(clippy::unwrap_used)]

#[path = "support/model.rs"]
mod support;

use enlace_core::DocumentId;
use enlace_core::model::client_visit::VisitKind;
use enlace_core::model::rules::CheckInMethod;
use enlace_core::model::{CheckIn, ClientVisit, VisitStatus, hydrate_document, new_document};
use support::*;

fn visit_doc() -> automerge::AutoCommit {
    let v = ClientVisit::new(
        DocumentId::new_random(),
        eid("acc-vina"),
        eid("user-ana"),
        santiago(1_700_000_000_000),
        VisitKind::BusinessLunch,
        "Almuerzo con marketing",
    );
    new_document(&v).unwrap()
}

fn manual(reason: &str, ms: i64) -> CheckIn {
    CheckIn {
        at: santiago(ms),
        geo: None,
        method: CheckInMethod::Manual,
        manual_reason: Some(reason.into()),
    }
}

fn get(doc: &automerge::AutoCommit) -> ClientVisit {
    hydrate_document(doc).unwrap()
}

#[test]
fn two_concurrent_check_ins_resolve_to_one_everywhere() {
    let mut a = visit_doc();
    let mut b = fork(&mut a);
    let (ca, cb) = (manual("sin señal", 1_000), manual("GPS apagado", 9_000_000));
    edit(&mut a, |v: &mut ClientVisit| {
        v.check_in(ca.clone()).unwrap()
    });
    edit(&mut b, |v: &mut ClientVisit| {
        v.check_in(cb.clone()).unwrap()
    });
    sync(&mut a, &mut b);
    let (va, vb) = (get(&a), get(&b));
    assert_eq!(va.check_in, vb.check_in, "same winner on both replicas");
    let winner = va.check_in.clone().unwrap();
    assert!(
        winner == ca || winner == cb,
        "a whole check-in, never a mix"
    );
    assert_eq!(va.status(), VisitStatus::CheckedIn);
}

#[test]
fn late_cancel_does_not_undo_a_held_visit() {
    let mut a = visit_doc();
    let mut b = fork(&mut a);
    edit(&mut a, |v: &mut ClientVisit| {
        v.check_in(manual("sótano", 1)).unwrap();
        v.advance(VisitStatus::Held).unwrap();
    });
    edit(&mut b, |v: &mut ClientVisit| {
        v.advance(VisitStatus::Cancelled).unwrap()
    });
    sync(&mut a, &mut b);
    assert_eq!(get(&a).status(), VisitStatus::Held);
    assert_eq!(get(&b).status(), VisitStatus::Held);
}

#[test]
fn a_second_check_in_on_one_replica_is_refused() {
    let mut a = visit_doc();
    edit(&mut a, |v: &mut ClientVisit| {
        v.check_in(manual("x", 1)).unwrap()
    });
    let err = try_edit(&mut a, |v: &mut ClientVisit| v.check_in(manual("y", 2))).unwrap_err();
    assert!(matches!(
        err,
        enlace_core::model::ModelError::InvalidValue { .. }
    ));
    // Writing a different check-in directly is caught by validate_transition (ONCE).
    let err = try_edit(&mut a, |v: &mut ClientVisit| {
        v.check_in = Some(manual("z", 3));
        Ok(())
    })
    .unwrap_err();
    assert!(matches!(
        err,
        enlace_core::model::ModelError::InvalidValue { .. }
    ));
}
