//! Convergence under faults across the whole stack: seeded schedules of edits, partitions,
//! connection kills and server restarts, run against a real server process with several
//! replicas on real loopback sockets, each behind a [`proxy`] that injects the network faults.
//! At the end of a schedule (and at its checkpoints) every replica and the server must hold the
//! same heads and the same contents, and no change any replica made may be missing.
//!
//! - [`schedule`]: the seeded, deterministic schedule generator.
//! - [`proxy`]: the per-replica fault-injecting TCP proxy.
//! - [`edit`]: the documents and the edits applied to them.
//! - [`replica`]: device clients and test clients as replicas.
//! - [`runner`]: a server process ("lane") that runs schedules one after another and checks them.

pub mod edit;
pub mod proxy;
pub mod replica;
pub mod runner;
pub mod schedule;
