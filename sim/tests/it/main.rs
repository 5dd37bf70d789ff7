//! squadsim's integration tests, one binary: a module per topic, all sharing
//! [`support`]. One binary links the crate once, and its tests run side by
//! side on every core (cargo runs test binaries one after another).
//!
//! A test reads like the behaviour it pins; most scenario tests run a corpus
//! scenario (`scenarios/*.yaml`) and its twin without the fault.

mod support;

mod agent_hud_status;
mod agent_process_adapters;
mod armory;
mod arrivals;
mod bootstrap_assets;
mod bounds;
mod ci_config;
mod cli;
mod concurrent_runs;
mod conform;
mod control_plane_incidents;
mod coverage;
mod daytona_core_pods;
mod delivery_graph;
mod determinism;
mod diagnosis_checks;
mod docs;
mod ephemeral_ports;
mod explain;
mod fault_events;
mod faults;
mod first_tool_gate;
mod glitchtip_in_a_run;
mod host_turns;
mod incidents;
mod launch_identity;
mod launches;
mod layers;
mod leaps;
mod least_privilege;
mod lifecycle;
mod liveness;
mod loader;
mod loader_fuzz;
mod no_progress;
mod node_health;
mod observability_dsn;
mod platform_agent;
mod replay;
mod report_browser;
mod reports;
mod requests;
mod restarts;
mod run_control_surfaces;
mod run_report;
mod scenarios;
mod serve;
mod sharded_sweeps;
mod skill_pull;
mod skipped_steps;
mod skipped_turns;
mod snapshot_hygiene;
mod storage;
mod studio_api;
mod swarm;
mod sweep;
mod teardown_order;
mod test_command;
mod token_shapes;
mod tool_call_events;
mod tool_timeout;
mod turmoil_orders;
mod twins;
mod walls;
mod wire_corpus;
mod workspace_phase;
mod worktrees;
