//! The platform layer: the modelled AgentSquad services.

pub(crate) mod agent_server;
pub(crate) mod grids;
pub(crate) mod hud;
pub mod platform_agent;
pub(crate) mod skills;
pub mod studio;
pub(crate) mod workspace;
