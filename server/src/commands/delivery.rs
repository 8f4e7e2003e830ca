//! Delivery state in the document: as the outbox worker records each relay answer to a contact
//! report's e-mail, the server writes it into `contact_report.deliveries` under its own actor
//! and fans it out, so the executive's phone shows "delivered" (or a mailbox that keeps
//! refusing) by sync. The outbox stays the truth (`outbox::report` says how a crash between
//! its answer and this write is caught up); the send itself writes every recipient `queued`
//! in the change that marks the report sent.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use enlace_core::ids::DocumentId;
use enlace_core::model::meeting_note::{DeliveryState, ReportDelivery};
use enlace_core::model::{Instant, MeetingNote};
use enlace_core::store::{ListingRows, StoreError};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::{CommandError, Commands};
use crate::directory::now_ms;
use crate::outbox::report::{self, ChangedDelivery};

/// Most deliveries written in one pass (the rest wait for the next).
const MAX_PER_PASS: usize = 500;
/// How often the outbox is looked at without a wake-up (after a restart, say).
const POLL: Duration = Duration::from_secs(30);

/// What the document shows for one outbox row.
fn shown(row: &ChangedDelivery, at: Instant) -> ReportDelivery {
    let state = match (row.delivered_ms, row.attempts) {
        (Some(_), _) => DeliveryState::Delivered,
        (None, 0) => DeliveryState::Queued,
        (None, _) => DeliveryState::Failing,
    };
    ReportDelivery {
        email: row.email.clone(),
        state,
        attempts: row.attempts,
        updated_at: at,
        last_error: row.last_error.as_deref().map(ReportDelivery::error_text),
    }
}

impl Commands {
    /// Writes every changed delivery into its report's document. Returns how many.
    pub(crate) async fn record_deliveries(&self) -> Result<usize, CommandError> {
        let rows = report::changed(&self.tables(), MAX_PER_PASS).map_err(CommandError::Database)?;
        let mut by_doc: BTreeMap<DocumentId, Vec<ChangedDelivery>> = BTreeMap::new();
        for row in rows {
            by_doc.entry(row.doc).or_default().push(row);
        }
        let mut written = 0;
        for (doc, rows) in by_doc {
            written += self.record_in(doc, rows).await?;
        }
        Ok(written)
    }

    /// Writes `rows` into `doc` in one change.
    async fn record_in(
        &self,
        doc: DocumentId,
        rows: Vec<ChangedDelivery>,
    ) -> Result<usize, CommandError> {
        let (store, actor) = (self.store.clone(), self.actor.clone());
        let count = rows.len();
        let rows_for_change = rows.clone();
        let changed = tokio::task::spawn_blocking(move || {
            store.change_authoritatively(
                doc,
                &actor,
                ListingRows::Unindexed,
                |note: &mut MeetingNote, tx| {
                    let report = &mut note.contact_report;
                    let zone = report
                        .sent_at
                        .as_ref()
                        .map_or("UTC", |at| at.zone.as_str())
                        .to_owned();
                    let at = Instant::new(now_ms(), &zone)?;
                    for row in &rows_for_change {
                        report
                            .deliveries
                            .insert(row.recipient.clone(), shown(row, at.clone()));
                        report::written(tx, row).map_err(CommandError::Database)?;
                    }
                    Ok::<_, CommandError>(())
                },
            )
        })
        .await
        .map_err(|_| CommandError::Stopping)?;
        match changed {
            Ok(changed) => {
                self.fan_out(doc, changed.changes, changed.heads).await?;
                Ok(count)
            }
            // The document is gone or no meeting note: nothing can show the rows.
            Err(CommandError::Store(
                e @ (StoreError::NotFound(_)
                | StoreError::WrongKind { .. }
                | StoreError::Model { .. }
                | StoreError::InvalidValue(_)),
            )) => {
                tracing::warn!(%doc, error = %e, "delivery state cannot be written into its document");
                let tables = self.tables();
                for row in &rows {
                    report::written(&tables, row).map_err(CommandError::Database)?;
                }
                Ok(0)
            }
            Err(e) => Err(e),
        }
    }
}

/// Writes deliveries into documents whenever the worker records an answer (and every
/// [`POLL`], for rows a crash left behind), until `stop`.
pub(crate) async fn watch(commands: Arc<Commands>, answered: Arc<Notify>, stop: CancellationToken) {
    loop {
        match commands.record_deliveries().await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(written = n, "delivery state written into contact reports"),
            Err(e) => tracing::error!(
                error = &e as &dyn std::error::Error,
                "writing delivery state into contact reports failed"
            ),
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = answered.notified() => {}
            () = tokio::time::sleep(POLL) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outbox_row_shows_as_queued_failing_or_delivered() {
        let at = Instant::new(1_000, "UTC").expect("instant");
        let mut row = ChangedDelivery {
            id: 1,
            doc: DocumentId::new_random(),
            recipient: "r1".into(),
            email: "marta@client.example".into(),
            attempts: 0,
            delivered_ms: None,
            last_error: None,
        };
        assert_eq!(shown(&row, at.clone()).state, DeliveryState::Queued);
        row.attempts = 2;
        row.last_error = Some("421 try again\r\nlater".into());
        let failing = shown(&row, at.clone());
        assert_eq!(failing.state, DeliveryState::Failing);
        assert_eq!(failing.last_error.as_deref(), Some("421 try again  later"));
        row.delivered_ms = Some(5);
        assert_eq!(shown(&row, at).state, DeliveryState::Delivered);
    }
}
