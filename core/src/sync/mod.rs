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
//!   a [`storage::StorageOp::Persist`]; no sync message about that document leaves until the
//!   matching [`Event::Persisted`] reports them durable, so "the server's heads contain my
//!   change" means "it is on the server's disk".
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
//!
//! # The driver contract
//!
//! A driver (the server's hub, the device client, the simulator, a test client) owns the
//! engine and the outside world. The engine's guarantees hold only if the driver keeps these
//! rules; each names what breaks when it does not.
//!
//! **Events in.**
//! - One event at a time, each with the driver's current time. Time never needs to be exact
//!   but must not run backwards; the engine takes the later of its last time and the one given.
//! - [`Event::ConnectionOpened`] before any message of that connection, and
//!   [`Event::ConnectionClosed`] once its transport is gone (after an [`Effect::Close`] too:
//!   the engine has already forgotten the connection and ignores it). Messages of one
//!   connection are delivered in the order they arrived.
//! - [`Event::LocalChange`] only after the change is durable in the device's own store: the
//!   engine treats what it is told as already on disk.
//! - [`Event::Tick`] at or after [`Engine::poll_timeout`] (asked again after every `handle`);
//!   late ticks only delay debounced flushes and persist retries.
//!
//! **Effects out, in the order returned.**
//! - [`Effect::Send`]: put the message on that connection. Sends on one connection must leave
//!   in order (a sync message overtaking the one before it breaks the peer's sync state); a
//!   driver may drop a send for a connection that is gone, and may close a consumer too slow to
//!   take its sends (then report the connection closed).
//! - [`Effect::Close`]: close that connection with the reason's code.
//! - [`Effect::Storage`]: carry out the op with [`storage::execute`] against the driver's
//!   [`storage::EngineStorage`] and feed every returned event back to the engine, in order. The
//!   executor is the one place that knows what each op means (persist answered only once
//!   durable, registrations written with the changes, sync-state failures logged, an empty
//!   catch-up page on a failed read). A driver may run it on other threads and may batch:
//!   - writes ([`storage::StorageOp::is_write`]) must be executed in the order given, though
//!     consecutive ones may share one transaction (the server's group commit); a persist must
//!     never be answered as durable before it is, nor overtake an earlier write;
//!   - reads (loads, catch-up pages) may run beside the writes: the engine tells storage what
//!     it last saw durable (`base`), and storage checks that claim rather than trust it;
//!   - an op that can no longer run (its thread stopped) is answered with
//!     [`storage::StorageOp::failed`], never dropped: an unanswered persist stalls its document.
//! - [`Effect::ChangesReceived`] (device): hand it to the device's policy machine
//!   ([`device::DeviceSync`], input [`device::DeviceInput::Changes`]) and carry out its
//!   actions; the machine decides which documents to sync and when to ask for the next page.
//! - The rest ([`Effect::DocumentChanged`], [`Effect::DocumentUnavailable`],
//!   [`Effect::DocumentRefused`], [`Effect::ChangesRefused`], [`Effect::EphemeralReceived`]) are
//!   notices for the application and the logs; nothing is owed back.
//!
//! Events caused by carrying out effects (storage answers, a slow consumer's close) go back
//! through `handle` like any other, after the effects of the current call: a queue, not
//! recursion, so effects keep their order.

mod access;
pub mod catchup;
mod config;
pub mod device;
mod document;
mod engine;
mod events;
#[cfg(feature = "testing")]
pub mod sim;
pub mod storage;
mod types;

pub use access::{Accepted, Access, AccessPolicy, AllowAll, PolicyRefusal, Repair};
pub use config::{Announce, EngineConfig};
pub use engine::Engine;
pub use events::{Effect, Event, LoadedDocument, StorageFailure};
pub use types::{CloseReason, ConnectionId, Direction, PersistTicket, Role, Timestamp};
