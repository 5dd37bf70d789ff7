//! Daytona's own core pods in its namespace (`kubectl get pods -n daytona`):
//! the API, the proxy and the runner, beside the sandbox pods they create.
//!
//! Each core pod is `Running` unless the configuration says how it is not
//! ([`PodTrouble`]), and what it serves stops with it:
//!
//! - `daytona-api` serves the REST API under `/api` (sandboxes, volumes, users):
//!   with no ready endpoint behind it, the ingress (Traefik) answers every such
//!   request `503 no available server`;
//! - `daytona-proxy` serves the toolbox (`{toolboxProxyUrl}/{sandboxId}/...`): the
//!   same 503 for every toolbox request;
//! - `daytona-runner` creates and starts the sandboxes: with no runner the API
//!   refuses `POST /api/sandbox` and `POST /api/sandbox/{id}/start` with
//!   `400 No available runners`, as Daytona's runner scheduler does.
//!
//! The Kubernetes API paths under `/api/v1` and `/apis` are the cluster's, not
//! the Daytona API's, and keep answering. A pod that is not Running leaves its
//! warning event (`BackOff` from the kubelet for a crash loop, `Failed` for an
//! image it cannot pull) in the namespace's events.
//!
//! Guarantees: pod names come from the seeded [`IdGen`]; listings are in
//! [`CorePod::ALL`]'s order; nothing here reads the wall clock.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::longhorn::SANDBOX_NAMESPACE;
use super::Daytona;
use crate::ids::IdGen;

/// One of Daytona's core deployments in `-n daytona`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CorePod {
    /// The REST API under `/api`.
    DaytonaApi,
    /// The toolbox proxy (`toolboxProxyUrl`).
    DaytonaProxy,
    /// The runner that creates and starts sandboxes.
    DaytonaRunner,
}

impl CorePod {
    /// Every core pod, in listing order.
    pub const ALL: [CorePod; 3] = [CorePod::DaytonaApi, CorePod::DaytonaProxy, CorePod::DaytonaRunner];

    /// The deployment's name (`daytona-runner`).
    pub fn name(self) -> &'static str {
        match self {
            CorePod::DaytonaApi => "daytona-api",
            CorePod::DaytonaProxy => "daytona-proxy",
            CorePod::DaytonaRunner => "daytona-runner",
        }
    }

    /// The container's name inside the pod.
    fn container(self) -> &'static str {
        match self {
            CorePod::DaytonaApi => "api",
            CorePod::DaytonaProxy => "proxy",
            CorePod::DaytonaRunner => "runner",
        }
    }

    /// What stops while the pod is not Running, in words.
    pub fn stops(self) -> &'static str {
        match self {
            CorePod::DaytonaApi => "the Daytona API answers no request (503 no available server)",
            CorePod::DaytonaProxy => "no toolbox request reaches a sandbox (503 no available server)",
            CorePod::DaytonaRunner => "no runner can create or start a sandbox (400 No available runners)",
        }
    }
}

/// How a core pod is not Running, as `kubectl get pods` prints its STATUS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PodTrouble {
    /// Its container keeps exiting; the kubelet backs off restarting it.
    CrashLoopBackOff,
    /// Its image cannot be pulled; the pod never started.
    ImagePullBackOff,
}

impl PodTrouble {
    /// The STATUS column's text.
    pub fn as_str(self) -> &'static str {
        match self {
            PodTrouble::CrashLoopBackOff => "CrashLoopBackOff",
            PodTrouble::ImagePullBackOff => "ImagePullBackOff",
        }
    }
}

/// A core pod as the cluster shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorePodStatus {
    pub pod: CorePod,
    /// The pod's name (`daytona-runner-<replicaset hash>-<suffix>`).
    pub name: String,
    /// `None` while Running.
    pub trouble: Option<PodTrouble>,
    pub restarts: u32,
    /// When the pod was created (the fake's start).
    pub created_at: String,
}

impl CorePodStatus {
    pub fn running(&self) -> bool {
        self.trouble.is_none()
    }

    /// The STATUS column: `Running`, or how it is not.
    pub fn status(&self) -> &'static str {
        self.trouble.map_or("Running", PodTrouble::as_str)
    }

    /// The warning event its trouble leaves: (reason, message).
    pub(super) fn warning(&self) -> Option<(&'static str, String)> {
        let container = self.pod.container();
        match self.trouble? {
            PodTrouble::CrashLoopBackOff => Some((
                "BackOff",
                format!("Back-off restarting failed container {container} in pod {}_{SANDBOX_NAMESPACE}", self.name),
            )),
            PodTrouble::ImagePullBackOff => Some(("Failed", "Error: ImagePullBackOff".to_string())),
        }
    }

    /// The pod as `kubectl get pods -o json` prints it (`core/v1`).
    pub(super) fn to_json(&self) -> Value {
        let container = self.pod.container();
        let (phase, state, ready) = match self.trouble {
            None => ("Running", json!({"running": {"startedAt": self.created_at}}), true),
            Some(PodTrouble::CrashLoopBackOff) => {
                let message = format!("back-off 5m0s restarting failed container={container} pod={}", self.name);
                ("Running", json!({"waiting": {"reason": "CrashLoopBackOff", "message": message}}), false)
            }
            Some(PodTrouble::ImagePullBackOff) => {
                let message = format!("Back-off pulling image \"daytonaio/daytona-{container}\"");
                ("Pending", json!({"waiting": {"reason": "ImagePullBackOff", "message": message}}), false)
            }
        };
        let ready_status = if ready { "True" } else { "False" };
        json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": self.name,
                "namespace": SANDBOX_NAMESPACE,
                "creationTimestamp": self.created_at,
                "labels": {"app.kubernetes.io/name": self.pod.name(), "app.kubernetes.io/part-of": "daytona"},
            },
            "status": {
                "phase": phase,
                "conditions": [{"type": "Ready", "status": ready_status}],
                "containerStatuses": [{
                    "name": container,
                    "ready": ready,
                    "restartCount": self.restarts,
                    "state": state,
                }],
            },
        })
    }
}

/// The core pods as configured: every one Running but those `down` names.
pub(super) fn core_pods(down: &BTreeMap<CorePod, PodTrouble>, seed: u64, now: &str) -> Vec<CorePodStatus> {
    let mut ids = IdGen::derive(seed, "daytona-core-pods");
    CorePod::ALL
        .iter()
        .map(|&pod| {
            let name = format!("{}-{}-{}", pod.name(), ids.hex(10), ids.hex(5));
            let trouble = down.get(&pod).copied();
            let restarts = if trouble == Some(PodTrouble::CrashLoopBackOff) { 5 } else { 0 };
            CorePodStatus { pod, name, trouble, restarts, created_at: now.to_string() }
        })
        .collect()
}

/// Which core pod serves a request path, if one does: the toolbox is the
/// proxy's, the REST API under `/api` the API's; the cluster's own paths
/// (`/api/v1/...`, `/apis/...`) are neither.
fn serving_pod(path: &str) -> Option<CorePod> {
    if path.starts_with("/toolbox/") {
        Some(CorePod::DaytonaProxy)
    } else if path.starts_with("/api/") && !path.starts_with("/api/v1/") {
        Some(CorePod::DaytonaApi)
    } else {
        None
    }
}

/// The ingress in front of the core pods: a request whose pod is not Running
/// gets Traefik's `503 no available server`.
pub(super) async fn ingress(State(d): State<Arc<Daytona>>, request: Request, next: Next) -> Response {
    if let Some(pod) = serving_pod(request.uri().path()) {
        if !d.core_pod_running(pod) {
            return (StatusCode::SERVICE_UNAVAILABLE, [(header::CONTENT_TYPE, "text/plain")], "no available server")
                .into_response();
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: &str = "2026-06-01T00:00:00.000Z";

    #[test]
    fn the_cluster_paths_are_served_by_no_core_pod() {
        assert_eq!(serving_pod("/api/v1/nodes"), None);
        assert_eq!(serving_pod("/apis/longhorn.io/v1beta2/namespaces/longhorn-system/volumes"), None);
        assert_eq!(serving_pod("/api/sandbox"), Some(CorePod::DaytonaApi));
        assert_eq!(serving_pod("/toolbox/sbx-1/process/session"), Some(CorePod::DaytonaProxy));
    }

    #[test]
    fn only_the_named_pods_are_down_and_names_are_seeded() {
        let down = BTreeMap::from([(CorePod::DaytonaRunner, PodTrouble::CrashLoopBackOff)]);
        let pods = core_pods(&down, 7, NOW);
        assert_eq!(pods.iter().map(|p| p.running()).collect::<Vec<_>>(), [true, true, false]);
        assert_eq!(pods[2].status(), "CrashLoopBackOff");
        assert!(pods[2].name.starts_with("daytona-runner-"));
        assert_eq!(pods, core_pods(&down, 7, NOW));
        assert_ne!(pods[0].name, core_pods(&down, 8, NOW)[0].name);
    }
}
