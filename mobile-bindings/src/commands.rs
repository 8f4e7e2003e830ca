//! Server commands from the phone: moves only the server makes (sending a contact report,
//! reviewing or reopening a storecheck). Each waits until the server holds this phone's edits
//! to the document, asks the server, and returns what it did; the server's change to the
//! document then arrives by sync and the observer fires.

use std::time::Duration;

use enlace_core::DocumentId;
use enlace_core::client::{CommandOutcome, ServerCommand};

use crate::EnlaceError;
use crate::store::EnlaceStore;

#[uniffi::export]
impl EnlaceStore {
    /// Asks the server to number the meeting note's contact report, e-mail it to its
    /// distribution list and mark it sent. Waits up to `timeout_ms` for the note's edits to
    /// reach the server and for the answer. Offline: `Offline`, nothing sent; refused (not on
    /// the account's team, sent already): `CommandRefused` with the server's reason.
    pub fn send_contact_report(
        &self,
        doc: DocumentId,
        timeout_ms: u64,
    ) -> Result<CommandOutcome, EnlaceError> {
        self.command(doc, ServerCommand::SendContactReport, timeout_ms)
    }

    /// Asks the server to mark a submitted storecheck reviewed by this person, with an
    /// optional comment (a supervisor of its creator, or a director or higher on the account).
    pub fn review_storecheck(
        &self,
        doc: DocumentId,
        comment: Option<String>,
        timeout_ms: u64,
    ) -> Result<CommandOutcome, EnlaceError> {
        self.command(doc, ServerCommand::ReviewStorecheck { comment }, timeout_ms)
    }

    /// Asks the server to send a submitted or reviewed storecheck back to in progress, with
    /// the reason the executive will read (the same people as a review).
    pub fn reopen_storecheck(
        &self,
        doc: DocumentId,
        reason: String,
        timeout_ms: u64,
    ) -> Result<CommandOutcome, EnlaceError> {
        self.command(doc, ServerCommand::ReopenStorecheck { reason }, timeout_ms)
    }
}

impl EnlaceStore {
    fn command(
        &self,
        doc: DocumentId,
        command: ServerCommand,
        timeout_ms: u64,
    ) -> Result<CommandOutcome, EnlaceError> {
        let timeout = Duration::from_millis(timeout_ms);
        self.with_client(|client| client.run_command(doc, &command, timeout))
    }
}
