//! [`StorecheckEdit`]: everything a phone does to a storecheck, as targeted edits.

use super::extras::{validate_block, validate_pop};
use super::{
    CategoryBlock, CompetitorLine, Expected, Issue, IssueType, Line, Planogram, PopCondition,
    PopItem, Presence, PriceTag, ProductSnapshot, Promo, Severity, ShelfLevel, ShelfLocation,
    Storecheck, StorecheckStatus,
};
use crate::ids::DocumentId;
use crate::model::ModelError;
use crate::model::edit::{Collection, Editable, Field, Target, TextEdit, insert_new};
use crate::model::limits::MAX_TEXT;
use crate::model::money::Money;
use crate::model::photo::PhotoRef;
use crate::model::rules::{CheckIn, check_quantity};
use crate::model::status::Lifecycle;
use crate::model::time::Instant;

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
    /// server's (a review command), refused here with [`ModelError::ServerOnly`].
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

/// A collection of a storecheck.
pub type C<E> = Collection<Storecheck, E>;
type F<T> = Field<Storecheck, T>;

/// Own lines, by key. For typed reads of one entry ([`Store::read_entry`](crate::store::Store::read_entry)).
pub const LINES: C<Line> = Collection {
    what: "line",
    path: &["lines"],
    get: |s| &mut s.lines,
};
/// Competitor lines, by key. For typed reads of one entry ([`Store::read_entry`](crate::store::Store::read_entry)).
pub const COMPETITORS: C<CompetitorLine> = Collection {
    what: "competitor line",
    path: &["competitor_lines"],
    get: |s| &mut s.competitor_lines,
};
/// Category blocks, by key. For typed reads of one entry ([`Store::read_entry`](crate::store::Store::read_entry)).
pub const BLOCKS: C<CategoryBlock> = Collection {
    what: "category block",
    path: &["category_blocks"],
    get: |s| &mut s.category_blocks,
};
/// POP items, by key. For typed reads of one entry ([`Store::read_entry`](crate::store::Store::read_entry)).
pub const POP_ITEMS: C<PopItem> = Collection {
    what: "POP item",
    path: &["pop_items"],
    get: |s| &mut s.pop_items,
};
/// Issues, by key. For typed reads of one entry ([`Store::read_entry`](crate::store::Store::read_entry)).
pub const ISSUES: C<Issue> = Collection {
    what: "issue",
    path: &["issues"],
    get: |s| &mut s.issues,
};
/// Photos, by photo id. For typed reads of one entry ([`Store::read_entry`](crate::store::Store::read_entry)).
pub const PHOTOS: C<PhotoRef> = Collection {
    what: "photo",
    path: &["photos"],
    get: |s| &mut s.photos,
};
const STATUS: F<Lifecycle<StorecheckStatus>> = Field {
    path: &["status"],
    get: |s| &mut s.status,
};
const CHECK_IN: F<Option<CheckIn>> = Field {
    path: &["check_in"],
    get: |s| &mut s.check_in,
};
const CHECK_OUT: F<Option<Instant>> = Field {
    path: &["check_out"],
    get: |s| &mut s.check_out,
};
const CLIENT_VISIT: F<Option<DocumentId>> = Field {
    path: &["client_visit_id"],
    get: |s| &mut s.client_visit_id,
};
const GENERAL_NOTES: F<autosurgeon::Text> = Field {
    path: &["general_notes"],
    get: |s| &mut s.general_notes,
};
const DELETED: F<bool> = Field {
    path: &["deleted"],
    get: |s| &mut s.deleted,
};

/// Runs `f` on own line `key` and validates the line after it.
fn line<T: Target<Storecheck>>(
    t: &mut T,
    key: &str,
    f: impl FnOnce(&mut Line),
) -> Result<(), ModelError> {
    t.entry(LINES, key, |l| {
        f(l);
        l.validate(&LINES.name(key))
    })
}

fn competitor<T: Target<Storecheck>>(
    t: &mut T,
    key: &str,
    f: impl FnOnce(&mut CompetitorLine),
) -> Result<(), ModelError> {
    t.entry(COMPETITORS, key, |l| {
        f(l);
        l.validate(&COMPETITORS.name(key))
    })
}

fn block<T: Target<Storecheck>>(
    t: &mut T,
    key: &str,
    f: impl FnOnce(&mut CategoryBlock),
) -> Result<(), ModelError> {
    t.entry(BLOCKS, key, |b| {
        f(b);
        validate_block(&BLOCKS.name(key), b)
    })
}

fn pop<T: Target<Storecheck>>(
    t: &mut T,
    key: &str,
    f: impl FnOnce(&mut PopItem),
) -> Result<(), ModelError> {
    t.entry(POP_ITEMS, key, |p| {
        f(p);
        validate_pop(&POP_ITEMS.name(key), p)
    })
}

fn issue<T: Target<Storecheck>>(
    t: &mut T,
    key: &str,
    f: impl FnOnce(&mut Issue) -> Result<(), ModelError>,
) -> Result<(), ModelError> {
    t.entry(ISSUES, key, |i| {
        f(i)?;
        i.validate(&ISSUES.name(key))
    })
}

fn photo<T: Target<Storecheck>>(
    t: &mut T,
    key: &str,
    f: impl FnOnce(&mut PhotoRef),
) -> Result<(), ModelError> {
    t.entry(PHOTOS, key, |p| {
        f(p);
        p.validate(&PHOTOS.name(key))
    })
}

fn advance<T: Target<Storecheck>>(t: &mut T, to: StorecheckStatus) -> Result<(), ModelError> {
    if to == StorecheckStatus::Reviewed {
        return Err(ModelError::ServerOnly {
            what: "reviewing a storecheck".into(),
        });
    }
    t.field(STATUS, |s| s.advance(to))
}

impl Editable for Storecheck {
    type Edit = StorecheckEdit;

    fn apply<T: Target<Self>>(edit: &StorecheckEdit, t: &mut T) -> Result<(), ModelError> {
        use StorecheckEdit as E;
        match edit.clone() {
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
            E::SetCompetitorFacings { line: k, facings } => {
                competitor(t, &k, |l| l.facings = facings)
            }
            E::SetCompetitorShelfPrice { line: k, price } => {
                competitor(t, &k, |l| l.shelf_price = price)
            }
            E::SetCompetitorPromo { line: k, promo } => competitor(t, &k, |l| l.promo = promo),
            E::SetCompetitorLineDeleted { line: k, deleted } => {
                competitor(t, &k, |l| l.deleted = deleted)
            }
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
            E::SetCategoryBlockDeleted { block: k, deleted } => {
                block(t, &k, |b| b.deleted = deleted)
            }
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
        }
    }
}
