//! The embedded SQLite store: typed documents kept durably on a device (or a server).
//!
//! Layout:
//! - `schema`: the tables and the one migration path (`PRAGMA user_version`).
//! - `documents`: each document as a snapshot plus incremental chunks, and compaction.
//! - `listing`: the index lists and queries read ([`Query`], [`ListedDocument`]).
//! - `sync_state`: automerge sync states per (document, peer storage id).
//! - `catch_up`: a device's catch-up cursor and the documents a catch-up left to sync.
//! - `blobs`: photos beside the store file and their upload queue ([`Store::attach_photo`]).
//! - `meta`: the store's storage id and actor id.
//! - `registry`: the account, kind and creator of each document, as a server recorded them.
//! - [`Storage`]: the fallible raw interface the sync engine uses; [`Store`] implements it.
//! - `batch`: group commit ([`Store::write_batch`]) and raw loads for a sync server.
//! - `model_glue`: the few calls into the typed model.
//! - `catalog`: the catalogs on the phone (stores, products, contacts, visit plans) and the
//!   documents made from them ([`Store::create_storecheck_from_assortment`]).
//! - `observe`: change observers ([`Store::add_observer`]).
//! - `edit`: the phone's edit path, [`Store::edit`] (a batch of targeted edits, one change, one
//!   write) and [`Store::read`]; `cache`: the documents in use, as handle and typed value;
//!   `snapshot`: a serialised copy of each value, so a cold read skips the CRDT.
//!
//! Every mutating call has committed (and synced) its SQLite transaction when it returns `Ok`.
//!
//! ```
//! use enlace_core::store::{Query, Store};
//!
//! let store = Store::open_in_memory()?;
//! assert!(store.list(&Query::new())?.is_empty());
//! # Ok::<(), enlace_core::store::StoreError>(())
//! ```

mod batch;
mod blobs;
mod cache;
mod catalog;
mod catch_up;
mod documents;
mod edit;
mod engine_io;
mod error;
mod listing;
mod meta;
pub mod migrations;
mod model_glue;
mod observe;
mod registry;
mod schema;
mod snapshot;
mod sqlite;
mod storage;
mod sync_state;

pub use crate::model::Registration;
pub use batch::{BatchOutcome, BatchWrite, listing_if_known};
#[cfg(feature = "client")]
pub(crate) use blobs::now_ms;
pub use blobs::{
    BlobError, BlobHash, DEFAULT_PHOTO_CACHE_BYTES, NewPhoto, PendingUpload, PhotoStatus,
    sniff_image,
};
pub use cache::DEFAULT_CACHE_BYTES;
pub use catalog::{
    AccountStore, CatalogError, MAX_CACHED_CATALOGS, MAX_SEARCH_LIMIT, PlannedVisit,
    storecheck_from_assortment,
};
pub use catch_up::PendingCatchUp;
#[cfg(feature = "testing")]
pub(crate) use documents::load_strict;
pub use documents::{Compaction, DocumentStats, TEXT_ENCODING};
pub use edit::MAX_EDITS_PER_BATCH;
pub use error::StoreError;
pub use listing::{Deleted, ListedDocument, Order, Query};
pub use observe::{Observer, ObserverId};
pub use schema::SCHEMA_VERSION;
pub use sqlite::{AuthoritativeChange, BUSY_TIMEOUT, ListingRows, Store};
pub use storage::{IndexFn, MergeOutcome, Merged, Storage};

/// Largest input [`Store::merge_changes_with`] accepts: the wire's
/// [`MAX_AUTOMERGE_BYTES`](crate::wire::MAX_AUTOMERGE_BYTES), 64 MiB.
pub const MAX_MERGE_BYTES: usize = crate::wire::MAX_AUTOMERGE_BYTES;

/// Most rows one [`Query`] may ask for. Lists page through larger sets.
pub const MAX_QUERY_LIMIT: u32 = 1_000;

/// Most rows one [`Store::changed_since`] call returns.
pub const MAX_CHANGED_SINCE_LIMIT: u32 = 10_000;

/// Largest sync state saved: an encoded automerge sync state is a few heads and a bloom filter,
/// far below this.
pub const MAX_SYNC_STATE_BYTES: usize = 1024 * 1024;
