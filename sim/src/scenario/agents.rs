//! Scripted agent behaviour per role (`agents:`): the model is the only
//! scripted part of a run; the harness, the workspace shim, the gateway and the
//! gates are the modelled code paths.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::bounds;
use super::durations::SimDuration;

/// How the scripted LLM of one role behaves.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentBehaviour {
    /// Bare tool names the agent calls, in order (agent-facing names are derived).
    /// Empty: the dispatch prompt elicits no tool call.
    #[serde(default)]
    #[schemars(length(max = bounds::MAX_TOOL_CALLS))]
    pub tool_calls: Option<Vec<String>>,
    /// Simulated model latency before each turn.
    #[serde(default)]
    pub think: Option<SimDuration>,
    /// The most tool calls the model makes in one turn when it has independent
    /// calls to make (parallel tool use: handoffs to several lanes, evidence for
    /// several pull requests); the calls of one turn run at once. Default 1: one
    /// call a turn.
    #[serde(default)]
    #[schemars(range(min = 1, max = bounds::MAX_PARALLEL_TOOL_CALLS))]
    pub parallel_tool_calls: Option<u32>,
    /// Handoffs the agent sends after its tool calls, replacing the template's
    /// delivery graph for this role. Empty: it hands nothing on.
    #[serde(default)]
    pub handoffs: Option<Vec<HandoffBehaviour>>,
    /// Steps of the role's delivery work the agent forgets on its first attempt.
    #[serde(default)]
    pub skips: Option<Vec<DeliveryStep>>,
    /// What the agent does when a wall retries it with the fallback prompt.
    #[serde(default)]
    pub on_retry: Option<RetryBehaviour>,
    /// How a committer closes the merge lifecycle decision.
    #[serde(default)]
    pub merge_decision: Option<MergeDecision>,
    /// The agent also tries to write into the shared (read-only) assembly worktree.
    #[serde(default)]
    pub write_to_assembly: Option<bool>,
    /// The preview app the agent runs in its execution workspace, and the errors
    /// it raises there; its Sentry SDKs report them to the DSNs of the starter `.env`.
    #[serde(default)]
    pub preview_app: Option<PreviewApp>,
}

/// A preview app and the errors it raises (`docs/seeds.md`, runbook, "Build Plane
/// Observability": "preview apps POST events to the DSN unauthenticated").
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct PreviewApp {
    /// Errors the frontend raises, each `Type: message`; reported to `PUBLIC_SENTRY_DSN`.
    #[schemars(length(max = bounds::MAX_PREVIEW_APP_ERRORS))]
    pub frontend_errors: Vec<String>,
    /// Errors the backend raises, each `Type: message`; reported to `SENTRY_DSN`.
    #[schemars(length(max = bounds::MAX_PREVIEW_APP_ERRORS))]
    pub backend_errors: Vec<String>,
}

/// One step of a role's delivery work (the agentsquad delivery graph).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStep {
    /// Planner: call the memory tool its lane declares.
    UseMemory,
    /// Implementer: change files in its agent-owned worktree.
    WriteChanges,
    /// Implementer: stage and commit the changes in the worktree.
    Commit,
    /// Implementer: push the lane branch through the CodexGate App (the
    /// worktree's files onto it). Forgotten, the pull request is opened from a
    /// branch that was never pushed.
    Push,
    /// Implementer: push the lane branch and open the pull request (forgotten,
    /// neither happens).
    OpenPullRequest,
    /// Tester: capture browser evidence on PlaywrightGrid.
    CaptureEvidence,
    /// Tester: attach the evidence to the pull request.
    AttachEvidence,
    /// Committer: merge the pull request on GitHub before recording `merged`.
    /// Forgotten, `merged` is recorded for a pull request still open.
    Merge,
    /// Committer: close the merge lifecycle decision (forgotten, nothing is merged or recorded).
    MergeDecision,
    /// Closer: publish DataHub lineage for the merged work.
    PublishLineage,
}

impl DeliveryStep {
    /// Every step, in delivery order.
    pub const ALL: [DeliveryStep; 10] = [
        DeliveryStep::UseMemory,
        DeliveryStep::WriteChanges,
        DeliveryStep::Commit,
        DeliveryStep::Push,
        DeliveryStep::OpenPullRequest,
        DeliveryStep::CaptureEvidence,
        DeliveryStep::AttachEvidence,
        DeliveryStep::Merge,
        DeliveryStep::MergeDecision,
        DeliveryStep::PublishLineage,
    ];

    /// The role whose delivery work this step is (each step belongs to one role).
    pub fn role(self) -> &'static str {
        match self {
            DeliveryStep::UseMemory => "planner",
            DeliveryStep::WriteChanges | DeliveryStep::Commit | DeliveryStep::Push | DeliveryStep::OpenPullRequest => {
                "implementer"
            }
            DeliveryStep::CaptureEvidence | DeliveryStep::AttachEvidence => "tester",
            DeliveryStep::Merge | DeliveryStep::MergeDecision => "committer",
            DeliveryStep::PublishLineage => "closer",
        }
    }

    /// The step's name in a scenario (`attach_evidence`).
    pub fn name(self) -> &'static str {
        match self {
            DeliveryStep::UseMemory => "use_memory",
            DeliveryStep::WriteChanges => "write_changes",
            DeliveryStep::Commit => "commit",
            DeliveryStep::Push => "push",
            DeliveryStep::OpenPullRequest => "open_pull_request",
            DeliveryStep::CaptureEvidence => "capture_evidence",
            DeliveryStep::AttachEvidence => "attach_evidence",
            DeliveryStep::Merge => "merge",
            DeliveryStep::MergeDecision => "merge_decision",
            DeliveryStep::PublishLineage => "publish_lineage",
        }
    }
}

/// An agent's answer to a wall's fallback prompt.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RetryBehaviour {
    /// It does what the fallback prompt asks.
    #[default]
    Comply,
    /// It ends the retried attempt without doing it.
    Refuse,
}

/// The two ways a committer closes a merge lifecycle decision (`docs/seeds.md`, delivery-language seed).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MergeDecision {
    /// Merge the pull request, then record `handoff_state=merged`.
    #[default]
    Merged,
    /// Record `handoff_state=merge_requested` with `merge_gate_status=qa_passed`.
    MergeRequested,
}

/// One handoff a scripted agent sends (through the HUD's `send_handoff` tool).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HandoffBehaviour {
    /// The recipient agent id (an agent not yet on the roster joins it).
    pub to: String,
    pub intent: String,
    pub required_result: String,
    /// The wall guarding the required result (`planner_wall`, `tester_wall`,
    /// `closer_wall`, `committer_wall`, `delivery_wall`).
    pub fallback_wall: String,
}
