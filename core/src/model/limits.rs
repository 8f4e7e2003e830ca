//! Size caps. A document comes from phones we do not control; every collection and text has a
//! documented bound so a hostile or broken client cannot make a replica allocate without limit.
//! The caps sit well above the stress sizes of `domain.md` (300-1,000 lines, 10,000-word notes).

use super::ModelError;

/// Most entities in one collection (storecheck lines, attendees, photos, comments...).
pub const MAX_ENTITIES: usize = 5_000;
/// Longest short string (titles, names, codes), in bytes.
pub const MAX_SHORT: usize = 1_000;
/// Longest free text (notes, descriptions), in bytes: 256 KiB.
pub const MAX_TEXT: usize = 256 * 1024;
/// Longest meeting-note body, in bytes: 2 MiB (a 10,000-word note is ~70 KB).
pub const MAX_BODY: usize = 2 * 1024 * 1024;
/// Most lifecycle rounds (reopen commands) one status keeps.
pub const MAX_ROUNDS: usize = 1_000;

/// Fails with [`ModelError::TooLarge`] when `len > max`.
pub fn check_len(field: &str, len: usize, max: usize) -> Result<(), ModelError> {
    if len > max {
        return Err(ModelError::TooLarge {
            field: field.to_owned(),
            len,
            max,
        });
    }
    Ok(())
}

/// A short string: at most [`MAX_SHORT`] bytes and no control characters.
pub fn check_short(field: &str, s: &str) -> Result<(), ModelError> {
    check_len(field, s.len(), MAX_SHORT)?;
    if s.chars().any(char::is_control) {
        return Err(ModelError::invalid(field, "contains control characters"));
    }
    Ok(())
}

/// A required short string: like [`check_short`], and not empty.
pub fn check_required(field: &str, s: &str) -> Result<(), ModelError> {
    if s.trim().is_empty() {
        return Err(ModelError::invalid(field, "is required"));
    }
    check_short(field, s)
}

/// An entity id used as a map key: non-empty, short, printable.
pub fn check_key(field: &str, key: &str) -> Result<(), ModelError> {
    if key.is_empty() || key.len() > crate::ids::MAX_NAME_LEN || key.chars().any(char::is_control) {
        return Err(ModelError::invalid(
            field,
            format!("bad id {:?}", key.chars().take(64).collect::<String>()),
        ));
    }
    Ok(())
}

/// A free text of at most `max` bytes.
pub fn check_text(field: &str, text: &autosurgeon::Text, max: usize) -> Result<(), ModelError> {
    check_len(field, text.as_str().len(), max)
}

/// A collection's size and the shape of each of its keys.
pub fn check_map<'a, V: 'a>(
    field: &str,
    map: impl ExactSizeIterator<Item = (&'a String, V)>,
) -> Result<(), ModelError> {
    check_len(field, map.len(), MAX_ENTITIES)?;
    for (k, _) in map {
        check_key(field, k)?;
    }
    Ok(())
}
