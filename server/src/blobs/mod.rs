//! Photo blobs: the bytes of the photos documents reference (`PhotoRef`), uploaded resumably
//! over tus 1.0, served with the access of the documents that reference them, thumbnailed, and
//! collected when nothing references them any more. `docs/blobs.md` is the contract.
//!
//! Layout, one job per file:
//! - `hash`: the ids ([`Sha256Hex`], [`UploadId`]) and hashing; `sniff`: what image the first
//!   bytes are.
//! - `store` ([`BlobStore`]) and `fs_store` ([`FsBlobStore`]): where finished blobs live (the
//!   seam for an object store).
//! - `db`: `blobs.sqlite3`: uploads, blobs, uploaders' claims, document references.
//! - `refs`: which blobs each document references, kept up to date from the engine's vetting
//!   of changes, and rebuilt from the stored documents after an unclean stop.
//! - `upload`: uploads in progress (create, offset, append, verify, store); `tus`: their HTTP
//!   face; `caller`: bearer or ticket.
//! - `download` and `range`: `GET`/`HEAD` of a blob with ranges and validators;
//!   `thumbnail`: small JPEGs made once and cached.
//! - `gc`: removing unreferenced blobs after the grace period, and expired uploads.
//! - `error`, `metrics`, `config`.

mod caller;
pub mod config;
pub mod db;
mod download;
pub mod error;
pub mod fs_store;
pub mod gc;
pub mod hash;
pub mod metrics;
mod range;
pub mod refs;
pub(crate) mod routes;
pub mod sniff;
pub mod store;
mod thumbnail;
mod tus;
mod upload;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use config::BlobLimits;
pub use error::BlobError;
pub use fs_store::FsBlobStore;
pub use hash::{Sha256Hex, UploadId};
pub use store::BlobStore;

use crate::access::SharedAccess;
use crate::directory::UserKey;
use crate::metrics::Metrics;
use db::{BlobDb, BlobRow};
use refs::RefIndexer;
use sniff::{SNIFF_LEN, Sniff, sniff};
use upload::blocking;

/// Where blobs live under the data directory.
pub const BLOBS_DIR: &str = "blobs";

/// The blob store, thumbnail store and upload temp directory of a data directory.
pub fn stores_in(data_dir: &Path) -> (Arc<dyn BlobStore>, Arc<dyn BlobStore>, PathBuf) {
    let root = data_dir.join(BLOBS_DIR);
    (
        Arc::new(FsBlobStore::new(root.clone())),
        Arc::new(FsBlobStore::new(root.join("thumbnails"))),
        root.join("uploads"),
    )
}

/// The blob service of a running server.
#[derive(Debug)]
pub struct Blobs {
    db: Arc<BlobDb>,
    store: Arc<dyn BlobStore>,
    thumbnails: Arc<dyn BlobStore>,
    temp_dir: PathBuf,
    limits: BlobLimits,
    metrics: Arc<Metrics>,
    access: Arc<SharedAccess>,
    indexer: Arc<RefIndexer>,
    busy: upload::Busy,
    creating: tokio::sync::Mutex<()>,
    /// Thumbnails decoded at once (each may take tens of MB while it decodes).
    thumbnailing: tokio::sync::Semaphore,
}

impl Blobs {
    /// Opens the blob service of `data_dir` (blocking): the database, the stores, the reference
    /// indexer (which rebuilds the index first if the last run did not stop cleanly), and
    /// recovers the uploads in progress.
    pub(crate) fn open(
        data_dir: &Path,
        documents: PathBuf,
        limits: BlobLimits,
        metrics: Arc<Metrics>,
        access: Arc<SharedAccess>,
    ) -> Result<Self, BlobError> {
        let db = Arc::new(BlobDb::open(data_dir)?);
        if db.flag("running")? {
            tracing::warn!(
                "the last run did not stop cleanly: rebuilding the blob reference index"
            );
            db.set_flag("refs_dirty", true)?;
        }
        db.set_flag("running", true)?;
        let (store, thumbnails, temp_dir) = stores_in(data_dir);
        std::fs::create_dir_all(&temp_dir).map_err(BlobError::file("create", &temp_dir))?;
        let (blobs, bytes) = db.totals()?;
        metrics.blobs.set_stored(blobs, bytes);
        let indexer = RefIndexer::start(db.clone(), documents)
            .map_err(BlobError::file("start the reference thread for", data_dir))?;
        Ok(Blobs {
            db,
            store,
            thumbnails,
            temp_dir,
            limits,
            metrics,
            access,
            indexer,
            busy: upload::Busy::default(),
            creating: tokio::sync::Mutex::new(()),
            thumbnailing: tokio::sync::Semaphore::new(2),
        })
    }

    /// The indexer the engine's policy tells of accepted changes.
    pub(crate) fn indexer(&self) -> Arc<RefIndexer> {
        self.indexer.clone()
    }

    /// The limits in force.
    pub(crate) fn limits(&self) -> &BlobLimits {
        &self.limits
    }

    /// At shutdown, after the engine stopped: writes the queued references and marks the stop
    /// clean.
    pub(crate) fn finish(&self) {
        self.indexer.finish();
        if let Err(error) = self.db.set_flag("running", false) {
            tracing::error!(%error, "marking the blob index clean failed");
        }
    }

    /// After a restart: every upload's temp file is fsynced (so the offset a `HEAD` reports is
    /// on disk); an upload whose temp file is gone because its blob was stored just before the
    /// crash is finished; one with neither is forgotten.
    pub(crate) async fn recover(&self) -> Result<(), BlobError> {
        let db = self.db.clone();
        let uploads = blocking(move || Ok(db.uploads()?)).await?;
        for row in uploads {
            let path = self.temp_dir.join(format!("{}.part", row.id));
            let synced = path.clone();
            let present =
                blocking(
                    move || match std::fs::OpenOptions::new().write(true).open(&synced) {
                        Ok(file) => file
                            .sync_all()
                            .map(|()| true)
                            .map_err(BlobError::file("fsync", &synced)),
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
                        Err(e) => Err(BlobError::file("open", &synced)(e)),
                    },
                )
                .await?;
            if present {
                continue;
            }
            match self.sniff_stored(&row.sha256).await? {
                Some(Sniff::Image(kind)) => self.record_finished(&row, kind).await?,
                _ => self.discard(&row.id).await?,
            }
        }
        Ok(())
    }

    /// One garbage collection now, on a blocking thread's worth of SQLite, and the stored-blob
    /// gauges refreshed.
    pub(crate) async fn collect_garbage(&self) -> Result<gc::GcReport, BlobError> {
        let target = gc::GcTarget {
            db: &self.db,
            store: self.store.as_ref(),
            thumbnails: self.thumbnails.as_ref(),
            temp_dir: &self.temp_dir,
        };
        let report = gc::collect(target, &self.limits, crate::directory::now_ms()).await?;
        Metrics::add(&self.metrics.blobs.gc_removed, report.removed.len() as u64);
        let (blobs, bytes) = self.db.totals()?;
        self.metrics.blobs.set_stored(blobs, bytes);
        Ok(report)
    }

    /// What the first bytes of a stored blob are, or `None` if it is not stored.
    async fn sniff_stored(&self, sha: &Sha256Hex) -> Result<Option<Sniff>, BlobError> {
        sniff_head(self.store.as_ref(), sha).await
    }

    /// The blob `sha` if `user` may read it: they uploaded it, or they may read a document
    /// whose content references it. `None` for everything else (a malformed hash, a blob that
    /// does not exist, one they may not read), which the routes answer all alike.
    pub(crate) async fn readable(
        &self,
        user: &UserKey,
        sha: &str,
    ) -> Result<Option<(Sha256Hex, BlobRow)>, BlobError> {
        let Ok(sha) = sha.parse::<Sha256Hex>() else {
            return Ok(None);
        };
        let (db, key, lookup) = (self.db.clone(), user.to_string(), sha.clone());
        let found = blocking(move || {
            let Some(row) = db.blob(&lookup)? else {
                return Ok(None);
            };
            let claimed = db.claimed_by(&lookup, &key)?;
            let referrers = if claimed {
                Vec::new()
            } else {
                db.referrers(&lookup)?
            };
            Ok(Some((row, claimed, referrers)))
        })
        .await?;
        let Some((row, claimed, referrers)) = found else {
            return Ok(None);
        };
        // Decided now, against the live directory: someone taken off the account stops
        // reading its photos at once.
        let may = claimed
            || referrers
                .iter()
                .any(|doc| self.access.document_access(user, doc).0.can_read());
        Ok(may.then_some((sha, row)))
    }
}

/// Reads the first bytes of a blob through a store and sniffs them.
pub(crate) async fn sniff_head(
    store: &dyn BlobStore,
    sha: &Sha256Hex,
) -> Result<Option<Sniff>, BlobError> {
    use futures_util::StreamExt;
    let Some(mut reader) = store.open(sha, Some((0, SNIFF_LEN as u64 - 1))).await? else {
        return Ok(None);
    };
    let mut head = Vec::with_capacity(SNIFF_LEN);
    while let Some(chunk) = reader.bytes.next().await {
        let chunk = chunk.map_err(|e| BlobError::File {
            op: "read",
            path: PathBuf::from(sha.as_str()),
            source: e,
        })?;
        head.extend_from_slice(&chunk);
    }
    Ok(Some(sniff(&head, true)))
}
