//! Meeting notes: the record, the record that creates one, and the edits a phone applies.
//! Decisions, open questions, action item refs and the report's distribution list are not
//! exposed yet.

use enlace_core::DocumentId;
use enlace_core::model::meeting_note::{AgendaState as CoreAgendaState, MeetingKind as CoreKind};
use enlace_core::model::{self as core, ContactReportStatus as CoreReportStatus, ModelError};

use crate::values::{Attendee, Instant, Visibility, entity, opt_doc_id, opt_entity};

ffi_enum! {
    /// Kind of meeting.
    pub enum MeetingKind mirrors CoreKind {
        ClientMeeting, InternalStatus, Briefing, CreativePresentation, BudgetReview, BrandReview,
        Call
    }
}

ffi_enum! {
    /// State of an agenda item.
    pub enum AgendaState mirrors CoreAgendaState { Open, Discussed, Deferred }
}

ffi_enum! {
    /// draft -> in_review -> sent -> accepted | disputed (sent and later: server only).
    pub enum ContactReportStatus mirrors CoreReportStatus {
        Draft, InReview, Sent, Accepted, Disputed
    }
}

/// An agenda item, keyed by `key`; listed in agenda order.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AgendaItem {
    /// The item's key.
    pub key: String,
    /// Title.
    pub title: String,
    /// Who presents it.
    pub owner: Option<String>,
    /// State.
    pub state: AgendaState,
}

/// A meeting note.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct MeetingNote {
    /// Document id.
    pub id: String,
    /// ONCE.
    pub created_by: String,
    /// ONCE.
    pub created_at: Instant,
    /// The client account.
    pub account_id: Option<String>,
    /// The visit it belongs to.
    pub client_visit_id: Option<String>,
    /// Kind of meeting.
    pub meeting_kind: MeetingKind,
    /// Title.
    pub title: String,
    /// Start.
    pub started_at: Option<Instant>,
    /// End.
    pub ended_at: Option<Instant>,
    /// Where.
    pub location: String,
    /// Who may see it.
    pub visibility: Visibility,
    /// Soft delete.
    pub deleted: bool,
    /// TEXT: the notes.
    pub body: String,
    /// TEXT: never in the client-facing report.
    pub internal_notes: String,
    /// Attendees, by key.
    pub attendees: Vec<Attendee>,
    /// Live agenda items in agenda order.
    pub agenda: Vec<AgendaItem>,
    /// The contact report's status.
    pub contact_report_status: ContactReportStatus,
    /// The contact report's number (assigned by the server when sent).
    pub report_no: Option<String>,
}

/// What an app fills to create a meeting note.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct NewMeetingNote {
    /// The executive.
    pub created_by: String,
    /// Now, in the executive's zone.
    pub created_at: Instant,
    /// Kind of meeting.
    pub meeting_kind: MeetingKind,
    /// Title.
    pub title: String,
    /// The client account. Required: `create_meeting_note` refuses `None` (the server
    /// refuses a document without an account).
    pub account_id: Option<String>,
}

/// One edit of a meeting note; `update_meeting_note` applies a list of them in one transaction.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum MeetingNoteEdit {
    /// Sets the title.
    SetTitle {
        /// Title.
        title: String,
    },
    /// Sets or clears the account.
    SetAccount {
        /// Account id.
        account_id: Option<String>,
    },
    /// Sets the times.
    SetTimes {
        /// Start.
        started_at: Option<Instant>,
        /// End.
        ended_at: Option<Instant>,
    },
    /// Sets where.
    SetLocation {
        /// Place.
        location: String,
    },
    /// Links (or unlinks) the client visit.
    LinkClientVisit {
        /// The visit's document id.
        client_visit_id: Option<String>,
    },
    /// Adds or replaces an attendee (by key).
    PutAttendee {
        /// The attendee.
        attendee: Attendee,
    },
    /// Appends an agenda item.
    AddAgendaItem {
        /// A fresh key.
        key: String,
        /// Title.
        title: String,
    },
    /// Moves an agenda item between two others (either may be absent: first or last).
    MoveAgendaItem {
        /// The item.
        key: String,
        /// The item it goes after.
        after: Option<String>,
        /// The item it goes before.
        before: Option<String>,
    },
    /// Sets an agenda item's state.
    SetAgendaState {
        /// The item.
        key: String,
        /// State.
        state: AgendaState,
    },
    /// Sends the contact report for internal review (draft -> in_review).
    SubmitContactReport,
}

impl From<core::MeetingNote> for MeetingNote {
    fn from(m: core::MeetingNote) -> Self {
        let agenda = m
            .agenda_in_order()
            .into_iter()
            .map(|(key, a)| AgendaItem {
                key: key.to_owned(),
                title: a.title.clone(),
                owner: a.owner.clone(),
                state: a.state.into(),
            })
            .collect();
        let contact_report_status = m.contact_report.status().into();
        MeetingNote {
            id: m.id.to_string(),
            created_by: m.created_by.to_string(),
            created_at: m.created_at.into(),
            account_id: m.account_id.map(|i| i.to_string()),
            client_visit_id: m.client_visit_id.map(|i| i.to_string()),
            meeting_kind: m.meeting_kind.into(),
            title: m.title,
            started_at: m.started_at.map(Into::into),
            ended_at: m.ended_at.map(Into::into),
            location: m.location,
            visibility: m.visibility.into(),
            deleted: m.deleted,
            body: m.body.as_str().to_owned(),
            internal_notes: m.internal_notes.as_str().to_owned(),
            attendees: m
                .attendees
                .into_iter()
                .map(|(k, a)| Attendee::from_core(k, a))
                .collect(),
            agenda,
            contact_report_status,
            report_no: m.contact_report.report_no,
        }
    }
}

impl NewMeetingNote {
    /// The core value, under a fresh device-made id.
    pub(crate) fn into_core(self) -> Result<core::MeetingNote, ModelError> {
        let mut note = core::MeetingNote::new(
            DocumentId::new_random(),
            entity("created_by", self.created_by)?,
            self.created_at.into_core()?,
            self.meeting_kind.into(),
            self.title,
        );
        note.account_id = opt_entity("account_id", self.account_id)?;
        Ok(note)
    }
}

impl MeetingNoteEdit {
    /// Applies the edit with the model's own operation where there is one; the store validates
    /// the whole document and the transition before writing.
    pub(crate) fn apply(self, m: &mut core::MeetingNote) -> Result<(), ModelError> {
        match self {
            MeetingNoteEdit::SetTitle { title } => m.title = title,
            MeetingNoteEdit::SetAccount { account_id } => {
                m.account_id = opt_entity("account_id", account_id)?;
            }
            MeetingNoteEdit::SetTimes {
                started_at,
                ended_at,
            } => {
                m.started_at = Instant::opt_into_core(started_at)?;
                m.ended_at = Instant::opt_into_core(ended_at)?;
            }
            MeetingNoteEdit::SetLocation { location } => m.location = location,
            MeetingNoteEdit::LinkClientVisit { client_visit_id } => {
                m.client_visit_id = opt_doc_id("client_visit_id", client_visit_id)?;
            }
            MeetingNoteEdit::PutAttendee { attendee } => {
                let (key, value) = attendee.into_core();
                m.attendees.insert(key, value);
            }
            MeetingNoteEdit::AddAgendaItem { key, title } => m.add_agenda_item(&key, title)?,
            MeetingNoteEdit::MoveAgendaItem { key, after, before } => {
                m.move_agenda_item(&key, after.as_deref(), before.as_deref())?;
            }
            MeetingNoteEdit::SetAgendaState { key, state } => {
                let item = m.agenda.get_mut(&key).ok_or_else(|| ModelError::NotFound {
                    what: "agenda item",
                    id: key.chars().take(64).collect(),
                })?;
                item.state = state.into();
            }
            MeetingNoteEdit::SubmitContactReport => m.contact_report.submit_for_review()?,
        }
        Ok(())
    }
}
