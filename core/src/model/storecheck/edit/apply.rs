//! [`Editable`] for [`Storecheck`]: routes each [`StorecheckEdit`] to the group that applies it.
//!
//! One exhaustive match names every variant once, so a variant added to the vocabulary does not
//! compile until it is given a group; the groups (`lines`, `entries`, `document`) hold the rules.

use super::StorecheckEdit;
use super::{document, entries, lines};
use crate::model::ModelError;
use crate::model::edit::{Editable, Target};
use crate::model::storecheck::Storecheck;

impl Editable for Storecheck {
    type Edit = StorecheckEdit;

    fn apply<T: Target<Self>>(edit: &StorecheckEdit, t: &mut T) -> Result<(), ModelError> {
        use StorecheckEdit as E;
        let edit = edit.clone();
        match edit {
            E::AddLine { .. }
            | E::SetPresence { .. }
            | E::SetFacings { .. }
            | E::SetShelfLevel { .. }
            | E::SetLocation { .. }
            | E::SetPlanogram { .. }
            | E::SetShelfPrice { .. }
            | E::SetPriceTag { .. }
            | E::SetPromo { .. }
            | E::SetExpiryNearest { .. }
            | E::SetLineDeleted { .. }
            | E::EditLineNote { .. } => lines::apply_own(edit, t),
            E::AddCompetitorLine { .. }
            | E::SetCompetitorFacings { .. }
            | E::SetCompetitorShelfPrice { .. }
            | E::SetCompetitorPromo { .. }
            | E::SetCompetitorLineDeleted { .. } => lines::apply_competitor(edit, t),
            E::AddCategoryBlock { .. }
            | E::SetCategoryFacings { .. }
            | E::SetCategoryBlockDeleted { .. } => entries::apply_block(edit, t),
            E::AddPopItem { .. }
            | E::SetPopPresent { .. }
            | E::SetPopCondition { .. }
            | E::SetPopItemDeleted { .. } => entries::apply_pop_item(edit, t),
            E::RaiseIssue { .. }
            | E::SetIssueSeverity { .. }
            | E::LinkIssueActionItem { .. }
            | E::EditIssueDescription { .. }
            | E::SetIssueDeleted { .. } => entries::apply_issue(edit, t),
            E::AddPhoto { .. } | E::SetPhotoCaption { .. } | E::SetPhotoDeleted { .. } => {
                entries::apply_photo(edit, t)
            }
            E::CheckIn { .. }
            | E::CheckOut { .. }
            | E::Submit
            | E::SetStatus { .. }
            | E::LinkClientVisit { .. }
            | E::EditGeneralNotes { .. }
            | E::SetDeleted { .. } => document::apply(edit, t),
        }
    }
}
