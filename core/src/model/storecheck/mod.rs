//! [`Storecheck`]: an audit of a store's shelf for one client account.
//!
//! Lines are a map keyed by product id (or `product@location`), never a list, so two phones
//! adding lines concurrently never shift each other's entries, and each line field is its own key.

mod edit;
mod extras;
mod kpi;
mod line;
mod ops;

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile, Text};
use serde::Serialize;

pub use edit::{BLOCKS, COMPETITORS, ISSUES, LINES, PHOTOS, POP_ITEMS, StorecheckEdit};
pub use extras::{
    CategoryBlock, CompetitorLine, Issue, IssueType, PopCondition, PopItem, Severity,
};
pub use kpi::{Kpis, Ratio};
pub use line::{
    Expected, Line, Planogram, Presence, PriceTag, ProductSnapshot, Promo, ShelfLevel,
    ShelfLocation, check_date,
};

use super::limits::{MAX_TEXT, check_map, check_required, check_short, check_text};
use super::photo::{PhotoRef, validate_photos};
use super::rules::{CheckIn, once, once_opt};
use super::status::{Lifecycle, LifecycleState};
use super::time::Instant;
use super::{Document, DocumentKind, Listing, ModelError};
use crate::ids::{DocumentId, EntityId};

str_enum! {
    /// draft -> in_progress -> submitted -> reviewed. Reopen (back to in_progress) is a server
    /// command, see [`Storecheck::reopen`].
    pub enum StorecheckStatus {
        /// Planned, nothing checked yet.
        Draft => "draft",
        /// Checked in, lines being filled.
        InProgress => "in_progress",
        /// Sent by the executive.
        Submitted => "submitted",
        /// Reviewed by a supervisor.
        Reviewed => "reviewed",
    }
}

impl LifecycleState for StorecheckStatus {
    const ALL: &'static [Self] = StorecheckStatus::ALL;
    const INITIAL: Self = StorecheckStatus::Draft;

    fn as_str(self) -> &'static str {
        StorecheckStatus::as_str(self)
    }

    fn can_advance(from: Self, to: Self) -> bool {
        use StorecheckStatus::*;
        matches!(
            (from, to),
            (Draft, InProgress) | (InProgress, Submitted) | (Submitted, Reviewed)
        )
    }
}

/// The store as it was in the catalog when the storecheck was created (ONCE).
#[derive(Debug, Clone, PartialEq, Eq, Hydrate, Reconcile, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct StoreSnapshot {
    /// The server's store id.
    pub id: EntityId,
    /// Store number.
    pub code: String,
    /// Store name.
    pub name: String,
    /// Chain ("Jumbo", "Walmart").
    pub chain: String,
    /// Format ("hiper", "express").
    pub format: String,
}

/// A storecheck document.
#[derive(Debug, Clone, PartialEq, Hydrate, Reconcile, serde::Serialize, serde::Deserialize)]
pub struct Storecheck {
    /// ONCE.
    pub id: DocumentId,
    /// ONCE: the client account audited.
    pub account_id: EntityId,
    /// ONCE.
    pub created_by: EntityId,
    /// ONCE.
    pub created_at: Instant,
    /// ONCE: the store snapshot.
    pub store: StoreSnapshot,
    /// ONCE: the catalog version the lines were built from.
    pub catalog_version: String,
    /// ONCE: arrival at the store. Two concurrent check-ins resolve to one (automerge picks the
    /// same winner on every replica).
    pub check_in: Option<CheckIn>,
    /// STATUS.
    pub status: Lifecycle<StorecheckStatus>,
    /// LWW.
    pub client_visit_id: Option<DocumentId>,
    /// LWW.
    pub check_out: Option<Instant>,
    /// LWW.
    pub reviewed_by: Option<EntityId>,
    /// LWW soft delete of the whole document.
    pub deleted: bool,
    /// TEXT.
    #[serde(with = "crate::model::text_serde")]
    pub general_notes: Text,
    /// TEXT.
    #[serde(with = "crate::model::text_serde")]
    pub review_comment: Text,
    /// MAP: own lines keyed by product id.
    pub lines: BTreeMap<String, Line>,
    /// MAP.
    pub competitor_lines: BTreeMap<String, CompetitorLine>,
    /// MAP.
    pub category_blocks: BTreeMap<String, CategoryBlock>,
    /// MAP.
    pub pop_items: BTreeMap<String, PopItem>,
    /// MAP.
    pub issues: BTreeMap<String, Issue>,
    /// MAP of photo references.
    pub photos: BTreeMap<String, PhotoRef>,
}

impl Storecheck {
    /// A new draft storecheck with no lines.
    pub fn new(
        id: DocumentId,
        account_id: EntityId,
        created_by: EntityId,
        created_at: Instant,
        store: StoreSnapshot,
        catalog_version: impl Into<String>,
    ) -> Self {
        Storecheck {
            id,
            account_id,
            created_by,
            created_at,
            store,
            catalog_version: catalog_version.into(),
            check_in: None,
            status: Lifecycle::new(),
            client_visit_id: None,
            check_out: None,
            reviewed_by: None,
            deleted: false,
            general_notes: Text::default(),
            review_comment: Text::default(),
            lines: BTreeMap::new(),
            competitor_lines: BTreeMap::new(),
            category_blocks: BTreeMap::new(),
            pop_items: BTreeMap::new(),
            issues: BTreeMap::new(),
            photos: BTreeMap::new(),
        }
    }

    /// The current status.
    pub fn status(&self) -> StorecheckStatus {
        self.status.status()
    }
}

impl Document for Storecheck {
    const KIND: DocumentKind = DocumentKind::Storecheck;
    const SCHEMA_VERSION: u64 = 1;

    fn id(&self) -> DocumentId {
        self.id
    }

    fn listing(&self) -> Listing {
        Listing {
            kind: Self::KIND,
            account_id: Some(self.account_id.to_string()),
            status: self.status().as_str().to_owned(),
            date_ms: self
                .check_in
                .as_ref()
                .map_or(self.created_at.utc_ms, |c| c.at.utc_ms),
            title: self.store.name.clone(),
            deleted: self.deleted,
        }
    }

    fn validate(&self) -> Result<(), ModelError> {
        check_required("store.name", &self.store.name)?;
        for (f, v) in [
            ("store.code", &self.store.code),
            ("store.chain", &self.store.chain),
            ("store.format", &self.store.format),
            ("catalog_version", &self.catalog_version),
        ] {
            check_short(f, v)?;
        }
        if let Some(c) = &self.check_in {
            c.validate("check_in")?;
        }
        check_text("general_notes", &self.general_notes, MAX_TEXT)?;
        check_text("review_comment", &self.review_comment, MAX_TEXT)?;
        check_map("lines", self.lines.iter())?;
        for (k, l) in &self.lines {
            l.validate(&format!("lines.{k}"))?;
        }
        check_map("competitor_lines", self.competitor_lines.iter())?;
        for (k, l) in &self.competitor_lines {
            l.validate(&format!("competitor_lines.{k}"))?;
        }
        check_map("category_blocks", self.category_blocks.iter())?;
        for (k, b) in &self.category_blocks {
            extras::validate_block(&format!("category_blocks.{k}"), b)?;
        }
        check_map("pop_items", self.pop_items.iter())?;
        for (k, p) in &self.pop_items {
            extras::validate_pop(&format!("pop_items.{k}"), p)?;
        }
        check_map("issues", self.issues.iter())?;
        for (k, i) in &self.issues {
            i.validate(&format!("issues.{k}"))?;
        }
        validate_photos("photos", &self.photos)
    }

    fn validate_transition(&self, before: &Self) -> Result<(), ModelError> {
        once("id", &before.id, &self.id)?;
        once("account_id", &before.account_id, &self.account_id)?;
        once("created_by", &before.created_by, &self.created_by)?;
        once("created_at", &before.created_at, &self.created_at)?;
        once("store", &before.store, &self.store)?;
        once(
            "catalog_version",
            &before.catalog_version,
            &self.catalog_version,
        )?;
        once_opt("check_in", &before.check_in, &self.check_in)?;
        self.status.check_transition(&before.status, "status")?;
        for (k, old) in &before.lines {
            let new = self.lines.get(k).ok_or_else(|| {
                ModelError::invalid(format!("lines.{k}"), "lines are soft-deleted, not removed")
            })?;
            once(&format!("lines.{k}.product"), &old.product, &new.product)?;
            once(&format!("lines.{k}.expected"), &old.expected, &new.expected)?;
        }
        for (k, old) in &before.competitor_lines {
            if let Some(new) = self.competitor_lines.get(k) {
                once(
                    &format!("competitor_lines.{k}.product"),
                    &old.product,
                    &new.product,
                )?;
            }
        }
        Ok(())
    }

    fn set_deleted(&mut self, deleted: bool) {
        self.deleted = deleted;
    }
}
