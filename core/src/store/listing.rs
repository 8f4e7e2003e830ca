//! The listing index: what lists and queries read, so they never load a CRDT.
//!
//! One row per document, rewritten from the document's [`Listing`] in the same transaction as
//! every chunk of that document.

use rusqlite::types::Value;
use rusqlite::{Connection, params, params_from_iter};

use super::MAX_QUERY_LIMIT;
use super::documents::{blob, id_from_blob};
use super::error::StoreError;
use crate::ids::DocumentId;
use crate::model::{DocumentKind, Listing};

/// One row of a listing: a document's id and its indexed fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedDocument {
    /// The document.
    pub id: DocumentId,
    /// Its indexed fields, as of its last write.
    pub listing: Listing,
}

/// Which soft-deleted documents a query returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Deleted {
    /// Only documents that are not deleted (the default).
    #[default]
    Exclude,
    /// Deleted and live documents alike.
    Include,
    /// Only deleted documents (a "trash" view).
    Only,
}

/// The order of a query's results. Dates are the documents' own dates (information, not
/// tie-breakers); ties are broken by id so results are stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    /// Most recent date first (the default).
    #[default]
    NewestFirst,
    /// Oldest date first.
    OldestFirst,
}

/// A filter over the listing index. Build with [`Query::new`] and the setters; every filter set
/// must match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// Only this kind.
    pub kind: Option<DocumentKind>,
    /// Only this account.
    pub account_id: Option<String>,
    /// Only this status.
    pub status: Option<String>,
    /// Only dates at or after this instant (ms since the Unix epoch).
    pub from_ms: Option<i64>,
    /// Only dates strictly before this instant (ms since the Unix epoch).
    pub until_ms: Option<i64>,
    /// Which deleted documents to return.
    pub deleted: Deleted,
    /// Result order.
    pub order: Order,
    /// At most this many rows, 1..=[`MAX_QUERY_LIMIT`].
    pub limit: u32,
}

impl Default for Query {
    fn default() -> Self {
        Self::new()
    }
}

impl Query {
    /// Every live document, newest first, up to 100.
    pub fn new() -> Self {
        Self {
            kind: None,
            account_id: None,
            status: None,
            from_ms: None,
            until_ms: None,
            deleted: Deleted::Exclude,
            order: Order::NewestFirst,
            limit: 100,
        }
    }

    /// Only documents of `kind`.
    pub fn kind(mut self, kind: DocumentKind) -> Self {
        self.kind = Some(kind);
        self
    }

    /// Only documents of `account_id`.
    pub fn account(mut self, account_id: impl Into<String>) -> Self {
        self.account_id = Some(account_id.into());
        self
    }

    /// Only documents in `status`.
    pub fn status(mut self, status: impl Into<String>) -> Self {
        self.status = Some(status.into());
        self
    }

    /// Only dates in `from_ms..until_ms`.
    pub fn between(mut self, from_ms: i64, until_ms: i64) -> Self {
        self.from_ms = Some(from_ms);
        self.until_ms = Some(until_ms);
        self
    }

    /// Which deleted documents to return.
    pub fn deleted(mut self, deleted: Deleted) -> Self {
        self.deleted = deleted;
        self
    }

    /// Result order.
    pub fn order(mut self, order: Order) -> Self {
        self.order = order;
        self
    }

    /// At most `limit` rows.
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = limit;
        self
    }
}

/// Writes (or rewrites) the listing row of `id`.
pub(crate) fn upsert(conn: &Connection, id: &DocumentId, l: &Listing) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO listings (doc_id, kind, account_id, status, date_ms, title, deleted)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (doc_id) DO UPDATE SET
            kind = excluded.kind, account_id = excluded.account_id, status = excluded.status,
            date_ms = excluded.date_ms, title = excluded.title, deleted = excluded.deleted",
    )?
    .execute(params![
        id.as_bytes(),
        l.kind.as_str(),
        l.account_id,
        l.status,
        l.date_ms,
        l.title,
        l.deleted
    ])?;
    Ok(())
}

/// Removes the listing row of `id`, if any (the document is of no enlace kind).
pub(crate) fn remove(conn: &Connection, id: &DocumentId) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM listings WHERE doc_id = ?1")?
        .execute([id.as_bytes()])?;
    Ok(())
}

/// Whether `id` has a listing row.
pub(crate) fn exists(conn: &Connection, id: &DocumentId) -> Result<bool, StoreError> {
    let mut stmt = conn.prepare_cached("SELECT 1 FROM listings WHERE doc_id = ?1")?;
    Ok(stmt.exists([id.as_bytes()])?)
}

/// Runs a query over the listing index.
pub(crate) fn query(conn: &Connection, q: &Query) -> Result<Vec<ListedDocument>, StoreError> {
    if q.limit == 0 || q.limit > MAX_QUERY_LIMIT {
        return Err(StoreError::QueryLimit {
            requested: q.limit,
            max: MAX_QUERY_LIMIT,
        });
    }
    let mut sql = String::from(
        "SELECT doc_id, kind, account_id, status, date_ms, title, deleted FROM listings WHERE 1",
    );
    let mut args: Vec<Value> = Vec::new();
    let mut filter = |clause: &str, v: Value| {
        args.push(v);
        sql.push_str(&format!(" AND {clause} ?{}", args.len()));
    };
    if let Some(kind) = q.kind {
        filter("kind =", Value::Text(kind.as_str().to_owned()));
    }
    if let Some(account) = &q.account_id {
        filter("account_id =", Value::Text(account.clone()));
    }
    if let Some(status) = &q.status {
        filter("status =", Value::Text(status.clone()));
    }
    if let Some(from) = q.from_ms {
        filter("date_ms >=", Value::Integer(from));
    }
    if let Some(until) = q.until_ms {
        filter("date_ms <", Value::Integer(until));
    }
    match q.deleted {
        Deleted::Exclude => filter("deleted =", Value::Integer(0)),
        Deleted::Only => filter("deleted =", Value::Integer(1)),
        Deleted::Include => {}
    }
    sql.push_str(match q.order {
        Order::NewestFirst => " ORDER BY date_ms DESC, doc_id DESC",
        Order::OldestFirst => " ORDER BY date_ms ASC, doc_id ASC",
    });
    args.push(Value::Integer(i64::from(q.limit)));
    sql.push_str(&format!(" LIMIT ?{}", args.len()));

    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params_from_iter(args))?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let id = id_from_blob(blob(row, 0)?)?;
        let kind_str: String = row.get(1)?;
        let kind = DocumentKind::parse(&kind_str)
            .ok_or_else(|| StoreError::corrupt(format!("listing of {id}: kind {kind_str:?}")))?;
        out.push(ListedDocument {
            id,
            listing: Listing {
                kind,
                account_id: row.get(2)?,
                status: row.get(3)?,
                date_ms: row.get(4)?,
                title: row.get(5)?,
                deleted: row.get(6)?,
            },
        });
    }
    Ok(out)
}
