//! The SQLite files of a server's data directory, checked from outside the server: `PRAGMA
//! integrity_check` on each (the full check, indexes included), and the page layout that the
//! corruption tests damage on purpose.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

/// The document store's file in a data directory (see `ServerConfig::database_path`).
pub const STORE_FILE: &str = "enlace.sqlite3";

/// A database file that failed its check.
#[derive(Debug, thiserror::Error)]
pub enum IntegrityError {
    /// SQLite could not open or read it.
    #[error("checking {}", path.display())]
    Sqlite {
        /// The file.
        path: PathBuf,
        /// What SQLite said.
        #[source]
        source: rusqlite::Error,
    },
    /// `PRAGMA integrity_check` answered something other than `ok`.
    #[error("integrity_check of {}: {report}", path.display())]
    Damaged {
        /// The file.
        path: PathBuf,
        /// Every row the check returned, joined.
        report: String,
    },
}

/// The server's database files present in `data_dir`: the document store and, when the server
/// runs authenticated, `directory.sqlite3` (WAL and shared-memory files are not databases).
pub fn database_files(data_dir: &Path) -> Vec<PathBuf> {
    [STORE_FILE, enlace_server::directory::DIRECTORY_FILE]
        .iter()
        .map(|name| data_dir.join(name))
        .filter(|path| path.exists())
        .collect()
}

/// Runs `PRAGMA integrity_check` on the database at `path` through a read-only connection (it
/// may be open in a running server: WAL lets it read a consistent snapshot meanwhile).
pub fn check(path: &Path) -> Result<(), IntegrityError> {
    let failed = |source| IntegrityError::Sqlite {
        path: path.to_owned(),
        source,
    };
    let conn =
        Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(failed)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .map_err(failed)?;
    let mut statement = conn.prepare("PRAGMA integrity_check").map_err(failed)?;
    let rows = statement
        .query_map([], |row| row.get::<_, String>(0))
        .map_err(failed)?
        .collect::<Result<Vec<String>, _>>()
        .map_err(failed)?;
    if rows == ["ok"] {
        Ok(())
    } else {
        Err(IntegrityError::Damaged {
            path: path.to_owned(),
            report: rows.join("; "),
        })
    }
}

/// Checks every database file of `data_dir`; returns how many were checked.
pub fn check_data_dir(data_dir: &Path) -> Result<usize, IntegrityError> {
    let files = database_files(data_dir);
    for file in &files {
        check(file)?;
    }
    Ok(files.len())
}

/// Moves everything in the WAL of the database at `path` into the file itself and removes the
/// WAL, as a clean shutdown of the last connection does: the file alone then holds the whole
/// database, so damage done to it is damage to the data.
pub fn checkpoint(path: &Path) -> Result<(), rusqlite::Error> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    // Closing the last connection removes the (now empty) WAL and shared-memory files.
    conn.close().map_err(|(_, e)| e)
}

/// The 1-based numbers of the b-tree pages (tables and indexes, interior and leaf) of a
/// checkpointed database file, read from its bytes: the pages whose damage SQLite must notice.
pub fn btree_pages(bytes: &[u8]) -> Vec<usize> {
    let Some(page_size) = page_size(bytes) else {
        return Vec::new();
    };
    bytes
        .chunks(page_size)
        .enumerate()
        .skip(1) // page 1 starts with the 100-byte file header
        .filter(|(_, page)| matches!(page.first(), Some(0x02 | 0x05 | 0x0a | 0x0d)))
        .map(|(index, _)| index + 1)
        .collect()
}

/// The page size from a database file's header (bytes 16-17, where 1 means 65536).
pub fn page_size(bytes: &[u8]) -> Option<usize> {
    let raw = u16::from_be_bytes([*bytes.get(16)?, *bytes.get(17)?]);
    match raw {
        1 => Some(65536),
        n if n >= 512 && n.is_power_of_two() => Some(usize::from(n)),
        _ => None,
    }
}
