//! A queued row as an e-mail: `multipart/alternative` with the text and HTML bodies, the row's
//! own `Message-ID`, and its `Date` fixed at queueing, so every attempt sends the same message
//! and a receiver can recognise a resend as the one it has.

use std::time::{Duration, SystemTime};

use lettre::Message;
use lettre::message::{Mailbox as LettreMailbox, MultiPart};

use super::config::Mailbox;
use super::queue::Queued;

/// Why a queued row makes no e-mail (the checks at queueing make this a damaged row).
#[derive(Debug, thiserror::Error)]
pub(super) enum BuildError {
    /// An address no longer parses.
    #[error("the {0} address is not valid")]
    Address(&'static str, #[source] lettre::address::AddressError),
    /// lettre refused the message.
    #[error("the message cannot be built")]
    Message(#[from] lettre::error::Error),
}

/// The e-mail for `row`.
pub(super) fn build(row: &Queued) -> Result<Message, BuildError> {
    let from = mailbox(&row.from).map_err(|e| BuildError::Address("sender", e))?;
    let to = mailbox(&row.to).map_err(|e| BuildError::Address("recipient", e))?;
    let created = u64::try_from(row.created_ms).unwrap_or(0);
    let message = Message::builder()
        .message_id(Some(row.message_id.clone()))
        .date(SystemTime::UNIX_EPOCH + Duration::from_millis(created))
        .from(from)
        .to(to)
        .subject(row.subject.as_str())
        .multipart(MultiPart::alternative_plain_html(
            row.text.clone(),
            row.html.clone(),
        ))?;
    Ok(message)
}

fn mailbox(m: &Mailbox) -> Result<LettreMailbox, lettre::address::AddressError> {
    let name = (!m.name.is_empty()).then(|| m.name.clone());
    Ok(LettreMailbox::new(name, m.email.parse()?))
}
