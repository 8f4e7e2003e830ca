//! Lists and queries over the store's index (no document is loaded to list it).

use enlace_core::model::DocumentKind as CoreKind;
use enlace_core::store::{self, Deleted as CoreDeleted, Order as CoreOrder};

ffi_enum! {
    /// The kinds of documents.
    pub enum DocumentKind mirrors CoreKind { ClientVisit, Storecheck, MeetingNote, ActionItem, Catalog }
}

ffi_enum! {
    /// Which soft-deleted documents a query returns.
    pub enum DeletedFilter mirrors CoreDeleted { Exclude, Include, Only }
}

ffi_enum! {
    /// Result order by the documents' own dates (ties by id).
    pub enum SortOrder mirrors CoreOrder { NewestFirst, OldestFirst }
}

/// A filter over the index; every filter set must match.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Query {
    /// Which deleted documents to return.
    pub deleted: DeletedFilter,
    /// Result order.
    pub order: SortOrder,
    /// Only this kind.
    #[uniffi(default = None)]
    pub kind: Option<DocumentKind>,
    /// Only this account.
    #[uniffi(default = None)]
    pub account_id: Option<String>,
    /// Only this status (snake_case: `in_progress`).
    #[uniffi(default = None)]
    pub status: Option<String>,
    /// Only dates at or after this instant (ms since the epoch).
    #[uniffi(default = None)]
    pub from_ms: Option<i64>,
    /// Only dates strictly before this instant.
    #[uniffi(default = None)]
    pub until_ms: Option<i64>,
    /// At most this many rows (1..=1000).
    #[uniffi(default = 100)]
    pub limit: u32,
}

/// One row of a list: a document's id and its indexed fields.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ListedDocument {
    /// Document id.
    pub id: String,
    /// Its kind.
    pub kind: DocumentKind,
    /// Its account.
    pub account_id: Option<String>,
    /// Its status (snake_case).
    pub status: String,
    /// The date that places it in time (ms since the epoch).
    pub date_ms: i64,
    /// A short title.
    pub title: String,
    /// Soft-deleted.
    pub deleted: bool,
}

impl From<Query> for store::Query {
    fn from(q: Query) -> Self {
        store::Query {
            kind: q.kind.map(Into::into),
            account_id: q.account_id,
            status: q.status,
            from_ms: q.from_ms,
            until_ms: q.until_ms,
            deleted: q.deleted.into(),
            order: q.order.into(),
            limit: q.limit,
        }
    }
}

impl From<store::ListedDocument> for ListedDocument {
    fn from(d: store::ListedDocument) -> Self {
        ListedDocument {
            id: d.id.to_string(),
            kind: d.listing.kind.into(),
            account_id: d.listing.account_id,
            status: d.listing.status,
            date_ms: d.listing.date_ms,
            title: d.listing.title,
            deleted: d.listing.deleted,
        }
    }
}
