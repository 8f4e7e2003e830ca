//! enlace-mobile: the uniffi layer over `enlace-core` for phone apps.
uniffi::setup_scaffolding!();

/// Test.
#[uniffi::export]
pub fn ping() -> u32 {
    1
}
