//! Catch-up pages (`enlace-changes`) as a device sees them: only documents it may read, paged
//! and numbered as if nobody else wrote anything.
//!
//! The store keeps one change sequence for all organisations. A page cut from that sequence and
//! filtered afterwards would show others' activity twice over: in the cursor (how far the
//! sequence moved) and in the page boundaries (short or empty pages with `more` set, where
//! invisible entries were cut out). So the scan filters first: it reads the sequence in chunks,
//! keeps what the connection may read (the same decision the engine makes), and stops once it
//! holds `limit` documents and knows whether one more follows. The cursor it hands out is the
//! sequence of the page's last document, sealed ([`crate::cursor`]); a page with nothing new
//! hands back the cursor it was asked from.
//!
//! What the device sees is then a function of the documents it may read: their order, their
//! heads, and cursors that look random. What remains, by design:
//! - A scan reads at most [`SCAN_BUDGET`] entries per request, so one request cannot make the
//!   loader walk the whole store. When that many entries lie between the cursor and the end of
//!   the page (its `limit` documents and the one after), the answer stops there: `more` set, the
//!   cursor past the entries scanned. A device can thus tell, from a short page with `more` set
//!   or a page with `more` set followed by an empty one, that more than `SCAN_BUDGET - limit`
//!   documents it may not read were written in that window, and nothing finer.
//! - The time an answer takes grows with the entries scanned.

use std::sync::Arc;

use automerge::ChangeHash;
use enlace_core::ids::DocumentId;
use enlace_core::store::{Store, StoreError};
use enlace_core::sync::ConnectionId;

use crate::access::SharedAccess;
use crate::cursor::CursorKey;

/// Largest catch-up page served, whatever a client asks for.
pub(crate) const MAX_CHANGES_PAGE: u64 = 1000;

/// Most store entries one request scans. Ten full pages: a device that may read one document
/// in ten still fills a page in one request.
pub(crate) const SCAN_BUDGET: usize = 10_000;

/// Store entries read per query of a scan.
const SCAN_CHUNK: u32 = 1000;

/// One answer to a catch-up request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Page {
    /// The documents, with their current heads.
    pub changes: Vec<(DocumentId, Vec<ChangeHash>)>,
    /// The sealed cursor to ask from next.
    pub cursor: u64,
    /// Whether more documents follow.
    pub more: bool,
}

/// Serves catch-up pages: the cursor key and, on an authenticating server, who may read what.
#[derive(Debug)]
pub(crate) struct CatchUp {
    key: CursorKey,
    /// `None` on an open server: everybody reads everything.
    access: Option<Arc<SharedAccess>>,
}

impl CatchUp {
    pub(crate) fn new(key: CursorKey, access: Option<Arc<SharedAccess>>) -> Self {
        CatchUp { key, access }
    }

    /// The page after cursor `since` for connection `conn`, at most `limit` documents (clamped
    /// to 1..=[`MAX_CHANGES_PAGE`]). A cursor this server did not seal reads as 0: the device
    /// gets everything it may read.
    pub(crate) fn page(
        &self,
        store: &Store,
        conn: ConnectionId,
        since: u64,
        limit: u64,
    ) -> Result<Page, StoreError> {
        let limit = usize::try_from(limit.clamp(1, MAX_CHANGES_PAGE)).unwrap_or(1);
        let newest = u64::try_from(store.latest_change_seq()?).unwrap_or(0);
        let start = self.key.open(since, newest).unwrap_or(0);
        let scan = scan(
            start,
            limit,
            SCAN_BUDGET,
            |after, n| store.changed_since(i64::try_from(after).unwrap_or(i64::MAX), n),
            |docs| match &self.access {
                Some(access) => access.readable(conn, docs),
                None => vec![true; docs.len()],
            },
        )?;
        let mut changes = Vec::with_capacity(scan.docs.len());
        for doc in scan.docs {
            // Gone since the scan (deleted): nothing to sync.
            if let Some(heads) = store.heads(doc)? {
                changes.push((doc, heads));
            }
        }
        let Some(cursor) = self.key.seal(scan.last) else {
            tracing::error!(
                seq = scan.last,
                "the change sequence is past what a cursor holds; the cursor stays"
            );
            return Ok(Page {
                changes,
                cursor: since,
                more: false,
            });
        };
        Ok(Page {
            changes,
            cursor,
            more: scan.more,
        })
    }
}

/// What a scan found.
#[derive(Debug, PartialEq, Eq)]
struct Scan {
    /// The readable documents, in sequence order.
    docs: Vec<DocumentId>,
    /// The sequence to resume after.
    last: u64,
    more: bool,
}

/// Scans the sequence after `start` with `rows(after, n)` (at most `n` entries after `after`,
/// in sequence order) for up to `limit` documents `readable` allows, reading at most `budget`
/// entries. `last` is the sequence of the last document kept (or `start`), so that invisible
/// entries after it leave no trace; only a scan that spends its budget moves past them.
fn scan(
    start: u64,
    limit: usize,
    budget: usize,
    mut rows: impl FnMut(u64, u32) -> Result<Vec<(DocumentId, i64)>, StoreError>,
    mut readable: impl FnMut(&[DocumentId]) -> Vec<bool>,
) -> Result<Scan, StoreError> {
    let mut docs = Vec::new();
    let mut last = start;
    let mut scanned_to = start;
    let mut scanned = 0;
    loop {
        let want = budget.saturating_sub(scanned).min(SCAN_CHUNK as usize);
        if want == 0 {
            // Everything between `last` and `scanned_to` is unreadable: step over it.
            return Ok(Scan {
                docs,
                last: scanned_to,
                more: true,
            });
        }
        let chunk = rows(scanned_to, u32::try_from(want).unwrap_or(SCAN_CHUNK))?;
        scanned += chunk.len();
        let ids: Vec<DocumentId> = chunk.iter().map(|(doc, _)| *doc).collect();
        let allowed = readable(&ids);
        for ((doc, seq), allowed) in chunk.iter().zip(allowed) {
            let Ok(seq) = u64::try_from(*seq) else {
                continue;
            };
            scanned_to = seq;
            if !allowed {
                continue;
            }
            if docs.len() == limit {
                return Ok(Scan {
                    docs,
                    last,
                    more: true,
                });
            }
            docs.push(*doc);
            last = seq;
        }
        if chunk.len() < want {
            return Ok(Scan {
                docs,
                last,
                more: false,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A store of `n` entries, sequence 1..=n, each readable or not.
    struct Fake {
        entries: Vec<(DocumentId, i64, bool)>,
        queries: usize,
    }

    impl Fake {
        fn new(readable: impl Fn(i64) -> bool, n: i64) -> Self {
            Fake {
                entries: (1..=n)
                    .map(|seq| (DocumentId::new_random(), seq, readable(seq)))
                    .collect(),
                queries: 0,
            }
        }

        fn scan(&mut self, start: u64, limit: usize, budget: usize) -> Scan {
            let entries = self.entries.clone();
            let queries = &mut self.queries;
            scan(
                start,
                limit,
                budget,
                |after, n| {
                    *queries += 1;
                    Ok(entries
                        .iter()
                        .filter(|(_, seq, _)| *seq as u64 > after)
                        .take(n as usize)
                        .map(|(doc, seq, _)| (*doc, *seq))
                        .collect())
                },
                |docs| {
                    docs.iter()
                        .map(|d| entries.iter().any(|(e, _, r)| e == d && *r))
                        .collect()
                },
            )
            .expect("scan")
        }

        fn readable_docs(&self) -> Vec<DocumentId> {
            self.entries
                .iter()
                .filter(|(_, _, r)| *r)
                .map(|(d, _, _)| *d)
                .collect()
        }

        fn seq_of(&self, doc: DocumentId) -> u64 {
            self.entries
                .iter()
                .find(|(d, _, _)| *d == doc)
                .map(|(_, s, _)| *s as u64)
                .expect("entry")
        }
    }

    /// Every page of a catch-up from 0, as (documents, more).
    fn pages(fake: &mut Fake, limit: usize, budget: usize) -> Vec<(Vec<DocumentId>, bool)> {
        let mut out = Vec::new();
        let mut at = 0;
        loop {
            let scan = fake.scan(at, limit, budget);
            at = scan.last;
            out.push((scan.docs, scan.more));
            if !scan.more {
                return out;
            }
        }
    }

    #[test]
    fn unreadable_entries_change_neither_pages_nor_where_they_end() {
        // Five readable entries at sequences 3, 10, 11, 500 and 2400, among 2500.
        let mut fake = Fake::new(|seq| [3, 10, 11, 500, 2400].contains(&seq), 2500);
        let readable = fake.readable_docs();
        let got = pages(&mut fake, 2, SCAN_BUDGET);
        assert_eq!(
            got,
            vec![
                (readable[0..2].to_vec(), true),
                (readable[2..4].to_vec(), true),
                (readable[4..5].to_vec(), false),
            ]
        );
        // A page ends at its last document, not at the unreadable entries after it.
        let first = fake.scan(0, 2, SCAN_BUDGET);
        assert_eq!(first.last, fake.seq_of(readable[1]));
        let last = fake.scan(fake.seq_of(readable[4]), 2, SCAN_BUDGET);
        assert_eq!((last.docs.len(), last.last, last.more), (0, 2400, false));
    }

    #[test]
    fn a_full_page_is_only_marked_more_when_another_document_follows() {
        let mut fake = Fake::new(|seq| seq <= 4, 3000);
        let scan = fake.scan(0, 4, SCAN_BUDGET);
        assert_eq!((scan.docs.len(), scan.more, scan.last), (4, false, 4));
    }

    #[test]
    fn a_spent_budget_steps_over_what_it_scanned() {
        // Readable: 1, then nothing until 2501.
        let mut fake = Fake::new(|seq| seq == 1 || seq == 2501, 2600);
        let first = fake.scan(0, 10, 1000);
        assert_eq!((first.docs.len(), first.last, first.more), (1, 1000, true));
        let second = fake.scan(first.last, 10, 1000);
        assert_eq!(
            (second.docs.len(), second.last, second.more),
            (0, 2000, true)
        );
        let third = fake.scan(second.last, 10, 1000);
        assert_eq!((third.docs.len(), third.last, third.more), (1, 2501, false));
    }

    #[test]
    fn scans_read_in_chunks_within_the_budget() {
        let mut fake = Fake::new(|_| false, 50_000);
        let scan = fake.scan(0, 10, SCAN_BUDGET);
        assert_eq!(scan.last, SCAN_BUDGET as u64);
        assert_eq!(fake.queries, SCAN_BUDGET / SCAN_CHUNK as usize);
    }
}
