//! Pull requests: open (`POST /repos/{o}/{r}/pulls`, 201), read, list and
//! merge (`PUT …/pulls/{n}/merge`). A pull request's head follows its branch;
//! its mergeability is computed from the trees (a path changed differently on
//! both sides since the merge base is a conflict: 405 on merge); a merge
//! naming a stale head `sha` is 409.

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::value::{to_raw_value, RawValue};
use serde_json::{json, Value};

use std::collections::BTreeMap;
use std::sync::{Arc, PoisonError};

use super::actors::{Actor, Rendered};
use super::app_auth::{Read, RepoAccess, WriteContents, WritePullRequests};
use super::errors::{Body, GhError};
use super::labels::LabelDoc;
use super::pages::Pages;
use super::repos::{Repo, RepoDoc};
use super::Inner;
use crate::clock::iso8601;

#[derive(Debug, Clone)]
pub(crate) struct PullRecord {
    pub number: u64,
    pub id: u64,
    pub title: String,
    pub body: Option<String>,
    pub head: String,
    pub base: String,
    /// The head commit when the pull request was closed (a branch may move on).
    pub closed_head_sha: Option<String>,
    pub base_sha: String,
    pub open: bool,
    pub draft: bool,
    pub merged: bool,
    pub merge_commit_sha: Option<String>,
    pub merged_by: Option<Actor>,
    pub user: Actor,
    /// Names of the repository's labels on it.
    pub labels: Vec<String>,
    pub created_at: u64,
    pub updated_at: u64,
    pub closed_at: Option<u64>,
}

impl Repo {
    /// Stores a new pull request, indexed by its head branch.
    fn insert_pull(&mut self, pr: PullRecord) {
        self.pulls_by_head.entry(pr.head.clone()).or_default().insert(pr.number);
        self.pulls.insert(pr.number, pr);
    }

    /// The pull requests from branch `head`, by number ascending: what
    /// `pulls.values().filter(|p| p.head == head)` yields, without the others.
    fn pulls_from<'a>(&'a self, head: &str) -> impl Iterator<Item = &'a PullRecord> + 'a {
        let numbers = self.pulls_by_head.get(head).into_iter().flatten();
        numbers.filter_map(|n| self.pulls.get(n))
    }
}

impl PullRecord {
    pub(crate) fn head_sha(&self, repo: &Repo) -> String {
        self.closed_head_sha.clone().or_else(|| repo.git.branch_sha(&self.head).cloned()).unwrap_or_default()
    }

    /// `Some(true)` when the head merges cleanly into the base.
    fn mergeable(&self, repo: &Repo) -> Option<bool> {
        if !self.open {
            return None;
        }
        let base = repo.git.branch_sha(&self.base)?;
        Some(repo.git.merge_trees(base, &self.head_sha(repo)).is_ok())
    }
}

/// A pull request's `head` or `base`; its `user` and `repo` are the one
/// repository's, serialized once per response ([`RepoParts`]).
#[derive(Serialize)]
struct BranchDoc<'a> {
    label: String,
    #[serde(rename = "ref")]
    branch: &'a str,
    sha: String,
    user: &'a RawValue,
    repo: &'a RawValue,
}

impl<'a> BranchDoc<'a> {
    fn new(repo: &Repo, parts: &'a RepoParts, branch: &'a str, sha: String) -> Self {
        BranchDoc { label: format!("{}:{branch}", repo.owner), branch, sha, user: parts.owner.raw(), repo: &parts.repo }
    }
}

/// A repository document ([`Repo::doc`]) and its owner's account, serialized
/// once for every `head` and `base` of a response that shows them (each a
/// pull request's `user` and `repo` twice): the bytes serializing each in place
/// writes, written once.
pub(crate) struct RepoParts {
    owner: Rendered,
    repo: Box<RawValue>,
}

impl RepoParts {
    pub(crate) fn new(doc: &RepoDoc<'_>) -> RepoParts {
        // Plain structs with string keys: serde_json cannot fail on them.
        RepoParts { owner: doc.owner.clone(), repo: to_raw_value(doc).expect("a repository document serializes") }
    }
}

/// What [`Repo::doc`] reads of a repository (the rest is the fake's config,
/// fixed): when these are equal, the document's bytes are.
#[derive(Debug, PartialEq)]
struct RepoDocInputs {
    id: u64,
    owner: String,
    name: String,
    private: bool,
    description: Option<String>,
    default_branch: String,
    created_at: u64,
    open_count: usize,
}

impl RepoDocInputs {
    fn of(repo: &Repo) -> RepoDocInputs {
        RepoDocInputs {
            id: repo.id,
            owner: repo.owner.clone(),
            name: repo.name.clone(),
            private: repo.private,
            description: repo.description.clone(),
            default_branch: repo.default_branch.clone(),
            created_at: repo.created_at,
            open_count: repo.open_count,
        }
    }

    fn show(&self, repo: &Repo) -> bool {
        self.id == repo.id
            && self.owner == repo.owner
            && self.name == repo.name
            && self.private == repo.private
            && self.description == repo.description
            && self.default_branch == repo.default_branch
            && self.created_at == repo.created_at
            && self.open_count == repo.open_count
    }
}

/// Each repository's [`RepoParts`], by id, with what it was rendered from.
#[derive(Default)]
pub(crate) struct RenderedRepos(BTreeMap<u64, (RepoDocInputs, Arc<RepoParts>)>);

/// `RepoParts::new(&repo.doc(inner))`, rendered again only when what the
/// document shows of the repository changed (its open count, mostly).
pub(crate) fn repo_parts(inner: &Inner, repo: &Repo) -> Arc<RepoParts> {
    let mut kept = inner.repo_parts.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((inputs, parts)) = kept.0.get(&repo.id) {
        if inputs.show(repo) {
            return Arc::clone(parts);
        }
    }
    let parts = Arc::new(RepoParts::new(&repo.doc(inner)));
    kept.0.insert(repo.id, (RepoDocInputs::of(repo), Arc::clone(&parts)));
    parts
}

/// A pull request as GitHub lists it (`pull-request-simple`), in GitHub's key
/// order: no merge state, no counts, so listing never computes a merge.
#[derive(Serialize)]
pub(crate) struct SimplePullDoc<'a> {
    url: String,
    id: u64,
    node_id: String,
    html_url: String,
    diff_url: String,
    patch_url: String,
    issue_url: String,
    commits_url: String,
    review_comments_url: String,
    comments_url: String,
    statuses_url: String,
    number: u64,
    state: &'static str,
    locked: bool,
    title: &'a str,
    user: Option<Rendered>,
    body: Option<&'a str>,
    labels: Vec<LabelDoc<'a>>,
    milestone: (),
    active_lock_reason: (),
    created_at: String,
    updated_at: String,
    closed_at: Option<String>,
    merged_at: Option<String>,
    merge_commit_sha: Option<&'a str>,
    assignee: (),
    assignees: [(); 0],
    requested_reviewers: [(); 0],
    requested_teams: [(); 0],
    head: BranchDoc<'a>,
    base: BranchDoc<'a>,
    author_association: &'static str,
    auto_merge: (),
    draft: bool,
}

/// A pull request as GitHub answers for it alone: the listed shape plus its
/// merge state (a three-way merge of head into base) and counts.
#[derive(Serialize)]
pub(crate) struct PullDoc<'a> {
    #[serde(flatten)]
    simple: SimplePullDoc<'a>,
    merged: bool,
    mergeable: Option<bool>,
    rebaseable: Option<bool>,
    mergeable_state: &'static str,
    merged_by: Option<Rendered>,
    comments: usize,
    review_comments: u64,
    maintainer_can_modify: bool,
    commits: u64,
    additions: u64,
    deletions: u64,
    changed_files: u64,
}

/// A pull request as GitHub lists it; `parts` is the repository's own
/// document ([`Repo::doc`]) serialized, which `head` and `base` show (one per response).
fn simple_pull_doc<'a>(inner: &Inner, repo: &'a Repo, parts: &'a RepoParts, pr: &'a PullRecord) -> SimplePullDoc<'a> {
    let api = inner.api(&repo.api_path());
    let html = inner.html(&format!("/{}/pull/{}", repo.full_name(), pr.number));
    let base_sha = repo.git.branch_sha(&pr.base).cloned().unwrap_or_else(|| pr.base_sha.clone());
    let head_sha = pr.head_sha(repo);
    let n = pr.number;
    SimplePullDoc {
        url: format!("{api}/pulls/{n}"),
        id: pr.id,
        node_id: format!("PR_kwDO{:08X}", pr.id),
        diff_url: format!("{html}.diff"),
        patch_url: format!("{html}.patch"),
        html_url: html,
        issue_url: format!("{api}/issues/{n}"),
        commits_url: format!("{api}/pulls/{n}/commits"),
        review_comments_url: format!("{api}/pulls/{n}/comments"),
        comments_url: format!("{api}/issues/{n}/comments"),
        statuses_url: format!("{api}/statuses/{head_sha}"),
        number: n,
        state: if pr.open { "open" } else { "closed" },
        locked: false,
        title: &pr.title,
        user: pr.user.rendered(inner),
        body: pr.body.as_deref(),
        labels: repo.label_docs(inner, &pr.labels),
        milestone: (),
        active_lock_reason: (),
        created_at: iso8601(pr.created_at),
        updated_at: iso8601(pr.updated_at),
        closed_at: pr.closed_at.map(iso8601),
        merged_at: if pr.merged { pr.closed_at.map(iso8601) } else { None },
        merge_commit_sha: pr.merge_commit_sha.as_deref(),
        assignee: (),
        assignees: [],
        requested_reviewers: [],
        requested_teams: [],
        head: BranchDoc::new(repo, parts, &pr.head, head_sha),
        base: BranchDoc::new(repo, parts, &pr.base, base_sha),
        author_association: if pr.user == Actor::Bot { "NONE" } else { "MEMBER" },
        auto_merge: (),
        draft: pr.draft,
    }
}

/// A pull request as GitHub answers for it alone (see [`simple_pull_doc`]).
pub(crate) fn pull_doc<'a>(inner: &Inner, repo: &'a Repo, parts: &'a RepoParts, pr: &'a PullRecord) -> PullDoc<'a> {
    let mergeable = pr.mergeable(repo);
    PullDoc {
        simple: simple_pull_doc(inner, repo, parts, pr),
        merged: pr.merged,
        mergeable,
        rebaseable: mergeable,
        mergeable_state: match mergeable {
            Some(true) => "clean",
            Some(false) => "dirty",
            None => "unknown",
        },
        merged_by: pr.merged_by.as_ref().and_then(|a| a.rendered(inner)),
        comments: repo.comments.get(&pr.number).map_or(0, Vec::len),
        review_comments: 0,
        maintainer_can_modify: false,
        commits: 1,
        additions: 0,
        deletions: 0,
        changed_files: 0,
    }
}

/// The response for one pull request: its document, serialized at once.
fn pull_response(inner: &Inner, repo: &Repo, pr: &PullRecord) -> Response {
    let parts = repo_parts(inner, repo);
    Json(pull_doc(inner, repo, &parts, pr)).into_response()
}

#[derive(Deserialize)]
pub(crate) struct CreatePull {
    title: String,
    head: String,
    base: String,
    body: Option<String>,
    #[serde(default)]
    draft: bool,
}

fn pr_invalid(field: &str) -> GhError {
    GhError::validation(json!({"resource": "PullRequest", "field": field, "code": "invalid"}))
}

fn pr_custom(message: String) -> GhError {
    GhError::validation(json!({"resource": "PullRequest", "code": "custom", "message": message}))
}

/// `POST /repos/{owner}/{repo}/pulls {title, head, base, body?, draft?}` -> 201.
pub(crate) async fn create_pull(
    access: RepoAccess<WritePullRequests>,
    body: Body<CreatePull>,
) -> Result<Response, GhError> {
    let RepoAccess { fake, key, actor, .. } = access;
    let inner = &fake.inner;
    let now = inner.clock.now_unix();
    let req = body.0?;
    let mut state = fake.lock();
    let id = state.next_id();
    let r = state.repo_mut(&key)?;
    // `head` may be `owner:branch`; only same-repository heads exist here.
    let head = match req.head.split_once(':') {
        Some((o, b)) if o.eq_ignore_ascii_case(&r.owner) => b.to_string(),
        Some(_) => return Err(pr_invalid("head")),
        None => req.head.clone(),
    };
    let base_sha = r.git.branch_sha(&req.base).cloned().ok_or_else(|| pr_invalid("base"))?;
    let head_sha = r.git.branch_sha(&head).cloned().ok_or_else(|| pr_invalid("head"))?;
    if r.git.is_ancestor(&head_sha, &base_sha) {
        return Err(pr_custom(format!("No commits between {} and {head}", req.base)));
    }
    if r.pulls_from(&head).any(|p| p.open && p.base == req.base) {
        return Err(pr_custom(format!("A pull request already exists for {}:{head}.", r.owner)));
    }
    let number = r.next_number;
    r.next_number += 1;
    let pr = PullRecord {
        number,
        id,
        title: req.title,
        body: req.body,
        head,
        base: req.base,
        closed_head_sha: None,
        base_sha,
        open: true,
        draft: req.draft,
        merged: false,
        merge_commit_sha: None,
        merged_by: None,
        user: actor,
        labels: Vec::new(),
        created_at: now,
        updated_at: now,
        closed_at: None,
    };
    // Rendered before it is stored: the repository it embeds does not count it yet.
    let mut response = pull_response(inner, r, &pr);
    *response.status_mut() = StatusCode::CREATED;
    r.insert_pull(pr);
    r.opened();
    Ok(response)
}

/// `GET /repos/{owner}/{repo}/pulls/{pull_number}`
pub(crate) async fn get_pull(
    Path((.., number)): Path<(String, String, String)>,
    access: RepoAccess<Read>,
) -> Result<Response, GhError> {
    access.read(|inner, r| {
        let pr = pull(r, &number)?;
        Ok(pull_response(inner, r, pr))
    })
}

#[derive(Deserialize, Default)]
pub(crate) struct ListQuery {
    state: Option<String>,
    /// `owner:branch` (GitHub's `head` filter).
    head: Option<String>,
}

/// `GET /repos/{owner}/{repo}/pulls?state=open|closed|all&head=owner:branch` (oldest first, paginated).
pub(crate) async fn list_pulls(
    // The path before the query: a path axum cannot parse is refused first.
    _: Path<(String, String)>,
    Query(query): Query<ListQuery>,
    pages: Pages,
    access: RepoAccess<Read>,
) -> Result<Response, GhError> {
    access.read(|inner, r| {
        let wanted = query.state.unwrap_or_else(|| "open".into());
        let head = query.head.as_deref().map(|h| h.split_once(':').unwrap_or((r.owner.as_str(), h)));
        let parts = repo_parts(inner, r);
        // With `head`, only that branch's pull requests (none for another owner's branch).
        let candidates: Box<dyn Iterator<Item = &PullRecord>> = match head {
            None => Box::new(r.pulls.values()),
            Some((owner, branch)) if owner.eq_ignore_ascii_case(&r.owner) => Box::new(r.pulls_from(branch)),
            Some(_) => Box::new(std::iter::empty()),
        };
        let list: Vec<SimplePullDoc<'_>> = candidates
            .filter(|p| state_matches(&wanted, p.open))
            .map(|p| simple_pull_doc(inner, r, &parts, p))
            .collect();
        Ok(pages.respond(inner, list.into_iter()))
    })
}

#[derive(Deserialize)]
pub(crate) struct MergeRequest {
    commit_title: Option<String>,
    commit_message: Option<String>,
    sha: Option<String>,
    merge_method: Option<String>,
}

/// `PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge` -> 200 `{sha,
/// merged: true, message}`; 405 when not mergeable (closed, draft or
/// conflicting); 409 when `sha` is not the head; 422 on a bad `merge_method`.
pub(crate) async fn merge_pull(
    Path((.., number)): Path<(String, String, String)>,
    access: RepoAccess<WriteContents>,
    body: Body<MergeRequest>,
) -> Result<Json<Value>, GhError> {
    let RepoAccess { fake, key, actor, .. } = access;
    let inner = &fake.inner;
    let now = inner.clock.now_unix();
    // An empty body is allowed: every field is optional.
    let req = match body.0 {
        Err(e) if e.status == StatusCode::BAD_REQUEST => {
            MergeRequest { commit_title: None, commit_message: None, sha: None, merge_method: None }
        }
        other => other?,
    };
    let mut state = fake.lock();
    let r = state.repo(&key)?;
    let n = number.parse::<u64>().ok().filter(|n| r.pulls.contains_key(n)).ok_or_else(GhError::not_found)?;
    let pr = &r.pulls[&n];
    let method = req.merge_method.as_deref().unwrap_or("merge");
    if !matches!(method, "merge" | "squash" | "rebase") {
        return Err(GhError::validation(
            json!({"resource": "PullRequest", "field": "merge_method", "code": "invalid"}),
        ));
    }
    let not_mergeable = || GhError::new(StatusCode::METHOD_NOT_ALLOWED, "Pull Request is not mergeable");
    if !pr.open || pr.draft {
        return Err(not_mergeable());
    }
    let head_sha = pr.head_sha(r);
    if req.sha.as_ref().is_some_and(|s| *s != head_sha) {
        return Err(GhError::new(StatusCode::CONFLICT, "Head branch was modified. Review and try the merge again."));
    }
    let base_sha = r.git.branch_sha(&pr.base).cloned().ok_or_else(not_mergeable)?;
    let files = r.git.merge_trees(&base_sha, &head_sha).map_err(|_| not_mergeable())?;
    let title = req.commit_title.unwrap_or_else(|| match method {
        "merge" => format!("Merge pull request #{n} from {}/{}", r.owner, pr.head),
        _ => format!("{} (#{n})", pr.title),
    });
    let message = match req.commit_message {
        Some(m) => format!("{title}\n\n{m}"),
        None => title,
    };
    let parents = if method == "merge" { vec![base_sha, head_sha.clone()] } else { vec![base_sha] };
    let base = pr.base.clone();
    let signature = actor.signature(inner);
    let sha = state.commit(&key, parents, files, &message, signature, now);
    let r = state.repo_mut(&key)?;
    r.git.set_branch(&base, sha.clone());
    if let Some(pr) = r.pulls.get_mut(&n) {
        let was_open = std::mem::replace(&mut pr.open, false);
        pr.merged = true;
        pr.merge_commit_sha = Some(sha.clone());
        pr.merged_by = Some(actor);
        pr.closed_head_sha = Some(head_sha);
        pr.closed_at = Some(now);
        pr.updated_at = now;
        if was_open {
            r.closed();
        }
    }
    Ok(Json(json!({"sha": sha, "merged": true, "message": "Pull Request successfully merged"})))
}

/// The pull request `number` of the repository, else GitHub's 404.
pub(crate) fn pull<'a>(r: &'a Repo, number: &str) -> Result<&'a PullRecord, GhError> {
    number.parse::<u64>().ok().and_then(|n| r.pulls.get(&n)).ok_or_else(GhError::not_found)
}

#[derive(Deserialize)]
pub(crate) struct UpdatePull {
    title: Option<String>,
    body: Option<String>,
    state: Option<String>,
    base: Option<String>,
}

/// `PATCH /repos/{owner}/{repo}/pulls/{pull_number} {title?, body?, state?, base?}`:
/// closes or reopens (a merged one stays closed: 422), retitles, retargets.
pub(crate) async fn update_pull(
    Path((.., number)): Path<(String, String, String)>,
    access: RepoAccess<WritePullRequests>,
    body: Body<UpdatePull>,
) -> Result<Response, GhError> {
    let RepoAccess { fake, key, .. } = access;
    let inner = &fake.inner;
    let now = inner.clock.now_unix();
    let req = body.0?;
    let mut state = fake.lock();
    let r = state.repo_mut(&key)?;
    let n = pull(r, &number)?.number;
    if let Some(base) = &req.base {
        r.git.branch_sha(base).ok_or_else(|| pr_invalid("base"))?;
    }
    let head_sha = r.pulls[&n].head_sha(r);
    let pr = r.pulls.get_mut(&n).ok_or_else(GhError::not_found)?;
    let was_open = pr.open;
    match req.state.as_deref() {
        None => {}
        Some("open") if pr.merged => return Err(pr_custom("Cannot reopen a merged pull request".into())),
        Some("open") => {
            pr.open = true;
            pr.closed_at = None;
            pr.closed_head_sha = None;
        }
        Some("closed") if pr.open => {
            pr.open = false;
            pr.closed_at = Some(now);
            pr.closed_head_sha = Some(head_sha);
        }
        Some("closed") => {}
        Some(_) => return Err(pr_invalid("state")),
    }
    if let Some(title) = req.title {
        pr.title = title;
    }
    if let Some(body) = req.body {
        pr.body = Some(body);
    }
    if let Some(base) = req.base {
        pr.base = base;
    }
    pr.updated_at = now;
    let pr = pr.clone();
    match (was_open, pr.open) {
        (false, true) => r.opened(),
        (true, false) => r.closed(),
        _ => {}
    }
    Ok(pull_response(inner, r, &pr))
}

/// `GET /repos/{owner}/{repo}/pulls/{pull_number}/commits`: what the head adds
/// to the base, oldest first.
pub(crate) async fn list_pull_commits(
    Path((.., number)): Path<(String, String, String)>,
    pages: Pages,
    access: RepoAccess<Read>,
) -> Result<Response, GhError> {
    access.read(|inner, r| {
        let pr = pull(r, &number)?;
        let base = r.git.branch_sha(&pr.base).cloned().unwrap_or_else(|| pr.base_sha.clone());
        let commits: Vec<Value> = r
            .git
            .history(&pr.head_sha(r), Some(&base))
            .into_iter()
            .rev()
            .map(|c| r.rest_commit_json(inner, c, false))
            .collect();
        Ok(pages.respond(inner, commits.into_iter()))
    })
}

/// `GET /repos/{owner}/{repo}/pulls/{pull_number}/files`: what the head changed
/// since the merge base.
pub(crate) async fn list_pull_files(
    Path((.., number)): Path<(String, String, String)>,
    pages: Pages,
    access: RepoAccess<Read>,
) -> Result<Response, GhError> {
    access.read(|inner, r| {
        let pr = pull(r, &number)?;
        let head = pr.head_sha(r);
        let base = r.git.branch_sha(&pr.base).cloned().unwrap_or_else(|| pr.base_sha.clone());
        let from =
            r.git.merge_base(&base, &head).and_then(|b| r.git.commit(&b)).map(|c| c.files.clone()).unwrap_or_default();
        let to = r.git.commit(&head).map(|c| c.files.clone()).unwrap_or_default();
        let files = r.files_json(inner, &from, &to, &head);
        Ok(pages.respond(inner, files.into_iter()))
    })
}

/// `GET /repos/{owner}/{repo}/pulls/{pull_number}/merge`: 204 when merged, else 404.
pub(crate) async fn is_merged(
    Path((.., number)): Path<(String, String, String)>,
    access: RepoAccess<Read>,
) -> Result<StatusCode, GhError> {
    let state = access.fake.lock();
    let r = state.repo(&access.key)?;
    match pull(r, &number)?.merged {
        true => Ok(StatusCode::NO_CONTENT),
        false => Err(GhError::not_found()),
    }
}

/// Whether an issue or pull request that is `open` (or not) is listed for a
/// `state=` filter (`open`, the default, `closed` or `all`).
pub(crate) fn state_matches(wanted: &str, open: bool) -> bool {
    match wanted {
        "all" => true,
        "closed" => !open,
        _ => open,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::github::fake_with_repositories;

    fn bytes(parts: &RepoParts) -> (String, String) {
        (parts.owner.raw().get().to_string(), parts.repo.get().to_string())
    }

    #[test]
    fn kept_repository_documents_are_rendered_again_when_what_they_show_changes() {
        let fake = fake_with_repositories(3, &["delivery", "other"]);
        let inner = &fake.inner;
        let mut state = fake.lock();
        let changes: [fn(&mut Repo); 12] = [
            |r| r.open_count += 1,
            |r| r.open_count += 1,
            |r| r.open_count -= 1,
            |r| r.private = !r.private,
            |r| r.description = Some("a \"quoted\"\n description".into()),
            |r| r.description = Some(String::new()),
            |r| r.default_branch = "trunk".into(),
            |r| r.created_at += 1,
            |r| r.name.push_str("-x"),
            |r| r.owner = "someone-else".into(),
            |r| r.owner = r.owner.to_uppercase(),
            |r| r.id += 1,
        ];
        let keys: Vec<String> = state.repos.keys().cloned().collect();
        for key in &keys {
            let repo = state.repos.get_mut(key).expect("repository");
            let mut shown = bytes(&repo_parts(inner, repo));
            assert_eq!(shown, bytes(&RepoParts::new(&repo.doc(inner))));
            for (i, change) in changes.iter().enumerate() {
                change(repo);
                let fresh = bytes(&RepoParts::new(&repo.doc(inner)));
                assert_ne!(fresh, shown, "change {i} shows in the document");
                for _ in 0..2 {
                    assert_eq!(bytes(&repo_parts(inner, repo)), fresh, "{key}, change {i}");
                }
                shown = fresh;
            }
        }
    }
}
