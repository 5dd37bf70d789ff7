//! The tools layer: the command line and what it writes.

pub mod allocator;
pub mod cli;
pub mod conform;
pub mod determinism;
pub mod explain;
pub mod report;
pub mod serve;
pub(crate) mod snapshot;
pub mod sweep;
pub(crate) mod trace;
