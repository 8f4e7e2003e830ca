//! [`ClientVisitEdit`]: everything a phone does to a client visit, as targeted edits.

use autosurgeon::Text;

use super::{ClientVisit, Expense, ExpenseCategory, Location, Outcome, VisitKind, VisitStatus};
use crate::ids::DocumentId;
use crate::model::ModelError;
use crate::model::common::IdSet;
use crate::model::edit::parts::{self, NewAttendee, set};
use crate::model::edit::{Collection, Editable, Field, Target, TextEdit, insert_new};
use crate::model::limits::{MAX_TEXT, check_required};
use crate::model::money::Money;
use crate::model::people::{Attendance, Attendee, Party, Visibility};
use crate::model::photo::PhotoRef;
use crate::model::rules::CheckIn;
use crate::model::status::Lifecycle;
use crate::model::time::Instant;

/// One edit of a client visit. [`Store::edit`](crate::store::Store::edit) applies a list of
/// them as one change; each is validated before anything is written.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum ClientVisitEdit {
    /// The visit's title (required).
    SetTitle {
        /// The title.
        title: String,
    },
    /// What kind of contact it is.
    SetKind {
        /// The kind.
        kind: VisitKind,
    },
    /// When the visit is planned. Start and end are set together: moving a meeting later one
    /// field at a time would pass through an end before its start, which is refused.
    SetPlannedTimes {
        /// Planned start.
        start: Option<Instant>,
        /// Planned end, not before the start.
        end: Option<Instant>,
    },
    /// Where the visit takes place.
    SetLocation {
        /// The place.
        location: Option<Location>,
    },
    /// Arrival (ONCE): planned -> checked_in.
    CheckIn {
        /// When, where, how.
        check_in: CheckIn,
    },
    /// Leaving; only after a check-in.
    CheckOut {
        /// When.
        at: Instant,
    },
    /// How it went.
    SetOutcome {
        /// The outcome.
        outcome: Option<Outcome>,
    },
    /// Links (or unlinks) the meeting note written about the visit.
    LinkMeetingNote {
        /// The note.
        meeting_note_id: Option<DocumentId>,
    },
    /// Who sees it in lists (a hint, not access control).
    SetVisibility {
        /// The visibility.
        visibility: Visibility,
    },
    /// Edits the objective.
    EditObjective {
        /// The splice.
        edit: TextEdit,
    },
    /// Edits the notes.
    EditNotes {
        /// The splice.
        edit: TextEdit,
    },
    /// Edits the internal notes (never shown to the client).
    EditInternalNotes {
        /// The splice.
        edit: TextEdit,
    },
    /// Edits the note on the outcome.
    EditOutcomeNote {
        /// The splice.
        edit: TextEdit,
    },
    /// Edits the next steps.
    EditNextSteps {
        /// The splice.
        edit: TextEdit,
    },
    /// Moves the status forward: held, not_held or cancelled as the lifecycle allows.
    /// `checked_in` is reached by [`ClientVisitEdit::CheckIn`] only, so the status never says
    /// "checked in" without the record of when and where.
    SetStatus {
        /// The status to reach.
        to: VisitStatus,
    },
    /// Adds an attendee under `key` (its own id).
    AddAttendee {
        /// The attendee's key.
        key: String,
        /// Agency or client.
        party: Party,
        /// The user or contact id, when known.
        person_id: Option<String>,
        /// Name (required).
        name: String,
        /// Job title.
        title: String,
        /// Whether they came.
        attendance: Attendance,
    },
    /// An attendee's side.
    SetAttendeeParty {
        /// Attendee key.
        attendee: String,
        /// Agency or client.
        party: Party,
    },
    /// An attendee's user or contact id.
    SetAttendeePersonId {
        /// Attendee key.
        attendee: String,
        /// The id.
        person_id: Option<String>,
    },
    /// An attendee's name.
    SetAttendeeName {
        /// Attendee key.
        attendee: String,
        /// The name (required).
        name: String,
    },
    /// An attendee's job title.
    SetAttendeeTitle {
        /// Attendee key.
        attendee: String,
        /// The title.
        title: String,
    },
    /// Whether an attendee came.
    SetAttendance {
        /// Attendee key.
        attendee: String,
        /// Attendance.
        attendance: Attendance,
    },
    /// Soft-deletes or restores an attendee.
    SetAttendeeDeleted {
        /// Attendee key.
        attendee: String,
        /// Deleted or not.
        deleted: bool,
    },
    /// Adds an expense under `key`.
    AddExpense {
        /// The expense's key.
        key: String,
        /// Category.
        category: ExpenseCategory,
        /// Amount, not negative.
        amount: Money,
        /// Re-billed to the client.
        billable: bool,
        /// The receipt, a photo of this visit.
        receipt_photo: Option<String>,
    },
    /// An expense's category.
    SetExpenseCategory {
        /// Expense key.
        expense: String,
        /// Category.
        category: ExpenseCategory,
    },
    /// An expense's amount.
    SetExpenseAmount {
        /// Expense key.
        expense: String,
        /// Amount, not negative.
        amount: Money,
    },
    /// Whether an expense is re-billed to the client.
    SetExpenseBillable {
        /// Expense key.
        expense: String,
        /// Billable or not.
        billable: bool,
    },
    /// An expense's receipt.
    SetExpenseReceipt {
        /// Expense key.
        expense: String,
        /// The receipt, a photo of this visit.
        photo: Option<String>,
    },
    /// Soft-deletes or restores an expense.
    SetExpenseDeleted {
        /// Expense key.
        expense: String,
        /// Deleted or not.
        deleted: bool,
    },
    /// Adds a photo reference (keyed by the photo's id).
    AddPhoto {
        /// The photo.
        photo: PhotoRef,
    },
    /// A photo's caption.
    SetPhotoCaption {
        /// Photo id.
        photo: String,
        /// The caption.
        caption: String,
    },
    /// Soft-deletes or restores a photo.
    SetPhotoDeleted {
        /// Photo id.
        photo: String,
        /// Deleted or not.
        deleted: bool,
    },
    /// Links an action item that came out of the visit (a set: adding twice is one link).
    AddActionItem {
        /// The action item.
        action_item_id: DocumentId,
    },
    /// Unlinks an action item.
    RemoveActionItem {
        /// The action item.
        action_item_id: DocumentId,
    },
    /// Links a storecheck made during the visit.
    AddStorecheck {
        /// The storecheck.
        storecheck_id: DocumentId,
    },
    /// Unlinks a storecheck.
    RemoveStorecheck {
        /// The storecheck.
        storecheck_id: DocumentId,
    },
    /// Soft-deletes or restores the whole visit.
    SetDeleted {
        /// Deleted or not.
        deleted: bool,
    },
}

type C<E> = Collection<ClientVisit, E>;
type F<T> = Field<ClientVisit, T>;

const ATTENDEES: C<Attendee> = Collection {
    what: "attendee",
    path: &["attendees"],
    get: |v| &mut v.attendees,
};
const EXPENSES: C<Expense> = Collection {
    what: "expense",
    path: &["expenses"],
    get: |v| &mut v.expenses,
};
const PHOTOS: C<PhotoRef> = Collection {
    what: "photo",
    path: &["photos"],
    get: |v| &mut v.photos,
};
const STATUS: F<Lifecycle<VisitStatus>> = Field {
    path: &["status"],
    get: |v| &mut v.status,
};
const CHECK_IN: F<Option<CheckIn>> = Field {
    path: &["check_in"],
    get: |v| &mut v.check_in,
};
const CHECK_OUT: F<Option<Instant>> = Field {
    path: &["check_out"],
    get: |v| &mut v.check_out,
};
const TITLE: F<String> = Field {
    path: &["title"],
    get: |v| &mut v.title,
};
const KIND: F<VisitKind> = Field {
    path: &["visit_kind"],
    get: |v| &mut v.visit_kind,
};
const PLANNED_START: F<Option<Instant>> = Field {
    path: &["planned_start"],
    get: |v| &mut v.planned_start,
};
const PLANNED_END: F<Option<Instant>> = Field {
    path: &["planned_end"],
    get: |v| &mut v.planned_end,
};
const LOCATION: F<Option<Location>> = Field {
    path: &["location"],
    get: |v| &mut v.location,
};
const OUTCOME: F<Option<Outcome>> = Field {
    path: &["outcome"],
    get: |v| &mut v.outcome,
};
const MEETING_NOTE: F<Option<DocumentId>> = Field {
    path: &["meeting_note_id"],
    get: |v| &mut v.meeting_note_id,
};
const VISIBILITY: F<Visibility> = Field {
    path: &["visibility"],
    get: |v| &mut v.visibility,
};
const DELETED: F<bool> = Field {
    path: &["deleted"],
    get: |v| &mut v.deleted,
};
const OBJECTIVE: F<Text> = Field {
    path: &["objective"],
    get: |v| &mut v.objective,
};
const NOTES: F<Text> = Field {
    path: &["notes"],
    get: |v| &mut v.notes,
};
const INTERNAL_NOTES: F<Text> = Field {
    path: &["internal_notes"],
    get: |v| &mut v.internal_notes,
};
const OUTCOME_NOTE: F<Text> = Field {
    path: &["outcome_note"],
    get: |v| &mut v.outcome_note,
};
const NEXT_STEPS: F<Text> = Field {
    path: &["next_steps"],
    get: |v| &mut v.next_steps,
};
const ACTION_ITEMS: F<IdSet> = Field {
    path: &["action_item_ids"],
    get: |v| &mut v.action_item_ids,
};
const STORECHECKS: F<IdSet> = Field {
    path: &["storecheck_ids"],
    get: |v| &mut v.storecheck_ids,
};

/// Applies a splice to one of the visit's texts.
fn text<T: Target<ClientVisit>>(
    t: &mut T,
    field: F<Text>,
    edit: &TextEdit,
) -> Result<(), ModelError> {
    parts::text(t, field, edit, MAX_TEXT)
}

fn attendee<T: Target<ClientVisit>>(
    t: &mut T,
    key: &str,
    f: impl FnOnce(&mut Attendee),
) -> Result<(), ModelError> {
    parts::attendee(t, ATTENDEES, key, f)
}

/// Runs `f` on expense `key` and validates the expense after it.
fn expense<T: Target<ClientVisit>>(
    t: &mut T,
    key: &str,
    f: impl FnOnce(&mut Expense),
) -> Result<(), ModelError> {
    t.entry(EXPENSES, key, |e| {
        f(e);
        e.validate(&EXPENSES.name(key))
    })
}

/// A receipt must be a photo of this visit.
fn check_receipt<T: Target<ClientVisit>>(t: &mut T, photo: Option<&str>) -> Result<(), ModelError> {
    match photo {
        Some(k) if t.get(PHOTOS, k)?.is_none() => Err(PHOTOS.not_found(k)),
        _ => Ok(()),
    }
}

impl Editable for ClientVisit {
    type Edit = ClientVisitEdit;

    fn apply<T: Target<Self>>(edit: &ClientVisitEdit, t: &mut T) -> Result<(), ModelError> {
        use ClientVisitEdit as E;
        match edit.clone() {
            E::SetTitle { title } => {
                check_required("title", &title)?;
                set(t, TITLE, title)
            }
            E::SetKind { kind } => set(t, KIND, kind),
            E::SetPlannedTimes { start, end } => {
                if let (Some(s), Some(e)) = (&start, &end)
                    && e.utc_ms < s.utc_ms
                {
                    return Err(ModelError::invalid("planned_end", "before planned_start"));
                }
                set(t, PLANNED_START, start)?;
                set(t, PLANNED_END, end)
            }
            E::SetLocation { location } => {
                if let Some(l) = &location {
                    l.validate("location")?;
                }
                set(t, LOCATION, location)
            }
            E::CheckIn { check_in } => {
                // The same rule as `ClientVisit::check_in`, through the target.
                if t.read(CHECK_IN)?.is_some() {
                    return Err(ModelError::invalid("check_in", "already checked in"));
                }
                check_in.validate("check_in")?;
                t.field(STATUS, |s| s.advance(VisitStatus::CheckedIn))?;
                set(t, CHECK_IN, Some(check_in))
            }
            E::CheckOut { at } => {
                if t.read(CHECK_IN)?.is_none() {
                    return Err(ModelError::invalid("check_out", "not checked in"));
                }
                set(t, CHECK_OUT, Some(at))
            }
            E::SetOutcome { outcome } => set(t, OUTCOME, outcome),
            E::LinkMeetingNote { meeting_note_id } => set(t, MEETING_NOTE, meeting_note_id),
            E::SetVisibility { visibility } => set(t, VISIBILITY, visibility),
            E::EditObjective { edit } => text(t, OBJECTIVE, &edit),
            E::EditNotes { edit } => text(t, NOTES, &edit),
            E::EditInternalNotes { edit } => text(t, INTERNAL_NOTES, &edit),
            E::EditOutcomeNote { edit } => text(t, OUTCOME_NOTE, &edit),
            E::EditNextSteps { edit } => text(t, NEXT_STEPS, &edit),
            E::SetStatus { to } => {
                if to == VisitStatus::CheckedIn && t.read(CHECK_IN)?.is_none() {
                    return Err(ModelError::invalid(
                        "status",
                        "checked_in is reached by a check-in",
                    ));
                }
                t.field(STATUS, |s| s.advance(to))
            }
            E::AddAttendee {
                key,
                party,
                person_id,
                name,
                title,
                attendance,
            } => parts::add_attendee(
                t,
                ATTENDEES,
                &key,
                NewAttendee {
                    party,
                    person_id,
                    name,
                    title,
                    attendance,
                },
            ),
            E::SetAttendeeParty { attendee: k, party } => attendee(t, &k, |a| a.party = party),
            E::SetAttendeePersonId {
                attendee: k,
                person_id,
            } => attendee(t, &k, |a| a.person_id = person_id),
            E::SetAttendeeName { attendee: k, name } => attendee(t, &k, |a| a.name = name),
            E::SetAttendeeTitle { attendee: k, title } => attendee(t, &k, |a| a.title = title),
            E::SetAttendance {
                attendee: k,
                attendance,
            } => attendee(t, &k, |a| a.attendance = attendance),
            E::SetAttendeeDeleted {
                attendee: k,
                deleted,
            } => attendee(t, &k, |a| a.deleted = deleted),
            E::AddExpense {
                key,
                category,
                amount,
                billable,
                receipt_photo,
            } => {
                let new = Expense {
                    category,
                    amount,
                    billable,
                    receipt_photo,
                    deleted: false,
                };
                new.validate(&EXPENSES.name(&key))?;
                check_receipt(t, new.receipt_photo.as_deref())?;
                insert_new(t, EXPENSES, &key, new)
            }
            E::SetExpenseCategory {
                expense: k,
                category,
            } => expense(t, &k, |e| e.category = category),
            E::SetExpenseAmount { expense: k, amount } => expense(t, &k, |e| e.amount = amount),
            E::SetExpenseBillable {
                expense: k,
                billable,
            } => expense(t, &k, |e| e.billable = billable),
            E::SetExpenseReceipt { expense: k, photo } => {
                check_receipt(t, photo.as_deref())?;
                expense(t, &k, |e| e.receipt_photo = photo)
            }
            E::SetExpenseDeleted {
                expense: k,
                deleted,
            } => expense(t, &k, |e| e.deleted = deleted),
            E::AddPhoto { photo } => parts::add_photo(t, PHOTOS, photo),
            E::SetPhotoCaption { photo: k, caption } => {
                parts::photo(t, PHOTOS, &k, |p| p.caption = caption)
            }
            E::SetPhotoDeleted { photo: k, deleted } => {
                parts::photo(t, PHOTOS, &k, |p| p.deleted = deleted)
            }
            E::AddActionItem { action_item_id } => {
                parts::set_add(t, ACTION_ITEMS, action_item_id.to_string())
            }
            E::RemoveActionItem { action_item_id } => {
                parts::set_remove(t, ACTION_ITEMS, &action_item_id.to_string())
            }
            E::AddStorecheck { storecheck_id } => {
                parts::set_add(t, STORECHECKS, storecheck_id.to_string())
            }
            E::RemoveStorecheck { storecheck_id } => {
                parts::set_remove(t, STORECHECKS, &storecheck_id.to_string())
            }
            E::SetDeleted { deleted } => set(t, DELETED, deleted),
        }
    }
}
