//! The incident scenarios and their diagnosis: the Longhorn degradation (and its
//! variants), the slug confirmation that avoids the wrong-slug hang, network
//! faults on the happy path, and a 20-seed sweep per incident asserting the same
//! blockers and the same diagnosed plane on every seed.

use crate::support;

use squadsim::engine::diagnosis::Plane;
use squadsim::scenario::{Scenario, Step};
use squadsim::Outcome;
use support::load;

fn statuses(o: &Outcome) -> Vec<(String, String, Option<String>)> {
    o.sessions.iter().map(|s| (s.role_id.clone(), s.live_status.clone(), s.blocker_code.clone())).collect()
}

fn evidence<'a>(o: &'a Outcome, check: &str) -> &'a squadsim::engine::diagnosis::Evidence {
    let d = o.diagnosis.as_ref().expect("a diagnosis");
    d.evidence.iter().find(|e| e.check.contains(check)).unwrap_or_else(|| panic!("no `{check}` in {:?}", d.evidence))
}

#[test]
fn longhorn_degradation_is_diagnosed_as_the_execution_plane_with_its_evidence_chain() {
    let o = support::run(&load("longhorn-faulted-volumes.yaml"));
    assert_eq!(o.blockers(), ["agent_first_tool_required"], "{:?}", statuses(&o));
    assert!(o.sessions.iter().all(|s| s.claude_session_id.is_some()), "the session resumes with a stable id");
    assert_eq!(o.run.as_ref().map(|r| r.reports.clone()), Some(vec!["blocked".to_string()]));
    assert_eq!((o.observability.events, o.observability.runtime_logs), (0, 0));
    assert_eq!(o.gateway.auth_failures, 0, "the gateway shows no 401s");
    let d = o.diagnosis.as_ref().expect("a diagnosis");
    assert_eq!(d.plane, Plane::ExecutionPlane, "{d:?}");
    let checks: Vec<&str> = d.evidence.iter().map(|e| e.check.as_str()).collect();
    assert_eq!(
        checks,
        [
            "kubectl get nodes",
            "kubectl get volumes.longhorn.io -n longhorn-system",
            "Daytona core pods (-n daytona) Running",
            "kubectl get pods,events -n daytona",
            "Daytona workspace logs",
            "ContextForge gateway log",
            "ContextForge virtual servers (GET /servers)",
            "observability-feed"
        ],
        "the runbook's order"
    );
    let volumes = evidence(&o, "volumes.longhorn.io");
    assert!(!volumes.healthy && volumes.finding.contains("11 faulted/unknown detached"), "{volumes:?}");
    let pods = evidence(&o, "pods,events");
    assert!(!pods.healthy && pods.finding.contains("FailedAttachVolume"), "{pods:?}");
    assert!(evidence(&o, "workspace logs").finding.contains("claude never ran"));
    let gateway = evidence(&o, "gateway log");
    assert!(gateway.healthy && gateway.finding == "no 401s", "{gateway:?}");
}

#[test]
fn one_faulted_volume_is_routed_around_and_nothing_needs_a_diagnosis() {
    let o = support::run(&load("longhorn-one-faulted-volume.yaml"));
    support::assert_completed(&o);
    assert!(o.diagnosis.is_none());
}

#[test]
fn longhorn_twin_without_faulted_volumes_completes() {
    let mut s = load("longhorn-faulted-volumes.yaml");
    s.world.storage.faulted = 0;
    s.world.storage.unknown = 0;
    let o = support::run(&s);
    assert!(o.blockers().is_empty() && o.diagnosis.is_none(), "{:?}", statuses(&o));
}

#[test]
fn a_gateway_auth_failure_with_healthy_storage_is_diagnosed_as_the_control_plane() {
    let o = support::run(&load("first-tool-gateway-auth.yaml"));
    assert_eq!(o.blockers(), ["agent_first_tool_required"]);
    let d = o.diagnosis.as_ref().expect("a diagnosis");
    assert_eq!(d.plane, Plane::ControlPlane, "{d:?}");
    assert!(evidence(&o, "volumes.longhorn.io").healthy);
    assert!(evidence(&o, "pods,events").healthy);
    let gateway = evidence(&o, "gateway log");
    assert!(!gateway.healthy && gateway.finding.contains("401s"), "{gateway:?}");
}

#[test]
fn a_prompt_that_elicits_no_tool_call_is_neither_plane() {
    let o = support::run(&load("first-tool-no-tool-call.yaml"));
    assert_eq!(o.diagnosis.as_ref().map(|d| d.plane), Some(Plane::Neither), "{:?}", o.diagnosis);
}

#[test]
fn an_unavailable_daytona_api_is_diagnosed_as_the_execution_plane_and_its_twin_completes() {
    let o = support::run(&load("daytona-api-unavailable.yaml"));
    assert_eq!(o.blockers(), ["agent_first_tool_required"], "{:?}", statuses(&o));
    assert_eq!(o.diagnosis.as_ref().map(|d| d.plane), Some(Plane::ExecutionPlane));
    assert!(evidence(&o, "volumes.longhorn.io").healthy, "storage is not the cause here");
    let mut twin = load("daytona-api-unavailable.yaml");
    twin.faults.clear();
    support::assert_completed(&support::run(&twin));
}

#[test]
fn confirming_the_slug_from_a_prior_run_avoids_the_wrong_slug_hang() {
    let o = support::run(&load("wrong-project-slug-confirmed.yaml"));
    let confirm = o.operator.iter().find(|c| c.step == "confirm_slug").expect("the confirm step");
    assert_eq!(confirm.http_status, Some(200));
    assert_eq!(o.launch_http_status(), Some(200), "{:?}", o.operator);
    assert_eq!(o.run.as_ref().map(|r| r.project_slug.as_str()), Some("sanmopia-modernization"));
    support::assert_completed(&o);
    // Twin: the same launch without the confirmation hangs (HTTP 000).
    let mut twin = load("wrong-project-slug-confirmed.yaml");
    twin.steps.retain(|s| !matches!(s, Step::ConfirmSlug { .. }));
    let t = support::run(&twin);
    assert_eq!(t.launch_http_status(), None);
    assert!(t.run.is_none());
}

#[test]
fn confirming_from_an_unknown_run_leaves_the_launch_as_written() {
    let mut s = load("wrong-project-slug-confirmed.yaml");
    s.steps[0] = Step::ConfirmSlug { from_run: "run-000000000000".into() };
    let o = support::run(&s);
    assert_eq!(o.operator[0].http_status, Some(404));
    assert_eq!(o.launch_http_status(), None, "the short slug still hangs");
}

#[test]
fn the_happy_path_survives_its_network_faults() {
    for name in ["network-gateway-blip.yaml", "network-agent-server-restart.yaml", "network-latency-spikes.yaml"] {
        let s = load(name);
        let o = support::run(&s);
        support::assert_completed(&o);
        assert!(!o.faults.is_empty(), "{name}: the fault applied");
    }
}

/// What a sweep compares across seeds: the launch's HTTP status, the blockers, the diagnosed plane.
type Signature = (Option<u16>, Vec<String>, Option<Plane>);

fn signature(o: &Outcome) -> Signature {
    (o.launch_http_status(), o.blockers(), o.diagnosis.as_ref().map(|d| d.plane))
}

/// Runs `name` on seeds 1..=20 (two threads) and checks every seed ends with `expected`.
fn sweep(name: &str, launch: Option<u16>, blockers: &[&str], plane: Option<Plane>) {
    let expected: Signature = (launch, blockers.iter().map(|b| b.to_string()).collect(), plane);
    let scenario = load(name);
    let seeds: Vec<u64> = (1..=20).collect();
    let results: Vec<(u64, Signature)> = std::thread::scope(|scope| {
        let handles: Vec<_> = seeds
            .chunks(10)
            .map(|chunk| {
                let scenario = &scenario;
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|seed| {
                            let mut s = scenario.clone();
                            s.seed = *seed;
                            (*seed, signature(&support::run(&s)))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("a sweep thread")).collect()
    });
    assert_eq!(results.len(), 20);
    for (seed, got) in results {
        assert_eq!(got, expected, "{name} seed {seed}");
    }
}

const BLOCKED: &[&str] = &["agent_first_tool_required"];

#[test]
fn sweep_longhorn_faulted_volumes() {
    sweep("longhorn-faulted-volumes.yaml", Some(200), BLOCKED, Some(Plane::ExecutionPlane));
}

#[test]
fn sweep_longhorn_one_faulted_volume() {
    sweep("longhorn-one-faulted-volume.yaml", Some(200), &[], None);
}

#[test]
fn sweep_first_tool_gateway_auth() {
    sweep("first-tool-gateway-auth.yaml", Some(200), BLOCKED, Some(Plane::ControlPlane));
}

#[test]
fn sweep_daytona_api_unavailable() {
    sweep("daytona-api-unavailable.yaml", Some(200), BLOCKED, Some(Plane::ExecutionPlane));
}

#[test]
fn sweep_wrong_project_slug_and_its_confirmation() {
    sweep("wrong-project-slug.yaml", None, &[], None);
    sweep("wrong-project-slug-confirmed.yaml", Some(200), &[], None);
}

#[test]
fn sweep_sandbox_nodes_not_ready() {
    sweep("sandbox-nodes-not-ready.yaml", Some(200), BLOCKED, Some(Plane::ExecutionPlane));
}

#[test]
fn the_diagnosis_plane_and_platform_symptom_invariants_are_checked() {
    let longhorn = load("longhorn-faulted-volumes.yaml");
    let o = support::run(&longhorn);
    assert!(longhorn.invariants.as_ref().unwrap().check(&o).is_empty());
    let wrong: squadsim::scenario::Invariants = serde_yaml::from_str("{diagnosis_plane: control_plane}").unwrap();
    let broken = wrong.check(&o);
    assert_eq!(broken.len(), 1);
    assert_eq!((broken[0].expected.as_str(), broken[0].actual.as_str()), ("control_plane", "execution_plane"));

    let bespoke = support::run(&load("platform-agent-bespoke.yaml"));
    let none: squadsim::scenario::Invariants = serde_yaml::from_str("{platform_agent_symptoms: []}").unwrap();
    let broken = none.check(&bespoke);
    assert_eq!(broken.len(), 1);
    assert!(broken[0].actual.contains("configs_eperm"), "{}", broken[0]);

    let bad = "name: x\nsteps: [health]\ninvariants: {diagnosis_plane: storage_plane}\n";
    let err = Scenario::parse(std::path::Path::new("x.yaml"), bad).unwrap_err();
    assert!(err.message.contains("unknown plane `storage_plane`"), "{err}");
    assert_eq!(err.line, Some(3));
}
