//! Per-document sync status, for the app's UI.

/// Where a document's latest local changes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncStatus {
    /// Changes exist only on this phone: not connected, or never synced.
    OnlyOnThisPhone,
    /// Connected and exchanging changes; not yet confirmed on the server.
    Syncing,
    /// The server has acknowledged heads that contain every local change. The server
    /// acknowledges only what it has made durable, so this means "on the server's disk".
    SavedOnServer,
    /// The server refused this document's changes ([`SyncClient::refusal`](super::SyncClient::refusal)
    /// says why): they are only on this phone and will not sync as they are.
    RefusedByServer,
}
