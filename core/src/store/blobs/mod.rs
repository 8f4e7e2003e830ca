//! Photos on the phone: the bytes beside the store, addressed by their SHA-256, and the queue
//! that gets them to the server.
//!
//! [`Store::attach_photo`] copies the photo into the store's blob directory (`<store
//! file>.blobs/`) while hashing it, then, in one transaction, queues it for upload and adds its
//! [`PhotoRef`] to the document: after a crash the document never names a photo the phone does
//! not hold. The device client's uploader (`client::uploads`) sends queued blobs when online and
//! records what the server holds after every piece, so an interrupted upload resumes where it
//! stopped. Photos taken on other phones are downloaded on demand into the same directory; the
//! downloaded ones (and uploaded ones) form a cache bounded by bytes
//! ([`Store::set_photo_cache_budget`]) that never evicts a photo the server does not hold yet.

mod files;
mod table;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

pub(crate) use files::BlobDir;
pub use files::sniff_image;
pub use table::PendingUpload;

use super::Store;
use super::error::StoreError;
use crate::ids::{DocumentId, EntityId};
use crate::model::edit::Editable;
use crate::model::photo::{MAX_PHOTO_BYTES, is_sha256_hex};
use crate::model::{GeoPoint, Instant, PhotoKind, PhotoRef};

/// The photo cache's default budget: downloaded and uploaded photos beyond it are evicted,
/// least recently used first.
pub const DEFAULT_PHOTO_CACHE_BYTES: u64 = 256 * 1024 * 1024;

/// A blob's address: the lower-case hex SHA-256 of its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlobHash(String);

impl BlobHash {
    /// Reads 64 lower-case hex digits.
    pub fn parse(s: &str) -> Option<BlobHash> {
        is_sha256_hex(s).then(|| BlobHash(s.to_owned()))
    }

    pub(crate) fn of_digest(digest: &[u8]) -> BlobHash {
        use std::fmt::Write;
        let mut s = String::with_capacity(64);
        for b in digest {
            // Writing to a String cannot fail.
            let _ = write!(s, "{b:02x}");
        }
        BlobHash(s)
    }

    /// The hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for BlobHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a photo's bytes are.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum PhotoStatus {
    /// Taken here, not sent yet (offline, or waiting its turn).
    OnlyOnThisPhone,
    /// Being sent: the server holds `sent` of `total` bytes.
    Uploading {
        /// Bytes the server holds.
        sent: u64,
        /// The photo's size.
        total: u64,
    },
    /// The server holds it: teammates can see it.
    OnServer,
    /// The server refused it for good (not an image it takes, too large, damaged on the
    /// phone); it is not retried.
    Refused {
        /// The server's reason.
        reason: String,
    },
    /// Not in this phone's queue: taken on another phone (download it to show it).
    Elsewhere,
}

/// What the app says about a photo it attaches; the store adds the hash, type and size.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct NewPhoto {
    /// The photo's id in the document (its key in `photos`).
    pub id: EntityId,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// When it was taken.
    pub taken_at: Option<Instant>,
    /// Where it was taken.
    pub geo: Option<GeoPoint>,
    /// What it shows.
    pub kind: PhotoKind,
    /// A short caption.
    pub caption: String,
}

/// Why a photo could not be attached or read.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// The store is in memory: photos need a store on disk.
    #[error("photos need a store on disk")]
    NoBlobDirectory,
    /// The bytes are not a JPEG, PNG, WebP or HEIC image.
    #[error("not a JPEG, PNG, WebP or HEIC image")]
    NotAnImage,
    /// The photo is empty or larger than the cap.
    #[error("a photo must have between 1 and {max} bytes")]
    Size {
        /// The cap.
        max: u64,
    },
    /// The photo is not on this phone.
    #[error("photo {0} is not on this phone")]
    NotHere(BlobHash),
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

impl Store {
    fn blob_dir(&self) -> Result<&BlobDir, StoreError> {
        self.blobs.as_ref().ok_or(BlobError::NoBlobDirectory.into())
    }

    /// Attaches the photo read from `source` to document `doc`: the bytes are copied beside
    /// the store and hashed (never held whole in memory), then one transaction queues them for
    /// upload and applies `edit(reference)`, the edit that adds the [`PhotoRef`] to the
    /// document (`|photo| StorecheckEdit::AddPhoto { photo, line }`). Returns the reference.
    /// Refused, with nothing written: bytes that are not an image, an empty or oversized
    /// photo, a document that is missing or of another kind, an edit the model refuses.
    pub fn attach_photo<D: Editable>(
        &self,
        doc: DocumentId,
        source: &mut dyn Read,
        photo: NewPhoto,
        edit: impl FnOnce(PhotoRef) -> D::Edit,
    ) -> Result<PhotoRef, StoreError> {
        let blobs = self.blob_dir()?;
        let written = match blobs.write(source, MAX_PHOTO_BYTES) {
            Ok(w) => w,
            Err(e) if e.kind() == std::io::ErrorKind::FileTooLarge => {
                return Err(BlobError::Size {
                    max: MAX_PHOTO_BYTES,
                }
                .into());
            }
            Err(e) => return Err(e.into()),
        };
        let refused = match sniff_image(&written.head) {
            _ if written.bytes == 0 => Some(BlobError::Size {
                max: MAX_PHOTO_BYTES,
            }),
            None => Some(BlobError::NotAnImage),
            Some(_) => None,
        };
        if let Some(why) = refused {
            blobs.discard(written)?;
            return Err(why.into());
        }
        let mime = sniff_image(&written.head).unwrap_or("image/jpeg");
        let reference = PhotoRef {
            id: photo.id,
            sha256: written.hash.as_str().to_owned(),
            mime: mime.to_owned(),
            bytes: written.bytes,
            width: photo.width,
            height: photo.height,
            taken_at: photo.taken_at,
            geo: photo.geo,
            kind: photo.kind,
            caption: photo.caption,
            deleted: false,
        };
        if let Err(e) = reference.validate("photo") {
            blobs.discard(written)?;
            return Err(StoreError::invalid(e));
        }
        // In place before the document names it; if the edit is refused, the file stays only
        // if another row already holds it.
        blobs.keep(&written)?;
        let (hash, bytes) = (written.hash.clone(), written.bytes);
        let result = self.edit_first::<D>(doc, &[edit(reference.clone())], |tx| {
            table::insert(tx, &hash, bytes, mime, false, now_ms())
        });
        if let Err(e) = result {
            self.drop_unlisted(&hash)?;
            return Err(e);
        }
        Ok(reference)
    }

    /// [`Self::attach_photo`] from a file (the camera's output).
    pub fn attach_photo_file<D: Editable>(
        &self,
        doc: DocumentId,
        path: &Path,
        photo: NewPhoto,
        edit: impl FnOnce(PhotoRef) -> D::Edit,
    ) -> Result<PhotoRef, StoreError> {
        let mut file = std::fs::File::open(path)?;
        self.attach_photo::<D>(doc, &mut file, photo, edit)
    }

    /// Where photo `hash`'s bytes are ([`PhotoStatus::Elsewhere`] for one this phone has never
    /// held).
    pub fn photo_status(&self, hash: &BlobHash) -> Result<PhotoStatus, StoreError> {
        table::status(&self.conn(), hash)
    }

    /// The file holding photo `hash`, if this phone holds it (taken here or downloaded);
    /// marks it recently used. `None`: download it (`SyncClient::photo_path`).
    pub fn local_photo(&self, hash: &BlobHash) -> Result<Option<PathBuf>, StoreError> {
        let blobs = self.blob_dir()?;
        let listed = table::touch(&self.conn(), hash, now_ms())?;
        Ok((listed && blobs.contains(hash)).then(|| blobs.file(hash)))
    }

    /// How many photos, and how many bytes, wait to reach the server.
    pub fn pending_photos(&self) -> Result<(u64, u64), StoreError> {
        table::pending_totals(&self.conn())
    }

    /// Sets the photo cache's budget in bytes (default [`DEFAULT_PHOTO_CACHE_BYTES`]) and
    /// evicts down to it.
    pub fn set_photo_cache_budget(&self, bytes: u64) -> Result<(), StoreError> {
        self.photo_budget.store(bytes, Ordering::Relaxed);
        self.evict_photos()
    }

    /// Removes photos the server holds, least recently used first, until the cache is within
    /// its budget. Photos not on the server yet are never evicted.
    pub(crate) fn evict_photos(&self) -> Result<(), StoreError> {
        let Some(blobs) = self.blobs.as_ref() else {
            return Ok(());
        };
        let budget = self.photo_budget.load(Ordering::Relaxed);
        let conn = self.conn();
        for hash in table::over_budget(&conn, budget)? {
            // The row goes first: a crash in between leaves a file no row names, which a
            // later download simply replaces.
            table::remove(&conn, &hash)?;
            blobs.remove(&hash)?;
        }
        Ok(())
    }

    /// Removes a blob file no row names (an attach whose edit was refused).
    fn drop_unlisted(&self, hash: &BlobHash) -> Result<(), StoreError> {
        let listed: bool = self.conn().query_row(
            "SELECT EXISTS (SELECT 1 FROM blobs WHERE sha256 = ?1)",
            [hash.as_str()],
            |r| r.get(0),
        )?;
        if !listed {
            self.blob_dir()?.remove(hash)?;
        }
        Ok(())
    }
}

/// For the uploader and downloads (`client`); without that feature only the tests call them.
#[cfg_attr(not(feature = "client"), allow(dead_code))]
impl Store {
    /// The blob directory, for the client's downloads.
    pub(crate) fn blobs(&self) -> Result<&BlobDir, StoreError> {
        self.blob_dir()
    }

    /// Up to `limit` uploads due at `now_ms`, and when the next is due.
    pub(crate) fn next_uploads(
        &self,
        now_ms: i64,
        limit: usize,
    ) -> Result<(Vec<PendingUpload>, Option<i64>), StoreError> {
        table::next_due(&self.conn(), now_ms, limit)
    }

    pub(crate) fn upload_progress(
        &self,
        hash: &BlobHash,
        url: Option<&str>,
        sent: u64,
    ) -> Result<(), StoreError> {
        table::set_upload(&self.conn(), hash, url, sent)
    }

    pub(crate) fn retry_uploads_now(&self) -> Result<(), StoreError> {
        table::retry_now(&self.conn())
    }

    pub(crate) fn upload_restart(&self, hash: &BlobHash) -> Result<(), StoreError> {
        table::restart(&self.conn(), hash)
    }

    pub(crate) fn upload_done(&self, hash: &BlobHash) -> Result<(), StoreError> {
        table::mark_on_server(&self.conn(), hash)?;
        self.evict_photos()
    }

    pub(crate) fn upload_failed(
        &self,
        hash: &BlobHash,
        error: &str,
        retry_at_ms: i64,
    ) -> Result<(), StoreError> {
        table::mark_failed(&self.conn(), hash, error, retry_at_ms)
    }

    pub(crate) fn upload_refused(&self, hash: &BlobHash, reason: &str) -> Result<(), StoreError> {
        table::mark_refused(&self.conn(), hash, reason)
    }

    /// Records a downloaded blob, already in place, and evicts down to the budget.
    pub(crate) fn photo_downloaded(
        &self,
        hash: &BlobHash,
        bytes: u64,
        mime: &str,
    ) -> Result<(), StoreError> {
        table::insert(&self.conn(), hash, bytes, mime, true, now_ms())?;
        self.evict_photos()
    }
}

impl From<BlobError> for StoreError {
    fn from(e: BlobError) -> Self {
        StoreError::Blob(Box::new(e))
    }
}

#[cfg(test)]
mod tests;
