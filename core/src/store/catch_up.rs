//! A device's catch-up bookkeeping: the cursor into the server's change sequence, and the
//! documents a catch-up page said differ that have not been seen synced since.
//!
//! The cursor moves as soon as a page arrives, before the documents on it have synced. A
//! connection lost in between used to strand them: the next catch-up starts after them, and
//! they are not "locally changed" either (the server holds everything the device holds), so
//! nothing synced them until somebody edited them again. Each page's differing documents are
//! therefore recorded, in the transaction that moves the cursor, with the server heads the page
//! announced; a document leaves the record once the device holds every one of those heads.

use automerge::ChangeHash;
use rusqlite::{OptionalExtension, params};

use super::documents::{self, blob};
use super::error::StoreError;
use super::sqlite::{Store, write_tx};
use crate::ids::DocumentId;

/// One document a catch-up page said differs: the server's heads when it said so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingCatchUp {
    /// Which document.
    pub doc: DocumentId,
    /// The server's heads in that page.
    pub heads: Vec<ChangeHash>,
}

impl Store {
    /// The device's catch-up cursor: the server's change sequence up to which it has been told
    /// everything (0 before the first catch-up).
    pub fn catch_up_cursor(&self) -> Result<u64, StoreError> {
        let value: Option<String> = self
            .conn()
            .query_row(
                "SELECT value FROM meta WHERE key = 'catch_up_cursor'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        match value {
            None => Ok(0),
            Some(v) => v
                .parse()
                .map_err(|_| StoreError::corrupt(format!("catch-up cursor {v:?}"))),
        }
    }

    /// Stores the catch-up cursor.
    pub fn set_catch_up_cursor(&self, cursor: u64) -> Result<(), StoreError> {
        self.advance_catch_up(Some(cursor), &[])
    }

    /// Records `pending` (documents of a page or live notice that differ here) and moves the
    /// cursor, if given, in one transaction: the cursor never passes a document that is not
    /// recorded.
    pub fn advance_catch_up(
        &self,
        cursor: Option<u64>,
        pending: &[PendingCatchUp],
    ) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = write_tx(&mut conn)?;
        for entry in pending {
            let heads: Vec<u8> = entry.heads.iter().flat_map(|h| h.0).collect();
            tx.prepare_cached(
                "INSERT INTO catch_up_pending (doc_id, heads) VALUES (?1, ?2)
                 ON CONFLICT (doc_id) DO UPDATE SET heads = excluded.heads",
            )?
            .execute(params![entry.doc.as_bytes(), heads])?;
        }
        if let Some(cursor) = cursor {
            tx.prepare_cached(
                "INSERT INTO meta (key, value) VALUES ('catch_up_cursor', ?1)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )?
            .execute([cursor.to_string()])?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The recorded documents this device still lacks changes of, oldest record first;
    /// records whose heads the device now holds are dropped on the way.
    pub fn pending_catch_up(&self) -> Result<Vec<PendingCatchUp>, StoreError> {
        let recorded = {
            let conn = self.conn();
            let mut stmt =
                conn.prepare_cached("SELECT doc_id, heads FROM catch_up_pending ORDER BY rowid")?;
            let mut rows = stmt.query([])?;
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                let doc = documents::id_from_blob(blob(row, 0)?)?;
                let heads = documents::decode_heads(&doc, blob(row, 1)?)?;
                out.push(PendingCatchUp { doc, heads });
            }
            out
        };
        let mut still = Vec::new();
        for entry in recorded {
            if self.holds_all(entry.doc, &entry.heads)? {
                self.conn()
                    .prepare_cached("DELETE FROM catch_up_pending WHERE doc_id = ?1")?
                    .execute([entry.doc.as_bytes()])?;
            } else {
                still.push(entry);
            }
        }
        Ok(still)
    }

    /// Whether the stored `doc` contains every change in `heads`.
    fn holds_all(&self, doc: DocumentId, heads: &[ChangeHash]) -> Result<bool, StoreError> {
        if let Some(ours) = self.heads(doc)? {
            if heads.iter().all(|h| ours.contains(h)) {
                return Ok(true); // the common case, without loading the document
            }
        } else {
            return Ok(heads.is_empty());
        }
        let Some(mut loaded) = self.load_raw(doc)? else {
            return Ok(heads.is_empty());
        };
        Ok(heads.iter().all(|h| loaded.get_change_by_hash(h).is_some()))
    }
}

#[cfg(test)]
mod tests {
    use automerge::transaction::Transactable;
    use automerge::{AutoCommit, ROOT};

    use super::*;
    use crate::store::BatchWrite;

    #[test]
    fn a_pending_document_stays_recorded_until_its_changes_arrive() {
        let store = Store::open_in_memory().expect("store");
        let mut server_copy = AutoCommit::new();
        server_copy.put(ROOT, "client", "Acme").expect("put");
        let doc = DocumentId::new_random();
        let entry = PendingCatchUp {
            doc,
            heads: server_copy.get_heads(),
        };
        store
            .advance_catch_up(Some(7), std::slice::from_ref(&entry))
            .expect("advance");
        assert_eq!(store.catch_up_cursor().expect("cursor"), 7);
        // Not synced yet (the connection dropped): still pending, across calls.
        assert_eq!(
            store.pending_catch_up().expect("pending"),
            std::slice::from_ref(&entry)
        );
        assert_eq!(store.pending_catch_up().expect("pending"), [entry]);

        // The changes arrive, and the device edits on top: the record goes.
        let merge = |bytes: &[u8]| {
            let write = BatchWrite::Changes {
                doc,
                bytes,
                heads: None,
                base: None,
            };
            let outcomes = store.write_batch(&[write], |_| Ok(None)).expect("commit");
            assert!(outcomes[0].is_ok(), "{:?}", outcomes[0]);
        };
        merge(&server_copy.save());
        let mut ours = store.load_raw(doc).expect("load").expect("stored");
        let base = ours.get_heads();
        ours.put(ROOT, "note", "local").expect("put");
        merge(&ours.save_after(&base));
        assert!(store.pending_catch_up().expect("pending").is_empty());
        // A live notice moves no cursor.
        store.advance_catch_up(None, &[]).expect("notice");
        assert_eq!(store.catch_up_cursor().expect("cursor"), 7);
    }
}
