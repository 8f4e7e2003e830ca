//! The client's answer to a sent contact report, through a signed link (`crate::answers`):
//! accept or dispute, recorded by the server under its own actor like any command, with the
//! recipient the link was sent to in the command log.

use enlace_core::ids::DocumentId;
use enlace_core::model::meeting_note::ContactReportStatus;
use enlace_core::model::{Instant, MeetingNote};
use enlace_core::store::ListingRows;

use super::{CommandError, Commands, dispute, log_row};
use crate::access::Registered;
use crate::answers::links::AnswerClaim;
use crate::directory::now_ms;
use crate::outbox::Mailbox;

/// What the answer page shows of a report.
#[derive(Debug, Clone)]
pub(crate) struct ReportSummary {
    pub title: String,
    pub report_no: Option<String>,
    pub status: ContactReportStatus,
}

/// The report is no longer waiting for the client.
pub(super) fn answered(
    tx: &rusqlite::Transaction<'_>,
    doc: DocumentId,
    to: ContactReportStatus,
) -> Result<(), CommandError> {
    tx.execute(
        "UPDATE sent_reports SET state = ?2 WHERE doc_id = ?1",
        rusqlite::params![doc.as_bytes(), to.as_str()],
    )
    .map_err(CommandError::Database)?;
    Ok(())
}

impl Commands {
    /// The report a link points at.
    pub(crate) async fn report_summary(
        &self,
        doc: DocumentId,
    ) -> Result<ReportSummary, CommandError> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || {
            let note: MeetingNote = store.get(doc)?;
            Ok(ReportSummary {
                title: note.title,
                report_no: note.contact_report.report_no.clone(),
                status: note.contact_report.status(),
            })
        })
        .await
        .map_err(|_| CommandError::Stopping)?
    }

    /// Records the client's answer (`accept` or dispute, with an optional comment) to the
    /// report `claim` names; returns the report's status afterwards.
    pub(crate) async fn answer(
        &self,
        claim: &AnswerClaim,
        accept: bool,
        comment: Option<String>,
    ) -> Result<ContactReportStatus, CommandError> {
        let notice = (!accept).then(|| self.dispute_notice(claim.doc));
        let disputed = notice.is_some();
        let (store, actor, claim) = (self.store.clone(), self.actor.clone(), claim.clone());
        let doc = claim.doc;
        let changed = tokio::task::spawn_blocking(move || {
            let now = now_ms();
            store.change_authoritatively(
                doc,
                &actor,
                ListingRows::Unindexed,
                |note: &mut MeetingNote, tx| {
                    let report = &mut note.contact_report;
                    if report.report_no.as_deref() != Some(claim.report_no.as_str()) {
                        return Err(CommandError::NotFound);
                    }
                    if report.status() != ContactReportStatus::Sent {
                        return Err(CommandError::State(report.status().as_str().to_owned()));
                    }
                    let to = if accept {
                        ContactReportStatus::Accepted
                    } else {
                        ContactReportStatus::Disputed
                    };
                    let zone = report
                        .sent_at
                        .as_ref()
                        .map_or("UTC", |at| at.zone.as_str())
                        .to_owned();
                    report.record_answer(to, Instant::new(now, &zone)?, comment.clone())?;
                    answered(tx, doc, to)?;
                    if let Some(notice) = &notice {
                        dispute::queue(
                            tx,
                            doc,
                            &claim.report_no,
                            &note.title,
                            comment.as_deref(),
                            notice,
                        )?;
                    }
                    let command = if accept {
                        "answer-accept"
                    } else {
                        "answer-dispute"
                    };
                    log_row(
                        tx,
                        doc,
                        command,
                        &format!("client:{}", claim.recipient),
                        now,
                        comment.as_deref().unwrap_or_default(),
                    )?;
                    Ok::<_, CommandError>(to)
                },
            )
        })
        .await
        .map_err(|_| CommandError::Stopping)??;
        self.fan_out(doc, changed.changes, changed.heads).await?;
        if disputed {
            self.outbox.wake();
        }
        Ok(changed.value)
    }

    /// The creator's team, to tell of a dispute (nobody when the document has no known
    /// creator).
    fn dispute_notice(&self, doc: DocumentId) -> dispute::DisputeNotice {
        let team = match self.access.registration(&doc) {
            Some(Registered::Document {
                account,
                creator: Some(creator),
                ..
            }) => self
                .access
                .snapshot()
                .team(&creator, &account.id)
                .unwrap_or_default()
                .into_iter()
                .map(|(person, _)| {
                    (
                        person.id.to_string(),
                        Mailbox {
                            name: person.name,
                            email: person.email,
                        },
                    )
                })
                .collect(),
            _ => Vec::new(),
        };
        dispute::DisputeNotice {
            team,
            from: self.outbox.from().clone(),
        }
    }
}
