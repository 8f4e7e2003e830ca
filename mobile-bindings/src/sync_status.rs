//! [`SyncStatus`]: where a document's latest edits are, as the UI shows it next to the document.

/// Where a document's latest edits are, from `EnlaceStore::sync_status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum SyncStatus {
    /// Edits exist only on this phone (never synced, or offline since the last edit).
    OnlyOnThisPhone,
    /// The sync client is exchanging this document's changes with the server now.
    Syncing,
    /// The server has every change this phone made.
    SavedOnServer,
    /// The server refused this document's changes (`EnlaceStore::sync_refusal` says why);
    /// they are only on this phone.
    RefusedByServer,
}

impl From<enlace_core::client::SyncStatus> for SyncStatus {
    fn from(s: enlace_core::client::SyncStatus) -> Self {
        match s {
            enlace_core::client::SyncStatus::OnlyOnThisPhone => SyncStatus::OnlyOnThisPhone,
            enlace_core::client::SyncStatus::Syncing => SyncStatus::Syncing,
            enlace_core::client::SyncStatus::SavedOnServer => SyncStatus::SavedOnServer,
            enlace_core::client::SyncStatus::RefusedByServer => SyncStatus::RefusedByServer,
        }
    }
}
