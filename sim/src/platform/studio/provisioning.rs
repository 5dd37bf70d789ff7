//! Launch: `POST /v1/admin/studio/runs`.
//!
//! Provisioning waits for the project to be in the catalogue (polling once a
//! second, with no deadline of its own) and then binds each intake agent's
//! named identity through Microsoft Graph (`identity_binding`), in turn. A wrong slug therefore makes the launch hang until the
//! operator's client gives up: the runbook's "HTTP 000 / timeout". Nothing here
//! special-cases a wrong slug.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use squadsim_fakes::net::{HttpError, HttpRequest};

use super::api::{body_error, detail, validation_error, LaunchTenant};
use super::identity_binding;
use super::read_model::run_view;
use super::scaffolding;
use super::wire::{LaunchRequest, DELIVERY_GRAPH_KIND_FIELD};
use super::{Run, Studio};
use crate::base::templates;

/// How often provisioning looks for the project.
const PROJECT_POLL: Duration = Duration::from_secs(1);

pub(crate) async fn launch(
    State(studio): State<Arc<Studio>>,
    LaunchTenant(tenant_id): LaunchTenant,
    body: Bytes,
) -> Response {
    let request: LaunchRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return body_error(&body, &e),
    };
    let Some(template) = templates::find(&request.template_id) else {
        return detail(StatusCode::NOT_FOUND, format!("Unknown template '{}'", request.template_id));
    };
    if !templates::DELIVERY_GRAPH_KINDS.contains(&request.delivery_graph_kind.as_str()) {
        let msg = format!("Input should be one of {}", templates::DELIVERY_GRAPH_KINDS.join(", "));
        let input = serde_json::Value::String(request.delivery_graph_kind.clone());
        return validation_error(&["body", DELIVERY_GRAPH_KIND_FIELD], "enum", &msg, input);
    }
    let bootstrap_assets = match request.bootstrap_assets() {
        Ok(assets) => assets,
        Err(e) => {
            let loc: Vec<&str> = std::iter::once("body").chain(e.loc.iter().map(String::as_str)).collect();
            return validation_error(&loc, e.kind, &e.msg, e.input);
        }
    };
    let project = wait_for_project(&studio, &request.project_slug).await;
    // Scaffolding's DSN provisioning is fail-open: it runs beside the launch, never in front of it.
    let dsn_provisioning = scaffolding::start(studio.clone(), project.slug.clone());
    let run_id = studio.new_id("run");
    let mut sessions = Vec::new();
    // The intake pair's named-agent identities, bound in turn through Microsoft
    // Graph: what most of the runbook's ~6 s launch is. An identity that cannot
    // be bound fails the launch, as an Agent Server that cannot open the thread does.
    for agent_id in template.intake_roles {
        if let Err(e) = identity_binding::bind(&studio, templates::role_of(agent_id)).await {
            return detail(StatusCode::SERVICE_UNAVAILABLE, format!("Microsoft Graph identity binding failed: {e}"));
        }
        sessions.push(studio.new_session(&run_id, agent_id));
    }
    // Loadouts resolve against the gateway's catalogue: wait for the Armory's registrations.
    while !studio.armory_ready() {
        squadsim_fakes::timer::sleep(PROJECT_POLL).await;
    }
    let roster: Vec<String> = sessions.iter().map(|s| s.agent_id.clone()).collect();
    if let Err(e) = open_thread(&studio, &run_id, template.template_id, &roster).await {
        return detail(StatusCode::SERVICE_UNAVAILABLE, format!("LangGraph Agent Server unavailable: {e}"));
    }
    let mut run = Run {
        delivery_graph_kind: request.delivery_graph_kind,
        work_scope: request.work_scope,
        next_goal: request.next_goal,
        sessions: sessions.into_iter().collect(),
        bootstrap_assets,
        ..Run::blank(&run_id, &tenant_id, &request.template_id, &project.slug, &project.code)
    };
    run.record("run:launched", format!("roster {}", template.intake_roles.join(", ")));
    let view = run_view(&run);
    studio.insert_run(run);
    scaffolding::record(studio.clone(), run_id.clone(), dsn_provisioning);
    (StatusCode::OK, Json(view)).into_response()
}

/// Why the run's delivery thread could not be opened on the LangGraph Agent Server.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ThreadNotOpened {
    /// The agent server answered with an error status.
    Refused { status: u16 },
    /// The agent server gave no answer.
    NoAnswer(HttpError),
}

impl std::fmt::Display for ThreadNotOpened {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ThreadNotOpened::Refused { status } => write!(f, "HTTP {status}"),
            ThreadNotOpened::NoAnswer(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for ThreadNotOpened {}

/// Creates the run's delivery thread on the LangGraph Agent Server for the
/// template's graph (`metadata.graph_id`), with the intake roster.
async fn open_thread(studio: &Studio, run_id: &str, graph_id: &str, roster: &[String]) -> Result<(), ThreadNotOpened> {
    let base = &studio.config.agent_server_url;
    let create = HttpRequest::post(format!("{base}/threads"))
        .json(&json!({"thread_id": run_id, "metadata": {"graph": "delivery", "graph_id": graph_id}}));
    let intake = HttpRequest::post(format!("{base}/threads/{run_id}/state"))
        .json(&json!({"as_node": "intake", "values": {"roster": roster}}));
    for request in [create, intake] {
        match studio.http.send(request).await {
            Ok(r) if r.status.is_success() => {}
            Ok(r) => return Err(ThreadNotOpened::Refused { status: r.status.as_u16() }),
            Err(e) => return Err(ThreadNotOpened::NoAnswer(e)),
        }
    }
    Ok(())
}

/// Waits until the project is in the catalogue. There is no deadline here: the
/// caller's own timeout is what ends a wait for a project that never appears.
async fn wait_for_project(studio: &Studio, slug: &str) -> crate::scenario::ProjectCondition {
    loop {
        if let Some(p) = studio.project(slug) {
            return p;
        }
        squadsim_fakes::timer::sleep(PROJECT_POLL).await;
    }
}
