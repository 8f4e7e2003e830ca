//! proptest generators of client visit, meeting note and action item edits for
//! `model_edit_kinds.rs` (included with `#[path]`). Keys come from tiny pools so adds collide
//! and edits hit entries that exist; every generator mixes valid and invalid values.
#![allow(dead_code, clippy::unwrap_used)]

use enlace_core::model::action_item::{ActionItemEdit, ActionItemStatus, Priority};
use enlace_core::model::client_visit::{
    ClientVisitEdit, ExpenseCategory, Location, LocationKind, Outcome, VisitKind, VisitStatus,
};
use enlace_core::model::edit::TextEdit;
use enlace_core::model::meeting_note::{
    AgendaState, ContactReportStatus, MeetingKind, MeetingNoteEdit, RecipientReason,
};
use enlace_core::model::people::{Attendance, Party, Visibility};
use enlace_core::model::rules::CheckInMethod;
use enlace_core::model::{CheckIn, GeoPoint, Instant, Money, PhotoKind, PhotoRef};
use enlace_core::{DocumentId, EntityId};
use proptest::prelude::*;
use proptest::sample::select;

fn pick(words: &'static [&'static str]) -> impl Strategy<Value = String> + Clone {
    select(words).prop_map(String::from)
}

/// A key from a pool of three, now and then an empty (invalid) one.
pub fn key() -> impl Strategy<Value = String> + Clone {
    prop_oneof![8 => pick(&["a", "b", "c"]), 1 => Just(String::new())]
}

fn opt_key() -> impl Strategy<Value = Option<String>> + Clone {
    prop_oneof![2 => Just(None), 3 => pick(&["a", "b", "c", "zz"]).prop_map(Some)]
}

/// Names: Spanish, emoji, blank (refused where required), a control character (refused).
pub fn name() -> impl Strategy<Value = String> + Clone {
    prop_oneof![
        5 => pick(&["Ana Muñoz", "Luis 🍷", "Góndola"]),
        1 => pick(&["", "  ", "bell\u{7}"]),
    ]
}

fn short() -> impl Strategy<Value = String> + Clone {
    prop_oneof![
        5 => pick(&["", "Gerente de marca", "Café Haití"]),
        1 => Just("tab\there".to_owned()),
    ]
}

/// Splices at UTF-16 positions that are often past the end or inside an emoji.
pub fn text_edit() -> impl Strategy<Value = TextEdit> + Clone {
    (
        0u32..14,
        0u32..4,
        pick(&["", "x", "ñandú ", "😀", "Acuerdo:\n"]),
    )
        .prop_map(|(start, delete, insert)| TextEdit {
            start,
            delete,
            insert,
        })
}

pub fn instant() -> impl Strategy<Value = Instant> + Clone {
    (0i64..4)
        .prop_map(|h| Instant::new(1_700_000_000_000 + h * 3_600_000, "America/Santiago").unwrap())
}

fn opt_instant() -> impl Strategy<Value = Option<Instant>> + Clone {
    proptest::option::weighted(0.8, instant())
}

/// Pesos, now and then negative (refused).
fn money() -> impl Strategy<Value = Money> + Clone {
    (-1i64..3).prop_map(|n| Money::new(n * 4_990, "CLP").unwrap())
}

/// One of three fixed document ids.
pub fn doc_id() -> impl Strategy<Value = DocumentId> + Clone {
    (1u8..4).prop_map(|b| DocumentId::from_bytes([b; 16]))
}

fn opt_doc_id() -> impl Strategy<Value = Option<DocumentId>> + Clone {
    proptest::option::of(doc_id())
}

fn entity() -> impl Strategy<Value = EntityId> + Clone {
    pick(&["user-ana", "user-luis", "acc-vina"]).prop_map(|s| s.parse().unwrap())
}

fn geo() -> impl Strategy<Value = GeoPoint> + Clone {
    prop_oneof![
        4 => Just(GeoPoint { lat: -33.417, lon: -70.606, accuracy_m: Some(8.0) }),
        1 => Just(GeoPoint { lat: 95.0, lon: 0.0, accuracy_m: None }),
    ]
}

fn check_in() -> impl Strategy<Value = CheckIn> + Clone {
    (
        instant(),
        proptest::option::of(geo()),
        select(&[CheckInMethod::Gps, CheckInMethod::Manual][..]),
        proptest::option::of(pick(&["sin señal", " "])),
    )
        .prop_map(|(at, geo, method, manual_reason)| CheckIn {
            at,
            geo,
            method,
            manual_reason,
        })
}

fn location() -> impl Strategy<Value = Option<Location>> + Clone {
    proptest::option::of(
        (
            select(LocationKind::ALL),
            short(),
            short(),
            proptest::option::of(geo()),
        )
            .prop_map(|(kind, place_name, address, geo)| Location {
                kind,
                place_name,
                address,
                geo,
            }),
    )
}

/// Photos `ph1`/`ph2`, now and then with a bad hash (refused).
fn photo() -> impl Strategy<Value = PhotoRef> + Clone {
    (pick(&["ph1", "ph2"]), any::<bool>(), short()).prop_map(|(id, good, caption)| PhotoRef {
        id: id.parse().unwrap(),
        sha256: if good { "ab".repeat(32) } else { "XYZ".into() },
        mime: "image/jpeg".into(),
        bytes: 120_000,
        width: 1200,
        height: 900,
        taken_at: None,
        geo: None,
        kind: PhotoKind::Receipt,
        caption,
        deleted: false,
    })
}

fn opt_photo_key() -> impl Strategy<Value = Option<String>> + Clone {
    proptest::option::of(pick(&["ph1", "ph2", "ph9"]))
}

pub fn client_visit_edit() -> impl Strategy<Value = ClientVisitEdit> {
    use ClientVisitEdit as E;
    prop_oneof![
        1 => name().prop_map(|title| E::SetTitle { title }),
        1 => select(VisitKind::ALL).prop_map(|kind| E::SetKind { kind }),
        1 => (opt_instant(), opt_instant()).prop_map(|(start, end)| E::SetPlannedTimes { start, end }),
        1 => location().prop_map(|location| E::SetLocation { location }),
        2 => check_in().prop_map(|check_in| E::CheckIn { check_in }),
        1 => instant().prop_map(|at| E::CheckOut { at }),
        1 => proptest::option::of(select(Outcome::ALL)).prop_map(|outcome| E::SetOutcome { outcome }),
        1 => opt_doc_id().prop_map(|meeting_note_id| E::LinkMeetingNote { meeting_note_id }),
        1 => select(&[Visibility::Team, Visibility::Private][..])
            .prop_map(|visibility| E::SetVisibility { visibility }),
        1 => text_edit().prop_map(|edit| E::EditObjective { edit }),
        1 => text_edit().prop_map(|edit| E::EditNotes { edit }),
        1 => text_edit().prop_map(|edit| E::EditInternalNotes { edit }),
        1 => text_edit().prop_map(|edit| E::EditOutcomeNote { edit }),
        1 => text_edit().prop_map(|edit| E::EditNextSteps { edit }),
        2 => select(VisitStatus::ALL).prop_map(|to| E::SetStatus { to }),
        2 => (key(), party(), proptest::option::of(pick(&["u-1", "c-2"])), name(), short(), attendance())
            .prop_map(|(key, party, person_id, name, title, attendance)| E::AddAttendee {
                key, party, person_id, name, title, attendance,
            }),
        1 => (key(), party()).prop_map(|(attendee, party)| E::SetAttendeeParty { attendee, party }),
        1 => (key(), proptest::option::of(short()))
            .prop_map(|(attendee, person_id)| E::SetAttendeePersonId { attendee, person_id }),
        1 => (key(), name()).prop_map(|(attendee, name)| E::SetAttendeeName { attendee, name }),
        1 => (key(), short()).prop_map(|(attendee, title)| E::SetAttendeeTitle { attendee, title }),
        1 => (key(), attendance())
            .prop_map(|(attendee, attendance)| E::SetAttendance { attendee, attendance }),
        1 => (key(), any::<bool>())
            .prop_map(|(attendee, deleted)| E::SetAttendeeDeleted { attendee, deleted }),
        2 => (key(), select(ExpenseCategory::ALL), money(), any::<bool>(), opt_photo_key())
            .prop_map(|(key, category, amount, billable, receipt_photo)| E::AddExpense {
                key, category, amount, billable, receipt_photo,
            }),
        1 => (key(), select(ExpenseCategory::ALL))
            .prop_map(|(expense, category)| E::SetExpenseCategory { expense, category }),
        1 => (key(), money()).prop_map(|(expense, amount)| E::SetExpenseAmount { expense, amount }),
        1 => (key(), any::<bool>())
            .prop_map(|(expense, billable)| E::SetExpenseBillable { expense, billable }),
        1 => (key(), opt_photo_key())
            .prop_map(|(expense, photo)| E::SetExpenseReceipt { expense, photo }),
        1 => (key(), any::<bool>())
            .prop_map(|(expense, deleted)| E::SetExpenseDeleted { expense, deleted }),
        2 => photo().prop_map(|photo| E::AddPhoto { photo }),
        1 => (pick(&["ph1", "ph2", "ph9"]), short())
            .prop_map(|(photo, caption)| E::SetPhotoCaption { photo, caption }),
        1 => (pick(&["ph1", "ph2", "ph9"]), any::<bool>())
            .prop_map(|(photo, deleted)| E::SetPhotoDeleted { photo, deleted }),
        1 => doc_id().prop_map(|action_item_id| E::AddActionItem { action_item_id }),
        1 => doc_id().prop_map(|action_item_id| E::RemoveActionItem { action_item_id }),
        1 => doc_id().prop_map(|storecheck_id| E::AddStorecheck { storecheck_id }),
        1 => doc_id().prop_map(|storecheck_id| E::RemoveStorecheck { storecheck_id }),
        1 => any::<bool>().prop_map(|deleted| E::SetDeleted { deleted }),
    ]
}

fn party() -> impl Strategy<Value = Party> + Clone {
    select(&[Party::Agency, Party::Client][..])
}

fn attendance() -> impl Strategy<Value = Attendance> + Clone {
    select(
        &[
            Attendance::Expected,
            Attendance::Attended,
            Attendance::Absent,
        ][..],
    )
}

fn email() -> impl Strategy<Value = String> + Clone {
    pick(&["ana@vina.cl", "luis@agencia.cl", "sin-arroba", ""])
}

pub fn meeting_note_edit() -> impl Strategy<Value = MeetingNoteEdit> {
    use MeetingNoteEdit as E;
    prop_oneof![
        1 => proptest::option::of(entity()).prop_map(|account_id| E::SetAccount { account_id }),
        1 => opt_doc_id().prop_map(|client_visit_id| E::LinkClientVisit { client_visit_id }),
        1 => select(MeetingKind::ALL).prop_map(|kind| E::SetKind { kind }),
        1 => name().prop_map(|title| E::SetTitle { title }),
        1 => opt_instant().prop_map(|at| E::SetStartedAt { at }),
        1 => opt_instant().prop_map(|at| E::SetEndedAt { at }),
        1 => short().prop_map(|location| E::SetLocation { location }),
        1 => select(&[Visibility::Team, Visibility::Private][..])
            .prop_map(|visibility| E::SetVisibility { visibility }),
        2 => text_edit().prop_map(|edit| E::EditBody { edit }),
        1 => text_edit().prop_map(|edit| E::EditInternalNotes { edit }),
        2 => (key(), party(), proptest::option::of(pick(&["u-1", "c-2"])), name(), short(), attendance())
            .prop_map(|(key, party, person_id, name, title, attendance)| E::AddAttendee {
                key, party, person_id, name, title, attendance,
            }),
        1 => (key(), party()).prop_map(|(attendee, party)| E::SetAttendeeParty { attendee, party }),
        1 => (key(), proptest::option::of(short()))
            .prop_map(|(attendee, person_id)| E::SetAttendeePersonId { attendee, person_id }),
        1 => (key(), name()).prop_map(|(attendee, name)| E::SetAttendeeName { attendee, name }),
        1 => (key(), short()).prop_map(|(attendee, title)| E::SetAttendeeTitle { attendee, title }),
        1 => (key(), attendance())
            .prop_map(|(attendee, attendance)| E::SetAttendance { attendee, attendance }),
        1 => (key(), any::<bool>())
            .prop_map(|(attendee, deleted)| E::SetAttendeeDeleted { attendee, deleted }),
        3 => (key(), name(), proptest::option::of(short()), opt_key(), opt_key())
            .prop_map(|(key, title, owner, after, before)| E::AddAgendaItem {
                key, title, owner, after, before,
            }),
        2 => (key(), opt_key(), opt_key())
            .prop_map(|(item, after, before)| E::MoveAgendaItem { item, after, before }),
        1 => (key(), name()).prop_map(|(item, title)| E::SetAgendaTitle { item, title }),
        1 => (key(), proptest::option::of(short()))
            .prop_map(|(item, owner)| E::SetAgendaOwner { item, owner }),
        1 => (key(), select(AgendaState::ALL))
            .prop_map(|(item, state)| E::SetAgendaState { item, state }),
        1 => (key(), any::<bool>())
            .prop_map(|(item, deleted)| E::SetAgendaItemDeleted { item, deleted }),
        2 => (key(), name(), opt_key(), opt_key())
            .prop_map(|(key, text, after, before)| E::AddDecision { key, text, after, before }),
        1 => (key(), opt_key(), opt_key())
            .prop_map(|(decision, after, before)| E::MoveDecision { decision, after, before }),
        1 => (key(), text_edit()).prop_map(|(decision, edit)| E::EditDecisionText { decision, edit }),
        1 => (key(), key())
            .prop_map(|(decision, attendee)| E::AddDecisionAgreedBy { decision, attendee }),
        1 => (key(), key())
            .prop_map(|(decision, attendee)| E::RemoveDecisionAgreedBy { decision, attendee }),
        1 => (key(), any::<bool>())
            .prop_map(|(decision, deleted)| E::SetDecisionDeleted { decision, deleted }),
        2 => (key(), name(), opt_key(), opt_key())
            .prop_map(|(key, text, after, before)| E::AddOpenQuestion { key, text, after, before }),
        1 => (key(), opt_key(), opt_key())
            .prop_map(|(question, after, before)| E::MoveOpenQuestion { question, after, before }),
        1 => (key(), text_edit())
            .prop_map(|(question, edit)| E::EditOpenQuestionText { question, edit }),
        1 => (key(), any::<bool>())
            .prop_map(|(question, deleted)| E::SetOpenQuestionDeleted { question, deleted }),
        2 => (doc_id(), opt_doc_id(), opt_doc_id())
            .prop_map(|(action_item_id, after, before)| E::AddActionItem {
                action_item_id, after, before,
            }),
        1 => (doc_id(), opt_doc_id(), opt_doc_id())
            .prop_map(|(action_item_id, after, before)| E::MoveActionItem {
                action_item_id, after, before,
            }),
        1 => (doc_id(), any::<bool>())
            .prop_map(|(action_item_id, deleted)| E::SetActionItemDeleted { action_item_id, deleted }),
        2 => (key(), name(), email(), party(), select(RecipientReason::ALL))
            .prop_map(|(key, name, email, party, reason)| E::AddRecipient {
                key, name, email, party, reason,
            }),
        1 => (key(), name()).prop_map(|(recipient, name)| E::SetRecipientName { recipient, name }),
        1 => (key(), email()).prop_map(|(recipient, email)| E::SetRecipientEmail { recipient, email }),
        1 => (key(), party()).prop_map(|(recipient, party)| E::SetRecipientParty { recipient, party }),
        1 => (key(), select(RecipientReason::ALL))
            .prop_map(|(recipient, reason)| E::SetRecipientReason { recipient, reason }),
        1 => (key(), any::<bool>())
            .prop_map(|(recipient, deleted)| E::SetRecipientDeleted { recipient, deleted }),
        1 => Just(E::SubmitContactReport),
        1 => select(ContactReportStatus::ALL).prop_map(|to| E::SetContactReportStatus { to }),
        1 => (name(), instant())
            .prop_map(|(report_no, sent_at)| E::MarkContactReportSent { report_no, sent_at }),
        1 => any::<bool>().prop_map(|deleted| E::SetDeleted { deleted }),
    ]
}

pub fn action_item_edit() -> impl Strategy<Value = ActionItemEdit> {
    use ActionItemEdit as E;
    prop_oneof![
        1 => name().prop_map(|title| E::SetTitle { title }),
        1 => entity().prop_map(|owner| E::SetOwner { owner }),
        1 => party().prop_map(|party| E::SetOwnerParty { party }),
        1 => opt_instant().prop_map(|due_date| E::SetDueDate { due_date }),
        1 => select(Priority::ALL).prop_map(|priority| E::SetPriority { priority }),
        1 => proptest::option::of(entity()).prop_map(|account_id| E::SetAccount { account_id }),
        3 => text_edit().prop_map(|edit| E::EditDescription { edit }),
        3 => select(ActionItemStatus::ALL).prop_map(|to| E::SetStatus { to }),
        3 => (key(), entity(), instant(), name())
            .prop_map(|(key, author, at, text)| E::AddComment { key, author, at, text }),
        1 => any::<bool>().prop_map(|deleted| E::SetDeleted { deleted }),
    ]
}
