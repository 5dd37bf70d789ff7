//! Labels: a repository's (`GET|POST …/labels`, `GET …/labels/{name}`) and an
//! issue's (`GET|POST|PUT …/issues/{n}/labels`, `DELETE …/issues/{n}/labels/{name}`).
//! Names match case-insensitively; labelling an issue with a name the
//! repository lacks creates the label (grey, `ededed`), as GitHub does for a
//! caller with write access.

use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::app_auth::{Read, RepoAccess, WriteIssues};
use super::errors::{parse_json, Body, GhError};
use super::pages::Pages;
use super::repos::Repo;
use super::{Inner, State};

#[derive(Debug, Clone)]
pub(crate) struct LabelRecord {
    pub id: u64,
    pub name: String,
    pub color: String,
    pub description: Option<String>,
}

impl LabelRecord {
    pub(crate) fn json(&self, inner: &Inner, repo: &Repo) -> Value {
        serde_json::to_value(self.doc(inner, repo)).unwrap_or(Value::Null)
    }

    /// The label as GitHub renders it, typed, in GitHub's key order.
    pub(crate) fn doc(&self, inner: &Inner, repo: &Repo) -> LabelDoc<'_> {
        let api = inner.api(&repo.api_path());
        LabelDoc {
            id: self.id,
            node_id: format!("LA_kwDO{:08X}", self.id),
            url: format!("{api}/labels/{}", self.name.replace(' ', "%20")),
            name: &self.name,
            color: &self.color,
            default: false,
            description: self.description.as_deref(),
        }
    }
}

/// A label as GitHub renders it ([`LabelRecord::doc`]).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct LabelDoc<'a> {
    id: u64,
    node_id: String,
    url: String,
    name: &'a str,
    color: &'a str,
    default: bool,
    description: Option<&'a str>,
}

impl State {
    /// The repository's label named `name` (any case), created when missing.
    pub(crate) fn label(&mut self, key: &str, name: &str) -> Result<String, GhError> {
        let lower = name.to_lowercase();
        if let Some(existing) = self.repo(key)?.labels.get(&lower) {
            return Ok(existing.name.clone());
        }
        let id = self.next_id();
        let label = LabelRecord { id, name: name.to_string(), color: "ededed".into(), description: None };
        self.repo_mut(key)?.labels.insert(lower, label);
        Ok(name.to_string())
    }
}

impl Repo {
    /// The labels named, as JSON, in the order given.
    pub(crate) fn labels_json(&self, inner: &Inner, names: &[String]) -> Vec<Value> {
        names.iter().filter_map(|n| self.labels.get(&n.to_lowercase())).map(|l| l.json(inner, self)).collect()
    }

    /// The labels named, typed, in the order given.
    pub(crate) fn label_docs(&self, inner: &Inner, names: &[String]) -> Vec<LabelDoc<'_>> {
        names.iter().filter_map(|n| self.labels.get(&n.to_lowercase())).map(|l| l.doc(inner, self)).collect()
    }
}

/// `GET /repos/{owner}/{repo}/labels` (by name).
pub(crate) async fn list_labels(
    _: Path<(String, String)>,
    pages: Pages,
    access: RepoAccess<Read>,
) -> Result<Response, GhError> {
    access.read(|inner, r| {
        let list: Vec<Value> = r.labels.values().map(|l| l.json(inner, r)).collect();
        Ok(pages.respond(inner, list.into_iter()))
    })
}

/// `GET /repos/{owner}/{repo}/labels/{name}`
pub(crate) async fn get_label(
    Path((.., name)): Path<(String, String, String)>,
    access: RepoAccess<Read>,
) -> Result<Json<Value>, GhError> {
    access.read(|inner, r| {
        let label = r.labels.get(&name.to_lowercase()).ok_or_else(GhError::not_found)?;
        Ok(Json(label.json(inner, r)))
    })
}

#[derive(Deserialize)]
pub(crate) struct CreateLabel {
    name: String,
    color: Option<String>,
    description: Option<String>,
}

/// `POST /repos/{owner}/{repo}/labels {name, color?, description?}` -> 201;
/// 422 `already_exists` for a taken name, `invalid` for a bad color.
pub(crate) async fn create_label(
    access: RepoAccess<WriteIssues>,
    body: Body<CreateLabel>,
) -> Result<Response, GhError> {
    let inner = &access.fake.inner;
    let req = body.0?;
    let color = req.color.unwrap_or_else(|| "ededed".into()).trim_start_matches('#').to_lowercase();
    if color.len() != 6 || !color.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(GhError::validation(json!({"resource": "Label", "code": "invalid", "field": "color"})));
    }
    if req.name.trim().is_empty() {
        return Err(GhError::validation(json!({"resource": "Label", "code": "missing_field", "field": "name"})));
    }
    let mut state = access.fake.lock();
    if state.repo(&access.key)?.labels.contains_key(&req.name.to_lowercase()) {
        return Err(GhError::validation(json!({"resource": "Label", "code": "already_exists", "field": "name"})));
    }
    let id = state.next_id();
    let label = LabelRecord { id, name: req.name.clone(), color, description: req.description };
    let r = state.repo_mut(&access.key)?;
    let out = label.json(inner, r);
    r.labels.insert(req.name.to_lowercase(), label);
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

#[derive(Deserialize)]
struct WrappedLabels {
    labels: Vec<String>,
}

/// Labels to add or set: GitHub takes `{"labels": [...]}` or a bare array
/// (PyGithub sends the array); anything else is its 400 or 422.
fn label_names(bytes: &[u8]) -> Result<Vec<String>, GhError> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Array(items)) => items
            .into_iter()
            .map(|v| match v {
                Value::String(s) => Ok(s),
                other => Err(GhError::unprocessable(format!("Invalid request.\n\n{other} is not a string."))),
            })
            .collect(),
        _ => parse_json::<WrappedLabels>(bytes).map(|w| w.labels),
    }
}

/// The names of the labels on issue (or pull request) `number`, to change.
fn issue_labels<'a>(r: &'a mut Repo, number: &str) -> Result<&'a mut Vec<String>, GhError> {
    let n = number.parse::<u64>().map_err(|_| GhError::not_found())?;
    if let Some(issue) = r.issues.get_mut(&n) {
        return Ok(&mut issue.labels);
    }
    r.pulls.get_mut(&n).map(|p| &mut p.labels).ok_or_else(GhError::not_found)
}

/// `GET /repos/{owner}/{repo}/issues/{issue_number}/labels`
pub(crate) async fn list_issue_labels(
    Path((.., number)): Path<(String, String, String)>,
    access: RepoAccess<Read>,
) -> Result<Json<Value>, GhError> {
    let inner = &access.fake.inner;
    let mut state = access.fake.lock();
    let r = state.repo_mut(&access.key)?;
    let names = issue_labels(r, &number)?.clone();
    Ok(Json(Value::Array(r.labels_json(inner, &names))))
}

/// Adds (`POST`) or sets (`PUT`) an issue's labels; answers all of them.
async fn change_issue_labels(
    number: &str,
    access: RepoAccess<WriteIssues>,
    body: &[u8],
    replace: bool,
) -> Result<Json<Value>, GhError> {
    let inner = &access.fake.inner;
    let names = label_names(body)?;
    let mut state = access.fake.lock();
    issue_labels(state.repo_mut(&access.key)?, number)?;
    let mut canonical = Vec::new();
    for name in names {
        canonical.push(state.label(&access.key, &name)?);
    }
    let r = state.repo_mut(&access.key)?;
    let labels = issue_labels(r, number)?;
    if replace {
        labels.clear();
    }
    for name in canonical {
        if !labels.iter().any(|l| l.eq_ignore_ascii_case(&name)) {
            labels.push(name);
        }
    }
    let names = labels.clone();
    Ok(Json(Value::Array(r.labels_json(inner, &names))))
}

/// `POST /repos/{owner}/{repo}/issues/{issue_number}/labels {labels}`
pub(crate) async fn add_issue_labels(
    Path((.., number)): Path<(String, String, String)>,
    access: RepoAccess<WriteIssues>,
    body: Bytes,
) -> Result<Json<Value>, GhError> {
    change_issue_labels(&number, access, &body, false).await
}

/// `PUT /repos/{owner}/{repo}/issues/{issue_number}/labels {labels}`
pub(crate) async fn set_issue_labels(
    Path((.., number)): Path<(String, String, String)>,
    access: RepoAccess<WriteIssues>,
    body: Bytes,
) -> Result<Json<Value>, GhError> {
    change_issue_labels(&number, access, &body, true).await
}

/// `DELETE /repos/{owner}/{repo}/issues/{issue_number}/labels/{name}`: the
/// labels left; 404 "Label does not exist" when the issue lacks it.
pub(crate) async fn remove_issue_label(
    Path((_, _, number, name)): Path<(String, String, String, String)>,
    access: RepoAccess<WriteIssues>,
) -> Result<Json<Value>, GhError> {
    let inner = &access.fake.inner;
    let mut state = access.fake.lock();
    let r = state.repo_mut(&access.key)?;
    let labels = issue_labels(r, &number)?;
    let before = labels.len();
    labels.retain(|l| !l.eq_ignore_ascii_case(&name));
    if labels.len() == before {
        return Err(GhError::not_found().with_message("Label does not exist"));
    }
    let names = labels.clone();
    Ok(Json(Value::Array(r.labels_json(inner, &names))))
}
