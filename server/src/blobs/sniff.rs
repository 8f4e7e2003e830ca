//! What kind of image a blob is, from its first bytes (magic numbers), so that only photos are
//! stored: a blob store that takes anything is a free file host, and a browser shown a blob as
//! an `image/*` must not be handed HTML.

/// The image types a blob may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageType {
    /// JPEG (`FF D8 FF`).
    Jpeg,
    /// PNG (the 8-byte signature).
    Png,
    /// WebP (`RIFF....WEBP`).
    Webp,
    /// HEIC/HEIF (an ISO-BMFF `ftyp` box with a HEIF brand).
    Heic,
}

impl ImageType {
    /// The MIME type served as `Content-Type`.
    pub fn mime(self) -> &'static str {
        match self {
            ImageType::Jpeg => "image/jpeg",
            ImageType::Png => "image/png",
            ImageType::Webp => "image/webp",
            ImageType::Heic => "image/heic",
        }
    }

    /// The type of a stored MIME string.
    pub fn from_mime(mime: &str) -> Option<Self> {
        [
            ImageType::Jpeg,
            ImageType::Png,
            ImageType::Webp,
            ImageType::Heic,
        ]
        .into_iter()
        .find(|t| t.mime() == mime)
    }
}

/// Bytes needed to tell every supported type apart.
pub const SNIFF_LEN: usize = 12;

/// What the first bytes say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniff {
    /// Too few bytes yet to tell.
    NeedMore,
    /// One of the supported image types.
    Image(ImageType),
    /// Not an image this server stores.
    NotImage,
}

/// Sniffs `head`, the first bytes of a blob; `complete` when `head` is the whole blob (so a
/// short one is decided rather than waited for). The magic numbers are core's
/// ([`enlace_core::store::sniff_image`]), the same the phone checks before it queues a photo.
pub fn sniff(head: &[u8], complete: bool) -> Sniff {
    match enlace_core::store::sniff_image(head) {
        Some(mime) => ImageType::from_mime(mime).map_or(Sniff::NotImage, Sniff::Image),
        None if head.len() < SNIFF_LEN && !complete => Sniff::NeedMore,
        None => Sniff::NotImage,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_the_four_types_and_refuses_the_rest() {
        assert_eq!(
            sniff(&[0xFF, 0xD8, 0xFF, 0xE0], false),
            Sniff::Image(ImageType::Jpeg)
        );
        assert_eq!(
            sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", false),
            Sniff::Image(ImageType::Png)
        );
        assert_eq!(
            sniff(b"RIFF\x10\0\0\0WEBPVP8 ", false),
            Sniff::Image(ImageType::Webp)
        );
        assert_eq!(
            sniff(b"\0\0\0\x18ftypheic\0\0\0\0", false),
            Sniff::Image(ImageType::Heic)
        );
        assert_eq!(sniff(b"<html><body>", false), Sniff::NotImage);
        assert_eq!(sniff(b"<ht", false), Sniff::NeedMore);
        assert_eq!(sniff(b"<ht", true), Sniff::NotImage);
        assert_eq!(sniff(b"\0\0\0\x18ftypmp42\0\0\0\0", false), Sniff::NotImage);
        assert_eq!(ImageType::from_mime("image/webp"), Some(ImageType::Webp));
    }
}
