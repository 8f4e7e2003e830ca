//! `blobs.sqlite3`: what the blob service knows beside the bytes. Uploads in progress, stored
//! blobs (size, sniffed type, when stored), who uploaded each (*claims*: an uploader may read
//! their own upload), and which documents reference which blob (*refs*, what access and GC
//! are decided from).
//!
//! A file of its own, not a table of the documents database: uploads write here at their own
//! pace and never wait on (or hold up) the group commit of documents. WAL, `synchronous=FULL`,
//! one `user_version` migration path like the other databases.

use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};

use enlace_core::ids::DocumentId;
use rusqlite::{Connection, OptionalExtension, params};

use super::hash::{Sha256Hex, UploadId};

/// The file's name in the data directory.
pub const BLOBS_DATABASE_FILE: &str = "blobs.sqlite3";

/// Version 1: uploads, blobs, claims, refs, meta.
const SCHEMA_V1: &str = "
    CREATE TABLE uploads (
        id TEXT PRIMARY KEY,
        user_key TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        length INTEGER NOT NULL,
        filetype TEXT,
        created_ms INTEGER NOT NULL,
        touched_ms INTEGER NOT NULL
    );
    CREATE INDEX uploads_user ON uploads (user_key);
    CREATE TABLE blobs (
        sha256 TEXT PRIMARY KEY,
        bytes INTEGER NOT NULL,
        mime TEXT NOT NULL,
        stored_ms INTEGER NOT NULL
    );
    CREATE TABLE claims (
        sha256 TEXT NOT NULL,
        user_key TEXT NOT NULL,
        claimed_ms INTEGER NOT NULL,
        PRIMARY KEY (sha256, user_key)
    );
    CREATE INDEX claims_user ON claims (user_key);
    CREATE TABLE refs (
        doc_id BLOB NOT NULL,
        sha256 TEXT NOT NULL,
        PRIMARY KEY (doc_id, sha256)
    );
    CREATE INDEX refs_sha ON refs (sha256);
    CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
    -- Documents stored before this table existed may reference photos: rebuild from them.
    INSERT INTO meta (key, value) VALUES ('refs_dirty', 1), ('running', 0);
";

/// Most documents looked at when deciding who may read one blob.
pub const MAX_REFERRERS: usize = 1_000;

/// An upload in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRow {
    /// Its id.
    pub id: UploadId,
    /// Who is uploading (`org/user`).
    pub user: String,
    /// The hash it declared.
    pub sha256: Sha256Hex,
    /// `Upload-Length`.
    pub length: u64,
    /// The `filetype` it declared, if any (information only: the type is sniffed).
    pub filetype: Option<String>,
    /// When it was created, ms.
    pub created_ms: i64,
}

/// A stored blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobRow {
    /// Its size.
    pub bytes: u64,
    /// Its sniffed MIME type.
    pub mime: String,
    /// When it was stored, ms.
    pub stored_ms: i64,
}

/// What one user holds against their quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    /// Bytes of the blobs they uploaded (each counted once however often uploaded).
    pub stored_bytes: u64,
    /// `Upload-Length`s of their uploads in progress.
    pub open_bytes: u64,
    /// How many uploads they have in progress.
    pub open_uploads: u64,
}

/// See the [module docs](self).
#[derive(Debug)]
pub struct BlobDb {
    conn: Mutex<Connection>,
}

/// Statements run with their parse kept (`prepare_cached`): every upload runs the same few,
/// and parsing them again each time was a tenth of the server's CPU per photo.
trait Cached {
    fn run<P: rusqlite::Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize>;
    fn one<T, P, F>(&self, sql: &str, params: P, row: F) -> rusqlite::Result<T>
    where
        P: rusqlite::Params,
        F: FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>;
}

impl Cached for Connection {
    fn run<P: rusqlite::Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize> {
        self.prepare_cached(sql)?.execute(params)
    }

    fn one<T, P, F>(&self, sql: &str, params: P, row: F) -> rusqlite::Result<T>
    where
        P: rusqlite::Params,
        F: FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    {
        self.prepare_cached(sql)?.query_row(params, row)
    }
}

/// Runs `work` with `synchronous=NORMAL`, then sets `FULL` again: in WAL mode such a commit
/// survives the process dying but may be lost to a power cut, until the next `FULL` commit
/// syncs the log with it. Setting the pragma only flips a flag of the connection; if it ever
/// failed, the error is returned rather than swallowed.
fn lazily<T>(
    conn: &Connection,
    work: impl FnOnce(&Connection) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    let result = work(conn);
    conn.pragma_update(None, "synchronous", "FULL")?;
    result
}

fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl BlobDb {
    /// Opens (creating and migrating) `blobs.sqlite3` in `data_dir`.
    pub fn open(data_dir: &Path) -> rusqlite::Result<Self> {
        let conn = Connection::open(data_dir.join(BLOBS_DATABASE_FILE))?;
        conn.busy_timeout(enlace_core::store::BUSY_TIMEOUT)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        migrate(&conn)?;
        Ok(BlobDb {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A flag of the `meta` table.
    pub fn flag(&self, key: &str) -> rusqlite::Result<bool> {
        let value: Option<i64> = self
            .conn()
            .one("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?;
        Ok(value.unwrap_or(0) != 0)
    }

    /// Sets a flag of the `meta` table.
    pub fn set_flag(&self, key: &str, on: bool) -> rusqlite::Result<()> {
        self.conn().run(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, i64::from(on)],
        )?;
        Ok(())
    }

    /// Records a new upload. Without waiting for an fsync: an upload row lost to a power cut
    /// reads as an upload the server forgot, which a tus client creates again (tus allows a
    /// server to forget uploads), and the next durable commit (its first `PATCH`'s, or its
    /// finish) makes it durable anyway.
    pub fn create_upload(&self, row: &UploadRow) -> rusqlite::Result<()> {
        lazily(&self.conn(), |conn| {
            conn.run(
                "INSERT INTO uploads (id, user_key, sha256, length, filetype, created_ms, touched_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
                params![
                    row.id.as_str(),
                    row.user,
                    row.sha256.as_str(),
                    to_i64(row.length),
                    row.filetype,
                    row.created_ms
                ],
            )
        })?;
        Ok(())
    }

    /// An upload in progress, if it exists.
    pub fn upload(&self, id: &UploadId) -> rusqlite::Result<Option<UploadRow>> {
        self.conn()
            .one(
                "SELECT id, user_key, sha256, length, filetype, created_ms FROM uploads
                 WHERE id = ?1",
                [id.as_str()],
                upload_row,
            )
            .optional()
            .map(Option::flatten)
    }

    /// Every upload in progress (bounded by the per-user limit times the users).
    pub fn uploads(&self) -> rusqlite::Result<Vec<UploadRow>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT id, user_key, sha256, length, filetype, created_ms FROM uploads ORDER BY id",
        )?;
        let rows = stmt.query_map([], upload_row)?;
        rows.filter_map(Result::transpose).collect()
    }

    /// Uploads not written to since `before_ms`.
    pub fn stale_uploads(&self, before_ms: i64) -> rusqlite::Result<Vec<UploadId>> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT id FROM uploads WHERE touched_ms < ?1")?;
        let ids = stmt.query_map([before_ms], |r| r.get::<_, String>(0))?;
        Ok(ids
            .filter_map(Result::ok)
            .filter_map(|id| id.parse().ok())
            .collect())
    }

    /// The upload was written to. Without waiting for an fsync: the time only decides when an
    /// idle upload expires.
    pub fn touch_upload(&self, id: &UploadId, now_ms: i64) -> rusqlite::Result<()> {
        lazily(&self.conn(), |conn| {
            conn.run(
                "UPDATE uploads SET touched_ms = ?2 WHERE id = ?1",
                params![id.as_str(), now_ms],
            )
        })?;
        Ok(())
    }

    /// Forgets an upload.
    pub fn delete_upload(&self, id: &UploadId) -> rusqlite::Result<()> {
        self.conn()
            .run("DELETE FROM uploads WHERE id = ?1", [id.as_str()])?;
        Ok(())
    }

    /// What `user` holds against their quota.
    pub fn usage(&self, user: &str) -> rusqlite::Result<Usage> {
        let conn = self.conn();
        let stored: i64 = conn.one(
            "SELECT COALESCE(SUM(b.bytes), 0) FROM claims c JOIN blobs b ON b.sha256 = c.sha256
             WHERE c.user_key = ?1",
            [user],
            |r| r.get(0),
        )?;
        let (open_bytes, open_uploads): (i64, i64) = conn.one(
            "SELECT COALESCE(SUM(length), 0), COUNT(*) FROM uploads WHERE user_key = ?1",
            [user],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(Usage {
            stored_bytes: to_u64(stored),
            open_bytes: to_u64(open_bytes),
            open_uploads: to_u64(open_uploads),
        })
    }

    /// A finished upload: the blob is recorded (if new), its uploader claims it, and the upload
    /// is forgotten, in one transaction. `true` if the blob row is new.
    pub fn finish_upload(
        &self,
        upload: &UploadRow,
        mime: &str,
        now_ms: i64,
    ) -> rusqlite::Result<bool> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let new = tx.run(
            "INSERT OR IGNORE INTO blobs (sha256, bytes, mime, stored_ms) VALUES (?1, ?2, ?3, ?4)",
            params![upload.sha256.as_str(), to_i64(upload.length), mime, now_ms],
        )? == 1;
        tx.run(
            "INSERT INTO claims (sha256, user_key, claimed_ms) VALUES (?1, ?2, ?3)
             ON CONFLICT (sha256, user_key) DO UPDATE SET claimed_ms = excluded.claimed_ms",
            params![upload.sha256.as_str(), upload.user, now_ms],
        )?;
        tx.run("DELETE FROM uploads WHERE id = ?1", [upload.id.as_str()])?;
        tx.commit()?;
        Ok(new)
    }

    /// A stored blob, if it is recorded.
    pub fn blob(&self, sha: &Sha256Hex) -> rusqlite::Result<Option<BlobRow>> {
        self.conn()
            .one(
                "SELECT bytes, mime, stored_ms FROM blobs WHERE sha256 = ?1",
                [sha.as_str()],
                |r| {
                    Ok(BlobRow {
                        bytes: to_u64(r.get(0)?),
                        mime: r.get(1)?,
                        stored_ms: r.get(2)?,
                    })
                },
            )
            .optional()
    }

    /// Records a blob found in the store with no row (a crash between the two), as stored now.
    pub fn adopt(
        &self,
        sha: &Sha256Hex,
        bytes: u64,
        mime: &str,
        now_ms: i64,
    ) -> rusqlite::Result<()> {
        self.conn().run(
            "INSERT OR IGNORE INTO blobs (sha256, bytes, mime, stored_ms) VALUES (?1, ?2, ?3, ?4)",
            params![sha.as_str(), to_i64(bytes), mime, now_ms],
        )?;
        Ok(())
    }

    /// Whether `user` uploaded `sha`.
    pub fn claimed_by(&self, sha: &Sha256Hex, user: &str) -> rusqlite::Result<bool> {
        self.conn()
            .one(
                "SELECT 1 FROM claims WHERE sha256 = ?1 AND user_key = ?2",
                params![sha.as_str(), user],
                |_| Ok(()),
            )
            .optional()
            .map(|found| found.is_some())
    }

    /// Documents whose content references `sha` (at most [`MAX_REFERRERS`]).
    pub fn referrers(&self, sha: &Sha256Hex) -> rusqlite::Result<Vec<DocumentId>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached("SELECT doc_id FROM refs WHERE sha256 = ?1 LIMIT ?2")?;
        let docs = stmt.query_map(params![sha.as_str(), MAX_REFERRERS as i64], |r| {
            r.get::<_, Vec<u8>>(0)
        })?;
        Ok(docs
            .filter_map(Result::ok)
            .filter_map(|bytes| <[u8; 16]>::try_from(bytes).ok())
            .map(DocumentId::from_bytes)
            .collect())
    }

    /// Sets the blobs `doc` references, replacing what it referenced before, for a batch of
    /// documents in one transaction.
    pub fn replace_refs<'a>(
        &self,
        docs: impl IntoIterator<Item = (&'a DocumentId, &'a [Sha256Hex])>,
    ) -> rusqlite::Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        for (doc, hashes) in docs {
            tx.run("DELETE FROM refs WHERE doc_id = ?1", [&doc.as_bytes()[..]])?;
            let mut insert =
                tx.prepare_cached("INSERT OR IGNORE INTO refs (doc_id, sha256) VALUES (?1, ?2)")?;
            for sha in hashes {
                insert.execute(params![&doc.as_bytes()[..], sha.as_str()])?;
            }
        }
        tx.commit()
    }

    /// Up to `limit` blobs stored at or before `cutoff_ms` that no document references, no
    /// upload in progress names and nobody claimed after `cutoff_ms`: what GC may remove.
    pub fn collectable(
        &self,
        cutoff_ms: i64,
        limit: usize,
    ) -> rusqlite::Result<Vec<(Sha256Hex, u64)>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT b.sha256, b.bytes FROM blobs b WHERE {COLLECTABLE} LIMIT ?2"
        ))?;
        let rows = stmt.query_map(params![cutoff_ms, limit as i64], |r| {
            Ok((r.get::<_, String>(0)?, to_u64(r.get(1)?)))
        })?;
        Ok(rows
            .filter_map(Result::ok)
            .filter_map(|(sha, bytes)| Some((sha.parse().ok()?, bytes)))
            .collect())
    }

    /// Forgets a blob GC chose, if it is still collectable (checked again in the same
    /// statement, so a reference or claim that arrived meanwhile keeps it). `true` if it was
    /// forgotten: the caller then deletes its bytes.
    pub fn forget_if_collectable(&self, sha: &Sha256Hex, cutoff_ms: i64) -> rusqlite::Result<bool> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let gone = tx.run(
            &format!("DELETE FROM blobs AS b WHERE b.sha256 = ?3 AND {COLLECTABLE}"),
            params![cutoff_ms, 0i64, sha.as_str()],
        )? == 1;
        if gone {
            tx.run("DELETE FROM claims WHERE sha256 = ?1", [sha.as_str()])?;
        }
        tx.commit()?;
        Ok(gone)
    }

    /// How many blobs are recorded, and their bytes.
    pub fn totals(&self) -> rusqlite::Result<(u64, u64)> {
        self.conn().one(
            "SELECT COUNT(*), COALESCE(SUM(bytes), 0) FROM blobs",
            [],
            |r| Ok((to_u64(r.get(0)?), to_u64(r.get(1)?))),
        )
    }
}

/// The condition on a blob row `b` (and `?1`, the cutoff) under which GC may remove it.
const COLLECTABLE: &str = "b.stored_ms <= ?1
    AND NOT EXISTS (SELECT 1 FROM refs r WHERE r.sha256 = b.sha256)
    AND NOT EXISTS (SELECT 1 FROM claims c WHERE c.sha256 = b.sha256 AND c.claimed_ms > ?1)
    AND NOT EXISTS (SELECT 1 FROM uploads u WHERE u.sha256 = b.sha256)";

/// A row of `uploads`; `None` for one whose ids no longer parse (never written so).
fn upload_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Option<UploadRow>> {
    let (id, sha): (String, String) = (r.get(0)?, r.get(2)?);
    let (Ok(id), Ok(sha256)) = (id.parse(), sha.parse()) else {
        return Ok(None);
    };
    Ok(Some(UploadRow {
        id,
        user: r.get(1)?,
        sha256,
        length: to_u64(r.get(3)?),
        filetype: r.get(4)?,
        created_ms: r.get(5)?,
    }))
}

/// The one migration path: each version's script, in one transaction with its `user_version`.
fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version < 1 {
        conn.execute_batch(&format!(
            "BEGIN IMMEDIATE; {SCHEMA_V1} PRAGMA user_version = 1; COMMIT;"
        ))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upload(user: &str, sha: &Sha256Hex, length: u64) -> UploadRow {
        UploadRow {
            id: UploadId::new_random().expect("id"),
            user: user.into(),
            sha256: sha.clone(),
            length,
            filetype: Some("image/jpeg".into()),
            created_ms: 10,
        }
    }

    #[test]
    fn uploads_claims_refs_and_collectable_blobs() {
        let dir = tempfile::tempdir().expect("dir");
        let db = BlobDb::open(dir.path()).expect("open");
        assert!(
            db.flag("refs_dirty").expect("flag"),
            "a new index is rebuilt"
        );
        let (a, b) = (Sha256Hex::of(b"a"), Sha256Hex::of(b"b"));
        let up = upload("andes/jr", &a, 100);
        db.create_upload(&up).expect("create");
        assert_eq!(db.upload(&up.id).expect("read"), Some(up.clone()));
        let usage = db.usage("andes/jr").expect("usage");
        assert_eq!((usage.open_bytes, usage.open_uploads), (100, 1));
        assert!(db.finish_upload(&up, "image/jpeg", 20).expect("finish"));
        assert!(db.upload(&up.id).expect("read").is_none());
        assert_eq!(db.usage("andes/jr").expect("usage").stored_bytes, 100);
        assert!(db.claimed_by(&a, "andes/jr").expect("claim"));
        assert!(!db.claimed_by(&a, "andes/ae").expect("claim"));
        let up_b = upload("andes/ae", &b, 5);
        db.finish_upload(&up_b, "image/png", 20).expect("finish");
        let doc = DocumentId::new_random();
        db.replace_refs([(&doc, &[a.clone()][..])]).expect("refs");
        assert_eq!(db.referrers(&a).expect("refs"), vec![doc]);
        // Claimed at 20: not collectable with a cutoff before it; `a` is referenced.
        assert!(db.collectable(19, 10).expect("gc").is_empty());
        assert_eq!(db.collectable(25, 10).expect("gc"), vec![(b.clone(), 5)]);
        assert!(db.forget_if_collectable(&b, 25).expect("forget"));
        assert!(!db.forget_if_collectable(&a, 25).expect("forget"));
        db.replace_refs([(&doc, &[][..])]).expect("refs");
        assert_eq!(db.collectable(25, 10).expect("gc"), vec![(a, 100)]);
        assert_eq!(db.totals().expect("totals"), (1, 100));
    }
}
