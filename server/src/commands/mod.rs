//! Server commands: the moves only the server may make in a document (number and send a
//! contact report, review or reopen a storecheck), asked for over the JSON API.
//!
//! A command is checked against the caller's access and role, applied through the model under
//! the server's own automerge actor (`Store::change_authoritatively`), made durable together
//! with its rows of record (the report counter, the command log) in one transaction, and then
//! handed to the engine as a [`ServerChange`](enlace_core::sync::Event::ServerChange), which
//! fans it out like any change. A caller who may not read the document gets the `404` of a
//! missing one.

mod answer;
pub(crate) mod delivery;
pub(crate) mod dispute;
pub(crate) mod mail;
mod numbering;
mod overdue;
mod review;
pub(crate) mod schema;
mod send;
pub(crate) mod silence;

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use automerge::ActorId;
use enlace_core::ids::{DocumentId, EntityId, StorageId};
use enlace_core::model::{DocumentKind, MeetingNote, ModelError, Storecheck};
use enlace_core::store::{ListingRows, Store, StoreError};
use enlace_core::sync::Access;
use rusqlite::{Transaction, params};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use crate::access::{Registered, SharedAccess};
use crate::answers::links::AnswerKey;
use crate::directory::{AccountKey, UserKey, now_ms};
use crate::hub::HubInput;
use crate::outbox::Outbox;

/// Longest comment or reason a command takes.
const MAX_COMMENT_BYTES: usize = 16 * 1024;

/// The commands there are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CommandName {
    /// Number the contact report of a meeting note and send it.
    SendContactReport,
    /// Mark a submitted storecheck reviewed.
    ReviewStorecheck,
    /// Send a storecheck back to `in_progress`.
    ReopenStorecheck,
}

impl CommandName {
    /// Its name in the route.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            CommandName::SendContactReport => "send-contact-report",
            CommandName::ReviewStorecheck => "review-storecheck",
            CommandName::ReopenStorecheck => "reopen-storecheck",
        }
    }

    /// The kind of document it applies to.
    fn kind(self) -> DocumentKind {
        match self {
            CommandName::SendContactReport => DocumentKind::MeetingNote,
            CommandName::ReviewStorecheck | CommandName::ReopenStorecheck => {
                DocumentKind::Storecheck
            }
        }
    }
}

impl FromStr for CommandName {
    type Err = CommandError;

    fn from_str(s: &str) -> Result<Self, CommandError> {
        [
            CommandName::SendContactReport,
            CommandName::ReviewStorecheck,
            CommandName::ReopenStorecheck,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
        .ok_or(CommandError::UnknownCommand)
    }
}

/// A command's arguments (the JSON body; every field optional).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CommandArgs {
    /// The review comment (`review-storecheck`).
    #[serde(default)]
    pub comment: Option<String>,
    /// Why (`reopen-storecheck`).
    #[serde(default)]
    pub reason: Option<String>,
}

/// What a command did.
#[derive(Debug, Serialize)]
pub(crate) struct CommandOutcome {
    pub document: String,
    pub command: &'static str,
    /// The document's status afterwards.
    pub status: String,
    /// The contact report's number (`send-contact-report`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report_no: Option<String>,
}

/// Why a command was not carried out.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CommandError {
    /// No such command.
    #[error("unknown command")]
    UnknownCommand,
    /// Missing, or not readable by the caller (indistinguishable on purpose).
    #[error("no such document")]
    NotFound,
    /// Readable, but the caller may not issue this command on it.
    #[error("{0}")]
    Forbidden(&'static str),
    /// The command does not apply to this kind of document.
    #[error("{command} applies to a {expected}, not a {found}")]
    WrongKind {
        command: &'static str,
        expected: DocumentKind,
        found: DocumentKind,
    },
    /// The arguments are unacceptable.
    #[error("{0}")]
    Input(String),
    /// The document is not in a state the command applies to.
    #[error("{0}")]
    State(String),
    /// The model refused the change.
    #[error("the change is not valid")]
    Model(#[from] ModelError),
    /// The store failed.
    #[error("storage")]
    Store(#[from] StoreError),
    /// The server's own tables failed.
    #[error("storage")]
    Database(#[source] rusqlite::Error),
    /// The engine thread is gone (shutting down).
    #[error("the server is shutting down")]
    Stopping,
}

/// Carries out commands: its own connection to the documents database, the server's actor,
/// the engine's input queue and the access state.
pub(crate) struct Commands {
    store: Arc<Store>,
    /// The server's own tables, for reads outside a command's transaction.
    tables: std::sync::Mutex<rusqlite::Connection>,
    actor: ActorId,
    hub: mpsc::Sender<HubInput>,
    access: Arc<SharedAccess>,
    /// Queued e-mail's sender and the worker's wake-up.
    outbox: Outbox,
    /// Where clients reach this server, for the links in e-mail.
    public_url: String,
    /// Working hours after the meeting by which a report must be sent.
    send_within_hours: u32,
}

impl std::fmt::Debug for Commands {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Commands").finish_non_exhaustive()
    }
}

impl Commands {
    /// Opens the database at `path` for commands (creating the command tables if missing).
    pub(crate) fn open(
        path: &Path,
        storage_id: &StorageId,
        hub: mpsc::Sender<HubInput>,
        access: Arc<SharedAccess>,
        outbox: Outbox,
        public_url: String,
        send_within_hours: u32,
    ) -> Result<Self, StoreError> {
        schema::ensure(path).map_err(StoreError::from)?;
        let tables = rusqlite::Connection::open(path).map_err(StoreError::from)?;
        tables
            .busy_timeout(enlace_core::store::BUSY_TIMEOUT)
            .map_err(StoreError::from)?;
        Ok(Commands {
            store: Arc::new(Store::open(path)?),
            tables: std::sync::Mutex::new(tables),
            actor: server_actor(storage_id),
            hub,
            access,
            outbox,
            public_url: public_url.trim_end_matches('/').to_owned(),
            send_within_hours,
        })
    }

    fn tables(&self) -> std::sync::MutexGuard<'_, rusqlite::Connection> {
        self.tables
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Runs `name` on `doc` for `caller`.
    pub(crate) async fn run(
        &self,
        caller: &UserKey,
        doc: DocumentId,
        name: CommandName,
        args: CommandArgs,
    ) -> Result<CommandOutcome, CommandError> {
        for text in [&args.comment, &args.reason].into_iter().flatten() {
            if text.len() > MAX_COMMENT_BYTES {
                return Err(CommandError::Input(format!(
                    "a comment or reason holds at most {MAX_COMMENT_BYTES} bytes"
                )));
            }
        }
        let account = self.authorize(caller, doc, name)?;
        let org = account.org.to_string();
        let context = self.mail_context(&account);
        let deadline = send::Deadline {
            calendar: self.calendar(&account.org)?,
            hours: self.send_within_hours,
        };
        let store = self.store.clone();
        let actor = self.actor.clone();
        // Directory user ids are entity ids already (the same character set, shorter).
        let reviewer: EntityId = caller
            .id
            .to_string()
            .parse()
            .map_err(|_| CommandError::Input("the caller's id is not an entity id".into()))?;
        let caller_key = caller.to_string();
        let (outcome, changes, heads) = tokio::task::spawn_blocking(move || {
            apply(
                &store,
                &actor,
                doc,
                name,
                &args,
                reviewer,
                &caller_key,
                &org,
                &context,
                &deadline,
            )
        })
        .await
        .map_err(|_| CommandError::Stopping)??;
        self.fan_out(doc, changes, heads).await?;
        if name == CommandName::SendContactReport {
            self.outbox.wake();
        }
        Ok(outcome)
    }

    /// The e-mail queued for `doc` and how its delivery went, if `caller` may read `doc`.
    pub(crate) async fn deliveries(
        self: &Arc<Self>,
        caller: &UserKey,
        doc: DocumentId,
    ) -> Result<Vec<crate::outbox::Delivery>, CommandError> {
        let (access, registered) = self.access.document_access(caller, &doc);
        if registered.is_none() || !access.can_read() {
            return Err(CommandError::NotFound);
        }
        let me = self.clone();
        tokio::task::spawn_blocking(move || {
            crate::outbox::deliveries_of(&me.tables(), doc).map_err(CommandError::Database)
        })
        .await
        .map_err(|_| CommandError::Stopping)?
    }

    /// Hands a committed change of the server's to the engine, which sends it to every peer
    /// syncing the document (nothing to do for a command that changed nothing).
    async fn fan_out(
        &self,
        doc: DocumentId,
        changes: Vec<u8>,
        heads: Vec<automerge::ChangeHash>,
    ) -> Result<(), CommandError> {
        if changes.is_empty() {
            return Ok(());
        }
        self.hub
            .send(HubInput::ServerChange {
                doc,
                changes,
                heads,
            })
            .await
            .map_err(|_| CommandError::Stopping)
    }

    /// What the report's e-mail needs from the directory, read before the transaction.
    fn mail_context(&self, account: &AccountKey) -> mail::MailContext {
        let snapshot = self.access.snapshot();
        let account_name = snapshot
            .accounts_of(&account.org)
            .into_iter()
            .find(|(id, _)| *id == account.id)
            .map_or_else(|| account.id.to_string(), |(_, name)| name);
        mail::MailContext {
            key: AnswerKey::derive(snapshot.ticket_key()),
            public_url: self.public_url.clone(),
            from: self.outbox.from().clone(),
            account_name,
            // The organisation's own name; the sender's display name if it has none.
            agency_name: snapshot
                .organisation_name(&account.org)
                .filter(|name| !name.trim().is_empty())
                .map_or_else(|| self.outbox.from().name.clone(), str::to_owned),
        }
    }

    /// May `caller` issue `name` on `doc`? Unreadable is `NotFound`, as for a missing document.
    /// The document's account when they may.
    fn authorize(
        &self,
        caller: &UserKey,
        doc: DocumentId,
        name: CommandName,
    ) -> Result<AccountKey, CommandError> {
        let (access, registered) = self.access.document_access(caller, &doc);
        let Some(Registered::Document {
            kind,
            account,
            creator,
        }) = registered.filter(|_| access.can_read())
        else {
            return Err(CommandError::NotFound);
        };
        if kind != name.kind() {
            return Err(CommandError::WrongKind {
                command: name.as_str(),
                expected: name.kind(),
                found: kind,
            });
        }
        match name {
            CommandName::SendContactReport if access != Access::ReadWrite => Err(
                CommandError::Forbidden("only the account's team sends its contact reports"),
            ),
            CommandName::ReviewStorecheck | CommandName::ReopenStorecheck
                if !self
                    .access
                    .snapshot()
                    .may_review(caller, &account, creator.as_ref()) =>
            {
                Err(CommandError::Forbidden(
                    "only a supervisor of the creator, or a director or higher on the account, \
                     reviews a storecheck",
                ))
            }
            _ => Ok(account),
        }
    }
}

type Applied = (CommandOutcome, Vec<u8>, Vec<automerge::ChangeHash>);

/// Applies a command in one transaction with its log row.
#[allow(clippy::too_many_arguments)]
fn apply(
    store: &Store,
    actor: &ActorId,
    doc: DocumentId,
    name: CommandName,
    args: &CommandArgs,
    reviewer: EntityId,
    caller: &str,
    org: &str,
    context: &mail::MailContext,
    deadline: &send::Deadline,
) -> Result<Applied, CommandError> {
    let now = now_ms();
    let changed = match name {
        CommandName::SendContactReport => store.change_authoritatively(
            doc,
            actor,
            ListingRows::Unindexed,
            |note: &mut MeetingNote, tx| {
                let number = send::send(note, tx, now, org, deadline)?;
                mail::queue(tx, note, &number, now, context)?;
                log(tx, doc, name, caller, now, &number)?;
                Ok::<_, CommandError>((note.contact_report.status().as_str(), Some(number)))
            },
        )?,
        CommandName::ReviewStorecheck | CommandName::ReopenStorecheck => store
            .change_authoritatively(
                doc,
                actor,
                ListingRows::Unindexed,
                |check: &mut Storecheck, tx| {
                    let detail = if name == CommandName::ReviewStorecheck {
                        review::review(check, reviewer.clone(), args.comment.as_deref())?;
                        args.comment.clone().unwrap_or_default()
                    } else {
                        let reason = args.reason.as_deref().unwrap_or_default();
                        review::reopen(check, reason)?;
                        reason.to_owned()
                    };
                    log(tx, doc, name, caller, now, &detail)?;
                    Ok::<_, CommandError>((check.status().as_str(), None))
                },
            )?,
    };
    let (status, report_no) = changed.value;
    Ok((
        CommandOutcome {
            document: doc.to_string(),
            command: name.as_str(),
            status: status.to_owned(),
            report_no,
        },
        changed.changes,
        changed.heads,
    ))
}

/// Records who asked for what, when.
fn log(
    tx: &Transaction<'_>,
    doc: DocumentId,
    name: CommandName,
    caller: &str,
    at_ms: i64,
    detail: &str,
) -> Result<(), CommandError> {
    log_row(tx, doc, name.as_str(), caller, at_ms, detail)
}

/// A row of the command log.
fn log_row(
    tx: &Transaction<'_>,
    doc: DocumentId,
    command: &str,
    caller: &str,
    at_ms: i64,
    detail: &str,
) -> Result<(), CommandError> {
    tx.execute(
        "INSERT INTO command_log (doc_id, command, user_key, at_ms, detail)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![doc.as_bytes(), command, caller, at_ms, detail],
    )
    .map_err(CommandError::Database)?;
    Ok(())
}

/// The server's automerge actor: derived from its store's id, so it is the same across
/// restarts and distinct from every device's (random) actor.
pub(crate) fn server_actor(storage_id: &StorageId) -> ActorId {
    let digest = ring::digest::digest(
        &ring::digest::SHA256,
        format!("enlace-server-actor:{storage_id}").as_bytes(),
    );
    ActorId::from(&digest.as_ref()[..16])
}
