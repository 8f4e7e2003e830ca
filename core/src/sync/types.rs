//! Small value types of the engine: time, connection ids, close reasons.

use std::fmt;
use std::ops::Add;
use std::time::Duration;

/// A point on the driver's monotonic clock, in milliseconds. The engine never reads a clock: the
/// driver passes the time in with every event, so tests can run on a simulated clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub u64);

impl Timestamp {
    /// Milliseconds since the driver's epoch.
    pub fn as_millis(self) -> u64 {
        self.0
    }

    /// Time elapsed since `earlier` (zero if `earlier` is later).
    pub fn since(self, earlier: Timestamp) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }
}

impl Add<Duration> for Timestamp {
    type Output = Timestamp;

    fn add(self, rhs: Duration) -> Timestamp {
        let ms = u64::try_from(rhs.as_millis()).unwrap_or(u64::MAX);
        Timestamp(self.0.saturating_add(ms))
    }
}

/// The driver's handle for one transport connection (one websocket).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConnectionId(pub u64);

impl fmt::Display for ConnectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "conn-{}", self.0)
    }
}

/// Who opened the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// The remote dialled us (a server's view of a device): we wait for `join`.
    Incoming,
    /// We dialled the remote (a device's view of a server): we send `join`.
    Outgoing,
}

/// What the engine is for; it changes which documents it offers unasked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Never pushes a document a peer has not asked about; forwards every later change of a
    /// document to every peer syncing it.
    Server,
    /// Announces its own documents (those it is told to keep in sync) to the servers it
    /// connects to.
    Device,
}

/// Why the engine asks the driver to close a connection. Drivers map these to websocket close
/// codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloseReason {
    /// The peer offered no protocol version we speak.
    UnsupportedProtocol,
    /// The peer sent something the protocol forbids (undecodable sync data, a change that does
    /// not apply).
    ProtocolViolation(String),
    /// The peer touched more documents than one connection may.
    TooManyDocuments,
    /// Storage failed while the peer waited; it should reconnect and retry.
    StorageFailure,
    /// The access policy refused the peer as a whole (for example an impersonated peer id).
    Refused(String),
}

/// An opaque ticket matching a `Persist` effect to its `Persisted` event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PersistTicket(pub u64);
