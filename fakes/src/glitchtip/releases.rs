//! Releases and deploys as GlitchTip serves them to sentry-cli
//! (`releases new|finalize|list|deploys`): `POST|GET
//! /api/0/organizations/{org}/releases/`, `GET|PUT|DELETE
//! …/releases/{version}/`, `POST|GET …/releases/{version}/deploys/`, and the
//! project-scoped `GET|POST /api/0/projects/{org}/{project}/releases/`.
//!
//! Shapes follow GlitchTip's release schema: `{url, data, deployCount,
//! projects: [{id, name, slug}], version, shortVersion, ref, dateCreated,
//! dateReleased}`. As in GlitchTip, a new release's `dateReleased` defaults to
//! now, creating an existing version adds the projects to it, and a release
//! naming no known project is 422.

use axum::extract::{FromRequestParts, Path, State as AxState};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::ApiToken;
use super::errors::{Body, GtError};
use super::{GlitchtipFake, State};
use crate::clock::{iso8601_millis, unix_from_iso8601};

#[derive(Debug, Clone)]
pub(crate) struct Release {
    pub id: u64,
    pub organization: String,
    pub version: String,
    pub reference: Option<String>,
    pub url: Option<String>,
    pub created: u64,
    pub released: Option<u64>,
    /// Project ids, in the order they were added.
    pub projects: Vec<u64>,
    pub deploys: Vec<Deploy>,
}

#[derive(Debug, Clone)]
pub(crate) struct Deploy {
    pub id: u64,
    pub environment: String,
    pub name: Option<String>,
    pub url: Option<String>,
    pub finished: u64,
}

fn release_json(state: &State, r: &Release) -> Value {
    let projects: Vec<Value> = r
        .projects
        .iter()
        .filter_map(|id| state.projects.get(id))
        .map(|p| json!({"id": p.id.to_string(), "name": p.name, "slug": p.slug}))
        .collect();
    json!({
        "url": r.url,
        "data": {},
        "deployCount": r.deploys.len(),
        "projects": projects,
        "version": r.version,
        "shortVersion": r.version,
        "ref": r.reference,
        "dateCreated": iso8601_millis(r.created),
        "dateReleased": r.released.map(iso8601_millis),
    })
}

fn deploy_json(d: &Deploy) -> Value {
    json!({
        "id": d.id.to_string(),
        "environment": d.environment,
        "name": d.name,
        "url": d.url,
        "dateStarted": null,
        "dateFinished": iso8601_millis(d.finished),
    })
}

fn known_org(fake: &GlitchtipFake, org: &str) -> Result<(), GtError> {
    fake.config().organizations.iter().any(|o| o.slug == org).then_some(()).ok_or_else(GtError::not_found)
}

/// A timestamp as sent in `dateReleased`: UTC RFC 3339 (`Z` or `+00:00`,
/// fractions allowed) -> Unix seconds.
fn parse_time(text: &str) -> Option<u64> {
    let utc = text.strip_suffix("+00:00").map(|t| format!("{t}Z"));
    unix_from_iso8601(utc.as_deref().unwrap_or(text))
}

/// `dateReleased` as GlitchTip reads it: absent means now; `null` means not released.
#[derive(Deserialize, Default)]
pub(crate) struct ReleaseFields {
    #[serde(rename = "ref")]
    reference: Option<String>,
    url: Option<String>,
    #[serde(rename = "dateReleased", default, deserialize_with = "present")]
    released: Option<Option<String>>,
}

fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

impl ReleaseFields {
    fn released(&self, now: u64) -> Result<Option<u64>, GtError> {
        match &self.released {
            None => Ok(Some(now)),
            Some(None) => Ok(None),
            Some(Some(text)) => parse_time(text)
                .map(Some)
                .ok_or_else(|| GtError::validation("dateReleased", "Input should be a valid datetime")),
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct NewRelease {
    version: String,
    #[serde(default)]
    projects: Vec<String>,
    #[serde(flatten)]
    fields: ReleaseFields,
}

/// Creates `version` in `org` (or finds it) and adds `projects`; the release's id.
fn upsert(state: &mut State, org: &str, req: NewRelease, projects: Vec<u64>, now: u64) -> Result<u64, GtError> {
    if req.version.trim().is_empty() {
        return Err(GtError::validation("version", "String should have at least 1 character"));
    }
    let released = req.fields.released(now)?;
    let existing = state.releases.values().find(|r| r.organization == org && r.version == req.version).map(|r| r.id);
    let id = match existing {
        Some(id) => id,
        None => {
            let id = state.releases.keys().next_back().map_or(1, |last| last + 1);
            let release = Release {
                id,
                organization: org.to_string(),
                version: req.version,
                reference: req.fields.reference,
                url: req.fields.url,
                created: now,
                released,
                projects: Vec::new(),
                deploys: Vec::new(),
            };
            state.releases.insert(id, release);
            id
        }
    };
    let release = state.releases.get_mut(&id).ok_or_else(GtError::not_found)?;
    for p in projects {
        if !release.projects.contains(&p) {
            release.projects.push(p);
        }
    }
    Ok(id)
}

/// `POST /api/0/organizations/{org}/releases/ {version, projects, ref?, dateReleased?}` -> 201.
pub(crate) async fn create(
    AxState(fake): AxState<GlitchtipFake>,
    _: ApiToken,
    Path(org): Path<String>,
    body: Body<NewRelease>,
) -> Result<Response, GtError> {
    known_org(&fake, &org)?;
    let req = body.0?;
    let now = fake.inner.clock.now_unix();
    let mut state = fake.lock();
    let projects: Vec<u64> = state
        .projects
        .values()
        .filter(|p| p.organization == org && req.projects.contains(&p.slug))
        .map(|p| p.id)
        .collect();
    if projects.is_empty() {
        return Err(GtError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            detail: json!([{"projects": "Require at least one valid project"}]),
        });
    }
    let id = upsert(&mut state, &org, req, projects, now)?;
    Ok((StatusCode::CREATED, Json(release_json(&state, &state.releases[&id]))).into_response())
}

#[derive(Deserialize)]
pub(crate) struct NewProjectRelease {
    version: String,
    #[serde(flatten)]
    fields: ReleaseFields,
}

/// `POST /api/0/projects/{org}/{project}/releases/ {version, ref?, dateReleased?}` -> 201.
pub(crate) async fn create_for_project(
    AxState(fake): AxState<GlitchtipFake>,
    _: ApiToken,
    Path((org, slug)): Path<(String, String)>,
    body: Body<NewProjectRelease>,
) -> Result<Response, GtError> {
    let req = body.0?;
    let now = fake.inner.clock.now_unix();
    let mut state = fake.lock();
    let project = super::projects::find_project(&state, &org, &slug)?.id;
    let req = NewRelease { version: req.version, projects: Vec::new(), fields: req.fields };
    let id = upsert(&mut state, &org, req, vec![project], now)?;
    Ok((StatusCode::CREATED, Json(release_json(&state, &state.releases[&id]))).into_response())
}

/// The releases of `org` (of one project when given), newest first.
fn listed(state: &State, org: &str, project: Option<u64>) -> Vec<Value> {
    let mut list: Vec<&Release> = state
        .releases
        .values()
        .filter(|r| r.organization == org && project.is_none_or(|p| r.projects.contains(&p)))
        .collect();
    list.sort_by_key(|r| std::cmp::Reverse((r.created, r.id)));
    list.into_iter().map(|r| release_json(state, r)).collect()
}

/// `GET /api/0/organizations/{org}/releases/`
pub(crate) async fn list(
    AxState(fake): AxState<GlitchtipFake>,
    _: ApiToken,
    Path(org): Path<String>,
) -> Result<Json<Value>, GtError> {
    known_org(&fake, &org)?;
    Ok(Json(Value::Array(listed(&fake.lock(), &org, None))))
}

/// `GET /api/0/projects/{org}/{project}/releases/`
pub(crate) async fn list_for_project(
    AxState(fake): AxState<GlitchtipFake>,
    _: ApiToken,
    Path((org, slug)): Path<(String, String)>,
) -> Result<Json<Value>, GtError> {
    let state = fake.lock();
    let project = super::projects::find_project(&state, &org, &slug)?.id;
    Ok(Json(Value::Array(listed(&state, &org, Some(project)))))
}

/// The release a `/api/0/organizations/{org}/releases/{version}/` path names,
/// found before the handler runs: GlitchTip's 401 for a request without a valid
/// API token (checked first), 404 for a version the organization has no release of.
pub(crate) struct ReleaseAt {
    fake: GlitchtipFake,
    id: u64,
}

impl FromRequestParts<GlitchtipFake> for ReleaseAt {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, fake: &GlitchtipFake) -> Result<Self, Response> {
        ApiToken::from_request_parts(parts, fake).await.map_err(IntoResponse::into_response)?;
        let Path((org, version)) =
            Path::<(String, String)>::from_request_parts(parts, fake).await.map_err(IntoResponse::into_response)?;
        let id = fake
            .lock()
            .releases
            .values()
            .find(|r| r.organization == org && r.version == version)
            .map(|r| r.id)
            .ok_or_else(|| GtError::not_found().into_response())?;
        Ok(ReleaseAt { fake: fake.clone(), id })
    }
}

impl ReleaseAt {
    /// Reads the release under the fake's lock; 404 when it was deleted since it was found.
    fn read<T>(&self, read: impl FnOnce(&State, &Release) -> T) -> Result<T, GtError> {
        let state = self.fake.lock();
        let release = state.releases.get(&self.id).ok_or_else(GtError::not_found)?;
        Ok(read(&state, release))
    }

    /// Changes the fake's state for the release with id `id` under its lock; 404
    /// when the release was deleted since it was found.
    fn write<T>(&self, write: impl FnOnce(&mut State, u64) -> Result<T, GtError>) -> Result<T, GtError> {
        let mut state = self.fake.lock();
        if !state.releases.contains_key(&self.id) {
            return Err(GtError::not_found());
        }
        write(&mut state, self.id)
    }
}

/// `GET /api/0/organizations/{org}/releases/{version}/`
pub(crate) async fn get(release: ReleaseAt) -> Result<Json<Value>, GtError> {
    release.read(release_json).map(Json)
}

/// `PUT /api/0/organizations/{org}/releases/{version}/ {ref?, dateReleased?}`
/// (sentry-cli's `finalize` sends `dateReleased`).
pub(crate) async fn update(release: ReleaseAt, body: Body<ReleaseFields>) -> Result<Json<Value>, GtError> {
    let req = body.0?;
    let released = req.released(release.fake.inner.clock.now_unix())?;
    release.write(|state, id| {
        let release = state.releases.get_mut(&id).ok_or_else(GtError::not_found)?;
        if req.reference.is_some() {
            release.reference = req.reference;
        }
        release.released = released;
        Ok(Json(release_json(state, &state.releases[&id])))
    })
}

/// `DELETE /api/0/organizations/{org}/releases/{version}/` -> 204.
pub(crate) async fn delete(release: ReleaseAt) -> Result<StatusCode, GtError> {
    release.write(|state, id| {
        state.releases.remove(&id);
        Ok(StatusCode::NO_CONTENT)
    })
}

#[derive(Deserialize)]
pub(crate) struct NewDeploy {
    environment: String,
    name: Option<String>,
    url: Option<String>,
}

/// `POST /api/0/organizations/{org}/releases/{version}/deploys/ {environment, name?, url?}` -> 201.
pub(crate) async fn create_deploy(release: ReleaseAt, body: Body<NewDeploy>) -> Result<Response, GtError> {
    let req = body.0?;
    let now = release.fake.inner.clock.now_unix();
    release.write(|state, id| {
        let deploy_id = state.releases.values().map(|r| r.deploys.len() as u64).sum::<u64>() + 1;
        let deploy =
            Deploy { id: deploy_id, environment: req.environment, name: req.name, url: req.url, finished: now };
        let out = deploy_json(&deploy);
        state.releases.get_mut(&id).ok_or_else(GtError::not_found)?.deploys.push(deploy);
        Ok((StatusCode::CREATED, Json(out)).into_response())
    })
}

/// `GET /api/0/organizations/{org}/releases/{version}/deploys/`
pub(crate) async fn list_deploys(release: ReleaseAt) -> Result<Json<Value>, GtError> {
    release.read(|_, r| Json(Value::Array(r.deploys.iter().map(deploy_json).collect())))
}

#[cfg(test)]
mod tests {
    use super::parse_time;

    #[test]
    fn release_dates_parse_as_rfc_3339() {
        assert_eq!(parse_time("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_time("2026-06-01T12:00:00Z"), Some(1_780_315_200));
        assert_eq!(parse_time("2026-06-01T12:00:00.123456+00:00"), Some(1_780_315_200));
        assert_eq!(parse_time("yesterday"), None);
    }
}
