//! The one SQLite migration runner: every SQLite file enlace keeps (a phone's store, a server's
//! directory) is brought up to date by the same loop, each with its own list of steps and its
//! own error type.
//!
//! The schema version lives in `PRAGMA user_version`. Each step runs in its own `BEGIN
//! IMMEDIATE` transaction that also bumps the version, so a crash between steps leaves a file at
//! a version its code knows, and two processes opening one file never run a step twice (the
//! version is read inside the write lock).

use rusqlite::{Connection, Transaction, TransactionBehavior};

/// One step: from version `n` (its index in the list) to `n + 1`.
pub type Step<E> = fn(&Transaction<'_>) -> Result<(), E>;

/// Why a file cannot be migrated by this code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The file was written by newer code.
    Newer {
        /// Its version.
        found: u32,
        /// The newest this code knows.
        supported: u32,
    },
    /// `user_version` holds a value no version of this code writes.
    Unreadable {
        /// The value.
        found: i64,
    },
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Newer { found, supported } => {
                write!(
                    f,
                    "schema version {found} is newer than supported {supported}"
                )
            }
            Refusal::Unreadable { found } => write!(f, "schema version {found} is not valid"),
        }
    }
}

/// The version recorded in `conn`'s `PRAGMA user_version`.
pub fn user_version(conn: &Connection) -> Result<u32, Result<Refusal, rusqlite::Error>> {
    let v: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(Err)?;
    u32::try_from(v).map_err(|_| Ok(Refusal::Unreadable { found: v }))
}

/// Runs `steps` on `conn` until it is at version `target` (at most `steps.len()`). `refuse`
/// turns a [`Refusal`] into the caller's error; `what` names the file in the logs.
pub fn run<E: From<rusqlite::Error>>(
    conn: &mut Connection,
    steps: &[Step<E>],
    target: u32,
    what: &'static str,
    refuse: impl Fn(Refusal) -> E,
) -> Result<(), E> {
    let supported = u32::try_from(steps.len()).unwrap_or(u32::MAX);
    let error = |e: Result<Refusal, rusqlite::Error>| match e {
        Ok(refusal) => refuse(refusal),
        Err(sqlite) => E::from(sqlite),
    };
    loop {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Read inside the write lock: another process may have upgraded meanwhile.
        let version = user_version(&tx).map_err(error)?;
        if version > supported {
            return Err(refuse(Refusal::Newer {
                found: version,
                supported,
            }));
        }
        if version >= target.min(supported) {
            return Ok(());
        }
        // In range: `version < supported == steps.len()`.
        let Some(step) = steps.get(version as usize) else {
            return Err(refuse(Refusal::Newer {
                found: version,
                supported,
            }));
        };
        step(&tx)?;
        tx.pragma_update(None, "user_version", version + 1)?;
        tx.commit()?;
        tracing::info!(
            file = what,
            from = version,
            to = version + 1,
            "schema upgraded"
        );
    }
}
