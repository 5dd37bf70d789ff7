//! Issues: `POST /repos/{o}/{r}/issues` (201), `GET …/issues` (paginated),
//! `GET|PATCH …/issues/{n}`, whose GET also answers for a pull request's number (issues and pull requests share
//! one number sequence, as on GitHub).

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::actors::{Actor, Rendered};
use super::app_auth::{Read, RepoAccess, WriteIssues};
use super::errors::{Body, GhError};
use super::pages::Pages;
use super::pulls::PullRecord;
use super::repos::Repo;
use super::Inner;
use crate::clock::iso8601;

#[derive(Debug, Clone)]
pub(crate) struct IssueRecord {
    pub number: u64,
    pub id: u64,
    pub title: String,
    pub body: Option<String>,
    /// Names of the repository's labels on it.
    pub labels: Vec<String>,
    pub open: bool,
    pub user: Actor,
    pub created_at: u64,
    pub updated_at: u64,
    pub closed_at: Option<u64>,
}

/// The fields every issue-shaped object has; `pull_request` is set when the
/// number belongs to a pull request.
struct IssueView<'a> {
    number: u64,
    id: u64,
    title: &'a str,
    body: Option<&'a str>,
    labels: &'a [String],
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
    let labels = repo.labels_json(inner, v.labels);
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
            closed_at: i.closed_at,
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
    let mut labels = Vec::new();
    for name in req.labels {
        labels.push(state.label(&key, &name)?);
    }
    let r = state.repo_mut(&key)?;
    let number = r.next_number;
    r.next_number += 1;
    let issue = IssueRecord {
        number,
        id,
        title,
        body: req.body,
        labels,
        open: true,
        user,
        created_at: now,
        updated_at: now,
        closed_at: None,
    };
    let body = issue_json(inner, r, &issue);
    r.issues.insert(number, issue);
    r.opened();
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// `GET /repos/{owner}/{repo}/issues/{issue_number}`
pub(crate) async fn get_issue(
    Path((.., number)): Path<(String, String, String)>,
    access: RepoAccess<Read>,
) -> Result<Json<Value>, GhError> {
    access.read(|inner, r| {
        let n = number.parse::<u64>().map_err(|_| GhError::not_found())?;
        if let Some(issue) = r.issues.get(&n) {
            return Ok(Json(issue_json(inner, r, issue)));
        }
        let pr = r.pulls.get(&n).ok_or_else(GhError::not_found)?;
        Ok(Json(pull_issue_json(inner, r, pr)))
    })
}

/// A pull request as the issues API shows it (with a `pull_request` link).
fn pull_issue_json(inner: &Inner, r: &Repo, pr: &PullRecord) -> Value {
    let api = inner.api(&r.api_path());
    let html = inner.html(&format!("/{}/pull/{}", r.full_name(), pr.number));
    let link = json!({
        "url": format!("{api}/pulls/{}", pr.number),
        "html_url": html,
        "diff_url": format!("{html}.diff"),
        "patch_url": format!("{html}.patch"),
        "merged_at": if pr.merged { pr.closed_at.map(iso8601) } else { None },
    });
    issue_view_json(
        inner,
        r,
        IssueView {
            number: pr.number,
            id: pr.id,
            title: &pr.title,
            body: pr.body.as_deref(),
            labels: &pr.labels,
            open: pr.open,
            user: &pr.user,
            created_at: pr.created_at,
            updated_at: pr.updated_at,
            closed_at: pr.closed_at,
            pull_request: Some(link),
        },
    )
}

#[derive(Deserialize, Default)]
pub(crate) struct IssuesQuery {
    state: Option<String>,
    /// Comma-separated label names, all of which an issue must have.
    labels: Option<String>,
}

/// `GET /repos/{owner}/{repo}/issues?state=open|closed|all&labels=a,b`:
/// issues and pull requests (which carry `pull_request`), newest first.
pub(crate) async fn list_issues(
    _: Path<(String, String)>,
    Query(query): Query<IssuesQuery>,
    pages: Pages,
    access: RepoAccess<Read>,
) -> Result<Response, GhError> {
    access.read(|inner, r| {
        let wanted = query.state.unwrap_or_else(|| "open".into());
        let required: Vec<&str> =
            query.labels.as_deref().map(|l| l.split(',').filter(|l| !l.is_empty()).collect()).unwrap_or_default();
        let keep = |open: bool, labels: &[String]| {
            super::pulls::state_matches(&wanted, open)
                && required.iter().all(|want| labels.iter().any(|l| l.eq_ignore_ascii_case(want)))
        };
        let mut numbered: Vec<(u64, Value)> = r
            .issues
            .values()
            .filter(|i| keep(i.open, &i.labels))
            .map(|i| (i.number, issue_json(inner, r, i)))
            .chain(
                r.pulls.values().filter(|p| keep(p.open, &p.labels)).map(|p| (p.number, pull_issue_json(inner, r, p))),
            )
            .collect();
        numbered.sort_by_key(|(n, _)| std::cmp::Reverse(*n));
        Ok(pages.respond(inner, numbered.into_iter().map(|(_, v)| v)))
    })
}

#[derive(Deserialize)]
pub(crate) struct UpdateIssue {
    title: Option<Title>,
    body: Option<String>,
    state: Option<String>,
    labels: Option<Vec<String>>,
}

/// `PATCH /repos/{owner}/{repo}/issues/{issue_number} {title?, body?, state?, labels?}`;
/// 422 `invalid` for a state other than open or closed.
pub(crate) async fn update_issue(
    Path((.., number)): Path<(String, String, String)>,
    access: RepoAccess<WriteIssues>,
    body: Body<UpdateIssue>,
) -> Result<Json<Value>, GhError> {
    let RepoAccess { fake, key, .. } = access;
    let inner = &fake.inner;
    let now = inner.clock.now_unix();
    let req = body.0?;
    let open = match req.state.as_deref() {
        None => None,
        Some("open") => Some(true),
        Some("closed") => Some(false),
        Some(_) => return Err(GhError::validation(json!({"resource": "Issue", "field": "state", "code": "invalid"}))),
    };
    let mut state = fake.lock();
    let n = number.parse::<u64>().ok().filter(|n| state.repo(&key).is_ok_and(|r| r.issues.contains_key(n)));
    let n = n.ok_or_else(GhError::not_found)?;
    let labels = match req.labels {
        Some(names) => {
            let mut canonical = Vec::new();
            for name in names {
                canonical.push(state.label(&key, &name)?);
            }
            Some(canonical)
        }
        None => None,
    };
    let r = state.repo_mut(&key)?;
    let issue = r.issues.get_mut(&n).ok_or_else(GhError::not_found)?;
    let was_open = issue.open;
    if let Some(title) = req.title {
        issue.title = match title {
            Title::Text(t) => t,
            Title::Number(n) => n.to_string(),
        };
    }
    if let Some(body) = req.body {
        issue.body = Some(body);
    }
    if let Some(labels) = labels {
        issue.labels = labels;
    }
    if let Some(open) = open {
        if issue.open != open {
            issue.closed_at = if open { None } else { Some(now) };
        }
        issue.open = open;
    }
    issue.updated_at = now;
    let issue = issue.clone();
    match (was_open, issue.open) {
        (false, true) => r.opened(),
        (true, false) => r.closed(),
        _ => {}
    }
    Ok(Json(issue_json(inner, r, &issue)))
}

/// A comment on an issue or a pull request (pull requests share the issues' comments).
#[derive(Debug, Clone)]
pub(crate) struct CommentRecord {
    pub id: u64,
    pub body: String,
    pub user: Actor,
    pub created_at: u64,
}

/// A comment as GitHub renders it, in GitHub's key order, serialized as it
/// stands (its user is the account's kept bytes: [`Actor::rendered`]).
#[derive(Serialize)]
struct CommentDoc<'a> {
    id: u64,
    node_id: String,
    url: String,
    html_url: String,
    issue_url: String,
    body: &'a str,
    user: Option<Rendered>,
    created_at: String,
    updated_at: String,
    author_association: &'static str,
    performed_via_github_app: (),
}

fn comment_doc<'a>(inner: &Inner, repo: &Repo, number: u64, c: &'a CommentRecord) -> CommentDoc<'a> {
    let api = inner.api(&repo.api_path());
    let html = inner.html(&format!("/{}/issues/{number}#issuecomment-{}", repo.full_name(), c.id));
    let created_at = iso8601(c.created_at);
    CommentDoc {
        id: c.id,
        node_id: format!("IC_kwDO{:08X}", c.id),
        url: format!("{api}/issues/comments/{}", c.id),
        html_url: html,
        issue_url: format!("{api}/issues/{number}"),
        body: &c.body,
        user: c.user.rendered(inner),
        updated_at: created_at.clone(),
        created_at,
        author_association: if c.user == Actor::Bot { "NONE" } else { "MEMBER" },
        performed_via_github_app: (),
    }
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
    let out = (StatusCode::CREATED, Json(comment_doc(inner, r, n, &comment))).into_response();
    r.comments.entry(n).or_default().push(comment);
    Ok(out)
}

/// `GET /repos/{owner}/{repo}/issues/{issue_number}/comments` (oldest first, paginated).
pub(crate) async fn list_comments(
    Path((.., number)): Path<(String, String, String)>,
    pages: Pages,
    access: RepoAccess<Read>,
) -> Result<Response, GhError> {
    access.read(|inner, r| {
        let n = existing_number(r, &number)?;
        let list: Vec<CommentDoc<'_>> =
            r.comments.get(&n).map(|c| c.iter().map(|c| comment_doc(inner, r, n, c)).collect()).unwrap_or_default();
        Ok(pages.respond(inner, list.into_iter()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::github::fake_with_repositories;

    /// The `Value` builder the typed comment replaced.
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

    #[test]
    fn a_comment_document_is_the_value_one_byte_for_byte() {
        let fake = fake_with_repositories(5, &["delivery"]);
        let inner = &fake.inner;
        let state = fake.lock();
        let repo = state.repos.values().next().expect("repository");
        let users = [Actor::Bot, Actor::User { login: "octo".into(), id: 42 }, Actor::Anonymous];
        let bodies = ["evidence for agent-1", "", "line\nbreak \"quoted\" \\ \u{1} é😀 \u{2028}", &"x".repeat(4096)];
        for (i, user) in users.iter().enumerate() {
            for body in bodies {
                for (number, created_at) in [(1, 0), (u64::MAX, 1_780_315_200), (7, 4_102_444_800)] {
                    let c =
                        CommentRecord { id: 1_000_000 + i as u64, body: body.into(), user: user.clone(), created_at };
                    let old = comment_json(inner, repo, number, &c).to_string();
                    assert_eq!(serde_json::to_string(&comment_doc(inner, repo, number, &c)).unwrap(), old);
                }
            }
        }
    }
}
