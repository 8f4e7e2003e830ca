//! Storechecks: what an app fills to create one and the record it reads. The edits are core's
//! own [`StorecheckEdit`](enlace_core::model::storecheck::StorecheckEdit).

use std::collections::HashMap;

use enlace_core::model::storecheck::{
    CategoryBlock, CompetitorLine, Issue, Kpis, Line, PopItem, StoreSnapshot,
};
use enlace_core::model::{CheckIn, Instant, PhotoRef, StorecheckStatus};
use enlace_core::{DocumentId, EntityId};

/// What an app fills to create a storecheck (a draft with no lines).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct NewStorecheck {
    /// The client account audited (every document needs one to sync).
    pub account_id: EntityId,
    /// The executive.
    pub created_by: EntityId,
    /// Now, in the executive's zone.
    pub created_at: Instant,
    /// The store, from the catalog.
    pub store: StoreSnapshot,
    /// The catalog version the lines come from.
    pub catalog_version: String,
}

document_record! {
    /// A storecheck as an app reads it, with its KPIs.
    pub struct StorecheckRecord from enlace_core::model::Storecheck {
        /// Document id.
        id: DocumentId,
        /// ONCE: the client account audited.
        account_id: EntityId,
        /// ONCE.
        created_by: EntityId,
        /// ONCE.
        created_at: Instant,
        /// ONCE: the store.
        store: StoreSnapshot,
        /// ONCE.
        catalog_version: String,
        /// ONCE: arrival.
        check_in: Option<CheckIn>,
        /// Never moves backwards.
        status: StorecheckStatus = status,
        /// The visit it belongs to.
        client_visit_id: Option<DocumentId>,
        /// Leaving.
        check_out: Option<Instant>,
        /// The supervisor who reviewed it.
        reviewed_by: Option<EntityId>,
        /// Soft delete.
        deleted: bool,
        /// TEXT (crosses as a string; edit it with a TextEdit).
        general_notes: String = text,
        /// TEXT (crosses as a string; edit it with a TextEdit).
        review_comment: String = text,
        /// Own lines by key.
        lines: HashMap<String, Line> = map,
        /// Competitor lines by key.
        competitor_lines: HashMap<String, CompetitorLine> = map,
        /// Category blocks (share-of-shelf denominators) by key.
        category_blocks: HashMap<String, CategoryBlock> = map,
        /// POP items by key.
        pop_items: HashMap<String, PopItem> = map,
        /// Issues by key.
        issues: HashMap<String, Issue> = map,
        /// Photos by photo id.
        photos: HashMap<String, PhotoRef> = map,
    }
    derived {
        /// OOS rate, share of shelf, price compliance, perfect-store score.
        kpis: Kpis = kpis,
    }
}
