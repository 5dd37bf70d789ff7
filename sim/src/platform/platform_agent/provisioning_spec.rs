//! Provisioning specs: how an execution workspace for an agent is brought up,
//! as data (seed 003). Two specs exist: the SSOT path every workspace takes
//! (`ProvisionWorkspace`: pre-seed the workspace row, mint a per-workspace
//! token, prepare `/configs` for uid 1000, boot with the full env) plus the few
//! additions the RCA allows for the concierge (`kind=platform`, the platform
//! MCP server, the dedicated image, the org admin token as its native
//! credential); and the bespoke `start_platform_agent` block of the control
//! plane's tenant user data, which reinvented a subset of it.
//!
//! Guarantees: a spec is plain data (compared by `divergence`); every
//! difference between the bespoke block and the SSOT path has one key, and
//! [`ProvisioningSpec::correct`] replaces exactly that difference with what the
//! SSOT path does, leaving every other part of the spec unchanged.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::base::topology::Host;
use crate::scenario::LlmCredential;

/// The env variables llm-auth reads a credential (and the proxy's URL) from.
pub const LLM_ENV: [&str; 4] =
    ["MOLECULE_LLM_API_KEY", "MOLECULE_LLM_BASE_URL", "CLAUDE_CODE_OAUTH_TOKEN", "ANTHROPIC_AUTH_TOKEN"];

/// One provisioning step, in the order a spec runs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProvisioningStep {
    /// `POST /workspaces` (admin): the workspace row exists before anything boots.
    PreSeedRow,
    /// `POST /admin/workspaces/{id}/tokens` (admin): exports `MOLECULE_WORKSPACE_TOKEN` to the boot.
    MintWorkspaceToken,
    /// Create the configs directory on the host and seed `config.yaml` in it.
    PrepareConfigs,
    /// Start the container with the spec's env, as the image's user.
    BootContainer,
    /// `POST /admin/org/platform-agent` (admin): install/re-parent the platform row.
    InstallPlatformAgent,
}

impl ProvisioningStep {
    pub fn as_str(self) -> &'static str {
        match self {
            ProvisioningStep::PreSeedRow => "pre_seed_row",
            ProvisioningStep::MintWorkspaceToken => "mint_workspace_token",
            ProvisioningStep::PrepareConfigs => "prepare_configs",
            ProvisioningStep::BootContainer => "boot_container",
            ProvisioningStep::InstallPlatformAgent => "install_platform_agent",
        }
    }
}

/// Where an env value comes from when the container boots.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EnvSource {
    /// The org admin token (`$ADMIN_TOKEN`).
    OrgAdminToken,
    /// The tenant's platform-managed LLM proxy token (`sk-cp-*`).
    LlmProxyToken,
    /// The LLM proxy's base URL.
    LlmProxyUrl,
    /// The org's own Anthropic credential (BYOK, `sk-ant-*`).
    ByokToken,
    /// The platform's (tenant's) URL.
    PlatformUrl,
    /// A fixed value.
    Literal(String),
}

impl EnvSource {
    /// How the value reads in a report (never the secret itself).
    pub fn describe(&self) -> String {
        match self {
            EnvSource::OrgAdminToken => "$ADMIN_TOKEN".into(),
            EnvSource::LlmProxyToken => "sk-cp-* (platform LLM proxy token)".into(),
            EnvSource::LlmProxyUrl => "$LLM_PROXY_URL".into(),
            EnvSource::ByokToken => "sk-ant-* (BYOK)".into(),
            EnvSource::PlatformUrl => "$PLATFORM_URL".into(),
            EnvSource::Literal(v) => v.clone(),
        }
    }
}

/// The host directory mounted at `/configs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigsMount {
    pub owner_uid: u32,
    pub owner_gid: u32,
    pub mode: u32,
}

impl ConfigsMount {
    pub fn describe(&self) -> String {
        format!("{}:{} {:04o}", self.owner_uid, self.owner_gid, self.mode)
    }

    /// Whether a process running as `uid` (not root) may create files in it.
    pub fn writable_by(&self, uid: u32) -> bool {
        (self.owner_uid == uid && self.mode & 0o200 != 0) || self.mode & 0o002 != 0
    }
}

/// Where the container runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Placement {
    /// Its own EC2, like every workspace.
    OwnEc2,
    /// A `docker run` on the tenant's EC2, next to the platform.
    TenantEc2,
}

/// How one execution workspace is provisioned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProvisioningSpec {
    /// Which path this is (report label).
    pub path: String,
    pub steps: Vec<ProvisioningStep>,
    pub env: BTreeMap<String, EnvSource>,
    pub configs: ConfigsMount,
    /// The uid the container's processes run as (the image's `agent` user).
    pub container_uid: u32,
    pub placement: Placement,
    pub image: String,
    /// The workspace kind written by the row step (pre-seed or install).
    pub kind: String,
    /// MCP servers added to the concierge's config.
    pub extra_mcp_servers: Vec<String>,
}

/// The image the concierge runs (for its baked-in `molecule-mcp`).
pub const PLATFORM_AGENT_IMAGE: &str = "molecule-platform-agent";
/// The port the image's server (uvicorn) listens on.
pub const SERVED_PORT: u16 = match Host::Concierge.port() {
    Some(port) => port,
    None => 0,
};
/// The uid of the image's `agent` user.
pub const AGENT_UID: u32 = 1000;

fn env(pairs: &[(&str, EnvSource)]) -> BTreeMap<String, EnvSource> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

impl ProvisioningSpec {
    /// The SSOT path (`ProvisionWorkspace`) with the concierge's additions.
    pub fn ssot() -> Self {
        ProvisioningSpec {
            path: "ssot (ProvisionWorkspace + kind=platform)".into(),
            steps: vec![
                ProvisioningStep::PreSeedRow,
                ProvisioningStep::MintWorkspaceToken,
                ProvisioningStep::PrepareConfigs,
                ProvisioningStep::BootContainer,
            ],
            env: env(&[
                ("CONFIGS_DIR", EnvSource::Literal("/configs".into())),
                ("MOLECULE_API_KEY", EnvSource::OrgAdminToken),
                ("MOLECULE_API_URL", EnvSource::PlatformUrl),
                ("MOLECULE_LLM_API_KEY", EnvSource::LlmProxyToken),
                ("MOLECULE_LLM_BASE_URL", EnvSource::LlmProxyUrl),
                ("PLATFORM_URL", EnvSource::PlatformUrl),
                ("RUNTIME", EnvSource::Literal("claude-code".into())),
            ]),
            configs: ConfigsMount { owner_uid: AGENT_UID, owner_gid: AGENT_UID, mode: 0o755 },
            container_uid: AGENT_UID,
            placement: Placement::OwnEc2,
            image: PLATFORM_AGENT_IMAGE.into(),
            kind: "platform".into(),
            extra_mcp_servers: vec!["platform (molecule-mcp)".into()],
        }
    }

    /// The control plane's `start_platform_agent` block (tenant user data), as the RCA found it.
    pub fn bespoke() -> Self {
        ProvisioningSpec {
            path: "bespoke (start_platform_agent block)".into(),
            steps: vec![
                ProvisioningStep::PrepareConfigs,
                ProvisioningStep::BootContainer,
                ProvisioningStep::InstallPlatformAgent,
            ],
            env: env(&[
                ("A2A_PORT", EnvSource::Literal("8090".into())),
                ("ANTHROPIC_AUTH_TOKEN", EnvSource::OrgAdminToken),
                ("MOLECULE_API_KEY", EnvSource::OrgAdminToken),
                ("MOLECULE_API_URL", EnvSource::PlatformUrl),
                ("PLATFORM_URL", EnvSource::PlatformUrl),
            ]),
            configs: ConfigsMount { owner_uid: 0, owner_gid: 0, mode: 0o755 },
            container_uid: AGENT_UID,
            placement: Placement::TenantEc2,
            image: PLATFORM_AGENT_IMAGE.into(),
            kind: "platform".into(),
            extra_mcp_servers: vec!["platform (molecule-mcp)".into()],
        }
    }

    /// This spec with its LLM env replaced by `credential`'s (seed 003, "Wrong LLM
    /// token"): every other variable stays as the path sets it.
    pub fn with_llm_credential(mut self, credential: LlmCredential) -> Self {
        for name in LLM_ENV {
            self.env.remove(name);
        }
        let llm: &[(&str, EnvSource)] = match credential {
            LlmCredential::OrgAdminToken => &[("ANTHROPIC_AUTH_TOKEN", EnvSource::OrgAdminToken)],
            LlmCredential::Byok => &[("CLAUDE_CODE_OAUTH_TOKEN", EnvSource::ByokToken)],
            LlmCredential::PlatformProxy => {
                &[("MOLECULE_LLM_API_KEY", EnvSource::LlmProxyToken), ("MOLECULE_LLM_BASE_URL", EnvSource::LlmProxyUrl)]
            }
        };
        self.env.extend(env(llm));
        self
    }

    /// This spec with the difference named `key` (a key of the divergence
    /// report: `step.<name>`, `env.<NAME>`, `configs`, `placement`, `image`,
    /// `kind`, `extra_mcp_servers`) replaced by what `ssot` does. Returns
    /// `None` for a key that names no part of a spec.
    pub fn correct(&self, key: &str, ssot: &ProvisioningSpec) -> Option<ProvisioningSpec> {
        let mut out = self.clone();
        if let Some(name) = key.strip_prefix("step.") {
            let step = ALL_STEPS.iter().copied().find(|s| s.as_str() == name)?;
            out.steps.retain(|s| *s != step);
            if let Some(at) = ssot.steps.iter().position(|s| *s == step) {
                // Before the first step that follows it on the SSOT path (else last).
                let next = ssot.steps[at + 1..].iter().find_map(|n| out.steps.iter().position(|s| s == n));
                out.steps.insert(next.unwrap_or(out.steps.len()), step);
            }
        } else if let Some(name) = key.strip_prefix("env.") {
            if name.is_empty() {
                return None;
            }
            match ssot.env.get(name) {
                Some(v) => out.env.insert(name.to_string(), v.clone()),
                None => out.env.remove(name),
            };
        } else {
            match key {
                "configs" => out.configs = ssot.configs.clone(),
                "container_uid" => out.container_uid = ssot.container_uid,
                "placement" => out.placement = ssot.placement,
                "image" => out.image = ssot.image.clone(),
                "kind" => out.kind = ssot.kind.clone(),
                "extra_mcp_servers" => out.extra_mcp_servers = ssot.extra_mcp_servers.clone(),
                _ => return None,
            }
        }
        out.path = format!("{} + corrected {key}", self.path);
        Some(out)
    }
}

/// Every provisioning step.
pub const ALL_STEPS: [ProvisioningStep; 5] = [
    ProvisioningStep::PreSeedRow,
    ProvisioningStep::MintWorkspaceToken,
    ProvisioningStep::PrepareConfigs,
    ProvisioningStep::BootContainer,
    ProvisioningStep::InstallPlatformAgent,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn correcting_a_missing_step_puts_it_where_the_ssot_path_runs_it() {
        let ssot = ProvisioningSpec::ssot();
        let fixed = ProvisioningSpec::bespoke().correct("step.mint_workspace_token", &ssot).unwrap();
        assert_eq!(
            fixed.steps,
            [
                ProvisioningStep::MintWorkspaceToken,
                ProvisioningStep::PrepareConfigs,
                ProvisioningStep::BootContainer,
                ProvisioningStep::InstallPlatformAgent
            ]
        );
        let extra = ProvisioningSpec::bespoke().correct("step.install_platform_agent", &ssot).unwrap();
        assert!(!extra.steps.contains(&ProvisioningStep::InstallPlatformAgent));
    }

    #[test]
    fn correcting_an_env_var_adds_or_removes_only_it() {
        let ssot = ProvisioningSpec::ssot();
        let bespoke = ProvisioningSpec::bespoke();
        let fixed = bespoke.correct("env.A2A_PORT", &ssot).unwrap();
        assert!(!fixed.env.contains_key("A2A_PORT"));
        assert_eq!(fixed.env.len(), bespoke.env.len() - 1);
        let fixed = bespoke.correct("env.CONFIGS_DIR", &ssot).unwrap();
        assert_eq!(fixed.env.get("CONFIGS_DIR"), ssot.env.get("CONFIGS_DIR"));
        assert!(bespoke.correct("env.", &ssot).is_none());
        assert!(bespoke.correct("colour", &ssot).is_none());
    }

    #[test]
    fn a_root_owned_configs_dir_is_not_writable_by_the_agent_user() {
        assert!(!ProvisioningSpec::bespoke().configs.writable_by(AGENT_UID));
        assert!(ProvisioningSpec::ssot().configs.writable_by(AGENT_UID));
    }
}
