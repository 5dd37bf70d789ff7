//! squadsim: a deterministic simulator and conformance harness for AgentSquad.
//!
//! The AgentSquad control plane (Studio API, run control, Harness Runtime,
//! Armory) runs against faithful fakes (`squadsim-fakes`) on turmoil's simulated
//! network. A [`scenario::Scenario`] declares conditions, faults, agent
//! behaviours and operator steps; [`engine::world::run`] produces an
//! [`engine::outcome::Outcome`] in which blockers and statuses emerge from the
//! services reacting over HTTP. Same scenario and seed, byte-identical outcome.
//!
//! The crate is five layers, each importing only the layers before it:
//! [`base`] -> [`scenario`] -> [`platform`] -> [`engine`] -> [`tools`]
//! (ARCHITECTURE.md, "Layers"; a test keeps the direction).

pub mod base;
pub mod engine;
pub mod platform;
pub mod scenario;
pub mod tools;

pub use engine::outcome::Outcome;
pub use scenario::Scenario;
