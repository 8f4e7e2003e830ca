//! The directory: organisations, users and their roles, accounts and their teams, the
//! supervision graph, and bearer tokens, kept in `directory.sqlite3` in the data directory.
//!
//! [`Directory`] is the durable side (every call commits before it returns, with SQLite's
//! `synchronous=FULL`); [`Snapshot`] is an immutable in-memory copy the server answers access
//! questions from without IO. The server takes a new snapshot after its own writes and when
//! another process (the `admin` commands) changed the file (`PRAGMA data_version`).
//!
//! Everything but organisations and tokens lives inside one organisation: user and account ids
//! are chosen per organisation, every method that names a user or an account takes the
//! organisation too, and an answer (a `409`, a `404`) only ever concerns that organisation.

mod schema;
mod snapshot;
mod tenant;
mod text;
mod types;

use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

pub use snapshot::{Principal, Snapshot, TokenRecord};
pub use tenant::{AccountView, UserRecord};
pub use text::MAX_TEXT_LEN;
pub use types::{
    AccountId, AccountKey, MAX_ID_LEN, OrgId, ParseError, Role, Scoped, TokenId, UserId, UserKey,
};

use crate::auth::secret::{self, RandomError};
use text::text;

/// The directory's file name inside the data directory.
pub const DIRECTORY_FILE: &str = "directory.sqlite3";

/// Longest token lifetime accepted: a year. Phones renew long before.
pub const MAX_TOKEN_TTL: Duration = Duration::from_secs(366 * 24 * 3600);

/// Why a directory operation failed.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    /// SQLite failed (IO, a full disk, a locked or damaged file).
    #[error("directory database")]
    Sqlite(#[from] rusqlite::Error),
    /// The file's content is not what this code wrote.
    #[error("directory is corrupt: {0}")]
    Corrupt(String),
    /// Something named does not exist (in this organisation).
    #[error("no such {what}: {id}")]
    NotFound {
        /// Which kind of thing.
        what: &'static str,
        /// Its id.
        id: String,
    },
    /// It exists already, or the change conflicts with what is there.
    #[error("{0}")]
    Conflict(String),
    /// The input is not acceptable.
    #[error("{0}")]
    Invalid(String),
    /// The file is of an older schema that cannot be upgraded as it is.
    #[error("cannot upgrade the directory: {0}")]
    Upgrade(String),
    /// No randomness for a token or key.
    #[error(transparent)]
    Random(#[from] RandomError),
}

impl From<ParseError> for DirectoryError {
    fn from(error: ParseError) -> Self {
        DirectoryError::Invalid(error.to_string())
    }
}

/// A token as issued: the secret is shown once, here, and never stored.
#[derive(Debug, Clone, serde::Serialize)]
pub struct IssuedToken {
    /// The token's public id, to revoke it.
    pub id: TokenId,
    /// The secret to send as `Authorization: Bearer`.
    pub token: String,
    /// When it stops working, milliseconds since the Unix epoch.
    pub expires_at_ms: i64,
}

/// The durable directory. Cheap to share behind an `Arc`; calls serialise on one connection.
#[derive(Debug)]
pub struct Directory {
    conn: Mutex<Connection>,
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn is_constraint(error: &rusqlite::Error) -> bool {
    matches!(
        error,
        rusqlite::Error::SqliteFailure(e, _) if e.code == rusqlite::ErrorCode::ConstraintViolation
    )
}

impl Directory {
    /// Opens (creating if needed) `directory.sqlite3` under `data_dir` and brings its schema up
    /// to date.
    pub fn open_in(data_dir: &Path) -> Result<Self, DirectoryError> {
        Self::open(&data_dir.join(DIRECTORY_FILE))
    }

    /// Opens (creating if needed) the directory file at `path`.
    pub fn open(path: &Path) -> Result<Self, DirectoryError> {
        let mut conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        schema::migrate(&mut conn)?;
        let directory = Directory {
            conn: Mutex::new(conn),
        };
        directory.ticket_key()?;
        Ok(directory)
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The key tickets are signed with, made on first use and kept.
    pub fn ticket_key(&self) -> Result<[u8; 32], DirectoryError> {
        let conn = self.conn();
        let stored: Option<Vec<u8>> = conn
            .query_row("SELECT value FROM meta WHERE key = 'ticket_key'", [], |r| {
                r.get(0)
            })
            .optional()?;
        if let Some(bytes) = stored {
            return bytes
                .try_into()
                .map_err(|_| DirectoryError::Corrupt("ticket key of the wrong length".into()));
        }
        let key = secret::random_bytes::<32>()?;
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('ticket_key', ?1) ON CONFLICT DO NOTHING",
            params![key.as_slice()],
        )?;
        drop(conn);
        // Another process may have won the race: read back what is stored.
        self.ticket_key()
    }

    /// Changes whenever another connection (another process) committed to the file.
    pub fn data_version(&self) -> Result<i64, DirectoryError> {
        Ok(self
            .conn()
            .pragma_query_value(None, "data_version", |r| r.get(0))?)
    }

    /// Creates an organisation.
    pub fn create_org(&self, id: Option<OrgId>, name: &str) -> Result<OrgId, DirectoryError> {
        let id = id.unwrap_or_else(OrgId::new_random);
        let name = text(name, "name")?;
        self.conn()
            .execute(
                "INSERT INTO organisations (id, name, created_ms) VALUES (?1, ?2, ?3)",
                params![id.as_str(), name, now_ms()],
            )
            .map_err(|e| conflict(e, format!("organisation {id} exists already")))?;
        Ok(id)
    }

    /// Creates a user in `org`. The id need only be new in `org`.
    pub fn create_user(
        &self,
        org: &OrgId,
        id: Option<UserId>,
        name: &str,
        email: &str,
        role: Role,
    ) -> Result<UserId, DirectoryError> {
        let id = id.unwrap_or_else(UserId::new_random);
        let name = text(name, "name")?;
        let email = text(email, "email")?;
        if !email.contains('@') {
            return Err(DirectoryError::Invalid("email must contain '@'".into()));
        }
        let conn = self.conn();
        require_org(&conn, org)?;
        conn.execute(
            "INSERT INTO users (org_id, id, name, email, role, created_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                org.as_str(),
                id.as_str(),
                name,
                email,
                role.as_str(),
                now_ms()
            ],
        )
        .map_err(|e| conflict(e, format!("user {id} or email {email} exists already")))?;
        Ok(id)
    }

    /// Creates an account in `org`. The id need only be new in `org`.
    pub fn create_account(
        &self,
        org: &OrgId,
        id: Option<AccountId>,
        name: &str,
    ) -> Result<AccountId, DirectoryError> {
        let id = id.unwrap_or_else(AccountId::new_random);
        let name = text(name, "name")?;
        let conn = self.conn();
        require_org(&conn, org)?;
        conn.execute(
            "INSERT INTO accounts (org_id, id, name, created_ms) VALUES (?1, ?2, ?3, ?4)",
            params![org.as_str(), id.as_str(), name, now_ms()],
        )
        .map_err(|e| conflict(e, format!("account {id} exists already")))?;
        Ok(id)
    }

    /// Puts `user` on `account`'s team with `role` (default: the user's own role), or changes
    /// their role on it. Both are of `org`.
    pub fn set_member(
        &self,
        org: &OrgId,
        account: &AccountId,
        user: &UserId,
        role: Option<Role>,
    ) -> Result<(), DirectoryError> {
        let conn = self.conn();
        require(&conn, Kind::Account, org, account.as_str())?;
        require(&conn, Kind::User, org, user.as_str())?;
        let role = match role {
            Some(role) => role,
            None => {
                let word: String = conn.query_row(
                    "SELECT role FROM users WHERE org_id = ?1 AND id = ?2",
                    params![org.as_str(), user.as_str()],
                    |r| r.get(0),
                )?;
                word.parse().map_err(|_| {
                    DirectoryError::Corrupt(format!("user {org}/{user} has role {word:?}"))
                })?
            }
        };
        conn.execute(
            "INSERT INTO memberships (org_id, account_id, user_id, role) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (org_id, account_id, user_id) DO UPDATE SET role = excluded.role",
            params![org.as_str(), account.as_str(), user.as_str(), role.as_str()],
        )?;
        Ok(())
    }

    /// Takes `user` off `account`'s team (both of `org`). Returns whether they were on it.
    pub fn remove_member(
        &self,
        org: &OrgId,
        account: &AccountId,
        user: &UserId,
    ) -> Result<bool, DirectoryError> {
        let conn = self.conn();
        require(&conn, Kind::Account, org, account.as_str())?;
        let removed = conn.execute(
            "DELETE FROM memberships WHERE org_id = ?1 AND account_id = ?2 AND user_id = ?3",
            params![org.as_str(), account.as_str(), user.as_str()],
        )?;
        Ok(removed == 1)
    }

    /// Records that `supervisor` supervises `supervisee` (both of `org`, not oneself).
    pub fn add_supervision(
        &self,
        org: &OrgId,
        supervisor: &UserId,
        supervisee: &UserId,
    ) -> Result<(), DirectoryError> {
        if supervisor == supervisee {
            return Err(DirectoryError::Invalid(
                "nobody supervises themselves".into(),
            ));
        }
        let conn = self.conn();
        require(&conn, Kind::User, org, supervisor.as_str())?;
        require(&conn, Kind::User, org, supervisee.as_str())?;
        conn.execute(
            "INSERT INTO supervision (org_id, supervisor, supervisee) VALUES (?1, ?2, ?3)
             ON CONFLICT DO NOTHING",
            params![org.as_str(), supervisor.as_str(), supervisee.as_str()],
        )?;
        Ok(())
    }

    /// Removes a supervision edge of `org`. Returns whether it existed.
    pub fn remove_supervision(
        &self,
        org: &OrgId,
        supervisor: &UserId,
        supervisee: &UserId,
    ) -> Result<bool, DirectoryError> {
        let conn = self.conn();
        require(&conn, Kind::User, org, supervisor.as_str())?;
        let removed = conn.execute(
            "DELETE FROM supervision WHERE org_id = ?1 AND supervisor = ?2 AND supervisee = ?3",
            params![org.as_str(), supervisor.as_str(), supervisee.as_str()],
        )?;
        Ok(removed == 1)
    }

    /// Issues a bearer token for `user` of `org`, valid for `ttl`.
    pub fn issue_token(
        &self,
        org: &OrgId,
        user: &UserId,
        ttl: Duration,
        label: &str,
    ) -> Result<IssuedToken, DirectoryError> {
        if ttl.is_zero() || ttl > MAX_TOKEN_TTL {
            return Err(DirectoryError::Invalid(format!(
                "token lifetime must be between 1 s and {} days",
                MAX_TOKEN_TTL.as_secs() / 86_400
            )));
        }
        let label = if label.trim().is_empty() {
            String::from("-")
        } else {
            text(label, "label")?
        };
        let conn = self.conn();
        require(&conn, Kind::User, org, user.as_str())?;
        let (token, hash) = secret::new_token()?;
        let id = TokenId::new_random();
        let now = now_ms();
        let expires_at_ms = now.saturating_add(i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX));
        conn.execute(
            "INSERT INTO tokens (id, org_id, user_id, hash, label, created_ms, expires_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                id.as_str(),
                org.as_str(),
                user.as_str(),
                hash.as_slice(),
                label,
                now,
                expires_at_ms
            ],
        )?;
        Ok(IssuedToken {
            id,
            token,
            expires_at_ms,
        })
    }

    /// Revokes a token (and every ticket made from it). Returns whether it was live. With
    /// `org`, a token of another organisation is not found. Token ids are random, hence unique
    /// across organisations: the command line revokes by id alone.
    pub fn revoke_token(&self, org: Option<&OrgId>, id: &TokenId) -> Result<bool, DirectoryError> {
        let conn = self.conn();
        let owner_org: Option<String> = conn
            .query_row(
                "SELECT org_id FROM tokens WHERE id = ?1",
                params![id.as_str()],
                |r| r.get(0),
            )
            .optional()?;
        let Some(owner_org) = owner_org else {
            return Err(DirectoryError::NotFound {
                what: "token",
                id: id.to_string(),
            });
        };
        if org.is_some_and(|org| org.as_str() != owner_org) {
            return Err(DirectoryError::NotFound {
                what: "token",
                id: id.to_string(),
            });
        }
        let revoked = conn.execute(
            "UPDATE tokens SET revoked_ms = ?2 WHERE id = ?1 AND revoked_ms IS NULL",
            params![id.as_str(), now_ms()],
        )?;
        Ok(revoked == 1)
    }

    /// An immutable copy of everything, for answering access questions without IO.
    pub fn snapshot(&self) -> Result<Snapshot, DirectoryError> {
        let key = self.ticket_key()?;
        snapshot::read(&self.conn(), &key)
    }
}

/// What [`require`] looks for.
#[derive(Debug, Clone, Copy)]
enum Kind {
    User,
    Account,
}

/// Whether organisation `org` exists.
pub(crate) fn org_exists(conn: &Connection, org: &OrgId) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM organisations WHERE id = ?1)",
        params![org.as_str()],
        |r| r.get(0),
    )
}

/// Checks that organisation `org` exists.
fn require_org(conn: &Connection, org: &OrgId) -> Result<(), DirectoryError> {
    if org_exists(conn, org)? {
        Ok(())
    } else {
        Err(DirectoryError::NotFound {
            what: "organisation",
            id: org.to_string(),
        })
    }
}

/// Checks that the user or account `id` exists in `org`; one of another organisation is as
/// missing as one that does not exist.
fn require(conn: &Connection, kind: Kind, org: &OrgId, id: &str) -> Result<(), DirectoryError> {
    let (what, sql) = match kind {
        Kind::User => (
            "user",
            "SELECT EXISTS (SELECT 1 FROM users WHERE org_id = ?1 AND id = ?2)",
        ),
        Kind::Account => (
            "account",
            "SELECT EXISTS (SELECT 1 FROM accounts WHERE org_id = ?1 AND id = ?2)",
        ),
    };
    let exists: bool = conn.query_row(sql, params![org.as_str(), id], |r| r.get(0))?;
    if exists {
        Ok(())
    } else {
        Err(DirectoryError::NotFound {
            what,
            id: id.to_owned(),
        })
    }
}

fn conflict(error: rusqlite::Error, message: String) -> DirectoryError {
    if is_constraint(&error) {
        DirectoryError::Conflict(message)
    } else {
        DirectoryError::Sqlite(error)
    }
}
