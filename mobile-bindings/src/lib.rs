//! enlace-mobile: the uniffi layer over `enlace-core` for phone apps. The bindings themselves
//! arrive with the mobile milestone; the crate builds so the workspace stays whole.

pub use enlace_core as core;
