//! One walk over a JSON payload that both checks it and builds its canonical form.
//!
//! Guarantees:
//! - every legacy alias is mapped to its canonical name (field names, and the
//!   `BOARD_STATUS`/`committer_merge_state_required` values); `sourceRefBundleUrl`
//!   lowers into `workspaceBootstrapAssets[]` as `{"kind": "source_ref_bundle", "url": ...}`;
//! - an alias whose canonical twin is present with a different value is an error
//!   (the canonical value wins in the canonical form);
//! - `runtime_kind` holding an agent process adapter, or `runtimeKind` holding a
//!   delivery graph kind, is an error: the value contradicts the field's scope;
//! - a handoff (an object carrying any handoff field, or an element of a
//!   `handoffs`/`handoff_trail` list) missing any of the six required fields is an error;
//! - a wall code the vocabulary does not know is an error; a blocker code it does
//!   not know is a warning, never an error: the blocker set is open (the runbook's
//!   "full blocker set in GET get_hud_snapshot -> execution_report_contract.BLOCKERS"
//!   names more codes than the seeds do); a blocker code the model defines (not the
//!   seeds) is known, and noted as model-defined;
//! - key order is kept; findings come in document order.

use serde::Serialize;
use serde_json::{Map, Value};

use super::alias::{self, AGENT_PROCESS_ADAPTERS, DELIVERY_GRAPH_KINDS};
use crate::vocabulary::{BlockerCode, Wall};

/// The fields every handoff carries (seed, "Agent Identity And Handoff").
pub const HANDOFF_FIELDS: [&str; 6] = [
    "sender_agent_id",
    "recipient_agent_id",
    "handoff_intent",
    "required_result",
    "delivery_reference",
    "fallback_wall",
];

const BLOCKER_KEYS: &[&str] = &["blocker_code", "blockerCode"];
const BLOCKER_LIST_KEYS: &[&str] = &["blocker_codes", "blockerCodes", "blockers", "BLOCKERS"];
const WALL_KEYS: &[&str] = &["wall_code", "wallCode", "fallback_wall", "fallbackWall"];
const HANDOFF_LIST_KEYS: &[&str] = &["handoffs", "handoff_trail", "handoffTrail", "trail"];

/// What a finding says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FindingKind {
    /// A legacy alias, read as its canonical name (a note, not an error).
    LegacyAlias {
        alias: String,
        canonical: String,
    },
    /// An alias and its canonical twin disagree.
    AliasConflict {
        alias: String,
        canonical: String,
        alias_value: Value,
        canonical_value: Value,
    },
    /// `runtime_kind`/`runtimeKind` holds a value of the other scope.
    ScopeMismatch {
        field: String,
        value: String,
        expected: String,
    },
    /// A handoff lacks required fields.
    HandoffMissingFields {
        missing: Vec<String>,
    },
    /// A blocker code neither the seeds nor the model name (a warning: the blocker set is open).
    UnknownBlockerCode {
        code: String,
    },
    /// A known blocker code that the model defines where the seeds name none (a note, not an error).
    ModelDefinedBlockerCode {
        code: String,
    },
    UnknownWallCode {
        code: String,
    },
}

/// One finding at a JSON pointer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub pointer: String,
    #[serde(flatten)]
    pub kind: FindingKind,
}

/// How much a finding weighs: only errors fail the check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The payload contradicts the delivery language: the check fails.
    Error,
    /// Outside what this model knows, and not wrong: a blocker code neither the seeds nor the model name.
    Warning,
    /// Read and accepted: a legacy alias, or a blocker code the model defines.
    Note,
}

impl Severity {
    /// The word the human format prints.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

impl Finding {
    /// Errors fail the check; an unknown blocker code is a warning; legacy aliases and
    /// model-defined codes are notes.
    pub fn severity(&self) -> Severity {
        match self.kind {
            FindingKind::LegacyAlias { .. } | FindingKind::ModelDefinedBlockerCode { .. } => Severity::Note,
            FindingKind::UnknownBlockerCode { .. } => Severity::Warning,
            FindingKind::AliasConflict { .. }
            | FindingKind::ScopeMismatch { .. }
            | FindingKind::HandoffMissingFields { .. }
            | FindingKind::UnknownWallCode { .. } => Severity::Error,
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity() == Severity::Error
    }

    pub fn message(&self) -> String {
        match &self.kind {
            FindingKind::LegacyAlias { alias, canonical } => {
                format!("legacy alias {alias} read as {canonical}")
            }
            FindingKind::AliasConflict { alias, canonical, alias_value, canonical_value } => {
                format!("{alias} ({alias_value}) disagrees with its canonical twin {canonical} ({canonical_value})")
            }
            FindingKind::ScopeMismatch { field, value, expected } => {
                format!("{field} holds {value:?}, but in its scope it means the {expected}")
            }
            FindingKind::HandoffMissingFields { missing } => {
                format!("handoff is missing required fields: {}", missing.join(", "))
            }
            FindingKind::UnknownBlockerCode { code } => {
                format!("blocker code {code:?} is unknown (neither the seeds nor the model name it; the blocker set is open)")
            }
            FindingKind::ModelDefinedBlockerCode { code } => {
                format!("blocker code {code:?} is model-defined (known; the seeds do not name it)")
            }
            FindingKind::UnknownWallCode { code } => format!("unknown wall code {code:?}"),
        }
    }
}

/// The check's result for one payload.
#[derive(Debug, Clone, PartialEq)]
pub struct Inspection {
    pub findings: Vec<Finding>,
    pub canonical: Value,
}

/// Checks `payload` and builds its canonical form.
pub fn inspect(payload: &Value) -> Inspection {
    let mut findings = Vec::new();
    let canonical = walk(payload, "", false, &mut findings);
    Inspection { findings, canonical }
}

/// A JSON pointer segment (RFC 6901 escaping).
fn pointer(base: &str, segment: &str) -> String {
    format!("{base}/{}", segment.replace('~', "~0").replace('/', "~1"))
}

fn walk(value: &Value, at: &str, in_handoff_list: bool, findings: &mut Vec<Finding>) -> Value {
    match value {
        Value::Object(map) => walk_object(map, at, in_handoff_list, findings),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| walk(v, &pointer(at, &i.to_string()), in_handoff_list, findings))
                .collect(),
        ),
        Value::String(s) => match alias::value_alias(s) {
            Some(canonical) => {
                findings.push(Finding {
                    pointer: at.to_owned(),
                    kind: FindingKind::LegacyAlias { alias: s.clone(), canonical: canonical.to_owned() },
                });
                Value::String(canonical.to_owned())
            }
            None => value.clone(),
        },
        other => other.clone(),
    }
}

fn walk_object(map: &Map<String, Value>, at: &str, in_handoff_list: bool, findings: &mut Vec<Finding>) -> Value {
    let mut out = Map::new();
    for (key, value) in map {
        let here = pointer(at, key);
        let child_in_list = HANDOFF_LIST_KEYS.contains(&key.as_str());
        check_codes(key, value, &here, findings);
        if key == alias::SOURCE_REF_BUNDLE_URL {
            findings.push(Finding {
                pointer: here.clone(),
                kind: FindingKind::LegacyAlias {
                    alias: key.clone(),
                    canonical: format!("{}[]", alias::WORKSPACE_BOOTSTRAP_ASSETS),
                },
            });
            continue; // lowered below, once every key is read
        }
        let canonical_value = walk(value, &here, child_in_list, findings);
        let Some(field) = alias::field_alias(key) else {
            out.insert(key.clone(), canonical_value);
            continue;
        };
        findings.push(Finding {
            pointer: here.clone(),
            kind: FindingKind::LegacyAlias { alias: key.clone(), canonical: field.canonical.to_owned() },
        });
        check_scope(key, value, &here, findings);
        match map.get(field.canonical) {
            Some(twin) if twin != value => findings.push(Finding {
                pointer: here,
                kind: FindingKind::AliasConflict {
                    alias: key.clone(),
                    canonical: field.canonical.to_owned(),
                    alias_value: value.clone(),
                    canonical_value: twin.clone(),
                },
            }),
            Some(_) => {}
            None => {
                out.insert(field.canonical.to_owned(), canonical_value);
            }
        }
    }
    if let Some(url) = map.get(alias::SOURCE_REF_BUNDLE_URL) {
        lower_source_ref_bundle(url, &mut out, &pointer(at, alias::SOURCE_REF_BUNDLE_URL), findings);
    }
    if in_handoff_list || is_handoff(map) {
        let missing: Vec<String> = HANDOFF_FIELDS
            .iter()
            // Every field must be there; only `delivery_reference` may be null (no PR or
            // issue yet: that is the delivery-proof gate's concern, not the handoff's).
            .filter(|f| {
                out.get(**f).is_none_or(|v| (v.is_null() && **f != "delivery_reference") || v.as_str() == Some(""))
            })
            .map(|f| (*f).to_owned())
            .collect();
        if !missing.is_empty() {
            findings.push(Finding { pointer: at.to_owned(), kind: FindingKind::HandoffMissingFields { missing } });
        }
    }
    Value::Object(out)
}

/// An object is a handoff when it carries a field only handoffs carry, or names
/// both a sender and a recipient.
fn is_handoff(map: &Map<String, Value>) -> bool {
    let has = |k: &str| map.contains_key(k);
    has("handoff_intent")
        || has("required_result")
        || has("fallback_wall")
        || (has("sender_agent_id") && (has("recipient_agent_id") || has("target_agent_id")))
}

fn lower_source_ref_bundle(url: &Value, out: &mut Map<String, Value>, at: &str, findings: &mut Vec<Finding>) {
    let assets = out.entry(alias::WORKSPACE_BOOTSTRAP_ASSETS.to_owned()).or_insert_with(|| Value::Array(Vec::new()));
    let Value::Array(list) = assets else {
        findings.push(Finding {
            pointer: at.to_owned(),
            kind: FindingKind::AliasConflict {
                alias: alias::SOURCE_REF_BUNDLE_URL.to_owned(),
                canonical: alias::WORKSPACE_BOOTSTRAP_ASSETS.to_owned(),
                alias_value: url.clone(),
                canonical_value: assets.clone(),
            },
        });
        return;
    };
    let bundle = list.iter().find(|a| a.get("kind").and_then(Value::as_str) == Some(alias::SOURCE_REF_BUNDLE_KIND));
    match bundle.and_then(|b| b.get("url")) {
        Some(existing) if existing != url => findings.push(Finding {
            pointer: at.to_owned(),
            kind: FindingKind::AliasConflict {
                alias: alias::SOURCE_REF_BUNDLE_URL.to_owned(),
                canonical: format!("{}[kind={}].url", alias::WORKSPACE_BOOTSTRAP_ASSETS, alias::SOURCE_REF_BUNDLE_KIND),
                alias_value: url.clone(),
                canonical_value: existing.clone(),
            },
        }),
        Some(_) => {}
        None => {
            let mut asset = Map::new();
            asset.insert("kind".into(), Value::String(alias::SOURCE_REF_BUNDLE_KIND.into()));
            asset.insert("url".into(), url.clone());
            list.push(Value::Object(asset));
        }
    }
}

/// `runtime_kind`/`runtimeKind` read by scope: the value must belong to it.
fn check_scope(key: &str, value: &Value, at: &str, findings: &mut Vec<Finding>) {
    let Some(v) = value.as_str() else { return };
    let expected = match key {
        "runtime_kind" if AGENT_PROCESS_ADAPTERS.contains(&v) => "delivery graph kind",
        "runtimeKind" if DELIVERY_GRAPH_KINDS.contains(&v) => "agent process adapter",
        _ => return,
    };
    findings.push(Finding {
        pointer: at.to_owned(),
        kind: FindingKind::ScopeMismatch { field: key.to_owned(), value: v.to_owned(), expected: expected.to_owned() },
    });
}

/// A wall code: `planner_wall` or the bare `planner`.
pub fn known_wall(code: &str) -> bool {
    Wall::parse(code).is_some() || Wall::ALL.iter().any(|w| w.code().strip_suffix("_wall") == Some(code))
}

fn check_codes(key: &str, value: &Value, at: &str, findings: &mut Vec<Finding>) {
    let blocker = |code: &str, at: String, findings: &mut Vec<Finding>| {
        let kind = match BlockerCode::parse(code) {
            None => FindingKind::UnknownBlockerCode { code: code.to_owned() },
            Some(known) if known.is_model_defined() => FindingKind::ModelDefinedBlockerCode { code: code.to_owned() },
            Some(_) => return,
        };
        findings.push(Finding { pointer: at, kind });
    };
    if BLOCKER_KEYS.contains(&key) {
        if let Some(code) = value.as_str() {
            blocker(code, at.to_owned(), findings);
        }
    }
    if BLOCKER_LIST_KEYS.contains(&key) {
        if let Some(list) = value.as_array() {
            for (i, code) in list.iter().enumerate() {
                if let Some(code) = code.as_str() {
                    blocker(code, pointer(at, &i.to_string()), findings);
                }
            }
        }
    }
    if WALL_KEYS.contains(&key) {
        if let Some(code) = value.as_str().filter(|c| !c.is_empty()) {
            if !known_wall(code) {
                findings.push(Finding {
                    pointer: at.to_owned(),
                    kind: FindingKind::UnknownWallCode { code: code.to_owned() },
                });
            }
        }
    }
}
