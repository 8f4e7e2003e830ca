//! Action item merge rules: status never backwards, comments append-only.
#![allow(clippy::unwrap_used)]

#[path = "support/model.rs"]
mod support;

use enlace_core::DocumentId;
use enlace_core::model::action_item::{Source, SourceKind};
use enlace_core::model::{
    ActionItem, ActionItemStatus, ModelError, hydrate_document, new_document,
};
use support::*;

fn item_doc() -> automerge::AutoCommit {
    let mut a = ActionItem::new(
        DocumentId::new_random(),
        eid("user-ana"),
        santiago(1_700_000_000_000),
        Source {
            kind: SourceKind::MeetingNote,
            doc_id: Some(DocumentId::new_random()),
        },
        "Enviar propuesta de góndola",
        eid("user-luis"),
    );
    a.account_id = Some(eid("acc-vina"));
    new_document(&a).unwrap()
}

fn get(doc: &automerge::AutoCommit) -> ActionItem {
    hydrate_document(doc).unwrap()
}

#[test]
fn a_late_in_progress_does_not_reopen_a_done_item() {
    let mut a = item_doc();
    let mut b = fork(&mut a);
    edit(&mut a, |i: &mut ActionItem| {
        i.advance(ActionItemStatus::Done).unwrap()
    });
    edit(&mut b, |i: &mut ActionItem| {
        i.advance(ActionItemStatus::InProgress).unwrap();
        i.title = "Enviar propuesta de góndola (v2)".into();
    });
    sync(&mut a, &mut b);
    let (ia, ib) = (get(&a), get(&b));
    assert_eq!(ia.status(), ActionItemStatus::Done);
    assert_eq!(ib.status(), ActionItemStatus::Done);
    assert_eq!(ia.title, "Enviar propuesta de góndola (v2)");
}

#[test]
fn concurrent_comments_are_both_kept_and_never_edited() {
    let mut a = item_doc();
    let mut b = fork(&mut a);
    edit(&mut a, |i: &mut ActionItem| {
        i.add_comment("c-a", eid("user-ana"), santiago(1), "¿Listo?")
            .unwrap()
    });
    edit(&mut b, |i: &mut ActionItem| {
        i.add_comment("c-b", eid("user-luis"), santiago(2), "Mañana 🍷")
            .unwrap()
    });
    sync(&mut a, &mut b);
    assert_eq!(get(&a).comments.len(), 2);
    let err = try_edit(&mut a, |i: &mut ActionItem| {
        i.comments.get_mut("c-a").unwrap().text = "edited".into();
        Ok(())
    })
    .unwrap_err();
    assert!(matches!(err, ModelError::InvalidValue { .. }));
    let err = try_edit(&mut a, |i: &mut ActionItem| {
        i.comments.remove("c-b");
        Ok(())
    })
    .unwrap_err();
    assert!(matches!(err, ModelError::InvalidValue { .. }));
}
