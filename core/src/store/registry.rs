//! The document registry: which account each document belongs to, who created it, and of which
//! kind it is, as a server recorded it the first time it received the document.
//!
//! The registry, not the CRDT, decides access on a server: a document's content can be edited by
//! anyone who may write it, its registration cannot. Rows are written once (the first
//! registration wins) in the same transaction as the document's first change when they come
//! through [`BatchWrite::Register`](super::BatchWrite::Register).

use rusqlite::{Connection, params};

use super::error::StoreError;
use crate::ids::DocumentId;
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

/// Records `registration` for `doc` unless the document is registered already. Returns whether
/// this call recorded it.
pub(crate) fn insert(
    conn: &Connection,
    doc: &DocumentId,
    registration: &Registration,
) -> Result<bool, StoreError> {
    let inserted = conn
        .prepare_cached(
            "INSERT INTO registry (doc_id, kind, account_id, creator, registered_ms)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (doc_id) DO NOTHING",
        )?
        .execute(params![
            doc.as_bytes(),
            registration.kind.map(DocumentKind::as_str),
            registration.account_id,
            registration.creator,
            registration.registered_ms,
        ])?;
    Ok(inserted == 1)
}

/// Every registration.
pub(crate) fn all(conn: &Connection) -> Result<Vec<(DocumentId, Registration)>, StoreError> {
    let mut stmt = conn
        .prepare_cached("SELECT doc_id, kind, account_id, creator, registered_ms FROM registry")?;
    let rows = stmt.query_map([], |row| {
        Ok((
            row.get::<_, Vec<u8>>(0)?,
            row.get::<_, Option<String>>(1)?,
            row.get::<_, Option<String>>(2)?,
            row.get::<_, Option<String>>(3)?,
            row.get::<_, i64>(4)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, kind, account_id, creator, registered_ms) = row?;
        let id: [u8; 16] = id
            .try_into()
            .map_err(|_| StoreError::corrupt("registry row with a malformed document id"))?;
        let kind = match kind {
            None => None,
            Some(k) => Some(DocumentKind::parse(&k).ok_or_else(|| {
                StoreError::corrupt(format!("registry row with an unknown kind {k:?}"))
            })?),
        };
        out.push((
            DocumentId::from_bytes(id),
            Registration {
                kind,
                account_id,
                creator,
                registered_ms,
            },
        ));
    }
    Ok(out)
}

/// Documents stored without a registration (stored before access control, or by an open
/// server).
pub(crate) fn unregistered(conn: &Connection) -> Result<Vec<DocumentId>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT d.id FROM documents d LEFT JOIN registry r ON r.doc_id = d.id
         WHERE r.doc_id IS NULL",
    )?;
    let rows = stmt.query_map([], |row| row.get::<_, Vec<u8>>(0))?;
    let mut out = Vec::new();
    for row in rows {
        let id: [u8; 16] = row?
            .try_into()
            .map_err(|_| StoreError::corrupt("document row with a malformed id"))?;
        out.push(DocumentId::from_bytes(id));
    }
    Ok(out)
}
