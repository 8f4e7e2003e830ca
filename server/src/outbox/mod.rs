//! The e-mail outbox: e-mail is never lost and never sent twice (as far as SMTP allows).
//!
//! Whoever decides to send e-mail queues it with [`enqueue`] inside the transaction that
//! records the decision (the contact report's number, say): both commit, or neither does, so a
//! report marked sent always has its e-mail queued and a rolled-back send queues nothing. The
//! [`worker`] delivers what is queued, retrying with back-off, and records each delivery;
//! [`deliveries_of`] shows a document's. Each e-mail carries a stable `Message-ID` chosen by
//! the caller ([`message_id`]): queueing the same id twice queues it once, and the one resend a
//! crash can cause carries the same id, so receivers can recognise it.
//!
//! - [`config`]: the relay's URL, the sender, the worker's pacing ([`MailConfig`]).
//! - [`mail`]: one e-mail ([`OutgoingMail`]) and its checks.
//! - [`schema`]: the `outbox` table, in the documents database.
//! - [`queue`]: its rows: queueing, listing, and what the worker reads and records.
//! - [`report`]: report e-mail whose delivery the report's document does not show yet.
//! - [`message`]: a row as a MIME message.
//! - [`worker`]: the delivery task and its guarantees.

pub(crate) mod config;
pub(crate) mod mail;
mod message;
pub(crate) mod queue;
pub(crate) mod report;
pub(crate) mod schema;
mod worker;

#[cfg(test)]
mod tests;

use std::path::Path;
use std::sync::Arc;

use enlace_core::store::{BUSY_TIMEOUT, StoreError};
use rusqlite::Connection;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub(crate) use config::{MailConfig, Mailbox};
pub(crate) use mail::{OutgoingMail, message_id};
pub(crate) use queue::{Delivery, EnqueueError, deliveries_of, enqueue};

use crate::ServerError;

/// The outbox as the rest of the server holds it: the sender to queue e-mail from, and the
/// worker's wake-up.
#[derive(Debug, Clone)]
pub(crate) struct Outbox {
    from: Mailbox,
    wake: Arc<Notify>,
    /// Notified by the worker after it records a relay's answer.
    answered: Arc<Notify>,
}

impl Outbox {
    /// The configured sender ([`MailConfig::from`]).
    pub(crate) fn from(&self) -> &Mailbox {
        &self.from
    }

    /// Tells the worker e-mail was queued. Call it after the transaction that queued it
    /// commits (before, the worker may not see it yet and it waits for the next poll). A
    /// wake-up while the worker is busy is kept, and does nothing without a relay.
    pub(crate) fn wake(&self) {
        self.wake.notify_one();
    }

    /// Notified each time the worker records a relay's answer (see [`report`]).
    pub(crate) fn answered(&self) -> Arc<Notify> {
        self.answered.clone()
    }
}

/// Makes sure the outbox table exists in the database at `database` and, if `config` names a
/// relay, starts the delivery worker on `tracker` until `stop` is cancelled.
pub(crate) async fn start(
    config: &MailConfig,
    database: &Path,
    tracker: &TaskTracker,
    stop: CancellationToken,
) -> Result<Outbox, ServerError> {
    let outbox = Outbox {
        from: config.from.clone(),
        wake: Arc::new(Notify::new()),
        answered: Arc::new(Notify::new()),
    };
    let path = database.to_owned();
    let conn = tokio::task::spawn_blocking(move || open(&path))
        .await
        .map_err(|_| ServerError::Internal("opening the outbox panicked"))?
        .map_err(|e| ServerError::Storage(StoreError::from(e)).in_file(database))?;
    let Some(relay) = &config.smtp else {
        tracing::info!(
            "no SMTP relay configured (--smtp-url): e-mail waits in the outbox, unsent, until \
             the server runs with one"
        );
        return Ok(outbox);
    };
    tracing::info!(%relay, from = %config.from, "outbox worker started");
    let worker = worker::Worker::new(
        conn,
        relay.transport(config.smtp_timeout),
        config.clone(),
        outbox.wake.clone(),
        outbox.answered.clone(),
        stop,
    );
    tracker.spawn(worker.run());
    Ok(outbox)
}

/// The worker's own connection, with the store's durability (`synchronous=FULL`: a delivery,
/// once marked, stays marked).
fn open(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    schema::ensure(&conn)?;
    Ok(conn)
}
