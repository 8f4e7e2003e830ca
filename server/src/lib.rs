//! enlace-server: the websocket sync server. Built out in later milestones; for now it only
//! re-exports the core so the workspace links end to end.

pub use enlace_core as core;
