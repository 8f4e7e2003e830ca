//! [`SyncStatus`]: where a document's latest edits are, as the UI shows it next to the document.

/// Where a document's latest edits are. Reported by the sync client (`EnlaceStore` gains
/// `sync_status(id)` with it); defined now so apps can build their UI against it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum SyncStatus {
    /// Edits exist only on this phone (never synced, or offline since the last edit).
    OnlyOnThisPhone,
    /// The sync client is exchanging this document's changes with the server now.
    Syncing,
    /// The server has every change this phone made.
    SavedOnServer,
}
