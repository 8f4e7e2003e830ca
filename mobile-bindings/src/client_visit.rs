//! Client visits: what an app fills to create one and the record it reads. The edits are core's
//! own [`ClientVisitEdit`](enlace_core::model::client_visit::ClientVisitEdit).

use std::collections::HashMap;

use enlace_core::model::client_visit::{Expense, Location, Outcome, VisitKind};
use enlace_core::model::people::{Attendee, Visibility};
use enlace_core::model::{CheckIn, IdSet, Instant, PhotoRef, VisitStatus};
use enlace_core::{DocumentId, EntityId};

/// What an app fills to create a client visit (planned).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct NewClientVisit {
    /// The client account (every document needs one to sync).
    pub account_id: EntityId,
    /// The executive.
    pub created_by: EntityId,
    /// Now, in the executive's zone.
    pub created_at: Instant,
    /// Meeting, lunch, presentation...
    pub visit_kind: VisitKind,
    /// A short title.
    pub title: String,
}

document_record! {
    /// A client visit as an app reads it.
    pub struct ClientVisitRecord from enlace_core::model::ClientVisit {
        /// Document id.
        id: DocumentId,
        /// ONCE.
        created_by: EntityId,
        /// ONCE.
        created_at: Instant,
        /// ONCE: the client account.
        account_id: EntityId,
        /// ONCE: arrival.
        check_in: Option<CheckIn>,
        /// Never moves backwards.
        status: VisitStatus = status,
        /// Meeting, lunch, presentation...
        visit_kind: VisitKind,
        /// A short title.
        title: String,
        /// Planned start.
        planned_start: Option<Instant>,
        /// Planned end.
        planned_end: Option<Instant>,
        /// Where.
        location: Option<Location>,
        /// Leaving.
        check_out: Option<Instant>,
        /// How it went.
        outcome: Option<Outcome>,
        /// The meeting note written about it.
        meeting_note_id: Option<DocumentId>,
        /// Who may see it.
        visibility: Visibility,
        /// Soft delete.
        deleted: bool,
        /// TEXT (crosses as a string; edit it with a TextEdit).
        objective: String = text,
        /// TEXT.
        notes: String = text,
        /// TEXT, never shown to the client.
        internal_notes: String = text,
        /// TEXT.
        outcome_note: String = text,
        /// TEXT.
        next_steps: String = text,
        /// Attendees by key.
        attendees: HashMap<String, Attendee> = map,
        /// Expenses by key.
        expenses: HashMap<String, Expense> = map,
        /// Photos by photo id.
        photos: HashMap<String, PhotoRef> = map,
        /// Action items that came out of it.
        action_item_ids: IdSet,
        /// Storechecks done during it.
        storecheck_ids: IdSet,
    }
}
