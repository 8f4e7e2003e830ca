//! The entry edits of a storecheck besides its lines: category blocks (the share-of-shelf
//! denominator), point-of-purchase items, issues and photos.
//!
//! Each kind of entry is added whole and then edited one field at a time through its helper in
//! `parts`, which validates the entry after the change.

use super::StorecheckEdit;
use super::parts::{BLOCKS, ISSUES, LINES, PHOTOS, POP_ITEMS, block, issue, line, photo, pop};
use crate::model::ModelError;
use crate::model::edit::{Target, insert_new, misrouted};
use crate::model::limits::MAX_TEXT;
use crate::model::storecheck::extras::{validate_block, validate_pop};
use crate::model::storecheck::{CategoryBlock, Issue, PopItem, Storecheck};

/// Applies an edit of a category block.
pub(super) fn apply_block<T: Target<Storecheck>>(
    edit: StorecheckEdit,
    t: &mut T,
) -> Result<(), ModelError> {
    use StorecheckEdit as E;
    match edit {
        E::AddCategoryBlock {
            key,
            name,
            total_facings,
        } => {
            let new = CategoryBlock {
                name,
                total_facings,
                deleted: false,
            };
            validate_block(&BLOCKS.name(&key), &new)?;
            insert_new(t, BLOCKS, &key, new)
        }
        E::SetCategoryFacings {
            block: k,
            total_facings,
        } => block(t, &k, |b| b.total_facings = total_facings),
        E::SetCategoryBlockDeleted { block: k, deleted } => block(t, &k, |b| b.deleted = deleted),
        other => Err(misrouted(&other)),
    }
}

/// Applies an edit of a point-of-purchase item.
pub(super) fn apply_pop_item<T: Target<Storecheck>>(
    edit: StorecheckEdit,
    t: &mut T,
) -> Result<(), ModelError> {
    use StorecheckEdit as E;
    match edit {
        E::AddPopItem {
            key,
            name,
            expected,
        } => {
            let new = PopItem {
                name,
                expected,
                present: None,
                condition: None,
                deleted: false,
            };
            validate_pop(&POP_ITEMS.name(&key), &new)?;
            insert_new(t, POP_ITEMS, &key, new)
        }
        E::SetPopPresent { item, present } => pop(t, &item, |p| p.present = present),
        E::SetPopCondition { item, condition } => pop(t, &item, |p| p.condition = condition),
        E::SetPopItemDeleted { item, deleted } => pop(t, &item, |p| p.deleted = deleted),
        other => Err(misrouted(&other)),
    }
}

/// Applies an edit of an issue. An issue about an own line needs that line to exist.
pub(super) fn apply_issue<T: Target<Storecheck>>(
    edit: StorecheckEdit,
    t: &mut T,
) -> Result<(), ModelError> {
    use StorecheckEdit as E;
    match edit {
        E::RaiseIssue {
            key,
            issue_type,
            severity,
            line: about,
            description,
        } => {
            if let Some(k) = &about
                && t.get(LINES, k)?.is_none()
            {
                return Err(LINES.not_found(k));
            }
            let new = Issue {
                issue_type,
                severity,
                line_key: about,
                description: autosurgeon::Text::with_value(description),
                action_item_id: None,
                deleted: false,
            };
            new.validate(&ISSUES.name(&key))?;
            insert_new(t, ISSUES, &key, new)
        }
        E::SetIssueSeverity { issue: k, severity } => issue(t, &k, |i| {
            i.severity = severity;
            Ok(())
        }),
        E::LinkIssueActionItem {
            issue: k,
            action_item_id,
        } => issue(t, &k, |i| {
            i.action_item_id = action_item_id;
            Ok(())
        }),
        E::EditIssueDescription { issue: k, edit } => {
            let field = format!("{}.description", ISSUES.name(&k));
            issue(t, &k, |i| edit.apply(&field, &mut i.description, MAX_TEXT))
        }
        E::SetIssueDeleted { issue: k, deleted } => issue(t, &k, |i| {
            i.deleted = deleted;
            Ok(())
        }),
        other => Err(misrouted(&other)),
    }
}

/// Applies an edit of a photo. A photo added with a line is attached to that own line too.
pub(super) fn apply_photo<T: Target<Storecheck>>(
    edit: StorecheckEdit,
    t: &mut T,
) -> Result<(), ModelError> {
    use StorecheckEdit as E;
    match edit {
        E::AddPhoto { photo: p, line: on } => {
            let key = p.id.to_string();
            p.validate(&PHOTOS.name(&key))?;
            if let Some(k) = &on {
                line(t, k, |l| {
                    l.photo_ids.insert(key.clone());
                })?;
            }
            insert_new(t, PHOTOS, &key, p)
        }
        E::SetPhotoCaption { photo: k, caption } => photo(t, &k, |p| p.caption = caption),
        E::SetPhotoDeleted { photo: k, deleted } => photo(t, &k, |p| p.deleted = deleted),
        other => Err(misrouted(&other)),
    }
}
