//! The engine layer: the turmoil world a scenario runs in.

pub mod coverage;
pub mod diagnosis;
pub(crate) mod fault_schedule;
pub mod invariants;
pub mod liveness;
pub(crate) mod operator;
pub mod outcome;
pub mod run_record;
pub mod services;
pub mod world;
