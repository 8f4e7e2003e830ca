//! Where the contact report's e-mail stands, per recipient. The server's outbox writes it as the
//! relay answers, so the executive sees on the phone that the client got the report (or that a
//! mailbox keeps refusing it) without asking anyone. Server only: a device never writes it.

use autosurgeon::{Hydrate, Reconcile};
use serde::Serialize;

use crate::model::ModelError;
use crate::model::limits::check_short;
use crate::model::time::Instant;

str_enum! {
    /// Where one recipient's e-mail stands.
    pub enum DeliveryState {
        /// Recorded in the outbox with the send; not handed to the relay yet.
        Queued => "queued",
        /// The relay accepted it.
        Delivered => "delivered",
        /// The relay refused it or could not be reached; it is tried again.
        Failing => "failing",
    }
}

/// One recipient's e-mail, keyed like the recipient in `distribution`.
#[derive(Debug, Clone, PartialEq, Eq, Hydrate, Reconcile, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ReportDelivery {
    /// The address it went to.
    pub email: String,
    /// Where it stands.
    pub state: DeliveryState,
    /// Attempts made so far (the successful one included).
    pub attempts: u32,
    /// When the state was last written.
    pub updated_at: Instant,
    /// Why the last failed attempt failed, in the relay's words.
    pub last_error: Option<String>,
}

impl ReportDelivery {
    /// Checks the address and the error's shape (both short strings).
    pub fn validate(&self, field: &str) -> Result<(), ModelError> {
        check_short(&format!("{field}.email"), &self.email)?;
        if let Some(error) = &self.last_error {
            check_short(&format!("{field}.last_error"), error)?;
        }
        Ok(())
    }

    /// A relay's error as a document holds it: control characters become spaces and it is cut
    /// to a few hundred characters (SMTP answers can span lines).
    pub fn error_text(error: &str) -> String {
        error
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(300)
            .collect()
    }
}
