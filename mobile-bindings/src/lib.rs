//! enlace-mobile: the uniffi layer over `enlace-core` for phone apps (Kotlin on Android, Swift on
//! iOS; Python for tests).
//!
//! The layer is thin: every exported method is one call into `enlace-core` plus the mapping of
//! its types and errors. A rule that the phone needs and core lacks is added to core, never here.
//!
//! Layout:
//! - [`store`]: [`EnlaceStore`], the object an app opens once and shares.
//! - [`storecheck`], [`client_visit`], [`meeting_note`], [`action_item`]: the record an app
//!   fills to create each document and the record it reads (generated from core's struct by
//!   `document_record!`). The edits are core's own vocabularies (`StorecheckEdit`...), and the
//!   value types (money, instants, lines, photos...) are core's own types: `enlace-core`'s
//!   `uniffi` feature exports them in the `enlace_core` namespace, so nothing is restated here.
//! - [`catalog`]: reference data synced from the server (stores, products, contacts, visit
//!   plans) and the documents made from it.
//! - [`commands`]: server commands (send a contact report, review a storecheck).
//! - [`listing`]: lists and queries.
//! - [`photos`]: attach photos, read their upload status, get a file to show.
//! - [`observer`]: the foreign [`DocumentObserver`] told about changes.
//! - [`sync_status`]: the per-document sync status the sync client will report.
//! - [`EnlaceError`] (core's `ffi::EnlaceError`): the one error an app catches.
//!
//! A Rust panic never crosses the FFI: uniffi catches it in every exported function and raises
//! its own `InternalException` (Kotlin), `UniffiInternalError.rustPanic` (Swift) or
//! `InternalError` (Python) with the panic message. Foreign observers are called after every store lock is released.

#[macro_use]
mod macros;

pub mod action_item;
pub mod catalog;
pub mod client_visit;
pub mod commands;
pub mod listing;
pub mod meeting_note;
pub mod observer;
pub mod photos;
pub mod store;
pub mod storecheck;
pub mod sync;
mod sync_status;
#[cfg(feature = "test-hooks")]
pub mod testing;

pub use enlace_core as core;
pub use enlace_core::ffi::EnlaceError;
pub use observer::DocumentObserver;
pub use store::EnlaceStore;
pub use sync_status::SyncStatus;

uniffi::setup_scaffolding!();
