//! [`TextEdit`]: one splice of a collaborative text, addressed in UTF-16 code units.

use autosurgeon::Text;

use crate::model::ModelError;
use crate::model::limits::check_text;
use crate::model::utf16::splice_utf16;

/// Replace `delete` UTF-16 code units at UTF-16 index `start` with `insert` (an insertion has
/// `delete == 0`, a deletion an empty `insert`). UTF-16 because Kotlin, Swift and JavaScript
/// index strings that way; a position inside a surrogate pair is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct TextEdit {
    /// Start, in UTF-16 code units.
    pub start: u32,
    /// How many UTF-16 code units to delete.
    pub delete: u32,
    /// The text to insert.
    pub insert: String,
}

impl TextEdit {
    /// An insertion of `text` at `start`.
    pub fn insert(start: u32, text: impl Into<String>) -> Self {
        TextEdit {
            start,
            delete: 0,
            insert: text.into(),
        }
    }

    /// Applies the splice to `text`, then checks the result is at most `max` bytes.
    pub fn apply(&self, field: &str, text: &mut Text, max: usize) -> Result<(), ModelError> {
        // u32 always fits usize on the 32- and 64-bit targets phones run.
        let start = usize::try_from(self.start).unwrap_or(usize::MAX);
        let delete = usize::try_from(self.delete).unwrap_or(usize::MAX);
        splice_utf16(text, start, delete, &self.insert)?;
        check_text(field, text, max)
    }
}
