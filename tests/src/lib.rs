//! Shared helpers for enlace's end-to-end tests.
