//! Legacy wire aliases and their canonical names (`docs/seeds.md`, delivery-language seed,
//! "Naming Guardrails" and "Agent Identity And Handoff").

/// A legacy field name and the canonical field it stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldAlias {
    pub alias: &'static str,
    pub canonical: &'static str,
    /// What the alias means, for messages.
    pub reading: &'static str,
}

/// Field aliases renamed one-to-one. `runtime_kind`/`runtimeKind` are here too: the
/// seed reads them by scope — Studio run/template/session metadata spells it
/// `runtime_kind` and means the delivery graph kind; Harness payload/spec metadata
/// spells it `runtimeKind` and means the agent process adapter.
pub const FIELD_ALIASES: &[FieldAlias] = &[
    FieldAlias {
        alias: "target_agent_id",
        canonical: "recipient_agent_id",
        reading: "the agent that must act on a handoff",
    },
    FieldAlias {
        alias: "targetAgentId",
        canonical: "recipientAgentId",
        reading: "the agent that must act on a handoff",
    },
    FieldAlias {
        alias: "dialogue_target_agent_id",
        canonical: "dialogue_peer_agent_id",
        reading: "the other side of an open conversation",
    },
    FieldAlias {
        alias: "dialogueTargetAgentId",
        canonical: "dialoguePeerAgentId",
        reading: "the other side of an open conversation",
    },
    FieldAlias { alias: "BOARD_STATUS", canonical: "AGENT_HUD_STATUS", reading: "the Agent HUD status" },
    FieldAlias {
        alias: "committer_merge_state_required",
        canonical: "merge_lifecycle_decision_required",
        reading: "the merge lifecycle decision blocker",
    },
    FieldAlias {
        alias: "runtime_kind",
        canonical: "delivery_graph_kind",
        reading: "Studio run/template/session metadata: the delivery graph kind",
    },
    FieldAlias {
        alias: "runtimeKind",
        canonical: "agentProcessAdapter",
        reading: "Harness payload/spec metadata: the agent process adapter",
    },
];

/// String values that are legacy aliases of a canonical value.
pub const VALUE_ALIASES: &[(&str, &str)] =
    &[("BOARD_STATUS", "AGENT_HUD_STATUS"), ("committer_merge_state_required", "merge_lifecycle_decision_required")];

/// `sourceRefBundleUrl` is a convenience alias that lowers into `workspaceBootstrapAssets[]`.
pub const SOURCE_REF_BUNDLE_URL: &str = "sourceRefBundleUrl";
pub const WORKSPACE_BOOTSTRAP_ASSETS: &str = "workspaceBootstrapAssets";
/// The `kind` of the asset `sourceRefBundleUrl` lowers into.
pub const SOURCE_REF_BUNDLE_KIND: &str = "source_ref_bundle";

/// Delivery graph kinds the seed names (values of Studio `runtime_kind`).
pub const DELIVERY_GRAPH_KINDS: &[&str] = &["project_delivery", "project_orchestrator", "fractalops_platform"];
/// Agent process adapters the seed names (values of Harness `runtimeKind`).
pub const AGENT_PROCESS_ADAPTERS: &[&str] =
    &["claude-cli", "codex-cli", "workspace-cli", "browser-only", "langgraph-native"];

pub fn field_alias(key: &str) -> Option<&'static FieldAlias> {
    FIELD_ALIASES.iter().find(|a| a.alias == key)
}

pub fn value_alias(value: &str) -> Option<&'static str> {
    VALUE_ALIASES.iter().find(|(a, _)| *a == value).map(|(_, c)| *c)
}
