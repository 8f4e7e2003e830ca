//! `review-storecheck` and `reopen-storecheck`: a supervisor's word on a submitted storecheck.
//! Only the server moves a storecheck to `reviewed` or back to `in_progress`, so a device's
//! typed API cannot, and the reviewer recorded is the signed-in caller, not a claim.

use autosurgeon::Text;
use enlace_core::ids::EntityId;
use enlace_core::model::edit::TextEdit;
use enlace_core::model::limits::MAX_TEXT;
use enlace_core::model::status::Authority;
use enlace_core::model::storecheck::StorecheckStatus;
use enlace_core::model::{ModelError, Storecheck};

use super::CommandError;

/// Marks a submitted storecheck reviewed by `reviewer`, with `comment` as the review comment.
pub(super) fn review(
    check: &mut Storecheck,
    reviewer: EntityId,
    comment: Option<&str>,
) -> Result<(), CommandError> {
    if check.status() != StorecheckStatus::Submitted {
        return Err(CommandError::State(format!(
            "only a submitted storecheck can be reviewed; this one is {}",
            check.status().as_str()
        )));
    }
    check
        .status
        .advance_as(Authority::Server, StorecheckStatus::Reviewed)?;
    check.reviewed_by = Some(reviewer);
    if let Some(comment) = comment {
        replace(&mut check.review_comment, comment)?;
    }
    Ok(())
}

/// Sends a submitted or reviewed storecheck back to `in_progress`, with `reason` as the review
/// comment (what the executive must fix).
pub(super) fn reopen(check: &mut Storecheck, reason: &str) -> Result<(), CommandError> {
    if !matches!(
        check.status(),
        StorecheckStatus::Submitted | StorecheckStatus::Reviewed
    ) {
        return Err(CommandError::State(format!(
            "only a submitted or reviewed storecheck can be reopened; this one is {}",
            check.status().as_str()
        )));
    }
    if reason.trim().is_empty() {
        return Err(CommandError::Input("reopening needs a reason".into()));
    }
    check.status.reopen(StorecheckStatus::InProgress)?;
    replace(&mut check.review_comment, reason)
}

/// Replaces a collaborative text's whole content.
fn replace(text: &mut Text, with: &str) -> Result<(), CommandError> {
    let current =
        u32::try_from(text.as_str().encode_utf16().count()).map_err(|_| ModelError::TooLarge {
            field: "review_comment".into(),
            len: text.as_str().len(),
            max: MAX_TEXT,
        })?;
    TextEdit {
        start: 0,
        delete: current,
        insert: with.to_owned(),
    }
    .apply("review_comment", text, MAX_TEXT)?;
    Ok(())
}
