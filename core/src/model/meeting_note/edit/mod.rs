//! [`MeetingNoteEdit`]: everything a phone does to a meeting note, as targeted edits.
//!
//! This file is the vocabulary. The rest of the module applies it: `parts` names the pieces of a
//! note an edit touches and holds the rules of its ordered lists and contact report, `apply`
//! routes every variant to its group, and the groups apply their variants: `document` (the
//! note's own fields and texts), `attendees`, `lists` (agenda, decisions, open questions, action
//! items) and `report` (the contact report's recipients and status).

mod apply;
mod attendees;
mod document;
mod lists;
mod parts;
mod report;

use super::{AgendaState, ContactReportStatus, MeetingKind, RecipientReason};
use crate::ids::{DocumentId, EntityId};
use crate::model::edit::TextEdit;
use crate::model::people::{Attendance, Party, Visibility};
use crate::model::time::Instant;

/// One edit of a meeting note. [`Store::edit`](crate::store::Store::edit) applies a list of
/// them as one change; each is validated before anything is written.
///
/// Entries of the ordered lists (agenda, decisions, open questions, action items) are placed
/// between two neighbours, `after` and `before`, keys of the same list (`None` = that end of the
/// list); with neither, the entry goes to the end. Only the entry's own order key is written, so
/// a drag on one phone and an edit of the same entry on another both survive.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum MeetingNoteEdit {
    /// The client account the meeting was about.
    SetAccount {
        /// The account.
        account_id: Option<EntityId>,
    },
    /// Links (or unlinks) the client visit the meeting happened in.
    LinkClientVisit {
        /// The visit.
        client_visit_id: Option<DocumentId>,
    },
    /// What kind of meeting.
    SetKind {
        /// The kind.
        kind: MeetingKind,
    },
    /// The title (required).
    SetTitle {
        /// The title.
        title: String,
    },
    /// When the meeting started.
    SetStartedAt {
        /// The start.
        at: Option<Instant>,
    },
    /// When the meeting ended.
    SetEndedAt {
        /// The end.
        at: Option<Instant>,
    },
    /// Where it took place.
    SetLocation {
        /// The place.
        location: String,
    },
    /// Who sees it in lists (a hint, not access control).
    SetVisibility {
        /// The visibility.
        visibility: Visibility,
    },
    /// Edits the notes.
    EditBody {
        /// The splice.
        edit: TextEdit,
    },
    /// Edits the internal notes (never in the client-facing report).
    EditInternalNotes {
        /// The splice.
        edit: TextEdit,
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
    /// Adds an agenda point (open).
    AddAgendaItem {
        /// The point's key.
        key: String,
        /// Title (required).
        title: String,
        /// Who leads it.
        owner: Option<String>,
        /// The point it follows.
        after: Option<String>,
        /// The point it precedes.
        before: Option<String>,
    },
    /// Moves an agenda point between two others.
    MoveAgendaItem {
        /// Point key.
        item: String,
        /// The point it will follow.
        after: Option<String>,
        /// The point it will precede.
        before: Option<String>,
    },
    /// An agenda point's title.
    SetAgendaTitle {
        /// Point key.
        item: String,
        /// Title (required).
        title: String,
    },
    /// Who leads an agenda point.
    SetAgendaOwner {
        /// Point key.
        item: String,
        /// The owner.
        owner: Option<String>,
    },
    /// Where an agenda point stands.
    SetAgendaState {
        /// Point key.
        item: String,
        /// Open, discussed or deferred.
        state: AgendaState,
    },
    /// Soft-deletes or restores an agenda point.
    SetAgendaItemDeleted {
        /// Point key.
        item: String,
        /// Deleted or not.
        deleted: bool,
    },
    /// Records a decision.
    AddDecision {
        /// The decision's key.
        key: String,
        /// What was decided.
        text: String,
        /// The decision it follows.
        after: Option<String>,
        /// The decision it precedes.
        before: Option<String>,
    },
    /// Moves a decision between two others.
    MoveDecision {
        /// Decision key.
        decision: String,
        /// The decision it will follow.
        after: Option<String>,
        /// The decision it will precede.
        before: Option<String>,
    },
    /// Edits a decision's text.
    EditDecisionText {
        /// Decision key.
        decision: String,
        /// The splice.
        edit: TextEdit,
    },
    /// Records that an attendee agreed to a decision.
    AddDecisionAgreedBy {
        /// Decision key.
        decision: String,
        /// The attendee (a key of the note's attendees).
        attendee: String,
    },
    /// Withdraws an attendee's agreement (nothing changes when it was not recorded).
    RemoveDecisionAgreedBy {
        /// Decision key.
        decision: String,
        /// The attendee.
        attendee: String,
    },
    /// Soft-deletes or restores a decision.
    SetDecisionDeleted {
        /// Decision key.
        decision: String,
        /// Deleted or not.
        deleted: bool,
    },
    /// Records an open question.
    AddOpenQuestion {
        /// The question's key.
        key: String,
        /// The question.
        text: String,
        /// The question it follows.
        after: Option<String>,
        /// The question it precedes.
        before: Option<String>,
    },
    /// Moves an open question between two others.
    MoveOpenQuestion {
        /// Question key.
        question: String,
        /// The question it will follow.
        after: Option<String>,
        /// The question it will precede.
        before: Option<String>,
    },
    /// Edits an open question's text.
    EditOpenQuestionText {
        /// Question key.
        question: String,
        /// The splice.
        edit: TextEdit,
    },
    /// Soft-deletes or restores an open question.
    SetOpenQuestionDeleted {
        /// Question key.
        question: String,
        /// Deleted or not.
        deleted: bool,
    },
    /// Lists an action item document in the note.
    AddActionItem {
        /// The action item.
        action_item_id: DocumentId,
        /// The action item it follows.
        after: Option<DocumentId>,
        /// The action item it precedes.
        before: Option<DocumentId>,
    },
    /// Moves an action item between two others.
    MoveActionItem {
        /// The action item.
        action_item_id: DocumentId,
        /// The action item it will follow.
        after: Option<DocumentId>,
        /// The action item it will precede.
        before: Option<DocumentId>,
    },
    /// Soft-deletes or restores an action item's place in the note (the item itself is its own
    /// document).
    SetActionItemDeleted {
        /// The action item.
        action_item_id: DocumentId,
        /// Deleted or not.
        deleted: bool,
    },
    /// Adds a recipient of the contact report.
    AddRecipient {
        /// The recipient's key.
        key: String,
        /// Name (required).
        name: String,
        /// E-mail address.
        email: String,
        /// Agency or client.
        party: Party,
        /// Why they receive it.
        reason: RecipientReason,
    },
    /// A recipient's name.
    SetRecipientName {
        /// Recipient key.
        recipient: String,
        /// Name (required).
        name: String,
    },
    /// A recipient's e-mail address.
    SetRecipientEmail {
        /// Recipient key.
        recipient: String,
        /// E-mail address.
        email: String,
    },
    /// A recipient's side.
    SetRecipientParty {
        /// Recipient key.
        recipient: String,
        /// Agency or client.
        party: Party,
    },
    /// Why a recipient receives the report.
    SetRecipientReason {
        /// Recipient key.
        recipient: String,
        /// The reason.
        reason: RecipientReason,
    },
    /// Soft-deletes or restores a recipient.
    SetRecipientDeleted {
        /// Recipient key.
        recipient: String,
        /// Deleted or not.
        deleted: bool,
    },
    /// Sends the contact report to the supervisor: draft -> in_review.
    SubmitContactReport,
    /// Moves the contact report's status to `to`. A phone may only reach `in_review`; `sent`,
    /// `accepted` and `disputed` are the server's (send, accept, dispute commands), refused here
    /// with [`ModelError::ServerOnly`](crate::model::ModelError::ServerOnly).
    SetContactReportStatus {
        /// The status to reach.
        to: ContactReportStatus,
    },
    /// Numbers and dates the sent report. Always refused with [`ModelError::ServerOnly`](crate::model::ModelError::ServerOnly): the
    /// number is assigned by the server when it sends the report, so two phones can never hand
    /// out the same one.
    MarkContactReportSent {
        /// The report number.
        report_no: String,
        /// When it was sent.
        sent_at: Instant,
    },
    /// Soft-deletes or restores the whole note.
    SetDeleted {
        /// Deleted or not.
        deleted: bool,
    },
}
