//! The platform layer: the modelled AgentSquad services.

pub mod agent_server;
pub mod grids;
pub mod hud;
pub mod platform_agent;
pub mod skills;
pub mod studio;
pub mod workspace;
