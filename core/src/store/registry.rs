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
use crate::model::{DocumentKind, Registration};

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

/// Replaces the account and creator of `doc`'s registration, if it has one. Returns whether it
/// did. For a server changing the form in which it writes them, never to move a document.
pub(crate) fn rewrite(
    conn: &Connection,
    doc: &DocumentId,
    registration: &Registration,
) -> Result<bool, StoreError> {
    let changed = conn
        .prepare_cached("UPDATE registry SET account_id = ?2, creator = ?3 WHERE doc_id = ?1")?
        .execute(params![
            doc.as_bytes(),
            registration.account_id,
            registration.creator,
        ])?;
    Ok(changed == 1)
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

#[cfg(test)]
mod tests {
    use crate::ids::DocumentId;
    use crate::model::{DocumentKind, Registration};
    use crate::store::Store;

    fn registration(account: &str, creator: Option<&str>) -> Registration {
        Registration {
            kind: Some(DocumentKind::Storecheck),
            account_id: Some(account.into()),
            creator: creator.map(Into::into),
            registered_ms: 7,
        }
    }

    #[test]
    fn the_first_registration_wins_and_only_a_rewrite_changes_its_spelling() {
        let store = Store::open_in_memory().expect("store");
        let doc = DocumentId::new_random();
        let unknown = DocumentId::new_random();
        assert!(
            store
                .register(doc, &registration("acme", Some("jr")))
                .expect("register")
        );
        assert!(
            !store
                .register(doc, &registration("beta", None))
                .expect("again")
        );
        let rewritten = store
            .rewrite_registrations(&[
                (doc, registration("andes/acme", Some("andes/jr"))),
                (unknown, registration("andes/beta", None)),
            ])
            .expect("rewrite");
        assert_eq!(rewritten, 1, "only registered documents are rewritten");
        let all = store.registrations().expect("all");
        assert_eq!(
            all,
            vec![(doc, registration("andes/acme", Some("andes/jr")))]
        );
    }
}
