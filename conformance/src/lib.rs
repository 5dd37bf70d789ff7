//! The AgentSquad delivery language as code.
//!
//! Everything here comes from the delivery-language seed and the
//! runtime-operations runbook (the passages relied on: `docs/seeds.md`).
//! The simulation (`squadsim`) and the
//! lint read the same definitions, so a code the simulation emits is always a code
//! the checks know.
//!
//! Guarantees:
//! - [`vocabulary`] lists every blocker code, wall and session status the seeds name;
//!   the few blocker codes the model defines where the seeds name none are kept
//!   apart and marked model-defined; wire aliases map onto exactly one canonical name.
//! - [`tool_name`] implements canonical tool matching: a bare upstream name, a
//!   federated wire name and an agent-facing name of the same tool compare equal.

pub mod exit;
pub mod lint;
pub mod regular_file;
pub mod tool_name;
pub mod vocabulary;
pub mod wire;
pub mod yaml_spans;
pub mod yaml_syntax;
