//! Checks made before anything is opened for writing: the data directory can be written, and
//! each database file the server will write is one SQLite can read whole (`PRAGMA
//! quick_check`). A damaged file is refused, named, at start: served, it would fail one
//! document at a time much later, and writes into a damaged b-tree can spread the damage.
//!
//! `quick_check` reads every page once (no index cross-checks): for a 2 GB store, 1.4 s with the
//! file in the page cache and about 40 s from a cold 50 MB/s disk (RELIABILITY.md), paid once
//! per process. [`StartupCheck::Off`](crate::StartupCheck::Off) skips these scans.

use std::path::Path;

use enlace_core::store::StoreError;
use rusqlite::{Connection, OpenFlags};

use crate::ServerError;
use crate::directory::DirectoryError;

/// Rows of a failed check kept in the error: the first few say where the damage is.
const REPORTED_ROWS: usize = 5;

/// Fails with [`ServerError::DataDirNotWritable`] unless a file can be created in `dir`.
pub(crate) fn writable(dir: &Path) -> Result<(), ServerError> {
    let not_writable = |source| ServerError::DataDirNotWritable {
        path: dir.to_owned(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(not_writable)?;
    let probe = dir.join(format!(".enlace-write-probe-{}", std::process::id()));
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&probe)
        .map_err(not_writable)?;
    if let Err(error) = std::fs::remove_file(&probe) {
        tracing::warn!(%error, probe = %probe.display(), "could not remove the write probe");
    }
    Ok(())
}

/// Checks the document store at `path`, if it exists (a new data directory has none yet).
pub(crate) fn store(path: &Path) -> Result<(), ServerError> {
    quick_check(path)
        .map_err(StoreError::Sqlite)
        .and_then(|report| match report {
            None => Ok(()),
            Some(what) => Err(StoreError::Corrupt {
                what: format!("quick_check: {what}"),
                source: None,
            }),
        })
        .map_err(|e| ServerError::Storage(e).in_file(path))
}

/// Checks the directory database at `path`, if it exists.
pub(crate) fn directory(path: &Path) -> Result<(), ServerError> {
    quick_check(path)
        .map_err(DirectoryError::Sqlite)
        .and_then(|report| match report {
            None => Ok(()),
            Some(what) => Err(DirectoryError::Corrupt(format!("quick_check: {what}"))),
        })
        .map_err(|e| ServerError::Directory(e).in_file(path))
}

/// `None` if the file is missing or passes `PRAGMA quick_check`; else what the check said.
fn quick_check(path: &Path) -> Result<Option<String>, rusqlite::Error> {
    if !path.exists() {
        return Ok(None);
    }
    let started = std::time::Instant::now();
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(enlace_core::store::BUSY_TIMEOUT)?;
    let mut statement = conn.prepare("PRAGMA quick_check")?;
    let rows = statement
        .query_map([], |row| row.get::<_, String>(0))?
        .collect::<Result<Vec<String>, _>>()?;
    tracing::info!(file = %path.display(), elapsed = ?started.elapsed(), "database checked");
    if rows.len() == 1 && rows[0] == "ok" {
        return Ok(None);
    }
    let mut report = rows
        .iter()
        .take(REPORTED_ROWS)
        .cloned()
        .collect::<Vec<_>>()
        .join("; ");
    if rows.len() > REPORTED_ROWS {
        report.push_str(&format!("; ... {} more", rows.len() - REPORTED_ROWS));
    }
    Ok(Some(report))
}
