//! The base layer: what every other layer may use, and which uses none of them.

pub mod clock;
pub mod identity;
pub mod run_events;
pub mod templates;
pub mod topology;
