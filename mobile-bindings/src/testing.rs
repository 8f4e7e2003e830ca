//! Hooks for the binding tests only (feature `test-hooks`, never in an app build).

use crate::EnlaceError;

/// Panics with `reason`. The binding tests call it to check that a Rust panic reaches the app as
/// an exception (uniffi's `InternalError`/`InternalException`), not as a crash.
#[uniffi::export]
pub fn debug_panic(reason: String) -> Result<(), EnlaceError> {
    panic!("{reason}")
}
