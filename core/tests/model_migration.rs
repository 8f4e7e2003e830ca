//! Migration from the version-0 layout (no `schema_version`, statuses as plain strings).
#![allow(clippy::unwrap_used)]

#[path = "support/model.rs"]
mod support;

use automerge::{AutoCommit, ROOT, ReadDoc, transaction::Transactable};
use enlace_core::model::{
    CURRENT_SCHEMA_VERSION, ContactReportStatus, DocumentKind, MeetingNote, ModelError, Storecheck,
    StorecheckStatus, hydrate_document, migrate, read_schema_version,
};
use support::*;

/// Rewrites a current document into the v0 layout.
fn downgrade(doc: &mut AutoCommit, status_obj: automerge::ObjId, status: &str) {
    doc.delete(ROOT, "schema_version").unwrap();
    doc.delete(&status_obj, "status").unwrap();
    doc.put(&status_obj, "status", status).unwrap();
    doc.commit();
}

#[test]
fn v0_storecheck_upgrades_to_current() {
    let mut doc = storecheck_doc();
    downgrade(&mut doc, ROOT, "submitted");
    assert_eq!(read_schema_version(&doc).unwrap(), 0);
    assert!(matches!(
        hydrate_document::<Storecheck, _>(&doc),
        Err(ModelError::NeedsMigration { found: 0, .. })
    ));

    assert_eq!(migrate(&mut doc).unwrap(), DocumentKind::Storecheck);
    assert_eq!(read_schema_version(&doc).unwrap(), CURRENT_SCHEMA_VERSION);
    let sc: Storecheck = hydrate_document(&doc).unwrap();
    assert_eq!(sc.status(), StorecheckStatus::Submitted);
    assert!(
        sc.status.reached(StorecheckStatus::InProgress),
        "the path is filled in"
    );
    assert_eq!(sc.lines.len(), 2);

    // Idempotent.
    let heads = doc.get_heads();
    migrate(&mut doc).unwrap();
    assert_eq!(doc.get_heads(), heads);
}

#[test]
fn v0_meeting_note_with_contact_report_status_upgrades() {
    let mut m = MeetingNote::new(
        enlace_core::DocumentId::new_random(),
        eid("user-ana"),
        santiago(0),
        enlace_core::model::meeting_note::MeetingKind::Call,
        "Llamada",
    );
    m.account_id = Some(eid("acc-vina"));
    let mut doc = enlace_core::model::new_document(&m).unwrap();
    let cr = doc.get(ROOT, "contact_report").unwrap().unwrap().1;
    downgrade(&mut doc, cr, "sent");
    migrate(&mut doc).unwrap();
    let m: MeetingNote = hydrate_document(&doc).unwrap();
    assert_eq!(m.contact_report.status(), ContactReportStatus::Sent);
}

#[test]
fn v0_with_an_unknown_status_is_an_error() {
    let mut doc = storecheck_doc();
    downgrade(&mut doc, ROOT, "teleported");
    assert!(matches!(
        migrate(&mut doc),
        Err(ModelError::InvalidValue { .. })
    ));
}
