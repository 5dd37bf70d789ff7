//! The Daytona fake on a real loopback socket, asked exactly as the `daytona`
//! SDK asks (`docs/wire-facts.md`, Daytona): its default create body and headers, the
//! list query, start/stop/delete, SSH access, the toolbox, and the Longhorn
//! storage plane's Kubernetes view.

use std::sync::Arc;
use std::time::Duration;

use reqwest::{Client, Method, RequestBuilder, Response};
use serde_json::{json, Value};
use squadsim_fakes::clock::SystemClock;
use squadsim_fakes::daytona::{
    Daytona, DaytonaConfig, EchoShell, ProcessLauncher, ProcessOutput, ProcessSpec, StorageConfig,
};
use squadsim_fakes::net::serve_loopback;

use crate::support::loopback;

const KEY: &str = "dtn_squadsim_api_key";

struct Api {
    base: String,
    http: Client,
    daytona: Arc<Daytona>,
}

impl Api {
    async fn start(config: DaytonaConfig) -> Api {
        Api::start_with(config, Arc::new(EchoShell)).await
    }

    async fn start_with(config: DaytonaConfig, launcher: Arc<dyn ProcessLauncher>) -> Api {
        let (listener, base) = loopback().await;
        let config = DaytonaConfig { public_url: base.clone(), start_seconds: 0, ..config };
        let daytona = Daytona::new(config, launcher, Arc::new(SystemClock));
        tokio::spawn(serve_loopback(daytona.router(), listener));
        Api { base, http: Client::new(), daytona }
    }

    /// A request as the SDK sends it: bearer key plus its source and version headers.
    fn sdk(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(KEY)
            .header("X-Daytona-Source", "python-sdk")
            .header("X-Daytona-SDK-Version", "0.22.1")
    }

    async fn json(&self, method: Method, path: &str) -> (u16, Value) {
        split(self.sdk(method, path).send().await.expect("exchange")).await
    }

    /// Polls `GET /api/sandbox/{id}` about as the SDK does until the state is `want`.
    async fn wait_for(&self, id: &str, want: &str) -> Value {
        let mut last = Value::Null;
        for _ in 0..100 {
            let (_, s) = self.json(Method::GET, &format!("/api/sandbox/{id}")).await;
            if s["state"] == want {
                return s;
            }
            last = s;
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("sandbox {id} never reached {want}: {last}");
    }
}

async fn split(r: Response) -> (u16, Value) {
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn assert_error_shape(body: &Value, status: u16, path: &str) {
    assert_eq!(body["statusCode"], status, "{body}");
    assert_eq!(body["path"], path, "{body}");
    for field in ["timestamp", "error", "message"] {
        assert!(body[field].is_string(), "missing {field}: {body}");
    }
}

/// The fields the SDK's strict sandbox model requires.
const REQUIRED: [&str; 16] = [
    "id",
    "organizationId",
    "name",
    "user",
    "env",
    "labels",
    "public",
    "networkBlockAll",
    "kvm",
    "target",
    "cpu",
    "gpu",
    "memory",
    "disk",
    "toolboxProxyUrl",
    "state",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sdk_lifecycle_create_list_start_stop_delete() {
    let api = Api::start(DaytonaConfig::default()).await;
    let body = json!({"env": {}, "labels": {"code-toolbox-language": "python"}, "volumes": []});
    let (status, created) = split(api.sdk(Method::POST, "/api/sandbox").json(&body).send().await.unwrap()).await;
    assert_eq!(status, 200, "{created}");
    for field in REQUIRED {
        assert!(!created[field].is_null(), "missing {field}: {created}");
    }
    assert_eq!(created["labels"]["code-toolbox-language"], "python");
    let id = created["id"].as_str().unwrap().to_string();
    let started = api.wait_for(&id, "started").await;
    assert_eq!(started["desiredState"], "started");

    let (_, second) = split(api.sdk(Method::POST, "/api/sandbox").json(&body).send().await.unwrap()).await;
    let (status, page) = api.json(Method::GET, "/api/sandbox?limit=1&labels=%7B%7D").await;
    assert_eq!(status, 200);
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["items"][0]["id"], id.as_str());
    let cursor = page["nextCursor"].as_str().expect("a next cursor").to_string();
    let (_, rest) = api.json(Method::GET, &format!("/api/sandbox?cursor={cursor}&limit=1")).await;
    assert_eq!(rest["items"][0]["id"], second["id"]);
    assert!(rest["nextCursor"].is_null());
    assert!(rest["items"][0]["env"].is_null(), "list items carry no env");

    let (status, stopped) = api.json(Method::POST, &format!("/api/sandbox/{id}/stop")).await;
    assert_eq!((status, stopped["state"].as_str()), (200, Some("stopped")));
    let (status, _) = api.json(Method::POST, &format!("/api/sandbox/{id}/start")).await;
    assert_eq!(status, 200);
    api.wait_for(&id, "started").await;
    let (status, deleted) = api.json(Method::DELETE, &format!("/api/sandbox/{id}")).await;
    assert_eq!((status, deleted["state"].as_str()), (200, Some("destroyed")));
    let (status, me) = api.json(Method::GET, "/api/users/me").await;
    assert_eq!(status, 200);
    for field in ["id", "name", "email", "emailVerified", "publicKeys", "createdAt"] {
        assert!(!me[field].is_null(), "{me}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_daytona_api_and_toolbox_route_wants_the_key_before_anything_else() {
    // Even for a sandbox or volume that does not exist, and with no body: the key comes first.
    let api = Api::start(DaytonaConfig::default()).await;
    let routes = [
        ("GET", "/api/users/me"),
        ("GET", "/api/sandbox"),
        ("POST", "/api/sandbox"),
        ("GET", "/api/sandbox/sb-x"),
        ("DELETE", "/api/sandbox/sb-x"),
        ("POST", "/api/sandbox/sb-x/start"),
        ("POST", "/api/sandbox/sb-x/stop"),
        ("GET", "/api/sandbox/sb-x/toolbox-proxy-url"),
        ("POST", "/api/sandbox/sb-x/ssh-access"),
        ("DELETE", "/api/sandbox/sb-x/ssh-access"),
        ("GET", "/api/sandbox/ssh-access/validate?token=t"),
        ("GET", "/api/volumes"),
        ("POST", "/api/volumes"),
        ("GET", "/api/volumes/by-name/v"),
        ("GET", "/api/volumes/vol-x"),
        ("DELETE", "/api/volumes/vol-x"),
        ("GET", "/toolbox/sb-x/files?path=/"),
        ("POST", "/toolbox/sb-x/files/upload?path=/a"),
        ("POST", "/toolbox/sb-x/git/commit"),
        ("GET", "/toolbox/sb-x/git/branches?path=/r"),
        ("POST", "/toolbox/sb-x/process/execute"),
        ("GET", "/toolbox/sb-x/process/session"),
        ("POST", "/toolbox/sb-x/process/session"),
        ("GET", "/toolbox/sb-x/process/session/s1"),
        ("DELETE", "/toolbox/sb-x/process/session/s1"),
        ("POST", "/toolbox/sb-x/process/session/s1/exec"),
        ("GET", "/toolbox/sb-x/process/session/s1/command/c1"),
        ("GET", "/toolbox/sb-x/process/session/s1/command/c1/logs"),
    ];
    for (method, path) in routes {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let r = api.http.request(method.clone(), format!("{}{path}", api.base)).send().await.unwrap();
        let (status, body) = split(r).await;
        assert_eq!(status, 401, "{method} {path}: {body}");
        assert_error_shape(&body, 401, path.split('?').next().unwrap());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_key_401_and_errors_have_daytona_shape() {
    let api = Api::start(DaytonaConfig::default()).await;
    let r = api.http.get(format!("{}/api/sandbox", api.base)).send().await.unwrap();
    let (status, body) = split(r).await;
    assert_eq!(status, 401);
    assert_error_shape(&body, 401, "/api/sandbox");
    let r = api.http.get(format!("{}/api/sandbox", api.base)).bearer_auth("wrong").send().await.unwrap();
    assert_eq!(r.status(), 401);

    let (status, body) = api.json(Method::GET, "/api/sandbox/nope").await;
    assert_eq!(status, 404);
    assert_error_shape(&body, 404, "/api/sandbox/nope");
    let r = api.sdk(Method::POST, "/api/sandbox").header("content-type", "application/json").body("{").send().await;
    let (status, body) = split(r.unwrap()).await;
    assert_eq!(status, 400);
    assert_error_shape(&body, 400, "/api/sandbox");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssh_access_builds_the_runbook_command_and_a_new_grant_revokes_the_old() {
    let api = Api::start(DaytonaConfig { seed: 5, ..DaytonaConfig::default() }).await;
    let (_, created) =
        split(api.sdk(Method::POST, "/api/sandbox").json(&json!({"name": "ws"})).send().await.unwrap()).await;
    let id = created["id"].as_str().unwrap().to_string();

    let (status, first) = api.json(Method::POST, "/api/sandbox/ws/ssh-access").await;
    assert_eq!(status, 200, "{first}");
    let token = first["token"].as_str().unwrap().to_string();
    assert_eq!(token.len(), 32);
    assert!(token.chars().all(|c| c.is_ascii_alphanumeric()));
    assert_eq!(first["sandboxId"], id.as_str());
    assert_eq!(first["sshCommand"], format!("ssh -p 2222 {token}@daytona-ssh.yamon.io"));
    for field in ["id", "expiresAt", "createdAt", "updatedAt"] {
        assert!(first[field].is_string(), "{first}");
    }

    let validate = |t: &str| format!("/api/sandbox/ssh-access/validate?token={t}");
    let (_, v) = api.json(Method::GET, &validate(&token)).await;
    assert_eq!(v, json!({"valid": true, "sandboxId": id}));

    let (_, second) = api.json(Method::POST, &format!("/api/sandbox/{id}/ssh-access?expiresInMinutes=5")).await;
    let token2 = second["token"].as_str().unwrap().to_string();
    assert_ne!(token, token2);
    assert_eq!(api.json(Method::GET, &validate(&token)).await.1["valid"], false, "a new grant revokes the old");
    assert_eq!(api.json(Method::GET, &validate(&token2)).await.1["valid"], true);

    let (status, sandbox) = api.json(Method::DELETE, &format!("/api/sandbox/{id}/ssh-access?token={token2}")).await;
    assert_eq!((status, sandbox["id"].as_str()), (200, Some(id.as_str())));
    assert_eq!(api.json(Method::GET, &validate(&token2)).await.1["valid"], false);

    let (status, body) = api.json(Method::POST, "/api/sandbox/ws/ssh-access?expiresInMinutes=soon").await;
    assert_eq!(status, 400, "{body}");
    let (status, _) = api.json(Method::POST, "/api/sandbox/missing/ssh-access").await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn region_drift_yields_the_unusable_command() {
    let drifted = DaytonaConfig { ssh_gateway_url: "daytona.yamon.io:2222".into(), ..DaytonaConfig::default() };
    let api = Api::start(drifted).await;
    let (_, created) = split(api.sdk(Method::POST, "/api/sandbox").json(&json!({})).send().await.unwrap()).await;
    let id = created["id"].as_str().unwrap();
    let (_, grant) = api.json(Method::POST, &format!("/api/sandbox/{id}/ssh-access")).await;
    let token = grant["token"].as_str().unwrap();
    assert_eq!(grant["sshCommand"], format!("ssh -p 2222 {token}@daytona.yamon.io"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_process_output_is_readable_as_workspace_logs() {
    let api = Api::start(DaytonaConfig::default()).await;
    let (_, created) = split(api.sdk(Method::POST, "/api/sandbox").json(&json!({})).send().await.unwrap()).await;
    let id = created["id"].as_str().unwrap().to_string();
    api.wait_for(&id, "started").await;
    let toolbox = format!("/toolbox/{id}/process/session");
    let r = api.sdk(Method::POST, &toolbox).json(&json!({"sessionId": "s1"})).send().await.unwrap();
    assert_eq!(r.status(), 201);
    let r = api.sdk(Method::POST, &format!("{toolbox}/s1/exec")).json(&json!({"command": "echo hello"})).send().await;
    let (_, exec) = split(r.unwrap()).await;
    assert_eq!(exec["exitCode"], 0);
    let cmd = exec["cmdId"].as_str().unwrap();
    let (_, sessions) = api.json(Method::GET, &toolbox).await;
    assert_eq!(sessions[0]["sessionId"], "s1");
    assert_eq!(sessions[0]["commands"][0]["id"], cmd);
    let logs = api.sdk(Method::GET, &format!("{toolbox}/s1/command/{cmd}/logs")).send().await.unwrap().text().await;
    assert_eq!(logs.unwrap(), "hello\n");
    assert_eq!(api.daytona.workspace_logs(&id), "hello\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_faulted_storage_plane_keeps_the_sandbox_creating_with_kubernetes_events() {
    let storage = StorageConfig { faulted: 6, unknown: 5, mount_timeout_seconds: 1, ..StorageConfig::default() };
    let api = Api::start(DaytonaConfig { storage, ..DaytonaConfig::default() }).await;
    let (_, list) = api.json(Method::GET, "/apis/longhorn.io/v1beta2/namespaces/longhorn-system/volumes").await;
    assert_eq!(list["kind"], "VolumeList");
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 3 + 6 + 5);
    let faulted = items.iter().filter(|v| v["status"]["robustness"] == "faulted").count();
    assert_eq!(faulted, 6);
    assert!(items.iter().all(|v| v["status"]["kubernetesStatus"]["pvName"].is_string()));

    let (_, created) = split(api.sdk(Method::POST, "/api/sandbox").json(&json!({})).send().await.unwrap()).await;
    let id = created["id"].as_str().unwrap().to_string();
    let pod = format!("sandbox-{id}");
    let events_path = format!("/api/v1/namespaces/daytona/events?fieldSelector=involvedObject.name={pod}");
    let mut reasons = Vec::new();
    for _ in 0..60 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let (_, events) = api.json(Method::GET, &events_path).await;
        reasons =
            events["items"].as_array().unwrap().iter().map(|e| e["reason"].as_str().unwrap().to_string()).collect();
        if reasons.contains(&"FailedMount".to_string()) {
            break;
        }
    }
    assert_eq!(reasons, ["FailedAttachVolume", "FailedMount"]);
    let (_, events) = api.json(Method::GET, &events_path).await;
    let attach = events["items"][0]["message"].as_str().unwrap();
    assert!(attach.contains("rpc error: code = Aborted desc = volume pvc-"), "{attach}");
    assert!(attach.ends_with("is not ready for workloads: volume is faulted"), "{attach}");
    assert!(events["items"][1]["message"].as_str().unwrap().ends_with("timed out waiting for the condition"));

    let (_, sandbox) = api.json(Method::GET, &format!("/api/sandbox/{id}")).await;
    assert_eq!(sandbox["state"], "creating");
    let r =
        api.sdk(Method::POST, &format!("/toolbox/{id}/process/session")).json(&json!({"sessionId": "s"})).send().await;
    assert_eq!(r.unwrap().status(), 400, "no process runs in a sandbox whose storage never attached");

    let workspace = api.daytona.volumes().into_iter().find(|v| v.pvc_name == format!("workspace-{id}")).unwrap();
    let (status, one) = api
        .json(Method::GET, &format!("/apis/longhorn.io/v1beta2/namespaces/longhorn-system/volumes/{}", workspace.name))
        .await;
    assert_eq!(status, 200);
    assert_eq!(one["status"]["robustness"], "faulted");
    assert_eq!(one["status"]["conditions"][0]["reason"], "ReplicaSchedulingFailure");
    let (status, missing) =
        api.json(Method::GET, "/apis/longhorn.io/v1beta2/namespaces/longhorn-system/volumes/pvc-x").await;
    assert_eq!((status, missing["kind"].as_str()), (404, Some("Status")));
    let r = api.http.get(format!("{}/api/v1/namespaces/daytona/events", api.base)).send().await.unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_faulted_volume_is_routed_around() {
    let storage = StorageConfig { faulted: 1, ..StorageConfig::default() };
    let api = Api::start(DaytonaConfig { storage, ..DaytonaConfig::default() }).await;
    let (_, created) = split(api.sdk(Method::POST, "/api/sandbox").json(&json!({})).send().await.unwrap()).await;
    let id = created["id"].as_str().unwrap().to_string();
    api.wait_for(&id, "started").await;
    let events = api.daytona.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].reason, "SuccessfulAttachVolume");
    let volume = api.daytona.volumes().into_iter().find(|v| v.pvc_name == format!("workspace-{id}")).unwrap();
    assert!(!volume.current_node_id.is_empty());
    // Deleting the sandbox deletes its PVC and the volume with it.
    api.json(Method::DELETE, &format!("/api/sandbox/{id}")).await;
    assert!(api.daytona.volumes().iter().all(|v| v.pvc_name != format!("workspace-{id}")));
}

/// `labels` as the Python SDK encodes it: `json.dumps(labels)`, URL-encoded.
fn labels_query(labels: &Value) -> String {
    let text = serde_json::to_string(labels).unwrap().replace(':', ": ");
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_list_filters_by_labels_and_states_as_the_sdk_sends_them() {
    let api = Api::start(DaytonaConfig::default()).await;
    let mut ids = Vec::new();
    for (run, agent) in [("run-a", "planner"), ("run-a", "curator"), ("run-b", "planner")] {
        let body = json!({"env": {}, "labels": {"agentsquad.run": run, "agentsquad.agent": agent}, "volumes": []});
        let (_, created) = split(api.sdk(Method::POST, "/api/sandbox").json(&body).send().await.unwrap()).await;
        let id = created["id"].as_str().unwrap().to_string();
        api.wait_for(&id, "started").await;
        ids.push(id);
    }
    api.json(Method::POST, &format!("/api/sandbox/{}/stop", ids[1])).await;
    let listed = |page: &Value| -> Vec<String> {
        page["items"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap().to_string()).collect()
    };
    let run_a = labels_query(&json!({"agentsquad.run": "run-a"}));
    let (status, page) = api.json(Method::GET, &format!("/api/sandbox?labels={run_a}")).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(listed(&page), vec![ids[0].clone(), ids[1].clone()]);
    let both = labels_query(&json!({"agentsquad.run": "run-a", "agentsquad.agent": "curator"}));
    let (_, page) = api.json(Method::GET, &format!("/api/sandbox?labels={both}")).await;
    assert_eq!(listed(&page), vec![ids[1].clone()]);
    // An array query parameter, as the generated client sends it: the key repeated.
    let (_, page) = api.json(Method::GET, &format!("/api/sandbox?labels={run_a}&states=started")).await;
    assert_eq!(listed(&page), vec![ids[0].clone()]);
    let (_, page) = api.json(Method::GET, "/api/sandbox?states=started&states=stopped").await;
    assert_eq!(listed(&page).len(), 3);
    let (_, page) = api.json(Method::GET, "/api/sandbox?states=stopped").await;
    assert_eq!(listed(&page), vec![ids[1].clone()]);
    // Bad filters are 400 in Daytona's error shape.
    let (status, body) = api.json(Method::GET, "/api/sandbox?states=destroyed").await;
    assert_eq!(status, 400);
    assert_error_shape(&body, 400, "/api/sandbox");
    assert!(body["message"].as_str().unwrap().contains("must be one of the following values"), "{body}");
    let (status, _) = api.json(Method::GET, "/api/sandbox?labels=not-json").await;
    assert_eq!(status, 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn volumes_are_created_become_ready_are_mounted_and_deleted() {
    let api = Api::start(DaytonaConfig::default()).await;
    // The SDK's `volume.create(name)` and `volume.get(name)`.
    let (status, created) =
        split(api.sdk(Method::POST, "/api/volumes").json(&json!({"name": "proof-bundle"})).send().await.unwrap()).await;
    assert_eq!(status, 200, "{created}");
    for field in ["id", "name", "organizationId", "state", "createdAt", "updatedAt"] {
        assert!(!created[field].is_null(), "missing {field}: {created}");
    }
    assert_eq!(created["state"], "pending_create");
    let id = created["id"].as_str().unwrap().to_string();
    let (status, dup) =
        split(api.sdk(Method::POST, "/api/volumes").json(&json!({"name": "proof-bundle"})).send().await.unwrap()).await;
    assert_eq!(status, 400);
    assert_error_shape(&dup, 400, "/api/volumes");
    // Mounting it before it is ready is refused, as validateVolumes does.
    let mount = json!({"volumes": [{"volumeId": id, "mountPath": "/home/daytona/proof"}]});
    let (status, body) = split(api.sdk(Method::POST, "/api/sandbox").json(&mount).send().await.unwrap()).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["message"].as_str().unwrap().contains("is not in a ready state"), "{body}");
    let mut ready = Value::Null;
    for _ in 0..100 {
        let (_, v) = api.json(Method::GET, "/api/volumes/by-name/proof-bundle").await;
        if v["state"] == "ready" {
            ready = v;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(ready["id"], id.as_str(), "the volume became ready: {ready}");
    let (status, sandbox) = split(api.sdk(Method::POST, "/api/sandbox").json(&mount).send().await.unwrap()).await;
    assert_eq!(status, 200, "{sandbox}");
    assert_eq!(sandbox["volumes"][0]["volumeId"], id.as_str());
    let missing = json!({"volumes": [{"volumeId": "no-such-volume", "mountPath": "/x"}]});
    let (status, _) = split(api.sdk(Method::POST, "/api/sandbox").json(&missing).send().await.unwrap()).await;
    assert_eq!(status, 404);
    // In use by a live sandbox: 409; once the sandbox is destroyed, deletion proceeds.
    let (status, body) = api.json(Method::DELETE, &format!("/api/volumes/{id}")).await;
    assert_eq!(status, 409, "{body}");
    let sandbox_id = sandbox["id"].as_str().unwrap();
    api.json(Method::DELETE, &format!("/api/sandbox/{sandbox_id}")).await;
    let (status, _) = api.json(Method::DELETE, &format!("/api/volumes/{id}")).await;
    assert_eq!(status, 200);
    let (_, v) = api.json(Method::GET, &format!("/api/volumes/{id}")).await;
    assert_eq!(v["state"], "pending_delete");
    let (_, list) = api.json(Method::GET, "/api/volumes").await;
    assert_eq!(list.as_array().unwrap().len(), 1, "not yet deleted: {list}");
    let (status, missing) = api.json(Method::GET, "/api/volumes/vol-ffffffff").await;
    assert_eq!(status, 404);
    assert_error_shape(&missing, 404, "/api/volumes/vol-ffffffff");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_volume_quota_is_403() {
    let api = Api::start(DaytonaConfig { volume_quota: 1, ..DaytonaConfig::default() }).await;
    let (status, _) = split(api.sdk(Method::POST, "/api/volumes").json(&json!({})).send().await.unwrap()).await;
    assert_eq!(status, 200);
    let (status, body) = split(api.sdk(Method::POST, "/api/volumes").json(&json!({})).send().await.unwrap()).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["message"], "Volume quota exceeded. Maximum allowed: 1");
}

/// `process/execute` runs ordinary commands against the sandbox's files (the
/// file API sees what they wrote); a session keeps its working folder; a
/// program the sandbox lacks is 127.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ordinary_commands_run_against_the_files_the_file_api_serves() {
    let api = Api::start(DaytonaConfig::default()).await;
    let (_, created) = split(api.sdk(Method::POST, "/api/sandbox").json(&json!({})).send().await.unwrap()).await;
    let id = created["id"].as_str().unwrap().to_string();
    api.wait_for(&id, "started").await;
    let exec = |command: &str, cwd: Option<&str>| {
        let body = json!({"command": command, "cwd": cwd, "envs": {"WHO": "squad"}});
        api.sdk(Method::POST, &format!("/toolbox/{id}/process/execute")).json(&body).send()
    };
    let (_, r) =
        split(exec("mkdir -p app && echo \"hi $WHO\" > app/a.txt && cat app/a.txt", None).await.unwrap()).await;
    assert_eq!(r, json!({"exitCode": 0, "result": "hi squad\n"}));
    let (_, r) = split(exec("ls && pwd", Some("app")).await.unwrap()).await;
    assert_eq!(r["result"], "a.txt\n/home/daytona/app\n");
    let (_, r) = split(exec("node -v", None).await.unwrap()).await;
    assert_eq!(r, json!({"exitCode": 127, "result": "sh: 1: node: not found\n"}));

    let download = api.sdk(Method::GET, &format!("/toolbox/{id}/files/download?path=app/a.txt")).send().await.unwrap();
    assert_eq!(download.text().await.unwrap(), "hi squad\n");
    let (status, info) = api.json(Method::GET, &format!("/toolbox/{id}/files/info?path=/home/daytona/app")).await;
    assert_eq!((status, &info["isDir"], &info["name"]), (200, &json!(true), &json!("app")));
    let (_, found) = api.json(Method::GET, &format!("/toolbox/{id}/files/find?path=app&pattern=squad")).await;
    assert_eq!(found, json!([{"file": "/home/daytona/app/a.txt", "line": 1, "content": "hi squad"}]));
    let replace = json!({"files": ["app/a.txt", "app/missing.txt"], "pattern": "squad", "newValue": "team"});
    let r = api.sdk(Method::POST, &format!("/toolbox/{id}/files/replace")).json(&replace).send().await.unwrap();
    let (_, replaced) = split(r).await;
    assert_eq!(replaced[0], json!({"file": "app/a.txt", "success": true}));
    assert_eq!(replaced[1]["success"], false);
    let (_, r) = split(exec("cat a.txt", Some("app")).await.unwrap()).await;
    assert_eq!(r["result"], "hi team\n");

    let toolbox = format!("/toolbox/{id}/process/session");
    api.sdk(Method::POST, &toolbox).json(&json!({"sessionId": "s"})).send().await.unwrap();
    for (command, want) in [("cd app", ""), ("export N=2", ""), ("pwd; echo $N", "/home/daytona/app\n2\n")] {
        let r = api.sdk(Method::POST, &format!("{toolbox}/s/exec")).json(&json!({"command": command})).send().await;
        let (_, out) = split(r.unwrap()).await;
        assert_eq!((out["exitCode"].as_i64(), out["output"].as_str()), (Some(0), Some(want)), "{command}");
    }
}

/// A launched process that prints the sandbox and environment it was given.
struct PrintsItsEnvironment;

impl ProcessLauncher for PrintsItsEnvironment {
    fn launch(&self, spec: ProcessSpec, output: ProcessOutput) {
        let env: Vec<String> = spec.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
        output.println(&format!("{} {}", spec.sandbox_id, env.join(" ")));
        output.exit(0);
    }
}

/// Every toolbox command sees the variables the sandbox was created with: the
/// built-in shell (with `process/execute`'s `envs` over them) and a launched
/// process (the sandbox's alone), on `process/execute` and in a session; a
/// toolbox call on an unknown sandbox is 404, on a stopped one 400.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn toolbox_commands_see_the_variables_the_sandbox_was_created_with() {
    let api = Api::start_with(DaytonaConfig::default(), Arc::new(PrintsItsEnvironment)).await;
    let body = json!({"env": {"GREETING": "hi", "WHO": "sandbox"}});
    let (_, created) = split(api.sdk(Method::POST, "/api/sandbox").json(&body).send().await.unwrap()).await;
    let id = created["id"].as_str().unwrap().to_string();
    api.wait_for(&id, "started").await;
    let execute = format!("/toolbox/{id}/process/execute");
    for (command, want) in [
        ("echo $GREETING $WHO $EXTRA", "hi request x\n".to_string()),
        ("agent-cli run", format!("{id} GREETING=hi WHO=sandbox\n")),
    ] {
        let body = json!({"command": command, "envs": {"WHO": "request", "EXTRA": "x"}});
        let (status, r) = split(api.sdk(Method::POST, &execute).json(&body).send().await.unwrap()).await;
        assert_eq!((status, r), (200, json!({"exitCode": 0, "result": want})), "{command}");
    }
    let session = format!("/toolbox/{id}/process/session");
    api.sdk(Method::POST, &session).json(&json!({"sessionId": "s"})).send().await.unwrap();
    for (command, want) in [
        ("echo $GREETING $WHO", "hi sandbox\n".to_string()),
        ("export WHO=session", String::new()),
        ("echo $WHO", "session\n".to_string()),
        ("agent-cli run", format!("{id} GREETING=hi WHO=sandbox\n")),
    ] {
        let r = api.sdk(Method::POST, &format!("{session}/s/exec")).json(&json!({"command": command})).send().await;
        let (_, out) = split(r.unwrap()).await;
        assert_eq!((out["exitCode"].as_i64(), out["output"].as_str()), (Some(0), Some(want.as_str())), "{command}");
    }

    let (status, missing) = api.json(Method::GET, "/toolbox/sbx-missing/process/session").await;
    assert_eq!((status, missing["message"].as_str()), (404, Some("Sandbox with ID sbx-missing not found")));
    let (status, _) = api.json(Method::POST, &format!("/api/sandbox/{id}/stop")).await;
    assert_eq!(status, 200);
    let (status, stopped) = api.json(Method::GET, &format!("/toolbox/{id}/process/session")).await;
    assert_eq!((status, stopped["message"].as_str()), (400, Some("Sandbox is not running")));
}

/// Opt-in host execution (`squadsim serve --sandbox-exec local`): the command
/// really runs, in the sandbox's own directory on this machine, with the
/// sandbox's variables; `..` cannot leave that directory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_execution_runs_commands_for_real_in_the_sandbox_directory() {
    let root = std::env::temp_dir().join(format!("squadsim-host-exec-test-{}", std::process::id()));
    let api = Api::start(DaytonaConfig::default()).await;
    api.daytona.execute_on_host(squadsim_fakes::daytona::HostExec::new(&root).expect("root"));
    let (_, created) = split(api.sdk(Method::POST, "/api/sandbox").json(&json!({})).send().await.unwrap()).await;
    let id = created["id"].as_str().unwrap().to_string();
    api.wait_for(&id, "started").await;
    let body = json!({"command": "printf '%s' \"$WHO\" > made.txt; pwd; cat made.txt; ls /nonexistent-squadsim", "envs": {"WHO": "host"}});
    let r = api.sdk(Method::POST, &format!("/toolbox/{id}/process/execute")).json(&body).send().await.unwrap();
    let (_, out) = split(r).await;
    let home = root.join(&id).join("home/daytona");
    let text = out["result"].as_str().unwrap_or_default();
    assert!(text.starts_with(&format!("{}\nhost", home.display())), "{text}");
    assert!(text.contains("nonexistent-squadsim"), "stderr is in the output: {text}");
    assert_ne!(out["exitCode"], 0);
    assert_eq!(std::fs::read_to_string(home.join("made.txt")).unwrap(), "host");
    let escape = json!({"command": "pwd", "cwd": "../../../../.."});
    let r = api.sdk(Method::POST, &format!("/toolbox/{id}/process/execute")).json(&escape).send().await.unwrap();
    let (_, out) = split(r).await;
    assert_eq!(out["result"].as_str().unwrap_or_default().trim_end(), root.join(&id).display().to_string());
    let _ = std::fs::remove_dir_all(&root);
}

/// A file given mode 444 refuses the toolbox's upload over it with 403 (the
/// toolbox runs as the file's owner, not root) and keeps its content; its
/// mode reads back as set.
#[tokio::test]
async fn an_upload_over_a_read_only_file_is_refused_and_changes_nothing() {
    let api = Api::start(DaytonaConfig::default()).await;
    let (_, created) = split(api.sdk(Method::POST, "/api/sandbox").json(&json!({})).send().await.unwrap()).await;
    let id = created["id"].as_str().unwrap().to_string();
    api.wait_for(&id, "started").await;
    let path = "/home/daytona/source-ref/legacy.tgz";
    let upload = |content: &'static str| {
        let body = format!(
            "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"legacy.tgz\"\r\n\r\n{content}\r\n--b--\r\n"
        );
        api.sdk(Method::POST, &format!("/toolbox/{id}/files/upload?path={path}"))
            .header("content-type", "multipart/form-data; boundary=b")
            .body(body)
            .send()
    };
    assert_eq!(upload("v1").await.unwrap().status().as_u16(), 200);
    let (status, _) = api.json(Method::POST, &format!("/toolbox/{id}/files/permissions?path={path}&mode=444")).await;
    assert_eq!(status, 200);
    let (_, info) = api.json(Method::GET, &format!("/toolbox/{id}/files/info?path={path}")).await;
    assert_eq!(info["mode"], "444");
    let refused = upload("v2").await.unwrap();
    assert_eq!(refused.status().as_u16(), 403);
    assert!(refused.text().await.unwrap().contains("permission denied (read-only file)"));
    let download = api.sdk(Method::GET, &format!("/toolbox/{id}/files/download?path={path}")).send().await.unwrap();
    assert_eq!(download.text().await.unwrap(), "v1");
}
