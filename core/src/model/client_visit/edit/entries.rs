//! The entry edits of a client visit: attendees, expenses, photos, and the action items and
//! storechecks it links.
//!
//! Attendees and photos follow the rules shared with other kinds (`model::edit::parts`); an
//! expense's receipt must be a photo of this visit; links are add-wins id sets.

use super::ClientVisitEdit;
use super::parts::{
    ACTION_ITEMS, ATTENDEES, EXPENSES, PHOTOS, STORECHECKS, attendee, check_receipt, expense,
};
use crate::model::ModelError;
use crate::model::client_visit::{ClientVisit, Expense};
use crate::model::edit::parts::{self, NewAttendee};
use crate::model::edit::{Target, insert_new, misrouted};

/// Applies an edit of an attendee.
pub(super) fn apply_attendee<T: Target<ClientVisit>>(
    edit: ClientVisitEdit,
    t: &mut T,
) -> Result<(), ModelError> {
    use ClientVisitEdit as E;
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
        E::SetAttendeeParty { attendee: k, party } => attendee(t, &k, |a| a.party = party),
        E::SetAttendeePersonId {
            attendee: k,
            person_id,
        } => attendee(t, &k, |a| a.person_id = person_id),
        E::SetAttendeeName { attendee: k, name } => attendee(t, &k, |a| a.name = name),
        E::SetAttendeeTitle { attendee: k, title } => attendee(t, &k, |a| a.title = title),
        E::SetAttendance {
            attendee: k,
            attendance,
        } => attendee(t, &k, |a| a.attendance = attendance),
        E::SetAttendeeDeleted {
            attendee: k,
            deleted,
        } => attendee(t, &k, |a| a.deleted = deleted),
        other => Err(misrouted(&other)),
    }
}

/// Applies an edit of an expense.
pub(super) fn apply_expense<T: Target<ClientVisit>>(
    edit: ClientVisitEdit,
    t: &mut T,
) -> Result<(), ModelError> {
    use ClientVisitEdit as E;
    match edit {
        E::AddExpense {
            key,
            category,
            amount,
            billable,
            receipt_photo,
        } => {
            let new = Expense {
                category,
                amount,
                billable,
                receipt_photo,
                deleted: false,
            };
            new.validate(&EXPENSES.name(&key))?;
            check_receipt(t, new.receipt_photo.as_deref())?;
            insert_new(t, EXPENSES, &key, new)
        }
        E::SetExpenseCategory {
            expense: k,
            category,
        } => expense(t, &k, |e| e.category = category),
        E::SetExpenseAmount { expense: k, amount } => expense(t, &k, |e| e.amount = amount),
        E::SetExpenseBillable {
            expense: k,
            billable,
        } => expense(t, &k, |e| e.billable = billable),
        E::SetExpenseReceipt { expense: k, photo } => {
            check_receipt(t, photo.as_deref())?;
            expense(t, &k, |e| e.receipt_photo = photo)
        }
        E::SetExpenseDeleted {
            expense: k,
            deleted,
        } => expense(t, &k, |e| e.deleted = deleted),
        other => Err(misrouted(&other)),
    }
}

/// Applies an edit of a photo.
pub(super) fn apply_photo<T: Target<ClientVisit>>(
    edit: ClientVisitEdit,
    t: &mut T,
) -> Result<(), ModelError> {
    use ClientVisitEdit as E;
    match edit {
        E::AddPhoto { photo } => parts::add_photo(t, PHOTOS, photo),
        E::SetPhotoCaption { photo: k, caption } => {
            parts::photo(t, PHOTOS, &k, |p| p.caption = caption)
        }
        E::SetPhotoDeleted { photo: k, deleted } => {
            parts::photo(t, PHOTOS, &k, |p| p.deleted = deleted)
        }
        other => Err(misrouted(&other)),
    }
}

/// Links or unlinks an action item or a storecheck.
pub(super) fn apply_link<T: Target<ClientVisit>>(
    edit: ClientVisitEdit,
    t: &mut T,
) -> Result<(), ModelError> {
    use ClientVisitEdit as E;
    match edit {
        E::AddActionItem { action_item_id } => {
            parts::set_add(t, ACTION_ITEMS, action_item_id.to_string())
        }
        E::RemoveActionItem { action_item_id } => {
            parts::set_remove(t, ACTION_ITEMS, &action_item_id.to_string())
        }
        E::AddStorecheck { storecheck_id } => {
            parts::set_add(t, STORECHECKS, storecheck_id.to_string())
        }
        E::RemoveStorecheck { storecheck_id } => {
            parts::set_remove(t, STORECHECKS, &storecheck_id.to_string())
        }
        other => Err(misrouted(&other)),
    }
}
