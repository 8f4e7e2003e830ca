//! [`PhotoRef`]: a photo inside any document. The bytes are a blob outside the CRDT, addressed by
//! sha256 and uploaded from a queue on the device; the document only holds the reference.

use autosurgeon::{Hydrate, Reconcile};
use serde::Serialize;

use super::ModelError;
use super::common::GeoPoint;
use super::limits::check_short;
use super::time::Instant;
use crate::ids::EntityId;

/// Largest photo accepted, in bytes (photos are resized to well under 2 MB on the device).
pub const MAX_PHOTO_BYTES: u64 = 50 * 1024 * 1024;

str_enum! {
    /// What a photo shows.
    pub enum PhotoKind {
        /// A shelf.
        Shelf => "shelf",
        /// A display or POP material.
        Display => "display",
        /// A price tag.
        PriceTag => "price_tag",
        /// The store front.
        Storefront => "storefront",
        /// A receipt for an expense.
        Receipt => "receipt",
        /// Anything else.
        Other => "other",
    }
}

/// A reference to a photo blob.
#[derive(Debug, Clone, PartialEq, Hydrate, Reconcile, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PhotoRef {
    /// The photo's id (also its key in the `photos` map).
    pub id: EntityId,
    /// Lower-case hex SHA-256 of the bytes: the blob's address.
    pub sha256: String,
    /// `image/jpeg`, `image/png`, `image/webp` or `image/heic`.
    pub mime: String,
    /// Size of the blob in bytes.
    pub bytes: u64,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// When it was taken (information only, never used to order anything).
    pub taken_at: Option<Instant>,
    /// Where it was taken.
    pub geo: Option<GeoPoint>,
    /// What it shows.
    pub kind: PhotoKind,
    /// A short caption (LWW).
    pub caption: String,
    /// Soft delete.
    pub deleted: bool,
}

/// Whether `s` is a SHA-256 as photos are addressed: 64 lower-case hex digits.
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl PhotoRef {
    /// Checks the hash, the MIME type, the sizes and the caption.
    pub fn validate(&self, field: &str) -> Result<(), ModelError> {
        if !is_sha256_hex(&self.sha256) {
            return Err(ModelError::invalid(
                format!("{field}.sha256"),
                "not 64 lower-case hex digits",
            ));
        }
        if !matches!(
            self.mime.as_str(),
            "image/jpeg" | "image/png" | "image/webp" | "image/heic"
        ) {
            return Err(ModelError::invalid(
                format!("{field}.mime"),
                "unsupported image type",
            ));
        }
        if self.bytes == 0 || self.bytes > MAX_PHOTO_BYTES {
            return Err(ModelError::invalid(
                format!("{field}.bytes"),
                "out of range",
            ));
        }
        if let Some(g) = &self.geo {
            g.validate(&format!("{field}.geo"))?;
        }
        check_short(&format!("{field}.caption"), &self.caption)
    }
}

/// Checks a `photos` map: size, keys, each photo, and that each key is the photo's own id.
pub fn validate_photos(
    field: &str,
    photos: &std::collections::BTreeMap<String, PhotoRef>,
) -> Result<(), ModelError> {
    super::limits::check_map(field, photos.iter())?;
    for (k, p) in photos {
        if p.id.as_str() != k {
            return Err(ModelError::invalid(
                format!("{field}.{k}.id"),
                "does not match its key",
            ));
        }
        p.validate(&format!("{field}.{k}"))?;
    }
    Ok(())
}
