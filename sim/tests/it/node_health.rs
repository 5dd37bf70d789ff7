//! The runbook's first execution-plane check (`docs/seeds.md`), "kubectl get nodes — all Ready?",
//! has a model behind it: the sandbox pool's nodes carry a Kubernetes `Ready`
//! condition (and Longhorn's view of it), pods are placed on Ready nodes only,
//! and the diagnosis reads its nodes evidence from that state. A pool with no
//! Ready node blocks the intake pair like the Longhorn incident; its twin
//! without NotReady nodes does not; one NotReady node is routed around.

use crate::support;

use std::path::Path;

use squadsim::engine::diagnosis::{Evidence, Plane};
use squadsim::engine::world::{self, Run, RunOptions};
use squadsim::scenario::Scenario;
use squadsim::Outcome;
use squadsim_fakes::daytona::{Robustness, VolumeState};
use squadsim_fakes::net::HttpRequest;
use support::load;

fn evidence<'a>(o: &'a Outcome, check: &str) -> &'a Evidence {
    let d = o.diagnosis.as_ref().expect("a diagnosis");
    d.evidence.iter().find(|e| e.check == check).unwrap_or_else(|| panic!("no {check} in {:?}", d.evidence))
}

fn blockers(o: &Outcome) -> Vec<String> {
    o.blockers()
}

#[test]
fn no_ready_node_blocks_the_intake_pair_and_the_diagnosis_names_the_nodes() {
    let o = support::run(&load("sandbox-nodes-not-ready.yaml"));
    assert_eq!(blockers(&o), ["agent_first_tool_required"]);
    assert_eq!(o.observability.events, 0, "claude never ran");
    let d = o.diagnosis.as_ref().unwrap();
    assert_eq!(d.plane, Plane::ExecutionPlane);
    assert!(d.cause.contains("3 of 3 nodes NotReady"), "{}", d.cause);
    let nodes = evidence(&o, "kubectl get nodes");
    assert!(!nodes.healthy);
    assert!(nodes.finding.contains("0 Ready") && nodes.finding.contains("NodeStatusUnknown"), "{}", nodes.finding);
    let pods = evidence(&o, "kubectl get pods,events -n daytona");
    assert!(pods.finding.contains("FailedScheduling"), "{}", pods.finding);
    assert!(!pods.finding.contains("FailedAttachVolume"), "no attach was ever attempted: {}", pods.finding);
    let volumes = evidence(&o, "kubectl get volumes.longhorn.io -n longhorn-system");
    assert!(volumes.healthy, "Longhorn refused nothing: {}", volumes.finding);
}

#[test]
fn twin_with_every_node_ready_is_not_blocked() {
    let mut s = load("sandbox-nodes-not-ready.yaml");
    s.world.storage.not_ready.clear();
    let o = support::run(&s);
    assert!(blockers(&o).is_empty(), "{:?}", o.sessions);
    assert_eq!(o.run.as_ref().map(|r| r.status.as_str()), Some("completed"));
    assert!(o.diagnosis.is_none());
}

#[test]
fn one_not_ready_node_is_routed_around_with_degraded_volumes() {
    let mut s = load("sandbox-nodes-not-ready.yaml");
    s.world.storage.not_ready = vec!["k8s-worker-2".into()];
    let Run { outcome: o, services, .. } = world::run(&s, RunOptions { keep_services: true, ..RunOptions::default() });
    assert!(blockers(&o).is_empty(), "{:?}", o.sessions);
    let daytona = services.unwrap().daytona;
    let workspaces: Vec<_> = daytona.volumes().into_iter().filter(|v| v.pvc_name.starts_with("workspace-")).collect();
    assert!(!workspaces.is_empty());
    for v in &workspaces {
        assert_eq!(v.robustness, Robustness::Degraded, "2 Ready nodes for 3 replicas: {v:?}");
        assert!(v.current_node_id != "k8s-worker-2", "{v:?}");
    }
    assert!(daytona.events().iter().all(|e| e.reason != "FailedScheduling"));
}

#[test]
fn the_longhorn_incident_reads_its_nodes_from_the_fake_and_keeps_its_cause_with_a_node_down() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/longhorn-faulted-volumes.yaml");
    let healthy = support::run(&Scenario::load(&path).unwrap());
    let nodes = evidence(&healthy, "kubectl get nodes");
    assert!(nodes.healthy && nodes.finding.ends_with("all Ready (KubeletReady)"), "{}", nodes.finding);

    let mut s = Scenario::load(&path).unwrap();
    s.world.storage.not_ready = vec!["k8s-worker-3".into()];
    let o = support::run(&s);
    let nodes = evidence(&o, "kubectl get nodes");
    assert!(!nodes.healthy && nodes.finding.contains("k8s-worker-3 NotReady"), "{}", nodes.finding);
    let d = o.diagnosis.as_ref().unwrap();
    // Both failing checks are named, in the checklist's order: the node down, then the storage.
    let node = d.cause.find("1 of 3 nodes NotReady (k8s-worker-3)");
    let storage = d.cause.find("new workspace volumes cannot attach");
    assert!(node.is_some() && storage.is_some() && node < storage, "{}", d.cause);
    assert!(!d.cause.contains("cannot be placed"), "pods are placed on the Ready nodes: {}", d.cause);
}

#[test]
fn an_unknown_node_is_refused_at_load_with_the_pool() {
    let text = "name: x\nworld:\n  storage: {not_ready: [k8s-worker-9]}\nsteps: [health]\n";
    let err = Scenario::parse(Path::new("x.yaml"), text).unwrap_err();
    assert_eq!((err.line, err.field.as_str()), (Some(3), "world.storage.not_ready[0]"), "{err}");
    assert!(err.message.contains("unknown node `k8s-worker-9`: expected one of the sandbox pool's nodes (k8s-worker-1, k8s-worker-2, k8s-worker-3)"), "{err}");
}

/// `kubectl get nodes` and `kubectl get nodes.longhorn.io` against the Daytona fake's Kubernetes API.
#[tokio::test]
async fn the_nodes_answer_as_the_kubernetes_and_longhorn_apis_do() {
    let scenario = load("sandbox-nodes-not-ready.yaml");
    let support::LoopbackDaytona { base, key, http, services } = support::loopback_daytona(&scenario).await;

    let nodes = http.send(HttpRequest::get(format!("{base}/api/v1/nodes")).bearer(&key)).await.unwrap().json();
    assert_eq!(nodes["kind"], "NodeList");
    assert_eq!(nodes["items"].as_array().unwrap().len(), 3);
    let ready = &nodes["items"][0]["status"]["conditions"][0];
    assert_eq!((ready["type"].as_str(), ready["status"].as_str()), (Some("Ready"), Some("Unknown")));
    assert_eq!(ready["reason"], "NodeStatusUnknown");
    assert_eq!(nodes["items"][0]["spec"]["taints"][0]["key"], "node.kubernetes.io/unreachable");

    let url = format!("{base}/apis/longhorn.io/v1beta2/namespaces/longhorn-system/nodes");
    let longhorn = http.send(HttpRequest::get(url).bearer(&key)).await.unwrap().json();
    let conditions = &longhorn["items"][2]["status"]["conditions"];
    assert_eq!(conditions[0]["status"], "False");
    assert_eq!(conditions[0]["reason"], "KubernetesNodeNotReady");
    assert_eq!(conditions[1]["type"], "Schedulable");

    let denied = http.send(HttpRequest::get(format!("{base}/api/v1/nodes"))).await.unwrap();
    assert_eq!(denied.status.as_u16(), 401);
    assert!(services.daytona.volumes().iter().all(|v| v.state == VolumeState::Attached));
}
