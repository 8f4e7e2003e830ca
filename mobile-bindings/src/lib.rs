//! enlace-mobile: the uniffi layer over `enlace-core` for phone apps (Kotlin on Android, Swift on
//! iOS; Python for tests).
//!
//! The layer is thin: every exported method is one call into `enlace-core` plus the mapping of
//! its types and errors. A rule that the phone needs and core lacks is added to core, never here.
//!
//! Layout:
//! - [`store`]: [`EnlaceStore`], the object an app opens once and shares.
//! - [`storecheck`], [`client_visit`], [`meeting_note`], [`action_item`]: each document as a
//!   record, the record an app fills to create one, and the edits it can apply.
//! - [`values`]: instants, money, positions, check-ins and attendees shared by the documents.
//! - [`text`]: text edits addressed in UTF-16 code units; [`listing`]: lists and queries.
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
pub mod client_visit;
pub mod listing;
pub mod meeting_note;
pub mod observer;
pub mod store;
pub mod storecheck;
pub mod sync;
mod sync_status;
#[cfg(feature = "test-hooks")]
pub mod testing;
pub mod text;
pub mod values;

pub use enlace_core as core;
pub use enlace_core::ffi::EnlaceError;
pub use observer::DocumentObserver;
pub use store::EnlaceStore;
pub use sync_status::SyncStatus;

uniffi::setup_scaffolding!();
