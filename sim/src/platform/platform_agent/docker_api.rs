//! The Docker Engine API on the execution workspace's host, the one call seed
//! 003's rollback makes ("removed the container"): `DELETE
//! /containers/{name}` (optionally under a `/v1.NN` version prefix).
//!
//! Guarantees, as the Docker Engine API answers: an unknown container is 404
//! `{"message": "No such container: <name>"}`; a running container without
//! `force=true` (or `force=1`) is 409; otherwise the container stops serving at
//! once (its port refuses new connections, and a request on a connection still
//! open is reset) and the answer is 204 with no body.

use std::collections::BTreeMap;
use std::io::ErrorKind;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::delete;
use axum::{Json, Router};
use bytes::Bytes;
use serde_json::json;
use tokio::task::AbortHandle;

use super::agent_container::{log_line, observe, Observations};

/// The port the Docker Engine API listens on (dockerd's unencrypted TCP port).
pub const DOCKER_API_PORT: u16 = 2375;

/// A running container: its server's task, and the flag that resets its open
/// connections once it is removed.
#[derive(Debug)]
struct Running {
    server: AbortHandle,
    removed: Arc<AtomicBool>,
}

/// The containers running on one host, by name.
#[derive(Debug, Clone, Default)]
pub(crate) struct Containers(Arc<Mutex<BTreeMap<String, Running>>>);

/// `router` as a container serves it: once `removed` is set, every request on a
/// connection still open is reset (the container's processes are gone).
pub(crate) fn removable(router: Router) -> (Router, Arc<AtomicBool>) {
    let removed = Arc::new(AtomicBool::new(false));
    (router.layer(axum::middleware::from_fn_with_state(removed.clone(), reset_when_removed)), removed)
}

async fn reset_when_removed(State(removed): State<Arc<AtomicBool>>, request: Request, next: Next) -> Response {
    if removed.load(Ordering::SeqCst) {
        let reset = futures::stream::once(async { Err::<Bytes, _>(std::io::Error::from(ErrorKind::ConnectionReset)) });
        return Response::new(Body::from_stream(reset));
    }
    next.run(request).await
}

impl Containers {
    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, Running>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records that `name` runs, served by the task behind `server`, made [`removable`] with `removed`.
    pub(crate) fn started(&self, name: &str, server: AbortHandle, removed: Arc<AtomicBool>) {
        self.lock().insert(name.to_string(), Running { server, removed });
    }

    /// The Docker Engine API over these containers, logging to `obs`.
    pub(crate) fn router(&self, obs: Observations) -> Router {
        let remove = |uri: Uri, state: State<(Containers, Observations)>, Path(name): Path<String>| async move {
            remove_container(state, name, uri).await
        };
        let versioned =
            |uri: Uri, state: State<(Containers, Observations)>, Path((_, name)): Path<(String, String)>| async move {
                remove_container(state, name, uri).await
            };
        Router::new()
            .route("/containers/{name}", delete(remove))
            .route("/{version}/containers/{name}", delete(versioned))
            .with_state((self.clone(), obs))
    }
}

async fn remove_container(
    State((containers, obs)): State<(Containers, Observations)>,
    name: String,
    uri: Uri,
) -> Response {
    let force = uri.query().unwrap_or_default().split('&').any(|kv| kv == "force=true" || kv == "force=1");
    let mut running = containers.lock();
    let Some(container) = running.get(&name) else {
        let message = format!("No such container: {name}");
        return (StatusCode::NOT_FOUND, Json(json!({ "message": message }))).into_response();
    };
    if !force {
        let message = format!(
            "cannot remove container \"/{name}\": container is running: stop the container before removing or force remove"
        );
        return (StatusCode::CONFLICT, Json(json!({ "message": message }))).into_response();
    }
    container.server.abort();
    container.removed.store(true, Ordering::SeqCst);
    running.remove(&name);
    drop(running);
    observe(&obs).container_removed = true;
    log_line(&obs, "dockerd", format!("container {name} removed (force)"));
    StatusCode::NO_CONTENT.into_response()
}
