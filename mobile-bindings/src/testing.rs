//! Hooks for the binding tests only (feature `test-hooks`, never in an app build).

use std::sync::Arc;

use enlace_core::DocumentId;
use enlace_core::model::Catalog;

use crate::EnlaceError;
use crate::store::EnlaceStore;

/// Panics with `reason`. The binding tests call it to check that a Rust panic reaches the app as
/// an exception (uniffi's `InternalError`/`InternalException`), not as a crash.
#[uniffi::export]
pub fn debug_panic(reason: String) -> Result<(), EnlaceError> {
    panic!("{reason}")
}

/// Stores the catalog in `catalog_json` (core's `Catalog` as JSON) in `store` as if it had
/// synced from the server, so a binding test can use the catalog calls without a server.
#[uniffi::export]
pub fn debug_store_catalog(
    store: Arc<EnlaceStore>,
    catalog_json: String,
) -> Result<DocumentId, EnlaceError> {
    let catalog: Catalog =
        serde_json::from_str(&catalog_json).map_err(|e| EnlaceError::InvalidValue {
            field: "catalog_json".into(),
            reason: e.to_string(),
        })?;
    Ok(store.core().create(&catalog)?)
}
