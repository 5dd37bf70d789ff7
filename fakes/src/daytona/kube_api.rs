//! The read-only Kubernetes API paths a `kubectl` pointed at the sandbox
//! cluster would use to diagnose the storage plane ([`super::longhorn`]):
//!
//! - `GET /api/v1/nodes`: the sandbox pool's nodes (`kubectl get nodes`);
//! - `GET /apis/longhorn.io/v1beta2/namespaces/{ns}/nodes`: Longhorn's view of them;
//! - `GET /apis/longhorn.io/v1beta2/namespaces/{ns}/volumes[/{name}]`: `volumes.longhorn.io`;
//! - `GET /api/v1/namespaces/{ns}/events` (`?fieldSelector=involvedObject.name=<pod>`);
//! - `GET /api/v1/namespaces/{ns}/pods`: Daytona's core pods ([`super::core_pods`])
//!   and the sandbox pods (`kubectl get pods -n daytona`).
//!
//! Resources render as `kubectl get … -o json` prints them; failures are the
//! API server's `Status` objects (401 `Unauthorized` without the bearer token,
//! 404 `NotFound`, 400 `BadRequest` for a field selector it does not know).

use std::sync::Arc;

use axum::extract::{FromRequestParts, Path, Query};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::longhorn::{Event, Node, Volume, LONGHORN_NAMESPACE, SANDBOX_NAMESPACE};
use super::{CorePodStatus, Daytona, SandboxState};

impl Volume {
    /// The resource as `kubectl get volumes.longhorn.io -o json` prints it.
    pub(super) fn to_json(&self) -> Value {
        let scheduled = match &self.scheduling_failure {
            None => json!({"type": "Scheduled", "status": "True", "reason": "", "message": ""}),
            Some(m) => {
                json!({"type": "Scheduled", "status": "False", "reason": "ReplicaSchedulingFailure", "message": m})
            }
        };
        let workloads: Vec<Value> = self
            .workload
            .iter()
            .map(|pod| json!({"podName": pod, "podStatus": "Pending", "workloadName": pod, "workloadType": "Pod"}))
            .collect();
        json!({
            "apiVersion": "longhorn.io/v1beta2",
            "kind": "Volume",
            "metadata": {"name": self.name, "namespace": LONGHORN_NAMESPACE, "creationTimestamp": self.created_at},
            "spec": {
                "size": self.size_bytes.to_string(),
                "numberOfReplicas": 3,
                "dataEngine": "v1",
                "frontend": "blockdev",
                "accessMode": "rwo",
            },
            "status": {
                "state": self.state,
                "robustness": self.robustness,
                "currentNodeID": self.current_node_id,
                "kubernetesStatus": {
                    "pvName": self.name,
                    "pvStatus": "Bound",
                    "pvcName": self.pvc_name,
                    "namespace": self.namespace,
                    "workloadsStatus": workloads,
                },
                "conditions": [scheduled],
            },
        })
    }
}

impl Node {
    /// The resource as `kubectl get nodes -o json` prints it (`core/v1`).
    pub(super) fn to_json(&self) -> Value {
        let (status, reason, message) = self.ready_condition();
        let taints: Vec<Value> = if self.ready {
            Vec::new()
        } else {
            ["NoSchedule", "NoExecute"]
                .iter()
                .map(|effect| json!({"key": "node.kubernetes.io/unreachable", "effect": effect}))
                .collect()
        };
        json!({
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": self.name, "labels": {"kubernetes.io/hostname": self.name}},
            "spec": {"taints": taints},
            "status": {"conditions": [{"type": "Ready", "status": status, "reason": reason, "message": message}]},
        })
    }

    /// Longhorn's view of the node (`nodes.longhorn.io`, v1beta2): `Ready` follows the
    /// Kubernetes node; `Schedulable` is about cordoning, which nothing here does.
    pub(super) fn to_longhorn_json(&self) -> Value {
        let ready = if self.ready {
            json!({"type": "Ready", "status": "True", "reason": "", "message": ""})
        } else {
            json!({"type": "Ready", "status": "False", "reason": "KubernetesNodeNotReady",
                   "message": format!("Kubernetes node {} not ready: NodeStatusUnknown", self.name)})
        };
        json!({
            "apiVersion": "longhorn.io/v1beta2",
            "kind": "Node",
            "metadata": {"name": self.name, "namespace": LONGHORN_NAMESPACE},
            "spec": {"name": self.name, "allowScheduling": true},
            "status": {"conditions": [ready, {"type": "Schedulable", "status": "True", "reason": "", "message": ""}]},
        })
    }
}

impl Event {
    /// The event as `kubectl get events -o json` prints it; `index` (its place in
    /// the recorded order) makes its name unique.
    pub(super) fn to_json(&self, index: usize) -> Value {
        json!({
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": format!("{}.{index:016x}", self.object_name), "namespace": self.namespace},
            "involvedObject": {"apiVersion": "v1", "kind": self.object_kind, "name": self.object_name, "namespace": self.namespace},
            "type": self.kind,
            "reason": self.reason,
            "message": self.message,
            "source": {"component": self.source},
            "count": self.count,
            "firstTimestamp": self.first_timestamp,
            "lastTimestamp": self.last_timestamp,
        })
    }
}

/// A Kubernetes `Status` failure (`kubectl` prints its `message`).
fn status_failure(code: StatusCode, reason: &str, message: &str) -> Response {
    let body = json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code.as_u16(),
    });
    (code, Json(body)).into_response()
}

/// A request that presented the bearer token (the API key); the API server's
/// 401 `Unauthorized` `Status` otherwise, before the handler runs. Handlers take
/// it after their path and query, so a path or query axum cannot parse is
/// refused before the token is looked at.
pub(super) struct Authenticated(Arc<Daytona>);

impl FromRequestParts<Arc<Daytona>> for Authenticated {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, d: &Arc<Daytona>) -> Result<Self, Response> {
        if d.presents_api_key(&parts.headers) {
            Ok(Authenticated(d.clone()))
        } else {
            Err(status_failure(StatusCode::UNAUTHORIZED, "Unauthorized", "Unauthorized"))
        }
    }
}

/// A Kubernetes list of `kind`.
fn list(api_version: &str, kind: &str, items: Vec<Value>) -> Response {
    Json(json!({"apiVersion": api_version, "kind": kind, "metadata": {"resourceVersion": ""}, "items": items}))
        .into_response()
}

/// `GET /apis/longhorn.io/v1beta2/namespaces/{ns}/volumes`: a `VolumeList`.
pub(super) async fn list_volumes(Path(ns): Path<String>, Authenticated(d): Authenticated) -> Response {
    let items = if ns == LONGHORN_NAMESPACE { d.volumes().iter().map(Volume::to_json).collect() } else { Vec::new() };
    list("longhorn.io/v1beta2", "VolumeList", items)
}

/// `GET /apis/longhorn.io/v1beta2/namespaces/{ns}/volumes/{name}`: one `Volume`, or 404 `NotFound`.
pub(super) async fn get_volume(Path((ns, name)): Path<(String, String)>, Authenticated(d): Authenticated) -> Response {
    let found = if ns == LONGHORN_NAMESPACE { d.state().storage.volume(&name).cloned() } else { None };
    match found {
        Some(v) => Json(v.to_json()).into_response(),
        None => status_failure(StatusCode::NOT_FOUND, "NotFound", &format!("volumes.longhorn.io \"{name}\" not found")),
    }
}

/// `GET /api/v1/nodes`: a `NodeList` of the sandbox pool (`kubectl get nodes`).
pub(super) async fn list_nodes(Authenticated(d): Authenticated) -> Response {
    list("v1", "NodeList", d.nodes().iter().map(Node::to_json).collect())
}

/// `GET /apis/longhorn.io/v1beta2/namespaces/{ns}/nodes`: Longhorn's `NodeList`.
pub(super) async fn list_longhorn_nodes(Path(ns): Path<String>, Authenticated(d): Authenticated) -> Response {
    let items =
        if ns == LONGHORN_NAMESPACE { d.nodes().iter().map(Node::to_longhorn_json).collect() } else { Vec::new() };
    list("longhorn.io/v1beta2", "NodeList", items)
}

/// `GET /api/v1/namespaces/{ns}/pods`: a `PodList`. In `daytona`: the core pods,
/// then each live sandbox's pod (`Pending` until its sandbox starts, `Running`
/// once started, `Failed` on error; a stopped or destroyed sandbox has no pod).
pub(super) async fn list_pods(Path(ns): Path<String>, Authenticated(d): Authenticated) -> Response {
    if ns != SANDBOX_NAMESPACE {
        return list("v1", "PodList", Vec::new());
    }
    let mut items: Vec<Value> = d.core_pods().iter().map(CorePodStatus::to_json).collect();
    for s in d.sandboxes() {
        let phase = match s.state {
            SandboxState::Creating | SandboxState::Starting => "Pending",
            SandboxState::Started => "Running",
            SandboxState::Error => "Failed",
            SandboxState::Stopped | SandboxState::Stopping | SandboxState::Destroying | SandboxState::Destroyed => {
                continue
            }
        };
        items.push(json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": super::sandbox::pod_name(&s.id), "namespace": SANDBOX_NAMESPACE,
                         "labels": {"daytona.io/sandbox": s.id}},
            "status": {"phase": phase},
        }));
    }
    list("v1", "PodList", items)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct EventQuery {
    field_selector: Option<String>,
}

/// `GET /api/v1/namespaces/{ns}/events`: an `EventList`, optionally narrowed by
/// `fieldSelector=involvedObject.name=<pod>` (other selectors are refused with 400, as the API server does).
pub(super) async fn list_events(
    Path(ns): Path<String>,
    Query(q): Query<EventQuery>,
    Authenticated(d): Authenticated,
) -> Response {
    let object = match q.field_selector.as_deref() {
        None | Some("") => None,
        Some(sel) => match sel.strip_prefix("involvedObject.name=") {
            Some(name) => Some(name.to_string()),
            None => {
                let msg = format!("\"{sel}\" is not a known field selector: only \"involvedObject.name\"");
                return status_failure(StatusCode::BAD_REQUEST, "BadRequest", &msg);
            }
        },
    };
    let items: Vec<Value> = d
        .events()
        .iter()
        .enumerate()
        .filter(|(_, e)| e.namespace == ns && object.as_ref().is_none_or(|o| &e.object_name == o))
        .map(|(i, e)| e.to_json(i))
        .collect();
    list("v1", "EventList", items)
}
