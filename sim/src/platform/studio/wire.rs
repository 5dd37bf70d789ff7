//! The Studio API's wire shapes: the boundary where legacy field names live.
//!
//! Inside the model the delivery graph kind is `delivery_graph_kind`; on the wire
//! the Studio run/template/session metadata still calls it `runtime_kind`
//! (`docs/seeds.md`, delivery-language seed: "Studio run/template/session metadata `runtime_kind`
//! means delivery graph kind"). Only this module spells the legacy name.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::bootstrap::{AssetKind, WorkspaceBootstrapAsset};

/// The wire name of the delivery graph kind field, for error locations.
pub(crate) const DELIVERY_GRAPH_KIND_FIELD: &str = "runtime_kind";
/// The wire name of the workspace bootstrap asset list.
pub(crate) const BOOTSTRAP_ASSETS_FIELD: &str = "workspaceBootstrapAssets";
/// The wire name of the source ref bundle's convenience alias.
pub(crate) const SOURCE_REF_BUNDLE_ALIAS: &str = "sourceRefBundleUrl";
/// The `kind` of a source ref bundle in the asset list (as `squadsim wire` lowers the alias).
pub(crate) const SOURCE_REF_BUNDLE_KIND: &str = "source_ref_bundle";

/// One template in `GET /templates`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct TemplateView {
    pub template_id: String,
    pub description: String,
    #[serde(rename = "runtime_kind")]
    pub delivery_graph_kind: String,
    pub intake_roles: Vec<String>,
}

/// `POST /v1/admin/studio/runs` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct LaunchRequest {
    pub template_id: String,
    pub project_slug: String,
    /// Legacy wire name of the delivery graph kind.
    #[serde(rename = "runtime_kind")]
    pub delivery_graph_kind: String,
    #[serde(default)]
    pub work_scope: String,
    #[serde(default)]
    pub next_goal: String,
    /// The reusable file-delivery contract (delivery-language seed).
    #[serde(rename = "workspaceBootstrapAssets", default, skip_serializing_if = "Vec::is_empty")]
    pub workspace_bootstrap_assets: Vec<BootstrapAssetView>,
    /// The convenience alias that lowers into one read-only source ref bundle
    /// of `workspaceBootstrapAssets[]` ([`LaunchRequest::bootstrap_assets`]).
    #[serde(rename = "sourceRefBundleUrl", default, skip_serializing_if = "Option::is_none")]
    pub source_ref_bundle: Option<String>,
}

/// One entry of `workspaceBootstrapAssets[]`: `{kind?, url, destination?, readOnly?}`
/// (`kind: source_ref_bundle` for a source ref bundle, which is read-only and may
/// leave its destination to the platform).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct BootstrapAssetView {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination: Option<String>,
    #[serde(rename = "readOnly", default, skip_serializing_if = "std::ops::Not::not")]
    pub read_only: bool,
}

/// Why a launch body's assets do not lower: a 422 on `loc`, pydantic style.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AssetFieldError {
    /// The field's location under `body`.
    pub loc: Vec<String>,
    pub kind: &'static str,
    pub msg: String,
    pub input: Value,
}

impl LaunchRequest {
    /// The run's workspace bootstrap assets: `workspaceBootstrapAssets[]` in
    /// order, then the source ref bundle `sourceRefBundleUrl` lowers into.
    ///
    /// The seed calls the alias "only a convenience alias that lowers into
    /// workspaceBootstrapAssets[]" and the list "the reusable file-delivery
    /// contract" other launch-time files use, so a body may carry both: they
    /// merge. The alias adds nothing when the list already holds a source ref
    /// bundle from the same URL, and is refused (422) when the list's source
    /// ref bundle comes from another one (the two disagree about the bundle;
    /// `squadsim wire` reports the same conflict).
    pub(crate) fn bootstrap_assets(&self) -> Result<Vec<WorkspaceBootstrapAsset>, AssetFieldError> {
        let mut assets = Vec::new();
        for (i, view) in self.workspace_bootstrap_assets.iter().enumerate() {
            assets.push(view.lower(i)?);
        }
        if let Some(url) = &self.source_ref_bundle {
            let loc = vec![SOURCE_REF_BUNDLE_ALIAS.to_string()];
            if url.is_empty() {
                let msg = "Value error, expected the URL of a source ref bundle".to_string();
                return Err(AssetFieldError { loc, kind: "value_error", msg, input: Value::String(url.clone()) });
            }
            match assets.iter().find(|a| a.kind == AssetKind::SourceRefBundle) {
                Some(listed) if listed.source_url == *url => {}
                Some(listed) => {
                    let msg = format!(
                        "Value error, {SOURCE_REF_BUNDLE_ALIAS} lowers into {BOOTSTRAP_ASSETS_FIELD}[], whose source ref bundle is {}",
                        listed.source_url
                    );
                    return Err(AssetFieldError { loc, kind: "value_error", msg, input: Value::String(url.clone()) });
                }
                None => assets.push(WorkspaceBootstrapAsset::source_ref_bundle(url, None)),
            }
        }
        Ok(assets)
    }
}

impl BootstrapAssetView {
    fn lower(&self, index: usize) -> Result<WorkspaceBootstrapAsset, AssetFieldError> {
        let at = |field: &str| vec![BOOTSTRAP_ASSETS_FIELD.to_string(), index.to_string(), field.to_string()];
        let invalid = |field: &str, msg: &str, input: Value| AssetFieldError {
            loc: at(field),
            kind: "value_error",
            msg: format!("Value error, {msg}"),
            input,
        };
        if self.url.is_empty() {
            return Err(invalid("url", "expected the URL the asset is fetched from", Value::String(String::new())));
        }
        if let Some(d) = self.destination.as_deref().filter(|d| !d.starts_with('/') || d.split('/').any(|s| s == ".."))
        {
            let msg = "expected an absolute path in the execution workspace";
            return Err(invalid("destination", msg, Value::String(d.to_string())));
        }
        match self.kind.as_deref() {
            Some(SOURCE_REF_BUNDLE_KIND) => {
                Ok(WorkspaceBootstrapAsset::source_ref_bundle(&self.url, self.destination.as_deref()))
            }
            None => match &self.destination {
                Some(destination) => Ok(WorkspaceBootstrapAsset {
                    kind: AssetKind::File,
                    source_url: self.url.clone(),
                    destination: destination.clone(),
                    read_only: self.read_only,
                }),
                None => Err(AssetFieldError {
                    loc: at("destination"),
                    kind: "missing",
                    msg: "Field required".to_string(),
                    input: serde_json::to_value(self).unwrap_or(Value::Null),
                }),
            },
            Some(other) => Err(AssetFieldError {
                loc: at("kind"),
                kind: "literal_error",
                msg: format!("Input should be '{SOURCE_REF_BUNDLE_KIND}'"),
                input: Value::String(other.to_string()),
            }),
        }
    }
}

/// One agent of the roster, as the runbook shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct RosterAgent {
    pub agent_id: String,
    pub role_id: String,
    pub agent_nickname: String,
    pub user_principal_name: String,
    pub subject_key: String,
    pub identity_binding_mode: String,
    pub secret_lease_ref: String,
    /// Empty in the roster view: the loadout resolves at session launch.
    pub skill_ids: Vec<String>,
    pub mcp_server_ids: Vec<String>,
}

/// A run as `GET /runs/{run_id}` and the launch answer show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct RunView {
    pub run_id: String,
    pub tenant_id: String,
    pub template_id: String,
    pub project_slug: String,
    #[serde(rename = "runtime_kind")]
    pub delivery_graph_kind: String,
    pub status: String,
    pub agent_roster: Vec<RosterAgent>,
    #[serde(rename = "pendingRunControl")]
    pub pending_run_control: Option<RunControlView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct RunControlView {
    pub command: String,
    pub scheduled_at: String,
}

/// One session in `GET .../session-state`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct SessionView {
    pub agent_id: String,
    pub role_id: String,
    pub live_status: String,
    pub current_step: String,
    pub blocker_code: Option<String>,
    /// The mechanical wall the session stands at, if its retry fell short.
    #[serde(default)]
    pub wall_code: Option<String>,
    pub session_id: String,
    pub claude_session_id: Option<String>,
    pub tool_call_count: u32,
    /// The loadout as it resolved at session launch (the roster view keeps these empty).
    #[serde(default)]
    pub mcp_server_ids: Vec<String>,
    #[serde(default)]
    pub skill_ids: Vec<String>,
    /// The status the agent last posted to the Agent HUD. Legacy payloads name it
    /// `BOARD_STATUS`, a wire-compatible alias this adapter reads (delivery-language
    /// seed: "only payload adapters should preserve BOARD_STATUS"); it is written
    /// under its canonical name only.
    #[serde(rename = "AGENT_HUD_STATUS", alias = "BOARD_STATUS", default)]
    pub agent_hud_status: Option<String>,
    /// Where the session's execution workspace is: the sandbox's state through the
    /// Temporal-owned phases (none before the session's first attempt).
    #[serde(rename = "executionWorkspacePhase", default)]
    pub execution_workspace_phase: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct SessionStateView {
    pub run_id: String,
    pub status: String,
    /// `executing` while a run control's ticks are going on, else `idle`.
    pub run_control_state: String,
    pub sessions: Vec<SessionView>,
}

/// One tick's report in `GET .../reports` (a list).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct TickReportView {
    pub tick: u32,
    pub status: String,
    pub generated_at: String,
    pub blockers: Vec<String>,
}

/// One handoff in `GET .../handoff-trail`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct HandoffView {
    pub sender_agent_id: String,
    pub recipient_agent_id: String,
    pub handoff_intent: String,
    pub required_result: String,
    pub delivery_reference: Option<String>,
    pub fallback_wall: Option<String>,
}

/// `POST .../execute`, `.../control`, `.../replay` answer: the scheduled run control.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ScheduledView {
    pub run_id: String,
    pub status: String,
    #[serde(rename = "pendingRunControl")]
    pub pending_run_control: RunControlView,
}

/// `POST .../control` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ControlRequest {
    pub command: String,
}

#[cfg(test)]
mod tests {
    use super::{LaunchRequest, SessionView};
    use crate::platform::studio::bootstrap::{AssetKind, WorkspaceBootstrapAsset};
    use serde_json::json;

    const BUNDLE: &str = "http://github/repos/yamonco/legacy-billing/contents/bundles/legacy-src.tar.gz";
    const CLI: &str = "http://github/repos/yamonco/sanmopia-modernization/contents/tools/cli.tar.gz";

    fn launch(extra: serde_json::Value) -> LaunchRequest {
        let mut body = json!({"template_id": "research-team", "project_slug": "p", "runtime_kind": "project_delivery"});
        for (k, v) in extra.as_object().into_iter().flatten() {
            body[k] = v.clone();
        }
        serde_json::from_value(body).expect("a launch body")
    }

    fn cli_asset() -> serde_json::Value {
        json!({"url": CLI, "destination": "/home/daytona/tools/cli.tar.gz"})
    }

    #[test]
    fn the_source_ref_bundle_alias_lowers_into_one_read_only_source_ref_bundle() {
        let assets = launch(json!({"sourceRefBundleUrl": BUNDLE})).bootstrap_assets().expect("lowers");
        assert_eq!(
            assets,
            vec![WorkspaceBootstrapAsset {
                kind: AssetKind::SourceRefBundle,
                source_url: BUNDLE.to_string(),
                destination: "/home/daytona/source-ref/legacy-src.tar.gz".to_string(),
                read_only: true,
            }]
        );
    }

    #[test]
    fn the_alias_merges_with_the_list_it_lowers_into_after_the_listed_assets() {
        let body = json!({"workspaceBootstrapAssets": [cli_asset()], "sourceRefBundleUrl": BUNDLE});
        let assets = launch(body).bootstrap_assets().expect("lowers");
        let kinds: Vec<(AssetKind, &str, bool)> =
            assets.iter().map(|a| (a.kind, a.source_url.as_str(), a.read_only)).collect();
        assert_eq!(kinds, vec![(AssetKind::File, CLI, false), (AssetKind::SourceRefBundle, BUNDLE, true)]);
    }

    #[test]
    fn the_alias_adds_nothing_when_the_list_already_holds_its_bundle() {
        let listed = json!({"kind": "source_ref_bundle", "url": BUNDLE, "destination": "/home/daytona/legacy.tgz"});
        let body = json!({"workspaceBootstrapAssets": [listed], "sourceRefBundleUrl": BUNDLE});
        let assets = launch(body).bootstrap_assets().expect("lowers");
        assert_eq!(assets.len(), 1);
        assert_eq!(assets[0].destination, "/home/daytona/legacy.tgz");
        assert!(assets[0].read_only, "a source ref bundle is read-only whatever the list says");
    }

    #[test]
    fn the_alias_is_refused_when_the_list_names_another_source_ref_bundle() {
        let listed = json!({"kind": "source_ref_bundle", "url": CLI});
        let body = json!({"workspaceBootstrapAssets": [listed], "sourceRefBundleUrl": BUNDLE});
        let e = launch(body).bootstrap_assets().expect_err("two bundles disagree");
        assert_eq!(e.loc, vec!["sourceRefBundleUrl".to_string()]);
        assert!(e.msg.contains(CLI), "{}", e.msg);
    }

    #[test]
    fn an_asset_without_a_destination_or_with_an_unknown_kind_is_refused_where_it_is() {
        let e =
            launch(json!({"workspaceBootstrapAssets": [cli_asset(), {"url": CLI}]})).bootstrap_assets().unwrap_err();
        assert_eq!((e.loc.join("."), e.kind), ("workspaceBootstrapAssets.1.destination".to_string(), "missing"));
        let odd = json!({"kind": "runtime_asset", "url": CLI, "destination": "/x"});
        let e = launch(json!({"workspaceBootstrapAssets": [odd]})).bootstrap_assets().unwrap_err();
        assert_eq!(e.loc.join("."), "workspaceBootstrapAssets.0.kind");
        let relative = json!({"url": CLI, "destination": "tools/cli.tar.gz"});
        let e = launch(json!({"workspaceBootstrapAssets": [relative]})).bootstrap_assets().unwrap_err();
        assert_eq!(e.loc.join("."), "workspaceBootstrapAssets.0.destination");
    }

    #[test]
    fn a_launch_without_assets_sends_neither_field() {
        let written = serde_json::to_value(launch(json!({}))).expect("serializes");
        assert!(written.get("workspaceBootstrapAssets").is_none() && written.get("sourceRefBundleUrl").is_none());
        assert_eq!(launch(json!({})).bootstrap_assets(), Ok(Vec::new()));
    }

    fn session(status_field: &str) -> serde_json::Value {
        json!({
            "agent_id": "planner", "role_id": "planner", "live_status": "working", "current_step": "tool:x",
            "blocker_code": null, "session_id": "sess-1", "claude_session_id": null, "tool_call_count": 1,
            status_field: "working",
        })
    }

    #[test]
    fn the_adapter_reads_the_legacy_board_status_as_the_agent_hud_status_and_writes_only_the_canonical_name() {
        for field in ["AGENT_HUD_STATUS", "BOARD_STATUS"] {
            let view: SessionView = serde_json::from_value(session(field)).expect(field);
            assert_eq!(view.agent_hud_status.as_deref(), Some("working"), "{field}");
            let written = serde_json::to_value(&view).expect("serializes");
            assert_eq!(written["AGENT_HUD_STATUS"], "working");
            assert!(written.get("BOARD_STATUS").is_none(), "{written}");
        }
    }
}
