//! The attendee edits of a meeting note: who was there, on which side, and whether they came.
//!
//! The rules are the ones a client visit's attendees follow too (`model::edit::parts`); this file
//! only maps the note's variants onto them.

use super::MeetingNoteEdit;
use super::parts::ATTENDEES;
use crate::model::ModelError;
use crate::model::edit::parts::{self, NewAttendee};
use crate::model::edit::{Target, misrouted};
use crate::model::meeting_note::MeetingNote;

/// Applies an edit of an attendee.
pub(super) fn apply<T: Target<MeetingNote>>(
    edit: MeetingNoteEdit,
    t: &mut T,
) -> Result<(), ModelError> {
    use MeetingNoteEdit as E;
    match edit {
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
        other => Err(misrouted(&other)),
    }
}
