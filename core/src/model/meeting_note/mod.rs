//! [`MeetingNote`]: notes of a meeting plus the agency's contact report.
//!
//! The body is collaborative text: two people typing into it at once both keep their words.

mod contact_report;
mod delivery;
mod edit;
mod ordered;

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile, Text};

pub use contact_report::{
    ContactReport, ContactReportStatus, MAX_CLIENT_COMMENT, Recipient, RecipientReason,
};
pub use delivery::{DeliveryState, ReportDelivery};
pub use edit::MeetingNoteEdit;
pub use ordered::{
    ActionRef, AgendaItem, AgendaState, Decision, OpenQuestion, Ordered, in_order, last_order,
};

use super::limits::{
    MAX_BODY, MAX_ENTITIES, MAX_TEXT, check_key, check_len, check_map, check_required, check_short,
    check_text,
};
use super::order::between;
use super::people::{Attendee, Visibility};
use super::rules::once;
use super::time::Instant;
use super::{Document, DocumentKind, Listing, ModelError};
use crate::ids::{DocumentId, EntityId};

str_enum! {
    /// What kind of meeting (stored as `meeting_kind`: the root `kind` names the document kind).
    pub enum MeetingKind {
        /// With the client.
        ClientMeeting => "client_meeting",
        /// Internal status meeting.
        InternalStatus => "internal_status",
        /// Briefing.
        Briefing => "briefing",
        /// Creative presentation.
        CreativePresentation => "creative_presentation",
        /// Budget review.
        BudgetReview => "budget_review",
        /// Brand review.
        BrandReview => "brand_review",
        /// Call.
        Call => "call",
    }
}

/// A meeting note document.
#[derive(Debug, Clone, Hydrate, Reconcile, serde::Serialize, serde::Deserialize)]
pub struct MeetingNote {
    /// ONCE.
    pub id: DocumentId,
    /// ONCE.
    pub created_by: EntityId,
    /// ONCE.
    pub created_at: Instant,
    /// LWW. The client account. Optional in the type, but required to store:
    /// [`Store::create`](crate::store::Store::create) refuses a note without one, because a
    /// server places every document in an account ([`classify`](crate::model::classify)) and
    /// refuses one without, so it would never sync.
    pub account_id: Option<EntityId>,
    /// LWW.
    pub client_visit_id: Option<DocumentId>,
    /// LWW.
    pub meeting_kind: MeetingKind,
    /// LWW.
    pub title: String,
    /// LWW.
    pub started_at: Option<Instant>,
    /// LWW.
    pub ended_at: Option<Instant>,
    /// LWW.
    pub location: String,
    /// LWW.
    pub visibility: Visibility,
    /// LWW soft delete.
    pub deleted: bool,
    /// TEXT: the notes.
    #[serde(with = "crate::model::text_serde")]
    pub body: Text,
    /// TEXT: never in the client-facing report.
    #[serde(with = "crate::model::text_serde")]
    pub internal_notes: Text,
    /// MAP (grouped by `party` when shown).
    pub attendees: BTreeMap<String, Attendee>,
    /// ORDERED.
    pub agenda: BTreeMap<String, AgendaItem>,
    /// ORDERED.
    pub decisions: BTreeMap<String, Decision>,
    /// ORDERED.
    pub open_questions: BTreeMap<String, OpenQuestion>,
    /// ORDERED references to action item documents, keyed by their document id.
    pub action_item_ids: BTreeMap<String, ActionRef>,
    /// The contact report section.
    pub contact_report: ContactReport,
}

impl MeetingNote {
    /// A new note with an empty body and a draft contact report, and no account: set
    /// `account_id` before storing it.
    pub fn new(
        id: DocumentId,
        created_by: EntityId,
        created_at: Instant,
        meeting_kind: MeetingKind,
        title: impl Into<String>,
    ) -> Self {
        MeetingNote {
            id,
            created_by,
            created_at,
            account_id: None,
            client_visit_id: None,
            meeting_kind,
            title: title.into(),
            started_at: None,
            ended_at: None,
            location: String::new(),
            visibility: Visibility::Team,
            deleted: false,
            body: Text::default(),
            internal_notes: Text::default(),
            attendees: BTreeMap::new(),
            agenda: BTreeMap::new(),
            decisions: BTreeMap::new(),
            open_questions: BTreeMap::new(),
            action_item_ids: BTreeMap::new(),
            contact_report: ContactReport::default(),
        }
    }

    /// Appends an agenda point at the end.
    pub fn add_agenda_item(
        &mut self,
        id: &str,
        title: impl Into<String>,
    ) -> Result<(), ModelError> {
        check_key("agenda", id)?;
        check_len("agenda", self.agenda.len() + 1, MAX_ENTITIES)?;
        if self.agenda.contains_key(id) {
            return Err(ModelError::invalid(
                format!("agenda.{id}"),
                "already exists",
            ));
        }
        let order = between(last_order(&self.agenda).as_deref(), None)?;
        self.agenda.insert(
            id.to_owned(),
            AgendaItem {
                order,
                title: title.into(),
                owner: None,
                state: AgendaState::Open,
                deleted: false,
            },
        );
        Ok(())
    }

    /// Moves an agenda point between two others (`None` = an end of the list). Only its own
    /// `order` key changes.
    pub fn move_agenda_item(
        &mut self,
        id: &str,
        after: Option<&str>,
        before: Option<&str>,
    ) -> Result<(), ModelError> {
        let key_of = |k: Option<&str>| -> Result<Option<String>, ModelError> {
            k.map(|k| {
                self.agenda
                    .get(k)
                    .map(|a| a.order.clone())
                    .ok_or_else(|| ModelError::NotFound {
                        what: "agenda item",
                        id: k.chars().take(64).collect(),
                    })
            })
            .transpose()
        };
        let (lo, hi) = (key_of(after)?, key_of(before)?);
        let order = between(lo.as_deref(), hi.as_deref())?;
        let item = self
            .agenda
            .get_mut(id)
            .ok_or_else(|| ModelError::NotFound {
                what: "agenda item",
                id: id.chars().take(64).collect(),
            })?;
        item.order = order;
        Ok(())
    }

    /// The live agenda in display order.
    pub fn agenda_in_order(&self) -> Vec<(&str, &AgendaItem)> {
        in_order(&self.agenda)
    }
}

impl Document for MeetingNote {
    const KIND: DocumentKind = DocumentKind::MeetingNote;
    const SCHEMA_VERSION: u64 = 1;

    fn id(&self) -> DocumentId {
        self.id
    }

    fn listing(&self) -> Listing {
        Listing {
            kind: Self::KIND,
            account_id: self.account_id.as_ref().map(ToString::to_string),
            status: self.contact_report.status().as_str().to_owned(),
            date_ms: self
                .started_at
                .as_ref()
                .map_or(self.created_at.utc_ms, |i| i.utc_ms),
            title: self.title.clone(),
            deleted: self.deleted,
        }
    }

    fn validate(&self) -> Result<(), ModelError> {
        check_required("title", &self.title)?;
        check_short("location", &self.location)?;
        check_text("body", &self.body, MAX_BODY)?;
        check_text("internal_notes", &self.internal_notes, MAX_TEXT)?;
        check_map("attendees", self.attendees.iter())?;
        for (k, a) in &self.attendees {
            a.validate(&format!("attendees.{k}"))?;
        }
        ordered::validate_ordered("agenda", &self.agenda)?;
        ordered::validate_ordered("decisions", &self.decisions)?;
        ordered::validate_ordered("open_questions", &self.open_questions)?;
        ordered::validate_ordered("action_item_ids", &self.action_item_ids)?;
        ordered::validate_contents(&self.agenda, &self.decisions, &self.open_questions)?;
        self.contact_report.validate()
    }

    fn validate_transition(&self, before: &Self) -> Result<(), ModelError> {
        once("id", &before.id, &self.id)?;
        once("created_by", &before.created_by, &self.created_by)?;
        once("created_at", &before.created_at, &self.created_at)?;
        self.contact_report
            .validate_transition(&before.contact_report)
    }

    fn set_deleted(&mut self, deleted: bool) {
        self.deleted = deleted;
    }
}
