//! The whole-storecheck edits: check-in and out, the status, the client-visit link, the general
//! notes and deletion.
//!
//! These touch root fields only. The status moves through `parts::advance`, so a phone can never
//! mark a storecheck reviewed, and check-in (ONCE) is what moves a draft in progress.

use super::StorecheckEdit;
use super::parts::{CHECK_IN, CHECK_OUT, CLIENT_VISIT, DELETED, GENERAL_NOTES, advance};
use crate::model::ModelError;
use crate::model::edit::{Target, misrouted};
use crate::model::limits::MAX_TEXT;
use crate::model::storecheck::{Storecheck, StorecheckStatus};

/// Applies an edit of the storecheck's own fields.
pub(super) fn apply<T: Target<Storecheck>>(
    edit: StorecheckEdit,
    t: &mut T,
) -> Result<(), ModelError> {
    use StorecheckEdit as E;
    match edit {
        E::CheckIn { check_in } => {
            check_in.validate("check_in")?;
            if t.read(CHECK_IN)?.is_some() {
                return Err(ModelError::invalid("check_in", "already checked in"));
            }
            advance(t, StorecheckStatus::InProgress)?;
            t.field(CHECK_IN, |c| {
                *c = Some(check_in);
                Ok(())
            })
        }
        E::CheckOut { at } => t.field(CHECK_OUT, |c| {
            *c = Some(at);
            Ok(())
        }),
        E::Submit => advance(t, StorecheckStatus::Submitted),
        E::SetStatus { to } => advance(t, to),
        E::LinkClientVisit { client_visit_id } => t.field(CLIENT_VISIT, |v| {
            *v = client_visit_id;
            Ok(())
        }),
        E::EditGeneralNotes { edit } => {
            t.field(GENERAL_NOTES, |n| edit.apply("general_notes", n, MAX_TEXT))
        }
        E::SetDeleted { deleted } => t.field(DELETED, |d| {
            *d = deleted;
            Ok(())
        }),
        other => Err(misrouted(&other)),
    }
}
