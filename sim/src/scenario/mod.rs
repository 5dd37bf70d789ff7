//! The scenario format: conditions, faults, agent behaviours and operator steps.
//!
//! A scenario never states an outcome. Blockers, walls and statuses come out of
//! the modelled services reacting to what is declared here (`docs/design.md`, "The one
//! principle"). The format is documented in `scenarios/README.md`; its JSON Schema
//! is generated from these types (`squadsim schema`).
//!
//! Guarantees: unknown fields are rejected; every load error names the file, the
//! line and column (found from the field's path in the document, [`locate`]),
//! the field path and the shape that was expected, and prints scenario text
//! escaped ([`escape`]); every duration and count is bounded ([`bounds`]); a
//! scenario that would make the simulation panic (an unknown host, a zero tick)
//! or whose world the fakes would refuse is refused here ([`validate`]), before
//! any simulation is built.

mod agents;
mod bootstrap_assets;
pub(crate) mod bounds;
mod conditions;
mod durations;
mod faults;
mod invariants;
mod launches;
mod load;
mod locate;
pub(crate) use locate::name_line;
mod schema;
pub mod sometimes;
mod steps;
mod swarm;
mod tool_call;
mod validate;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::base::topology::Host;

pub use agents::{AgentBehaviour, DeliveryStep, HandoffBehaviour, MergeDecision, PreviewApp, RetryBehaviour};
pub use bootstrap_assets::{BootstrapAssetStep, RepositoryFile};
pub use bounds::MAX_LAUNCH_COUNT;
pub use conditions::{
    core_pods_down, AgentProcessAdapter, CorePodTrouble, CorrectionError, DaytonaCorePod, GithubCondition,
    GlitchtipCondition, GraphServiceTime, LifecycleDeadlines, LlmCredential, MsgraphCondition, OperatorIdentity,
    OrgCondition, PlatformAgentCondition, PlatformMcpTool, PriorRun, ProjectCondition, ProvisioningPath,
    RunStoreCondition, RuntimeBinding, SkillCondition, SkillsCondition, StorageCondition, TokenShape, World,
    BESPOKE_DIVERGENCES,
};
pub use durations::{DurationError, SimDuration};
pub use faults::{
    Delay, Fault, FaultEnd, FaultKind, FaultStart, HttpEvent, ServiceEffect, ToolCallEvent, Trigger, WallEvent,
    MERGE_PATH, SERVICE_METHODS,
};
pub use invariants::{InvalidInvariant, Invariants, RunInvariants, Symptom, DIAGNOSIS_PLANES, RUN_STATUSES};
pub(crate) use load::escape;
pub use load::{discover, unsearched, ScenarioError};
pub use schema::json_schema;
pub use steps::{ChatStep, LaunchStep, OnRun, RequestMethod, RequestStep, Step, WatchStep, RUN_ID_PLACEHOLDER};
pub use swarm::{Between, Menu, SwarmMenu};
pub(crate) use validate::named_agent_roles;

/// One scenario file.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Short name; defaults to the file name without `.yaml`.
    #[serde(default)]
    pub name: String,
    /// What this scenario reproduces, and which seed passage it comes from.
    #[serde(default)]
    pub description: String,
    /// The one seed driving the network, every id, nickname and token.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Conditions of the world before the operator's first step.
    #[serde(default)]
    pub world: World,
    /// Scripted agent behaviour per role id (the LLM is the only scripted part).
    #[serde(default)]
    pub agents: BTreeMap<String, AgentBehaviour>,
    /// Network faults, scheduled in simulated time.
    #[serde(default, with = "serde_yaml::with::singleton_map_recursive")]
    #[schemars(with = "Vec<Fault>", length(max = bounds::MAX_FAULTS))]
    pub faults: Vec<Fault>,
    /// What must hold under every seed, host order and latency of a seed sweep
    /// (`squadsim run --seeds N`); the snapshot still pins the scenario's own seed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invariants: Option<Invariants>,
    /// Coverage probes (`blocker:agent_first_tool_required`, `wall_cleared:planner_wall`, ...) that
    /// some seed of a sweep must reach at least once; a sweep that never reaches one fails.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = bounds::MAX_FAULTS))]
    pub sometimes: Vec<String>,
    /// The menu a swarm sweep (`--swarm`) draws each seed's fault mix from; default: every host and
    /// link of the world, every kind of fault.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub swarm: Option<SwarmMenu>,
    /// What the operator does, in order, against the Studio API.
    #[serde(with = "serde_yaml::with::singleton_map_recursive")]
    #[schemars(with = "Vec<Step>", length(min = 1, max = bounds::MAX_STEPS))]
    pub steps: Vec<Step>,
}

fn default_seed() -> u64 {
    1
}

impl Scenario {
    /// Every host of this scenario's world, which its faults may name:
    /// [`Host::WORLD`], then the platform agent's hosts when `world.platform_agent` is set.
    pub fn hosts(&self) -> Vec<Host> {
        let extra = self.world.platform_agent.as_ref().map(|_| Host::PLATFORM_AGENT.as_slice()).unwrap_or_default();
        Host::WORLD.iter().chain(extra).copied().collect()
    }
}
