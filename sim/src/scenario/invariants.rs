//! Outcome invariants as a scenario declares them (`invariants:`): what must
//! hold under every seed, message order and latency a seed sweep explores
//! (`squadsim run --seeds N`), and the names they may use (run statuses,
//! blocker codes, walls, diagnosis planes, platform-agent symptoms).
//!
//! A snapshot pins one seed's exact outcome; invariants pin what a change of
//! seed, host order or latency must never change (the blockers, the run
//! status, the walls, the size of the roster). They are expectations checked
//! after a run (by the engine's `invariants`), never fed into it: the outcome
//! still emerges from the services.
//!
//! Guarantees: codes are validated against the delivery language when the
//! scenario loads ([`Invariants::validate`]), each error naming its field.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use squadsim_conformance::vocabulary::{BlockerCode, CodeOrigin, Wall};

/// The run status an invariant may name: the Studio's run statuses, or
/// `not_launched` when the launch got no run (refused, or no answer).
pub const RUN_STATUSES: [&str; 6] = ["ready", "running", "blocked", "completed", "cleaned_up", "not_launched"];

/// What every seed of a sweep must produce. Each field is optional; only the
/// declared ones are checked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Invariants {
    /// Whether the operator gets through every step within the horizon.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished: Option<bool>,
    /// What the first launched run must end with: the fields `run_status`,
    /// `blockers`, `walls`, `standing_walls` and `sessions`, written beside
    /// the others (each `runs.<label>` has the same ones).
    #[serde(flatten, deserialize_with = "crate::scenario::load::flattened")]
    pub run: RunInvariants,
    /// The launch's HTTP status; `0` for no answer within the client's timeout (HTTP 000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub launch_http_status: Option<u16>,
    /// The plane the first-tool diagnosis blames (`execution_plane`, `control_plane`,
    /// `neither`), or `none` when there is no diagnosis.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diagnosis_plane: Option<String>,
    /// The platform agent's symptoms (seed 003), in any order (`[]`: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_agent_symptoms: Option<Vec<String>>,
    /// Liveness: once the last fault has ended, every session settles (completed,
    /// or blocked with a reason) within this long (default: the scenario's longest
    /// documented deadline: its lifecycle deadlines and operator timeouts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub converges_within: Option<crate::scenario::SimDuration>,
    /// Per labelled run (`launch.label`): what its run must end with. The
    /// fields above are about the first launched run.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub runs: std::collections::BTreeMap<String, RunInvariants>,
}

/// What one run must end with under every seed of a sweep: the first launched
/// run (these fields at the top of `invariants:`), or a labelled one
/// (`invariants.runs.<label>`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunInvariants {
    /// The run's status (`completed`, `blocked`, ...), or `not_launched`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_status: Option<String>,
    /// The distinct blocker codes of the run's sessions, in any order (`[]`: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "blocker_codes_schema")]
    pub blockers: Option<Vec<String>>,
    /// The distinct walls that fired in the run, in any order (`[]`: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub walls: Option<Vec<String>>,
    /// The distinct walls the run's sessions are left standing at (the retry fell short), in any order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standing_walls: Option<Vec<String>>,
    /// How many sessions the run's roster ends with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sessions: Option<usize>,
}

impl RunInvariants {
    /// Checks the declared codes and statuses against the delivery language
    /// (the error names the field as if it were top-level; for a labelled run
    /// the caller places it under `invariants.runs.<label>`).
    pub fn validate(&self) -> Result<(), InvalidInvariant> {
        one_of("run_status", "run status", &self.run_status, &RUN_STATUSES)?;
        let blocker_codes: Vec<String> = BlockerCode::ALL.iter().map(|c| c.label()).collect();
        let blocker_codes: Vec<&str> = blocker_codes.iter().map(String::as_str).collect();
        let wall_codes: Vec<&str> = Wall::ALL.iter().map(|w| w.code()).collect();
        known_codes("blockers", "blocker code", &self.blockers, |c| BlockerCode::parse(c).is_some(), &blocker_codes)?;
        known_codes("walls", "wall", &self.walls, |c| Wall::parse(c).is_some(), &wall_codes)?;
        known_codes("standing_walls", "wall", &self.standing_walls, |c| Wall::parse(c).is_some(), &wall_codes)
    }
}

/// The schema of `invariants.blockers`: every code the delivery language knows,
/// each described as the seeds' or model-defined, and the legacy alias.
fn blocker_codes_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let mut codes: Vec<serde_json::Value> = BlockerCode::ALL
        .iter()
        .map(|code| {
            // A model-defined code's meaning starts with `model-defined:`.
            let description = match code.origin() {
                CodeOrigin::Seed => format!("seed code: {}", code.meaning()),
                CodeOrigin::ModelDefined => code.meaning().to_string(),
            };
            serde_json::json!({"const": code.as_str(), "description": description})
        })
        .collect();
    for (alias, canonical) in BlockerCode::LEGACY_ALIASES {
        let description = format!("Legacy wire alias of {canonical} (read as it).");
        codes.push(serde_json::json!({"const": alias, "description": description}));
    }
    schemars::json_schema!({
        "description": "The distinct blocker codes of the sessions, in any order (`[]`: none). Codes the model defines where the seeds name none are marked model-defined.",
        "type": ["array", "null"],
        "items": {"oneOf": codes}
    })
}

/// The planes `diagnosis_plane` may name (`none`: no diagnosis).
pub const DIAGNOSIS_PLANES: [&str; 4] = ["execution_plane", "control_plane", "neither", "none"];

/// A declared invariant that names something the delivery language does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidInvariant {
    /// The invariant's field, e.g. `blockers`.
    pub name: &'static str,
    /// The offending entry of a list field.
    pub index: Option<usize>,
    pub message: String,
}

impl InvalidInvariant {
    /// The field path in the scenario, e.g. `invariants.blockers[1]` (the loader
    /// locates the line by it).
    pub fn field(&self) -> String {
        match self.index {
            Some(i) => format!("invariants.{}[{i}]", self.name),
            None => format!("invariants.{}", self.name),
        }
    }
}

impl Invariants {
    /// Checks the declared codes and statuses against the delivery language.
    pub fn validate(&self) -> Result<(), InvalidInvariant> {
        if self.finished == Some(false) {
            return Err(InvalidInvariant {
                name: "finished",
                index: None,
                message: "`finished: false` cannot hold: a run that does not reach its end is a failure whatever \
                          its invariants say (declare `finished: true`, or nothing)"
                    .into(),
            });
        }
        self.run.validate()?;
        let symptoms: Vec<&str> = Symptom::ALL.iter().map(|s| s.code()).collect();
        known_codes(
            "platform_agent_symptoms",
            "platform-agent symptom",
            &self.platform_agent_symptoms,
            |c| symptoms.contains(&c),
            &symptoms,
        )?;
        one_of("diagnosis_plane", "plane", &self.diagnosis_plane, &DIAGNOSIS_PLANES)
    }
}

/// A symptom seed 003 reports: what `invariants.platform_agent_symptoms` may
/// name, and what the platform agent's outcome lists as observed in a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Symptom {
    /// `Register: HTTP 401` (the container authenticated with a non-workspace token).
    #[serde(rename = "registration_rejected_401")]
    RegistrationRejected401,
    /// `molecule-mcp: register rejected HTTP 401`: the platform MCP's own
    /// registration refused (a non-workspace token); molecule-mcp exits.
    #[serde(rename = "molecule_mcp_register_rejected_401")]
    MoleculeMcpRegisterRejected401,
    /// The token mint answered 404: no workspace row existed yet (chicken-and-egg).
    #[serde(rename = "workspace_token_mint_404")]
    WorkspaceTokenMint404,
    /// `molecule-mcp` could not save `/configs/.platform_inbound_secret` (EPERM).
    ConfigsEperm,
    /// The concierge `config.yaml` was not applied (name stays the workspace id).
    ConfigNotApplied,
    /// `llm-auth: unrecognised prefix`.
    LlmAuthUnrecognisedPrefix,
    /// llm-auth refused the credential for another reason.
    LlmCredentialUnusable,
    /// Inbound chat queued with `delivery_mode=poll` and still queued at the end.
    InboundChatQueuedNeverConsumed,
    /// The agent's server answered 404 on the A2A routes the platform uses (its
    /// A2A port, `A2A_PORT`, is not the port it serves and registered).
    A2aAdvertisedPortNotServed,
    /// The platform's label for the agent process adapter is not the executor that runs.
    StaleRuntimeLabel,
}

impl Symptom {
    /// Every symptom, in a fixed order.
    pub const ALL: [Symptom; 10] = [
        Symptom::RegistrationRejected401,
        Symptom::MoleculeMcpRegisterRejected401,
        Symptom::WorkspaceTokenMint404,
        Symptom::ConfigsEperm,
        Symptom::ConfigNotApplied,
        Symptom::LlmAuthUnrecognisedPrefix,
        Symptom::LlmCredentialUnusable,
        Symptom::InboundChatQueuedNeverConsumed,
        Symptom::A2aAdvertisedPortNotServed,
        Symptom::StaleRuntimeLabel,
    ];

    /// The symptom's name in outcomes and invariants (`configs_eperm`, ...): its serde name.
    pub fn code(self) -> &'static str {
        match self {
            Symptom::RegistrationRejected401 => "registration_rejected_401",
            Symptom::MoleculeMcpRegisterRejected401 => "molecule_mcp_register_rejected_401",
            Symptom::WorkspaceTokenMint404 => "workspace_token_mint_404",
            Symptom::ConfigsEperm => "configs_eperm",
            Symptom::ConfigNotApplied => "config_not_applied",
            Symptom::LlmAuthUnrecognisedPrefix => "llm_auth_unrecognised_prefix",
            Symptom::LlmCredentialUnusable => "llm_credential_unusable",
            Symptom::InboundChatQueuedNeverConsumed => "inbound_chat_queued_never_consumed",
            Symptom::A2aAdvertisedPortNotServed => "a2a_advertised_port_not_served",
            Symptom::StaleRuntimeLabel => "stale_runtime_label",
        }
    }
}

/// `value` (under `invariants.<field>`) unless it is none of `expected`.
fn one_of(field: &'static str, what: &str, value: &Option<String>, expected: &[&str]) -> Result<(), InvalidInvariant> {
    match value {
        Some(value) if !expected.contains(&value.as_str()) => Err(InvalidInvariant {
            name: field,
            index: None,
            message: format!("unknown {what} `{value}`: expected one of {}", expected.join(", ")),
        }),
        _ => Ok(()),
    }
}

/// The first of `codes` (the list under `invariants.<field>`) that `known` refuses.
fn known_codes(
    field: &'static str,
    what: &str,
    codes: &Option<Vec<String>>,
    known: impl Fn(&str) -> bool,
    expected: &[&str],
) -> Result<(), InvalidInvariant> {
    match codes.iter().flatten().enumerate().find(|(_, c)| !known(c)) {
        None => Ok(()),
        Some((i, code)) => Err(InvalidInvariant {
            name: field,
            index: Some(i),
            message: format!("unknown {what} `{code}`: expected one of {}", expected.join(", ")),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_codes_are_refused_with_their_field() {
        let declared = |run: RunInvariants| Invariants { run, ..Invariants::default() };
        let bad = declared(RunInvariants {
            blockers: Some(vec!["agent_first_tool_required".into(), "stuck".into()]),
            ..RunInvariants::default()
        });
        let e = bad.validate().unwrap_err();
        assert_eq!(e.field(), "invariants.blockers[1]");
        assert!(e.message.contains("unknown blocker code `stuck`"), "{}", e.message);
        let wall = declared(RunInvariants { walls: Some(vec!["moat".into()]), ..RunInvariants::default() });
        assert!(wall.validate().unwrap_err().message.contains("expected one of planner_wall"));
        let status = declared(RunInvariants { run_status: Some("done".into()), ..RunInvariants::default() });
        let e = status.validate().unwrap_err();
        assert_eq!(e.field(), "invariants.run_status");
        assert!(e.message.starts_with("unknown run status `done`: expected one of ready, running"), "{}", e.message);
        let standing = declared(RunInvariants {
            standing_walls: Some(vec!["closer_wall".into(), "x".into()]),
            ..RunInvariants::default()
        });
        assert_eq!(standing.validate().unwrap_err().field(), "invariants.standing_walls[1]");
        let symptom = Invariants {
            platform_agent_symptoms: Some(vec!["configs_eperm".into(), "configs_eprem".into()]),
            ..Invariants::default()
        };
        let e = symptom.validate().unwrap_err();
        assert_eq!(e.field(), "invariants.platform_agent_symptoms[1]");
        assert!(e.message.contains("unknown platform-agent symptom `configs_eprem`"), "{}", e.message);
        assert!(e.message.contains("registration_rejected_401"), "{}", e.message);
    }

    #[test]
    fn every_symptom_code_is_its_serde_name() {
        for symptom in Symptom::ALL {
            assert_eq!(serde_json::to_value(symptom).unwrap(), symptom.code());
        }
    }

    #[test]
    fn the_schema_lists_every_blocker_code_and_marks_the_model_defined_ones() {
        let schema = serde_json::to_value(schemars::schema_for!(Invariants)).unwrap();
        let codes = schema.pointer("/properties/blockers/items/oneOf").and_then(|v| v.as_array()).cloned().unwrap();
        let described = |code: &str| {
            codes
                .iter()
                .find(|c| c["const"] == code)
                .and_then(|c| c["description"].as_str())
                .unwrap_or_default()
                .to_string()
        };
        for code in BlockerCode::ALL {
            let model_defined = described(code.as_str()).starts_with("model-defined:");
            assert_eq!(model_defined, code.is_model_defined(), "{code}: {}", described(code.as_str()));
        }
        for (alias, _) in BlockerCode::LEGACY_ALIASES {
            assert!(described(alias).starts_with("Legacy wire alias"), "{alias}");
        }
    }
}
