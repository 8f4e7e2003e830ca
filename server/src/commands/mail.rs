//! The contact report's e-mail, queued in the transaction that sends it: one message per
//! recipient of the distribution list, rendered for the client (`crate::contact_report`) with
//! that recipient's own signed answer link (`crate::answers`), into the outbox
//! (`crate::outbox`), whose worker delivers it. The `Message-ID` is made from the document,
//! the number and the recipient, so a resend is recognisable and queueing twice queues once.

use enlace_core::model::meeting_note::{DeliveryState, ReportDelivery};
use enlace_core::model::{Instant, MeetingNote};
use rusqlite::Transaction;

use super::CommandError;
use crate::answers::links::{AnswerClaim, AnswerKey, DEFAULT_LIFETIME_MS};
use crate::calendar::Zone;
use crate::contact_report::clock::{ShownZone, meeting_zone};
use crate::contact_report::render::{ReportInput, render};
use crate::outbox::{self, EnqueueError, Mailbox, OutgoingMail};

/// What rendering and addressing the e-mail needs besides the note.
pub(crate) struct MailContext {
    /// Signs the answer links.
    pub key: AnswerKey,
    /// Where clients reach this server (`https://sync.agency.example`), without a trailing `/`.
    pub public_url: String,
    /// The sender.
    pub from: Mailbox,
    /// The account's display name.
    pub account_name: String,
    /// The agency's display name.
    pub agency_name: String,
}

/// Queues the report's e-mail to every live recipient, and shows each as `queued` in the
/// report's `deliveries` (written with the send); returns how many were queued.
pub(super) fn queue(
    tx: &Transaction<'_>,
    note: &mut MeetingNote,
    report_no: &str,
    now_ms: i64,
    context: &MailContext,
) -> Result<usize, CommandError> {
    let zone = meeting_zone(note);
    let offset_minutes = Zone::new(zone.as_str())
        .ok()
        .and_then(|z| {
            let at = jiff::Timestamp::from_millisecond(now_ms).ok()?;
            Some(z.time_zone().to_offset(at).seconds() / 60)
        })
        .unwrap_or(0);
    let shown = ShownZone::new(zone.clone(), offset_minutes).unwrap_or_else(|_| ShownZone::utc());
    let mut queued = Vec::new();
    for (key, recipient) in &note.contact_report.distribution {
        if recipient.deleted {
            continue;
        }
        let token = context
            .key
            .sign(&AnswerClaim {
                doc: note.id,
                report_no: report_no.to_owned(),
                recipient: key.clone(),
                expires_ms: now_ms.saturating_add(DEFAULT_LIFETIME_MS),
            })
            .ok_or_else(|| CommandError::State(format!("recipient {key:?} cannot get a link")))?;
        let link = format!("{}/v1/answers/{token}", context.public_url);
        let rendered = render(&ReportInput {
            note,
            report_no,
            account_name: &context.account_name,
            agency_name: &context.agency_name,
            shown_in: &shown,
            action_items: &[],
            answer_links: Some((link.clone(), link)),
        });
        let mail = OutgoingMail {
            message_id: outbox::message_id(note.id, report_no, key, context.from.domain()),
            doc: Some(note.id),
            from: context.from.clone(),
            to: Mailbox {
                name: recipient.name.clone(),
                email: recipient.email.clone(),
            },
            subject: rendered.subject,
            text: rendered.text,
            html: rendered.html,
            report_recipient: Some(key.clone()),
        };
        match outbox::enqueue(tx, &mail) {
            Ok(true) => queued.push((key.clone(), recipient.email.clone())),
            Ok(false) => {}
            Err(EnqueueError::Invalid(why)) => {
                return Err(CommandError::State(format!(
                    "the e-mail to recipient {key:?} cannot be sent: {why}"
                )));
            }
            Err(EnqueueError::Database(e)) => return Err(CommandError::Database(e)),
        }
    }
    let at = Instant::new(now_ms, zone.as_str())?;
    let count = queued.len();
    for (key, email) in queued {
        note.contact_report.deliveries.insert(
            key,
            ReportDelivery {
                email,
                state: DeliveryState::Queued,
                attempts: 0,
                updated_at: at.clone(),
                last_error: None,
            },
        );
    }
    Ok(count)
}
