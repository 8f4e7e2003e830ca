//! The directory's tables and their one migration path (`PRAGMA user_version`, one function per
//! upgrade, each in its own transaction with the version bump).

use rusqlite::{Connection, Transaction, TransactionBehavior};

use super::DirectoryError;

type Migration = fn(&Transaction<'_>) -> rusqlite::Result<()>;

/// Every upgrade, in order. Append only.
const MIGRATIONS: &[Migration] = &[to_v1];

/// The schema version this code writes.
pub(crate) const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

fn to_v1(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(
        "
        -- Server secrets and facts: the key tickets are signed with.
        CREATE TABLE meta (
            key   TEXT PRIMARY KEY NOT NULL,
            value BLOB NOT NULL
        ) WITHOUT ROWID;

        CREATE TABLE organisations (
            id         TEXT PRIMARY KEY NOT NULL,
            name       TEXT NOT NULL,
            created_ms INTEGER NOT NULL
        ) WITHOUT ROWID;

        CREATE TABLE users (
            id         TEXT PRIMARY KEY NOT NULL,
            org_id     TEXT NOT NULL REFERENCES organisations (id),
            name       TEXT NOT NULL,
            email      TEXT NOT NULL,
            role       TEXT NOT NULL,
            created_ms INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE UNIQUE INDEX users_email ON users (org_id, email);

        -- Account ids are unique across organisations: a document's `account_id` names exactly
        -- one account, hence one organisation.
        CREATE TABLE accounts (
            id         TEXT PRIMARY KEY NOT NULL,
            org_id     TEXT NOT NULL REFERENCES organisations (id),
            name       TEXT NOT NULL,
            created_ms INTEGER NOT NULL
        ) WITHOUT ROWID;

        -- Account teams: who works on an account, and in which role.
        CREATE TABLE memberships (
            account_id TEXT NOT NULL REFERENCES accounts (id),
            user_id    TEXT NOT NULL REFERENCES users (id),
            role       TEXT NOT NULL,
            PRIMARY KEY (account_id, user_id)
        ) WITHOUT ROWID;
        CREATE INDEX memberships_user ON memberships (user_id);

        -- The supervision graph (not a tree): one row per direct edge.
        CREATE TABLE supervision (
            supervisor TEXT NOT NULL REFERENCES users (id),
            supervisee TEXT NOT NULL REFERENCES users (id),
            PRIMARY KEY (supervisor, supervisee),
            CHECK (supervisor <> supervisee)
        ) WITHOUT ROWID;

        -- Bearer tokens, by the SHA-256 of the secret; the secret itself is never stored.
        CREATE TABLE tokens (
            id         TEXT PRIMARY KEY NOT NULL,
            user_id    TEXT NOT NULL REFERENCES users (id),
            hash       BLOB NOT NULL UNIQUE CHECK (length(hash) = 32),
            label      TEXT NOT NULL,
            created_ms INTEGER NOT NULL,
            expires_ms INTEGER NOT NULL,
            revoked_ms INTEGER
        ) WITHOUT ROWID;
        ",
    )
}

fn user_version(conn: &Connection) -> Result<u32, DirectoryError> {
    let v: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    u32::try_from(v).map_err(|_| DirectoryError::Corrupt(format!("schema version {v}")))
}

/// Brings the schema up to [`SCHEMA_VERSION`], one step per transaction.
pub(crate) fn migrate(conn: &mut Connection) -> Result<(), DirectoryError> {
    loop {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version = user_version(&tx)?;
        if version > SCHEMA_VERSION {
            return Err(DirectoryError::Corrupt(format!(
                "directory schema version {version} is newer than supported {SCHEMA_VERSION}"
            )));
        }
        if version == SCHEMA_VERSION {
            return Ok(());
        }
        let step = MIGRATIONS
            .get(version as usize)
            .ok_or_else(|| DirectoryError::Corrupt(format!("no migration from {version}")))?;
        step(&tx)?;
        tx.pragma_update(None, "user_version", version + 1)?;
        tx.commit()?;
        tracing::info!(
            from = version,
            to = version + 1,
            "directory schema upgraded"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_once_and_refuses_newer() {
        let mut conn = Connection::open_in_memory().expect("open");
        migrate(&mut conn).expect("first");
        migrate(&mut conn).expect("again");
        assert_eq!(user_version(&conn).expect("v"), SCHEMA_VERSION);
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .expect("bump");
        assert!(matches!(
            migrate(&mut conn),
            Err(DirectoryError::Corrupt(_))
        ));
    }
}
