//! Codes and statuses named by the seeds.

use serde::{Deserialize, Serialize};

/// A no-progress report from an agent or from the platform (`docs/seeds.md`, delivery-language
/// seed, "Mechanical Walls": "A blocker is a no-progress report from an agent or
/// squadsim-lint allow-next-line bare-runtime -- the seed's own words, quoted
/// runtime").
///
/// Three codes are the seeds' own ([`CodeOrigin::Seed`]); the others are defined by
/// this model ([`CodeOrigin::ModelDefined`]) for no-progress reports the seeds give
/// no code for, and are marked so wherever codes are listed ([`BlockerCode::origin`],
/// [`BlockerCode::MODEL_DEFINED`]). [`BlockerCode::meaning`] says what emits each one
/// and, for a model-defined code, why no seed code fits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockerCode {
    /// The session started (`claude_session_id` set) but made no required first tool call
    /// within the launch contract (`docs/seeds.md`, runbook).
    AgentFirstToolRequired,
    /// Work without a delivery reference (`docs/seeds.md`, delivery-language seed, "Delivery Proof").
    GithubIssueOrPrLinkMissing,
    /// The committer never closed the merge lifecycle decision.
    /// Legacy wire alias: `committer_merge_state_required`.
    #[serde(alias = "committer_merge_state_required")]
    MergeLifecycleDecisionRequired,
    /// Model-defined. The planner's lane declares the memory tool contract and the
    /// memory tool was not used: the planner's memory step failed, or the planner
    /// wall's retry fell short.
    MemoryToolContractRequired,
    /// Model-defined. No evidence attachment exists on a delivery reference the tester
    /// was handed: its evidence capture or attachment failed, or the tester wall's
    /// retry fell short.
    EvidenceAttachmentRequired,
    /// Model-defined. DataHub lineage evidence is required for the merged work and
    /// missing: the closer's publication failed, or the closer wall's retry fell short.
    LineageEvidenceRequired,
    /// Model-defined. A handoff the agent sent did not land in the recipient's mailbox
    /// on the LangGraph Agent Server.
    HandoffNotDelivered,
    /// Model-defined. A delivery reference (or its evidence or merge state) could not
    /// be read back from GitHub: rate limited (403), a 5xx, or no answer. It may well
    /// exist; it was not proven.
    DeliveryReferenceUnreadable,
    /// Model-defined. A workspace bootstrap asset could not be delivered into the
    /// execution workspace before the agent process started: missing where it lives
    /// (404), unreadable there (403 or another refusal), or its upload refused.
    WorkspaceBootstrapAssetUndelivered,
    /// Model-defined. An agent joining by handoff could not have its named-agent
    /// identity bound through Microsoft Graph (its UPN is not in the directory, or
    /// Graph refused or did not answer), so its session never started.
    NamedAgentIdentityUnbound,
}

/// Where a blocker code comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeOrigin {
    /// Named by the seeds (the runbook or the delivery-language page).
    Seed,
    /// Defined by this model where the seeds name no code for a no-progress report.
    ModelDefined,
}

impl BlockerCode {
    /// Every blocker code, in a fixed order: the seeds' codes, then the model-defined ones.
    pub const ALL: [BlockerCode; 10] = [
        BlockerCode::AgentFirstToolRequired,
        BlockerCode::GithubIssueOrPrLinkMissing,
        BlockerCode::MergeLifecycleDecisionRequired,
        BlockerCode::MemoryToolContractRequired,
        BlockerCode::EvidenceAttachmentRequired,
        BlockerCode::LineageEvidenceRequired,
        BlockerCode::HandoffNotDelivered,
        BlockerCode::DeliveryReferenceUnreadable,
        BlockerCode::WorkspaceBootstrapAssetUndelivered,
        BlockerCode::NamedAgentIdentityUnbound,
    ];

    /// The codes the seeds name.
    pub const SEED: [BlockerCode; 3] = [
        BlockerCode::AgentFirstToolRequired,
        BlockerCode::GithubIssueOrPrLinkMissing,
        BlockerCode::MergeLifecycleDecisionRequired,
    ];

    /// The codes this model defines where the seeds name none.
    pub const MODEL_DEFINED: [BlockerCode; 7] = [
        BlockerCode::MemoryToolContractRequired,
        BlockerCode::EvidenceAttachmentRequired,
        BlockerCode::LineageEvidenceRequired,
        BlockerCode::HandoffNotDelivered,
        BlockerCode::DeliveryReferenceUnreadable,
        BlockerCode::WorkspaceBootstrapAssetUndelivered,
        BlockerCode::NamedAgentIdentityUnbound,
    ];

    /// The canonical wire code.
    pub fn as_str(self) -> &'static str {
        match self {
            BlockerCode::AgentFirstToolRequired => "agent_first_tool_required",
            BlockerCode::GithubIssueOrPrLinkMissing => "github_issue_or_pr_link_missing",
            BlockerCode::MergeLifecycleDecisionRequired => "merge_lifecycle_decision_required",
            BlockerCode::MemoryToolContractRequired => "memory_tool_contract_required",
            BlockerCode::EvidenceAttachmentRequired => "evidence_attachment_required",
            BlockerCode::LineageEvidenceRequired => "lineage_evidence_required",
            BlockerCode::HandoffNotDelivered => "handoff_not_delivered",
            BlockerCode::DeliveryReferenceUnreadable => "delivery_reference_unreadable",
            BlockerCode::WorkspaceBootstrapAssetUndelivered => "workspace_bootstrap_asset_undelivered",
            BlockerCode::NamedAgentIdentityUnbound => "named_agent_identity_unbound",
        }
    }

    /// Whether the seeds name this code or the model defines it.
    pub fn origin(self) -> CodeOrigin {
        if BlockerCode::SEED.contains(&self) {
            CodeOrigin::Seed
        } else {
            CodeOrigin::ModelDefined
        }
    }

    pub fn is_model_defined(self) -> bool {
        self.origin() == CodeOrigin::ModelDefined
    }

    /// The code as listings show it: `code`, or `code (model-defined)`.
    pub fn label(self) -> String {
        match self.origin() {
            CodeOrigin::Seed => self.as_str().to_string(),
            CodeOrigin::ModelDefined => format!("{} (model-defined)", self.as_str()),
        }
    }

    /// What emits the code and, for a model-defined one, why no seed code fits.
    pub fn meaning(self) -> &'static str {
        match self {
            BlockerCode::AgentFirstToolRequired => {
                "runbook: the session started but did not make the required first tool call; the launch contract \
                 (Harness Runtime's first-tool gate) blocks it"
            }
            BlockerCode::GithubIssueOrPrLinkMissing => {
                "delivery-language seed, Delivery Proof: the missing delivery reference blocker; the delivery wall \
                 (GitHub answered that the lane's pull request does not exist) or the implementer's own report \
                 (its pull request could not be opened)"
            }
            BlockerCode::MergeLifecycleDecisionRequired => {
                "delivery-language seed, Merge Lifecycle Decision: the committer wall (no closed decision on a \
                 delivery reference) or the committer's own report (a merge or its record failed)"
            }
            BlockerCode::MemoryToolContractRequired => {
                "model-defined: the planner wall whose retry fell short, or the planner's report that its memory \
                 step failed (the tool is not in its palette or answered an error); the seeds name the planner \
                 wall but no blocker for it"
            }
            BlockerCode::EvidenceAttachmentRequired => {
                "model-defined: the tester wall whose retry fell short, or the tester's report that capturing or \
                 attaching evidence failed (no PlaywrightGrid in its palette, a tool error, GitHub refusing the \
                 comment); the seeds name the tester wall but no blocker for it"
            }
            BlockerCode::LineageEvidenceRequired => {
                "model-defined: the closer wall whose retry fell short, or the closer's report that publishing \
                 DataHub lineage failed; the seeds name the closer wall but no blocker for it"
            }
            BlockerCode::HandoffNotDelivered => {
                "model-defined: the agent's report that a send_handoff call failed (the HUD could not write into \
                 the LangGraph Agent Server's mailbox); the seeds say a handoff is not a delivery reference, so \
                 github_issue_or_pr_link_missing does not fit, and name no code for a handoff that did not land"
            }
            BlockerCode::DeliveryReferenceUnreadable => {
                "model-defined: a wall's read-back from GitHub (delivery proof, evidence, merge state) got no \
                 answer, a 5xx or a refusal such as the 403 rate limit; github_issue_or_pr_link_missing means \
                 missing, and a reference GitHub did not answer for may exist"
            }
            BlockerCode::WorkspaceBootstrapAssetUndelivered => {
                "model-defined: the Temporal-owned workspace lifecycle could not deliver a workspace bootstrap \
                 asset before the agent process started (missing at its source, unreadable there, or its upload \
                 into the execution workspace refused); the seeds define the asset but name no blocker for it, \
                 and the agent never started, so agent_first_tool_required does not fit"
            }
            BlockerCode::NamedAgentIdentityUnbound => {
                "model-defined: the Studio could not bind the named-agent identity of an agent joining by handoff \
                 through Microsoft Graph (its UPN not in the directory, or Graph refused or did not answer), so \
                 no session of it started; the seeds name the msgraph-bound UPN but no blocker for a binding that \
                 failed, and the agent never started, so agent_first_tool_required does not fit"
            }
        }
    }

    /// The legacy wire aliases of blocker codes, each with the canonical code it reads as.
    pub const LEGACY_ALIASES: [(&'static str, BlockerCode); 1] =
        [("committer_merge_state_required", BlockerCode::MergeLifecycleDecisionRequired)];

    /// Reads a canonical code or one of its legacy wire aliases.
    pub fn parse(code: &str) -> Option<BlockerCode> {
        match BlockerCode::LEGACY_ALIASES.iter().find(|(alias, _)| *alias == code) {
            Some((_, canonical)) => Some(*canonical),
            None => BlockerCode::ALL.into_iter().find(|c| c.as_str() == code),
        }
    }
}

impl std::fmt::Display for BlockerCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A mechanical wall: guidance that detects drift and maps it to a fallback prompt.
/// It is not a blocker (`docs/seeds.md`, delivery-language seed, "Mechanical Walls").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Wall {
    Planner,
    Tester,
    Closer,
    Committer,
    Delivery,
}

impl Wall {
    pub const ALL: [Wall; 5] = [Wall::Planner, Wall::Tester, Wall::Closer, Wall::Committer, Wall::Delivery];

    /// The wall code as it appears in payloads (`wall_code`).
    pub fn code(self) -> &'static str {
        match self {
            Wall::Planner => "planner_wall",
            Wall::Tester => "tester_wall",
            Wall::Closer => "closer_wall",
            Wall::Committer => "committer_wall",
            Wall::Delivery => "delivery_wall",
        }
    }

    /// The fallback prompt or tool path the wall maps drift onto.
    pub fn fallback(self) -> &'static str {
        match self {
            Wall::Planner => "memory-tool fallback prompt",
            Wall::Tester => "evidence-capture fallback prompt",
            Wall::Closer => "lineage-publication fallback prompt",
            Wall::Committer => "merge-decision fallback prompt",
            Wall::Delivery => "commit/push or github_app_pr_handoff from current file contents",
        }
    }

    pub fn parse(code: &str) -> Option<Wall> {
        Wall::ALL.into_iter().find(|w| w.code() == code)
    }

    /// The blocker a wall produces when its retried attempt still falls short, and
    /// what an agent of that lane reports when its work stops on a failed call: the
    /// seeds' `merge_lifecycle_decision_required` (committer) and
    /// `github_issue_or_pr_link_missing` (delivery); the seeds name no blocker for the
    /// planner, tester and closer walls, so theirs are model-defined.
    pub fn blocker(self) -> BlockerCode {
        match self {
            Wall::Planner => BlockerCode::MemoryToolContractRequired,
            Wall::Tester => BlockerCode::EvidenceAttachmentRequired,
            Wall::Closer => BlockerCode::LineageEvidenceRequired,
            Wall::Committer => BlockerCode::MergeLifecycleDecisionRequired,
            Wall::Delivery => BlockerCode::GithubIssueOrPrLinkMissing,
        }
    }
}

/// A session's live status (`docs/seeds.md`, runbook, "Lifecycle"), plus the terminal `blocked`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LiveStatus {
    Ready,
    WaitingFirstTool,
    Working,
    SessionCompleted,
    Blocked,
}

impl LiveStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            LiveStatus::Ready => "ready",
            LiveStatus::WaitingFirstTool => "waiting_first_tool",
            LiveStatus::Working => "working",
            LiveStatus::SessionCompleted => "session_completed",
            LiveStatus::Blocked => "blocked",
        }
    }

    /// A settled session no longer changes without an operator command.
    pub fn is_settled(self) -> bool {
        matches!(self, LiveStatus::SessionCompleted | LiveStatus::Blocked)
    }
}

/// The operator-driven replay lifecycle (`docs/seeds.md`, delivery-language seed, "Run Control Lifecycle"):
/// Schedule Run Control -> Execute Pending Run Control -> Record Agent Attempt.
pub const RUN_CONTROL_SCHEDULED_EVENT: &str = "operator_control:scheduled";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_committer_alias_reads_as_the_canonical_blocker() {
        assert_eq!(
            BlockerCode::parse("committer_merge_state_required"),
            Some(BlockerCode::MergeLifecycleDecisionRequired)
        );
        let parsed: BlockerCode = serde_json::from_str("\"committer_merge_state_required\"").unwrap();
        assert_eq!(serde_json::to_string(&parsed).unwrap(), "\"merge_lifecycle_decision_required\"");
    }

    #[test]
    fn every_code_round_trips() {
        for code in BlockerCode::ALL {
            assert_eq!(BlockerCode::parse(code.as_str()), Some(code));
        }
        for wall in Wall::ALL {
            assert_eq!(Wall::parse(wall.code()), Some(wall));
        }
        assert_eq!(BlockerCode::parse("board_blocked"), None);
    }

    #[test]
    fn model_defined_codes_are_kept_apart_from_the_seeds_codes() {
        assert_eq!(BlockerCode::SEED.len() + BlockerCode::MODEL_DEFINED.len(), BlockerCode::ALL.len());
        for code in BlockerCode::SEED {
            assert_eq!(code.origin(), CodeOrigin::Seed);
            assert_eq!(code.label(), code.as_str());
        }
        for code in BlockerCode::MODEL_DEFINED {
            assert_eq!(code.origin(), CodeOrigin::ModelDefined);
            assert!(code.label().ends_with(" (model-defined)"), "{}", code.label());
            assert!(code.meaning().starts_with("model-defined:"), "{code}: {}", code.meaning());
        }
        // Every wall produces a blocker; the planner, tester and closer walls' are the model's.
        let model: Vec<Wall> = Wall::ALL.into_iter().filter(|w| w.blocker().is_model_defined()).collect();
        assert_eq!(model, [Wall::Planner, Wall::Tester, Wall::Closer]);
    }

    #[test]
    fn codes_print_as_they_are_sent() {
        for code in BlockerCode::ALL {
            assert_eq!(code.to_string(), code.as_str());
            assert_eq!(serde_json::to_value(code).unwrap(), code.as_str());
        }
        let statuses = [
            LiveStatus::Ready,
            LiveStatus::WaitingFirstTool,
            LiveStatus::Working,
            LiveStatus::SessionCompleted,
            LiveStatus::Blocked,
        ];
        for status in statuses {
            assert_eq!(serde_json::to_value(status).unwrap(), status.as_str());
        }
        // The runbook's observe loop: "until every session is session_completed or blocked".
        let settled: Vec<_> = statuses.into_iter().filter(|s| s.is_settled()).collect();
        assert_eq!(settled, [LiveStatus::SessionCompleted, LiveStatus::Blocked]);
    }

    #[test]
    fn each_wall_retries_with_the_fallback_its_seed_line_names() {
        let seeds = include_str!("../../docs/seeds.md");
        let walls = &seeds[seeds.find("### Mechanical Walls").unwrap()..];
        let walls = &walls[..walls.find("<a id=").unwrap()];
        let words = |text: &str| -> Vec<String> {
            let words = text.split_whitespace().map(|w| w.trim_matches(|c: char| "`>.,:".contains(c)).to_string());
            words.filter(|w| !w.is_empty()).collect()
        };
        for (wall, name) in Wall::ALL.into_iter().zip(["Planner", "Tester", "Closer", "Committer", "Delivery"]) {
            let line = &walls[walls.find(&format!("- {name} wall:")).unwrap()..];
            let line = words(&line[..line[2..].find("> - ").map_or(line.len(), |end| end + 2)]);
            // The fallback's words, in the seed line's order (the line may say more between them).
            let mut rest = line.iter();
            for word in words(wall.fallback()) {
                assert!(rest.any(|w| *w == word), "{wall:?}: `{}` is not in its seed line {line:?}", wall.fallback());
            }
        }
    }
}
