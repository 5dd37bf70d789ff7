//! Pull request reviews: `POST …/pulls/{n}/reviews {body?, event?, commit_id?}`
//! (200, as GitHub answers it), `GET …/pulls/{n}/reviews` and
//! `GET …/pulls/{n}/reviews/{id}`. `APPROVE`, `REQUEST_CHANGES` and `COMMENT`
//! submit the review; no event leaves it `PENDING`. Approving one's own pull
//! request is GitHub's 422 "Can not approve your own pull request". Line
//! comments in `comments` are not kept (the fidelity table says so).

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::actors::Actor;
use super::app_auth::{Read, RepoAccess, WritePullRequests};
use super::errors::{Body, GhError};
use super::pages::Pages;
use super::pulls::pull;
use super::repos::Repo;
use super::Inner;
use crate::clock::iso8601;

#[derive(Debug, Clone)]
pub(crate) struct ReviewRecord {
    pub id: u64,
    pub user: Actor,
    pub body: String,
    /// `APPROVED`, `CHANGES_REQUESTED`, `COMMENTED` or `PENDING`.
    pub state: &'static str,
    pub commit_id: String,
    pub submitted_at: Option<u64>,
}

fn review_json(inner: &Inner, repo: &Repo, number: u64, review: &ReviewRecord) -> Value {
    let api = inner.api(&repo.api_path());
    let html = inner.html(&format!("/{}/pull/{number}#pullrequestreview-{}", repo.full_name(), review.id));
    let pull_url = format!("{api}/pulls/{number}");
    let mut out = json!({
        "id": review.id,
        "node_id": format!("PRR_kwDO{:08X}", review.id),
        "user": null,
        "body": review.body,
        "state": review.state,
        "html_url": html,
        "pull_request_url": pull_url,
        "author_association": if review.user == Actor::Bot { "NONE" } else { "MEMBER" },
        "_links": {"html": {"href": html}, "pull_request": {"href": pull_url}},
        "commit_id": review.commit_id,
    });
    out["user"] = review.user.json(inner);
    if let Some(at) = review.submitted_at {
        out["submitted_at"] = Value::String(iso8601(at));
    }
    out
}

#[derive(Deserialize)]
pub(crate) struct CreateReview {
    body: Option<String>,
    event: Option<String>,
    commit_id: Option<String>,
}

/// `POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews`
pub(crate) async fn create_review(
    Path((.., number)): Path<(String, String, String)>,
    access: RepoAccess<WritePullRequests>,
    body: Body<CreateReview>,
) -> Result<Json<Value>, GhError> {
    let RepoAccess { fake, key, actor, .. } = access;
    let inner = &fake.inner;
    let now = inner.clock.now_unix();
    let req = body.0?;
    let review_state = match req.event.as_deref() {
        None | Some("") => "PENDING",
        Some("APPROVE") => "APPROVED",
        Some("REQUEST_CHANGES") => "CHANGES_REQUESTED",
        Some("COMMENT") => "COMMENTED",
        Some(_) => {
            return Err(GhError::validation(
                json!({"resource": "PullRequestReview", "field": "event", "code": "invalid"}),
            ))
        }
    };
    let mut state = fake.lock();
    let id = state.next_id();
    let r = state.repo_mut(&key)?;
    let pr = pull(r, &number)?;
    let n = pr.number;
    if review_state == "APPROVED" && pr.user == actor {
        return Err(GhError {
            errors: Some(vec![Value::String("Can not approve your own pull request".into())]),
            ..GhError::new(StatusCode::UNPROCESSABLE_ENTITY, "Unprocessable Entity")
        });
    }
    let commit_id = req.commit_id.unwrap_or_else(|| pr.head_sha(r));
    let review = ReviewRecord {
        id,
        user: actor,
        body: req.body.unwrap_or_default(),
        state: review_state,
        commit_id,
        submitted_at: (review_state != "PENDING").then_some(now),
    };
    let out = review_json(inner, r, n, &review);
    r.reviews.entry(n).or_default().push(review);
    Ok(Json(out))
}

/// `GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews` (oldest first).
pub(crate) async fn list_reviews(
    Path((.., number)): Path<(String, String, String)>,
    pages: Pages,
    access: RepoAccess<Read>,
) -> Result<Response, GhError> {
    access.read(|inner, r| {
        let n = pull(r, &number)?.number;
        let list: Vec<Value> =
            r.reviews.get(&n).map(|all| all.iter().map(|v| review_json(inner, r, n, v)).collect()).unwrap_or_default();
        Ok(pages.respond(inner, list.into_iter()))
    })
}

/// `GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}`
pub(crate) async fn get_review(
    Path((_, _, number, review_id)): Path<(String, String, String, String)>,
    access: RepoAccess<Read>,
) -> Result<Json<Value>, GhError> {
    access.read(|inner, r| {
        let n = pull(r, &number)?.number;
        let review = r
            .reviews
            .get(&n)
            .and_then(|all| all.iter().find(|v| review_id.parse::<u64>().ok() == Some(v.id)))
            .ok_or_else(GhError::not_found)?;
        Ok(Json(review_json(inner, r, n, review)))
    })
}
