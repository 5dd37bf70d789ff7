//! The workspace side of an agent attempt.

pub mod adapters;
pub mod agent_process;
pub mod delivery_work;
