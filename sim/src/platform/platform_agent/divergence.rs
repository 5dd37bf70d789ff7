//! The divergence report: what a provisioning spec omits or does differently
//! compared with the SSOT path, computed by comparing the two specs (seed 003:
//! "That bespoke block reinvented a subset of the workspace provisioning and
//! omitted the rest"), so a reviewer reads the RCA's conclusion without logs.
//!
//! Guarantees: computed only from the two specs (never from a run); one entry
//! per difference, each with the key [`ProvisioningSpec::correct`] takes; in a
//! fixed order (steps, env by name, then the other fields); the SSOT path
//! compared with itself yields nothing.

use serde::Serialize;

use super::provisioning_spec::{ProvisioningSpec, ProvisioningStep};

/// How a spec differs from the SSOT path in one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DivergenceKind {
    /// The SSOT path has it; this spec does not.
    Omitted,
    /// Both have it, with different values.
    Different,
    /// Only this spec has it.
    Extra,
}

/// One difference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Divergence {
    /// What differs (`step.<name>`, `env.<NAME>`, `configs`, ...).
    pub key: String,
    pub kind: DivergenceKind,
    /// What the SSOT path does here (absent when omitted by it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ssot: Option<String>,
    /// What the compared spec does here (absent when it omits it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compared: Option<String>,
}

fn entry(key: String, ssot: Option<String>, compared: Option<String>) -> Option<Divergence> {
    let kind = match (&ssot, &compared) {
        (Some(a), Some(b)) if a == b => return None,
        (Some(_), Some(_)) => DivergenceKind::Different,
        (Some(_), None) => DivergenceKind::Omitted,
        (None, Some(_)) => DivergenceKind::Extra,
        (None, None) => return None,
    };
    Some(Divergence { key, kind, ssot, compared })
}

/// Where a step runs: its position and what comes right before it.
fn step_place(steps: &[ProvisioningStep], step: ProvisioningStep) -> Option<String> {
    let at = steps.iter().position(|s| *s == step)?;
    Some(match at.checked_sub(1).map(|i| steps[i]) {
        None => format!("step {} of {}, first", at + 1, steps.len()),
        Some(prev) => format!("step {} of {}, after {}", at + 1, steps.len(), prev.as_str()),
    })
}

/// Every difference between `compared` and `ssot`.
pub fn compare(ssot: &ProvisioningSpec, compared: &ProvisioningSpec) -> Vec<Divergence> {
    let mut out = Vec::new();
    let mut steps: Vec<ProvisioningStep> = ssot.steps.iter().chain(&compared.steps).copied().collect();
    steps.sort();
    steps.dedup();
    for step in steps {
        let (a, b) = (ssot.steps.contains(&step), compared.steps.contains(&step));
        // A step both run is only a difference when their relative order differs.
        let (a, b) = if a && b {
            let order = |spec: &ProvisioningSpec| -> Vec<ProvisioningStep> {
                spec.steps.iter().copied().filter(|s| ssot.steps.contains(s) && compared.steps.contains(s)).collect()
            };
            let (oa, ob) = (order(ssot), order(compared));
            let rank = |o: &[ProvisioningStep]| o.iter().position(|s| *s == step);
            if rank(&oa) == rank(&ob) {
                continue;
            }
            (step_place(&ssot.steps, step), step_place(&compared.steps, step))
        } else {
            (a.then(|| step_place(&ssot.steps, step)).flatten(), b.then(|| step_place(&compared.steps, step)).flatten())
        };
        out.extend(entry(format!("step.{}", step.as_str()), a, b));
    }
    let mut names: Vec<&String> = ssot.env.keys().chain(compared.env.keys()).collect();
    names.sort();
    names.dedup();
    for name in names {
        let value = |spec: &ProvisioningSpec| spec.env.get(name).map(|v| format!("{name}={}", v.describe()));
        out.extend(entry(format!("env.{name}"), value(ssot), value(compared)));
    }
    type Shown = fn(&ProvisioningSpec) -> String;
    let fields: [(&str, Shown); 6] = [
        ("configs", |s| format!("/configs {}", s.configs.describe())),
        ("container_uid", |s| s.container_uid.to_string()),
        ("placement", |s| {
            serde_json::to_value(s.placement).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default()
        }),
        ("image", |s| s.image.clone()),
        ("kind", |s| s.kind.clone()),
        ("extra_mcp_servers", |s| s.extra_mcp_servers.join(", ")),
    ];
    for (key, read) in fields {
        out.extend(entry(key.to_string(), Some(read(ssot)), Some(read(compared))));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scenario_format_names_every_divergence_of_the_bespoke_block_in_the_reports_order() {
        let keys: Vec<String> =
            compare(&ProvisioningSpec::ssot(), &ProvisioningSpec::bespoke()).into_iter().map(|d| d.key).collect();
        assert_eq!(keys, crate::scenario::BESPOKE_DIVERGENCES);
        // Each one can be corrected.
        for key in crate::scenario::BESPOKE_DIVERGENCES {
            assert!(ProvisioningSpec::bespoke().correct(key, &ProvisioningSpec::ssot()).is_some(), "{key}");
        }
    }

    #[test]
    fn the_ssot_path_has_no_divergence_from_itself() {
        assert!(compare(&ProvisioningSpec::ssot(), &ProvisioningSpec::ssot()).is_empty());
    }

    #[test]
    fn the_bespoke_block_omits_what_the_rca_lists() {
        let report = compare(&ProvisioningSpec::ssot(), &ProvisioningSpec::bespoke());
        let keyed = |k: &str| report.iter().find(|d| d.key == k).map(|d| d.kind);
        assert_eq!(keyed("step.pre_seed_row"), Some(DivergenceKind::Omitted));
        assert_eq!(keyed("step.mint_workspace_token"), Some(DivergenceKind::Omitted));
        assert_eq!(keyed("step.install_platform_agent"), Some(DivergenceKind::Extra));
        assert_eq!(keyed("env.CONFIGS_DIR"), Some(DivergenceKind::Omitted));
        assert_eq!(keyed("env.MOLECULE_LLM_API_KEY"), Some(DivergenceKind::Omitted));
        assert_eq!(keyed("env.ANTHROPIC_AUTH_TOKEN"), Some(DivergenceKind::Extra));
        assert_eq!(keyed("env.A2A_PORT"), Some(DivergenceKind::Extra));
        assert_eq!(keyed("env.RUNTIME"), Some(DivergenceKind::Omitted));
        assert_eq!(keyed("configs"), Some(DivergenceKind::Different));
        assert_eq!(keyed("env.MOLECULE_API_KEY"), None, "the admin token is the concierge's native credential on both");
        assert_eq!(keyed("image"), None);
    }

    #[test]
    fn correcting_every_divergence_yields_the_ssot_spec() {
        let ssot = ProvisioningSpec::ssot();
        let mut spec = ProvisioningSpec::bespoke();
        for d in compare(&ssot, &ProvisioningSpec::bespoke()) {
            spec = spec.correct(&d.key, &ssot).unwrap();
        }
        assert!(compare(&ssot, &spec).is_empty(), "{:?}", compare(&ssot, &spec));
    }
}
