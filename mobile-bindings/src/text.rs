//! Text edits addressed in UTF-16 code units (Kotlin and Swift string indexes); core converts
//! them to the documents' UTF-8 offsets and refuses a position inside a surrogate pair.

use autosurgeon::Text;
use enlace_core::DocumentId;
use enlace_core::model::utf16::splice_utf16;
use enlace_core::model::{ActionItem, ClientVisit, MeetingNote, Storecheck};
use enlace_core::store::{Store, StoreError};

/// A text field of a document.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum TextField {
    /// Storecheck `general_notes`.
    StorecheckGeneralNotes,
    /// Storecheck `review_comment`.
    StorecheckReviewComment,
    /// A storecheck line's `note`.
    StorecheckLineNote {
        /// The line's key.
        line_key: String,
    },
    /// Client visit `objective`.
    VisitObjective,
    /// Client visit `notes`.
    VisitNotes,
    /// Client visit `internal_notes`.
    VisitInternalNotes,
    /// Client visit `outcome_note`.
    VisitOutcomeNote,
    /// Client visit `next_steps`.
    VisitNextSteps,
    /// Meeting note `body`.
    MeetingBody,
    /// Meeting note `internal_notes`.
    MeetingInternalNotes,
    /// Action item `description`.
    ActionItemDescription,
}

/// Replace `delete` UTF-16 code units at UTF-16 index `start` with `insert` (an insertion has
/// `delete == 0`, a deletion an empty `insert`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct TextEdit {
    /// Start, in UTF-16 code units.
    pub start: u32,
    /// How many UTF-16 code units to delete.
    pub delete: u32,
    /// The text to insert.
    pub insert: String,
}

/// Applies `edit` to `field` of document `id` as one store update.
pub(crate) fn edit(
    store: &Store,
    id: DocumentId,
    field: TextField,
    edit: TextEdit,
) -> Result<(), StoreError> {
    // u32 always fits usize on the 32- and 64-bit targets phones run.
    let start = usize::try_from(edit.start).unwrap_or(usize::MAX);
    let delete = usize::try_from(edit.delete).unwrap_or(usize::MAX);
    let splice = |t: &mut Text| splice_utf16(t, start, delete, &edit.insert);
    match field {
        TextField::StorecheckGeneralNotes => {
            store.update(id, |d: &mut Storecheck| splice(&mut d.general_notes))
        }
        TextField::StorecheckReviewComment => {
            store.update(id, |d: &mut Storecheck| splice(&mut d.review_comment))
        }
        TextField::StorecheckLineNote { line_key } => store.update(id, |d: &mut Storecheck| {
            splice(&mut d.line_mut(&line_key)?.note)
        }),
        TextField::VisitObjective => {
            store.update(id, |d: &mut ClientVisit| splice(&mut d.objective))
        }
        TextField::VisitNotes => store.update(id, |d: &mut ClientVisit| splice(&mut d.notes)),
        TextField::VisitInternalNotes => {
            store.update(id, |d: &mut ClientVisit| splice(&mut d.internal_notes))
        }
        TextField::VisitOutcomeNote => {
            store.update(id, |d: &mut ClientVisit| splice(&mut d.outcome_note))
        }
        TextField::VisitNextSteps => {
            store.update(id, |d: &mut ClientVisit| splice(&mut d.next_steps))
        }
        TextField::MeetingBody => store.update(id, |d: &mut MeetingNote| splice(&mut d.body)),
        TextField::MeetingInternalNotes => {
            store.update(id, |d: &mut MeetingNote| splice(&mut d.internal_notes))
        }
        TextField::ActionItemDescription => {
            store.update(id, |d: &mut ActionItem| splice(&mut d.description))
        }
    }
}
