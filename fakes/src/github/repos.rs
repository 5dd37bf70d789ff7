//! Repositories and the git data a pull request needs: branches (refs),
//! commits with whole-file trees, and the contents API that commits a file
//! to a branch. Merging is a path-level three-way merge from the merge base,
//! so a conflict (and so an unmergeable pull request) emerges from what was
//! written, never from a flag.
//!
//! Cost, as in git: a commit costs the paths it changes, not the size of the
//! repository (trees are persistent and share what did not change); a merge
//! costs the paths the head changed since the merge base; finding the merge
//! base visits only the commits newer than it (generation numbers, as git's
//! commit-graph keeps them).

use std::collections::{BTreeMap, BinaryHeap};

use axum::extract::{Path, Query, State as AxState};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use bytes::Bytes;
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

/// A file's content and its id. Blobs are content-addressed: two blobs are
/// equal when their ids are.
#[derive(Debug, Clone)]
pub(crate) struct Blob {
    pub sha: String,
    pub content: Bytes,
}

impl Blob {
    pub fn new(content: impl Into<Bytes>) -> Blob {
        let content = content.into();
        Blob { sha: blob_sha(&content), content }
    }
}

impl PartialEq for Blob {
    fn eq(&self, other: &Blob) -> bool {
        self.sha == other.sha
    }
}

/// A commit's tree: path -> blob, in path order.
///
/// Guarantees: a tree made from another by [`Tree::insert`] or [`Tree::remove`]
/// shares every unchanged part with it (cloning is O(1), a change O(log n));
/// [`Tree::changes`] skips the parts two related trees share; [`Tree::sha`] is the
/// same for the same files, however they were written, and is kept as the tree
/// changes rather than recomputed from every file.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tree {
    files: imbl::OrdMap<String, Blob>,
    /// XOR of every entry's digest (path and blob id).
    digest: [u8; 20],
}

impl Tree {
    pub fn get(&self, path: &str) -> Option<&Blob> {
        self.files.get(path)
    }

    pub fn insert(&mut self, path: String, blob: Blob) {
        self.toggle(&path, &blob);
        if let Some(old) = self.files.insert(path.clone(), blob) {
            self.toggle(&path, &old);
        }
    }

    pub fn remove(&mut self, path: &str) {
        if let Some(old) = self.files.remove(path) {
            self.toggle(path, &old);
        }
    }

    /// The tree's id (40 hex digits).
    pub fn sha(&self) -> String {
        self.digest.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// What `after` changed relative to `self`: `(path, before, after)` for every
    /// path added, changed or removed, in path order.
    pub fn changes<'a>(
        &'a self,
        after: &'a Tree,
    ) -> impl Iterator<Item = (&'a String, Option<&'a Blob>, Option<&'a Blob>)> + 'a {
        self.files.diff(&after.files).map(|item| match item {
            imbl::ordmap::DiffItem::Add(path, blob) => (path, None, Some(blob)),
            imbl::ordmap::DiffItem::Update { old: (path, old), new: (_, new) } => (path, Some(old), Some(new)),
            imbl::ordmap::DiffItem::Remove(path, blob) => (path, Some(blob), None),
        })
    }

    /// Adds or takes out one entry's digest.
    fn toggle(&mut self, path: &str, blob: &Blob) {
        let mut h = Sha256::new();
        h.update(path.as_bytes());
        h.update([0]);
        h.update(blob.sha.as_bytes());
        for (d, e) in self.digest.iter_mut().zip(h.finalize()) {
            *d ^= e;
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct GitCommit {
    pub sha: String,
    pub parents: Vec<String>,
    pub files: Tree,
    /// Where the commit is in the repository's [`CommitGraph`] (set when recorded).
    pub position: usize,
    pub message: String,
    pub author: (String, String),
    pub date: u64,
}

/// A repository's commit graph, as git's commit-graph file keeps it: each
/// commit's parents by position and its generation, so a history walk is array
/// lookups, not sha lookups.
///
/// Guarantees: a commit's generation is 1 if it has no parents, else one more
/// than its highest parent's, so an ancestor's is always lower than its
/// descendants'; positions are in recording order.
#[derive(Debug, Clone, Default)]
pub(crate) struct CommitGraph {
    shas: Vec<String>,
    parents: Vec<Vec<usize>>,
    generations: Vec<u64>,
}

impl CommitGraph {
    /// Enters a commit with these parents; its position.
    fn add(&mut self, sha: &str, parents: Vec<usize>) -> usize {
        let generation = 1 + parents.iter().map(|&p| self.generations[p]).max().unwrap_or(0);
        self.shas.push(sha.to_string());
        self.parents.push(parents);
        self.generations.push(generation);
        self.generations.len() - 1
    }

    #[cfg(test)]
    pub fn generation(&self, position: usize) -> u64 {
        self.generations[position]
    }

    /// Whether `ancestor` is `of` or reachable from it; walks only the commits
    /// newer than `ancestor`.
    fn is_ancestor(&self, ancestor: usize, of: usize) -> bool {
        let floor = self.generations[ancestor];
        let mut seen = vec![false; self.generations.len()];
        let mut stack = vec![of];
        while let Some(c) = stack.pop() {
            if c == ancestor {
                return true;
            }
            if self.generations[c] > floor && !std::mem::replace(&mut seen[c], true) {
                stack.extend(&self.parents[c]);
            }
        }
        false
    }

    /// The nearest common ancestor of `a` and `b`: of the commits both reach, the
    /// one with the highest generation. Both histories are walked newest first
    /// (every descendant of a commit comes out before it, so what reached a
    /// commit is known when it comes out), so the walk stops there, having
    /// visited only the commits newer than it.
    fn merge_base(&self, a: usize, b: usize) -> Option<usize> {
        const FROM_A: u8 = 1;
        const FROM_B: u8 = 2;
        let mut reached = vec![0u8; self.generations.len()];
        let mut queue = BinaryHeap::new();
        for (c, from) in [(a, FROM_A), (b, FROM_B)] {
            if reached[c] == 0 {
                queue.push((self.generations[c], c));
            }
            reached[c] |= from;
        }
        while let Some((_, c)) = queue.pop() {
            if reached[c] == FROM_A | FROM_B {
                return Some(c);
            }
            for &p in &self.parents[c] {
                if reached[p] == 0 {
                    queue.push((self.generations[p], p));
                }
                reached[p] |= reached[c];
            }
        }
        None
    }
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
    pub graph: CommitGraph,
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

    /// Stores a commit and enters it in the commit graph.
    pub fn record_commit(&mut self, mut commit: GitCommit) {
        let parents: Vec<usize> =
            commit.parents.iter().filter_map(|p| self.commits.get(p)).map(|p| p.position).collect();
        commit.position = self.graph.add(&commit.sha, parents);
        self.commits.insert(commit.sha.clone(), commit);
    }

    /// Whether `maybe_ancestor` is `of` or one of its ancestors. Visits only the
    /// commits of `of`'s history newer than `maybe_ancestor`.
    pub fn is_ancestor(&self, maybe_ancestor: &str, of: &str) -> bool {
        match (self.commits.get(maybe_ancestor), self.commits.get(of)) {
            (Some(x), Some(of)) => self.graph.is_ancestor(x.position, of.position),
            _ => maybe_ancestor == of,
        }
    }

    /// The nearest common ancestor of `a` and `b` (see [`CommitGraph::merge_base`]).
    pub fn merge_base(&self, a: &str, b: &str) -> Option<String> {
        let (a, b) = (self.commits.get(a)?, self.commits.get(b)?);
        let base = self.graph.merge_base(a.position, b.position)?;
        Some(self.graph.shas[base].clone())
    }

    /// Three-way merge of `theirs` into `ours`: the merged tree, or the paths
    /// both sides changed differently. Only the paths `theirs` changed since the
    /// merge base are looked at; every other path is `ours`.
    pub fn merge_trees(&self, ours: &str, theirs: &str) -> Result<Tree, Vec<String>> {
        let empty = Tree::default();
        let tree = |sha: &str| self.commits.get(sha).map_or(&empty, |c| &c.files);
        let base = self.merge_base(ours, theirs).map_or(&empty, |b| tree(&b));
        let (o, t) = (tree(ours), tree(theirs));
        let mut merged = o.clone();
        let mut conflicts = Vec::new();
        for (path, before, after) in base.changes(t) {
            let current = o.get(path);
            if current == after {
                continue;
            }
            if current != before {
                conflicts.push(path.clone());
                continue;
            }
            match after {
                Some(blob) => merged.insert(path.clone(), blob.clone()),
                None => merged.remove(path),
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
        let tree = c.files.sha();
        json!({
            "sha": c.sha,
            "node_id": format!("C_kwDO{}", &c.sha[..12]),
            "url": format!("{api}/git/commits/{}", c.sha),
            "html_url": inner.html(&format!("/{}/commit/{}", self.full_name(), c.sha)),
            "author": signature,
            "committer": signature,
            "message": c.message,
            "tree": {"sha": tree, "url": format!("{api}/git/trees/{tree}")},
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

impl State {
    /// Records a new commit on top of `parents` with `files` and returns its sha.
    pub(crate) fn commit(
        &mut self,
        key: &str,
        parents: Vec<String>,
        files: Tree,
        message: &str,
        author: (String, String),
        date: u64,
    ) -> String {
        let sha = self.ids.hex(40);
        if let Some(repo) = self.repos.get_mut(key) {
            repo.record_commit(GitCommit {
                sha: sha.clone(),
                parents,
                files,
                position: 0,
                message: message.to_string(),
                author,
                date,
            });
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
    let blob = Blob::new(content);
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use proptest::prelude::*;

    /// A history step: commit a file (or delete it) on a branch, point a branch
    /// at another's head, or merge one branch into another.
    #[derive(Debug, Clone)]
    enum Step {
        Write { branch: usize, path: usize, content: Option<u8> },
        Point { branch: usize, at: usize },
        Merge { from: usize, into: usize },
    }

    fn steps() -> impl Strategy<Value = Vec<Step>> {
        let step = prop_oneof![
            4 => (0..4usize, 0..5usize, prop::option::weighted(0.8, 0..3u8))
                .prop_map(|(branch, path, content)| Step::Write { branch, path, content }),
            1 => (0..4usize, 0..4usize).prop_map(|(branch, at)| Step::Point { branch, at }),
            2 => (0..4usize, 0..4usize).prop_map(|(from, into)| Step::Merge { from, into }),
        ];
        prop::collection::vec(step, 1..40)
    }

    fn repo() -> Repo {
        let mut repo = Repo {
            id: 1,
            owner: "o".into(),
            name: "r".into(),
            private: false,
            description: None,
            default_branch: "b0".into(),
            created_at: 0,
            refs: BTreeMap::new(),
            commits: BTreeMap::new(),
            graph: CommitGraph::default(),
            next_number: 1,
            pulls: BTreeMap::new(),
            issues: BTreeMap::new(),
            comments: BTreeMap::new(),
        };
        let mut files = Tree::default();
        files.insert("README.md".into(), Blob::new(&b"# r\n"[..]));
        commit(&mut repo, vec![], files);
        for b in 0..4 {
            repo.refs.insert(format!("refs/heads/b{b}"), "c000".into());
        }
        repo
    }

    fn commit(repo: &mut Repo, parents: Vec<String>, files: Tree) -> String {
        let sha = format!("c{:03}", repo.commits.len());
        let c = GitCommit {
            sha: sha.clone(),
            parents,
            files,
            position: 0,
            message: String::new(),
            author: (String::new(), String::new()),
            date: 0,
        };
        repo.record_commit(c);
        sha
    }

    fn head(repo: &Repo, b: usize) -> String {
        repo.branch_sha(&format!("b{b}")).cloned().unwrap_or_default()
    }

    fn build(steps: &[Step]) -> Repo {
        let mut repo = repo();
        for step in steps {
            match *step {
                Step::Write { branch, path, content } => {
                    let parent = head(&repo, branch);
                    let mut files = repo.commits[&parent].files.clone();
                    let path = format!("f{path}");
                    match content {
                        Some(c) => files.insert(path, Blob::new(vec![c])),
                        None => files.remove(&path),
                    }
                    let sha = commit(&mut repo, vec![parent], files);
                    repo.refs.insert(format!("refs/heads/b{branch}"), sha);
                }
                Step::Point { branch, at } => {
                    let sha = head(&repo, at);
                    repo.refs.insert(format!("refs/heads/b{branch}"), sha);
                }
                Step::Merge { from, into } => {
                    let (theirs, ours) = (head(&repo, from), head(&repo, into));
                    if let Ok(files) = repo.merge_trees(&ours, &theirs) {
                        let sha = commit(&mut repo, vec![ours, theirs], files);
                        repo.refs.insert(format!("refs/heads/b{into}"), sha);
                    }
                }
            }
        }
        repo
    }

    /// Every commit `sha` reaches, itself included (the whole history, walked).
    fn ancestors(repo: &Repo, sha: &str) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![sha.to_string()];
        while let Some(s) = stack.pop() {
            if seen.insert(s.clone()) {
                stack.extend(repo.commits[&s].parents.iter().cloned());
            }
        }
        seen
    }

    fn files(tree: &Tree) -> BTreeMap<String, String> {
        tree.files.iter().map(|(p, b)| (p.clone(), b.sha.clone())).collect()
    }

    /// The three-way merge over whole trees: every path of base, ours and theirs.
    fn whole_tree_merge(
        base: &BTreeMap<String, String>,
        ours: &BTreeMap<String, String>,
        theirs: &BTreeMap<String, String>,
    ) -> Result<BTreeMap<String, String>, Vec<String>> {
        let paths: BTreeSet<&String> = base.keys().chain(ours.keys()).chain(theirs.keys()).collect();
        let (mut merged, mut conflicts) = (BTreeMap::new(), Vec::new());
        for path in paths {
            let (b, x, y) = (base.get(path), ours.get(path), theirs.get(path));
            let pick = if x == y || y == b {
                x
            } else if x == b {
                y
            } else {
                conflicts.push(path.clone());
                continue;
            };
            if let Some(id) = pick {
                merged.insert(path.clone(), id.clone());
            }
        }
        if conflicts.is_empty() {
            Ok(merged)
        } else {
            Err(conflicts)
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

        /// On any history of commits, branches and merges, the walks that visit
        /// only what they need agree with walking whole histories and merging
        /// whole trees.
        #[test]
        fn history_walks_and_merges_agree_with_whole_history_ones(steps in steps()) {
            let repo = build(&steps);
            let shas: Vec<&String> = repo.commits.keys().collect();
            for a in &shas {
                let from_a = ancestors(&repo, a);
                for c in &from_a {
                    let generation = |sha: &str| repo.graph.generation(repo.commits[sha].position);
                    prop_assert!(c == *a || generation(c) < generation(a));
                }
                for b in &shas {
                    prop_assert_eq!(repo.is_ancestor(b, a), from_a.contains(*b), "{} in {}", b, a);
                    let from_b = ancestors(&repo, b);
                    let common: BTreeSet<&String> = from_a.intersection(&from_b).collect();
                    let base = repo.merge_base(a, b).expect("histories share the root commit");
                    prop_assert!(common.contains(&base), "{} is not an ancestor of both {} and {}", base, a, b);
                    // No common ancestor is newer than it (it is a best common ancestor).
                    for c in &common {
                        prop_assert!(**c == base || !ancestors(&repo, c).contains(&base), "{} is newer than {}", c, base);
                    }
                    let expected = whole_tree_merge(
                        &files(&repo.commits[&base].files),
                        &files(&repo.commits[*a].files),
                        &files(&repo.commits[*b].files),
                    );
                    let merged = repo.merge_trees(a, b);
                    prop_assert_eq!(merged.as_ref().map(files).map_err(Clone::clone), expected);
                    if let Ok(tree) = merged {
                        // The same files give the same tree id, however they were written.
                        let mut fresh = Tree::default();
                        for (path, blob) in tree.files.iter().rev() {
                            fresh.insert(path.clone(), blob.clone());
                        }
                        prop_assert_eq!(fresh.sha(), tree.sha());
                    }
                }
            }
        }
    }

    #[test]
    fn a_tree_id_follows_its_files_not_how_they_were_written() {
        let mut a = Tree::default();
        a.insert("x".into(), Blob::new(&b"1"[..]));
        let empty = a.sha();
        a.insert("y".into(), Blob::new(&b"2"[..]));
        a.insert("y".into(), Blob::new(&b"3"[..]));
        let mut b = Tree::default();
        b.insert("y".into(), Blob::new(&b"3"[..]));
        b.insert("x".into(), Blob::new(&b"1"[..]));
        assert_eq!(a.sha(), b.sha());
        a.remove("y");
        assert_eq!(a.sha(), empty);
        assert_ne!(a.sha(), b.sha());
    }
}
