//! [`Editable`] for [`ClientVisit`]: routes each [`ClientVisitEdit`] to the group that applies it.
//!
//! One exhaustive match names every variant once, so a variant added to the vocabulary does not
//! compile until it is given a group; the groups (`document`, `entries`) hold the rules.

use super::ClientVisitEdit;
use super::{document, entries};
use crate::model::ModelError;
use crate::model::client_visit::ClientVisit;
use crate::model::edit::{Editable, Target};

impl Editable for ClientVisit {
    type Edit = ClientVisitEdit;

    fn apply<T: Target<Self>>(edit: &ClientVisitEdit, t: &mut T) -> Result<(), ModelError> {
        use ClientVisitEdit as E;
        let edit = edit.clone();
        match edit {
            E::SetTitle { .. }
            | E::SetKind { .. }
            | E::SetPlannedTimes { .. }
            | E::SetLocation { .. }
            | E::SetOutcome { .. }
            | E::LinkMeetingNote { .. }
            | E::SetVisibility { .. }
            | E::EditObjective { .. }
            | E::EditNotes { .. }
            | E::EditInternalNotes { .. }
            | E::EditOutcomeNote { .. }
            | E::EditNextSteps { .. }
            | E::SetDeleted { .. } => document::apply_fields(edit, t),
            E::CheckIn { .. } | E::CheckOut { .. } | E::SetStatus { .. } => {
                document::apply_lifecycle(edit, t)
            }
            E::AddAttendee { .. }
            | E::SetAttendeeParty { .. }
            | E::SetAttendeePersonId { .. }
            | E::SetAttendeeName { .. }
            | E::SetAttendeeTitle { .. }
            | E::SetAttendance { .. }
            | E::SetAttendeeDeleted { .. } => entries::apply_attendee(edit, t),
            E::AddExpense { .. }
            | E::SetExpenseCategory { .. }
            | E::SetExpenseAmount { .. }
            | E::SetExpenseBillable { .. }
            | E::SetExpenseReceipt { .. }
            | E::SetExpenseDeleted { .. } => entries::apply_expense(edit, t),
            E::AddPhoto { .. } | E::SetPhotoCaption { .. } | E::SetPhotoDeleted { .. } => {
                entries::apply_photo(edit, t)
            }
            E::AddActionItem { .. }
            | E::RemoveActionItem { .. }
            | E::AddStorecheck { .. }
            | E::RemoveStorecheck { .. } => entries::apply_link(edit, t),
        }
    }
}
