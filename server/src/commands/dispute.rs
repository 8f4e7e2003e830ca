//! A disputed contact report tells its creator's team: one e-mail to each member of the
//! account's team (as the creator sees it), queued in the transaction that records the dispute,
//! with the client's comment. The team then sees the dispute in the meeting note too.

use enlace_core::ids::DocumentId;
use rusqlite::Transaction;

use super::CommandError;
use crate::contact_report::escape::escape_html;
use crate::outbox::{self, EnqueueError, Mailbox, OutgoingMail};

/// Who to tell and what about, read from the directory before the transaction.
#[derive(Debug, Clone)]
pub(crate) struct DisputeNotice {
    /// The team: display names and addresses, with their user ids (for the Message-ID).
    pub team: Vec<(String, Mailbox)>,
    /// The sender.
    pub from: Mailbox,
}

/// Queues the notice of a dispute of report `report_no` (`title`) with the client's `comment`.
pub(super) fn queue(
    tx: &Transaction<'_>,
    doc: DocumentId,
    report_no: &str,
    title: &str,
    comment: Option<&str>,
    notice: &DisputeNotice,
) -> Result<(), CommandError> {
    let subject = format!("Contact report {report_no} disputed by the client");
    let said = comment.unwrap_or("(no comment)");
    let text = format!(
        "The client disputed contact report {report_no} ({title}).\n\nTheir comment:\n{said}\n"
    );
    let html = format!(
        "<p>The client disputed contact report {} ({}).</p><p>Their comment:</p><blockquote>{}</blockquote>",
        escape_html(report_no),
        escape_html(title),
        escape_html(said).replace('\n', "<br>")
    );
    for (user, to) in &notice.team {
        let mail = OutgoingMail {
            message_id: outbox::message_id(
                doc,
                &format!("{report_no}-disputed"),
                user,
                notice.from.domain(),
            ),
            doc: Some(doc),
            from: notice.from.clone(),
            to: to.clone(),
            subject: subject.clone(),
            text: text.clone(),
            html: html.clone(),
            report_recipient: None,
        };
        match outbox::enqueue(tx, &mail) {
            Ok(_) => {}
            // One unreachable teammate does not stop the dispute from being recorded.
            Err(EnqueueError::Invalid(why)) => {
                tracing::warn!(%doc, %user, %why, "a teammate cannot be told of a dispute");
            }
            Err(EnqueueError::Database(e)) => return Err(CommandError::Database(e)),
        }
    }
    Ok(())
}
