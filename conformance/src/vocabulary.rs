//! Codes and statuses named by the seeds.

use serde::{Deserialize, Serialize};

/// A no-progress report from an agent or from the platform (delivery-language
/// seed, "Mechanical Walls").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockerCode {
    /// The session started (`claude_session_id` set) but made no required first tool call
    /// within the launch contract (runbook).
    AgentFirstToolRequired,
    /// Work without a delivery reference (delivery-language seed, "Delivery Proof").
    GithubIssueOrPrLinkMissing,
    /// The committer never closed the merge lifecycle decision.
    /// Legacy wire alias: `committer_merge_state_required`.
    #[serde(alias = "committer_merge_state_required")]
    MergeLifecycleDecisionRequired,
}

impl BlockerCode {
    /// Every blocker code, in a fixed order.
    pub const ALL: [BlockerCode; 3] = [
        BlockerCode::AgentFirstToolRequired,
        BlockerCode::GithubIssueOrPrLinkMissing,
        BlockerCode::MergeLifecycleDecisionRequired,
    ];

    /// The canonical wire code.
    pub fn as_str(self) -> &'static str {
        match self {
            BlockerCode::AgentFirstToolRequired => "agent_first_tool_required",
            BlockerCode::GithubIssueOrPrLinkMissing => "github_issue_or_pr_link_missing",
            BlockerCode::MergeLifecycleDecisionRequired => "merge_lifecycle_decision_required",
        }
    }

    /// Reads a canonical code or one of its legacy wire aliases.
    pub fn parse(code: &str) -> Option<BlockerCode> {
        match code {
            "committer_merge_state_required" => Some(BlockerCode::MergeLifecycleDecisionRequired),
            other => BlockerCode::ALL.into_iter().find(|c| c.as_str() == other),
        }
    }
}

impl std::fmt::Display for BlockerCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A mechanical wall: guidance that detects drift and maps it to a fallback prompt.
/// It is not a blocker (delivery-language seed, "Mechanical Walls").
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

    /// The blocker a wall produces when its retried attempt still falls short, where the
    /// seeds name one: the committer wall's `merge_lifecycle_decision_required` and the
    /// delivery wall's `github_issue_or_pr_link_missing`. The planner, tester and closer
    /// walls have no blocker code in the seeds: a session left standing at one of them is
    /// reported by its `wall_code` alone.
    pub fn blocker(self) -> Option<BlockerCode> {
        match self {
            Wall::Planner | Wall::Tester | Wall::Closer => None,
            Wall::Committer => Some(BlockerCode::MergeLifecycleDecisionRequired),
            Wall::Delivery => Some(BlockerCode::GithubIssueOrPrLinkMissing),
        }
    }
}

/// A session's live status (runbook, "Lifecycle"), plus the terminal `blocked`.
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

/// The operator-driven replay lifecycle (delivery-language seed, "Run Control Lifecycle"):
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
}
