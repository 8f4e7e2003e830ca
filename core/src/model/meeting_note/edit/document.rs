//! The meeting note's own fields: account, visit link, kind, title, times, location,
//! visibility, the two texts, and deletion.
//!
//! Each is a root field written whole (last writer wins) except the texts, which take splices so
//! two people typing at once both keep their words.

use super::MeetingNoteEdit;
use super::parts::{
    ACCOUNT, BODY, CLIENT_VISIT, DELETED, ENDED_AT, INTERNAL_NOTES, KIND, LOCATION, STARTED_AT,
    TITLE, VISIBILITY,
};
use crate::model::ModelError;
use crate::model::edit::parts::{self, set};
use crate::model::edit::{Target, misrouted};
use crate::model::limits::{MAX_BODY, MAX_TEXT, check_required, check_short};
use crate::model::meeting_note::MeetingNote;

/// Applies an edit of the note's own fields.
pub(super) fn apply<T: Target<MeetingNote>>(
    edit: MeetingNoteEdit,
    t: &mut T,
) -> Result<(), ModelError> {
    use MeetingNoteEdit as E;
    match edit {
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
        E::SetDeleted { deleted } => set(t, DELETED, deleted),
        other => Err(misrouted(&other)),
    }
}
