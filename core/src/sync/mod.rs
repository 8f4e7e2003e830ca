//! The sans-IO sync engine.
//!
//! [`Engine::handle`] takes an [`Event`] (a connection opened, a message arrived, storage
//! answered, time passed) at a [`Timestamp`] the driver supplies, and returns [`Effect`]s (send
//! this, persist that, load this document) for the driver to carry out. No tokio, no sockets, no
//! clock: the server and the device client are thin shells around it, and tests run many peers
//! in one thread (see `sim`, feature `testing`).
//!
//! Guarantees:
//! - **Persist before acknowledge.** Changes received from a peer are handed to storage with
//!   [`Effect::Persist`]; no sync message about that document leaves until the matching
//!   [`Event::Persisted`] reports them durable, so "the server's heads contain my change" means
//!   "it is on the server's disk".
//! - **Forbidden looks like missing.** A peer the [`AccessPolicy`] denies gets exactly the answer
//!   a missing document gets (`doc-unavailable` to a `request`, an empty document's `sync` to a
//!   `sync`), from memory in both cases; a read-only peer's changes are never applied.
//! - **Nobody reads what they may not.** A connection is attached to a document (receives it and
//!   its changes) only once access was decided on the existing document; access is decided again
//!   when the document comes into existence (for every connection that named its id before),
//!   before every sync message leaves, and on [`Event::AccessChanged`].
//! - **Refusals are told.** Refused changes are undone and answered with
//!   [`Message::Refused`](crate::wire::Message::Refused) and its code.
//! - **Roles.** A [`Role::Server`] never pushes a document a peer has not asked about and
//!   forwards every later change to every peer syncing it; a [`Role::Device`] announces the
//!   documents it is subscribed to on every connection.
//! - **Bounded memory.** Documents load on demand and unload when idle (sync states of the
//!   peers stay); per-connection document counts and per-document queues are bounded.

mod access;
pub mod catchup;
mod config;
mod document;
mod engine;
mod events;
#[cfg(feature = "testing")]
pub mod sim;
mod types;

pub use access::{Access, AccessPolicy, AllowAll};
pub use config::{Announce, EngineConfig};
pub use engine::Engine;
pub use events::{Effect, Event, LoadedDocument, StorageFailure};
pub use types::{CloseReason, ConnectionId, Direction, PersistTicket, Role, Timestamp};
