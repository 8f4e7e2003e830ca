//! `admin gc-blobs` and `admin rebuild-blob-refs`: the blob service's upkeep from the command
//! line, on `blobs.sqlite3` and the blob directories of a data directory.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use super::admin::AdminCommand;
use crate::blobs::db::BlobDb;
use crate::blobs::gc::{self, GcTarget};
use crate::blobs::{BlobLimits, refs, stores_in};

/// Runs one of the blob commands.
pub(crate) fn run(data: &Path, command: &AdminCommand) -> Result<Value, String> {
    let database = data.join(crate::config::DATABASE_FILE);
    if !database.exists() {
        return Err(format!(
            "{} does not exist: run the server on this data directory first",
            database.display()
        ));
    }
    let db = BlobDb::open(data).map_err(|e| super::chain(&e))?;
    match command {
        AdminCommand::GcBlobs { grace_days } => {
            let limits = BlobLimits {
                grace: Duration::from_secs(grace_days.saturating_mul(86_400)),
                ..BlobLimits::default()
            };
            let (store, thumbnails, temp_dir) = stores_in(data);
            let target = GcTarget {
                db: &db,
                store: store.as_ref(),
                thumbnails: thumbnails.as_ref(),
                temp_dir: &temp_dir,
            };
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| super::chain(&e))?;
            let report = runtime
                .block_on(gc::collect(target, &limits, crate::directory::now_ms()))
                .map_err(|e| super::chain(&e))?;
            serde_json::to_value(report).map_err(|e| e.to_string())
        }
        AdminCommand::RebuildBlobRefs => {
            let documents = refs::rebuild_offline(&db, &database).map_err(|e| super::chain(&e))?;
            Ok(serde_json::json!({ "documents": documents }))
        }
        _ => Err("not a blob command".into()),
    }
}
