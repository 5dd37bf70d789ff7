//! The Studio API of the simulation emits legacy names only at its boundary:
//! every response body the operator receives in every scenario of the corpus
//! passes the wire-alias check, and the only legacy alias on the wire is the
//! one the delivery-language seed (`docs/seeds.md`) allows there (Studio run/template/session
//! metadata `runtime_kind`, meaning the delivery graph kind). Blocker codes the
//! model defines are known to the check and noted as model-defined.

use std::path::PathBuf;

use crate::support;
use squadsim::{
    engine::world::{self, Run, RunOptions},
    scenario, Scenario,
};
use squadsim_conformance::wire::{inspect, FindingKind};

/// The legacy aliases the seed allows on Studio responses.
const ALLOWED_ALIASES: &[&str] = &["runtime_kind"];

#[test]
fn every_studio_response_in_the_corpus_passes_the_wire_check() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let files = scenario::discover(&root).unwrap();
    assert!(!files.is_empty(), "no scenarios in {}", root.display());
    let mut problems = Vec::new();
    let mut checked = 0usize;
    let mut aliases_read = 0usize;
    let mut model_defined = 0usize;
    for file in &files {
        let scenario = Scenario::load(file).unwrap_or_else(|e| panic!("{e}"));
        let Run { outcome, responses, .. } =
            world::run(&scenario, RunOptions { capture_responses: true, ..RunOptions::default() });
        assert_eq!(outcome, support::run(&scenario), "{}: capturing responses changed the outcome", file.display());
        for (request, body) in &responses {
            checked += 1;
            for finding in inspect(body).findings {
                match &finding.kind {
                    FindingKind::LegacyAlias { alias, .. } if ALLOWED_ALIASES.contains(&alias.as_str()) => {
                        aliases_read += 1
                    }
                    FindingKind::ModelDefinedBlockerCode { .. } => model_defined += 1,
                    _ => problems.push(format!(
                        "{}: {request} {}: {}",
                        scenario.name,
                        if finding.pointer.is_empty() { "/" } else { &finding.pointer },
                        finding.message()
                    )),
                }
            }
        }
    }
    assert!(problems.is_empty(), "{} wire problems:\n{}", problems.len(), problems.join("\n"));
    assert!(checked > files.len(), "too few responses captured ({checked}) for {} scenarios", files.len());
    // The boundary does speak the legacy name (templates, runs): the check saw it.
    assert!(aliases_read > 0, "no runtime_kind seen: the capture missed the Studio's run/template bodies");
    assert!(model_defined > 0, "the corpus's model-defined blocker codes reached the wire and were noted as such");
}

#[test]
fn the_check_would_catch_a_disallowed_alias_on_the_wire() {
    // Guards the test above: the same walk flags what the boundary must not emit.
    let handoff = serde_json::json!({"handoffs": [{
        "sender_agent_id": "planner", "target_agent_id": "curator", "handoff_intent": "i",
        "required_result": "r", "delivery_reference": "https://github.com/yamonco/x/issues/1",
        "fallback_wall": "planner_wall"}]});
    let findings = inspect(&handoff).findings;
    assert!(findings.iter().any(|f| matches!(&f.kind,
        FindingKind::LegacyAlias { alias, .. } if !ALLOWED_ALIASES.contains(&alias.as_str()))));
}
