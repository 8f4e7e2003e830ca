//! The directory's tables and their one migration path (`PRAGMA user_version`, one function per
//! upgrade, each in its own transaction with the version bump, run by core's migration runner).

use enlace_core::store::migrations::{self, Refusal};
use rusqlite::{Connection, OptionalExtension, Transaction};

use super::DirectoryError;

type Migration = migrations::Step<DirectoryError>;

/// Every upgrade, in order. Append only.
const MIGRATIONS: &[Migration] = &[to_v1, to_v2, to_v3];

/// The schema version this code writes.
pub(crate) const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

fn to_v1(tx: &Transaction<'_>) -> Result<(), DirectoryError> {
    Ok(tx.execute_batch(
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
    )?)
}

/// Ids become per organisation and case-insensitive: users and accounts are keyed by
/// (organisation, id), so two organisations may both have a `julia` and an `acme`; every id is
/// lowercased. Ids were unique across organisations before, so the copy is mechanical; it is
/// refused, changing nothing, if two ids of one organisation differ only in case.
fn to_v2(tx: &Transaction<'_>) -> Result<(), DirectoryError> {
    refuse_case_collisions(tx)?;
    tx.execute_batch(
        "
        CREATE TABLE organisations_v2 (
            id         TEXT PRIMARY KEY NOT NULL,
            name       TEXT NOT NULL,
            created_ms INTEGER NOT NULL
        ) WITHOUT ROWID;

        CREATE TABLE users_v2 (
            org_id     TEXT NOT NULL REFERENCES organisations_v2 (id),
            id         TEXT NOT NULL,
            name       TEXT NOT NULL,
            email      TEXT NOT NULL,
            role       TEXT NOT NULL,
            created_ms INTEGER NOT NULL,
            PRIMARY KEY (org_id, id)
        ) WITHOUT ROWID;

        -- A document's `account_id` names an account of its creator's organisation; the server's
        -- document registry records the organisation with it.
        CREATE TABLE accounts_v2 (
            org_id     TEXT NOT NULL REFERENCES organisations_v2 (id),
            id         TEXT NOT NULL,
            name       TEXT NOT NULL,
            created_ms INTEGER NOT NULL,
            PRIMARY KEY (org_id, id)
        ) WITHOUT ROWID;

        -- Account teams: who works on an account, and in which role. One organisation per row,
        -- so a team never takes in someone of another organisation.
        CREATE TABLE memberships_v2 (
            org_id     TEXT NOT NULL,
            account_id TEXT NOT NULL,
            user_id    TEXT NOT NULL,
            role       TEXT NOT NULL,
            PRIMARY KEY (org_id, account_id, user_id),
            FOREIGN KEY (org_id, account_id) REFERENCES accounts_v2 (org_id, id),
            FOREIGN KEY (org_id, user_id) REFERENCES users_v2 (org_id, id)
        ) WITHOUT ROWID;

        -- The supervision graph (not a tree), within one organisation: one row per direct edge.
        CREATE TABLE supervision_v2 (
            org_id     TEXT NOT NULL,
            supervisor TEXT NOT NULL,
            supervisee TEXT NOT NULL,
            PRIMARY KEY (org_id, supervisor, supervisee),
            CHECK (supervisor <> supervisee),
            FOREIGN KEY (org_id, supervisor) REFERENCES users_v2 (org_id, id),
            FOREIGN KEY (org_id, supervisee) REFERENCES users_v2 (org_id, id)
        ) WITHOUT ROWID;

        -- Bearer tokens, by the SHA-256 of the secret; the secret itself is never stored. Token
        -- ids are random and stay unique across organisations.
        CREATE TABLE tokens_v2 (
            id         TEXT PRIMARY KEY NOT NULL,
            org_id     TEXT NOT NULL,
            user_id    TEXT NOT NULL,
            hash       BLOB NOT NULL UNIQUE CHECK (length(hash) = 32),
            label      TEXT NOT NULL,
            created_ms INTEGER NOT NULL,
            expires_ms INTEGER NOT NULL,
            revoked_ms INTEGER,
            FOREIGN KEY (org_id, user_id) REFERENCES users_v2 (org_id, id)
        ) WITHOUT ROWID;

        INSERT INTO organisations_v2 SELECT lower(id), name, created_ms FROM organisations;
        INSERT INTO users_v2
            SELECT lower(org_id), lower(id), name, email, role, created_ms FROM users;
        INSERT INTO accounts_v2 SELECT lower(org_id), lower(id), name, created_ms FROM accounts;
        INSERT INTO memberships_v2
            SELECT lower(a.org_id), lower(m.account_id), lower(m.user_id), m.role
            FROM memberships m JOIN accounts a ON a.id = m.account_id;
        INSERT INTO supervision_v2
            SELECT lower(u.org_id), lower(s.supervisor), lower(s.supervisee)
            FROM supervision s JOIN users u ON u.id = s.supervisor;
        INSERT INTO tokens_v2
            SELECT lower(t.id), lower(u.org_id), lower(t.user_id), t.hash, t.label, t.created_ms,
                   t.expires_ms, t.revoked_ms
            FROM tokens t JOIN users u ON u.id = t.user_id;

        DROP TABLE tokens;
        DROP TABLE supervision;
        DROP TABLE memberships;
        DROP TABLE accounts;
        DROP TABLE users;
        DROP TABLE organisations;
        -- Renaming a table rewrites the references to it in the other tables.
        ALTER TABLE organisations_v2 RENAME TO organisations;
        ALTER TABLE users_v2 RENAME TO users;
        ALTER TABLE accounts_v2 RENAME TO accounts;
        ALTER TABLE memberships_v2 RENAME TO memberships;
        ALTER TABLE supervision_v2 RENAME TO supervision;
        ALTER TABLE tokens_v2 RENAME TO tokens;
        CREATE UNIQUE INDEX users_email ON users (org_id, email);
        CREATE INDEX memberships_user ON memberships (org_id, user_id);
        CREATE INDEX tokens_user ON tokens (org_id, user_id);
        ",
    )?;
    let dangling: Option<String> = tx
        .query_row("PRAGMA foreign_key_check", [], |r| r.get(0))
        .optional()?;
    if let Some(table) = dangling {
        return Err(DirectoryError::Corrupt(format!(
            "table {table} refers to rows that do not exist"
        )));
    }
    Ok(())
}

/// Reference data (stores, products, assortments, contacts, visit plans) and the accounts whose
/// catalog documents are not yet up to date with it: see `crate::reference::schema`.
fn to_v3(tx: &Transaction<'_>) -> Result<(), DirectoryError> {
    Ok(crate::reference::schema::create(tx)?)
}

/// Refuses the upgrade to case-insensitive ids if two ids would become one.
fn refuse_case_collisions(tx: &Transaction<'_>) -> Result<(), DirectoryError> {
    let collision: Option<(String, String, String)> = tx
        .query_row(
            "SELECT 'organisations', min(id), max(id) FROM organisations
                 GROUP BY lower(id) HAVING count(*) > 1
             UNION ALL
             SELECT 'users of organisation ' || min(org_id), min(id), max(id) FROM users
                 GROUP BY lower(org_id), lower(id) HAVING count(*) > 1
             UNION ALL
             SELECT 'accounts of organisation ' || min(org_id), min(id), max(id) FROM accounts
                 GROUP BY lower(org_id), lower(id) HAVING count(*) > 1
             LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    match collision {
        None => Ok(()),
        Some((what, a, b)) => Err(DirectoryError::Upgrade(format!(
            "ids are case-insensitive from now on, and the {what} {a:?} and {b:?} differ only \
             in case; change one of them in the directory file and start again"
        ))),
    }
}

fn refused(refusal: Refusal) -> DirectoryError {
    DirectoryError::Corrupt(format!("directory {refusal}"))
}

/// Brings the schema up to [`SCHEMA_VERSION`], one step per transaction (core's one migration
/// runner).
pub(crate) fn migrate(conn: &mut Connection) -> Result<(), DirectoryError> {
    migrations::run(conn, MIGRATIONS, SCHEMA_VERSION, "directory", refused)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user_version(conn: &Connection) -> Result<u32, DirectoryError> {
        migrations::user_version(conn).map_err(|e| match e {
            Ok(refusal) => refused(refusal),
            Err(sqlite) => DirectoryError::from(sqlite),
        })
    }

    /// A directory at `version`, with `rows` written in that version's schema.
    fn at_version(version: u32, rows: &str) -> Connection {
        let mut conn = Connection::open_in_memory().expect("open");
        conn.pragma_update(None, "foreign_keys", "ON").expect("fk");
        for step in &MIGRATIONS[..version as usize] {
            let tx = conn.transaction().expect("tx");
            step(&tx).expect("step");
            tx.commit().expect("commit");
        }
        conn.pragma_update(None, "user_version", version)
            .expect("version");
        conn.execute_batch(rows).expect("rows");
        conn
    }

    fn strings(conn: &Connection, sql: &str) -> Vec<String> {
        let mut stmt = conn.prepare(sql).expect("prepare");
        stmt.query_map([], |r| r.get::<_, String>(0))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows")
    }

    const V1_ROWS: &str = "
        INSERT INTO organisations VALUES ('Andes', 'Agencia Andes', 1), ('pampa', 'Pampa', 1);
        INSERT INTO users VALUES
            ('ana', 'Andes', 'Ana', 'ana@x', 'admin', 1),
            ('Julia', 'Andes', 'Julia', 'julia@x', 'junior_executive', 2),
            ('sup', 'Andes', 'Sup', 'sup@x', 'account_supervisor', 3),
            ('pia', 'pampa', 'Pia', 'pia@x', 'admin', 4);
        INSERT INTO accounts VALUES ('ACME', 'Andes', 'Acme', 1), ('gamma', 'pampa', 'Gamma', 1);
        INSERT INTO memberships VALUES ('ACME', 'Julia', 'junior_executive');
        INSERT INTO supervision VALUES ('sup', 'Julia');
        INSERT INTO tokens VALUES
            ('t1', 'Julia', zeroblob(32), 'phone', 1, 99, NULL),
            ('t2', 'pia', randomblob(32), 'laptop', 1, 99, 5);
    ";

    #[test]
    fn v1_upgrades_to_ids_per_organisation_in_one_case() {
        let mut conn = at_version(1, V1_ROWS);
        migrate(&mut conn).expect("upgrade");
        assert_eq!(user_version(&conn).expect("v"), SCHEMA_VERSION);
        assert_eq!(
            strings(&conn, "SELECT id FROM organisations ORDER BY id"),
            ["andes", "pampa"]
        );
        assert_eq!(
            strings(&conn, "SELECT org_id || '/' || id FROM users ORDER BY 1"),
            ["andes/ana", "andes/julia", "andes/sup", "pampa/pia"]
        );
        assert_eq!(
            strings(
                &conn,
                "SELECT org_id || '/' || id || ' ' || name FROM accounts ORDER BY 1"
            ),
            ["andes/acme Acme", "pampa/gamma Gamma"]
        );
        assert_eq!(
            strings(
                &conn,
                "SELECT org_id || ' ' || account_id || ' ' || user_id || ' ' || role
                 FROM memberships"
            ),
            ["andes acme julia junior_executive"]
        );
        assert_eq!(
            strings(
                &conn,
                "SELECT org_id || ' ' || supervisor || ' ' || supervisee FROM supervision"
            ),
            ["andes sup julia"]
        );
        assert_eq!(
            strings(
                &conn,
                "SELECT id || ' ' || org_id || ' ' || user_id || ' ' || label || ' '
                        || ifnull(revoked_ms, '-') FROM tokens ORDER BY id"
            ),
            ["t1 andes julia phone -", "t2 pampa pia laptop 5"]
        );
        // The same ids may now be taken by another organisation, and only there.
        conn.execute_batch(
            "INSERT INTO accounts VALUES ('pampa', 'acme', 'Acme Pampa', 2);
             INSERT INTO users VALUES ('pampa', 'julia', 'Julia', 'julia@x', 'admin', 2);
             INSERT INTO memberships VALUES ('pampa', 'acme', 'julia', 'admin');",
        )
        .expect("per organisation");
        assert!(
            conn.execute_batch("INSERT INTO memberships VALUES ('pampa', 'acme', 'ana', 'admin')")
                .is_err(),
            "a team only takes people of its organisation"
        );
    }

    #[test]
    fn ids_that_differ_only_in_case_stop_the_upgrade_and_change_nothing() {
        for rows in [
            "INSERT INTO organisations VALUES ('andes', 'A', 1), ('ANDES', 'B', 1);",
            "INSERT INTO organisations VALUES ('andes', 'A', 1);
             INSERT INTO users VALUES ('sam', 'andes', 'Sam', 's1@x', 'admin', 1),
                                      ('Sam', 'andes', 'Sam', 's2@x', 'admin', 1);",
            "INSERT INTO organisations VALUES ('andes', 'A', 1);
             INSERT INTO accounts VALUES ('acme', 'andes', 'A', 1), ('Acme', 'andes', 'B', 1);",
        ] {
            let mut conn = at_version(1, rows);
            let error = migrate(&mut conn).expect_err(rows);
            assert!(
                matches!(&error, DirectoryError::Upgrade(m) if m.contains("differ only in case")),
                "{error}"
            );
            assert_eq!(user_version(&conn).expect("v"), 1, "left as it was");
        }
        // In two organisations, the same id in two cases is two ids: no collision.
        let mut conn = at_version(
            1,
            "INSERT INTO organisations VALUES ('andes', 'A', 1), ('pampa', 'P', 1);
             INSERT INTO users VALUES ('sam', 'andes', 'Sam', 's@x', 'admin', 1),
                                      ('SAM', 'pampa', 'Sam', 's@x', 'admin', 1);",
        );
        migrate(&mut conn).expect("upgrade");
        assert_eq!(
            strings(&conn, "SELECT org_id || '/' || id FROM users ORDER BY 1"),
            ["andes/sam", "pampa/sam"]
        );
    }

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
