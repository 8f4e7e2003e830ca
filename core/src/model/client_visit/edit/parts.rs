//! The parts of a client visit that [`ClientVisitEdit`](super::ClientVisitEdit) touches, and the
//! checks its entries run after a change.
//!
//! The groups of edits (`document`, `entries`) name a part by its descriptor here; the helpers
//! validate an entry after every change, so the document path and the value path refuse the same
//! results.

use autosurgeon::Text;

use crate::ids::DocumentId;
use crate::model::ModelError;
use crate::model::client_visit::{ClientVisit, Expense, Location, Outcome, VisitKind, VisitStatus};
use crate::model::common::IdSet;
use crate::model::edit::parts;
use crate::model::edit::{Collection, Field, Target, TextEdit};
use crate::model::limits::MAX_TEXT;
use crate::model::people::{Attendee, Visibility};
use crate::model::photo::PhotoRef;
use crate::model::rules::CheckIn;
use crate::model::status::Lifecycle;
use crate::model::time::Instant;

type C<E> = Collection<ClientVisit, E>;
type F<T> = Field<ClientVisit, T>;

pub(super) const ATTENDEES: C<Attendee> = Collection {
    what: "attendee",
    path: &["attendees"],
    get: |v| &mut v.attendees,
};
pub(super) const EXPENSES: C<Expense> = Collection {
    what: "expense",
    path: &["expenses"],
    get: |v| &mut v.expenses,
};
pub(super) const PHOTOS: C<PhotoRef> = Collection {
    what: "photo",
    path: &["photos"],
    get: |v| &mut v.photos,
};
pub(super) const STATUS: F<Lifecycle<VisitStatus>> = Field {
    path: &["status"],
    get: |v| &mut v.status,
};
pub(super) const CHECK_IN: F<Option<CheckIn>> = Field {
    path: &["check_in"],
    get: |v| &mut v.check_in,
};
pub(super) const CHECK_OUT: F<Option<Instant>> = Field {
    path: &["check_out"],
    get: |v| &mut v.check_out,
};
pub(super) const TITLE: F<String> = Field {
    path: &["title"],
    get: |v| &mut v.title,
};
pub(super) const KIND: F<VisitKind> = Field {
    path: &["visit_kind"],
    get: |v| &mut v.visit_kind,
};
pub(super) const PLANNED_START: F<Option<Instant>> = Field {
    path: &["planned_start"],
    get: |v| &mut v.planned_start,
};
pub(super) const PLANNED_END: F<Option<Instant>> = Field {
    path: &["planned_end"],
    get: |v| &mut v.planned_end,
};
pub(super) const LOCATION: F<Option<Location>> = Field {
    path: &["location"],
    get: |v| &mut v.location,
};
pub(super) const OUTCOME: F<Option<Outcome>> = Field {
    path: &["outcome"],
    get: |v| &mut v.outcome,
};
pub(super) const MEETING_NOTE: F<Option<DocumentId>> = Field {
    path: &["meeting_note_id"],
    get: |v| &mut v.meeting_note_id,
};
pub(super) const VISIBILITY: F<Visibility> = Field {
    path: &["visibility"],
    get: |v| &mut v.visibility,
};
pub(super) const DELETED: F<bool> = Field {
    path: &["deleted"],
    get: |v| &mut v.deleted,
};
pub(super) const OBJECTIVE: F<Text> = Field {
    path: &["objective"],
    get: |v| &mut v.objective,
};
pub(super) const NOTES: F<Text> = Field {
    path: &["notes"],
    get: |v| &mut v.notes,
};
pub(super) const INTERNAL_NOTES: F<Text> = Field {
    path: &["internal_notes"],
    get: |v| &mut v.internal_notes,
};
pub(super) const OUTCOME_NOTE: F<Text> = Field {
    path: &["outcome_note"],
    get: |v| &mut v.outcome_note,
};
pub(super) const NEXT_STEPS: F<Text> = Field {
    path: &["next_steps"],
    get: |v| &mut v.next_steps,
};
pub(super) const ACTION_ITEMS: F<IdSet> = Field {
    path: &["action_item_ids"],
    get: |v| &mut v.action_item_ids,
};
pub(super) const STORECHECKS: F<IdSet> = Field {
    path: &["storecheck_ids"],
    get: |v| &mut v.storecheck_ids,
};

/// Applies a splice to one of the visit's texts.
pub(super) fn text<T: Target<ClientVisit>>(
    t: &mut T,
    field: F<Text>,
    edit: &TextEdit,
) -> Result<(), ModelError> {
    parts::text(t, field, edit, MAX_TEXT)
}

/// Runs `f` on attendee `key` and validates the attendee after it.
pub(super) fn attendee<T: Target<ClientVisit>>(
    t: &mut T,
    key: &str,
    f: impl FnOnce(&mut Attendee),
) -> Result<(), ModelError> {
    parts::attendee(t, ATTENDEES, key, f)
}

/// Runs `f` on expense `key` and validates the expense after it.
pub(super) fn expense<T: Target<ClientVisit>>(
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
pub(super) fn check_receipt<T: Target<ClientVisit>>(
    t: &mut T,
    photo: Option<&str>,
) -> Result<(), ModelError> {
    match photo {
        Some(k) if t.get(PHOTOS, k)?.is_none() => Err(PHOTOS.not_found(k)),
        _ => Ok(()),
    }
}
