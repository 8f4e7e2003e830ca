//! The line edits of a storecheck: own-product lines and competitors' lines.
//!
//! A line's product (and, for an own line, its expectation) is ONCE: set when the line is added,
//! never edited. Every other field is its own key, changed through `parts::line` or
//! `parts::competitor`, which validate the whole line after the change.

use super::StorecheckEdit;
use super::parts::{COMPETITORS, LINES, competitor, line};
use crate::model::ModelError;
use crate::model::edit::{Target, insert_new, misrouted};
use crate::model::limits::MAX_TEXT;
use crate::model::rules::check_quantity;
use crate::model::storecheck::{CompetitorLine, Line, Storecheck};

/// Applies an edit of an own-product line.
pub(super) fn apply_own<T: Target<Storecheck>>(
    edit: StorecheckEdit,
    t: &mut T,
) -> Result<(), ModelError> {
    use StorecheckEdit as E;
    match edit {
        E::AddLine {
            key,
            product,
            expected,
        } => {
            let new = Line::new(product, expected);
            new.validate(&LINES.name(&key))?;
            insert_new(t, LINES, &key, new)
        }
        E::SetPresence { line: k, presence } => line(t, &k, |l| l.presence = presence),
        E::SetFacings { line: k, facings } => {
            if let Some(f) = facings {
                check_quantity(&format!("{}.facings", LINES.name(&k)), f)?;
            }
            line(t, &k, |l| l.facings = facings)
        }
        E::SetShelfLevel { line: k, level } => line(t, &k, |l| l.shelf_level = level),
        E::SetLocation { line: k, location } => line(t, &k, |l| l.location = location),
        E::SetPlanogram { line: k, planogram } => line(t, &k, |l| l.planogram = planogram),
        E::SetShelfPrice { line: k, price } => line(t, &k, |l| l.shelf_price = price),
        E::SetPriceTag { line: k, price_tag } => line(t, &k, |l| l.price_tag = price_tag),
        E::SetPromo { line: k, promo } => line(t, &k, |l| l.promo = promo),
        E::SetExpiryNearest { line: k, date } => line(t, &k, |l| l.expiry_nearest = date),
        E::SetLineDeleted { line: k, deleted } => line(t, &k, |l| l.deleted = deleted),
        E::EditLineNote { line: k, edit } => {
            let field = format!("{}.note", LINES.name(&k));
            t.entry(LINES, &k, |l| edit.apply(&field, &mut l.note, MAX_TEXT))
        }
        other => Err(misrouted(&other)),
    }
}

/// Applies an edit of a competitor's line.
pub(super) fn apply_competitor<T: Target<Storecheck>>(
    edit: StorecheckEdit,
    t: &mut T,
) -> Result<(), ModelError> {
    use StorecheckEdit as E;
    match edit {
        E::AddCompetitorLine { key, product } => {
            let new = CompetitorLine {
                product,
                facings: None,
                shelf_price: None,
                promo: None,
                deleted: false,
            };
            new.validate(&COMPETITORS.name(&key))?;
            insert_new(t, COMPETITORS, &key, new)
        }
        E::SetCompetitorFacings { line: k, facings } => competitor(t, &k, |l| l.facings = facings),
        E::SetCompetitorShelfPrice { line: k, price } => {
            competitor(t, &k, |l| l.shelf_price = price)
        }
        E::SetCompetitorPromo { line: k, promo } => competitor(t, &k, |l| l.promo = promo),
        E::SetCompetitorLineDeleted { line: k, deleted } => {
            competitor(t, &k, |l| l.deleted = deleted)
        }
        other => Err(misrouted(&other)),
    }
}
