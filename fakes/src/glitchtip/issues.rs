//! Issues and events: grouping of ingested events into issues, and the
//! management API over them (Bearer token): `GET
//! /api/0/organizations/{org}/issues/?project=&query=`, `GET
//! /api/0/projects/{org}/{project}/issues/`, `GET|PUT /api/0/issues/{id}/`,
//! `GET /api/0/issues/{id}/events/` (newest first) and `…/events/latest/`.
//!
//! Grouping follows the event's `fingerprint` when it sets one, otherwise
//! the last exception's type and value, otherwise the message. Lists are
//! ordered by last seen (newest first), then id, so output is deterministic.
//! The functions below the handlers are shared with the MCP tools.

use axum::extract::{Path, Query, State as AxState};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::auth::{normalise_key, ApiToken};
use super::errors::{Body, GtError};
use super::projects::Project;
use super::{GlitchtipFake, State};
use crate::clock::iso8601_millis;

#[derive(Debug, Clone)]
pub(crate) struct Issue {
    pub id: u64,
    pub project_id: u64,
    pub fingerprint: String,
    pub title: String,
    pub culprit: String,
    pub level: String,
    /// `error` for exceptions, `default` for messages.
    pub kind: &'static str,
    pub status: String,
    pub metadata: Value,
    pub short_id: String,
    pub first_seen: u64,
    pub last_seen: u64,
    /// Event ids, oldest first.
    pub events: Vec<String>,
}

impl Issue {
    pub(crate) fn seen(issue: &mut Issue, event_id: &str, now: u64) {
        issue.events.push(event_id.to_string());
        issue.last_seen = now;
    }
}

/// The last (outermost) exception of an event, if any.
fn last_exception(payload: &Value) -> Option<&Value> {
    let ex = payload.get("exception")?;
    let values = ex.get("values").unwrap_or(ex);
    values.as_array()?.last()
}

fn message_of(payload: &Value) -> Option<String> {
    let from = |v: &Value| -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Object(o) => {
                o.get("formatted").or_else(|| o.get("message")).and_then(Value::as_str).map(str::to_string)
            }
            _ => None,
        }
    };
    payload.get("logentry").and_then(from).or_else(|| payload.get("message").and_then(from))
}

fn text(v: Option<&Value>) -> String {
    v.and_then(Value::as_str).unwrap_or("").to_string()
}

/// Title, culprit, kind, metadata and default fingerprint of an event.
fn describe(payload: &Value) -> (String, String, &'static str, Value, String) {
    let frame_culprit = last_exception(payload)
        .and_then(|e| e.get("stacktrace"))
        .and_then(|s| s.get("frames"))
        .and_then(Value::as_array)
        .and_then(|frames| frames.last())
        .map(|f| {
            let module = text(f.get("module").or_else(|| f.get("filename")));
            let function = text(f.get("function"));
            if module.is_empty() {
                function
            } else {
                format!("{module} in {function}")
            }
        });
    let culprit = payload
        .get("transaction")
        .or_else(|| payload.get("culprit"))
        .and_then(Value::as_str)
        .map(str::to_string)
        .or(frame_culprit)
        .unwrap_or_default();
    if let Some(ex) = last_exception(payload) {
        let (ty, value) = (text(ex.get("type")), text(ex.get("value")));
        let title = if value.is_empty() { ty.clone() } else { format!("{ty}: {value}") };
        let fp = format!("exception\u{1f}{ty}\u{1f}{value}");
        return (title, culprit, "error", json!({"type": ty, "value": value}), fp);
    }
    let message = message_of(payload).unwrap_or_else(|| "<unlabeled event>".to_string());
    let title: String = message.lines().next().unwrap_or("").chars().take(100).collect();
    let fp = format!("message\u{1f}{message}");
    (title.clone(), culprit, "default", json!({"title": title}), fp)
}

/// Finds or opens the issue an event belongs to; returns its id.
pub(crate) fn group_event(state: &mut State, project_id: u64, payload: &Value, now: u64) -> u64 {
    let (title, culprit, kind, metadata, default_fp) = describe(payload);
    let fingerprint = match payload.get("fingerprint").and_then(Value::as_array) {
        Some(parts) if !parts.is_empty() => parts
            .iter()
            .map(|p| match p.as_str() {
                Some("{{ default }}") | Some("{{default}}") => default_fp.clone(),
                Some(s) => s.to_string(),
                None => p.to_string(),
            })
            .collect::<Vec<_>>()
            .join("\u{1e}"),
        _ => default_fp,
    };
    if let Some(existing) = state.issues.values().find(|i| i.project_id == project_id && i.fingerprint == fingerprint) {
        return existing.id;
    }
    let id = state.next_issue_id;
    state.next_issue_id += 1;
    let short_id = match state.projects.get_mut(&project_id) {
        Some(p) => {
            p.next_short_id += 1;
            format!("{}-{}", p.slug.to_uppercase(), p.next_short_id - 1)
        }
        None => id.to_string(),
    };
    let level = payload.get("level").and_then(Value::as_str).unwrap_or("error").to_string();
    state.issues.insert(
        id,
        Issue {
            id,
            project_id,
            fingerprint,
            title,
            culprit,
            level,
            kind,
            status: "unresolved".into(),
            metadata,
            short_id,
            first_seen: now,
            last_seen: now,
            events: Vec::new(),
        },
    );
    id
}

fn project_ref(p: Option<&Project>) -> Value {
    match p {
        Some(p) => json!({"id": p.id.to_string(), "name": p.name, "slug": p.slug, "platform": p.platform}),
        None => Value::Null,
    }
}

pub(crate) fn issue_json(fake: &GlitchtipFake, state: &State, i: &Issue) -> Value {
    let project = state.projects.get(&i.project_id);
    let org = project.map(|p| p.organization.as_str()).unwrap_or("");
    json!({
        "id": i.id.to_string(),
        "shortId": i.short_id,
        "title": i.title,
        "culprit": i.culprit,
        "level": i.level,
        "status": i.status,
        "type": i.kind,
        "count": i.events.len().to_string(),
        "userCount": 0,
        "firstSeen": iso8601_millis(i.first_seen),
        "lastSeen": iso8601_millis(i.last_seen),
        "project": project_ref(project),
        "metadata": i.metadata,
        "numComments": 0,
        "permalink": format!("{}/{org}/issues/{}", fake.config().base_url.trim_end_matches('/'), i.id),
        "isPublic": false,
        "hasSeen": false,
        "shareId": null,
    })
}

fn tags_of(payload: &Value) -> Vec<Value> {
    let mut tags: Vec<(String, String)> = match payload.get("tags") {
        Some(Value::Object(o)) => o
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())))
            .collect(),
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|pair| {
                let p = pair.as_array()?;
                Some((p.first()?.as_str()?.to_string(), p.get(1)?.as_str()?.to_string()))
            })
            .collect(),
        _ => Vec::new(),
    };
    for key in ["level", "environment", "release"] {
        if let Some(v) = payload.get(key).and_then(Value::as_str) {
            tags.push((key.to_string(), v.to_string()));
        }
    }
    tags.sort();
    tags.dedup();
    tags.into_iter().map(|(key, value)| json!({"key": key, "value": value})).collect()
}

pub(crate) fn event_json(state: &State, event_id: &str) -> Option<Value> {
    let e = state.events.get(event_id)?;
    let issue = state.issues.get(&e.issue_id)?;
    let p = &e.payload;
    let mut entries = Vec::new();
    if let Some(ex) = p.get("exception") {
        let values = ex.get("values").unwrap_or(ex).clone();
        entries.push(json!({"type": "exception", "data": {"values": values}}));
    }
    if let Some(m) = message_of(p) {
        entries.push(json!({"type": "message", "data": {"formatted": m}}));
    }
    if let Some(b) = p.get("breadcrumbs") {
        let values = b.get("values").unwrap_or(b).clone();
        entries.push(json!({"type": "breadcrumbs", "data": {"values": values}}));
    }
    let pick = |k: &str| p.get(k).cloned().unwrap_or(Value::Null);
    Some(json!({
        "eventID": e.event_id,
        "id": e.event_id,
        "groupID": issue.id.to_string(),
        "projectID": e.project_id.to_string(),
        "title": issue.title,
        "message": message_of(p).unwrap_or_default(),
        "culprit": issue.culprit,
        "type": issue.kind,
        "level": issue.level,
        "platform": pick("platform"),
        "dateCreated": iso8601_millis(e.received),
        "dateReceived": iso8601_millis(e.received),
        "tags": tags_of(p),
        "entries": entries,
        "contexts": p.get("contexts").cloned().unwrap_or_else(|| Value::Object(Map::new())),
        "sdk": pick("sdk"),
        "release": pick("release"),
        "environment": pick("environment"),
        "user": pick("user"),
    }))
}

/// Issues visible in `org`, optionally only in `projects`, filtered by a
/// Sentry-style `query` (`is:unresolved|resolved|ignored`, free text on titles).
pub(crate) fn query_issues(
    fake: &GlitchtipFake,
    org: &str,
    projects: &[u64],
    query: Option<&str>,
) -> Result<Vec<Value>, GtError> {
    if !fake.config().organizations.iter().any(|o| o.slug == org) {
        return Err(GtError::not_found());
    }
    let state = fake.lock();
    let mut status: Option<&str> = None;
    let mut words: Vec<String> = Vec::new();
    for token in query.unwrap_or("").split_whitespace() {
        match token.strip_prefix("is:") {
            Some(s) => status = Some(s),
            None => words.push(token.to_lowercase()),
        }
    }
    let mut found: Vec<&Issue> = state
        .issues
        .values()
        .filter(|i| state.projects.get(&i.project_id).is_some_and(|p| p.organization == org))
        .filter(|i| projects.is_empty() || projects.contains(&i.project_id))
        .filter(|i| status.is_none_or(|s| i.status == s))
        .filter(|i| words.iter().all(|w| i.title.to_lowercase().contains(w)))
        .collect();
    found.sort_by(|a, b| b.last_seen.cmp(&a.last_seen).then(b.id.cmp(&a.id)));
    Ok(found.into_iter().map(|i| issue_json(fake, &state, i)).collect())
}

pub(crate) fn parse_issue_id(id: &str) -> Result<u64, GtError> {
    id.parse::<u64>().map_err(|_| GtError::not_found())
}

pub(crate) fn issue_by_id(fake: &GlitchtipFake, id: u64) -> Result<Value, GtError> {
    let state = fake.lock();
    let i = state.issues.get(&id).ok_or_else(GtError::not_found)?;
    Ok(issue_json(fake, &state, i))
}

/// Events of an issue, newest first.
pub(crate) fn issue_events(fake: &GlitchtipFake, id: u64) -> Result<Vec<Value>, GtError> {
    let state = fake.lock();
    let i = state.issues.get(&id).ok_or_else(GtError::not_found)?;
    Ok(i.events.iter().rev().filter_map(|e| event_json(&state, e)).collect())
}

pub(crate) fn latest_event_of(fake: &GlitchtipFake, id: u64) -> Result<Value, GtError> {
    issue_events(fake, id)?.into_iter().next().ok_or_else(GtError::not_found)
}

pub(crate) fn set_status(fake: &GlitchtipFake, id: u64, status: &str) -> Result<Value, GtError> {
    if !matches!(status, "resolved" | "unresolved" | "ignored") {
        return Err(GtError::validation("status", "Input should be 'resolved', 'unresolved' or 'ignored'"));
    }
    let mut state = fake.lock();
    let issue = state.issues.get_mut(&id).ok_or_else(GtError::not_found)?;
    issue.status = status.to_string();
    let issue = issue.clone();
    Ok(issue_json(fake, &state, &issue))
}

fn projects_param(params: &[(String, String)]) -> Vec<u64> {
    params.iter().filter(|(k, _)| k == "project").filter_map(|(_, v)| v.parse().ok()).collect()
}

fn query_param(params: &[(String, String)]) -> Option<&str> {
    params.iter().find(|(k, _)| k == "query").map(|(_, v)| v.as_str())
}

/// `GET /api/0/organizations/{org}/issues/?project=<id>&query=`
pub(crate) async fn list_org_issues(
    AxState(fake): AxState<GlitchtipFake>,
    _: ApiToken,
    Path(org): Path<String>,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Json<Value>, GtError> {
    Ok(Json(Value::Array(query_issues(&fake, &org, &projects_param(&params), query_param(&params))?)))
}

/// `GET /api/0/projects/{org}/{project}/issues/?query=`
pub(crate) async fn list_project_issues(
    AxState(fake): AxState<GlitchtipFake>,
    _: ApiToken,
    Path((org, slug)): Path<(String, String)>,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Json<Value>, GtError> {
    let id = {
        let state = fake.lock();
        let p = state.projects.values().find(|p| p.organization == org && p.slug == slug);
        p.map(|p| p.id).ok_or_else(GtError::not_found)?
    };
    Ok(Json(Value::Array(query_issues(&fake, &org, &[id], query_param(&params))?)))
}

/// `GET /api/0/issues/{id}/`
pub(crate) async fn get_issue(
    AxState(fake): AxState<GlitchtipFake>,
    _: ApiToken,
    Path(id): Path<String>,
) -> Result<Json<Value>, GtError> {
    Ok(Json(issue_by_id(&fake, parse_issue_id(&id)?)?))
}

#[derive(Deserialize)]
pub(crate) struct UpdateIssue {
    status: String,
}

/// `PUT /api/0/issues/{id}/ {status}` (`resolved` | `unresolved` | `ignored`).
pub(crate) async fn update_issue(
    AxState(fake): AxState<GlitchtipFake>,
    _: ApiToken,
    Path(id): Path<String>,
    body: Body<UpdateIssue>,
) -> Result<Json<Value>, GtError> {
    let id = parse_issue_id(&id)?;
    issue_by_id(&fake, id)?;
    let req = body.0?;
    Ok(Json(set_status(&fake, id, &req.status)?))
}

/// `GET /api/0/issues/{id}/events/`
pub(crate) async fn list_events(
    AxState(fake): AxState<GlitchtipFake>,
    _: ApiToken,
    Path(id): Path<String>,
) -> Result<Json<Value>, GtError> {
    Ok(Json(Value::Array(issue_events(&fake, parse_issue_id(&id)?)?)))
}

/// `GET /api/0/issues/{id}/events/latest/`
pub(crate) async fn latest_event(
    AxState(fake): AxState<GlitchtipFake>,
    _: ApiToken,
    Path(id): Path<String>,
) -> Result<Json<Value>, GtError> {
    Ok(Json(latest_event_of(&fake, parse_issue_id(&id)?)?))
}

/// `GET /api/0/projects/{org}/{project}/events/{event_id}/`
pub(crate) async fn get_event(
    AxState(fake): AxState<GlitchtipFake>,
    _: ApiToken,
    Path((org, slug, event_id)): Path<(String, String, String)>,
) -> Result<Json<Value>, GtError> {
    event_in_project(&fake, &org, &slug, &event_id).map(Json)
}

pub(crate) fn event_in_project(fake: &GlitchtipFake, org: &str, slug: &str, event_id: &str) -> Result<Value, GtError> {
    let state = fake.lock();
    let id = normalise_key(event_id).ok_or_else(GtError::not_found)?;
    let e = state.events.get(&id).ok_or_else(GtError::not_found)?;
    let p = state.projects.get(&e.project_id).ok_or_else(GtError::not_found)?;
    if p.organization != org || p.slug != slug {
        return Err(GtError::not_found());
    }
    event_json(&state, &id).ok_or_else(GtError::not_found)
}

/// `GET /api/0/projects/{org}/{project}/events/`: the project's events, newest first.
pub(crate) async fn list_project_events(
    AxState(fake): AxState<GlitchtipFake>,
    _: ApiToken,
    Path((org, slug)): Path<(String, String)>,
) -> Result<Json<Value>, GtError> {
    let state = fake.lock();
    let project = super::projects::find_project(&state, &org, &slug)?.id;
    let mut events: Vec<&super::ingest::Event> = state.events.values().filter(|e| e.project_id == project).collect();
    events.sort_by_key(|e| std::cmp::Reverse((e.received, e.event_id.clone())));
    Ok(Json(Value::Array(events.into_iter().filter_map(|e| event_json(&state, &e.event_id)).collect())))
}
