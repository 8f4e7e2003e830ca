//! Downloading a photo on demand (`GET /v1/blobs/{sha256}`): streamed into a temporary file in
//! the blob directory while hashed, checked against the address, synced and put in place;
//! then the cache evicts down to its budget.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use http_body_util::BodyExt;
use hyper::Method;
use sha2::{Digest, Sha256};

use super::http::{self, Call, Endpoint, HttpError};
use crate::model::photo::MAX_PHOTO_BYTES;
use crate::store::{BlobHash, Store, StoreError, sniff_image};

/// Why a photo could not be downloaded.
#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    /// The server does not have it, or this person may not see it (the server does not say
    /// which).
    #[error("the server has no photo {0} for this person")]
    NotFound(BlobHash),
    /// The server answered something else.
    #[error("the server answered {status}")]
    Refused {
        /// The HTTP status.
        status: u16,
    },
    /// The bytes do not hash to the photo's address: nothing was kept.
    #[error("the downloaded bytes do not match photo {0}")]
    HashMismatch(BlobHash),
    /// The bytes are not an image, or larger than any photo.
    #[error("the download is not a photo")]
    NotAPhoto,
    /// The server could not be reached, or the transfer broke (try again when online).
    #[error("the download did not complete")]
    Http(#[source] HttpError),
    /// The local store failed.
    #[error("local store")]
    Store(#[from] StoreError),
}

/// Downloads blob `hash` into the store's blob directory and records it; returns its path.
pub(super) async fn download(
    store: Arc<Store>,
    api: Endpoint,
    token: Option<String>,
    hash: BlobHash,
) -> Result<PathBuf, DownloadError> {
    let path = format!("/v1/blobs/{hash}");
    let response = http::open(&api, Call::empty(Method::GET, &path, token.as_deref()))
        .await
        .map_err(DownloadError::Http)?;
    match response.status().as_u16() {
        200 => {}
        404 => return Err(DownloadError::NotFound(hash)),
        status => return Err(DownloadError::Refused { status }),
    }
    let blobs = store.blobs()?;
    let temp = blobs.temp_path().map_err(StoreError::from)?;
    let result = receive(response.into_body(), &temp, &hash).await;
    let (bytes, mime) = match result {
        Ok(got) => got,
        Err(e) => {
            // The partial file goes; the download's own error is the one to report.
            let _gone = std::fs::remove_file(&temp);
            return Err(e);
        }
    };
    let kept = blobs.keep_temp(&temp, &hash).map_err(StoreError::from)?;
    store.photo_downloaded(&hash, bytes, mime)?;
    Ok(kept)
}

/// Writes the body to `temp` piece by piece, hashing; checks size, type and hash; syncs.
async fn receive(
    mut body: hyper::body::Incoming,
    temp: &std::path::Path,
    hash: &BlobHash,
) -> Result<(u64, &'static str), DownloadError> {
    let mut file = std::fs::File::create_new(temp).map_err(StoreError::from)?;
    let mut hasher = Sha256::new();
    let mut head = Vec::new();
    let mut bytes = 0u64;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| DownloadError::Http(HttpError::Exchange(e)))?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        bytes += data.len() as u64;
        if bytes > MAX_PHOTO_BYTES {
            return Err(DownloadError::NotAPhoto);
        }
        if head.len() < 32 {
            head.extend_from_slice(&data[..data.len().min(32 - head.len())]);
        }
        hasher.update(&data);
        file.write_all(&data).map_err(StoreError::from)?;
    }
    if BlobHash::of_digest(&hasher.finalize()) != *hash {
        return Err(DownloadError::HashMismatch(hash.clone()));
    }
    let mime = sniff_image(&head).ok_or(DownloadError::NotAPhoto)?;
    file.sync_all().map_err(StoreError::from)?;
    Ok((bytes, mime))
}
