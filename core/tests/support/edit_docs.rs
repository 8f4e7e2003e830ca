//! Documents for `model_edit_kinds.rs` (included with `#[path]`): fresh ones, and seeded ones
//! holding entries under the generators' keys `a` and `b`.
#![allow(dead_code, clippy::unwrap_used)]

use enlace_core::DocumentId;
use enlace_core::model::action_item::{Source, SourceKind};
use enlace_core::model::client_visit::{Expense, ExpenseCategory, VisitKind};
use enlace_core::model::meeting_note::{
    ActionRef, Decision, MeetingKind, OpenQuestion, Recipient, RecipientReason,
};
use enlace_core::model::order::between;
use enlace_core::model::people::{Attendance, Attendee, Party};
use enlace_core::model::{ActionItem, ClientVisit, MeetingNote};

use super::support::{clp, eid, santiago};

pub fn visit() -> ClientVisit {
    ClientVisit::new(
        DocumentId::new_random(),
        eid("acc-vina"),
        eid("user-ana"),
        santiago(1_700_000_000_000),
        VisitKind::BusinessLunch,
        "Almuerzo con marketing",
    )
}

pub fn person(party: Party, name: &str) -> Attendee {
    Attendee {
        party,
        person_id: None,
        name: name.into(),
        title: "Gerente de marca".into(),
        attendance: Attendance::Expected,
        deleted: false,
    }
}

/// A visit with entries under the generators' keys `a` and `b` and some text, so random edits
/// often find what they name (and adds under `a`/`b` collide).
pub fn seeded_visit() -> ClientVisit {
    let mut v = visit();
    v.objective = "Cerrar la góndola 🍷 de marzo".into();
    v.notes = "Llegó tarde, ñandú".into();
    for (k, party) in [("a", Party::Client), ("b", Party::Agency)] {
        v.attendees.insert(k.into(), person(party, "Carla Muñoz"));
        v.expenses.insert(
            k.into(),
            Expense {
                category: ExpenseCategory::Meal,
                amount: clp(45_000),
                billable: k == "a",
                receipt_photo: None,
                deleted: false,
            },
        );
    }
    v.action_item_ids
        .insert(DocumentId::from_bytes([1; 16]).to_string());
    v
}

pub fn note() -> MeetingNote {
    let mut m = MeetingNote::new(
        DocumentId::new_random(),
        eid("user-ana"),
        santiago(1_700_000_000_000),
        MeetingKind::ClientMeeting,
        "Revisión de marca",
    );
    // Every stored document needs an account (`Store::create` refuses one without).
    m.account_id = Some(eid("acc-vina"));
    m.body = "Acuerdos: 🍷\n".into();
    m
}

/// A note with entries under `a` and `b` in every list.
pub fn seeded_note() -> MeetingNote {
    let mut m = note();
    m.internal_notes = "Ojo con el precio, señor Muñoz".into();
    let mut order = None;
    for k in ["a", "b"] {
        m.attendees
            .insert(k.into(), person(Party::Client, "Carla Muñoz"));
        m.add_agenda_item(k, "Campaña de otoño").unwrap();
        let next = between(order.as_deref(), None).unwrap();
        m.decisions.insert(
            k.into(),
            Decision {
                order: next.clone(),
                text: "Subir precio 3% 🍷".into(),
                agreed_by: [k].into_iter().collect(),
                deleted: false,
            },
        );
        m.open_questions.insert(
            k.into(),
            OpenQuestion {
                order: next.clone(),
                text: "¿Quién paga el material POP?".into(),
                deleted: false,
            },
        );
        order = Some(next);
        m.contact_report.distribution.insert(
            k.into(),
            Recipient {
                name: "Carla Muñoz".into(),
                email: "carla@vina.cl".into(),
                party: Party::Client,
                reason: RecipientReason::Attendee,
                deleted: false,
            },
        );
    }
    m.action_item_ids.insert(
        DocumentId::from_bytes([1; 16]).to_string(),
        ActionRef {
            order: between(None, None).unwrap(),
            deleted: false,
        },
    );
    m
}

pub fn item() -> ActionItem {
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
    // Every stored document needs an account (`Store::create` refuses one without).
    a.account_id = Some(eid("acc-vina"));
    a
}

pub fn seeded_item() -> ActionItem {
    let mut a = item();
    a.description = "Propuesta con precios 🍷 y fotos".into();
    a.add_comment("a", eid("user-luis"), santiago(1), "¿Listo?")
        .unwrap();
    a
}
