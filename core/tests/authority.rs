//! What only the server or a reviewer may write, checked on raw automerge writes as a stock
//! client would make them (`model::authority::check_write`), and on what the typed API writes.

#[path = "support/model.rs"]
mod support;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ChangeHash, ObjId, ObjType, ROOT, ReadDoc};
use enlace_core::DocumentId;
use enlace_core::model::action_item::{Source, SourceKind};
use enlace_core::model::authority::{AuthorityViolation, Writer, check_write};
use enlace_core::model::client_visit::VisitKind;
use enlace_core::model::meeting_note::MeetingKind;
use enlace_core::model::storecheck::StorecheckStatus;
use enlace_core::model::{
    ActionItem, ClientVisit, Document, DocumentKind, MeetingNote, Storecheck, new_document,
};
use support::{eid, santiago, storecheck_doc, try_edit};

const DEVICE: Writer = Writer { may_review: false };
const REVIEWER: Writer = Writer { may_review: true };

/// A document of `kind` whose status (at `parent.status`) reached `states` in round 0.
fn with_status(kind: &str, states: &[&str]) -> AutoCommit {
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "kind", kind).expect("put");
    doc.put(ROOT, "account_id", "acme").expect("put");
    let parent = if kind == "meeting_note" {
        doc.put_object(ROOT, "contact_report", ObjType::Map)
            .expect("put")
    } else {
        ROOT
    };
    let status = doc
        .put_object(&parent, "status", ObjType::Map)
        .expect("put");
    let round = doc.put_object(&status, "0", ObjType::Map).expect("put");
    for s in states {
        doc.put(&round, *s, true).expect("put");
    }
    doc.commit();
    doc
}

fn status_obj(doc: &AutoCommit, kind: &str) -> ObjId {
    let parent = if kind == "meeting_note" {
        doc.get(ROOT, "contact_report")
            .expect("get")
            .expect("report")
            .1
    } else {
        ROOT
    };
    doc.get(&parent, "status").expect("get").expect("status").1
}

/// Applies `edit` on top of `doc` and checks the write.
fn write(
    doc: &mut AutoCommit,
    kind: DocumentKind,
    writer: Writer,
    edit: impl FnOnce(&mut AutoCommit),
) -> Result<(), AuthorityViolation> {
    let before: Vec<ChangeHash> = doc.get_heads();
    edit(doc);
    doc.commit();
    check_write(doc.document(), &before, kind, writer)
}

fn round0(doc: &AutoCommit, kind: &str) -> ObjId {
    let status = status_obj(doc, kind);
    doc.get(&status, "0").expect("get").expect("round").1
}

#[test]
fn ordinary_moves_and_edits_pass() {
    let mut doc = with_status("storecheck", &["draft"]);
    let result = write(&mut doc, DocumentKind::Storecheck, DEVICE, |d| {
        let round = round0(d, "storecheck");
        d.put(&round, "in_progress", true).expect("put");
        d.put(ROOT, "general_notes", "góndola ordenada")
            .expect("put");
    });
    assert_eq!(result, Ok(()));
}

#[test]
fn a_client_cannot_send_a_contact_report() {
    let mut doc = with_status("meeting_note", &["draft", "in_review"]);
    let result = write(&mut doc, DocumentKind::MeetingNote, REVIEWER, |d| {
        let round = round0(d, "meeting_note");
        d.put(&round, "sent", true).expect("put");
    });
    assert!(
        matches!(result, Err(AuthorityViolation::ForbiddenState { ref state, .. }) if state == "sent"),
        "{result:?}"
    );
}

#[test]
fn a_client_cannot_number_a_report_nor_date_its_sending() {
    for key in ["report_no", "sent_at"] {
        let mut doc = with_status("meeting_note", &["draft"]);
        let result = write(&mut doc, DocumentKind::MeetingNote, REVIEWER, |d| {
            let report = d
                .get(ROOT, "contact_report")
                .expect("get")
                .expect("report")
                .1;
            d.put(&report, key, "ACME-2026-0001").expect("put");
        });
        assert!(
            matches!(result, Err(AuthorityViolation::ServerField { .. })),
            "{key}: {result:?}"
        );
    }
}

#[test]
fn an_empty_delivery_map_is_no_delivery_but_a_written_delivery_is_refused() {
    let mut doc = with_status("meeting_note", &["draft"]);
    let empty = write(&mut doc, DocumentKind::MeetingNote, REVIEWER, |d| {
        let report = d
            .get(ROOT, "contact_report")
            .expect("get")
            .expect("report")
            .1;
        d.put_object(&report, "deliveries", ObjType::Map)
            .expect("put");
    });
    assert_eq!(empty, Ok(()));
    let result = write(&mut doc, DocumentKind::MeetingNote, REVIEWER, |d| {
        let report = d
            .get(ROOT, "contact_report")
            .expect("get")
            .expect("report")
            .1;
        let deliveries = d
            .get(&report, "deliveries")
            .expect("get")
            .expect("deliveries")
            .1;
        let one = d
            .put_object(&deliveries, "cliente@vina.cl", ObjType::Map)
            .expect("put");
        d.put(&one, "state", "delivered").expect("put");
    });
    assert_eq!(
        result,
        Err(AuthorityViolation::ServerField {
            field: "contact_report.deliveries"
        })
    );
}

#[test]
fn a_status_cannot_move_backwards_by_deleting_a_state_or_a_round() {
    let mut doc = with_status("storecheck", &["draft", "in_progress", "submitted"]);
    let result = write(&mut doc, DocumentKind::Storecheck, REVIEWER, |d| {
        let round = round0(d, "storecheck");
        d.delete(&round, "submitted").expect("delete");
    });
    assert!(
        matches!(result, Err(AuthorityViolation::StatusRemoved { .. })),
        "{result:?}"
    );

    let mut doc = with_status("storecheck", &["draft"]);
    let result = write(&mut doc, DocumentKind::Storecheck, REVIEWER, |d| {
        let status = status_obj(d, "storecheck");
        d.delete(&status, "0").expect("delete");
    });
    assert!(
        matches!(result, Err(AuthorityViolation::StatusRemoved { .. })),
        "{result:?}"
    );
}

#[test]
fn a_client_cannot_reopen() {
    let mut doc = with_status("storecheck", &["draft", "in_progress", "submitted"]);
    let result = write(&mut doc, DocumentKind::Storecheck, REVIEWER, |d| {
        let status = status_obj(d, "storecheck");
        let round = d.put_object(&status, "1", ObjType::Map).expect("put");
        d.put(&round, "in_progress", true).expect("put");
    });
    assert!(
        matches!(result, Err(AuthorityViolation::Reopened { .. })),
        "{result:?}"
    );
}

#[test]
fn only_a_reviewer_marks_a_storecheck_reviewed() {
    let reviewed = |writer| {
        let mut doc = with_status("storecheck", &["draft", "in_progress", "submitted"]);
        write(&mut doc, DocumentKind::Storecheck, writer, |d| {
            let round = round0(d, "storecheck");
            d.put(&round, "reviewed", true).expect("put");
            d.put(ROOT, "reviewed_by", "sup").expect("put");
        })
    };
    assert!(matches!(
        reviewed(DEVICE),
        Err(AuthorityViolation::NotAReviewer { .. })
    ));
    assert_eq!(reviewed(REVIEWER), Ok(()));
}

#[test]
fn a_new_document_cannot_start_sent_reopened_or_in_an_unknown_state() {
    for (kind, states, round) in [
        ("meeting_note", vec!["draft", "in_review", "sent"], "0"),
        ("storecheck", vec!["draft"], "1"),
        ("storecheck", vec!["draft", "archived"], "0"),
    ] {
        let mut doc = AutoCommit::new();
        let parent = if kind == "meeting_note" {
            doc.put_object(ROOT, "contact_report", ObjType::Map)
                .expect("put")
        } else {
            ROOT
        };
        let status = doc
            .put_object(&parent, "status", ObjType::Map)
            .expect("put");
        let r = doc.put_object(&status, round, ObjType::Map).expect("put");
        for s in &states {
            doc.put(&r, *s, true).expect("put");
        }
        doc.commit();
        let kind_enum = DocumentKind::parse(kind).expect("kind");
        let result = check_write(doc.document(), &[], kind_enum, DEVICE);
        assert!(
            result.is_err(),
            "{kind} {states:?} in round {round}: {result:?}"
        );
    }
    let fresh = with_status("storecheck", &["draft"]);
    assert_eq!(
        check_write(
            fresh.clone().document(),
            &[],
            DocumentKind::Storecheck,
            DEVICE
        ),
        Ok(())
    );
}

/// Checks the write that `edit` makes through the typed API (as the store on a phone does).
fn typed_write<D: Document>(
    doc: &mut AutoCommit,
    writer: Writer,
    edit: impl FnOnce(&mut D) -> Result<(), enlace_core::model::ModelError>,
) -> Result<(), AuthorityViolation> {
    let before = doc.get_heads();
    try_edit(doc, edit).expect("the typed edit is valid");
    check_write(doc.document(), &before, D::KIND, writer)
}

#[test]
fn documents_as_the_typed_api_creates_them_pass() {
    let mut note = MeetingNote::new(
        DocumentId::new_random(),
        eid("user-ana"),
        santiago(1_700_000_000_000),
        MeetingKind::ClientMeeting,
        "Revisión de marca",
    );
    note.account_id = Some(eid("acc-vina"));
    let visit = ClientVisit::new(
        DocumentId::new_random(),
        eid("acc-vina"),
        eid("user-ana"),
        santiago(1_700_000_000_000),
        VisitKind::ClientMeeting,
        "Visita",
    );
    let mut item = ActionItem::new(
        DocumentId::new_random(),
        eid("user-ana"),
        santiago(1_700_000_000_000),
        Source {
            kind: SourceKind::MeetingNote,
            doc_id: None,
        },
        "Enviar propuesta",
        eid("user-luis"),
    );
    item.account_id = Some(eid("acc-vina"));
    let created = [
        (
            new_document(&note).expect("note"),
            DocumentKind::MeetingNote,
        ),
        (
            new_document(&visit).expect("visit"),
            DocumentKind::ClientVisit,
        ),
        (new_document(&item).expect("item"), DocumentKind::ActionItem),
        (storecheck_doc(), DocumentKind::Storecheck),
    ];
    for (mut doc, kind) in created {
        assert_eq!(
            check_write(doc.document(), &[], kind, DEVICE),
            Ok(()),
            "{kind}"
        );
    }
}

#[test]
fn typed_device_moves_pass_and_typed_server_commands_do_not() {
    let mut doc = storecheck_doc();
    let advance = |to| move |s: &mut Storecheck| s.advance(to);
    assert_eq!(
        typed_write(&mut doc, DEVICE, advance(StorecheckStatus::InProgress)),
        Ok(())
    );
    assert_eq!(
        typed_write(&mut doc, DEVICE, advance(StorecheckStatus::Submitted)),
        Ok(())
    );
    let mut reviewed = doc.fork();
    assert!(matches!(
        typed_write(&mut doc, DEVICE, |s: &mut Storecheck| s
            .review(eid("user-sup"))),
        Err(AuthorityViolation::NotAReviewer { .. })
    ));
    assert_eq!(
        typed_write(&mut reviewed, REVIEWER, |s: &mut Storecheck| s
            .review(eid("user-sup"))),
        Ok(())
    );

    let mut note = MeetingNote::new(
        DocumentId::new_random(),
        eid("user-ana"),
        santiago(1_700_000_000_000),
        MeetingKind::ClientMeeting,
        "Revisión de marca",
    );
    note.account_id = Some(eid("acc-vina"));
    let mut doc = new_document(&note).expect("note");
    assert_eq!(
        typed_write(&mut doc, DEVICE, |m: &mut MeetingNote| m
            .contact_report
            .submit_for_review()),
        Ok(())
    );
    let sent = typed_write(&mut doc, REVIEWER, |m: &mut MeetingNote| {
        m.contact_report
            .mark_sent("ACME-2026-0001", santiago(1_700_000_100_000))
    });
    assert!(sent.is_err(), "{sent:?}");
}
