//! The parts of a storecheck that [`StorecheckEdit`](super::StorecheckEdit) touches, and the
//! check each entry runs after a change.
//!
//! Every edit of an entry goes through one helper here (`line`, `issue`, ...), which runs the
//! change and validates the whole entry after it, so the document path and the value path refuse
//! the same results. The collections are public for typed reads of one entry.

use crate::ids::DocumentId;
use crate::model::ModelError;
use crate::model::edit::{Collection, Field, Target};
use crate::model::photo::PhotoRef;
use crate::model::rules::CheckIn;
use crate::model::status::Lifecycle;
use crate::model::storecheck::extras::{validate_block, validate_pop};
use crate::model::storecheck::{
    CategoryBlock, CompetitorLine, Issue, Line, PopItem, Storecheck, StorecheckStatus,
};
use crate::model::time::Instant;

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
pub(super) const STATUS: F<Lifecycle<StorecheckStatus>> = Field {
    path: &["status"],
    get: |s| &mut s.status,
};
pub(super) const CHECK_IN: F<Option<CheckIn>> = Field {
    path: &["check_in"],
    get: |s| &mut s.check_in,
};
pub(super) const CHECK_OUT: F<Option<Instant>> = Field {
    path: &["check_out"],
    get: |s| &mut s.check_out,
};
pub(super) const CLIENT_VISIT: F<Option<DocumentId>> = Field {
    path: &["client_visit_id"],
    get: |s| &mut s.client_visit_id,
};
pub(super) const GENERAL_NOTES: F<autosurgeon::Text> = Field {
    path: &["general_notes"],
    get: |s| &mut s.general_notes,
};
pub(super) const DELETED: F<bool> = Field {
    path: &["deleted"],
    get: |s| &mut s.deleted,
};

/// Runs `f` on own line `key` and validates the line after it.
pub(super) fn line<T: Target<Storecheck>>(
    t: &mut T,
    key: &str,
    f: impl FnOnce(&mut Line),
) -> Result<(), ModelError> {
    t.entry(LINES, key, |l| {
        f(l);
        l.validate(&LINES.name(key))
    })
}

/// Runs `f` on competitor line `key` and validates the line after it.
pub(super) fn competitor<T: Target<Storecheck>>(
    t: &mut T,
    key: &str,
    f: impl FnOnce(&mut CompetitorLine),
) -> Result<(), ModelError> {
    t.entry(COMPETITORS, key, |l| {
        f(l);
        l.validate(&COMPETITORS.name(key))
    })
}

/// Runs `f` on category block `key` and validates the block after it.
pub(super) fn block<T: Target<Storecheck>>(
    t: &mut T,
    key: &str,
    f: impl FnOnce(&mut CategoryBlock),
) -> Result<(), ModelError> {
    t.entry(BLOCKS, key, |b| {
        f(b);
        validate_block(&BLOCKS.name(key), b)
    })
}

/// Runs `f` on POP item `key` and validates the item after it.
pub(super) fn pop<T: Target<Storecheck>>(
    t: &mut T,
    key: &str,
    f: impl FnOnce(&mut PopItem),
) -> Result<(), ModelError> {
    t.entry(POP_ITEMS, key, |p| {
        f(p);
        validate_pop(&POP_ITEMS.name(key), p)
    })
}

/// Runs `f` on issue `key` and validates the issue after it.
pub(super) fn issue<T: Target<Storecheck>>(
    t: &mut T,
    key: &str,
    f: impl FnOnce(&mut Issue) -> Result<(), ModelError>,
) -> Result<(), ModelError> {
    t.entry(ISSUES, key, |i| {
        f(i)?;
        i.validate(&ISSUES.name(key))
    })
}

/// Runs `f` on photo `key` and validates the photo after it.
pub(super) fn photo<T: Target<Storecheck>>(
    t: &mut T,
    key: &str,
    f: impl FnOnce(&mut PhotoRef),
) -> Result<(), ModelError> {
    t.entry(PHOTOS, key, |p| {
        f(p);
        p.validate(&PHOTOS.name(key))
    })
}

/// Moves the status forward as a phone may: `reviewed` is the server's, refused before the
/// lifecycle is asked.
pub(super) fn advance<T: Target<Storecheck>>(
    t: &mut T,
    to: StorecheckStatus,
) -> Result<(), ModelError> {
    if to == StorecheckStatus::Reviewed {
        return Err(ModelError::ServerOnly {
            what: "reviewing a storecheck".into(),
        });
    }
    t.field(STATUS, |s| s.advance(to))
}
