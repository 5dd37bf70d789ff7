//! Repositories and the git data a pull request needs: branches (refs),
//! commits with whole-file trees, and the contents API that commits a file
//! to a branch. Merging is a path-level three-way merge from the merge base,
//! so a conflict (and so an unmergeable pull request) emerges from what was
//! written, never from a flag.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use axum::extract::{Path, Query, State as AxState};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::actors::account_json;
use super::app_auth::{repo_actor, Credential, Need};
use super::errors::{Body, GhError};
use super::issues::IssueRecord;
use super::pulls::PullRecord;
use super::{GithubFake, Inner, State};
use crate::clock::iso8601;

#[derive(Debug, Clone)]
pub(crate) struct Blob {
    pub sha: String,
    pub content: Vec<u8>,
}

#[derive(Debug, Clone)]
pub(crate) struct GitCommit {
    pub sha: String,
    pub parents: Vec<String>,
    pub files: BTreeMap<String, Blob>,
    pub message: String,
    pub author: (String, String),
    pub date: u64,
}

#[derive(Debug, Clone)]
pub(crate) struct Repo {
    pub id: u64,
    pub owner: String,
    pub name: String,
    pub private: bool,
    pub description: Option<String>,
    pub default_branch: String,
    pub created_at: u64,
    /// Full ref name (`refs/heads/main`) -> commit sha.
    pub refs: BTreeMap<String, String>,
    pub commits: BTreeMap<String, GitCommit>,
    /// Issues and pull requests share one number sequence, as on GitHub.
    pub next_number: u64,
    pub pulls: BTreeMap<u64, PullRecord>,
    pub issues: BTreeMap<u64, IssueRecord>,
    /// Comments per issue or pull request number, oldest first.
    pub comments: BTreeMap<u64, Vec<super::issues::CommentRecord>>,
}

/// A blob id derived from the content (equal content, equal id).
pub(crate) fn blob_sha(content: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(format!("blob {}\0", content.len()).as_bytes());
    h.update(content);
    h.finalize().iter().take(20).map(|b| format!("{b:02x}")).collect()
}

impl Repo {
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }

    pub fn api_path(&self) -> String {
        format!("/repos/{}/{}", self.owner, self.name)
    }

    pub fn branch_sha(&self, branch: &str) -> Option<&String> {
        self.refs.get(&format!("refs/heads/{branch}"))
    }

    /// All ancestors of `sha`, itself included.
    fn ancestors(&self, sha: &str) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut queue = VecDeque::from([sha.to_string()]);
        while let Some(s) = queue.pop_front() {
            if seen.insert(s.clone()) {
                if let Some(c) = self.commits.get(&s) {
                    queue.extend(c.parents.iter().cloned());
                }
            }
        }
        seen
    }

    pub fn is_ancestor(&self, maybe_ancestor: &str, of: &str) -> bool {
        self.ancestors(of).contains(maybe_ancestor)
    }

    /// The nearest common ancestor of `a` and `b` (breadth-first from `b`).
    pub fn merge_base(&self, a: &str, b: &str) -> Option<String> {
        let from_a = self.ancestors(a);
        let mut seen = BTreeSet::new();
        let mut queue = VecDeque::from([b.to_string()]);
        while let Some(s) = queue.pop_front() {
            if from_a.contains(&s) {
                return Some(s);
            }
            if seen.insert(s.clone()) {
                if let Some(c) = self.commits.get(&s) {
                    queue.extend(c.parents.iter().cloned());
                }
            }
        }
        None
    }

    /// Three-way merge of `theirs` into `ours`: the merged tree, or the
    /// paths both sides changed differently.
    pub fn merge_trees(&self, ours: &str, theirs: &str) -> Result<BTreeMap<String, Blob>, Vec<String>> {
        let empty = BTreeMap::new();
        let tree = |sha: &str| self.commits.get(sha).map(|c| &c.files).unwrap_or(&empty);
        let base = self.merge_base(ours, theirs).map(|b| tree(&b).clone()).unwrap_or_default();
        let (o, t) = (tree(ours), tree(theirs));
        let paths: BTreeSet<&String> = base.keys().chain(o.keys()).chain(t.keys()).collect();
        let mut merged = BTreeMap::new();
        let mut conflicts = Vec::new();
        for path in paths {
            let (b, x, y) = (base.get(path), o.get(path), t.get(path));
            let id = |blob: Option<&Blob>| blob.map(|bl| bl.sha.clone());
            let pick = if id(x) == id(y) || id(y) == id(b) {
                x
            } else if id(x) == id(b) {
                y
            } else {
                conflicts.push(path.clone());
                continue;
            };
            if let Some(blob) = pick {
                merged.insert(path.clone(), blob.clone());
            }
        }
        if conflicts.is_empty() {
            Ok(merged)
        } else {
            Err(conflicts)
        }
    }

    pub fn json(&self, inner: &Inner) -> Value {
        let api = inner.api(&self.api_path());
        let owner_kind =
            if self.owner.eq_ignore_ascii_case(&inner.config.installation.account) { "Organization" } else { "User" };
        let owner_id = if owner_kind == "Organization" { inner.config.installation.account_id } else { self.id + 7 };
        let mut repo = json!({
            "id": self.id,
            "node_id": format!("R_kgDO{:08X}", self.id),
            "name": self.name,
            "full_name": self.full_name(),
            "private": self.private,
            "owner": null,
            "html_url": inner.html(&format!("/{}", self.full_name())),
            "description": self.description,
            "fork": false,
            "url": api,
            "git_refs_url": format!("{api}/git/refs{{/sha}}"),
            "contents_url": format!("{api}/contents/{{+path}}"),
            "pulls_url": format!("{api}/pulls{{/number}}"),
            "issues_url": format!("{api}/issues{{/number}}"),
            "clone_url": inner.html(&format!("/{}.git", self.full_name())),
            "created_at": iso8601(self.created_at),
            "updated_at": iso8601(self.created_at),
            "pushed_at": iso8601(self.created_at),
            "default_branch": self.default_branch,
            "visibility": if self.private { "private" } else { "public" },
            "archived": false,
            "disabled": false,
            "has_issues": true,
            "open_issues_count": self.issues.values().filter(|i| i.open).count()
                + self.pulls.values().filter(|p| p.open).count(),
            "permissions": {"admin": false, "maintain": false, "push": true, "triage": true, "pull": true},
        });
        // Moved in, not serialized again through `json!`.
        repo["owner"] = account_json(inner, &self.owner, owner_id, owner_kind);
        repo
    }

    pub fn commit_json(&self, inner: &Inner, sha: &str) -> Value {
        let api = inner.api(&self.api_path());
        let Some(c) = self.commits.get(sha) else {
            return Value::Null;
        };
        let signature = json!({"name": c.author.0, "email": c.author.1, "date": iso8601(c.date)});
        json!({
            "sha": c.sha,
            "node_id": format!("C_kwDO{}", &c.sha[..12]),
            "url": format!("{api}/git/commits/{}", c.sha),
            "html_url": inner.html(&format!("/{}/commit/{}", self.full_name(), c.sha)),
            "author": signature,
            "committer": signature,
            "message": c.message,
            "tree": {"sha": tree_sha(&c.files), "url": format!("{api}/git/trees/{}", tree_sha(&c.files))},
            "parents": c.parents.iter().map(|p| json!({
                "sha": p,
                "url": format!("{api}/git/commits/{p}"),
                "html_url": inner.html(&format!("/{}/commit/{p}", self.full_name())),
            })).collect::<Vec<_>>(),
            "verification": {"verified": false, "reason": "unsigned", "signature": null, "payload": null},
        })
    }

    fn ref_json(&self, inner: &Inner, full_ref: &str, sha: &str) -> Value {
        let api = inner.api(&self.api_path());
        json!({
            "ref": full_ref,
            "node_id": format!("REF_kwDO{}", &sha[..12.min(sha.len())]),
            "url": format!("{api}/git/{full_ref}"),
            "object": {"type": "commit", "sha": sha, "url": format!("{api}/git/commits/{sha}")},
        })
    }

    fn content_json(&self, inner: &Inner, path: &str, branch: &str, blob: &Blob, with_content: bool) -> Value {
        let api = inner.api(&self.api_path());
        let name = path.rsplit('/').next().unwrap_or(path);
        let self_url = format!("{api}/contents/{path}?ref={branch}");
        let git_url = format!("{api}/git/blobs/{}", blob.sha);
        let html_url = inner.html(&format!("/{}/blob/{branch}/{path}", self.full_name()));
        let mut v = json!({
            "name": name,
            "path": path,
            "sha": blob.sha,
            "size": blob.content.len(),
            "url": self_url,
            "html_url": html_url,
            "git_url": git_url,
            "download_url": inner.html(&format!("/raw/{}/{branch}/{path}", self.full_name())),
            "type": "file",
            "_links": {"self": self_url, "git": git_url, "html": html_url},
        });
        if with_content {
            v["content"] = Value::String(STANDARD.encode(&blob.content));
            v["encoding"] = Value::String("base64".into());
        }
        v
    }
}

fn tree_sha(files: &BTreeMap<String, Blob>) -> String {
    let mut listing = Vec::new();
    for (path, blob) in files {
        listing.extend_from_slice(path.as_bytes());
        listing.push(0);
        listing.extend_from_slice(blob.sha.as_bytes());
    }
    blob_sha(&listing)
}

impl State {
    /// Records a new commit on top of `parents` with `files` and returns its sha.
    pub(crate) fn commit(
        &mut self,
        key: &str,
        parents: Vec<String>,
        files: BTreeMap<String, Blob>,
        message: &str,
        author: (String, String),
        date: u64,
    ) -> String {
        let sha = self.ids.hex(40);
        if let Some(repo) = self.repos.get_mut(key) {
            repo.commits.insert(
                sha.clone(),
                GitCommit { sha: sha.clone(), parents, files, message: message.to_string(), author, date },
            );
        }
        sha
    }
}

/// The repository, once `cred` may read it (GitHub's 401/403/404 otherwise).
pub(crate) fn readable_repo<'a>(
    inner: &Inner,
    state: &'a State,
    cred: &Credential,
    owner: &str,
    repo: &str,
) -> Result<&'a Repo, GhError> {
    repo_actor(inner, state, cred, owner, repo, Need::Read)?;
    state.repos.get(&State::repo_key(owner, repo)).ok_or_else(GhError::not_found)
}

/// Looks a repository up (it must exist: access was checked before).
pub(crate) fn repo_mut<'a>(state: &'a mut State, key: &str) -> Result<&'a mut Repo, GhError> {
    state.repos.get_mut(key).ok_or_else(GhError::not_found)
}

/// `GET /repos/{owner}/{repo}`
pub(crate) async fn get_repo(
    AxState(fake): AxState<GithubFake>,
    cred: Credential,
    Path((owner, repo)): Path<(String, String)>,
) -> Result<Json<Value>, GhError> {
    let inner = &fake.inner;
    let state = fake.lock();
    let r = readable_repo(inner, &state, &cred, &owner, &repo)?;
    Ok(Json(r.json(inner)))
}

/// `GET /repos/{owner}/{repo}/git/ref/{ref}` (e.g. `heads/main`).
pub(crate) async fn get_ref(
    AxState(fake): AxState<GithubFake>,
    cred: Credential,
    Path((owner, repo, name)): Path<(String, String, String)>,
) -> Result<Json<Value>, GhError> {
    let inner = &fake.inner;
    let state = fake.lock();
    let r = readable_repo(inner, &state, &cred, &owner, &repo)?;
    let full = format!("refs/{}", name.trim_start_matches("refs/"));
    let sha = r.refs.get(&full).ok_or_else(GhError::not_found)?;
    Ok(Json(r.ref_json(inner, &full, sha)))
}

#[derive(Deserialize)]
pub(crate) struct CreateRef {
    #[serde(rename = "ref")]
    name: String,
    sha: String,
}

/// `POST /repos/{owner}/{repo}/git/refs {ref, sha}` -> 201.
pub(crate) async fn create_ref(
    AxState(fake): AxState<GithubFake>,
    cred: Credential,
    Path((owner, repo)): Path<(String, String)>,
    body: Body<CreateRef>,
) -> Result<Response, GhError> {
    let inner = &fake.inner;
    let mut state = fake.lock();
    repo_actor(inner, &state, &cred, &owner, &repo, Need::Write("contents"))?;
    let req = body.0?;
    let r = repo_mut(&mut state, &State::repo_key(&owner, &repo))?;
    if !req.name.starts_with("refs/") || req.name.matches('/').count() < 2 {
        return Err(GhError::unprocessable(format!("{} is not a valid ref name.", req.name)));
    }
    if r.refs.contains_key(&req.name) {
        return Err(GhError::unprocessable("Reference already exists"));
    }
    if !r.commits.contains_key(&req.sha) {
        return Err(GhError::unprocessable("Object does not exist"));
    }
    r.refs.insert(req.name.clone(), req.sha.clone());
    Ok((StatusCode::CREATED, Json(r.ref_json(inner, &req.name, &req.sha))).into_response())
}

#[derive(Deserialize)]
pub(crate) struct Signature {
    name: String,
    email: String,
}

#[derive(Deserialize)]
pub(crate) struct PutContents {
    message: String,
    content: String,
    sha: Option<String>,
    branch: Option<String>,
    committer: Option<Signature>,
    author: Option<Signature>,
}

/// `PUT /repos/{owner}/{repo}/contents/{path}`: commits one file to a branch
/// (201 created, 200 updated). Updating needs the current blob `sha` (422
/// without it, 409 if it is stale), as on GitHub.
pub(crate) async fn put_contents(
    AxState(fake): AxState<GithubFake>,
    cred: Credential,
    Path((owner, repo, path)): Path<(String, String, String)>,
    body: Body<PutContents>,
) -> Result<Response, GhError> {
    let inner = &fake.inner;
    let now = inner.clock.now_unix();
    let mut state = fake.lock();
    let actor = repo_actor(inner, &state, &cred, &owner, &repo, Need::Write("contents"))?;
    let req = body.0?;
    let content = STANDARD
        .decode(req.content.replace(['\n', '\r'], ""))
        .map_err(|_| GhError::unprocessable("content is not valid Base64"))?;
    let key = State::repo_key(&owner, &repo);
    let r = repo_mut(&mut state, &key)?;
    let branch = req.branch.clone().unwrap_or_else(|| r.default_branch.clone());
    let parent = r
        .branch_sha(&branch)
        .cloned()
        .ok_or_else(|| GhError::not_found().with_message(format!("Branch {branch} not found")))?;
    let mut files = r.commits.get(&parent).map(|c| c.files.clone()).unwrap_or_default();
    let existing = files.get(&path).map(|b| b.sha.clone());
    match (&existing, &req.sha) {
        (Some(_), None) => return Err(GhError::unprocessable("Invalid request.\n\n\"sha\" wasn't supplied.")),
        (Some(current), Some(given)) if current != given => {
            return Err(GhError::new(StatusCode::CONFLICT, format!("{path} does not match {given}")));
        }
        _ => {}
    }
    let blob = Blob { sha: blob_sha(&content), content };
    files.insert(path.clone(), blob.clone());
    let signature = req.author.or(req.committer).map(|s| (s.name, s.email)).unwrap_or_else(|| actor.signature(inner));
    let sha = state.commit(&key, vec![parent], files, &req.message, signature, now);
    let r = repo_mut(&mut state, &key)?;
    r.refs.insert(format!("refs/heads/{branch}"), sha.clone());
    let body = json!({
        "content": r.content_json(inner, &path, &branch, &blob, false),
        "commit": r.commit_json(inner, &sha),
    });
    let status = if existing.is_some() { StatusCode::OK } else { StatusCode::CREATED };
    Ok((status, Json(body)).into_response())
}

#[derive(Deserialize, Default)]
pub(crate) struct RefQuery {
    #[serde(rename = "ref")]
    name: Option<String>,
}

/// `GET /repos/{owner}/{repo}/contents/{path}?ref=` (files only).
pub(crate) async fn get_contents(
    AxState(fake): AxState<GithubFake>,
    cred: Credential,
    Path((owner, repo, path)): Path<(String, String, String)>,
    Query(query): Query<RefQuery>,
) -> Result<Json<Value>, GhError> {
    let inner = &fake.inner;
    let state = fake.lock();
    let r = readable_repo(inner, &state, &cred, &owner, &repo)?;
    let branch = query.name.unwrap_or_else(|| r.default_branch.clone());
    let branch = branch.trim_start_matches("refs/heads/").to_string();
    let sha = r
        .branch_sha(&branch)
        .or_else(|| r.commits.get(&branch).map(|c| &c.sha))
        .ok_or_else(|| GhError::not_found().with_message(format!("No commit found for the ref {branch}")))?;
    let blob = r.commits.get(sha).and_then(|c| c.files.get(&path)).ok_or_else(GhError::not_found)?;
    Ok(Json(r.content_json(inner, &path, &branch, blob, true)))
}
