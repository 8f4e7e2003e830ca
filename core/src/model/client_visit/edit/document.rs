//! The client visit's own fields: title, kind, planned times, location, outcome, links, the
//! texts and deletion, and its lifecycle (check-in, check-out, status).
//!
//! The lifecycle is kept apart because its rules read more than one field: `checked_in` is
//! reached by a check-in only, so the status never says "checked in" without the record of when
//! and where, and a check-out needs a check-in before it.

use super::ClientVisitEdit;
use super::parts::{
    CHECK_IN, CHECK_OUT, DELETED, INTERNAL_NOTES, KIND, LOCATION, MEETING_NOTE, NEXT_STEPS, NOTES,
    OBJECTIVE, OUTCOME, OUTCOME_NOTE, PLANNED_END, PLANNED_START, STATUS, TITLE, VISIBILITY, text,
};
use crate::model::ModelError;
use crate::model::client_visit::{ClientVisit, VisitStatus};
use crate::model::edit::parts::set;
use crate::model::edit::{Target, misrouted};
use crate::model::limits::check_required;

/// Applies an edit of the visit's own fields.
pub(super) fn apply_fields<T: Target<ClientVisit>>(
    edit: ClientVisitEdit,
    t: &mut T,
) -> Result<(), ModelError> {
    use ClientVisitEdit as E;
    match edit {
        E::SetTitle { title } => {
            check_required("title", &title)?;
            set(t, TITLE, title)
        }
        E::SetKind { kind } => set(t, KIND, kind),
        E::SetPlannedTimes { start, end } => {
            if let (Some(s), Some(e)) = (&start, &end)
                && e.utc_ms < s.utc_ms
            {
                return Err(ModelError::invalid("planned_end", "before planned_start"));
            }
            set(t, PLANNED_START, start)?;
            set(t, PLANNED_END, end)
        }
        E::SetLocation { location } => {
            if let Some(l) = &location {
                l.validate("location")?;
            }
            set(t, LOCATION, location)
        }
        E::SetOutcome { outcome } => set(t, OUTCOME, outcome),
        E::LinkMeetingNote { meeting_note_id } => set(t, MEETING_NOTE, meeting_note_id),
        E::SetVisibility { visibility } => set(t, VISIBILITY, visibility),
        E::EditObjective { edit } => text(t, OBJECTIVE, &edit),
        E::EditNotes { edit } => text(t, NOTES, &edit),
        E::EditInternalNotes { edit } => text(t, INTERNAL_NOTES, &edit),
        E::EditOutcomeNote { edit } => text(t, OUTCOME_NOTE, &edit),
        E::EditNextSteps { edit } => text(t, NEXT_STEPS, &edit),
        E::SetDeleted { deleted } => set(t, DELETED, deleted),
        other => Err(misrouted(&other)),
    }
}

/// Applies a check-in, a check-out or a status change.
pub(super) fn apply_lifecycle<T: Target<ClientVisit>>(
    edit: ClientVisitEdit,
    t: &mut T,
) -> Result<(), ModelError> {
    use ClientVisitEdit as E;
    match edit {
        E::CheckIn { check_in } => {
            // The same rule as `ClientVisit::check_in`, through the target.
            if t.read(CHECK_IN)?.is_some() {
                return Err(ModelError::invalid("check_in", "already checked in"));
            }
            check_in.validate("check_in")?;
            t.field(STATUS, |s| s.advance(VisitStatus::CheckedIn))?;
            set(t, CHECK_IN, Some(check_in))
        }
        E::CheckOut { at } => {
            if t.read(CHECK_IN)?.is_none() {
                return Err(ModelError::invalid("check_out", "not checked in"));
            }
            set(t, CHECK_OUT, Some(at))
        }
        E::SetStatus { to } => {
            if to == VisitStatus::CheckedIn && t.read(CHECK_IN)?.is_none() {
                return Err(ModelError::invalid(
                    "status",
                    "checked_in is reached by a check-in",
                ));
            }
            t.field(STATUS, |s| s.advance(to))
        }
        other => Err(misrouted(&other)),
    }
}
