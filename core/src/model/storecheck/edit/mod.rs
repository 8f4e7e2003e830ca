//! [`StorecheckEdit`]: everything a phone does to a storecheck, as targeted edits.
//!
//! This file is the vocabulary. The rest of the module applies it: `parts` names the pieces of a
//! storecheck an edit touches (and the checks each runs after a change), `apply` routes every
//! variant to its group, and the groups apply their variants: `lines` (own and competitor
//! lines), `entries` (category blocks, POP items, issues, photos) and `document` (check-in and
//! out, status, links, notes, deletion).

mod apply;
mod document;
mod entries;
mod lines;
mod parts;

use super::{
    Expected, IssueType, Planogram, PopCondition, Presence, PriceTag, ProductSnapshot, Promo,
    Severity, ShelfLevel, ShelfLocation, StorecheckStatus,
};
use crate::ids::DocumentId;
use crate::model::edit::TextEdit;
use crate::model::money::Money;
use crate::model::photo::PhotoRef;
use crate::model::rules::CheckIn;
use crate::model::time::Instant;

pub use parts::{BLOCKS, COMPETITORS, ISSUES, LINES, PHOTOS, POP_ITEMS};

/// One edit of a storecheck. [`Store::edit`](crate::store::Store::edit) applies a list of them
/// as one change; each is validated before anything is written.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum StorecheckEdit {
    /// Adds an own-product line under `key` (the product id, or `product@location`). Its
    /// product and expectation are ONCE.
    AddLine {
        /// The line's key.
        key: String,
        /// The catalog product.
        product: ProductSnapshot,
        /// What the account expects of it here.
        expected: Expected,
    },
    /// Whether the product was on the shelf.
    SetPresence {
        /// Line key.
        line: String,
        /// What was seen.
        presence: Presence,
    },
    /// Facings counted (a recount replaces, never adds); `None` clears.
    SetFacings {
        /// Line key.
        line: String,
        /// Facings, 0 or more.
        facings: Option<i64>,
    },
    /// Shelf height.
    SetShelfLevel {
        /// Line key.
        line: String,
        /// The level.
        level: Option<ShelfLevel>,
    },
    /// Where in the store.
    SetLocation {
        /// Line key.
        line: String,
        /// The place.
        location: Option<ShelfLocation>,
    },
    /// Planogram compliance.
    SetPlanogram {
        /// Line key.
        line: String,
        /// Compliance seen.
        planogram: Option<Planogram>,
    },
    /// The price on the shelf.
    SetShelfPrice {
        /// Line key.
        line: String,
        /// The price, not negative.
        price: Option<Money>,
    },
    /// The state of the price tag.
    SetPriceTag {
        /// Line key.
        line: String,
        /// The tag's state.
        price_tag: Option<PriceTag>,
    },
    /// A promotion seen.
    SetPromo {
        /// Line key.
        line: String,
        /// The promotion.
        promo: Option<Promo>,
    },
    /// The nearest expiry date seen, `YYYY-MM-DD`.
    SetExpiryNearest {
        /// Line key.
        line: String,
        /// The date.
        date: Option<String>,
    },
    /// Soft-deletes or restores a line.
    SetLineDeleted {
        /// Line key.
        line: String,
        /// Deleted or not.
        deleted: bool,
    },
    /// Edits a line's note.
    EditLineNote {
        /// Line key.
        line: String,
        /// The splice.
        edit: TextEdit,
    },
    /// Adds a competitor's line (its product is ONCE).
    AddCompetitorLine {
        /// The line's key.
        key: String,
        /// The competitor's product.
        product: ProductSnapshot,
    },
    /// Facings of a competitor's product.
    SetCompetitorFacings {
        /// Competitor line key.
        line: String,
        /// Facings, 0 or more.
        facings: Option<i64>,
    },
    /// Shelf price of a competitor's product.
    SetCompetitorShelfPrice {
        /// Competitor line key.
        line: String,
        /// The price, not negative.
        price: Option<Money>,
    },
    /// A competitor's promotion.
    SetCompetitorPromo {
        /// Competitor line key.
        line: String,
        /// The promotion.
        promo: Option<Promo>,
    },
    /// Soft-deletes or restores a competitor line.
    SetCompetitorLineDeleted {
        /// Competitor line key.
        line: String,
        /// Deleted or not.
        deleted: bool,
    },
    /// Adds a category block: the category's total facings, the share-of-shelf denominator.
    AddCategoryBlock {
        /// The block's key (the category id).
        key: String,
        /// Category name.
        name: String,
        /// Total facings of the category on the shelf.
        total_facings: Option<i64>,
    },
    /// A category block's total facings.
    SetCategoryFacings {
        /// Block key.
        block: String,
        /// Total facings, 0 or more.
        total_facings: Option<i64>,
    },
    /// Soft-deletes or restores a category block.
    SetCategoryBlockDeleted {
        /// Block key.
        block: String,
        /// Deleted or not.
        deleted: bool,
    },
    /// Adds a point-of-purchase item to check.
    AddPopItem {
        /// The item's key.
        key: String,
        /// What it is ("wobbler", "floor display").
        name: String,
        /// Whether the account expects it in this store.
        expected: bool,
    },
    /// Whether a POP item was there.
    SetPopPresent {
        /// Item key.
        item: String,
        /// Seen or not; `None` clears.
        present: Option<bool>,
    },
    /// The condition of a POP item.
    SetPopCondition {
        /// Item key.
        item: String,
        /// Its condition.
        condition: Option<PopCondition>,
    },
    /// Soft-deletes or restores a POP item.
    SetPopItemDeleted {
        /// Item key.
        item: String,
        /// Deleted or not.
        deleted: bool,
    },
    /// Raises an issue found in the store, optionally about one own line.
    RaiseIssue {
        /// The issue's key.
        key: String,
        /// What kind of problem.
        issue_type: IssueType,
        /// How bad.
        severity: Severity,
        /// The own line it is about (must exist).
        line: Option<String>,
        /// What was seen.
        description: String,
    },
    /// An issue's severity.
    SetIssueSeverity {
        /// Issue key.
        issue: String,
        /// How bad.
        severity: Severity,
    },
    /// Links the action item that follows an issue up.
    LinkIssueActionItem {
        /// Issue key.
        issue: String,
        /// The action item.
        action_item_id: Option<DocumentId>,
    },
    /// Edits an issue's description.
    EditIssueDescription {
        /// Issue key.
        issue: String,
        /// The splice.
        edit: TextEdit,
    },
    /// Soft-deletes or restores an issue.
    SetIssueDeleted {
        /// Issue key.
        issue: String,
        /// Deleted or not.
        deleted: bool,
    },
    /// Adds a photo reference to the storecheck (keyed by the photo's id) and, with `line`,
    /// attaches it to that own line.
    AddPhoto {
        /// The photo.
        photo: PhotoRef,
        /// The own line it shows.
        line: Option<String>,
    },
    /// A photo's caption.
    SetPhotoCaption {
        /// Photo id.
        photo: String,
        /// The caption.
        caption: String,
    },
    /// Soft-deletes or restores a photo.
    SetPhotoDeleted {
        /// Photo id.
        photo: String,
        /// Deleted or not.
        deleted: bool,
    },
    /// Arrival at the store (ONCE): draft -> in_progress.
    CheckIn {
        /// When, where, how.
        check_in: CheckIn,
    },
    /// Leaving the store.
    CheckOut {
        /// When.
        at: Instant,
    },
    /// Sends the storecheck for review: in_progress -> submitted.
    Submit,
    /// Moves the status to `to`. A phone may only move forward one step; `reviewed` is the
    /// server's (a review command), refused here with [`ModelError::ServerOnly`](crate::model::ModelError::ServerOnly).
    SetStatus {
        /// The status to reach.
        to: StorecheckStatus,
    },
    /// Links (or unlinks) the client visit the storecheck belongs to.
    LinkClientVisit {
        /// The visit.
        client_visit_id: Option<DocumentId>,
    },
    /// Edits the general notes.
    EditGeneralNotes {
        /// The splice.
        edit: TextEdit,
    },
    /// Soft-deletes or restores the whole storecheck.
    SetDeleted {
        /// Deleted or not.
        deleted: bool,
    },
}

impl StorecheckEdit {
    /// The edits that raise issue `key` and link it to action item `action_item_id`, for
    /// [`Store::edit_creating`](crate::store::Store::edit_creating) with that action item: the
    /// issue and its follow-up are stored together or not at all.
    pub fn raise_issue_with_action_item(
        key: &str,
        issue_type: IssueType,
        severity: Severity,
        line: Option<String>,
        description: String,
        action_item_id: DocumentId,
    ) -> [StorecheckEdit; 2] {
        [
            StorecheckEdit::RaiseIssue {
                key: key.to_owned(),
                issue_type,
                severity,
                line,
                description,
            },
            StorecheckEdit::LinkIssueActionItem {
                issue: key.to_owned(),
                action_item_id: Some(action_item_id),
            },
        ]
    }
}
