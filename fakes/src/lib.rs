#![recursion_limit = "256"]
//! Faithful fakes of the services AgentSquad depends on.
//!
//! Each fake is an axum [`Router`](axum::Router) over its own state and knows
//! nothing of AgentSquad: the same router serves inside the turmoil simulation
//! ([`net::serve_simulated`]) and on real loopback sockets ([`net::serve_loopback`]).
//! Paths, fields, status codes and error shapes follow the real public APIs
//! (`docs/wire-facts.md`), so real clients work against them.

pub mod clock;
pub mod contextforge;
pub mod daytona;
pub mod fault;
mod form_urlencoded;
mod framework_error;
pub mod github;
pub mod glitchtip;
pub mod grid;
pub mod ids;
pub mod inspection;
pub mod jwt;
pub mod mcp;
pub mod mcp_sessions;
pub mod msgraph;
pub mod net;
pub mod timer;
