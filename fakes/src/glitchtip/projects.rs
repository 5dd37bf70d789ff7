//! Organizations, projects and their DSN keys: the provisioning API used at
//! scaffolding (`POST /api/0/teams/{org}/{team}/projects/`, then
//! `GET|POST /api/0/projects/{org}/{project}/keys/`). A new project gets one
//! key; a key is a UUID (32 hex) and its DSN is
//! `http://<public key>@host:port/<project id>`. While the
//! provisioning-failure condition is set, both creations answer that 5xx.

use axum::extract::{Path, State as AxState};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::ApiToken;
use super::errors::{Body, GtError};
use super::{GlitchtipFake, Inner, State};
use crate::clock::iso8601_millis;

#[derive(Debug, Clone)]
pub(crate) struct ProjectKey {
    pub label: String,
    pub public: String,
    pub secret: String,
    pub created: u64,
}

#[derive(Debug, Clone)]
pub(crate) struct Project {
    pub id: u64,
    pub organization: String,
    pub team: String,
    pub slug: String,
    pub name: String,
    pub platform: Option<String>,
    pub created: u64,
    pub keys: Vec<ProjectKey>,
    /// Issues numbered per project for `shortId` (`SLUG-1`).
    pub next_short_id: u64,
}

/// Creates a project with one key; `None` if the slug is taken in the org.
pub(crate) fn create(
    state: &mut State,
    org: &str,
    team: &str,
    slug: &str,
    name: &str,
    platform: Option<String>,
    now: u64,
) -> Option<u64> {
    if state.projects.values().any(|p| p.organization == org && p.slug == slug) {
        return None;
    }
    let id = state.next_project_id;
    state.next_project_id += 1;
    let key = ProjectKey {
        label: "Default".into(),
        public: state.ids.uuid_simple(),
        secret: state.ids.uuid_simple(),
        created: now,
    };
    state.projects.insert(
        id,
        Project {
            id,
            organization: org.to_string(),
            team: team.to_string(),
            slug: slug.to_string(),
            name: name.to_string(),
            platform,
            created: now,
            keys: vec![key],
            next_short_id: 1,
        },
    );
    Some(id)
}

/// `http://<key>@host:port/<project id>` on the fake's base URL.
pub(crate) fn dsn(inner: &Inner, project_id: u64, key: &str) -> String {
    let base = inner.config.base_url.trim_end_matches('/');
    let (scheme, host) = base.split_once("://").unwrap_or(("http", base));
    format!("{scheme}://{key}@{host}/{project_id}")
}

fn slugify(name: &str) -> String {
    let mut out = String::new();
    for c in name.trim().to_lowercase().chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

pub(crate) fn organization_json(inner: &Inner, slug: &str) -> Value {
    let orgs = &inner.config.organizations;
    let (idx, org) =
        orgs.iter().enumerate().find(|(_, o)| o.slug == slug).map(|(i, o)| (i, Some(o))).unwrap_or((0, None));
    json!({
        "id": (idx + 1).to_string(),
        "slug": slug,
        "name": org.map(|o| o.name.clone()).unwrap_or_else(|| slug.to_string()),
        "isAcceptingEvents": true,
        "dateCreated": iso8601_millis(0),
    })
}

pub(crate) fn project_json(inner: &Inner, p: &Project) -> Value {
    json!({
        "id": p.id.to_string(),
        "slug": p.slug,
        "name": p.name,
        "platform": p.platform,
        "dateCreated": iso8601_millis(p.created),
        "isMember": true,
        "hasAccess": true,
        "firstEvent": null,
        "organization": organization_json(inner, &p.organization),
        "teams": [{"id": "1", "slug": p.team}],
    })
}

fn key_json(inner: &Inner, p: &Project, k: &ProjectKey) -> Value {
    let base = inner.config.base_url.trim_end_matches('/');
    json!({
        "id": k.public,
        "name": k.label,
        "label": k.label,
        "public": k.public,
        "secret": k.secret,
        "projectId": p.id,
        "isActive": true,
        "rateLimit": null,
        "dateCreated": iso8601_millis(k.created),
        "dsn": {
            "public": dsn(inner, p.id, &k.public),
            "secret": dsn(inner, p.id, &format!("{}:{}", k.public, k.secret)),
            "security": format!("{base}/api/{}/security/?glitchtip_key={}", p.id, k.public),
            "csp": format!("{base}/api/{}/csp-report/?sentry_key={}", p.id, k.public),
        },
    })
}

fn known_org(inner: &Inner, org: &str) -> Result<(), GtError> {
    inner.config.organizations.iter().any(|o| o.slug == org).then_some(()).ok_or_else(GtError::not_found)
}

/// The provisioning-failure condition: its 5xx (503 for a configured code that
/// is not a 5xx), answered in plain text with the status's reason phrase.
struct ProvisioningFailure(StatusCode);

impl IntoResponse for ProvisioningFailure {
    fn into_response(self) -> Response {
        (self.0, self.0.canonical_reason().unwrap_or("Service Unavailable")).into_response()
    }
}

fn provisioning_check(state: &State) -> Result<(), ProvisioningFailure> {
    match state.provisioning_failure {
        Some(code) => Err(ProvisioningFailure(
            StatusCode::from_u16(code)
                .ok()
                .filter(StatusCode::is_server_error)
                .unwrap_or(StatusCode::SERVICE_UNAVAILABLE),
        )),
        None => Ok(()),
    }
}

/// `GET /api/0/organizations/`
pub(crate) async fn list_organizations(AxState(fake): AxState<GlitchtipFake>, _: ApiToken) -> Json<Value> {
    let inner = &fake.inner;
    Json(Value::Array(inner.config.organizations.iter().map(|o| organization_json(inner, &o.slug)).collect()))
}

/// `GET /api/0/organizations/{org}/`
pub(crate) async fn get_organization(
    AxState(fake): AxState<GlitchtipFake>,
    _: ApiToken,
    Path(org): Path<String>,
) -> Result<Json<Value>, GtError> {
    known_org(&fake.inner, &org)?;
    Ok(Json(organization_json(&fake.inner, &org)))
}

/// `GET /api/0/projects/`: every project of every organization, by id.
pub(crate) async fn list_all_projects(AxState(fake): AxState<GlitchtipFake>, _: ApiToken) -> Json<Value> {
    let state = fake.lock();
    Json(Value::Array(state.projects.values().map(|p| project_json(&fake.inner, p)).collect()))
}

/// `GET /api/0/organizations/{org}/projects/`
pub(crate) async fn list_projects(
    AxState(fake): AxState<GlitchtipFake>,
    _: ApiToken,
    Path(org): Path<String>,
) -> Result<Json<Value>, GtError> {
    known_org(&fake.inner, &org)?;
    let state = fake.lock();
    let list =
        state.projects.values().filter(|p| p.organization == org).map(|p| project_json(&fake.inner, p)).collect();
    Ok(Json(Value::Array(list)))
}

#[derive(Deserialize)]
pub(crate) struct NewProject {
    name: String,
    slug: Option<String>,
    platform: Option<String>,
}

/// `POST /api/0/teams/{org}/{team}/projects/ {name, slug?, platform?}` -> 201.
pub(crate) async fn create_project(
    AxState(fake): AxState<GlitchtipFake>,
    _: ApiToken,
    Path((org, team)): Path<(String, String)>,
    body: Body<NewProject>,
) -> Result<Response, Response> {
    let inner = &fake.inner;
    let org_cfg = inner.config.organizations.iter().find(|o| o.slug == org);
    if !org_cfg.is_some_and(|o| o.teams.contains(&team)) {
        return Err(GtError::not_found().into_response());
    }
    let mut state = fake.lock();
    provisioning_check(&state).map_err(IntoResponse::into_response)?;
    let req = body.0.map_err(IntoResponse::into_response)?;
    let slug = slugify(req.slug.as_deref().unwrap_or(&req.name));
    if slug.is_empty() {
        return Err(GtError::validation("name", "Name must contain a letter or digit").into_response());
    }
    let now = inner.clock.now_unix();
    let id = create(&mut state, &org, &team, &slug, req.name.trim(), req.platform, now).ok_or_else(|| {
        GtError::new(StatusCode::CONFLICT, "A project with this slug already exists.").into_response()
    })?;
    let body = project_json(inner, &state.projects[&id]);
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

pub(crate) fn find_project<'a>(state: &'a State, org: &str, slug: &str) -> Result<&'a Project, GtError> {
    state.projects.values().find(|p| p.organization == org && p.slug == slug).ok_or_else(GtError::not_found)
}

/// `GET /api/0/projects/{org}/{project}/`
pub(crate) async fn get_project(
    AxState(fake): AxState<GlitchtipFake>,
    _: ApiToken,
    Path((org, slug)): Path<(String, String)>,
) -> Result<Json<Value>, GtError> {
    let state = fake.lock();
    Ok(Json(project_json(&fake.inner, find_project(&state, &org, &slug)?)))
}

/// `GET /api/0/projects/{org}/{project}/keys/`
pub(crate) async fn list_keys(
    AxState(fake): AxState<GlitchtipFake>,
    _: ApiToken,
    Path((org, slug)): Path<(String, String)>,
) -> Result<Json<Value>, GtError> {
    let state = fake.lock();
    let p = find_project(&state, &org, &slug)?;
    Ok(Json(Value::Array(p.keys.iter().map(|k| key_json(&fake.inner, p, k)).collect())))
}

#[derive(Deserialize, Default)]
pub(crate) struct NewKey {
    name: Option<String>,
}

/// `POST /api/0/projects/{org}/{project}/keys/ {name?}` -> 201.
pub(crate) async fn create_key(
    AxState(fake): AxState<GlitchtipFake>,
    _: ApiToken,
    Path((org, slug)): Path<(String, String)>,
    body: Body<NewKey>,
) -> Result<Response, Response> {
    let inner = &fake.inner;
    let mut state = fake.lock();
    let id = find_project(&state, &org, &slug).map_err(IntoResponse::into_response)?.id;
    provisioning_check(&state).map_err(IntoResponse::into_response)?;
    let req = match body.0 {
        Ok(r) => r,
        Err(e) if e.status == StatusCode::BAD_REQUEST => NewKey::default(),
        Err(e) => return Err(e.into_response()),
    };
    let key = ProjectKey {
        label: req.name.unwrap_or_else(|| "Default".into()),
        public: state.ids.uuid_simple(),
        secret: state.ids.uuid_simple(),
        created: inner.clock.now_unix(),
    };
    let p = state.projects.get_mut(&id).ok_or_else(|| GtError::not_found().into_response())?;
    p.keys.push(key);
    let body = p.keys.last().map(|k| key_json(inner, p, k)).unwrap_or(Value::Null);
    Ok((StatusCode::CREATED, Json(body)).into_response())
}
