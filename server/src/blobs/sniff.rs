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

/// HEIF major brands of still images (HEIC and the generic HEIF ones).
const HEIF_BRANDS: [&[u8; 4]; 8] = [
    b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1",
];

/// Sniffs `head`, the first bytes of a blob; `complete` when `head` is the whole blob (so a
/// short one is decided rather than waited for).
pub fn sniff(head: &[u8], complete: bool) -> Sniff {
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Sniff::Image(ImageType::Jpeg);
    }
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Sniff::Image(ImageType::Png);
    }
    if head.len() < SNIFF_LEN {
        return if complete {
            Sniff::NotImage
        } else {
            Sniff::NeedMore
        };
    }
    if &head[0..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        return Sniff::Image(ImageType::Webp);
    }
    if &head[4..8] == b"ftyp" && HEIF_BRANDS.iter().any(|b| &head[8..12] == *b) {
        return Sniff::Image(ImageType::Heic);
    }
    Sniff::NotImage
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
