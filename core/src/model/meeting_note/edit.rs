//! [`MeetingNoteEdit`]: everything a phone does to a meeting note, as targeted edits.
//!
//! The descriptors and the rules for ordered lists live in `edit_parts.rs`; this file is the
//! vocabulary and its dispatch.

use autosurgeon::Text;

use super::edit_parts::{
    ACCOUNT, ACTION_ITEMS, AGENDA, ATTENDEES, BODY, CLIENT_VISIT, DECISIONS, DELETED, DISTRIBUTION,
    ENDED_AT, INTERNAL_NOTES, KIND, LOCATION, QUESTIONS, STARTED_AT, TITLE, VISIBILITY,
    add_ordered, advance_report, move_ordered, ordered_entry, recipient,
};
use super::{
    ActionRef, AgendaItem, AgendaState, ContactReportStatus, Decision, MeetingKind, MeetingNote,
    OpenQuestion, Recipient, RecipientReason,
};
use crate::ids::{DocumentId, EntityId};
use crate::model::ModelError;
use crate::model::common::IdSet;
use crate::model::edit::parts::{self, NewAttendee, set};
use crate::model::edit::{Editable, Target, TextEdit, insert_new};
use crate::model::limits::{MAX_BODY, MAX_TEXT, check_required, check_short};
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
    /// with [`ModelError::ServerOnly`].
    SetContactReportStatus {
        /// The status to reach.
        to: ContactReportStatus,
    },
    /// Numbers and dates the sent report. Always refused with [`ModelError::ServerOnly`]: the
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

impl Editable for MeetingNote {
    type Edit = MeetingNoteEdit;

    fn apply<T: Target<Self>>(edit: &MeetingNoteEdit, t: &mut T) -> Result<(), ModelError> {
        use MeetingNoteEdit as E;
        match edit.clone() {
            E::SetAccount { account_id } => set(t, ACCOUNT, account_id),
            E::LinkClientVisit { client_visit_id } => set(t, CLIENT_VISIT, client_visit_id),
            E::SetKind { kind } => set(t, KIND, kind),
            E::SetTitle { title } => {
                check_required("title", &title)?;
                set(t, TITLE, title)
            }
            E::SetStartedAt { at } => set(t, STARTED_AT, at),
            E::SetEndedAt { at } => set(t, ENDED_AT, at),
            E::SetLocation { location } => {
                check_short("location", &location)?;
                set(t, LOCATION, location)
            }
            E::SetVisibility { visibility } => set(t, VISIBILITY, visibility),
            E::EditBody { edit } => parts::text(t, BODY, &edit, MAX_BODY),
            E::EditInternalNotes { edit } => parts::text(t, INTERNAL_NOTES, &edit, MAX_TEXT),
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
            E::SetAttendeeParty { attendee, party } => {
                parts::attendee(t, ATTENDEES, &attendee, |a| a.party = party)
            }
            E::SetAttendeePersonId {
                attendee,
                person_id,
            } => parts::attendee(t, ATTENDEES, &attendee, |a| a.person_id = person_id),
            E::SetAttendeeName { attendee, name } => {
                parts::attendee(t, ATTENDEES, &attendee, |a| a.name = name)
            }
            E::SetAttendeeTitle { attendee, title } => {
                parts::attendee(t, ATTENDEES, &attendee, |a| a.title = title)
            }
            E::SetAttendance {
                attendee,
                attendance,
            } => parts::attendee(t, ATTENDEES, &attendee, |a| a.attendance = attendance),
            E::SetAttendeeDeleted { attendee, deleted } => {
                parts::attendee(t, ATTENDEES, &attendee, |a| a.deleted = deleted)
            }
            E::AddAgendaItem {
                key,
                title,
                owner,
                after,
                before,
            } => add_ordered(t, AGENDA, &key, after, before, |order| AgendaItem {
                order,
                title,
                owner,
                state: AgendaState::Open,
                deleted: false,
            }),
            E::MoveAgendaItem {
                item,
                after,
                before,
            } => move_ordered(t, AGENDA, &item, after, before),
            E::SetAgendaTitle { item, title } => ordered_entry(t, AGENDA, &item, |a| {
                a.title = title;
                Ok(())
            }),
            E::SetAgendaOwner { item, owner } => ordered_entry(t, AGENDA, &item, |a| {
                a.owner = owner;
                Ok(())
            }),
            E::SetAgendaState { item, state } => ordered_entry(t, AGENDA, &item, |a| {
                a.state = state;
                Ok(())
            }),
            E::SetAgendaItemDeleted { item, deleted } => ordered_entry(t, AGENDA, &item, |a| {
                a.deleted = deleted;
                Ok(())
            }),
            E::AddDecision {
                key,
                text,
                after,
                before,
            } => add_ordered(t, DECISIONS, &key, after, before, |order| Decision {
                order,
                text: Text::with_value(text),
                agreed_by: IdSet::new(),
                deleted: false,
            }),
            E::MoveDecision {
                decision,
                after,
                before,
            } => move_ordered(t, DECISIONS, &decision, after, before),
            E::EditDecisionText { decision, edit } => {
                let field = format!("{}.text", DECISIONS.entries.name(&decision));
                ordered_entry(t, DECISIONS, &decision, |d| {
                    edit.apply(&field, &mut d.text, MAX_TEXT)
                })
            }
            E::AddDecisionAgreedBy { decision, attendee } => {
                if t.get(ATTENDEES, &attendee)?.is_none() {
                    return Err(ATTENDEES.not_found(&attendee));
                }
                ordered_entry(t, DECISIONS, &decision, |d| {
                    d.agreed_by.insert(attendee);
                    Ok(())
                })
            }
            E::RemoveDecisionAgreedBy { decision, attendee } => {
                ordered_entry(t, DECISIONS, &decision, |d| {
                    d.agreed_by.remove(&attendee);
                    Ok(())
                })
            }
            E::SetDecisionDeleted { decision, deleted } => {
                ordered_entry(t, DECISIONS, &decision, |d| {
                    d.deleted = deleted;
                    Ok(())
                })
            }
            E::AddOpenQuestion {
                key,
                text,
                after,
                before,
            } => add_ordered(t, QUESTIONS, &key, after, before, |order| OpenQuestion {
                order,
                text: Text::with_value(text),
                deleted: false,
            }),
            E::MoveOpenQuestion {
                question,
                after,
                before,
            } => move_ordered(t, QUESTIONS, &question, after, before),
            E::EditOpenQuestionText { question, edit } => {
                let field = format!("{}.text", QUESTIONS.entries.name(&question));
                ordered_entry(t, QUESTIONS, &question, |q| {
                    edit.apply(&field, &mut q.text, MAX_TEXT)
                })
            }
            E::SetOpenQuestionDeleted { question, deleted } => {
                ordered_entry(t, QUESTIONS, &question, |q| {
                    q.deleted = deleted;
                    Ok(())
                })
            }
            E::AddActionItem {
                action_item_id,
                after,
                before,
            } => add_ordered(
                t,
                ACTION_ITEMS,
                &action_item_id.to_string(),
                after.map(|a| a.to_string()),
                before.map(|b| b.to_string()),
                |order| ActionRef {
                    order,
                    deleted: false,
                },
            ),
            E::MoveActionItem {
                action_item_id,
                after,
                before,
            } => move_ordered(
                t,
                ACTION_ITEMS,
                &action_item_id.to_string(),
                after.map(|a| a.to_string()),
                before.map(|b| b.to_string()),
            ),
            E::SetActionItemDeleted {
                action_item_id,
                deleted,
            } => ordered_entry(t, ACTION_ITEMS, &action_item_id.to_string(), |r| {
                r.deleted = deleted;
                Ok(())
            }),
            E::AddRecipient {
                key,
                name,
                email,
                party,
                reason,
            } => {
                let new = Recipient {
                    name,
                    email,
                    party,
                    reason,
                    deleted: false,
                };
                new.validate(&DISTRIBUTION.name(&key))?;
                insert_new(t, DISTRIBUTION, &key, new)
            }
            E::SetRecipientName { recipient: k, name } => recipient(t, &k, |r| r.name = name),
            E::SetRecipientEmail {
                recipient: k,
                email,
            } => recipient(t, &k, |r| r.email = email),
            E::SetRecipientParty {
                recipient: k,
                party,
            } => recipient(t, &k, |r| r.party = party),
            E::SetRecipientReason {
                recipient: k,
                reason,
            } => recipient(t, &k, |r| r.reason = reason),
            E::SetRecipientDeleted {
                recipient: k,
                deleted,
            } => recipient(t, &k, |r| r.deleted = deleted),
            E::SubmitContactReport => advance_report(t, ContactReportStatus::InReview),
            E::SetContactReportStatus { to } => advance_report(t, to),
            E::MarkContactReportSent { .. } => Err(ModelError::ServerOnly {
                what: "numbering and sending the contact report".into(),
            }),
            E::SetDeleted { deleted } => set(t, DELETED, deleted),
        }
    }
}
