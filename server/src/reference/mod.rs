//! Reference data: the stores, products, assortments, contacts and visit plans an organisation
//! keeps on the server, imported as CSV by admins (and directors, for their accounts), and
//! delivered to phones as one read-only catalog document per account
//! ([`Catalog`](enlace_core::model::Catalog)).
//!
//! Layout, one job per file:
//! - `kind`: the five kinds and their exact CSV headers.
//! - `gtin`: barcode checks (length, digits, GS1 check digit).
//! - `rows`: one CSV line of each kind, checked on its own.
//! - `parse`: a whole file, every bad line named with its line number.
//! - `schema`: the tables, created by the directory's migration runner.
//! - `db`: the tables' connection and the to-do list of catalogs (`catalog_dirty`).
//! - `import`: a file checked against the organisation and upserted in one transaction.
//! - `manage`: listing and deleting single rows (the admin API and command line).
//! - `project`: an account's catalog as the tables say it should be.
//! - `publish`: writing catalogs into documents under the server's actor, and the watcher that
//!   writes those another process (the `admin` command) or a crash left to do.

mod db;
mod gtin;
mod import;
mod kind;
pub(crate) mod manage;
mod parse;
mod project;
pub(crate) mod publish;
mod rows;
pub(crate) mod schema;

pub use db::ReferenceDb;
pub use import::{ImportOutcome, Importer};
pub use kind::{ReferenceKind, UnknownKind};
pub use parse::{LineError, LineErrors, MAX_FILE_BYTES, MAX_ROWS};

use enlace_core::ids::DocumentId;

use crate::directory::{DirectoryError, OrgId};

/// Why a reference operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ReferenceError {
    /// The file has bad lines (or names what does not exist); nothing was written.
    #[error("{} bad line(s)", .0.errors.len() as u64 + .0.more)]
    Lines(LineErrors),
    /// The caller may not do this.
    #[error("{0}")]
    NotAllowed(&'static str),
    /// No such organisation or row.
    #[error("not found")]
    NotFound,
    /// The row is in use (a store or product an assortment or plan names).
    #[error("{0}")]
    Conflict(String),
    /// The request is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// The directory could not be opened.
    #[error("directory")]
    Directory(#[from] DirectoryError),
    /// SQLite failed.
    #[error("reference tables")]
    Sqlite(#[from] rusqlite::Error),
    /// The documents store failed.
    #[error("documents store")]
    Store(#[from] enlace_core::store::StoreError),
    /// The model refused a catalog.
    #[error("catalog")]
    Model(#[from] enlace_core::model::ModelError),
    /// The tables hold what this code never writes.
    #[error("reference tables are corrupt: {0}")]
    Corrupt(String),
    /// A catalog's document id is registered as something else.
    #[error("document {0} is registered as something other than its catalog")]
    Taken(DocumentId),
    /// The server is shutting down.
    #[error("the server is shutting down")]
    Stopping,
}

/// The catalog document id of `account` of `org` (see [`Catalog::id_for`](enlace_core::model::Catalog::id_for)).
pub fn catalog_id(org: &OrgId, account: &crate::directory::AccountId) -> DocumentId {
    enlace_core::model::Catalog::id_for(org.as_str(), account.as_str())
}

/// Imports a file into `org` without writing catalogs: the command line's import, whose
/// catalogs a server on the same data directory writes (`publish::watch`).
pub fn import_rows(
    db: &ReferenceDb,
    org: &OrgId,
    kind: ReferenceKind,
    text: &[u8],
    importer: &Importer,
) -> Result<ImportOutcome, ReferenceError> {
    import::import(&mut db.conn(), org, kind, text, importer)
}
