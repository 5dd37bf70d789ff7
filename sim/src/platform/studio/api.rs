//! The Studio route table. The router and `/openapi.json` are both generated from
//! [`operations`], so the published endpoint list cannot drift from what is served.
//!
//! Auth is the edge's Pomerium claim headers, not a bearer token (`docs/seeds.md`, runbook):
//! missing `x-pomerium-claim-email` -> 401; groups without
//! `/org/platform/roles/super_admin` -> 403. Errors use FastAPI's `{"detail": …}`.

use std::sync::Arc;

use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, MethodRouter};
use axum::{Json, Router};
use serde_json::{json, Map, Value};

use super::{provisioning, read_model, run_control, Studio};

pub const ADMIN_PREFIX: &str = "/v1/admin/studio";
/// The Portal's run routes (model-defined: the seeds name the Portal as an operator surface, not its paths).
pub const PORTAL_PREFIX: &str = "/v1/portal";
pub const SUPER_ADMIN_GROUP: &str = "/org/platform/roles/super_admin";

/// One documented endpoint.
pub struct Operation {
    pub method: Method,
    /// Path in OpenAPI/axum form (`{run_id}`).
    pub path: String,
    pub summary: &'static str,
    /// Behind the Pomerium claim check.
    pub admin: bool,
    /// Takes the `tenant_id` query.
    pub tenant: bool,
    handler: MethodRouter<Arc<Studio>>,
}

fn op(
    method: Method,
    path: &str,
    summary: &'static str,
    admin: bool,
    tenant: bool,
    handler: MethodRouter<Arc<Studio>>,
) -> Operation {
    let path = if admin { format!("{ADMIN_PREFIX}{path}") } else { path.to_string() };
    Operation { method, path, summary, admin, tenant, handler }
}

/// Every endpoint the Studio serves (the runbook's table, plus health and the spec).
pub fn operations() -> Vec<Operation> {
    let run = "/runs/{run_id}";
    vec![
        op(Method::GET, "/healthz", "Health", false, false, get(healthz)),
        op(Method::GET, "/openapi.json", "The authoritative endpoint list", false, false, get(openapi_json)),
        op(Method::GET, "/templates", "List delivery graph templates", true, false, get(read_model::templates)),
        op(Method::POST, "/runs", "Launch a run", true, false, axum::routing::post(provisioning::launch)),
        op(Method::GET, run, "Get run", true, true, get(read_model::get_run)),
        op(
            Method::POST,
            &format!("{run}/execute"),
            "Execute (tick agents)",
            true,
            true,
            axum::routing::post(run_control::execute),
        ),
        op(
            Method::GET,
            &format!("{run}/session-state"),
            "Session state (observe)",
            true,
            true,
            get(read_model::session_state),
        ),
        op(Method::GET, &format!("{run}/reports"), "Reports (per tick, a list)", true, true, get(read_model::reports)),
        op(Method::GET, &format!("{run}/handoff-trail"), "Handoff trail", true, true, get(read_model::handoff_trail)),
        op(Method::POST, &format!("{run}/cleanup"), "Cleanup", true, true, axum::routing::post(run_control::cleanup)),
        op(
            Method::POST,
            &format!("{run}/control"),
            "Run control",
            true,
            true,
            axum::routing::post(run_control::control),
        ),
        op(Method::POST, &format!("{run}/replay"), "Replay", true, true, axum::routing::post(run_control::replay)),
        // Behind the same claim check, outside the admin prefix.
        Operation {
            method: Method::POST,
            path: format!("{PORTAL_PREFIX}{run}/control"),
            summary: "Run control from the Portal (model-defined path)",
            admin: true,
            tenant: true,
            handler: axum::routing::post(run_control::portal_control),
        },
    ]
}

/// The OpenAPI 3.1 document of [`operations`].
pub fn openapi() -> Value {
    let mut paths: Map<String, Value> = Map::new();
    for o in operations() {
        let mut parameters = Vec::new();
        for segment in o.path.split('/') {
            if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                parameters.push(json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}));
            }
        }
        if o.tenant {
            parameters
                .push(json!({"name": "tenant_id", "in": "query", "required": true, "schema": {"type": "string"}}));
        }
        let mut operation = json!({
            "summary": o.summary,
            "operationId": format!("{}_{}", o.method.as_str().to_lowercase(), o.path.trim_matches('/').replace(['/', '{', '}', '-', '.'], "_")),
            "parameters": parameters,
            "responses": {"200": {"description": "Successful Response"}},
        });
        if o.admin {
            operation["responses"]["401"] = json!({"description": "Missing Pomerium claim headers"});
            operation["responses"]["403"] = json!({"description": "Not a super admin"});
        }
        let entry = paths.entry(o.path.clone()).or_insert_with(|| json!({}));
        entry[o.method.as_str().to_lowercase()] = operation;
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "fractalops-api", "version": "squadsim"},
        "paths": paths,
    })
}

async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

async fn openapi_json() -> Json<Value> {
    Json(openapi())
}

/// A FastAPI-style error.
pub fn detail(status: StatusCode, detail: impl Into<Value>) -> Response {
    (status, Json(json!({"detail": detail.into()}))).into_response()
}

/// FastAPI's 422 for a missing or invalid field, each error as pydantic v2
/// reports it: `type`, `loc`, `msg` and the `input` it validated (`null` for a
/// missing query parameter, the received object for a missing body field, the
/// value itself for an invalid one).
pub fn validation_error(location: &[&str], kind: &str, msg: &str, input: Value) -> Response {
    detail(StatusCode::UNPROCESSABLE_ENTITY, json!([{"type": kind, "loc": location, "msg": msg, "input": input}]))
}

/// The 422 for a JSON body serde refused: a missing field is pydantic's
/// `missing` ("Field required", with the received object as its input), any
/// other problem a `value_error` on the field serde names (with its value).
pub(crate) fn body_error(body: &[u8], error: &serde_json::Error) -> Response {
    let received: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let text = error.to_string();
    let field = text.split('`').nth(1).unwrap_or("body");
    if text.starts_with("missing field") {
        return validation_error(&["body", field], "missing", "Field required", received);
    }
    let input = received.get(field).cloned().unwrap_or(received);
    validation_error(&["body", field], "value_error", &text, input)
}

async fn require_super_admin(request: Request, next: Next) -> Response {
    let headers = request.headers();
    let email = headers.get("x-pomerium-claim-email").and_then(|v| v.to_str().ok()).filter(|e| !e.trim().is_empty());
    if email.is_none() {
        return detail(StatusCode::UNAUTHORIZED, "Not authenticated: missing x-pomerium-claim-email");
    }
    let groups = headers.get("x-pomerium-claim-groups").and_then(|v| v.to_str().ok()).unwrap_or_default();
    // Pomerium sends a claim array as a comma-separated value.
    if !groups.split(',').any(|g| g.trim() == SUPER_ADMIN_GROUP) {
        return detail(StatusCode::FORBIDDEN, format!("Forbidden: requires {SUPER_ADMIN_GROUP}"));
    }
    next.run(request).await
}

/// The Studio router.
pub fn router(studio: Arc<Studio>) -> Router {
    let mut public = Router::new();
    let mut admin = Router::new();
    for o in operations() {
        if o.admin {
            admin = admin.route(&o.path, o.handler);
        } else {
            public = public.route(&o.path, o.handler);
        }
    }
    public
        .merge(admin.route_layer(middleware::from_fn(require_super_admin)))
        .fallback(|| async { detail(StatusCode::NOT_FOUND, "Not Found") })
        .method_not_allowed_fallback(|| async { detail(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed") })
        .with_state(studio)
}

/// The `tenant_id` query of run endpoints: missing -> 422, unknown -> 404.
pub struct Tenant(pub String);

/// The optional `tenant_id` query of a launch (the runbook's launch sends none):
/// absent -> the deployment's default tenant, unknown -> 404.
pub struct LaunchTenant(pub String);

fn tenant_query(parts: &Parts) -> Option<String> {
    parts.uri.query().unwrap_or_default().split('&').find_map(|kv| kv.strip_prefix("tenant_id=")).map(str::to_string)
}

fn unknown_tenant(studio: &Studio, tenant: &str) -> Response {
    detail(
        StatusCode::NOT_FOUND,
        format!("Unknown tenant '{tenant}': known tenants are {}", studio.config.tenants.join(", ")),
    )
}

impl FromRequestParts<Arc<Studio>> for LaunchTenant {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, studio: &Arc<Studio>) -> Result<Self, Self::Rejection> {
        match tenant_query(parts) {
            None => studio.config.tenants.first().cloned().map(LaunchTenant).ok_or_else(|| unknown_tenant(studio, "")),
            Some(t) if studio.config.tenants.contains(&t) => Ok(LaunchTenant(t)),
            Some(t) => Err(unknown_tenant(studio, &t)),
        }
    }
}

impl FromRequestParts<Arc<Studio>> for Tenant {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, studio: &Arc<Studio>) -> Result<Self, Self::Rejection> {
        match tenant_query(parts) {
            None => Err(validation_error(&["query", "tenant_id"], "missing", "Field required", Value::Null)),
            Some(t) if !studio.config.tenants.contains(&t) => Err(unknown_tenant(studio, &t)),
            Some(t) => Ok(Tenant(t)),
        }
    }
}
