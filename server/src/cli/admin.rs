//! `enlace-server admin --data DIR <command>`: the directory from the command line. Works while
//! the server runs (it notices the change within a second). Each command prints one JSON object
//! on stdout; errors go to stderr with exit code 1 (2 for bad usage).
//!
//! User and account ids are per organisation, so every command that names one takes `--org`.
//! Ids are case-insensitive (`--org Andes` is `andes`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use crate::directory::{AccountId, Directory, DirectoryError, OrgId, Role, TokenId, UserId};

/// The `admin` subcommand.
#[derive(Debug, Args)]
pub(crate) struct AdminArgs {
    /// The server's data directory (the directory lives in `directory.sqlite3` there).
    #[arg(long, env = "ENLACE_DATA", default_value = "enlace-data")]
    data: PathBuf,
    #[command(subcommand)]
    command: AdminCommand,
}

#[derive(Debug, Subcommand)]
pub(crate) enum AdminCommand {
    /// Create an organisation (an agency).
    CreateOrg {
        /// Its name.
        #[arg(long)]
        name: String,
        /// Its id (default: a new UUID).
        #[arg(long)]
        id: Option<OrgId>,
    },
    /// Create a user in an organisation.
    CreateUser {
        /// The organisation.
        #[arg(long)]
        org: OrgId,
        /// Display name.
        #[arg(long)]
        name: String,
        /// Email (unique in the organisation).
        #[arg(long)]
        email: String,
        /// junior_executive, account_executive, account_supervisor, account_director,
        /// management or admin.
        #[arg(long)]
        role: Role,
        /// Its id, new in the organisation (default: a new UUID).
        #[arg(long)]
        id: Option<UserId>,
    },
    /// Create a client account in an organisation.
    CreateAccount {
        /// The organisation.
        #[arg(long)]
        org: OrgId,
        /// Its name.
        #[arg(long)]
        name: String,
        /// Its id, new in the organisation, as its documents name it in `account_id` (default:
        /// a new UUID).
        #[arg(long)]
        id: Option<AccountId>,
    },
    /// Put a user on an account's team (or change their role on it).
    AddMember {
        /// The organisation.
        #[arg(long)]
        org: OrgId,
        /// The account.
        #[arg(long)]
        account: AccountId,
        /// The user.
        #[arg(long)]
        user: UserId,
        /// Their role on the account (default: their own role).
        #[arg(long)]
        role: Option<Role>,
    },
    /// Take a user off an account's team.
    RemoveMember {
        /// The organisation.
        #[arg(long)]
        org: OrgId,
        /// The account.
        #[arg(long)]
        account: AccountId,
        /// The user.
        #[arg(long)]
        user: UserId,
    },
    /// Record that one user supervises another.
    AddSupervision {
        /// The organisation.
        #[arg(long)]
        org: OrgId,
        /// The supervisor.
        #[arg(long)]
        supervisor: UserId,
        /// The person supervised.
        #[arg(long)]
        supervisee: UserId,
    },
    /// Remove a supervision edge.
    RemoveSupervision {
        /// The organisation.
        #[arg(long)]
        org: OrgId,
        /// The supervisor.
        #[arg(long)]
        supervisor: UserId,
        /// The person supervised.
        #[arg(long)]
        supervisee: UserId,
    },
    /// Issue a bearer token for a user; the secret is printed once and never stored.
    IssueToken {
        /// The organisation.
        #[arg(long)]
        org: OrgId,
        /// The user.
        #[arg(long)]
        user: UserId,
        /// Lifetime in days.
        #[arg(long, default_value_t = 90)]
        ttl_days: u64,
        /// A note to tell tokens apart ("Ana's phone").
        #[arg(long, default_value = "")]
        label: String,
    },
    /// Revoke a token: it, its tickets and its open sockets stop working.
    RevokeToken {
        /// The token's id (not the secret).
        #[arg(long)]
        id: TokenId,
    },
    /// Print an organisation's working calendar (time zone, working days, holidays): it decides
    /// when a client's silence accepts a contact report.
    Calendar {
        /// The organisation.
        #[arg(long)]
        org: OrgId,
    },
    /// Remove photo blobs no document references and nobody uploaded within the grace period,
    /// and expire uploads nobody wrote to for a day; prints what was removed (docs/blobs.md).
    GcBlobs {
        /// Days an unreferenced blob is kept.
        #[arg(long, env = "ENLACE_BLOB_GRACE_DAYS", default_value_t = 30)]
        grace_days: u64,
    },
    /// Rebuild the index of which documents reference which blobs from the stored documents.
    /// Stop the server first: a running server rebuilds it itself when it needs to.
    RebuildBlobRefs,
    /// Reference data (stores, products, assortments, contacts, visit plans) as CSV; catalogs
    /// are written by the server on this data directory.
    Reference {
        #[command(subcommand)]
        command: super::reference::ReferenceCommand,
    },
    /// Set an organisation's working calendar from a JSON file: `{"zone":
    /// "America/Santiago", "working_days": ["monday", ...], "holidays": ["2026-09-18", ...]}`.
    SetCalendar {
        /// The organisation.
        #[arg(long)]
        org: OrgId,
        /// The calendar's JSON file (`-` for standard input).
        #[arg(long)]
        file: PathBuf,
    },
}

/// Runs one admin command.
pub(crate) fn run(args: &AdminArgs) -> ExitCode {
    if let AdminCommand::Calendar { org } | AdminCommand::SetCalendar { org, .. } = &args.command {
        return print(calendar(args, org));
    }
    if let AdminCommand::Reference { command } = &args.command {
        return super::reference::run(&args.data, command);
    }
    if let AdminCommand::GcBlobs { .. } | AdminCommand::RebuildBlobRefs = &args.command {
        return print(super::blobs::run(&args.data, &args.command));
    }
    let result = std::fs::create_dir_all(&args.data)
        .map_err(|e| format!("creating {}: {e}", args.data.display()))
        .and_then(|()| Directory::open_in(&args.data).map_err(|e| super::chain(&e)))
        .and_then(|directory| execute(&directory, &args.command).map_err(|e| super::chain(&e)));
    print(result)
}

/// Prints a command's answer, or its error on stderr with a failing exit code.
fn print(result: Result<Value, String>) -> ExitCode {
    match result {
        Ok(value) => {
            println!("{value}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("enlace-server admin: {message}");
            ExitCode::FAILURE
        }
    }
}

/// `calendar` and `set-calendar`: the calendar lives in the documents database, beside the
/// reports it times, so these commands open that file, not the directory.
fn calendar(args: &AdminArgs, org: &OrgId) -> Result<Value, String> {
    let database = args.data.join(crate::config::DATABASE_FILE);
    if !database.exists() {
        return Err(format!(
            "{} does not exist: run the server on this data directory first",
            database.display()
        ));
    }
    crate::commands::schema::ensure(&database).map_err(|e| super::chain(&e))?;
    let conn = rusqlite::Connection::open(&database).map_err(|e| super::chain(&e))?;
    if let AdminCommand::SetCalendar { file, .. } = &args.command {
        let text = if file.as_os_str() == "-" {
            std::io::read_to_string(std::io::stdin()).map_err(|e| super::chain(&e))?
        } else {
            std::fs::read_to_string(file)
                .map_err(|e| format!("reading {}: {}", file.display(), super::chain(&e)))?
        };
        let calendar: crate::calendar::Calendar =
            serde_json::from_str(&text).map_err(|e| format!("the calendar: {e}"))?;
        crate::commands::silence::write_calendar(&conn, org, &calendar)
            .map_err(|e| super::chain(&e))?;
    }
    let calendar =
        crate::commands::silence::read_calendar(&conn, org).map_err(|e| super::chain(&e))?;
    serde_json::to_value(calendar).map_err(|e| e.to_string())
}

fn execute(d: &Directory, command: &AdminCommand) -> Result<Value, DirectoryError> {
    Ok(match command {
        AdminCommand::CreateOrg { name, id } => json!({"id": d.create_org(id.clone(), name)?}),
        AdminCommand::CreateUser {
            org,
            name,
            email,
            role,
            id,
        } => json!({"id": d.create_user(org, id.clone(), name, email, *role)?}),
        AdminCommand::CreateAccount { org, name, id } => {
            json!({"id": d.create_account(org, id.clone(), name)?})
        }
        AdminCommand::AddMember {
            org,
            account,
            user,
            role,
        } => {
            d.set_member(org, account, user, *role)?;
            json!({"account": account, "user": user})
        }
        AdminCommand::RemoveMember { org, account, user } => {
            json!({"removed": d.remove_member(org, account, user)?})
        }
        AdminCommand::AddSupervision {
            org,
            supervisor,
            supervisee,
        } => {
            d.add_supervision(org, supervisor, supervisee)?;
            json!({"supervisor": supervisor, "supervisee": supervisee})
        }
        AdminCommand::RemoveSupervision {
            org,
            supervisor,
            supervisee,
        } => json!({"removed": d.remove_supervision(org, supervisor, supervisee)?}),
        AdminCommand::IssueToken {
            org,
            user,
            ttl_days,
            label,
        } => {
            let ttl = Duration::from_secs(ttl_days.saturating_mul(86_400));
            json!(d.issue_token(org, user, ttl, label)?)
        }
        AdminCommand::RevokeToken { id } => json!({"revoked": d.revoke_token(None, id)?}),
        // Handled by `calendar` and `blobs` before the directory is opened.
        AdminCommand::Calendar { .. }
        | AdminCommand::SetCalendar { .. }
        | AdminCommand::GcBlobs { .. }
        | AdminCommand::Reference { .. }
        | AdminCommand::RebuildBlobRefs => Value::Null,
    })
}
