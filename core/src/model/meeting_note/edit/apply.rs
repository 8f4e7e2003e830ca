//! [`Editable`] for [`MeetingNote`]: routes each [`MeetingNoteEdit`] to the group that applies it.
//!
//! One exhaustive match names every variant once, so a variant added to the vocabulary does not
//! compile until it is given a group; the groups (`document`, `attendees`, `lists`, `report`)
//! hold the rules.

use super::MeetingNoteEdit;
use super::{attendees, document, lists, report};
use crate::model::ModelError;
use crate::model::edit::{Editable, Target};
use crate::model::meeting_note::MeetingNote;

impl Editable for MeetingNote {
    type Edit = MeetingNoteEdit;

    fn apply<T: Target<Self>>(edit: &MeetingNoteEdit, t: &mut T) -> Result<(), ModelError> {
        use MeetingNoteEdit as E;
        let edit = edit.clone();
        match edit {
            E::SetAccount { .. }
            | E::LinkClientVisit { .. }
            | E::SetKind { .. }
            | E::SetTitle { .. }
            | E::SetStartedAt { .. }
            | E::SetEndedAt { .. }
            | E::SetLocation { .. }
            | E::SetVisibility { .. }
            | E::EditBody { .. }
            | E::EditInternalNotes { .. }
            | E::SetDeleted { .. } => document::apply(edit, t),
            E::AddAttendee { .. }
            | E::SetAttendeeParty { .. }
            | E::SetAttendeePersonId { .. }
            | E::SetAttendeeName { .. }
            | E::SetAttendeeTitle { .. }
            | E::SetAttendance { .. }
            | E::SetAttendeeDeleted { .. } => attendees::apply(edit, t),
            E::AddAgendaItem { .. }
            | E::MoveAgendaItem { .. }
            | E::SetAgendaTitle { .. }
            | E::SetAgendaOwner { .. }
            | E::SetAgendaState { .. }
            | E::SetAgendaItemDeleted { .. } => lists::apply_agenda(edit, t),
            E::AddDecision { .. }
            | E::MoveDecision { .. }
            | E::EditDecisionText { .. }
            | E::AddDecisionAgreedBy { .. }
            | E::RemoveDecisionAgreedBy { .. }
            | E::SetDecisionDeleted { .. } => lists::apply_decision(edit, t),
            E::AddOpenQuestion { .. }
            | E::MoveOpenQuestion { .. }
            | E::EditOpenQuestionText { .. }
            | E::SetOpenQuestionDeleted { .. } => lists::apply_question(edit, t),
            E::AddActionItem { .. } | E::MoveActionItem { .. } | E::SetActionItemDeleted { .. } => {
                lists::apply_action_item(edit, t)
            }
            E::AddRecipient { .. }
            | E::SetRecipientName { .. }
            | E::SetRecipientEmail { .. }
            | E::SetRecipientParty { .. }
            | E::SetRecipientReason { .. }
            | E::SetRecipientDeleted { .. }
            | E::SubmitContactReport
            | E::SetContactReportStatus { .. }
            | E::MarkContactReportSent { .. } => report::apply(edit, t),
        }
    }
}
