//! Photos: attach one to a storecheck or a client visit (from the camera's file or from bytes),
//! read where its bytes are, and get a file to show (downloaded on demand). The store keeps the
//! bytes beside its file and the sync client uploads them when online (see `enlace_core`'s
//! `store::blobs` and `client::uploads`).

use std::path::Path;
use std::time::Duration;

use enlace_core::DocumentId;
use enlace_core::model::PhotoRef;
use enlace_core::model::client_visit::{ClientVisit, ClientVisitEdit};
use enlace_core::model::storecheck::{Storecheck, StorecheckEdit};
use enlace_core::store::{BlobHash, NewPhoto, PhotoStatus};

use crate::EnlaceError;
use crate::store::EnlaceStore;

/// Photos waiting to reach the server.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PendingPhotos {
    /// How many.
    pub count: u64,
    /// Their bytes.
    pub bytes: u64,
}

fn hash(sha256: &str) -> Result<BlobHash, EnlaceError> {
    BlobHash::parse(sha256).ok_or_else(|| EnlaceError::InvalidValue {
        field: "sha256".into(),
        reason: "not 64 lower-case hex digits".into(),
    })
}

#[uniffi::export]
impl EnlaceStore {
    /// Attaches the photo in file `path` to storecheck `doc` (to own line `line` if given):
    /// the bytes are copied beside the store and queued for upload, and the photo's reference
    /// is added to the storecheck, in one call. The app may delete its file afterwards.
    pub fn attach_storecheck_photo(
        &self,
        doc: DocumentId,
        path: String,
        photo: NewPhoto,
        line: Option<String>,
    ) -> Result<PhotoRef, EnlaceError> {
        Ok(self
            .core()
            .attach_photo_file::<Storecheck>(doc, Path::new(&path), photo, |photo| {
                StorecheckEdit::AddPhoto { photo, line }
            })?)
    }

    /// [`Self::attach_storecheck_photo`] from bytes in memory.
    pub fn attach_storecheck_photo_bytes(
        &self,
        doc: DocumentId,
        bytes: Vec<u8>,
        photo: NewPhoto,
        line: Option<String>,
    ) -> Result<PhotoRef, EnlaceError> {
        Ok(self
            .core()
            .attach_photo::<Storecheck>(doc, &mut bytes.as_slice(), photo, |photo| {
                StorecheckEdit::AddPhoto { photo, line }
            })?)
    }

    /// Attaches the photo in file `path` to client visit `doc`, as for a storecheck.
    pub fn attach_client_visit_photo(
        &self,
        doc: DocumentId,
        path: String,
        photo: NewPhoto,
    ) -> Result<PhotoRef, EnlaceError> {
        Ok(self
            .core()
            .attach_photo_file::<ClientVisit>(doc, Path::new(&path), photo, |photo| {
                ClientVisitEdit::AddPhoto { photo }
            })?)
    }

    /// Where photo `sha256`'s bytes are: only on this phone, uploading (bytes sent), on the
    /// server, refused by the server, or taken elsewhere.
    pub fn photo_status(&self, sha256: String) -> Result<PhotoStatus, EnlaceError> {
        Ok(self.core().photo_status(&hash(&sha256)?)?)
    }

    /// A file to show photo `sha256`: the local copy, or downloaded now (verified against
    /// the hash) when sync is running, within `timeout_ms`. Offline and not on the phone:
    /// `Offline`; not readable by this person or unknown to the server: `NotFound`.
    pub fn photo_path(&self, sha256: String, timeout_ms: u64) -> Result<String, EnlaceError> {
        let hash = hash(&sha256)?;
        if let Some(path) = self.core().local_photo(&hash)? {
            return Ok(path.to_string_lossy().into_owned());
        }
        let path =
            self.with_client(|client| client.photo_path(&hash, Duration::from_millis(timeout_ms)))?;
        Ok(path.to_string_lossy().into_owned())
    }

    /// Photos waiting to reach the server.
    pub fn pending_photos(&self) -> Result<PendingPhotos, EnlaceError> {
        let (count, bytes) = self.core().pending_photos()?;
        Ok(PendingPhotos { count, bytes })
    }

    /// Caps the photo cache (downloaded and uploaded photos) at `bytes`, evicting the least
    /// recently used; photos not on the server yet are never evicted.
    pub fn set_photo_cache_budget(&self, bytes: u64) -> Result<(), EnlaceError> {
        Ok(self.core().set_photo_cache_budget(bytes)?)
    }
}
