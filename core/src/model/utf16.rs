//! Text edits addressed in UTF-16 code units, as Kotlin, Swift and JavaScript strings count them.
//!
//! Documents index their text in UTF-8 bytes ([`TEXT_ENCODING`](super::TEXT_ENCODING)); a phone's
//! text field reports cursor positions in UTF-16 code units. "ñ" is 1 unit and 2 bytes, "😀" is 2
//! units (a surrogate pair) and 4 bytes, so the two counts drift apart in Spanish text with emoji.
//! Every conversion here lands on a character boundary or fails with a typed error: an index
//! inside a surrogate pair is refused, never rounded, because rounding would silently edit a
//! character the user did not touch.
//!
//! ```
//! use autosurgeon::Text;
//! use enlace_core::model::utf16::splice_utf16;
//!
//! let mut t = Text::with_value("Góndola 😀 ok");
//! // "Góndola " is 8 UTF-16 units, the emoji 2 more.
//! splice_utf16(&mut t, 8, 2, "✅")?;
//! assert_eq!(t.as_str(), "Góndola ✅ ok");
//! # Ok::<(), enlace_core::model::ModelError>(())
//! ```

use autosurgeon::Text;

use super::ModelError;

/// A UTF-16 position that does not name a character boundary of the text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Utf16Error {
    /// The index is past the end of the text.
    #[error("UTF-16 index {index} is past the end of the text ({len} code units)")]
    OutOfRange {
        /// The index asked for.
        index: usize,
        /// The text's length in UTF-16 code units.
        len: usize,
    },
    /// The index falls between the two halves of a surrogate pair (inside an emoji, say).
    #[error("UTF-16 index {index} splits a surrogate pair")]
    SplitsSurrogatePair {
        /// The index asked for.
        index: usize,
    },
}

/// The length of `s` in UTF-16 code units.
pub fn utf16_len(s: &str) -> usize {
    s.chars().map(char::len_utf16).sum()
}

/// The UTF-8 byte offset of UTF-16 index `index` in `s` (`index == utf16_len(s)` is the end).
pub fn byte_offset(s: &str, index: usize) -> Result<usize, Utf16Error> {
    let mut units = 0;
    for (byte, c) in s.char_indices() {
        if units == index {
            return Ok(byte);
        }
        units += c.len_utf16();
        if units > index {
            return Err(Utf16Error::SplitsSurrogatePair { index });
        }
    }
    if units == index {
        return Ok(s.len());
    }
    Err(Utf16Error::OutOfRange { index, len: units })
}

/// Replaces `delete` UTF-16 code units starting at UTF-16 index `start` with `insert`, as one
/// splice (so a concurrent edit elsewhere in the text merges character by character).
pub fn splice_utf16(
    text: &mut Text,
    start: usize,
    delete: usize,
    insert: &str,
) -> Result<(), ModelError> {
    let end_index = start.checked_add(delete).ok_or(Utf16Error::OutOfRange {
        index: usize::MAX,
        len: utf16_len(text.as_str()),
    })?;
    let from = byte_offset(text.as_str(), start)?;
    let to = byte_offset(text.as_str(), end_index)?;
    // `to - from` is at most the text's byte length, which always fits an isize.
    let deleted = isize::try_from(to - from).map_err(|_| Utf16Error::OutOfRange {
        index: end_index,
        len: utf16_len(text.as_str()),
    })?;
    if deleted == 0 && insert.is_empty() {
        return Ok(());
    }
    text.splice(from, deleted, insert);
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const S: &str = "año 😀 é";

    #[test]
    fn offsets_follow_utf16_units() {
        // a=1, ñ=1 (2 bytes), o=1, ' '=1, 😀=2 (4 bytes), ' '=1, é=1 (2 bytes)
        assert_eq!(utf16_len(S), 8);
        assert_eq!(byte_offset(S, 0).unwrap(), 0);
        assert_eq!(byte_offset(S, 2).unwrap(), 3);
        assert_eq!(byte_offset(S, 4).unwrap(), 5);
        assert_eq!(byte_offset(S, 6).unwrap(), 9);
        assert_eq!(byte_offset(S, 8).unwrap(), S.len());
    }

    #[test]
    fn inside_a_pair_and_past_the_end_are_refused() {
        assert_eq!(
            byte_offset(S, 5),
            Err(Utf16Error::SplitsSurrogatePair { index: 5 })
        );
        assert_eq!(
            byte_offset(S, 9),
            Err(Utf16Error::OutOfRange { index: 9, len: 8 })
        );
        let mut t = Text::with_value(S);
        assert!(splice_utf16(&mut t, 4, 1, "x").is_err());
        assert!(splice_utf16(&mut t, 0, usize::MAX, "").is_err());
        assert_eq!(t.as_str(), S, "a refused edit changes nothing");
    }

    #[test]
    fn splices_replace_whole_characters() {
        let mut t = Text::with_value(S);
        splice_utf16(&mut t, 4, 2, "🎉🎉").unwrap();
        assert_eq!(t.as_str(), "año 🎉🎉 é");
        splice_utf16(&mut t, 1, 1, "n").unwrap();
        assert_eq!(t.as_str(), "ano 🎉🎉 é");
        let end = utf16_len(t.as_str());
        splice_utf16(&mut t, end, 0, "!").unwrap();
        assert_eq!(t.as_str(), "ano 🎉🎉 é!");
    }
}
