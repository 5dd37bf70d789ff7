//! The platform (concierge) agent's provisioning, seed 003: the SSOT path for
//! an execution workspace versus the bespoke `start_platform_agent` block, as
//! a scenario condition (`world.platform_agent`).
//!
//! Four hosts join the world when the condition is present: `platform` (the
//! tenant's workspace server), `concierge` (the execution workspace the
//! platform agent's container runs on; the provisioner runs the spec there),
//! `llm-proxy` (the platform-managed LLM proxy with the scripted model) and
//! `anthropic-api` (the Anthropic API a BYOK credential reaches, the same
//! scripted model behind the org's `sk-ant-*` credential). The
//! operator's `chat_with_agent` and `probe_agent` steps reach them over HTTP.
//!
//! Guarantees: the symptoms in [`PlatformAgentOutcome`] are read from what the
//! services recorded during the run (the workspace log, the platform's rows,
//! queue and log), never from the spec; the divergence report is computed from
//! the specs alone ([`divergence::compare`]); the workspace id, admin token and
//! proxy and BYOK credentials come from the scenario seed.

pub(crate) mod agent_container;
pub mod divergence;
pub mod docker_api;
pub(crate) mod llm_proxy;
pub(crate) mod provisioner;
pub mod provisioning_spec;
pub mod workspace_server;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::LocalBoxFuture;

use serde::Serialize;
use squadsim_fakes::fault::ServiceFaults;
use squadsim_fakes::ids::IdGen;
use squadsim_fakes::net::{serve_simulated, CallRecorder, HttpClient};

use agent_container::{observe, LlmAuthError, Observations, WorkspaceObservations};
use divergence::Divergence;
use provisioning_spec::ProvisioningSpec;
use workspace_server::{DeliveryMode, WorkspaceServer};

use crate::base::topology::Host;
use crate::scenario::{CorrectionError, PlatformAgentCondition, PlatformMcpTool, ProvisioningPath, Symptom};

/// The provisioning spec of a platform-agent condition.
impl PlatformAgentCondition {
    /// The spec this condition provisions with: the SSOT path's, or the bespoke
    /// block's with each of `corrected` set to what the SSOT path does; or why a
    /// correction names nothing to correct. `llm_credential`, when set, replaces
    /// the LLM env last.
    pub fn spec(&self) -> Result<ProvisioningSpec, CorrectionError> {
        self.check_corrections()?;
        let ssot = ProvisioningSpec::ssot();
        let mut spec = match self.provisioning {
            ProvisioningPath::Ssot => ssot.clone(),
            ProvisioningPath::Bespoke => ProvisioningSpec::bespoke(),
        };
        for key in &self.corrected {
            spec = spec.correct(key, &ssot).ok_or_else(|| CorrectionError::UnknownDivergence(key.clone()))?;
        }
        Ok(match self.llm_credential {
            Some(credential) => spec.with_llm_credential(credential),
            None => spec,
        })
    }
}

/// The platform agent's deterministic workspace id (a UUID, as the platform's ids are).
pub fn workspace_id(seed: u64) -> String {
    uuid(seed, "platform-agent-workspace")
}

/// The org admin token (`$ADMIN_TOKEN`) of a world with `seed`: what the
/// operator, as the org's admin, authenticates to the platform's admin routes with.
pub fn admin_token(seed: u64) -> String {
    secrets(seed).0
}

/// The org admin token, and the generator the world's other secrets follow it from.
fn secrets(seed: u64) -> (String, IdGen) {
    let mut secrets = IdGen::derive(seed, "platform-agent-secrets");
    let admin_token = format!("mol_admin_{}", secrets.alphanumeric(32));
    (admin_token, secrets)
}

/// A deterministic UUID for `label` under `seed`.
fn uuid(seed: u64, label: &str) -> String {
    let u = IdGen::derive(seed, label).uuid_simple();
    format!("{}-{}-{}-{}-{}", &u[..8], &u[8..12], &u[12..16], &u[16..20], &u[20..])
}

/// The services of the condition: what its hosts run, and (after the run)
/// what they recorded, read into the outcome.
pub struct PlatformAgentWorld {
    server: Arc<WorkspaceServer>,
    proxy: Arc<llm_proxy::LlmProxy>,
    /// The Anthropic API behind the org's BYOK credential.
    anthropic: Arc<llm_proxy::LlmProxy>,
    /// The concierge's provisioning (its container's server wears the fault layer given to [`Self::software`]).
    provisioning: provisioner::ProvisioningContext,
    obs: Observations,
    spec: ProvisioningSpec,
    workspace_id: String,
    /// The org's roots as the world started.
    roots_before: Vec<String>,
    /// The scripted model calls `list_workspaces` (the outcome carries the re-pilot check).
    asks_for_workspaces: bool,
}

impl PlatformAgentWorld {
    /// The condition's hosts, in the order the world mounts them: the
    /// concierge last (its provisioner calls the other two from its first step).
    pub const HOSTS: [Host; 4] = [Host::Platform, Host::LlmProxy, Host::AnthropicApi, Host::Concierge];

    /// The condition's services. `spec` comes from [`PlatformAgentCondition::spec`];
    /// with a `recorder`, every host's HTTP client records its exchanges as
    /// coming from that host.
    pub fn new(
        condition: &PlatformAgentCondition,
        spec: ProvisioningSpec,
        seed: u64,
        recorder: Option<&CallRecorder>,
    ) -> Self {
        let (admin_token, mut secrets) = secrets(seed);
        let llm_proxy_token = format!("sk-cp-{}", secrets.alphanumeric(40));
        let byok_token = format!("sk-ant-oat01-{}", secrets.alphanumeric(40));
        let workspace_id = workspace_id(seed);
        let client = |host: Host, timeout: Duration| {
            let http = HttpClient::simulated(timeout);
            recorder.map(|r| http.recording(r, host.name())).unwrap_or(http)
        };
        let server = WorkspaceServer::new(
            admin_token.clone(),
            seed,
            client(Host::Platform, Duration::from_secs(5)),
            &condition.org,
        );
        let proxy = llm_proxy::LlmProxy::new(llm_proxy_token.clone(), condition.model_reply.clone());
        let anthropic = llm_proxy::LlmProxy::new(byok_token.clone(), condition.model_reply.clone());
        let provisioning = provisioner::ProvisioningContext {
            workspace_id: workspace_id.clone(),
            host: Host::Concierge.name().to_string(),
            platform_url: Host::Platform.url(),
            llm_proxy_url: Host::LlmProxy.url(),
            admin_token,
            llm_proxy_token,
            byok_token,
            http: client(Host::Concierge, Duration::from_secs(10)),
            faults: ServiceFaults::default(),
            containers: docker_api::Containers::default(),
            tool_calls: condition.model_tool_calls.clone(),
        };
        let obs: Observations = Arc::new(Mutex::new(WorkspaceObservations::default()));
        let roots_before = server.roots();
        let asks_for_workspaces = condition.model_tool_calls.contains(&PlatformMcpTool::ListWorkspaces);
        PlatformAgentWorld {
            server,
            proxy,
            anthropic,
            provisioning,
            obs,
            spec,
            workspace_id,
            roots_before,
            asks_for_workspaces,
        }
    }

    /// What `host` (one of [`Self::HOSTS`]) runs, its servers wearing
    /// `faults`: the workspace server, the LLM proxy, or on the concierge the
    /// provisioner running the spec and then the container it started. A
    /// host that is not the condition's runs nothing and ends at once.
    pub fn software(&self, host: Host, faults: ServiceFaults) -> LocalBoxFuture<'static, HostResult> {
        match host {
            Host::Platform => Box::pin(serve_on(host, faults.layer(self.server.router()))),
            Host::LlmProxy => Box::pin(serve_on(host, faults.layer(self.proxy.router()))),
            Host::AnthropicApi => Box::pin(serve_on(host, faults.layer(self.anthropic.router()))),
            Host::Concierge => {
                let (spec, obs) = (self.spec.clone(), self.obs.clone());
                let context = provisioner::ProvisioningContext { faults: faults.clone(), ..self.provisioning.clone() };
                let docker = faults.layer(context.containers.router(obs.clone()));
                Box::pin(async move {
                    tokio::spawn(async move {
                        let _ = serve_simulated(docker, docker_api::DOCKER_API_PORT).await;
                    });
                    provisioner::provision(spec, context, obs).await;
                    // The container keeps serving; the host's software never ends by itself.
                    std::future::pending::<()>().await;
                    Ok(())
                })
            }
            _ => Box::pin(async { Ok(()) }),
        }
    }
}

/// What a turmoil host's software ends with.
pub type HostResult = Result<(), Box<dyn std::error::Error>>;

/// Serves `router` on `host`'s port.
async fn serve_on(host: Host, router: axum::Router) -> HostResult {
    serve_simulated(router, host.port().unwrap_or_default()).await
}

/// The platform agent's workspace row as the platform shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgentWorkspaceOutcome {
    pub id: String,
    pub name: String,
    pub kind: String,
    /// `workspaces.runtime` as the platform reads it.
    pub runtime_label: String,
    pub status: String,
    pub delivery_mode: Option<DeliveryMode>,
}

/// The outcome section of a run with `world.platform_agent`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlatformAgentOutcome {
    pub provisioning: String,
    /// `None`: the platform has no row for the agent.
    pub workspace: Option<AgentWorkspaceOutcome>,
    /// The executor the container actually runs.
    pub executor: Option<String>,
    /// The container on the execution workspace: `running`, `removed` (by the
    /// rollback's `docker rm -f`) or `not started`.
    pub container: String,
    pub a2a_advertised_port: Option<u16>,
    pub a2a_served_port: Option<u16>,
    /// Inbound messages still in the platform's `a2a_queue` (method, status).
    pub inbound_queue: Vec<String>,
    pub symptoms: Vec<Symptom>,
    /// What this run's spec omits or does differently compared with the SSOT path.
    pub divergences: Vec<Divergence>,
    /// The execution workspace's log (provisioner, agent, molecule-mcp, llm-auth).
    pub workspace_log: Vec<String>,
    /// The org's topology before and after, and what the install migrated.
    pub org: OrgOutcome,
    /// The RCA's re-pilot check (with `model_tool_calls: [list_workspaces]`):
    /// "verify the concierge responds + can list_workspaces via the platform MCP".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repilot_check: Option<RepilotCheck>,
    /// The platform's log.
    pub platform_log: Vec<String>,
}

/// The org around the platform agent, read from the platform's rows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrgOutcome {
    /// The roots (workspaces with no parent) when the world started, by name.
    pub roots_before: Vec<String>,
    /// The roots at the end of the run, by name (the platform agent's row is
    /// named by its id until its config is applied).
    pub roots_after: Vec<String>,
    /// What `POST /admin/org/platform-agent` did (`None`: it never ran).
    pub install: Option<InstallOutcome>,
    /// What the rollback restored (`None`: no rollback ran). Its route,
    /// `DELETE /admin/org/platform-agent`, is model-defined: neither the seed
    /// nor molecule-core's router names one.
    pub rollback: Option<RollbackOutcome>,
}

/// One rollback of the platform-agent install.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RollbackOutcome {
    /// The route it went through, marked model-defined.
    pub route: String,
    /// The roots it restored (no parent again), by name, sorted.
    pub restored_roots: Vec<String>,
}

/// The re-pilot check's verdict, read from what the concierge did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RepilotCheck {
    /// `list_workspaces` through the platform MCP succeeded and the chat was answered.
    pub passed: bool,
    /// The workspaces `list_workspaces` returned, by name.
    pub workspaces: Vec<String>,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
}

/// One platform-agent install as the platform recorded it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InstallOutcome {
    /// The roots it re-parented under the platform agent, by name, sorted.
    pub reparented: Vec<String>,
    /// `table: rows` for each org table it migrated.
    pub migrated: Vec<String>,
}

impl PlatformAgentOutcome {
    /// One line: divergences from the SSOT path and the symptoms seen.
    pub fn summary(&self) -> String {
        let symptoms: Vec<String> = self
            .symptoms
            .iter()
            .filter_map(|s| serde_json::to_value(s).ok().and_then(|v| v.as_str().map(String::from)))
            .collect();
        format!(
            "{} divergences from the SSOT path, symptoms: {}",
            self.divergences.len(),
            if symptoms.is_empty() { "none".to_string() } else { symptoms.join(", ") }
        )
    }
}

impl PlatformAgentWorld {
    /// The outcome section, read from the services after the simulation.
    pub fn outcome(&self) -> PlatformAgentOutcome {
        let obs = observe(&self.obs).clone();
        let row = self.server.row(&self.workspace_id);
        let queue = self.server.queue();
        let symptoms = symptoms(&obs, row.as_ref().map(|r| r.runtime_label()), !queue.is_empty());
        let repilot_check = self.asks_for_workspaces.then(|| repilot_check(&obs));
        PlatformAgentOutcome {
            provisioning: self.spec.path.clone(),
            workspace: row.map(|r| AgentWorkspaceOutcome {
                runtime_label: r.runtime_label(),
                id: r.id,
                name: r.name,
                kind: r.kind,
                status: r.status,
                delivery_mode: r.delivery_mode,
            }),
            executor: obs.executor.clone(),
            container: match (obs.container_removed, &obs.executor) {
                (true, _) => "removed",
                (false, Some(_)) => "running",
                (false, None) => "not started",
            }
            .to_string(),
            a2a_advertised_port: obs.advertised_port,
            a2a_served_port: obs.served_port,
            inbound_queue: queue.iter().map(|q| format!("{} {}", q.method, q.status)).collect(),
            symptoms,
            divergences: divergence::compare(&ProvisioningSpec::ssot(), &self.spec),
            workspace_log: obs.log,
            org: OrgOutcome {
                roots_before: self.roots_before.clone(),
                roots_after: self.server.roots(),
                install: self.server.install().map(|i| {
                    let mut reparented: Vec<String> =
                        i.reparented.iter().filter_map(|id| self.server.row(id)).map(|r| r.name).collect();
                    reparented.sort();
                    InstallOutcome { reparented, migrated: i.migrated }
                }),
                rollback: self.server.rollback().map(|restored_roots| RollbackOutcome {
                    route: workspace_server::ROLLBACK_ROUTE.to_string(),
                    restored_roots,
                }),
            },
            repilot_check,
            platform_log: self.server.log_lines(),
        }
    }
}

/// The re-pilot check: the concierge listed the workspaces through the platform
/// MCP and answered the chat.
fn repilot_check(obs: &WorkspaceObservations) -> RepilotCheck {
    let workspaces = match &obs.list_workspaces {
        Some(Ok(names)) => names.clone(),
        _ => Vec::new(),
    };
    let why = match (&obs.list_workspaces, &obs.answered) {
        (None, _) => Some("the concierge ran no query: no chat reached it".to_string()),
        (Some(Err(why)), _) => Some(format!("list_workspaces: {why}")),
        (Some(Ok(_)), Some(Err(why))) => Some(format!("the concierge did not answer: {why}")),
        (Some(Ok(_)), None) => Some("the concierge did not answer".to_string()),
        (Some(Ok(_)), Some(Ok(()))) => None,
    };
    RepilotCheck { passed: why.is_none(), workspaces, why }
}

/// The symptoms in what was observed, in [`Symptom`] order.
fn symptoms(obs: &WorkspaceObservations, runtime_label: Option<String>, queued: bool) -> Vec<Symptom> {
    let mut out = Vec::new();
    if obs.registration == Some(Some(401)) {
        out.push(Symptom::RegistrationRejected401);
    }
    if obs.mcp_registration == Some(Some(401)) {
        out.push(Symptom::MoleculeMcpRegisterRejected401);
    }
    if obs.mint_status == Some(404) {
        out.push(Symptom::WorkspaceTokenMint404);
    }
    if obs.secret_saved == Some(false) {
        out.push(Symptom::ConfigsEperm);
    }
    if obs.config_applied == Some(false) {
        out.push(Symptom::ConfigNotApplied);
    }
    match &obs.llm_auth {
        Some(Err(LlmAuthError::UnrecognisedPrefix)) => out.push(Symptom::LlmAuthUnrecognisedPrefix),
        Some(Err(_)) => out.push(Symptom::LlmCredentialUnusable),
        _ => {}
    }
    if queued {
        out.push(Symptom::InboundChatQueuedNeverConsumed);
    }
    if !obs.unserved_a2a.is_empty() {
        out.push(Symptom::A2aAdvertisedPortNotServed);
    }
    if let (Some(label), Some(executor)) = (runtime_label, &obs.executor) {
        if &label != executor {
            out.push(Symptom::StaleRuntimeLabel);
        }
    }
    out
}
