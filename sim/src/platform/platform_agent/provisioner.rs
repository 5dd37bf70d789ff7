//! The provisioner: runs a [`ProvisioningSpec`]'s steps, in its order, for one
//! execution workspace. The platform steps are HTTP calls to the workspace
//! server with the org admin token; preparing `/configs` and booting the
//! container happen on the execution workspace's own host (user data). The SSOT
//! path and the bespoke block run through this same code: only the spec differs.
//!
//! Guarantees: a step that fails is logged and the next one still runs (as a
//! user-data script without `set -e` does); `MOLECULE_WORKSPACE_TOKEN` reaches
//! the container only when a token was minted before the boot; the container's
//! server is listening before its agent registers.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};
use squadsim_fakes::fault::ServiceFaults;
use squadsim_fakes::net::{serve_simulated, HttpClient, HttpRequest};

use super::agent_container::{log_line, observe, AgentContainer, ConfigsDir, Observations, CONFIG_YAML};
use super::docker_api::{removable, Containers};
use super::provisioning_spec::{EnvSource, ProvisioningSpec, ProvisioningStep, SERVED_PORT};
use crate::scenario::PlatformMcpTool;

/// What the provisioner knows about the world it provisions into.
#[derive(Debug, Clone)]
pub(crate) struct ProvisioningContext {
    pub workspace_id: String,
    /// The host the container runs on (its A2A URL's host).
    pub host: String,
    pub platform_url: String,
    pub llm_proxy_url: String,
    pub admin_token: String,
    pub llm_proxy_token: String,
    /// The org's own Anthropic credential (BYOK, `sk-ant-*`).
    pub byok_token: String,
    /// The execution workspace's HTTP client (the provisioner's and the container's).
    pub http: HttpClient,
    /// The service-fault layer the container's server wears.
    pub faults: ServiceFaults,
    /// The containers running on the host (what its Docker Engine API removes).
    pub containers: Containers,
    /// The platform MCP's tools the scripted model calls on each chat.
    pub tool_calls: Vec<PlatformMcpTool>,
}

impl ProvisioningContext {
    fn resolve(&self, source: &EnvSource) -> String {
        match source {
            EnvSource::OrgAdminToken => self.admin_token.clone(),
            EnvSource::LlmProxyToken => self.llm_proxy_token.clone(),
            EnvSource::LlmProxyUrl => self.llm_proxy_url.clone(),
            EnvSource::ByokToken => self.byok_token.clone(),
            EnvSource::PlatformUrl => self.platform_url.clone(),
            EnvSource::Literal(v) => v.clone(),
        }
    }
}

/// Runs `spec` for the workspace; returns once every step has run (the container keeps running).
pub(crate) async fn provision(spec: ProvisioningSpec, ctx: ProvisioningContext, obs: Observations) {
    let http = ctx.http.clone();
    let configs = Arc::new(Mutex::new(ConfigsDir::default()));
    let runtime_label = match spec.env.get("RUNTIME") {
        Some(EnvSource::Literal(r)) => Some(r.clone()),
        _ => None,
    };
    let mut workspace_token: Option<String> = None;
    for step in &spec.steps {
        let admin_call = |path: String, body: Value| {
            HttpRequest::post(format!("{}{path}", ctx.platform_url)).bearer(&ctx.admin_token).json(&body)
        };
        match step {
            ProvisioningStep::PreSeedRow => {
                let body = json!({"id": ctx.workspace_id, "name": ctx.workspace_id, "kind": spec.kind,
                                  "runtime": runtime_label});
                let status = http.send(admin_call("/workspaces".into(), body)).await.ok().map(|r| r.status.as_u16());
                log_line(&obs, "provisioner", format!("pre-seed workspace row: {}", status_text(status)));
            }
            ProvisioningStep::MintWorkspaceToken => {
                let path = format!("/admin/workspaces/{}/tokens", ctx.workspace_id);
                let response = http.send(admin_call(path, json!({}))).await.ok();
                let status = response.as_ref().map(|r| r.status.as_u16());
                workspace_token = response
                    .filter(|r| r.status.is_success())
                    .and_then(|r| r.json()["auth_token"].as_str().map(str::to_string));
                observe(&obs).mint_status = status;
                log_line(&obs, "provisioner", format!("mint workspace token: {}", status_text(status)));
            }
            ProvisioningStep::PrepareConfigs => {
                let mut dir = configs.lock().unwrap_or_else(|p| p.into_inner());
                dir.mount = spec.configs.clone();
                dir.files.insert(CONFIG_YAML.to_string());
                log_line(
                    &obs,
                    "provisioner",
                    format!("/configs prepared ({}), config.yaml seeded", spec.configs.describe()),
                );
            }
            ProvisioningStep::BootContainer => {
                let mut env: BTreeMap<String, String> =
                    spec.env.iter().map(|(k, v)| (k.clone(), ctx.resolve(v))).collect();
                if let Some(t) = &workspace_token {
                    env.insert("MOLECULE_WORKSPACE_TOKEN".into(), t.clone());
                }
                let names: Vec<&str> = env.keys().map(String::as_str).collect();
                log_line(
                    &obs,
                    "provisioner",
                    format!("docker run {} as uid {} with env {}", spec.image, spec.container_uid, names.join(",")),
                );
                let container = Arc::new(AgentContainer {
                    workspace_id: ctx.workspace_id.clone(),
                    host: ctx.host.clone(),
                    env,
                    uid: spec.container_uid,
                    configs: configs.clone(),
                    http: http.clone(),
                    obs: obs.clone(),
                    tool_calls: ctx.tool_calls.clone(),
                });
                let (router, removed) = removable(ctx.faults.layer(container.router()));
                let server = tokio::spawn(async move {
                    let _ = serve_simulated(router, SERVED_PORT).await;
                });
                ctx.containers.started(&spec.image, server.abort_handle(), removed);
                tokio::spawn(container.boot());
            }
            ProvisioningStep::InstallPlatformAgent => {
                let body = json!({"id": ctx.workspace_id, "runtime": runtime_label});
                let response = http.send(admin_call("/admin/org/platform-agent".into(), body)).await.ok();
                let status = status_text(response.as_ref().map(|r| r.status.as_u16()));
                let answer = response.map(|r| format!(" {}", r.text())).unwrap_or_default();
                log_line(&obs, "provisioner", format!("install platform agent: {status}{answer}"));
            }
        }
    }
}

fn status_text(status: Option<u16>) -> String {
    status.map(|s| format!("HTTP {s}")).unwrap_or_else(|| "no response".into())
}
