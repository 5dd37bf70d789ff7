//! The `request` step (a raw request through the operator's client) and
//! `world.operator.tenant_id`: what the Studio API answers an on-call who
//! guesses a path or leaves the tenant off, as the runbook says it does.

use std::path::Path;

use serde_json::{json, Value};
use squadsim::scenario::{Scenario, Step};

use crate::support;

/// The operator's exchanges of `step`, as the outcome serializes them.
fn calls(outcome: &squadsim::Outcome, step: &str) -> Vec<Value> {
    let all = serde_json::to_value(&outcome.operator).unwrap();
    all.as_array().unwrap().iter().filter(|c| c["step"] == step).cloned().collect()
}

fn parse(text: &str) -> Result<Scenario, squadsim::scenario::ScenarioError> {
    Scenario::parse(Path::new("scenarios/x.yaml"), text)
}

#[test]
fn the_studio_prefix_without_admin_is_a_404_with_its_body_in_the_outcome() {
    let o = support::run(&support::load("studio-wrong-prefix.yaml"));
    let request = calls(&o, "request");
    assert_eq!(request.len(), 1);
    assert_eq!(request[0]["request"], "GET /v1/studio/templates");
    assert_eq!(request[0]["http_status"], 404);
    assert_eq!(request[0]["body"], json!({"detail": "Not Found"}));
}

#[test]
fn the_twin_on_the_admin_prefix_lists_the_templates() {
    let mut s = support::load("studio-wrong-prefix.yaml");
    for step in &mut s.steps {
        if let Step::Request(r) = step {
            r.path = "/v1/admin/studio/templates".into();
        }
    }
    let o = support::run(&s);
    let request = calls(&o, "request");
    assert_eq!(request[0]["http_status"], 200);
    let body = request[0]["body"].to_string();
    assert!(body.contains("agentsquad") && body.contains("research-team"), "{body}");
}

#[test]
fn a_header_of_the_request_replaces_the_operators_claim() {
    let s = parse(
        "steps:\n  - request:\n      path: /v1/admin/studio/templates\n      headers: {x-pomerium-claim-groups: /org/engineering/roles/developer}\n",
    )
    .unwrap();
    let o = support::run(&s);
    assert_eq!(calls(&o, "request")[0]["http_status"], 403);
}

#[test]
fn without_a_tenant_run_calls_are_refused_422_and_an_unknown_tenant_is_404() {
    let o = support::run(&support::load("tenant-id-missing.yaml"));
    assert_eq!(o.launch_http_status(), Some(200), "the launch sends no tenant and lands in the default one");
    for step in ["get_run", "session_state"] {
        let call = &calls(&o, step)[0];
        assert_eq!(call["http_status"], 422, "{call}");
        assert!(call["note"].as_str().unwrap_or_default().contains("tenant_id"), "{call}");
    }
    let request = &calls(&o, "request")[0];
    assert!(request["request"].as_str().unwrap().ends_with("?tenant_id=acme"), "{request}");
    assert_eq!(request["http_status"], 404);
    assert!(request["body"].to_string().contains("Unknown tenant 'acme'"), "{request}");
}

#[test]
fn the_twin_with_the_runbooks_tenant_reads_the_run() {
    let mut s = support::load("tenant-id-missing.yaml");
    s.world.operator.tenant_id = Some("default".into());
    let o = support::run(&s);
    for step in ["get_run", "session_state"] {
        assert_eq!(calls(&o, step)[0]["http_status"], 200, "{step}");
    }
}

#[test]
fn a_request_path_with_a_query_is_refused_with_its_line() {
    let err =
        parse("steps:\n  - health\n  - request:\n      path: /v1/admin/studio/runs?tenant_id=default\n").unwrap_err();
    assert_eq!(err.line, Some(4));
    assert_eq!(err.field, "steps[1].request.path");
    assert!(err.message.contains("put parameters in `query`"), "{err}");
}

#[test]
fn a_request_naming_the_run_needs_a_launch_before_it() {
    let err = parse("steps:\n  - request: {path: \"/v1/admin/studio/runs/{run_id}\"}\n").unwrap_err();
    assert_eq!(err.field, "steps[0]");
    assert!(err.message.contains("expected a `launch` step before it"), "{err}");
}

#[test]
fn a_bad_method_or_header_is_refused_with_its_field() {
    let err = parse("steps:\n  - request: {method: FETCH, path: /healthz}\n").unwrap_err();
    assert!(err.field.starts_with("steps[0].request"), "{err}");
    assert!(err.message.contains("FETCH"), "{err}");
    let err = parse("steps:\n  - request:\n      path: /healthz\n      headers: {\"bad header\": x}\n").unwrap_err();
    assert_eq!(err.line, Some(4));
    assert!(err.message.contains("not an HTTP header name"), "{err}");
}

#[test]
fn a_422_carries_the_input_pydantic_validated_as_fastapi_answers_it() {
    let s = parse(concat!(
        "steps:\n",
        "  - request: {method: POST, path: /v1/admin/studio/runs, body: {template_id: agentsquad}}\n",
        "  - request: {method: POST, path: /v1/admin/studio/runs, body: {template_id: agentsquad, project_slug: sanmopia-modernization, runtime_kind: sideways}}\n",
        "  - request: {path: /v1/admin/studio/runs/run-x/session-state}\n",
    ))
    .unwrap();
    let o = support::run(&s);
    let bodies: Vec<Value> = calls(&o, "request").into_iter().map(|c| c["body"]["detail"][0].clone()).collect();
    assert_eq!(
        bodies[0],
        json!({"type": "missing", "loc": ["body", "project_slug"], "msg": "Field required",
               "input": {"template_id": "agentsquad"}}),
        "a missing body field: pydantic's input is the received object"
    );
    assert_eq!(bodies[1]["type"], "enum");
    assert_eq!(bodies[1]["input"], "sideways", "an invalid value: the input is the value");
    assert_eq!(
        bodies[2],
        json!({"type": "missing", "loc": ["query", "tenant_id"], "msg": "Field required", "input": null}),
        "a missing query parameter: input null"
    );
}
