//! The base layer: what every other layer may use, and which uses none of them.

pub(crate) mod clock;
pub(crate) mod identity;
pub(crate) mod loadouts;
pub(crate) mod probe;
pub(crate) mod run_events;
pub(crate) mod templates;
pub mod topology;
