//! Issues: `POST /repos/{o}/{r}/issues` (201) and `GET …/issues/{n}`, which
//! also answers for a pull request's number (issues and pull requests share
//! one number sequence, as on GitHub).

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::actors::Actor;
use super::app_auth::{Read, RepoAccess, WriteIssues};
use super::errors::{Body, GhError};
use super::repos::Repo;
use super::Inner;
use crate::clock::iso8601;

#[derive(Debug, Clone)]
pub(crate) struct IssueRecord {
    pub number: u64,
    pub id: u64,
    pub title: String,
    pub body: Option<String>,
    /// (label id, name)
    pub labels: Vec<(u64, String)>,
    pub open: bool,
    pub user: Actor,
    pub created_at: u64,
    pub updated_at: u64,
}

/// The fields every issue-shaped object has; `pull_request` is set when the
/// number belongs to a pull request.
struct IssueView<'a> {
    number: u64,
    id: u64,
    title: &'a str,
    body: Option<&'a str>,
    labels: &'a [(u64, String)],
    open: bool,
    user: &'a Actor,
    created_at: u64,
    updated_at: u64,
    closed_at: Option<u64>,
    pull_request: Option<Value>,
}

fn issue_view_json(inner: &Inner, repo: &Repo, v: IssueView<'_>) -> Value {
    let api = inner.api(&repo.api_path());
    let url = format!("{api}/issues/{}", v.number);
    let labels: Vec<Value> = v
        .labels
        .iter()
        .map(|(id, name)| {
            json!({
                "id": id,
                "node_id": format!("LA_kwDO{id:08X}"),
                "url": format!("{api}/labels/{}", name.replace(' ', "%20")),
                "name": name,
                "color": "ededed",
                "default": false,
                "description": null,
            })
        })
        .collect();
    let mut out = json!({
        "id": v.id,
        "node_id": format!("I_kwDO{:08X}", v.id),
        "url": url,
        "repository_url": api,
        "labels_url": format!("{url}/labels{{/name}}"),
        "comments_url": format!("{url}/comments"),
        "events_url": format!("{url}/events"),
        "html_url": inner.html(&format!("/{}/issues/{}", repo.full_name(), v.number)),
        "number": v.number,
        "state": if v.open { "open" } else { "closed" },
        "state_reason": if v.open { Value::Null } else { Value::String("completed".into()) },
        "title": v.title,
        "body": v.body,
        "user": v.user.json(inner),
        "labels": labels,
        "assignee": null,
        "assignees": [],
        "milestone": null,
        "locked": false,
        "active_lock_reason": null,
        "comments": repo.comments.get(&v.number).map_or(0, Vec::len),
        "closed_at": v.closed_at.map(iso8601),
        "created_at": iso8601(v.created_at),
        "updated_at": iso8601(v.updated_at),
        "closed_by": null,
        "author_association": if *v.user == Actor::Bot { "NONE" } else { "MEMBER" },
    });
    if let Some(link) = v.pull_request {
        out["pull_request"] = link;
    }
    out
}

pub(crate) fn issue_json(inner: &Inner, repo: &Repo, i: &IssueRecord) -> Value {
    issue_view_json(
        inner,
        repo,
        IssueView {
            number: i.number,
            id: i.id,
            title: &i.title,
            body: i.body.as_deref(),
            labels: &i.labels,
            open: i.open,
            user: &i.user,
            created_at: i.created_at,
            updated_at: i.updated_at,
            closed_at: None,
            pull_request: None,
        },
    )
}

/// GitHub accepts a string or a number as an issue title.
#[derive(Deserialize)]
#[serde(untagged)]
pub(crate) enum Title {
    Text(String),
    Number(i64),
}

#[derive(Deserialize)]
pub(crate) struct CreateIssue {
    title: Title,
    body: Option<String>,
    #[serde(default)]
    labels: Vec<String>,
}

/// `POST /repos/{owner}/{repo}/issues {title, body?, labels?}` -> 201.
pub(crate) async fn create_issue(
    access: RepoAccess<WriteIssues>,
    body: Body<CreateIssue>,
) -> Result<Response, GhError> {
    let RepoAccess { fake, key, actor: user, .. } = access;
    let inner = &fake.inner;
    let now = inner.clock.now_unix();
    let req = body.0?;
    let title = match req.title {
        Title::Text(t) => t,
        Title::Number(n) => n.to_string(),
    };
    if title.trim().is_empty() {
        return Err(GhError::validation(json!({"resource": "Issue", "field": "title", "code": "missing_field"})));
    }
    let mut state = fake.lock();
    let id = state.next_id();
    let labels: Vec<(u64, String)> = req.labels.into_iter().map(|name| (state.next_id(), name)).collect();
    let r = state.repo_mut(&key)?;
    let number = r.next_number;
    r.next_number += 1;
    let issue =
        IssueRecord { number, id, title, body: req.body, labels, open: true, user, created_at: now, updated_at: now };
    let body = issue_json(inner, r, &issue);
    r.issues.insert(number, issue);
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// `GET /repos/{owner}/{repo}/issues/{issue_number}`
pub(crate) async fn get_issue(
    Path((.., number)): Path<(String, String, String)>,
    access: RepoAccess<Read>,
) -> Result<Json<Value>, GhError> {
    let inner = &access.fake.inner;
    let state = access.fake.lock();
    let r = state.repo(&access.key)?;
    let n = number.parse::<u64>().map_err(|_| GhError::not_found())?;
    if let Some(issue) = r.issues.get(&n) {
        return Ok(Json(issue_json(inner, r, issue)));
    }
    let pr = r.pulls.get(&n).ok_or_else(GhError::not_found)?;
    let pull = super::pulls::pull_json(inner, r, pr);
    let link = json!({
        "url": pull["url"],
        "html_url": pull["html_url"],
        "diff_url": pull["diff_url"],
        "patch_url": pull["patch_url"],
        "merged_at": pull["merged_at"],
    });
    Ok(Json(issue_view_json(
        inner,
        r,
        IssueView {
            number: pr.number,
            id: pr.id,
            title: &pr.title,
            body: pr.body.as_deref(),
            labels: &[],
            open: pr.open,
            user: &pr.user,
            created_at: pr.created_at,
            updated_at: pr.updated_at,
            closed_at: pr.closed_at,
            pull_request: Some(link),
        },
    )))
}

/// A comment on an issue or a pull request (pull requests share the issues' comments).
#[derive(Debug, Clone)]
pub(crate) struct CommentRecord {
    pub id: u64,
    pub body: String,
    pub user: Actor,
    pub created_at: u64,
}

fn comment_json(inner: &Inner, repo: &Repo, number: u64, c: &CommentRecord) -> Value {
    let api = inner.api(&repo.api_path());
    let html = inner.html(&format!("/{}/issues/{number}#issuecomment-{}", repo.full_name(), c.id));
    json!({
        "id": c.id,
        "node_id": format!("IC_kwDO{:08X}", c.id),
        "url": format!("{api}/issues/comments/{}", c.id),
        "html_url": html,
        "issue_url": format!("{api}/issues/{number}"),
        "body": c.body,
        "user": c.user.json(inner),
        "created_at": iso8601(c.created_at),
        "updated_at": iso8601(c.created_at),
        "author_association": if c.user == Actor::Bot { "NONE" } else { "MEMBER" },
        "performed_via_github_app": null,
    })
}

#[derive(Deserialize)]
pub(crate) struct CreateComment {
    body: String,
}

/// The number of an existing issue or pull request, else GitHub's 404.
fn existing_number(r: &Repo, number: &str) -> Result<u64, GhError> {
    number
        .parse::<u64>()
        .ok()
        .filter(|n| r.issues.contains_key(n) || r.pulls.contains_key(n))
        .ok_or_else(GhError::not_found)
}

/// `POST /repos/{owner}/{repo}/issues/{issue_number}/comments {body}` -> 201.
pub(crate) async fn create_comment(
    Path((.., number)): Path<(String, String, String)>,
    access: RepoAccess<WriteIssues>,
    body: Body<CreateComment>,
) -> Result<Response, GhError> {
    let RepoAccess { fake, key, actor: user, .. } = access;
    let inner = &fake.inner;
    let now = inner.clock.now_unix();
    let req = body.0?;
    if req.body.trim().is_empty() {
        return Err(GhError::validation(json!({"resource": "IssueComment", "field": "body", "code": "missing_field"})));
    }
    let mut state = fake.lock();
    let id = state.next_id();
    let r = state.repo_mut(&key)?;
    let n = existing_number(r, &number)?;
    let comment = CommentRecord { id, body: req.body, user, created_at: now };
    let out = comment_json(inner, r, n, &comment);
    r.comments.entry(n).or_default().push(comment);
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

/// `GET /repos/{owner}/{repo}/issues/{issue_number}/comments` (oldest first).
pub(crate) async fn list_comments(
    Path((.., number)): Path<(String, String, String)>,
    access: RepoAccess<Read>,
) -> Result<Json<Value>, GhError> {
    let inner = &access.fake.inner;
    let state = access.fake.lock();
    let r = state.repo(&access.key)?;
    let n = existing_number(r, &number)?;
    let list = r.comments.get(&n).map(|c| c.iter().map(|c| comment_json(inner, r, n, c)).collect()).unwrap_or_default();
    Ok(Json(Value::Array(list)))
}
