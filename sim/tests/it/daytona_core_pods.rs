//! The runbook's check "Daytona core pods (-n daytona) Running" (`docs/seeds.md`) reads
//! Daytona's own core pods (its API, proxy and sandbox scheduler), not the sandbox pods of the blocked agents:
//! a core pod that is not Running stops what it serves, the intake pair is blocked
//! at the launch contract, and the diagnosis names the pod; with every core pod
//! Running (the twin) the run completes.

use crate::support;

use std::path::Path;

use squadsim::engine::diagnosis::{Evidence, Plane};
use squadsim::scenario::{CorePodTrouble, DaytonaCorePod, Scenario};
use squadsim::Outcome;
use squadsim_fakes::net::HttpRequest;
use support::load;

const CHECK: &str = "Daytona core pods (-n daytona) Running";

fn evidence<'a>(o: &'a Outcome, check: &str) -> &'a Evidence {
    let d = o.diagnosis.as_ref().expect("a diagnosis");
    d.evidence.iter().find(|e| e.check == check).unwrap_or_else(|| panic!("no {check} in {:?}", d.evidence))
}

#[test]
fn a_crash_looping_runner_refuses_every_sandbox_and_the_diagnosis_names_the_core_pod() {
    let o = support::run(&load("daytona-runner-crashloop.yaml"));
    assert_eq!(o.blockers(), ["agent_first_tool_required"]);
    assert_eq!(o.observability.events, 0, "claude never ran");
    for s in &o.sessions {
        let end = s.attempt_end.as_deref().unwrap_or_default();
        assert!(end.contains("HTTP 400: No available runners"), "{s:?}");
    }
    let d = o.diagnosis.as_ref().unwrap();
    assert_eq!(d.plane, Plane::ExecutionPlane);
    assert!(d.cause.starts_with("Daytona core pod daytona-runner CrashLoopBackOff"), "{}", d.cause);
    let core = evidence(&o, CHECK);
    assert!(!core.healthy);
    assert!(core.finding.starts_with("2 of 3 core pods Running; daytona-runner-"), "{}", core.finding);
    // The sandbox pods are their own check: there are none.
    let pods = evidence(&o, "kubectl get pods,events -n daytona");
    assert!(pods.finding.contains("no execution workspace was created"), "{}", pods.finding);
}

#[test]
fn twin_with_every_core_pod_running_completes() {
    let mut s = load("daytona-runner-crashloop.yaml");
    s.world.daytona_core_pods.clear();
    let o = support::run(&s);
    assert!(o.blockers().is_empty(), "{:?}", o.sessions);
    assert_eq!(o.run.as_ref().map(|r| r.status.as_str()), Some("completed"));
    assert!(o.diagnosis.is_none());
}

#[test]
fn a_proxy_that_cannot_pull_its_image_starts_sandboxes_but_no_agent_process() {
    let mut s = load("daytona-runner-crashloop.yaml");
    s.world.daytona_core_pods = [(DaytonaCorePod::DaytonaProxy, CorePodTrouble::ImagePullBackOff)].into();
    let o = support::run(&s);
    assert_eq!(o.blockers(), ["agent_first_tool_required"]);
    let d = o.diagnosis.as_ref().unwrap();
    assert_eq!(d.plane, Plane::ExecutionPlane);
    assert!(
        d.cause.contains("Daytona core pod daytona-proxy ImagePullBackOff: no toolbox request reaches a sandbox"),
        "{}",
        d.cause
    );
    let pods = evidence(&o, "kubectl get pods,events -n daytona");
    assert!(pods.healthy, "the sandboxes started: {}", pods.finding);
}

#[test]
fn with_every_core_pod_running_the_check_is_healthy_in_any_first_tool_diagnosis() {
    let o = support::run(&load("longhorn-faulted-volumes.yaml"));
    let core = evidence(&o, CHECK);
    assert!(core.healthy);
    assert_eq!(core.finding, "all 3 core pods Running (daytona-api, daytona-proxy, daytona-runner)");
}

#[test]
fn an_unknown_core_pod_is_refused_at_load_with_its_line() {
    let text = "name: x\nworld:\n  daytona_core_pods: {daytona-dashboard: CrashLoopBackOff}\nsteps: [health]\n";
    let err = Scenario::parse(Path::new("x.yaml"), text).unwrap_err();
    assert_eq!(err.line, Some(3), "{err}");
    assert!(err.message.contains("daytona-runner"), "names what is expected: {err}");
}

/// `kubectl get pods,events -n daytona` against the Daytona fake's Kubernetes API, and
/// the ingress's 503 for what a down pod serves.
#[tokio::test]
async fn the_core_pods_answer_as_the_kubernetes_api_does() {
    let mut scenario = load("daytona-runner-crashloop.yaml");
    scenario.world.daytona_core_pods.insert(DaytonaCorePod::DaytonaApi, CorePodTrouble::ImagePullBackOff);
    let support::LoopbackDaytona { base, key, http, .. } = support::loopback_daytona(&scenario).await;

    let pods = http.send(HttpRequest::get(format!("{base}/api/v1/namespaces/daytona/pods")).bearer(&key)).await;
    let pods = pods.unwrap().json();
    assert_eq!(pods["kind"], "PodList");
    let items = pods["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    let waiting = |i: usize| items[i]["status"]["containerStatuses"][0]["state"]["waiting"]["reason"].clone();
    assert_eq!(
        (items[0]["status"]["phase"].as_str(), waiting(0).as_str()),
        (Some("Pending"), Some("ImagePullBackOff"))
    );
    assert_eq!(items[1]["status"]["phase"], "Running");
    assert_eq!(waiting(2), "CrashLoopBackOff");

    let url = format!(
        "{base}/api/v1/namespaces/daytona/events?fieldSelector=involvedObject.name={}",
        items[2]["metadata"]["name"].as_str().unwrap()
    );
    let events = http.send(HttpRequest::get(url).bearer(&key)).await.unwrap().json();
    assert_eq!(events["items"][0]["reason"], "BackOff");

    let api = http.send(HttpRequest::get(format!("{base}/api/sandbox")).bearer(&key)).await.unwrap();
    assert_eq!((api.status.as_u16(), api.text().as_str()), (503, "no available server"));
}

/// The JSON Schema states the keys of `world.daytona_core_pods` as the loader
/// enforces them: its `propertyNames` lists exactly the pods the loader's refusal
/// of an unknown key says it expects, and each of them loads.
#[test]
fn the_schema_names_the_core_pods_the_loader_accepts_as_keys() {
    let schema: serde_json::Value = serde_json::from_str(&squadsim::scenario::json_schema()).unwrap();
    let names = schema.pointer("/$defs/World/properties/daytona_core_pods/propertyNames/$ref").and_then(|r| r.as_str());
    let names = names.expect("daytona_core_pods states its keys (propertyNames)");
    let pods =
        schema.pointer(names.trim_start_matches('#')).and_then(|d| d["oneOf"].as_array()).expect("its $ref resolves");
    let in_schema: Vec<&str> = pods.iter().map(|p| p["const"].as_str().expect("each key is a const")).collect();

    let world =
        |pod: &str| format!("name: x\nworld:\n  daytona_core_pods: {{{pod}: CrashLoopBackOff}}\nsteps: [health]\n");
    let refused = Scenario::parse(Path::new("x.yaml"), &world("daytona-dashboard")).unwrap_err();
    let expected = refused.message.split_once("expected one of ").map(|(_, list)| list).unwrap_or_default();
    let by_loader: Vec<&str> = expected.split(", ").map(|p| p.trim_matches('`')).collect();
    assert_eq!(in_schema, by_loader, "{refused}");
    for pod in in_schema {
        let loaded = Scenario::parse(Path::new("x.yaml"), &world(pod)).unwrap_or_else(|e| panic!("{pod}: {e}"));
        assert_eq!(loaded.world.daytona_core_pods.len(), 1, "{pod}");
    }
}
