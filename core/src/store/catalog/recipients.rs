//! A contact of the catalog added to a meeting note's contact report distribution list, through
//! the meeting note's ordinary edit path (one [`MeetingNoteEdit::AddRecipient`]).

use super::CatalogError;
use crate::ids::{DocumentId, EntityId};
use crate::model::MeetingNote;
use crate::model::meeting_note::{MeetingNoteEdit, RecipientReason};
use crate::model::people::Party;
use crate::store::Store;

impl Store {
    /// Adds contact `contact_id` of the meeting note's own account to the distribution list of
    /// its contact report, as a client recipient with the contact's name and e-mail address,
    /// keyed by the contact id (so adding the same contact twice fails with the model's
    /// `AlreadyExists`, not a duplicate). Returns the recipient's key.
    ///
    /// The account is the note's, so a contact of another account never lands in its report.
    /// Fails with [`CatalogError::NoAccount`], [`CatalogError::NoCatalog`] or
    /// [`CatalogError::UnknownContact`], and with the store's refusal of the edit (a contact
    /// whose e-mail address is not one); nothing is written then.
    pub fn add_recipient_from_contact(
        &self,
        note_id: DocumentId,
        contact_id: &EntityId,
        reason: RecipientReason,
    ) -> Result<String, CatalogError> {
        let account = self
            .read(note_id, |note: &MeetingNote| note.account_id.clone())?
            .ok_or(CatalogError::NoAccount(note_id))?;
        let contact = self
            .with_catalog_of(&account, |c| c.contacts.get(contact_id.as_str()).cloned())?
            .ok_or_else(|| CatalogError::UnknownContact {
                account: account.clone(),
                contact: contact_id.clone(),
            })?;
        let key = contact_id.to_string();
        let edit = MeetingNoteEdit::AddRecipient {
            key: key.clone(),
            name: contact.name,
            email: contact.email,
            party: Party::Client,
            reason,
        };
        self.edit::<MeetingNote>(note_id, &[edit])?;
        Ok(key)
    }
}
