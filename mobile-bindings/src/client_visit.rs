//! Client visits: the record, the record that creates one, and the edits a phone applies.
//! Expenses and photos are not exposed yet.

use enlace_core::DocumentId;
use enlace_core::model::client_visit::{
    Location as CoreLocation, LocationKind as CoreLocationKind, Outcome as CoreOutcome,
    VisitKind as CoreVisitKind,
};
use enlace_core::model::{self as core, ModelError, VisitStatus as CoreStatus};

use crate::values::{Attendee, CheckIn, GeoPoint, Instant, Visibility, entity, opt_doc_id};

ffi_enum! {
    /// planned -> checked_in -> held | not_held | cancelled.
    pub enum VisitStatus mirrors CoreStatus { Planned, CheckedIn, Cancelled, NotHeld, Held }
}

ffi_enum! {
    /// What kind of contact.
    pub enum VisitKind mirrors CoreVisitKind {
        ClientMeeting, BusinessLunch, Presentation, StoreWalk, Event, Call, Other
    }
}

ffi_enum! {
    /// How it went.
    pub enum Outcome mirrors CoreOutcome {
        Positive, FollowUpRequired, DecisionPending, IssueRaised, NoShow
    }
}

ffi_enum! {
    /// Kind of place.
    pub enum LocationKind mirrors CoreLocationKind {
        ClientOffice, AgencyOffice, Restaurant, Store, Virtual, Other
    }
}

/// Where the visit takes place.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Location {
    /// Kind of place.
    pub kind: LocationKind,
    /// "Café Haiti".
    pub place_name: String,
    /// Street address.
    pub address: String,
    /// Coordinates, when known.
    pub geo: Option<GeoPoint>,
}

/// A client visit.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ClientVisit {
    /// Document id.
    pub id: String,
    /// ONCE.
    pub account_id: String,
    /// ONCE.
    pub created_by: String,
    /// ONCE.
    pub created_at: Instant,
    /// ONCE: arrival.
    pub check_in: Option<CheckIn>,
    /// Never moves backwards.
    pub status: VisitStatus,
    /// Kind of contact.
    pub visit_kind: VisitKind,
    /// Title.
    pub title: String,
    /// Planned start.
    pub planned_start: Option<Instant>,
    /// Planned end.
    pub planned_end: Option<Instant>,
    /// Place.
    pub location: Option<Location>,
    /// Leaving.
    pub check_out: Option<Instant>,
    /// How it went.
    pub outcome: Option<Outcome>,
    /// The meeting note written about it.
    pub meeting_note_id: Option<String>,
    /// Who may see it.
    pub visibility: Visibility,
    /// Soft delete.
    pub deleted: bool,
    /// TEXT.
    pub objective: String,
    /// TEXT.
    pub notes: String,
    /// TEXT, never shown to the client.
    pub internal_notes: String,
    /// TEXT.
    pub outcome_note: String,
    /// TEXT.
    pub next_steps: String,
    /// Attendees, by key.
    pub attendees: Vec<Attendee>,
    /// Linked action items.
    pub action_item_ids: Vec<String>,
    /// Linked storechecks.
    pub storecheck_ids: Vec<String>,
}

/// What an app fills to create a (planned) visit.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct NewClientVisit {
    /// The client account.
    pub account_id: String,
    /// The executive.
    pub created_by: String,
    /// Now, in the executive's zone.
    pub created_at: Instant,
    /// Kind of contact.
    pub visit_kind: VisitKind,
    /// Title.
    pub title: String,
}

/// One edit of a visit; `update_client_visit` applies a list of them in one transaction.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum ClientVisitEdit {
    /// Sets the title.
    SetTitle {
        /// Title.
        title: String,
    },
    /// Sets the kind of contact.
    SetVisitKind {
        /// Kind.
        visit_kind: VisitKind,
    },
    /// Sets the planned times.
    SetPlanned {
        /// Start.
        start: Option<Instant>,
        /// End.
        end: Option<Instant>,
    },
    /// Sets or clears the place.
    SetLocation {
        /// Place.
        location: Option<Location>,
    },
    /// Checks in (ONCE): planned -> checked_in.
    Arrive {
        /// The check-in.
        check_in: CheckIn,
    },
    /// Records leaving (needs a check-in).
    Leave {
        /// When.
        at: Instant,
    },
    /// Moves the status forward (held, not_held, cancelled).
    Advance {
        /// Target status.
        status: VisitStatus,
    },
    /// Sets or clears the outcome.
    SetOutcome {
        /// Outcome.
        outcome: Option<Outcome>,
    },
    /// Links (or unlinks) the meeting note.
    LinkMeetingNote {
        /// The note's document id.
        meeting_note_id: Option<String>,
    },
    /// Adds a storecheck to the visit.
    LinkStorecheck {
        /// The storecheck's document id.
        storecheck_id: String,
    },
    /// Adds an action item to the visit.
    LinkActionItem {
        /// The action item's document id.
        action_item_id: String,
    },
    /// Adds or replaces an attendee (by key).
    PutAttendee {
        /// The attendee.
        attendee: Attendee,
    },
}

impl From<CoreLocation> for Location {
    fn from(l: CoreLocation) -> Self {
        Location {
            kind: l.kind.into(),
            place_name: l.place_name,
            address: l.address,
            geo: l.geo.map(Into::into),
        }
    }
}

impl From<Location> for CoreLocation {
    fn from(l: Location) -> Self {
        CoreLocation {
            kind: l.kind.into(),
            place_name: l.place_name,
            address: l.address,
            geo: l.geo.map(Into::into),
        }
    }
}

impl From<core::ClientVisit> for ClientVisit {
    fn from(v: core::ClientVisit) -> Self {
        let status = v.status().into();
        ClientVisit {
            id: v.id.to_string(),
            account_id: v.account_id.to_string(),
            created_by: v.created_by.to_string(),
            created_at: v.created_at.into(),
            check_in: v.check_in.map(Into::into),
            status,
            visit_kind: v.visit_kind.into(),
            title: v.title,
            planned_start: v.planned_start.map(Into::into),
            planned_end: v.planned_end.map(Into::into),
            location: v.location.map(Into::into),
            check_out: v.check_out.map(Into::into),
            outcome: v.outcome.map(Into::into),
            meeting_note_id: v.meeting_note_id.map(|i| i.to_string()),
            visibility: v.visibility.into(),
            deleted: v.deleted,
            objective: v.objective.as_str().to_owned(),
            notes: v.notes.as_str().to_owned(),
            internal_notes: v.internal_notes.as_str().to_owned(),
            outcome_note: v.outcome_note.as_str().to_owned(),
            next_steps: v.next_steps.as_str().to_owned(),
            attendees: v
                .attendees
                .into_iter()
                .map(|(k, a)| Attendee::from_core(k, a))
                .collect(),
            action_item_ids: v.action_item_ids.iter().map(str::to_owned).collect(),
            storecheck_ids: v.storecheck_ids.iter().map(str::to_owned).collect(),
        }
    }
}

impl NewClientVisit {
    /// The core value, under a fresh device-made id.
    pub(crate) fn into_core(self) -> Result<core::ClientVisit, ModelError> {
        Ok(core::ClientVisit::new(
            DocumentId::new_random(),
            entity("account_id", self.account_id)?,
            entity("created_by", self.created_by)?,
            self.created_at.into_core()?,
            self.visit_kind.into(),
            self.title,
        ))
    }
}

impl ClientVisitEdit {
    /// Applies the edit with the model's own operation where there is one; the store validates
    /// the whole document and the transition before writing.
    pub(crate) fn apply(self, v: &mut core::ClientVisit) -> Result<(), ModelError> {
        match self {
            ClientVisitEdit::SetTitle { title } => v.title = title,
            ClientVisitEdit::SetVisitKind { visit_kind } => v.visit_kind = visit_kind.into(),
            ClientVisitEdit::SetPlanned { start, end } => {
                v.planned_start = Instant::opt_into_core(start)?;
                v.planned_end = Instant::opt_into_core(end)?;
            }
            ClientVisitEdit::SetLocation { location } => v.location = location.map(Into::into),
            ClientVisitEdit::Arrive { check_in } => v.check_in(check_in.into_core()?)?,
            ClientVisitEdit::Leave { at } => v.check_out(at.into_core()?)?,
            ClientVisitEdit::Advance { status } => v.advance(status.into())?,
            ClientVisitEdit::SetOutcome { outcome } => v.outcome = outcome.map(Into::into),
            ClientVisitEdit::LinkMeetingNote { meeting_note_id } => {
                v.meeting_note_id = opt_doc_id("meeting_note_id", meeting_note_id)?;
            }
            ClientVisitEdit::LinkStorecheck { storecheck_id } => {
                v.storecheck_ids.insert(storecheck_id);
            }
            ClientVisitEdit::LinkActionItem { action_item_id } => {
                v.action_item_ids.insert(action_item_id);
            }
            ClientVisitEdit::PutAttendee { attendee } => {
                let (key, value) = attendee.into_core();
                v.attendees.insert(key, value);
            }
        }
        Ok(())
    }
}
