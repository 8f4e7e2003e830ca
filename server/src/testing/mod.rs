//! What tests of the server, here and in the workspace's `tests` crate, share: compiled for
//! this crate's own tests and with the feature `testing`, never into a shipped build.

pub mod smtp;
