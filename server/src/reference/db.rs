//! The reference tables' connection (to the directory file, whose migration made them) and the
//! projection's to-do list, `catalog_dirty`.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Transaction, params};

use super::ReferenceError;
use crate::directory::{AccountId, Directory, OrgId};

/// Most dirty accounts taken in one round of projection.
pub(crate) const DIRTY_BATCH: usize = 256;

/// One connection to the directory file for reference data. Calls serialise on it.
#[derive(Debug)]
pub struct ReferenceDb {
    conn: Mutex<Connection>,
}

impl ReferenceDb {
    /// Opens the directory in `data_dir` (creating and upgrading it as [`Directory`] does, so
    /// the reference tables exist) and a connection for reference data.
    pub fn open_in(data_dir: &Path) -> Result<Self, ReferenceError> {
        drop(Directory::open_in(data_dir)?);
        let path = data_dir.join(crate::directory::DIRECTORY_FILE);
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        Ok(ReferenceDb {
            conn: Mutex::new(conn),
        })
    }

    /// The connection.
    pub(crate) fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Checks that `org` exists.
pub(crate) fn require_org(conn: &Connection, org: &OrgId) -> Result<(), ReferenceError> {
    if crate::directory::org_exists(conn, org)? {
        Ok(())
    } else {
        Err(ReferenceError::NotFound)
    }
}

/// Lists `accounts` of `org` as needing their catalog written again.
pub(crate) fn mark_dirty(
    tx: &Transaction<'_>,
    org: &OrgId,
    accounts: &BTreeSet<String>,
) -> rusqlite::Result<()> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO catalog_dirty (org_id, account_id) VALUES (?1, ?2)
         ON CONFLICT DO UPDATE SET generation = generation + 1",
    )?;
    for account in accounts {
        stmt.execute(params![org.as_str(), account])?;
    }
    Ok(())
}

/// An account whose catalog must be written again, and the mark's generation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Dirty {
    pub org: OrgId,
    pub account: AccountId,
    pub generation: i64,
}

impl Dirty {
    /// The account, qualified.
    pub(crate) fn key(&self) -> String {
        format!("{}/{}", self.org, self.account)
    }
}

/// Up to [`DIRTY_BATCH`] accounts whose catalog must be written again.
pub(crate) fn dirty(conn: &Connection) -> Result<Vec<Dirty>, ReferenceError> {
    let mut stmt = conn.prepare_cached(
        "SELECT org_id, account_id, generation FROM catalog_dirty
         ORDER BY org_id, account_id LIMIT ?1",
    )?;
    let rows = stmt.query_map(params![DIRTY_BATCH as i64], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (org, account, generation) = row?;
        let parsed = org.parse().ok().zip(account.parse().ok());
        match parsed {
            Some((org, account)) => out.push(Dirty {
                org,
                account,
                generation,
            }),
            None => {
                return Err(ReferenceError::Corrupt(format!(
                    "catalog_dirty names {org:?}/{account:?}"
                )));
            }
        }
    }
    Ok(out)
}

/// Takes an account off the to-do list (its catalog was written), unless it was marked again
/// since `dirty` was read.
pub(crate) fn clear_dirty(conn: &Connection, dirty: &Dirty) -> rusqlite::Result<()> {
    conn.execute(
        "DELETE FROM catalog_dirty WHERE org_id = ?1 AND account_id = ?2 AND generation = ?3",
        params![dirty.org.as_str(), dirty.account.as_str(), dirty.generation],
    )?;
    Ok(())
}
