//! The workspace side of an agent attempt.

pub(crate) mod adapters;
pub(crate) mod agent_process;
pub(crate) mod delivery_work;
pub(crate) mod preview_app;
