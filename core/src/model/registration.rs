//! A document's registration: the kind, account and creator a server recorded the first time
//! it received the document. The server's access policy decides it, the sync engine carries it
//! to storage with the document's first persist, and the store keeps it (see
//! `store::registry`); it lives here, below both, so neither depends on the other.

use crate::model::DocumentKind;

/// One document's registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// Its kind; `None` for a document that could not be classified (one stored before access
    /// control existed, whose content names no kind or account). Nobody may read those.
    pub kind: Option<DocumentKind>,
    /// The account it belongs to; `None` exactly when `kind` is.
    pub account_id: Option<String>,
    /// The user who sent it first; `None` when unknown (registered from stored content).
    pub creator: Option<String>,
    /// When it was registered, milliseconds since the Unix epoch.
    pub registered_ms: i64,
}
