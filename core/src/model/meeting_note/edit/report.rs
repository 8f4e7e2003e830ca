//! The contact report edits of a meeting note: its distribution list and its status.
//!
//! A phone may only send the report for review; numbering, sending, accepting and disputing it
//! are the server's, refused here with [`ModelError::ServerOnly`] so two phones can never hand
//! out the same report number.

use super::MeetingNoteEdit;
use super::parts::{DISTRIBUTION, advance_report, recipient};
use crate::model::ModelError;
use crate::model::edit::{Target, insert_new, misrouted};
use crate::model::meeting_note::{ContactReportStatus, MeetingNote, Recipient};

/// Applies an edit of the contact report.
pub(super) fn apply<T: Target<MeetingNote>>(
    edit: MeetingNoteEdit,
    t: &mut T,
) -> Result<(), ModelError> {
    use MeetingNoteEdit as E;
    match edit {
        E::AddRecipient {
            key,
            name,
            email,
            party,
            reason,
        } => {
            let new = Recipient {
                name,
                email,
                party,
                reason,
                deleted: false,
            };
            new.validate(&DISTRIBUTION.name(&key))?;
            insert_new(t, DISTRIBUTION, &key, new)
        }
        E::SetRecipientName { recipient: k, name } => recipient(t, &k, |r| r.name = name),
        E::SetRecipientEmail {
            recipient: k,
            email,
        } => recipient(t, &k, |r| r.email = email),
        E::SetRecipientParty {
            recipient: k,
            party,
        } => recipient(t, &k, |r| r.party = party),
        E::SetRecipientReason {
            recipient: k,
            reason,
        } => recipient(t, &k, |r| r.reason = reason),
        E::SetRecipientDeleted {
            recipient: k,
            deleted,
        } => recipient(t, &k, |r| r.deleted = deleted),
        E::SubmitContactReport => advance_report(t, ContactReportStatus::InReview),
        E::SetContactReportStatus { to } => advance_report(t, to),
        E::MarkContactReportSent { .. } => Err(ModelError::ServerOnly {
            what: "numbering and sending the contact report".into(),
        }),
        other => Err(misrouted(&other)),
    }
}
