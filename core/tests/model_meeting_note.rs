//! Meeting note merge rules: interleaved body edits, ordered agenda, the contact report status.
#![allow(clippy::unwrap_used)]

#[path = "support/model.rs"]
mod support;

use automerge::AutoCommit;
use enlace_core::DocumentId;
use enlace_core::model::meeting_note::MeetingKind;
use enlace_core::model::{
    ContactReportStatus, MeetingNote, ModelError, hydrate_document, load_document, new_document,
    to_json,
};
use support::*;

const SPANISH: &str = "Reunión con el señor Muñoz 🍷 — ñandú";

fn note_doc() -> AutoCommit {
    let mut m = MeetingNote::new(
        DocumentId::new_random(),
        eid("user-ana"),
        santiago(1_700_000_000_000),
        MeetingKind::ClientMeeting,
        "Revisión de marca",
    );
    m.account_id = Some(eid("acc-vina"));
    m.body = "Acuerdos:\n".into();
    new_document(&m).unwrap()
}

fn get(doc: &AutoCommit) -> MeetingNote {
    hydrate_document(doc).unwrap()
}

#[test]
fn concurrent_body_edits_interleave_without_losing_text() {
    let mut a = note_doc();
    let mut b = fork(&mut a);
    edit(&mut a, |m: &mut MeetingNote| {
        let end = m.body.as_str().len();
        m.body.splice(end, 0, "- precio sube 3%\n");
    });
    edit(&mut b, |m: &mut MeetingNote| {
        m.body.splice(0, 0, "Asistentes: Ana, Luis\n");
        let end = m.body.as_str().len();
        m.body.splice(end, 0, "- nueva góndola en marzo\n");
    });
    sync(&mut a, &mut b);
    let body = get(&a).body.as_str().to_owned();
    assert_eq!(body, get(&b).body.as_str());
    for part in [
        "Acuerdos:",
        "Asistentes: Ana, Luis",
        "- precio sube 3%",
        "- nueva góndola en marzo",
    ] {
        assert!(body.contains(part), "{part:?} missing from {body:?}");
    }
    assert!(body.starts_with("Asistentes"));
}

#[test]
fn spanish_text_with_accents_and_emoji_round_trips_through_save_and_load() {
    let mut a = note_doc();
    edit(&mut a, |m: &mut MeetingNote| {
        m.title = SPANISH.into();
        m.body.update(SPANISH);
        m.add_agenda_item("ag1", SPANISH).unwrap();
    });
    let bytes = a.save();
    let loaded = AutoCommit::load(&bytes).unwrap();
    let m = get(&loaded);
    assert_eq!(m.title, SPANISH);
    assert_eq!(m.body.as_str(), SPANISH);
    assert_eq!(m.agenda["ag1"].title, SPANISH);
    assert_eq!(to_json(&loaded).unwrap()["body"], SPANISH);

    // Editing after a load goes through load_document (UTF-8 text indices): an insert after the
    // emoji lands right after it.
    let mut reloaded = load_document(&bytes).unwrap();
    edit(&mut reloaded, |m: &mut MeetingNote| {
        let at = m.body.as_str().find('🍷').unwrap() + '🍷'.len_utf8();
        m.body.splice(at, 0, " y café ☕");
    });
    assert_eq!(
        get(&reloaded).body.as_str(),
        "Reunión con el señor Muñoz 🍷 y café ☕ — ñandú"
    );
    // A handle opened with automerge's default encoding is refused instead of corrupting text.
    let mut wrong = AutoCommit::load(&bytes).unwrap();
    let err = try_edit(&mut wrong, |m: &mut MeetingNote| {
        m.body.splice(0, 0, "¡");
        Ok(())
    })
    .unwrap_err();
    assert!(matches!(err, ModelError::InvalidValue { .. }));
}

#[test]
fn concurrent_edits_after_accented_text_interleave() {
    let mut a = note_doc();
    edit(&mut a, |m: &mut MeetingNote| m.body.update(SPANISH));
    let mut b = fork(&mut a);
    edit(&mut a, |m: &mut MeetingNote| {
        let at = m.body.as_str().find("Muñoz").unwrap() + "Muñoz".len();
        m.body.splice(at, 0, " (gerente)");
    });
    edit(&mut b, |m: &mut MeetingNote| {
        let end = m.body.as_str().len();
        m.body.splice(end, 0, " 🐦");
    });
    sync(&mut a, &mut b);
    assert_eq!(
        get(&a).body.as_str(),
        "Reunión con el señor Muñoz (gerente) 🍷 — ñandú 🐦"
    );
    assert_eq!(get(&a).body, get(&b).body);
}

#[test]
fn agenda_reorder_and_rename_on_two_replicas_both_survive() {
    let mut a = note_doc();
    edit(&mut a, |m: &mut MeetingNote| {
        for (id, t) in [("x", "Precios"), ("y", "Góndolas"), ("z", "Promos")] {
            m.add_agenda_item(id, t).unwrap();
        }
    });
    let mut b = fork(&mut a);
    edit(&mut a, |m: &mut MeetingNote| {
        m.move_agenda_item("z", None, Some("x")).unwrap()
    });
    edit(&mut b, |m: &mut MeetingNote| {
        m.agenda.get_mut("z").unwrap().title = "Promos Q3".into()
    });
    sync(&mut a, &mut b);
    let m = get(&b);
    let order: Vec<_> = m.agenda_in_order().into_iter().map(|(k, _)| k).collect();
    assert_eq!(order, ["z", "x", "y"]);
    assert_eq!(m.agenda["z"].title, "Promos Q3");
}

#[test]
fn a_late_draft_edit_does_not_unsend_the_contact_report() {
    let mut server = note_doc();
    edit(&mut server, |m: &mut MeetingNote| {
        m.contact_report.submit_for_review().unwrap()
    });
    let mut phone = fork(&mut server);
    edit(&mut server, |m: &mut MeetingNote| {
        m.contact_report
            .mark_sent("CR-2024-0042", santiago(5))
            .unwrap()
    });
    edit(&mut phone, |m: &mut MeetingNote| {
        m.body.splice(0, 0, "PS: ")
    });
    sync(&mut server, &mut phone);
    let m = get(&phone);
    assert_eq!(m.contact_report.status(), ContactReportStatus::Sent);
    assert_eq!(m.contact_report.report_no.as_deref(), Some("CR-2024-0042"));
    assert!(m.body.as_str().starts_with("PS: "));

    // A device cannot send; the number is ONCE.
    let err = try_edit(&mut phone, |m: &mut MeetingNote| {
        m.contact_report.close(ContactReportStatus::Draft)
    })
    .unwrap_err();
    assert!(matches!(err, ModelError::InvalidValue { .. }));
    let err = try_edit(&mut phone, |m: &mut MeetingNote| {
        m.contact_report.report_no = Some("CR-9".into());
        Ok(())
    })
    .unwrap_err();
    assert!(matches!(err, ModelError::InvalidValue { .. }));
}

#[test]
fn devices_cannot_send_the_contact_report() {
    let mut doc = note_doc();
    let err = try_edit(&mut doc, |m: &mut MeetingNote| {
        m.contact_report.submit_for_review()?;
        m.contact_report.status.advance(ContactReportStatus::Sent)
    })
    .unwrap_err();
    assert!(matches!(err, ModelError::ServerOnly { .. }), "{err:?}");
}
