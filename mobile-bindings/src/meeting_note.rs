//! Meeting notes: what an app fills to create one and the record it reads, with its contact
//! report. The edits are core's own
//! [`MeetingNoteEdit`](enlace_core::model::meeting_note::MeetingNoteEdit).

use std::collections::HashMap;

use enlace_core::model::Instant;
use enlace_core::model::meeting_note::{
    ActionRef, AgendaItem, ContactReport, ContactReportStatus, Decision, MeetingKind, OpenQuestion,
    Recipient, ReportDelivery,
};
use enlace_core::model::people::{Attendee, Visibility};
use enlace_core::{DocumentId, EntityId};

/// What an app fills to create a meeting note.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct NewMeetingNote {
    /// The client account (required: a document without one never syncs).
    pub account_id: EntityId,
    /// Who writes it.
    pub created_by: EntityId,
    /// Now, in the writer's zone.
    pub created_at: Instant,
    /// Client meeting, briefing, call...
    pub meeting_kind: MeetingKind,
    /// A short title.
    pub title: String,
}

document_record! {
    /// The contact report of a meeting note.
    pub struct ContactReportRecord from ContactReport {
        /// Assigned by the server when it is sent.
        report_no: Option<String>,
        /// When the server sent it.
        sent_at: Option<Instant>,
        /// Who receives it, by key.
        distribution: HashMap<String, Recipient> = map,
        /// draft -> in_review -> sent -> accepted | disputed.
        status: ContactReportStatus = status,
        /// When the client's answer was recorded (by the server).
        answered_at: Option<Instant>,
        /// The client's comment with their answer.
        client_comment: Option<String>,
        /// Where the report's e-mail stands, per recipient (keyed like `distribution`),
        /// written by the server as its mail relay answers.
        deliveries: HashMap<String, ReportDelivery> = map,
        /// Set by the server when the report was not sent within 24 working hours of the
        /// meeting: the deadline it missed.
        overdue_since: Option<Instant>,
    }
}

document_record! {
    /// A meeting note as an app reads it. Ordered entries (agenda, decisions, open questions,
    /// action item refs) carry an `order` key: sort by it (byte order) to show them in order.
    pub struct MeetingNoteRecord from enlace_core::model::MeetingNote {
        /// Document id.
        id: DocumentId,
        /// ONCE.
        created_by: EntityId,
        /// ONCE.
        created_at: Instant,
        /// The client account.
        account_id: Option<EntityId>,
        /// The visit it belongs to.
        client_visit_id: Option<DocumentId>,
        /// Client meeting, briefing, call...
        meeting_kind: MeetingKind,
        /// A short title.
        title: String,
        /// Start.
        started_at: Option<Instant>,
        /// End.
        ended_at: Option<Instant>,
        /// Where.
        location: String,
        /// Who may see it.
        visibility: Visibility,
        /// Soft delete.
        deleted: bool,
        /// TEXT: the notes (crosses as a string; edit it with a TextEdit).
        body: String = text,
        /// TEXT, never in the client-facing report.
        internal_notes: String = text,
        /// Attendees by key.
        attendees: HashMap<String, Attendee> = map,
        /// Agenda items by key.
        agenda: HashMap<String, AgendaItem> = map,
        /// Decisions by key.
        decisions: HashMap<String, Decision> = map,
        /// Open questions by key.
        open_questions: HashMap<String, OpenQuestion> = map,
        /// Action item refs by action item id.
        action_item_ids: HashMap<String, ActionRef> = map,
        /// The contact report.
        contact_report: ContactReportRecord = ContactReportRecord,
    }
}
