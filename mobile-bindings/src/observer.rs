//! [`DocumentObserver`]: the app's callback for document changes.

/// Implemented by the app (a Kotlin or Swift object) to hear which documents changed.
///
/// `on_change` is called after every committed create, update, delete or merge (sync delivering
/// a colleague's edit) that changed a document, with the changed ids. It runs on the thread that
/// made the change (the UI thread for a local edit, a background thread for sync) and never while
/// the store holds a lock, so it may read the store at once; post to the main thread before
/// touching UI. An exception thrown by `on_change` is logged and dropped: the write has already
/// succeeded and other observers still run.
#[uniffi::export(foreign)]
pub trait DocumentObserver: Send + Sync {
    /// `ids` are the changed documents' ids.
    fn on_change(&self, ids: Vec<String>);
}
