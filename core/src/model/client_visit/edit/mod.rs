//! [`ClientVisitEdit`]: everything a phone does to a client visit, as targeted edits.
//!
//! This file is the vocabulary. The rest of the module applies it: `parts` names the pieces of a
//! visit an edit touches (and the checks its entries run after a change), `apply` routes every
//! variant to its group, and the groups apply their variants: `document` (the visit's own
//! fields, texts and lifecycle) and `entries` (attendees, expenses, photos, linked documents).

mod apply;
mod document;
mod entries;
mod parts;

use super::{ExpenseCategory, Location, Outcome, VisitKind, VisitStatus};
use crate::ids::DocumentId;
use crate::model::edit::TextEdit;
use crate::model::money::Money;
use crate::model::people::{Attendance, Party, Visibility};
use crate::model::photo::PhotoRef;
use crate::model::rules::CheckIn;
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
