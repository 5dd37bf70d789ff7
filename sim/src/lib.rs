//! squadsim: a deterministic simulator and conformance harness for AgentSquad.
//!
//! The AgentSquad control plane (Studio API, run control, Harness Runtime,
//! Armory) runs against faithful fakes (`squadsim-fakes`) on turmoil's simulated
//! network. A [`scenario::Scenario`] declares conditions, faults, agent
//! behaviours and operator steps; [`world::run`] produces an
//! [`outcome::Outcome`] in which blockers and statuses emerge from the services
//! reacting over HTTP. Same scenario and seed, byte-identical outcome.

pub mod agent_process;
pub mod agent_process_adapter;
pub mod agent_server;
pub mod armory;
pub mod cli;
pub mod clock;
pub mod conform;
pub mod delivery;
pub mod delivery_work;
pub mod diagnosis;
pub mod explain;
pub mod fault_schedule;
pub mod grids;
pub mod harness;
pub mod hud;
pub mod identity;
pub mod invariants;
pub mod operator;
pub mod outcome;
pub mod platform_agent;
pub mod report;
pub mod run_record;
pub mod scenario;
pub mod serve;
pub mod skills;
pub mod snapshot;
pub mod studio;
pub mod sweep;
pub mod templates;
pub mod temporal_lifecycle;
pub mod trace;
pub mod walls;
pub mod worktree;
pub mod world;

pub use outcome::Outcome;
pub use scenario::Scenario;
