//! Delivery graph templates (`docs/seeds.md`, runbook: ouroboros, pm-ouroboros, agentsquad
//! (project delivery / migration), research-team).
//!
//! A template names its delivery graph kind and its intake pair: the roster a
//! launch starts with. More agents join later by handoff.

use serde::Serialize;
use squadsim_conformance::vocabulary::Wall;

/// The first tool the launch contract requires of an intake agent: the HUD
/// snapshot on the `fractalops-hud` grid (`docs/seeds.md`, runbook: "the required first tool is
/// usually an MCP/HUD tool").
pub(crate) const REQUIRED_FIRST_TOOL: (&str, &str) = ("fractalops-hud", "get_hud_snapshot");

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Template {
    pub template_id: &'static str,
    pub description: &'static str,
    /// The default delivery graph kind of runs of this template.
    pub delivery_graph_kind: &'static str,
    /// Roles the roster starts with.
    pub intake_roles: &'static [&'static str],
    /// Who hands work to whom: (sender role, recipient role, intent, required result,
    /// the wall guarding that result).
    pub handoff_graph: &'static [HandoffEdge],
}

/// The delivery graph of the agentsquad template (`docs/seeds.md`, delivery-language seed: intake ->
/// planning -> implementation -> PR -> tester evidence -> committer merge -> closer lineage).
const PROJECT_DELIVERY_GRAPH: &[HandoffEdge] = &[
    (
        "planner",
        "implementer",
        "implement this lane of the work scope",
        "a pull request from the lane's agent-owned worktree",
        Wall::Delivery,
    ),
    ("implementer", "tester", "verify the lane's pull request", "evidence attached to the pull request", Wall::Tester),
    (
        "tester",
        "committer",
        "decide the merge of the verified pull requests",
        "a closed merge lifecycle decision",
        Wall::Committer,
    ),
    ("committer", "closer", "close the delivery", "DataHub lineage published for the merged work", Wall::Closer),
];

/// (sender role, recipient role, intent, required result, fallback wall).
pub(crate) type HandoffEdge = (&'static str, &'static str, &'static str, &'static str, Wall);

/// One handoff an agent of `role_id` makes by default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HandoffPlan {
    pub recipient_agent_id: String,
    pub handoff_intent: String,
    pub required_result: String,
    pub fallback_wall: Wall,
}

/// The role of an agent id: lanes are `<role>-<n>` (`implementer-3`).
pub(crate) fn role_of(agent_id: &str) -> &str {
    match agent_id.rsplit_once('-') {
        Some((role, n)) if !role.is_empty() && n.chars().all(|c| c.is_ascii_digit()) && !n.is_empty() => role,
        _ => agent_id,
    }
}

/// Every role a handoff of some template's delivery graph is from or to, sorted.
pub(crate) fn handoff_roles() -> Vec<&'static str> {
    let mut roles: Vec<&str> = TEMPLATES.iter().flat_map(|t| t.handoff_graph.iter().flat_map(|e| [e.0, e.1])).collect();
    roles.sort_unstable();
    roles.dedup();
    roles
}

impl Template {
    /// The handoffs an agent of `role_id` makes by default, with `lanes` implementer lanes.
    pub(crate) fn default_handoffs(&self, role_id: &str, lanes: u32) -> Vec<HandoffPlan> {
        let mut plans = Vec::new();
        for (from, to, intent, result, wall) in self.handoff_graph {
            if *from != role_id {
                continue;
            }
            let recipients: Vec<String> = if *to == "implementer" {
                (1..=lanes).map(|i| format!("implementer-{i}")).collect()
            } else {
                vec![to.to_string()]
            };
            for recipient in recipients {
                plans.push(HandoffPlan {
                    recipient_agent_id: recipient,
                    handoff_intent: intent.to_string(),
                    required_result: result.to_string(),
                    fallback_wall: *wall,
                });
            }
        }
        plans
    }
}

pub(crate) const TEMPLATES: [Template; 4] = [
    Template {
        template_id: "ouroboros",
        description: "Self-improvement loop over the platform itself",
        delivery_graph_kind: "fractalops_platform",
        intake_roles: &["planner", "curator"],
        handoff_graph: &[],
    },
    Template {
        template_id: "pm-ouroboros",
        description: "Product-management loop orchestrating other runs",
        delivery_graph_kind: "project_orchestrator",
        intake_roles: &["planner", "curator"],
        handoff_graph: &[],
    },
    Template {
        template_id: "agentsquad",
        description: "Generic project delivery / migration graph",
        delivery_graph_kind: "project_delivery",
        intake_roles: &["planner", "curator"],
        handoff_graph: PROJECT_DELIVERY_GRAPH,
    },
    Template {
        template_id: "research-team",
        description: "Research and synthesis team",
        delivery_graph_kind: "project_delivery",
        intake_roles: &["planner", "curator"],
        handoff_graph: &[],
    },
];

pub(crate) fn find(template_id: &str) -> Option<&'static Template> {
    TEMPLATES.iter().find(|t| t.template_id == template_id)
}

/// Delivery graph kinds the Studio accepts (`docs/seeds.md`, delivery-language seed).
pub(crate) const DELIVERY_GRAPH_KINDS: [&str; 3] = ["project_delivery", "project_orchestrator", "fractalops_platform"];
