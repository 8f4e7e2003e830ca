//! The delivery worker: one tokio task that takes due e-mail from the outbox, hands each to the
//! SMTP relay, and records the relay's answer.
//!
//! Exactly once, as far as SMTP allows: an e-mail is marked delivered in its own transaction
//! right after the relay accepted it, and is never sent again once marked. A crash (or a
//! database failure) between the relay's acceptance and the mark sends it again later, the
//! SAME message: same `Message-ID`, same `Date`, same headers and content (only the MIME
//! boundary differs), so receivers and their mail systems can recognise the duplicate. SMTP itself offers no more: a relay that accepted
//! and then lost the connection before answering is indistinguishable from one that refused.
//! Within one run the worker remembers what was accepted but not yet marked and marks it before
//! sending anything else, so only a crash can cause a resend.
//!
//! A failed attempt is recorded with its error and retried after a wait that doubles with each
//! failure, up to [`MailConfig::retry_max`]. Nothing is given up: a relay refusing everything
//! (wrong credentials, say) refuses permanently too, and the e-mail must still leave once it is
//! fixed; each e-mail costs at most one attempt per `retry_max` meanwhile. When the relay cannot
//! be reached at all, the pass ends at the first failure instead of timing out on every e-mail
//! due.
//!
//! One worker per database: the server runs one, and nothing else sends from the outbox.

use std::error::Error as _;
use std::sync::{Arc, Mutex, PoisonError};

use lettre::transport::smtp::Error as SmtpError;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use rusqlite::Connection;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::config::MailConfig;
use super::message;
use super::queue::{self, Queued};
use crate::directory::now_ms;

/// Why a pass over the outbox stopped short.
#[derive(Debug, thiserror::Error)]
pub(super) enum WorkerError {
    /// Reading or recording in the outbox failed.
    #[error("outbox database")]
    Database(#[from] rusqlite::Error),
    /// A database call panicked.
    #[error("an outbox database call panicked")]
    Panicked,
}

/// How a pass ended.
#[derive(Debug, PartialEq, Eq)]
enum Pass {
    /// It took all that was due.
    Done,
    /// It delivered a full batch: more may be due.
    Full,
    /// The relay could not be reached; the rest waits for the next pass.
    RelayDown,
    /// The server is stopping.
    Stopping,
}

/// What the relay said to one e-mail.
enum Attempt {
    Accepted,
    Failed { error: String, relay_down: bool },
}

/// The worker's state: its own connection to the documents database, the transport, and what
/// was accepted but could not be marked yet.
pub(super) struct Worker {
    conn: Arc<Mutex<Connection>>,
    transport: AsyncSmtpTransport<Tokio1Executor>,
    config: MailConfig,
    wake: Arc<Notify>,
    /// Told after each recorded answer, for whoever copies it into documents.
    answered: Arc<Notify>,
    stop: CancellationToken,
    /// `(row id, accepted at)` of e-mail the relay accepted whose mark failed: marked before
    /// anything else is sent, and skipped until then.
    unmarked: Vec<(i64, i64)>,
}

impl Worker {
    pub(super) fn new(
        conn: Connection,
        transport: AsyncSmtpTransport<Tokio1Executor>,
        config: MailConfig,
        wake: Arc<Notify>,
        answered: Arc<Notify>,
        stop: CancellationToken,
    ) -> Worker {
        Worker {
            conn: Arc::new(Mutex::new(conn)),
            transport,
            config,
            wake,
            answered,
            stop,
            unmarked: Vec::new(),
        }
    }

    /// Delivers until `stop` is cancelled: a pass over what is due, then (unless the batch was
    /// full) a wait for a wake-up or the poll interval. An e-mail being sent when `stop` comes
    /// is finished (each SMTP command is bounded by the transport's timeout) and recorded.
    pub(super) async fn run(mut self) {
        loop {
            let pass = self.pass().await;
            match pass {
                Ok(Pass::Full) => continue,
                Ok(Pass::Stopping) => break,
                Ok(Pass::Done | Pass::RelayDown) => {}
                Err(error) => tracing::error!(
                    error = %error,
                    cause = ?error.source().map(ToString::to_string),
                    "outbox: the pass stopped short; retrying at the next one"
                ),
            }
            tokio::select! {
                () = self.stop.cancelled() => break,
                () = self.wake.notified() => {}
                () = tokio::time::sleep(self.config.poll_interval) => {}
            }
        }
        tracing::info!("outbox worker stopped");
    }

    /// One pass: marks what is owed a mark, then sends up to a batch of due e-mail.
    async fn pass(&mut self) -> Result<Pass, WorkerError> {
        while let Some(&(id, at)) = self.unmarked.last() {
            self.db(move |c| queue::mark_delivered(c, id, at)).await?;
            self.unmarked.pop();
            self.answered.notify_one();
        }
        let limit = self.config.batch.max(1);
        let batch = self.db(move |c| queue::due(c, now_ms(), limit)).await?;
        // Going again at once only after a full batch all delivered: a batch with failures
        // waits, so a short retry wait cannot make the worker spin.
        let mut all_delivered = batch.len() == limit;
        for row in batch {
            if self.stop.is_cancelled() {
                return Ok(Pass::Stopping);
            }
            match self.attempt(&row).await {
                Attempt::Accepted => self.accepted(&row).await?,
                Attempt::Failed { error, relay_down } => {
                    all_delivered = false;
                    self.failed(&row, &error).await?;
                    if relay_down {
                        return Ok(Pass::RelayDown);
                    }
                }
            }
        }
        Ok(if all_delivered {
            Pass::Full
        } else {
            Pass::Done
        })
    }

    /// Builds and sends one e-mail.
    async fn attempt(&self, row: &Queued) -> Attempt {
        let message = match message::build(row) {
            Ok(message) => message,
            Err(error) => {
                let error = match error.source() {
                    Some(cause) => format!("{error}: {cause}"),
                    None => error.to_string(),
                };
                return Attempt::Failed {
                    error,
                    relay_down: false,
                };
            }
        };
        match self.transport.send(message).await {
            Ok(_) => Attempt::Accepted,
            Err(error) => Attempt::Failed {
                relay_down: relay_down(&error),
                // lettre's Display carries its cause already.
                error: error.to_string(),
            },
        }
    }

    /// Marks `row` delivered, or remembers to.
    async fn accepted(&mut self, row: &Queued) -> Result<(), WorkerError> {
        let (id, at) = (row.id, now_ms());
        if let Err(error) = self.db(move |c| queue::mark_delivered(c, id, at)).await {
            self.unmarked.push((id, at));
            return Err(error);
        }
        self.answered.notify_one();
        tracing::info!(
            outbox_id = id,
            message_id = ?row.message_id,
            attempts = row.attempts.saturating_add(1),
            "e-mail delivered to the relay"
        );
        Ok(())
    }

    /// Records a failed attempt at `row` and when it is tried again.
    async fn failed(&self, row: &Queued, error: &str) -> Result<(), WorkerError> {
        let (id, at, initial, max) = (
            row.id,
            now_ms(),
            self.config.retry_initial,
            self.config.retry_max,
        );
        let recorded = error.to_owned();
        let next = self
            .db(move |c| queue::mark_failed(c, id, at, &recorded, initial, max))
            .await?;
        self.answered.notify_one();
        tracing::warn!(
            outbox_id = id,
            message_id = ?row.message_id,
            attempts = row.attempts.saturating_add(1),
            retry_in_ms = next.map(|next| next.saturating_sub(at)),
            error = ?error,
            "e-mail not delivered; it will be retried"
        );
        Ok(())
    }

    /// Runs `f` on the worker's connection off the async threads (SQLite blocks, up to its
    /// busy timeout).
    async fn db<R, F>(&self, f: F) -> Result<R, WorkerError>
    where
        F: FnOnce(&Connection) -> rusqlite::Result<R> + Send + 'static,
        R: Send + 'static,
    {
        let conn = self.conn.clone();
        let result = tokio::task::spawn_blocking(move || {
            let conn = conn.lock().unwrap_or_else(PoisonError::into_inner);
            f(&conn)
        })
        .await
        .map_err(|_| WorkerError::Panicked)?;
        Ok(result?)
    }
}

/// Whether `error` means the relay is unreachable or unwilling to talk at all (no connection,
/// TLS, a timeout, `421` service unavailable), rather than an answer about this e-mail.
fn relay_down(error: &SmtpError) -> bool {
    match error.status() {
        None => !error.is_client(),
        Some(code) => code.to_string() == "421",
    }
}
