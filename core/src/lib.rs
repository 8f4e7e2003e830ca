//! enlace-core: the offline-first heart of enlace.
//!
//! Layout, bottom up:
//! - [`ids`]: document, peer, storage and entity ids.
//! - [`model`]: the typed CRDT documents (client visits, storechecks, meeting notes, action
//!   items) mapped onto automerge with autosurgeon, with the merge rules of the domain.
//! - [`store`]: the embedded SQLite store that keeps those documents durably on a device.
//! - [`wire`]: the automerge-repo wire protocol and its CBOR codec.
//! - [`sync`]: the sans-IO sync engine.
//! - `client` (feature `client`): the device sync client, the engine over a websocket.
//! - `fuzzing` and `sync::sim` (feature `testing`): fuzz target bodies and the in-memory
//!   network simulator, for tests only; no shipped build compiles them.

#[cfg(feature = "client")]
pub mod client;
#[cfg(any(feature = "client", feature = "uniffi"))]
mod error_chain;
#[cfg(feature = "uniffi")]
pub mod ffi;
#[cfg(feature = "testing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod ids;
pub mod model;
pub mod store;
pub mod sync;
pub mod wire;

pub use ids::{DocumentId, EntityId, IdError, PeerId, StorageId};

#[cfg(feature = "uniffi")]
uniffi::setup_scaffolding!("enlace_core");
