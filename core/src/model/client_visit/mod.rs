//! [`ClientVisit`]: a visit, lunch, presentation or call with a client.

mod edit;

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile, Text};
use serde::Serialize;

use super::common::{GeoPoint, IdSet};
use super::limits::{MAX_TEXT, check_map, check_required, check_short, check_text};
use super::money::Money;
use super::people::{Attendee, Visibility};
use super::photo::{PhotoRef, validate_photos};
use super::rules::{CheckIn, once, once_opt};
use super::status::{Lifecycle, LifecycleState};
use super::time::Instant;
use super::{Document, DocumentKind, Listing, ModelError};
use crate::ids::{DocumentId, EntityId};

pub use edit::ClientVisitEdit;

str_enum! {
    /// planned -> checked_in -> held | not_held | cancelled (also planned -> not_held |
    /// cancelled). Concurrent terminal states resolve by this order: held beats not_held beats
    /// cancelled, because a check-in plus "held" is evidence the meeting happened.
    pub enum VisitStatus {
        /// Scheduled.
        Planned => "planned",
        /// The executive arrived.
        CheckedIn => "checked_in",
        /// Called off.
        Cancelled => "cancelled",
        /// Did not happen (no-show).
        NotHeld => "not_held",
        /// Happened.
        Held => "held",
    }
}

impl LifecycleState for VisitStatus {
    const ALL: &'static [Self] = VisitStatus::ALL;
    const INITIAL: Self = VisitStatus::Planned;

    fn as_str(self) -> &'static str {
        VisitStatus::as_str(self)
    }

    fn can_advance(from: Self, to: Self) -> bool {
        use VisitStatus::*;
        matches!(
            (from, to),
            (Planned, CheckedIn | NotHeld | Cancelled) | (CheckedIn, Held | NotHeld | Cancelled)
        )
    }
}

str_enum! {
    /// What kind of contact (stored as `visit_kind`: the root `kind` names the document kind).
    pub enum VisitKind {
        /// Meeting at the client.
        ClientMeeting => "client_meeting",
        /// Lunch.
        BusinessLunch => "business_lunch",
        /// Presentation.
        Presentation => "presentation",
        /// Walking stores with the client.
        StoreWalk => "store_walk",
        /// Event.
        Event => "event",
        /// Phone or video call.
        Call => "call",
        /// Other.
        Other => "other",
    }
}

str_enum! {
    /// How it went.
    pub enum Outcome {
        /// Positive.
        Positive => "positive",
        /// Needs follow-up.
        FollowUpRequired => "follow_up_required",
        /// Waiting for a decision.
        DecisionPending => "decision_pending",
        /// A problem came up.
        IssueRaised => "issue_raised",
        /// The client did not show up.
        NoShow => "no_show",
    }
}

str_enum! {
    /// Kind of place.
    pub enum LocationKind {
        /// The client's office.
        ClientOffice => "client_office",
        /// The agency.
        AgencyOffice => "agency_office",
        /// A restaurant.
        Restaurant => "restaurant",
        /// A store.
        Store => "store",
        /// Online.
        Virtual => "virtual",
        /// Elsewhere.
        Other => "other",
    }
}

str_enum! {
    /// Expense categories.
    pub enum ExpenseCategory {
        /// Meals.
        Meal => "meal",
        /// Taxi, fuel, tolls.
        Transport => "transport",
        /// Parking.
        Parking => "parking",
        /// Hotel.
        Lodging => "lodging",
        /// Gifts.
        Gift => "gift",
        /// Other.
        Other => "other",
    }
}

/// Where the visit takes place (LWW as a whole).
#[derive(Debug, Clone, PartialEq, Hydrate, Reconcile, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Location {
    /// Kind of place.
    pub kind: LocationKind,
    /// "Café Haiti", "Oficina Providencia".
    pub place_name: String,
    /// Street address.
    pub address: String,
    /// Coordinates, when known.
    pub geo: Option<GeoPoint>,
}

impl Location {
    /// Checks the strings and the coordinates.
    pub fn validate(&self, field: &str) -> Result<(), ModelError> {
        check_short(&format!("{field}.place_name"), &self.place_name)?;
        check_short(&format!("{field}.address"), &self.address)?;
        if let Some(g) = &self.geo {
            g.validate(&format!("{field}.geo"))?;
        }
        Ok(())
    }
}

/// An expense of the visit.
#[derive(Debug, Clone, PartialEq, Eq, Hydrate, Reconcile, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Expense {
    /// Category.
    pub category: ExpenseCategory,
    /// Amount (not negative).
    pub amount: Money,
    /// Re-billed to the client.
    pub billable: bool,
    /// The id of the receipt in `photos`.
    pub receipt_photo: Option<String>,
    /// Soft delete.
    pub deleted: bool,
}

impl Expense {
    /// Checks the amount (a refund is not an expense).
    pub fn validate(&self, field: &str) -> Result<(), ModelError> {
        self.amount
            .validate_non_negative(&format!("{field}.amount"))
    }
}

/// A client visit document.
#[derive(Debug, Clone, Hydrate, Reconcile, serde::Serialize, serde::Deserialize)]
pub struct ClientVisit {
    /// ONCE.
    pub id: DocumentId,
    /// ONCE.
    pub created_by: EntityId,
    /// ONCE.
    pub created_at: Instant,
    /// ONCE.
    pub account_id: EntityId,
    /// ONCE: arrival. Two concurrent check-ins resolve to one: both replicas write a whole map at
    /// `check_in` and automerge keeps the same winner everywhere (never mixing fields of both).
    pub check_in: Option<CheckIn>,
    /// STATUS.
    pub status: Lifecycle<VisitStatus>,
    /// LWW.
    pub visit_kind: VisitKind,
    /// LWW.
    pub title: String,
    /// LWW.
    pub planned_start: Option<Instant>,
    /// LWW.
    pub planned_end: Option<Instant>,
    /// LWW.
    pub location: Option<Location>,
    /// LWW.
    pub check_out: Option<Instant>,
    /// LWW.
    pub outcome: Option<Outcome>,
    /// LWW.
    pub meeting_note_id: Option<DocumentId>,
    /// LWW.
    pub visibility: Visibility,
    /// LWW soft delete.
    pub deleted: bool,
    /// TEXT.
    #[serde(with = "crate::model::text_serde")]
    pub objective: Text,
    /// TEXT.
    #[serde(with = "crate::model::text_serde")]
    pub notes: Text,
    /// TEXT: never shown to the client.
    #[serde(with = "crate::model::text_serde")]
    pub internal_notes: Text,
    /// TEXT.
    #[serde(with = "crate::model::text_serde")]
    pub outcome_note: Text,
    /// TEXT.
    #[serde(with = "crate::model::text_serde")]
    pub next_steps: Text,
    /// MAP.
    pub attendees: BTreeMap<String, Attendee>,
    /// MAP.
    pub expenses: BTreeMap<String, Expense>,
    /// MAP.
    pub photos: BTreeMap<String, PhotoRef>,
    /// SET.
    pub action_item_ids: IdSet,
    /// SET.
    pub storecheck_ids: IdSet,
}

impl ClientVisit {
    /// A new planned visit.
    pub fn new(
        id: DocumentId,
        account_id: EntityId,
        created_by: EntityId,
        created_at: Instant,
        visit_kind: VisitKind,
        title: impl Into<String>,
    ) -> Self {
        ClientVisit {
            id,
            created_by,
            created_at,
            account_id,
            check_in: None,
            status: Lifecycle::new(),
            visit_kind,
            title: title.into(),
            planned_start: None,
            planned_end: None,
            location: None,
            check_out: None,
            outcome: None,
            meeting_note_id: None,
            visibility: Visibility::Team,
            deleted: false,
            objective: Text::default(),
            notes: Text::default(),
            internal_notes: Text::default(),
            outcome_note: Text::default(),
            next_steps: Text::default(),
            attendees: BTreeMap::new(),
            expenses: BTreeMap::new(),
            photos: BTreeMap::new(),
            action_item_ids: IdSet::new(),
            storecheck_ids: IdSet::new(),
        }
    }

    /// The current status.
    pub fn status(&self) -> VisitStatus {
        self.status.status()
    }

    /// Checks in (ONCE) and moves planned -> checked_in.
    pub fn check_in(&mut self, check_in: CheckIn) -> Result<(), ModelError> {
        if self.check_in.is_some() {
            return Err(ModelError::invalid("check_in", "already checked in"));
        }
        check_in.validate("check_in")?;
        self.status.advance(VisitStatus::CheckedIn)?;
        self.check_in = Some(check_in);
        Ok(())
    }

    /// Moves to `to` (held, not_held, cancelled), never backwards.
    pub fn advance(&mut self, to: VisitStatus) -> Result<(), ModelError> {
        self.status.advance(to)
    }

    /// Records leaving (LWW).
    pub fn check_out(&mut self, at: Instant) -> Result<(), ModelError> {
        if self.check_in.is_none() {
            return Err(ModelError::invalid("check_out", "not checked in"));
        }
        self.check_out = Some(at);
        Ok(())
    }
}

impl Document for ClientVisit {
    const KIND: DocumentKind = DocumentKind::ClientVisit;
    const SCHEMA_VERSION: u64 = 1;

    fn id(&self) -> DocumentId {
        self.id
    }

    fn listing(&self) -> Listing {
        Listing {
            kind: Self::KIND,
            account_id: Some(self.account_id.to_string()),
            status: self.status().as_str().to_owned(),
            date_ms: self
                .planned_start
                .as_ref()
                .or(self.check_in.as_ref().map(|c| &c.at))
                .map_or(self.created_at.utc_ms, |i| i.utc_ms),
            title: self.title.clone(),
            deleted: self.deleted,
        }
    }

    fn validate(&self) -> Result<(), ModelError> {
        check_required("title", &self.title)?;
        if let Some(c) = &self.check_in {
            c.validate("check_in")?;
        }
        if let Some(l) = &self.location {
            l.validate("location")?;
        }
        if let (Some(s), Some(e)) = (&self.planned_start, &self.planned_end)
            && e.utc_ms < s.utc_ms
        {
            return Err(ModelError::invalid("planned_end", "before planned_start"));
        }
        for (f, t) in [
            ("objective", &self.objective),
            ("notes", &self.notes),
            ("internal_notes", &self.internal_notes),
            ("outcome_note", &self.outcome_note),
            ("next_steps", &self.next_steps),
        ] {
            check_text(f, t, MAX_TEXT)?;
        }
        check_map("attendees", self.attendees.iter())?;
        for (k, a) in &self.attendees {
            a.validate(&format!("attendees.{k}"))?;
        }
        check_map("expenses", self.expenses.iter())?;
        for (k, e) in &self.expenses {
            e.validate(&format!("expenses.{k}"))?;
        }
        validate_photos("photos", &self.photos)?;
        self.action_item_ids.validate("action_item_ids")?;
        self.storecheck_ids.validate("storecheck_ids")
    }

    fn validate_transition(&self, before: &Self) -> Result<(), ModelError> {
        once("id", &before.id, &self.id)?;
        once("created_by", &before.created_by, &self.created_by)?;
        once("created_at", &before.created_at, &self.created_at)?;
        once("account_id", &before.account_id, &self.account_id)?;
        once_opt("check_in", &before.check_in, &self.check_in)?;
        self.status.check_transition(&before.status, "status")
    }

    fn set_deleted(&mut self, deleted: bool) {
        self.deleted = deleted;
    }
}
