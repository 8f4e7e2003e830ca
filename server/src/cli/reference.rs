//! `enlace-server admin --data DIR reference ...`: reference data from the command line.
//!
//! `import` checks and writes the rows and lists the catalogs they change; a server running on
//! the same data directory writes those catalog documents within a second, and one that is not
//! running writes them when it starts. It prints `{"changed": n, "unchanged": m}`, or the bad
//! lines as `{"errors": [{"line", "reason"}], "more"?}` on stdout with exit code 1 (nothing is
//! written then).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;
use serde_json::{Value, json};

use crate::directory::OrgId;
use crate::reference::manage::{self, MAX_PAGE};
use crate::reference::{Importer, MAX_FILE_BYTES, ReferenceDb, ReferenceError, ReferenceKind};

/// `admin reference <command>`.
#[derive(Debug, Subcommand)]
pub(crate) enum ReferenceCommand {
    /// Import a CSV file of one kind (an upsert: rows not in the file are kept).
    Import {
        /// The organisation.
        #[arg(long)]
        org: OrgId,
        /// stores, products, assortments, contacts or visit-plans.
        #[arg(long)]
        kind: ReferenceKind,
        /// The CSV file (`-` for standard input).
        #[arg(long)]
        file: PathBuf,
    },
    /// Print a page of a kind's rows as `{"rows": [...], "next_offset": n|null}`.
    List {
        /// The organisation.
        #[arg(long)]
        org: OrgId,
        /// stores, products, assortments, contacts or visit-plans.
        #[arg(long)]
        kind: ReferenceKind,
        /// Rows to skip.
        #[arg(long, default_value_t = 0)]
        offset: u64,
        /// Rows to print (at most 1000).
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// Delete one row by its key: a store code, a GTIN, ACCOUNT/STORE/GTIN (STORE may be
    /// cluster:NAME) for an assortment row, ACCOUNT/ID for a contact or visit plan.
    Delete {
        /// The organisation.
        #[arg(long)]
        org: OrgId,
        /// stores, products, assortments, contacts or visit-plans.
        #[arg(long)]
        kind: ReferenceKind,
        /// The row's key.
        #[arg(long)]
        key: String,
    },
}

fn read_file(file: &Path) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let mut bytes = Vec::new();
    let limit = MAX_FILE_BYTES as u64 + 1;
    let read = if file.as_os_str() == "-" {
        std::io::stdin().take(limit).read_to_end(&mut bytes)
    } else {
        std::fs::File::open(file).and_then(|f| f.take(limit).read_to_end(&mut bytes))
    };
    read.map_err(|e| format!("reading {}: {}", file.display(), super::chain(&e)))?;
    Ok(bytes)
}

/// Runs one reference command.
pub(crate) fn run(data: &Path, command: &ReferenceCommand) -> ExitCode {
    let db = match std::fs::create_dir_all(data)
        .map_err(|e| format!("creating {}: {e}", data.display()))
        .and_then(|()| ReferenceDb::open_in(data).map_err(|e| super::chain(&e)))
    {
        Ok(db) => db,
        Err(message) => return failed(&message),
    };
    let result = match command {
        ReferenceCommand::Import { org, kind, file } => match read_file(file) {
            Ok(text) => crate::reference::import_rows(&db, org, *kind, &text, &Importer::Admin)
                .map(|outcome| json!(outcome)),
            Err(message) => return failed(&message),
        },
        ReferenceCommand::List {
            org,
            kind,
            offset,
            limit,
        } => {
            let limit = (*limit).clamp(1, MAX_PAGE);
            manage::list(&db.conn(), org, *kind, *offset, limit, &Importer::Admin).map(|rows| {
                let next = (rows.len() == limit as usize).then(|| offset + u64::from(limit));
                json!({"rows": rows, "next_offset": next})
            })
        }
        ReferenceCommand::Delete { org, kind, key } => {
            manage::delete(&mut db.conn(), org, *kind, key, &Importer::Admin)
                .map(|()| json!({"deleted": key}))
        }
    };
    match result {
        Ok(value) => {
            println!("{value}");
            ExitCode::SUCCESS
        }
        Err(ReferenceError::Lines(lines)) => {
            let mut body: Value = json!({"errors": lines.errors});
            if lines.more > 0 {
                body["more"] = json!(lines.more);
            }
            println!("{body}");
            eprintln!("enlace-server admin: the file has bad lines; nothing was imported");
            ExitCode::FAILURE
        }
        Err(error) => failed(&super::chain(&error)),
    }
}

fn failed(message: &str) -> ExitCode {
    eprintln!("enlace-server admin: {message}");
    ExitCode::FAILURE
}
