//! squadsim-conformance's integration tests, one binary: a module per topic.
//! One binary links the crate once, and its tests run side by side on every
//! core (cargo runs test binaries one after another).

mod dogfood;
mod lint_cli;
mod lint_guardrails;
mod lint_rules;
mod wire;
