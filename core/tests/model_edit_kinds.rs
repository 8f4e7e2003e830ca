//! The edit vocabularies of client visits, meeting notes and action items.
//!
//! The oracle: random batches of edits, valid and invalid mixed, applied through `Store::edit`
//! (targeted operations on the automerge document, plus the cached value through
//! `ValueTarget`) leave the same document as the old path, where each batch is applied to a
//! hydrated value through `ValueTarget` and written with `write_document` (a whole-document
//! reconcile that also runs `validate` and `validate_transition`). Every batch one path refuses,
//! the other refuses with the same kind of error, and a refused batch leaves the heads alone.
//!
//! The unit tests pin each refusal to its `ModelError` variant inside
//! `StoreError::InvalidValue`.
#![allow(clippy::unwrap_used)]

#[path = "support/edit_docs.rs"]
mod edit_docs;
#[path = "support/edit_gen.rs"]
mod edit_gen;
#[path = "support/model.rs"]
mod support;

use std::mem::{Discriminant, discriminant};

use automerge::AutoCommit;
use edit_docs::{item, note, seeded_item, seeded_note, seeded_visit, visit};
use enlace_core::DocumentId;
use enlace_core::model::action_item::{ActionItemEdit, ActionItemStatus};
use enlace_core::model::client_visit::{ClientVisitEdit, ExpenseCategory, VisitStatus};
use enlace_core::model::edit::{Editable, TextEdit, ValueTarget};
use enlace_core::model::meeting_note::{ContactReportStatus, MeetingNoteEdit, RecipientReason};
use enlace_core::model::people::{Attendance, Party};
use enlace_core::model::rules::CheckInMethod;
use enlace_core::model::{
    ActionItem, CheckIn, ClientVisit, Document, MeetingNote, ModelError, hydrate_document,
    new_document, to_json, write_document,
};
use enlace_core::store::{Store, StoreError};
use proptest::prelude::*;
use support::{clp, eid, santiago};

// ---- the two paths ----

/// The `ModelError` inside a refused `Store::edit`.
fn model_error(e: StoreError) -> ModelError {
    match e {
        StoreError::InvalidValue(e) => *e,
        StoreError::Model { source, .. } => *source,
        other => panic!("an edit failed outside the model: {other:?}"),
    }
}

/// The old path for one batch: hydrate, apply every edit to the value, reconcile the whole
/// value with `write_document`, commit; nothing is kept when any step fails.
fn apply_by_value<D: Editable>(doc: &mut AutoCommit, batch: &[D::Edit]) -> Result<(), ModelError> {
    let result = (|| {
        let before: D = hydrate_document(doc)?;
        let mut after = before.clone();
        for edit in batch {
            D::apply(edit, &mut ValueTarget::new(&mut after))?;
        }
        write_document(doc, &before, &after)
    })();
    match result {
        Ok(()) => {
            doc.commit();
            Ok(())
        }
        Err(e) => {
            doc.rollback();
            Err(e)
        }
    }
}

fn kind_of(r: &Result<(), ModelError>) -> Option<Discriminant<ModelError>> {
    r.as_ref().err().map(discriminant)
}

/// Runs `batches` through both paths and compares them after every batch's outcome and at the
/// end, document and cached value.
fn oracle<D>(initial: &D, batches: &[Vec<D::Edit>]) -> Result<(), TestCaseError>
where
    D: Editable + Send + 'static,
{
    let store = Store::open_in_memory().unwrap();
    let id = store.create(initial).unwrap();
    let mut doc = new_document(initial).unwrap();
    doc.commit();
    for batch in batches {
        let heads = store.heads(id).unwrap();
        let by_target = store.edit::<D>(id, batch).map_err(model_error);
        let by_value = apply_by_value::<D>(&mut doc, batch);
        prop_assert_eq!(
            kind_of(&by_target),
            kind_of(&by_value),
            "batch {:?}: targeted {:?}, by value {:?}",
            batch,
            by_target,
            by_value
        );
        if by_target.is_err() {
            prop_assert_eq!(store.heads(id).unwrap(), heads, "a refused batch wrote");
        }
    }
    let stored = store.load_raw(id).unwrap().unwrap();
    prop_assert_eq!(to_json(&stored).unwrap(), to_json(&doc).unwrap());
    // The value the store keeps beside the handle (edited through `ValueTarget` only) reads the
    // same as the document. `Text`'s Debug is its string, so Debug compares contents.
    let cached: D = store.get(id).unwrap();
    let hydrated: D = hydrate_document(&doc).unwrap();
    prop_assert_eq!(format!("{cached:?}"), format!("{hydrated:?}"));
    Ok(())
}

fn batches<E: std::fmt::Debug>(
    edit: impl Strategy<Value = E>,
) -> impl Strategy<Value = Vec<Vec<E>>> {
    prop::collection::vec(prop::collection::vec(edit, 1..4), 1..24)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn client_visit_edits_match_the_full_reconcile(b in batches(edit_gen::client_visit_edit())) {
        oracle(&seeded_visit(), &b)?;
    }

    #[test]
    fn meeting_note_edits_match_the_full_reconcile(b in batches(edit_gen::meeting_note_edit())) {
        oracle(&seeded_note(), &b)?;
    }

    #[test]
    fn action_item_edits_match_the_full_reconcile(b in batches(edit_gen::action_item_edit())) {
        oracle(&seeded_item(), &b)?;
    }
}

// ---- refusals ----

/// A store holding `value`.
fn stored<D: Document>(value: &D) -> (Store, DocumentId) {
    let store = Store::open_in_memory().unwrap();
    let id = store.create(value).unwrap();
    (store, id)
}

/// Applies `batch`, expecting a refusal: returns the `ModelError` and checks nothing was
/// written.
fn refused<D: Editable + Send + 'static>(
    store: &Store,
    id: DocumentId,
    batch: &[D::Edit],
) -> ModelError {
    let heads = store.heads(id).unwrap();
    let err = match store.edit::<D>(id, batch) {
        Err(StoreError::InvalidValue(e)) => *e,
        other => panic!("expected StoreError::InvalidValue, got {other:?}"),
    };
    assert_eq!(store.heads(id).unwrap(), heads, "a refused batch wrote");
    err
}

fn manual_check_in() -> CheckIn {
    CheckIn {
        at: santiago(1_700_000_100_000),
        geo: None,
        method: CheckInMethod::Manual,
        manual_reason: Some("sin señal en el subterráneo".into()),
    }
}

fn attendee(key: &str) -> ClientVisitEdit {
    ClientVisitEdit::AddAttendee {
        key: key.into(),
        party: Party::Client,
        person_id: None,
        name: "Carla Muñoz".into(),
        title: "Gerente de marca".into(),
        attendance: Attendance::Expected,
    }
}

#[test]
fn client_visit_refusals_are_typed_and_write_nothing() {
    use ClientVisitEdit as E;
    let (store, id) = stored(&visit());
    store.edit::<ClientVisit>(id, &[attendee("carla")]).unwrap();

    let e = refused::<ClientVisit>(
        &store,
        id,
        &[E::SetAttendeeName {
            attendee: "nadie".into(),
            name: "X".into(),
        }],
    );
    assert!(
        matches!(
            e,
            ModelError::NotFound {
                what: "attendee",
                ..
            }
        ),
        "{e:?}"
    );

    let e = refused::<ClientVisit>(&store, id, &[attendee("carla")]);
    assert!(
        matches!(
            e,
            ModelError::AlreadyExists {
                what: "attendee",
                ..
            }
        ),
        "{e:?}"
    );

    // A whole batch is refused by its last edit: the title before it is not written either.
    let e = refused::<ClientVisit>(
        &store,
        id,
        &[
            E::SetTitle {
                title: "Almuerzo movido".into(),
            },
            E::AddExpense {
                key: "taxi".into(),
                category: ExpenseCategory::Transport,
                amount: clp(-3_500),
                billable: false,
                receipt_photo: None,
            },
        ],
    );
    assert!(matches!(e, ModelError::InvalidValue { .. }), "{e:?}");
    let v: ClientVisit = store.get(id).unwrap();
    assert_eq!(v.title, "Almuerzo con marketing");
    assert!(v.expenses.is_empty());

    let e = refused::<ClientVisit>(
        &store,
        id,
        &[E::AddExpense {
            key: "almuerzo".into(),
            category: ExpenseCategory::Meal,
            amount: clp(45_000),
            billable: true,
            receipt_photo: Some("no-such-photo".into()),
        }],
    );
    assert!(
        matches!(e, ModelError::NotFound { what: "photo", .. }),
        "{e:?}"
    );

    // checked_in only through a check-in; held only after it; check-in ONCE.
    let e = refused::<ClientVisit>(
        &store,
        id,
        &[E::SetStatus {
            to: VisitStatus::CheckedIn,
        }],
    );
    assert!(matches!(e, ModelError::InvalidValue { .. }), "{e:?}");
    let e = refused::<ClientVisit>(
        &store,
        id,
        &[E::SetStatus {
            to: VisitStatus::Held,
        }],
    );
    assert!(matches!(e, ModelError::InvalidValue { .. }), "{e:?}");
    store
        .edit::<ClientVisit>(
            id,
            &[
                E::CheckIn {
                    check_in: manual_check_in(),
                },
                E::SetStatus {
                    to: VisitStatus::Held,
                },
            ],
        )
        .unwrap();
    let e = refused::<ClientVisit>(
        &store,
        id,
        &[E::CheckIn {
            check_in: manual_check_in(),
        }],
    );
    assert!(matches!(e, ModelError::InvalidValue { .. }), "{e:?}");
    let e = refused::<ClientVisit>(
        &store,
        id,
        &[E::SetStatus {
            to: VisitStatus::Cancelled,
        }],
    );
    assert!(
        matches!(e, ModelError::InvalidValue { .. }),
        "never backwards: {e:?}"
    );

    let e = refused::<ClientVisit>(
        &store,
        id,
        &[E::EditNotes {
            edit: TextEdit::insert(99, "tarde"),
        }],
    );
    assert!(matches!(e, ModelError::TextPosition(_)), "{e:?}");

    let v: ClientVisit = store.get(id).unwrap();
    assert_eq!(v.status(), VisitStatus::Held);
    assert_eq!(v.check_in, Some(manual_check_in()));
}

#[test]
fn meeting_note_refusals_are_typed_and_write_nothing() {
    use MeetingNoteEdit as E;
    let (store, id) = stored(&note());
    let recipient = |key: &str, email: &str| E::AddRecipient {
        key: key.into(),
        name: "Carla Muñoz".into(),
        email: email.into(),
        party: Party::Client,
        reason: RecipientReason::Attendee,
    };
    store
        .edit::<MeetingNote>(
            id,
            &[
                recipient("carla", "carla@vina.cl"),
                E::AddAgendaItem {
                    key: "a1".into(),
                    title: "Campaña de otoño".into(),
                    owner: None,
                    after: None,
                    before: None,
                },
                E::AddDecision {
                    key: "d1".into(),
                    text: "Subir precio 3%".into(),
                    after: None,
                    before: None,
                },
            ],
        )
        .unwrap();

    let e = refused::<MeetingNote>(
        &store,
        id,
        &[E::MoveAgendaItem {
            item: "a1".into(),
            after: Some("a9".into()),
            before: None,
        }],
    );
    assert!(
        matches!(
            e,
            ModelError::NotFound {
                what: "agenda item",
                ..
            }
        ),
        "{e:?}"
    );
    let e = refused::<MeetingNote>(
        &store,
        id,
        &[E::AddDecisionAgreedBy {
            decision: "d1".into(),
            attendee: "nadie".into(),
        }],
    );
    assert!(
        matches!(
            e,
            ModelError::NotFound {
                what: "attendee",
                ..
            }
        ),
        "{e:?}"
    );

    let e = refused::<MeetingNote>(&store, id, &[recipient("carla", "otra@vina.cl")]);
    assert!(
        matches!(
            e,
            ModelError::AlreadyExists {
                what: "recipient",
                ..
            }
        ),
        "{e:?}"
    );

    let e = refused::<MeetingNote>(&store, id, &[recipient("luis", "sin-arroba")]);
    assert!(matches!(e, ModelError::InvalidValue { .. }), "{e:?}");

    // The phone may submit for review; sending, accepting and disputing are the server's.
    store
        .edit::<MeetingNote>(id, &[E::SubmitContactReport])
        .unwrap();
    for to in [
        ContactReportStatus::Sent,
        ContactReportStatus::Accepted,
        ContactReportStatus::Disputed,
    ] {
        let e = refused::<MeetingNote>(&store, id, &[E::SetContactReportStatus { to }]);
        assert!(matches!(e, ModelError::ServerOnly { .. }), "{to:?}: {e:?}");
    }
    let e = refused::<MeetingNote>(
        &store,
        id,
        &[
            E::EditBody {
                edit: TextEdit::insert(0, "Asistentes: Ana\n"),
            },
            E::MarkContactReportSent {
                report_no: "CR-0042".into(),
                sent_at: santiago(1_700_000_500_000),
            },
        ],
    );
    assert!(matches!(e, ModelError::ServerOnly { .. }), "{e:?}");
    let e = refused::<MeetingNote>(
        &store,
        id,
        &[E::SetContactReportStatus {
            to: ContactReportStatus::Draft,
        }],
    );
    assert!(
        matches!(e, ModelError::InvalidValue { .. }),
        "never backwards: {e:?}"
    );

    // "🍷" is two UTF-16 units: a position between them is refused.
    let e = refused::<MeetingNote>(
        &store,
        id,
        &[E::EditBody {
            edit: TextEdit::insert(11, "x"),
        }],
    );
    assert!(matches!(e, ModelError::TextPosition(_)), "{e:?}");

    let m: MeetingNote = store.get(id).unwrap();
    assert_eq!(m.body.as_str(), "Acuerdos: 🍷\n");
    assert_eq!(m.contact_report.status(), ContactReportStatus::InReview);
    assert_eq!(m.contact_report.report_no, None);
}

#[test]
fn meeting_note_lists_keep_their_order() {
    use MeetingNoteEdit as E;
    let (store, id) = stored(&note());
    let add = |key: &str, after: Option<&str>, before: Option<&str>| E::AddAgendaItem {
        key: key.into(),
        title: format!("Punto {key}"),
        owner: None,
        after: after.map(Into::into),
        before: before.map(Into::into),
    };
    store
        .edit::<MeetingNote>(
            id,
            &[
                add("x", None, None),
                add("z", None, None),
                add("y", Some("x"), Some("z")),
                add("w", None, Some("x")),
                E::MoveAgendaItem {
                    item: "w".into(),
                    after: None,
                    before: None,
                },
                E::SetAgendaItemDeleted {
                    item: "y".into(),
                    deleted: true,
                },
            ],
        )
        .unwrap();
    let m: MeetingNote = store.get(id).unwrap();
    let keys: Vec<&str> = m.agenda_in_order().into_iter().map(|(k, _)| k).collect();
    assert_eq!(keys, ["x", "z", "w"]);
}

#[test]
fn action_item_refusals_are_typed_and_write_nothing() {
    use ActionItemEdit as E;
    let (store, id) = stored(&item());
    let comment = |key: &str| E::AddComment {
        key: key.into(),
        author: eid("user-ana"),
        at: santiago(1_700_000_200_000),
        text: "¿Listo? 🍷".into(),
    };
    store.edit::<ActionItem>(id, &[comment("c1")]).unwrap();

    let e = refused::<ActionItem>(&store, id, &[comment("c1")]);
    assert!(
        matches!(
            e,
            ModelError::AlreadyExists {
                what: "comment",
                ..
            }
        ),
        "{e:?}"
    );

    let e = refused::<ActionItem>(
        &store,
        id,
        &[
            E::SetStatus {
                to: ActionItemStatus::InProgress,
            },
            E::SetTitle { title: "  ".into() },
        ],
    );
    assert!(matches!(e, ModelError::InvalidValue { .. }), "{e:?}");
    let a: ActionItem = store.get(id).unwrap();
    assert_eq!(
        a.status(),
        ActionItemStatus::Open,
        "the batch was all or nothing"
    );

    store
        .edit::<ActionItem>(
            id,
            &[E::SetStatus {
                to: ActionItemStatus::Done,
            }],
        )
        .unwrap();
    let e = refused::<ActionItem>(
        &store,
        id,
        &[E::SetStatus {
            to: ActionItemStatus::InProgress,
        }],
    );
    assert!(
        matches!(e, ModelError::InvalidValue { .. }),
        "never backwards: {e:?}"
    );

    let e = refused::<ActionItem>(
        &store,
        id,
        &[E::EditDescription {
            edit: TextEdit {
                start: 0,
                delete: 5,
                insert: String::new(),
            },
        }],
    );
    assert!(matches!(e, ModelError::TextPosition(_)), "{e:?}");

    let e = refused::<ActionItem>(
        &store,
        id,
        &[E::AddComment {
            key: "c2".into(),
            author: eid("user-ana"),
            at: santiago(1),
            text: "x".repeat(300 * 1024),
        }],
    );
    assert!(matches!(e, ModelError::TooLarge { .. }), "{e:?}");

    let a: ActionItem = store.get(id).unwrap();
    assert_eq!(a.comments.len(), 1);
    assert_eq!(a.status(), ActionItemStatus::Done);
}
