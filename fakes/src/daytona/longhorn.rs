//! Longhorn storage under the sandboxes, as a model: `volumes.longhorn.io`
//! (v1beta2), the sandbox pool's nodes and the Kubernetes events of the sandbox
//! pods. The Daytona fake's `kube_api` serves them as the Kubernetes API does.
//!
//! A sandbox start provisions a PVC for the workspace (`workspace-<sandboxId>`),
//! which Longhorn backs with a new volume, and the attach/detach controller
//! attaches it to the node the pod is placed on. Only then does the sandbox
//! reach `started`.
//!
//! ## When a degraded storage plane stops new workspaces from attaching
//!
//! Longhorn reserves each replica's size on its disk ("scheduled storage") for
//! as long as the replica exists, whether its volume is attached or not. A
//! volume that is `faulted` or `unknown` and detached with no running workload
//! (an orphan: an earlier workspace whose replicas failed or whose pod is gone)
//! still holds those reservations, although nothing uses it. Once enough of
//! them pile up, the disks have no schedulable room left: a *new* volume's
//! replicas fail to schedule (`Scheduled=False`, `ReplicaSchedulingFailure`,
//! "insufficient storage"), the volume comes up with no healthy replica
//! (`faulted`, `detached`), and the CSI attach is refused:
//!
//! ```text
//! FailedAttachVolume  AttachVolume.Attach failed for volume "pvc-…" : rpc error: code = Aborted
//!                     desc = volume pvc-… is not ready for workloads: volume is faulted
//! FailedMount         Unable to attach or mount volumes: unmounted volumes=[workspace],
//!                     unattached volumes=[workspace]: timed out waiting for the condition
//! ```
//!
//! So the rule is a budget: with `u` such volumes (faulted or unknown, detached,
//! no workload), a new workspace volume schedules while `u <=
//! reservation_headroom` and fails once `u > reservation_headroom`. Degraded
//! volumes are attached and serving (a replica short), so they hold no spare
//! reservation and do not count; a healthy volume never does. The default
//! headroom is **10**: the runbook's (`docs/seeds.md`) observed plane (11 faulted/unknown
//! volumes) stops new workspaces from attaching, while a single faulted volume
//! is simply routed around (its failed replicas' disks are skipped and the new
//! volume schedules elsewhere). The attach controller retries with exponential
//! backoff, re-checking the budget each time, so a plane that recovers (volumes
//! deleted) lets a waiting sandbox start.
//!
//! ## Nodes
//!
//! The sandbox pods run on a pool of Kubernetes nodes (`kubectl get nodes`, the
//! runbook's first execution-plane check). A node whose kubelet stopped posting
//! its status reads `NotReady` (`Ready=Unknown`, `NodeStatusUnknown`) and carries
//! the `node.kubernetes.io/unreachable` taints, and its Longhorn node reads
//! `Ready=False` (`KubernetesNodeNotReady`). So:
//!
//! - a new sandbox pod is placed only on a Ready node; with none, the scheduler
//!   leaves it `Pending` (`FailedScheduling ... untolerated taint
//!   {node.kubernetes.io/unreachable: }`), no volume attach is ever attempted,
//!   and the sandbox never starts;
//! - Longhorn schedules a volume's replicas ([`NUMBER_OF_REPLICAS`], at most one
//!   per node) on Ready nodes only: with fewer Ready nodes than replicas, every
//!   volume in use (and every new workspace volume) is `degraded` — attached and
//!   serving, a replica short; with no Ready node at all, their robustness is
//!   `unknown` (nothing is left to report on the replicas).
//!
//! Guarantees: names come from the seeded [`IdGen`], timestamps from the fake's
//! clock, listings are in name order; nothing here reads the wall clock.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ids::IdGen;

/// The namespace of the Longhorn custom resources.
pub(crate) const LONGHORN_NAMESPACE: &str = "longhorn-system";
/// The namespace sandbox pods and their workspace PVCs live in.
pub(crate) const SANDBOX_NAMESPACE: &str = "daytona";
/// The kubelet gives up waiting for a pod's volumes after 2m3s and reports `FailedMount`.
pub(crate) const KUBELET_MOUNT_TIMEOUT_SECONDS: u64 = 123;
/// The attach/detach controller's longest backoff between attach attempts (2m2s).
pub(crate) const MAX_ATTACH_BACKOFF_SECONDS: u64 = 122;
/// Replicas per volume (`spec.numberOfReplicas`), at most one per node.
pub const NUMBER_OF_REPLICAS: usize = 3;

/// The storage plane under Daytona: the volumes that already exist, and the budget.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    /// Existing healthy volumes (attached, in use by other workloads).
    pub healthy: u32,
    /// Existing degraded volumes (attached, a replica short).
    pub degraded: u32,
    /// Existing faulted volumes (all replicas failed; detached, no workload).
    pub faulted: u32,
    /// Existing volumes of unknown robustness (detached, no workload).
    pub unknown: u32,
    /// How many faulted/unknown detached volumes the disks can hold reserved
    /// while a new workspace volume's replicas still schedule (see the module docs).
    pub reservation_headroom: u32,
    /// Kubernetes nodes sandbox pods are placed on, in turn.
    pub nodes: Vec<String>,
    /// Nodes of `nodes` whose kubelet stopped posting its status (`NotReady`).
    pub not_ready: Vec<String>,
    /// Size of a workspace volume, GiB.
    pub volume_size_gib: u64,
    /// How long the kubelet waits for a pod's volumes before `FailedMount`, seconds.
    pub mount_timeout_seconds: u64,
}

impl Default for StorageConfig {
    fn default() -> Self {
        StorageConfig {
            healthy: 3,
            degraded: 0,
            faulted: 0,
            unknown: 0,
            reservation_headroom: 10,
            nodes: vec!["k8s-worker-1".to_string(), "k8s-worker-2".to_string(), "k8s-worker-3".to_string()],
            not_ready: Vec::new(),
            volume_size_gib: 10,
            mount_timeout_seconds: KUBELET_MOUNT_TIMEOUT_SECONDS,
        }
    }
}

/// `status.state` of a Longhorn volume.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VolumeState {
    Creating,
    Attached,
    Detached,
    Attaching,
    Detaching,
    Deleting,
}

/// `status.robustness` of a Longhorn volume.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Robustness {
    Healthy,
    Degraded,
    Faulted,
    Unknown,
}

/// A `volumes.longhorn.io` resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Volume {
    /// The volume name, which is also the PV name (`pvc-<uuid>`).
    pub name: String,
    pub state: VolumeState,
    pub robustness: Robustness,
    /// The node the volume is attached to; empty when detached.
    pub current_node_id: String,
    pub size_bytes: u64,
    pub pvc_name: String,
    pub namespace: String,
    /// The pod using the volume, if any.
    pub workload: Option<String>,
    /// Why the replicas could not be scheduled, if they could not.
    pub scheduling_failure: Option<String>,
    pub created_at: String,
}

impl Volume {
    /// Faulted or unknown, detached, with no workload: holds reservations, serves nothing.
    fn holds_idle_reservation(&self) -> bool {
        matches!(self.robustness, Robustness::Faulted | Robustness::Unknown)
            && self.state == VolumeState::Detached
            && self.workload.is_none()
    }
}

/// A Kubernetes node of the sandbox pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Node {
    pub name: String,
    /// The `Ready` condition is `True` (else the kubelet stopped posting status: `Unknown`).
    pub ready: bool,
}

impl Node {
    /// The `Ready` condition: (status, reason, message), as the node lifecycle controller leaves it.
    pub fn ready_condition(&self) -> (&'static str, &'static str, &'static str) {
        if self.ready {
            ("True", "KubeletReady", "kubelet is posting ready status")
        } else {
            ("Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status.")
        }
    }
}

/// A Kubernetes event (`core/v1`), aggregated the way the event recorder does:
/// the same reason and message on the same object bumps `count`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    pub namespace: String,
    /// `involvedObject.kind` (`Pod`).
    pub object_kind: String,
    /// `involvedObject.name`.
    pub object_name: String,
    /// `Normal` or `Warning`.
    pub kind: String,
    pub reason: String,
    pub message: String,
    /// `source.component` (`attachdetach-controller`, `kubelet`).
    pub source: String,
    pub count: u32,
    pub first_timestamp: String,
    pub last_timestamp: String,
}

/// The outcome of one attach attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Attach {
    Attached,
    Refused,
}

/// Longhorn volumes and the events of the pods using them.
#[derive(Debug, Clone)]
pub(crate) struct Storage {
    config: StorageConfig,
    nodes: Vec<Node>,
    ids: IdGen,
    volumes: VolumeTable,
    events: Vec<Event>,
    /// Where each (pod, reason, message) sits in `events`: Kubernetes folds a repeat into one event.
    event_index: BTreeMap<(String, String, String), usize>,
    placed: usize,
}

/// The volumes by name, with what every attach reads kept current beside them:
/// the volume of each PVC and how many volumes hold idle reservations. Every
/// change of a volume goes through [`VolumeTable::update`], so neither read
/// scans the volumes (an attach costs the same with ten volumes or ten thousand).
#[derive(Debug, Clone, Default)]
struct VolumeTable {
    by_name: BTreeMap<String, Volume>,
    /// Volume name by PVC name.
    by_pvc: BTreeMap<String, String>,
    /// How many volumes [`Volume::holds_idle_reservation`].
    idle_reservations: usize,
}

impl VolumeTable {
    fn insert(&mut self, volume: Volume) {
        self.remove(&volume.name);
        self.idle_reservations += usize::from(volume.holds_idle_reservation());
        self.by_pvc.insert(volume.pvc_name.clone(), volume.name.clone());
        self.by_name.insert(volume.name.clone(), volume);
    }

    /// Changes the volume `name` (not its name or PVC); false if there is no such volume.
    fn update(&mut self, name: &str, change: impl FnOnce(&mut Volume)) -> bool {
        let Some(volume) = self.by_name.get_mut(name) else { return false };
        let was_idle = volume.holds_idle_reservation();
        change(volume);
        self.idle_reservations -= usize::from(was_idle);
        self.idle_reservations += usize::from(volume.holds_idle_reservation());
        true
    }

    fn remove(&mut self, name: &str) {
        if let Some(volume) = self.by_name.remove(name) {
            self.idle_reservations -= usize::from(volume.holds_idle_reservation());
            self.by_pvc.remove(&volume.pvc_name);
        }
    }

    fn by_pvc(&self, pvc_name: &str) -> Option<&Volume> {
        self.by_pvc.get(pvc_name).and_then(|name| self.by_name.get(name))
    }
}

impl Storage {
    /// The plane as configured: the existing volumes, named from `seed`.
    pub(crate) fn new(config: StorageConfig, seed: u64, now: &str) -> Self {
        let nodes =
            config.nodes.iter().map(|n| Node { name: n.clone(), ready: !config.not_ready.contains(n) }).collect();
        let mut storage = Storage {
            ids: IdGen::derive(seed, "longhorn-volumes"),
            nodes,
            config,
            volumes: VolumeTable::default(),
            events: Vec::new(),
            event_index: BTreeMap::new(),
            placed: 0,
        };
        let kinds = [
            (Robustness::Healthy, storage.config.healthy),
            (Robustness::Degraded, storage.config.degraded),
            (Robustness::Faulted, storage.config.faulted),
            (Robustness::Unknown, storage.config.unknown),
        ];
        let mut index = 0;
        for (robustness, count) in kinds {
            for _ in 0..count {
                index += 1;
                let in_use = matches!(robustness, Robustness::Healthy | Robustness::Degraded);
                let node = if in_use { storage.next_node().unwrap_or_default() } else { String::new() };
                let name = storage.new_volume_name();
                let robustness =
                    if robustness == Robustness::Healthy { storage.serving_robustness() } else { robustness };
                let volume = Volume {
                    state: if in_use { VolumeState::Attached } else { VolumeState::Detached },
                    robustness,
                    current_node_id: node,
                    size_bytes: storage.size_bytes(),
                    pvc_name: format!("data-{index:03}"),
                    namespace: SANDBOX_NAMESPACE.to_string(),
                    workload: in_use.then(|| format!("data-{index:03}-0")),
                    scheduling_failure: (robustness == Robustness::Faulted)
                        .then(|| "replica scheduling failed: all replicas failed".to_string()),
                    created_at: now.to_string(),
                    name,
                };
                storage.volumes.insert(volume);
            }
        }
        storage
    }

    fn size_bytes(&self) -> u64 {
        self.config.volume_size_gib.saturating_mul(1 << 30)
    }

    fn new_volume_name(&mut self) -> String {
        let u = self.ids.uuid_simple();
        format!("pvc-{}-{}-{}-{}-{}", &u[..8], &u[8..12], &u[12..16], &u[16..20], &u[20..])
    }

    /// The next Ready node in turn, if any node is Ready.
    fn next_node(&mut self) -> Option<String> {
        let ready: Vec<&Node> = self.nodes.iter().filter(|n| n.ready).collect();
        let node = ready.get(self.placed % ready.len().max(1)).map(|n| n.name.clone());
        self.placed += 1;
        node
    }

    /// The robustness of a volume in use: healthy with a replica on as many Ready
    /// nodes as it has replicas, degraded with fewer, unknown with none (no
    /// Longhorn manager is left to report on its replicas).
    fn serving_robustness(&self) -> Robustness {
        let ready = self.nodes.iter().filter(|n| n.ready).count();
        if ready == 0 {
            Robustness::Unknown
        } else if ready >= NUMBER_OF_REPLICAS.min(self.nodes.len()) {
            Robustness::Healthy
        } else {
            Robustness::Degraded
        }
    }

    /// Every node of the sandbox pool, in the configured order.
    pub(crate) fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// Every volume, by name.
    pub(crate) fn volumes(&self) -> Vec<Volume> {
        self.volumes.by_name.values().cloned().collect()
    }

    pub(crate) fn volume(&self, name: &str) -> Option<&Volume> {
        self.volumes.by_name.get(name)
    }

    /// The volume backing the PVC `pvc_name`, if one was provisioned.
    pub(crate) fn volume_of_claim(&self, pvc_name: &str) -> Option<&Volume> {
        self.volumes.by_pvc(pvc_name)
    }

    /// Every event, in the order first recorded.
    pub(crate) fn events(&self) -> &[Event] {
        &self.events
    }

    /// How many volumes hold reservations while serving nothing (faulted/unknown, detached, no workload).
    pub(crate) fn idle_reservations(&self) -> usize {
        self.volumes.idle_reservations
    }

    /// Whether a new volume's replicas can be scheduled now.
    pub(crate) fn can_schedule(&self) -> bool {
        self.idle_reservations() <= self.config.reservation_headroom as usize
    }

    /// The workspace volume of `pvc_name`, provisioned (state `creating`) if it does not exist yet.
    pub(crate) fn provision(&mut self, pvc_name: &str, now: &str) -> String {
        if let Some(v) = self.volumes.by_pvc(pvc_name) {
            return v.name.clone();
        }
        let name = self.new_volume_name();
        let volume = Volume {
            name: name.clone(),
            state: VolumeState::Creating,
            robustness: Robustness::Unknown,
            current_node_id: String::new(),
            size_bytes: self.size_bytes(),
            pvc_name: pvc_name.to_string(),
            namespace: SANDBOX_NAMESPACE.to_string(),
            workload: None,
            scheduling_failure: None,
            created_at: now.to_string(),
        };
        self.volumes.insert(volume);
        name
    }

    /// One attach attempt of `volume` for `pod`: re-checks replica scheduling,
    /// then attaches or records the refusal as Kubernetes does.
    pub(crate) fn attach(&mut self, volume: &str, pod: &str, now: &str) -> Attach {
        if !self.nodes.iter().any(|n| n.ready) {
            // The pod is never placed, so nothing asks for the volume.
            let n = self.nodes.len();
            let message = format!(
                "0/{n} nodes are available: {n} node(s) had untolerated taint {{node.kubernetes.io/unreachable: }}. preemption: 0/{n} nodes are available: {n} Preemption is not helpful for scheduling."
            );
            self.record(pod, "Warning", "FailedScheduling", &message, "default-scheduler", now);
            return Attach::Refused;
        }
        let schedulable = self.can_schedule();
        let node = if schedulable { self.next_node().unwrap_or_default() } else { String::new() };
        let robustness = self.serving_robustness();
        let found = self.volumes.update(volume, |v| {
            v.workload = Some(pod.to_string());
            if schedulable {
                v.state = VolumeState::Attached;
                v.robustness = robustness;
                v.current_node_id = node;
                v.scheduling_failure = None;
            } else {
                v.state = VolumeState::Detached;
                v.robustness = Robustness::Faulted;
                v.current_node_id = String::new();
                v.scheduling_failure = Some("insufficient storage;precheck new replica failed".to_string());
            }
        });
        if !found {
            return Attach::Refused;
        }
        if schedulable {
            let message = format!("AttachVolume.Attach succeeded for volume \"{volume}\"");
            self.record(pod, "Normal", "SuccessfulAttachVolume", &message, "attachdetach-controller", now);
            Attach::Attached
        } else {
            let message = format!(
                "AttachVolume.Attach failed for volume \"{volume}\" : rpc error: code = Aborted desc = volume {volume} is not ready for workloads: volume is faulted"
            );
            self.record(pod, "Warning", "FailedAttachVolume", &message, "attachdetach-controller", now);
            Attach::Refused
        }
    }

    /// The kubelet gave up waiting for `pod`'s volumes.
    pub(crate) fn mount_timed_out(&mut self, pod: &str, now: &str) {
        let message = "Unable to attach or mount volumes: unmounted volumes=[workspace], unattached volumes=[workspace]: timed out waiting for the condition";
        self.record(pod, "Warning", "FailedMount", message, "kubelet", now);
    }

    /// The pod is gone (sandbox stopped): its volume detaches and no longer has a workload.
    pub(crate) fn detach(&mut self, volume: &str) {
        self.volumes.update(volume, |v| {
            v.state = VolumeState::Detached;
            if v.robustness != Robustness::Faulted {
                v.robustness = Robustness::Unknown;
            }
            v.current_node_id = String::new();
            v.workload = None;
        });
    }

    /// The PVC was deleted (reclaim policy `Delete`): the volume and its replicas go.
    pub(crate) fn delete(&mut self, volume: &str) {
        self.volumes.remove(volume);
    }

    pub(crate) fn record(&mut self, pod: &str, kind: &str, reason: &str, message: &str, source: &str, now: &str) {
        let key = (pod.to_string(), reason.to_string(), message.to_string());
        if let Some(e) = self.event_index.get(&key).and_then(|&i| self.events.get_mut(i)) {
            e.count += 1;
            e.last_timestamp = now.to_string();
            return;
        }
        self.event_index.insert(key, self.events.len());
        self.events.push(Event {
            namespace: SANDBOX_NAMESPACE.to_string(),
            object_kind: "Pod".to_string(),
            object_name: pod.to_string(),
            kind: kind.to_string(),
            reason: reason.to_string(),
            message: message.to_string(),
            source: source.to_string(),
            count: 1,
            first_timestamp: now.to_string(),
            last_timestamp: now.to_string(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plane(faulted: u32, unknown: u32) -> Storage {
        Storage::new(StorageConfig { faulted, unknown, ..StorageConfig::default() }, 7, "2026-06-09T00:00:00.000Z")
    }

    #[test]
    fn the_default_plane_is_healthy_and_attaches() {
        let mut s = plane(0, 0);
        assert!(s.volumes().iter().all(|v| v.robustness == Robustness::Healthy && v.state == VolumeState::Attached));
        let v = s.provision("workspace-a", "t");
        assert_eq!(s.attach(&v, "sandbox-a", "t"), Attach::Attached);
        assert_eq!(s.volume(&v).unwrap().robustness, Robustness::Healthy);
        assert_eq!(s.events()[0].reason, "SuccessfulAttachVolume");
    }

    #[test]
    fn one_faulted_volume_is_routed_around_eleven_block() {
        let mut one = plane(1, 0);
        let v = one.provision("workspace-a", "t");
        assert_eq!(one.attach(&v, "sandbox-a", "t"), Attach::Attached);

        let mut eleven = plane(6, 5);
        assert_eq!(eleven.idle_reservations(), 11);
        let v = eleven.provision("workspace-a", "t");
        assert_eq!(eleven.attach(&v, "sandbox-a", "t"), Attach::Refused);
        assert_eq!(eleven.attach(&v, "sandbox-a", "t2"), Attach::Refused);
        let e = &eleven.events()[0];
        assert_eq!((e.reason.as_str(), e.count, e.last_timestamp.as_str()), ("FailedAttachVolume", 2, "t2"));
        assert!(
            e.message.contains(&format!("volume {v} is not ready for workloads: volume is faulted")),
            "{}",
            e.message
        );
        let volume = eleven.volume(&v).unwrap();
        assert_eq!((volume.state, volume.robustness), (VolumeState::Detached, Robustness::Faulted));
    }

    #[test]
    fn the_headroom_is_the_boundary() {
        assert!(plane(10, 0).can_schedule());
        assert!(!plane(10, 1).can_schedule());
        // A degraded volume is serving and holds no idle reservation.
        let degraded = Storage::new(StorageConfig { degraded: 20, ..StorageConfig::default() }, 1, "t");
        assert!(degraded.can_schedule());
    }

    #[test]
    fn deleting_idle_volumes_lets_the_next_attach_through() {
        let mut s = plane(11, 0);
        let v = s.provision("workspace-a", "t");
        assert_eq!(s.attach(&v, "sandbox-a", "t"), Attach::Refused);
        let first_idle = s.volumes().into_iter().find(|v| v.pvc_name.starts_with("data-")).unwrap().name;
        s.delete(&first_idle);
        assert_eq!(s.attach(&v, "sandbox-a", "t"), Attach::Attached);
    }

    /// The kept count and the PVC index agree with the volumes through every kind of change.
    #[test]
    fn the_idle_count_and_the_claim_index_follow_every_change() {
        let recount = |s: &Storage| s.volumes().iter().filter(|v| v.holds_idle_reservation()).count();
        let mut s = plane(10, 0);
        let volume = |s: &mut Storage, pod: &str| {
            let v = s.provision(&format!("workspace-{pod}"), "t");
            assert_eq!(s.provision(&format!("workspace-{pod}"), "t"), v, "a claim keeps its volume");
            assert_eq!(s.volume_of_claim(&format!("workspace-{pod}")).map(|v| v.name.clone()), Some(v.clone()));
            v
        };
        let (a, b) = (volume(&mut s, "a"), volume(&mut s, "b"));
        assert_eq!(s.attach(&a, "sandbox-a", "t"), Attach::Attached);
        s.detach(&a);
        assert_eq!((s.idle_reservations(), recount(&s)), (11, 11), "a detached volume holds its reservation");
        assert_eq!(s.attach(&b, "sandbox-b", "t"), Attach::Refused);
        assert_eq!((s.idle_reservations(), recount(&s)), (11, 11), "a faulted volume with its pod is not idle");
        s.detach(&b);
        assert_eq!((s.idle_reservations(), recount(&s)), (12, 12));
        s.delete(&a);
        s.delete(&b);
        assert_eq!((s.idle_reservations(), recount(&s)), (10, 10));
        assert_eq!(s.volume_of_claim("workspace-a"), None);
        let c = volume(&mut s, "c");
        assert_eq!(s.attach(&c, "sandbox-c", "t"), Attach::Attached);
    }

    fn with_not_ready(not_ready: &[&str]) -> Storage {
        let config =
            StorageConfig { not_ready: not_ready.iter().map(|n| n.to_string()).collect(), ..Default::default() };
        Storage::new(config, 7, "t")
    }

    #[test]
    fn a_not_ready_node_takes_no_pods_and_leaves_volumes_a_replica_short() {
        let mut s = with_not_ready(&["k8s-worker-2"]);
        assert!(s
            .volumes()
            .iter()
            .all(|v| v.robustness == Robustness::Degraded && v.current_node_id != "k8s-worker-2"));
        for pod in ["a", "b", "c", "d"] {
            let v = s.provision(&format!("workspace-{pod}"), "t");
            assert_eq!(s.attach(&v, &format!("sandbox-{pod}"), "t"), Attach::Attached);
            let volume = s.volume(&v).unwrap();
            assert_eq!(volume.robustness, Robustness::Degraded);
            assert_ne!(volume.current_node_id, "k8s-worker-2");
        }
        let node = &s.nodes()[1];
        assert_eq!(node.ready_condition().1, "NodeStatusUnknown");
        assert_eq!(node.to_json()["spec"]["taints"][0]["key"], "node.kubernetes.io/unreachable");
        assert_eq!(node.to_longhorn_json()["status"]["conditions"][0]["reason"], "KubernetesNodeNotReady");
        assert!(with_not_ready(&[]).volumes().iter().all(|v| v.robustness == Robustness::Healthy));
    }

    #[test]
    fn with_no_ready_node_the_pod_is_never_scheduled() {
        let mut s = with_not_ready(&["k8s-worker-1", "k8s-worker-2", "k8s-worker-3"]);
        let v = s.provision("workspace-a", "t");
        assert_eq!(s.attach(&v, "sandbox-a", "t"), Attach::Refused);
        assert_eq!(s.attach(&v, "sandbox-a", "t2"), Attach::Refused);
        let e = &s.events()[0];
        assert_eq!((e.reason.as_str(), e.source.as_str(), e.count), ("FailedScheduling", "default-scheduler", 2));
        assert!(e.message.starts_with("0/3 nodes are available: 3 node(s) had untolerated taint"), "{}", e.message);
        let volume = s.volume(&v).unwrap();
        assert_eq!((volume.state, volume.workload.as_deref()), (VolumeState::Creating, None), "never asked for");
    }

    #[test]
    fn same_seed_same_names() {
        let a: Vec<String> = plane(2, 2).volumes().into_iter().map(|v| v.name).collect();
        let b: Vec<String> = plane(2, 2).volumes().into_iter().map(|v| v.name).collect();
        assert_eq!(a, b);
        assert!(a.iter().all(|n| n.starts_with("pvc-") && n.len() == 40), "{a:?}");
    }
}
