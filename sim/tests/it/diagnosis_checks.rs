//! The runbook's checklist (`docs/seeds.md`, runbook: "Check the execution-plane health first: kubectl get
//! nodes — all Ready? Longhorn storage [...]") evaluated check by check: a check
//! is never passed because an earlier one failed, and the diagnosis's cause names
//! every failing check in the checklist's order. With every node NotReady and 11
//! orphaned Longhorn volumes, both the nodes and the storage are named; each twin
//! with one of the two conditions names that one alone.

use crate::support;

use squadsim::engine::diagnosis::{Diagnosis, Evidence, Plane};
use squadsim::Outcome;
use support::load;

const NODES: &str = "kubectl get nodes";
const LONGHORN: &str = "kubectl get volumes.longhorn.io -n longhorn-system";

fn diagnosis(o: &Outcome) -> &Diagnosis {
    o.diagnosis.as_ref().unwrap_or_else(|| panic!("a diagnosis: {:?}", o.sessions))
}

fn evidence<'a>(d: &'a Diagnosis, check: &str) -> &'a Evidence {
    d.evidence.iter().find(|e| e.check == check).unwrap_or_else(|| panic!("no {check} in {:?}", d.evidence))
}

/// Where the nodes' and the storage's parts of the cause begin, if present.
fn positions(d: &Diagnosis) -> (Option<usize>, Option<usize>) {
    (d.cause.find("nodes NotReady"), d.cause.find("orphaned faulted/unknown Longhorn volumes"))
}

#[test]
fn nodes_not_ready_and_orphaned_volumes_are_both_named_in_the_checklists_order() {
    let o = support::run(&load("sandbox-nodes-not-ready-orphaned-volumes.yaml"));
    assert_eq!(o.blockers(), ["agent_first_tool_required"]);
    let d = diagnosis(&o);
    assert_eq!(d.plane, Plane::ExecutionPlane);
    assert!(!evidence(d, NODES).healthy);
    let storage = evidence(d, LONGHORN);
    assert!(!storage.healthy, "11 orphaned volumes are over the headroom: {}", storage.finding);
    assert!(
        storage.finding.contains("11 faulted/unknown detached with no workload (orphaned), over the 10"),
        "{}",
        storage.finding
    );
    let (nodes, volumes) = positions(d);
    assert!(nodes.is_some() && volumes.is_some(), "{}", d.cause);
    assert!(nodes < volumes, "the checklist's order: {}", d.cause);
    assert!(d.cause.contains("even once their pods are placed"), "{}", d.cause);
}

#[test]
fn twin_with_every_node_ready_names_the_storage_alone() {
    let o = support::run(&load("longhorn-faulted-volumes.yaml"));
    let d = diagnosis(&o);
    assert!(evidence(d, NODES).healthy);
    assert!(!evidence(d, LONGHORN).healthy);
    assert_eq!(positions(d).0, None, "{}", d.cause);
    assert!(d.cause.starts_with("new workspace volumes cannot attach"), "{}", d.cause);
}

#[test]
fn twin_without_orphaned_volumes_names_the_nodes_alone() {
    let o = support::run(&load("sandbox-nodes-not-ready.yaml"));
    let d = diagnosis(&o);
    assert!(!evidence(d, NODES).healthy);
    assert!(evidence(d, LONGHORN).healthy, "{}", evidence(d, LONGHORN).finding);
    assert_eq!(positions(d).1, None, "{}", d.cause);
    assert!(d.cause.starts_with("3 of 3 nodes NotReady"), "{}", d.cause);
}
