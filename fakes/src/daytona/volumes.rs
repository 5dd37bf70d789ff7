//! Daytona volumes: `/api/volumes`, the shared storage volumes a sandbox mounts
//! (`volumes: [{volumeId, mountPath}]` in the create body). They are Daytona's
//! own objects, not the Longhorn PVC under a sandbox's workspace ([`super::longhorn`]).
//!
//! As the Daytona API has them (`VolumeController`, `VolumeService`, `VolumeDto`):
//! - `GET /api/volumes?includeDeleted=` -> `[VolumeDto]` (deleted ones only on request);
//! - `POST /api/volumes {name?}` -> 200 `VolumeDto` in `pending_create` (the name defaults
//!   to the id); a live volume of the same name is 400 `Volume with name … already exists`;
//!   more live volumes than the quota is 403 `Volume quota exceeded. Maximum allowed: N`;
//! - `GET /api/volumes/{volumeId}`, `GET /api/volumes/by-name/{name}` (404 when missing);
//! - `DELETE /api/volumes/{volumeId}` -> 200, only from `ready` or `error` (else 400), and
//!   409 while a sandbox that is not destroyed mounts it; the volume then goes
//!   `pending_delete` -> `deleting` -> `deleted`.
//!
//! The volume manager moves a new volume `pending_create` -> `creating` -> `ready`, one
//! step per [`STEP`]. A sandbox create naming a missing volume is 404 `Volume '…' not
//! found`; one that is not ready is 400 `Volume '…' is not in a ready state. Current state: …`.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::sandbox::SandboxState;
use super::{Authorized, Daytona};

/// How long the volume manager takes for each state change.
pub(super) const STEP: Duration = Duration::from_secs(1);

/// `VolumeState` of the Daytona API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SharedVolumeState {
    Creating,
    Ready,
    PendingCreate,
    PendingDelete,
    Deleting,
    Deleted,
    Error,
}

/// One Daytona volume.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SharedVolume {
    pub id: String,
    pub name: String,
    pub state: SharedVolumeState,
    pub created_at: String,
    pub updated_at: String,
}

fn volume_json(d: &Daytona, v: &SharedVolume) -> Value {
    json!({
        "id": v.id,
        "name": v.name,
        "organizationId": d.config.organization_id,
        "state": v.state,
        "createdAt": v.created_at,
        "updatedAt": v.updated_at,
        "lastUsedAt": null,
        "errorReason": null,
    })
}

#[derive(Deserialize, Default)]
struct CreateVolume {
    #[serde(default)]
    name: Option<String>,
}

/// The query parameter `name` of a raw query, every occurrence, decoded.
pub(super) fn query_values(query: Option<&str>, name: &str) -> Vec<String> {
    query
        .unwrap_or_default()
        .split('&')
        .filter_map(|pair| pair.split_once('=').or(Some((pair, ""))))
        .filter(|(k, _)| *k == name)
        .map(|(_, v)| crate::form_urlencoded::percent_decode(v))
        .collect()
}

fn live(v: &SharedVolume) -> bool {
    v.state != SharedVolumeState::Deleted
}

pub(super) async fn list(Authorized { d, .. }: Authorized, query: RawQuery) -> Response {
    let include_deleted = query_values(query.0.as_deref(), "includeDeleted").iter().any(|v| v == "true");
    let state = d.state();
    // Newest first, as the service orders them (createdAt DESC).
    let list: Vec<Value> =
        state.volumes.values().rev().filter(|v| include_deleted || live(v)).map(|v| volume_json(&d, v)).collect();
    Json(Value::Array(list)).into_response()
}

pub(super) async fn create(Authorized { d, path }: Authorized, body: Bytes) -> Response {
    let req: CreateVolume = match serde_json::from_slice(if body.is_empty() { b"{}" } else { &body }) {
        Ok(r) => r,
        Err(e) => return d.error(&path, StatusCode::BAD_REQUEST, &e.to_string()),
    };
    let now = d.now();
    let volume = {
        let mut state = d.state();
        let active = state.volumes.values().filter(|v| live(v)).count();
        if active + 1 > d.config.volume_quota as usize {
            let msg = format!("Volume quota exceeded. Maximum allowed: {}", d.config.volume_quota);
            return d.error(&path, StatusCode::FORBIDDEN, &msg);
        }
        state.next_volume += 1;
        let id = format!("vol-{:08x}", state.next_volume);
        let name = req.name.filter(|n| !n.is_empty()).unwrap_or_else(|| id.clone());
        if state.volumes.values().any(|v| live(v) && v.name == name) {
            let msg = format!("Volume with name {name} already exists");
            return d.error(&path, StatusCode::BAD_REQUEST, &msg);
        }
        let volume = SharedVolume {
            id: id.clone(),
            name,
            state: SharedVolumeState::PendingCreate,
            created_at: now.clone(),
            updated_at: now,
        };
        state.volumes.insert(id, volume.clone());
        volume
    };
    advance(
        d.clone(),
        volume.id.clone(),
        &[
            (SharedVolumeState::PendingCreate, SharedVolumeState::Creating),
            (SharedVolumeState::Creating, SharedVolumeState::Ready),
        ],
    );
    Json(volume_json(&d, &volume)).into_response()
}

/// The volume manager: applies each `(from, to)` step after [`STEP`], while the
/// volume is still in `from`.
fn advance(d: Arc<Daytona>, id: String, steps: &'static [(SharedVolumeState, SharedVolumeState)]) {
    tokio::spawn(async move {
        for (from, to) in steps {
            crate::timer::sleep(STEP).await;
            let now = d.now();
            let mut state = d.state();
            match state.volumes.get_mut(&id) {
                Some(v) if v.state == *from => {
                    v.state = *to;
                    v.updated_at = now;
                }
                _ => return,
            }
        }
    });
}

fn not_found(d: &Daytona, path: &str, what: String) -> Response {
    d.error(path, StatusCode::NOT_FOUND, &what)
}

pub(super) async fn get_one(Authorized { d, path }: Authorized, Path(id): Path<String>) -> Response {
    let found = d.state().volumes.get(&id).cloned();
    match found {
        Some(v) => Json(volume_json(&d, &v)).into_response(),
        None => not_found(&d, &path, format!("Volume with ID {id} not found")),
    }
}

pub(super) async fn by_name(Authorized { d, path }: Authorized, Path(name): Path<String>) -> Response {
    let found = d.state().volumes.values().find(|v| live(v) && v.name == name).cloned();
    match found {
        Some(v) => Json(volume_json(&d, &v)).into_response(),
        None => not_found(&d, &path, format!("Volume with name {name} not found")),
    }
}

pub(super) async fn destroy(Authorized { d, path }: Authorized, Path(id): Path<String>) -> Response {
    let now = d.now();
    {
        let mut state = d.state();
        let Some(v) = state.volumes.get(&id).cloned() else {
            return not_found(&d, &path, format!("Volume with ID {id} not found"));
        };
        if !matches!(v.state, SharedVolumeState::Ready | SharedVolumeState::Error) {
            let msg = "Volume must be in 'ready' or 'error' state in order to be deleted";
            return d.error(&path, StatusCode::BAD_REQUEST, msg);
        }
        let user = state.sandboxes.values().find(|s| {
            s.desired_state != SandboxState::Destroyed
                && s.volumes.iter().any(|m| m.get("volumeId").and_then(Value::as_str) == Some(id.as_str()))
        });
        if let Some(s) = user {
            let msg =
                format!("Volume cannot be deleted because it is in use by one or more sandboxes (e.g. {})", s.name);
            return d.error(&path, StatusCode::CONFLICT, &msg);
        }
        if let Some(v) = state.volumes.get_mut(&id) {
            v.state = SharedVolumeState::PendingDelete;
            v.updated_at = now;
        }
    }
    advance(
        d.clone(),
        id,
        &[
            (SharedVolumeState::PendingDelete, SharedVolumeState::Deleting),
            (SharedVolumeState::Deleting, SharedVolumeState::Deleted),
        ],
    );
    StatusCode::OK.into_response()
}

/// Checks a sandbox create's `volumes` as `VolumeService.validateVolumes` does: each
/// `volumeId` (an id or a name) names a live volume, and every one is ready;
/// Daytona's refusal (status, message) otherwise.
pub(super) fn validate_mounts(d: &Daytona, mounts: &[Value]) -> Result<(), (StatusCode, String)> {
    let state = d.state();
    for mount in mounts {
        let Some(wanted) = mount.get("volumeId").and_then(Value::as_str) else {
            return Err((StatusCode::BAD_REQUEST, "volumes.volumeId must be a string".to_string()));
        };
        let found = state.volumes.values().find(|v| live(v) && (v.id == wanted || v.name == wanted));
        match found {
            None => return Err((StatusCode::NOT_FOUND, format!("Volume '{wanted}' not found"))),
            Some(v) if v.state != SharedVolumeState::Ready => {
                let current = serde_json::to_value(v.state).unwrap_or_default();
                let msg = format!(
                    "Volume '{}' is not in a ready state. Current state: {}",
                    v.name,
                    current.as_str().unwrap_or_default()
                );
                return Err((StatusCode::BAD_REQUEST, msg));
            }
            Some(_) => {}
        }
    }
    Ok(())
}
