//! Thumbnails: a JPEG whose longest side is at most `thumbnail_px` (320), made by the server
//! from the original the first time it is asked for, stored in the thumbnail store under the
//! original's hash, and served like a blob from then on.
//!
//! Decoding uses the `image` crate (JPEG, PNG, WebP), with limits on the image's size and on
//! what decoding may allocate, two at a time. HEIC has no maintained pure-Rust decoder, so a
//! HEIC photo gets `415` here (its bytes are still stored and served).

use std::io::Cursor;

use futures_util::StreamExt;
use image::codecs::jpeg::JpegEncoder;
use image::{ImageReader, Limits};

use super::Blobs;
use super::db::BlobRow;
use super::error::{BlobApiError, BlobError};
use super::hash::{Sha256Hex, UploadId};
use super::sniff::ImageType;
use super::upload::blocking;
use crate::metrics::Metrics;

/// Widest or tallest image decoded, in pixels.
const MAX_DIMENSION: u32 = 16_384;
/// Most bytes decoding one image may allocate.
const MAX_DECODE_ALLOC: u64 = 256 * 1024 * 1024;
/// JPEG quality of thumbnails.
const QUALITY: u8 = 80;

/// Why no thumbnail can be made.
#[derive(Debug, thiserror::Error)]
pub enum ThumbnailError {
    /// The image does not decode (or is past the limits).
    #[error("the photo does not decode")]
    Decode(#[from] image::ImageError),
    /// Reading the bytes failed.
    #[error("reading the photo")]
    Io(#[from] std::io::Error),
}

/// Decodes `bytes` and encodes a JPEG thumbnail fitting `px` by `px`. Blocking.
pub fn make(bytes: &[u8], px: u32) -> Result<Vec<u8>, ThumbnailError> {
    let mut reader = ImageReader::new(Cursor::new(bytes)).with_guessed_format()?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DIMENSION);
    limits.max_image_height = Some(MAX_DIMENSION);
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    reader.limits(limits);
    let image = reader.decode()?;
    let small = image.thumbnail(px, px).to_rgb8();
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, QUALITY).encode_image(&small)?;
    Ok(out)
}

impl Blobs {
    /// Makes sure the thumbnail of `sha` is stored, making it if needed.
    pub(crate) async fn ensure_thumbnail(
        &self,
        sha: &Sha256Hex,
        row: &BlobRow,
    ) -> Result<(), BlobApiError> {
        if self
            .thumbnails
            .stat(sha)
            .await
            .map_err(BlobError::from)?
            .is_some()
        {
            return Ok(());
        }
        if ImageType::from_mime(&row.mime) == Some(ImageType::Heic) {
            return Err(BlobApiError::UnsupportedMediaType(
                "HEIC photos have no thumbnail on this server; download the photo itself".into(),
            ));
        }
        let _permit = self
            .thumbnailing
            .acquire()
            .await
            .map_err(|_| BlobError::Panicked)?;
        if self
            .thumbnails
            .stat(sha)
            .await
            .map_err(BlobError::from)?
            .is_some()
        {
            return Ok(());
        }
        let Some(mut reader) = self.store.open(sha, None).await.map_err(BlobError::from)? else {
            return Err(BlobApiError::NotFound);
        };
        let mut original = Vec::with_capacity(usize::try_from(reader.total).unwrap_or(0));
        while let Some(chunk) = reader.bytes.next().await {
            let chunk =
                chunk.map_err(BlobError::file("read", std::path::Path::new(sha.as_str())))?;
            original.extend_from_slice(&chunk);
        }
        let px = self.limits.thumbnail_px;
        let temp = self.temp_dir.join(format!(
            "thumb-{}.tmp",
            UploadId::new_random().map_err(|_| BlobError::Random)?
        ));
        let written = temp.clone();
        let made = blocking(move || match make(&original, px) {
            Ok(jpeg) => write_durably(&written, &jpeg).map(|()| true),
            Err(error) => {
                tracing::info!(%error, "no thumbnail for a photo that does not decode");
                Ok(false)
            }
        })
        .await?;
        if !made {
            return Err(BlobApiError::UnsupportedMediaType(
                "this photo cannot be decoded for a thumbnail; download the photo itself".into(),
            ));
        }
        self.thumbnails
            .put_file(sha, &temp)
            .await
            .map_err(BlobError::from)?;
        Metrics::add(&self.metrics.blobs.thumbnails_made, 1);
        Ok(())
    }
}

/// Writes `bytes` to a new file at `path` and fsyncs it, as the blob store expects.
fn write_durably(path: &std::path::Path, bytes: &[u8]) -> Result<(), BlobError> {
    use std::io::Write as _;
    let mut file = std::fs::File::create(path).map_err(BlobError::file("create", path))?;
    file.write_all(bytes)
        .map_err(BlobError::file("write", path))?;
    file.sync_data().map_err(BlobError::file("fsync", path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thumbnail_fits_the_box_and_is_a_jpeg() {
        let image = image::RgbImage::from_fn(800, 400, |x, y| image::Rgb([x as u8, y as u8, 7]));
        let mut png = Vec::new();
        image::DynamicImage::ImageRgb8(image)
            .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
            .expect("png");
        let jpeg = make(&png, 320).expect("thumbnail");
        assert_eq!(&jpeg[..3], &[0xFF, 0xD8, 0xFF]);
        let back = image::load_from_memory(&jpeg).expect("decode");
        assert_eq!((back.width(), back.height()), (320, 160));
        assert!(make(b"not an image", 320).is_err());
    }
}
