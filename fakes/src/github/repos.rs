//! Repositories on GitHub's REST API: the repository, its refs
//! (`/git/ref`, `/git/refs`) and the contents API that commits a file to a
//! branch. What git keeps underneath (trees, commits, merges) is [`super::git`].

use std::collections::{BTreeMap, BTreeSet};

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::actors::{rendered, Rendered};
use super::app_auth::{Read, RepoAccess, WriteContents};
use super::errors::{Body, GhError};
use super::git::{Blob, Commit, Git, Tree};
use super::issues::IssueRecord;
use super::pulls::PullRecord;
use super::{Inner, State};
use crate::clock::iso8601;

#[derive(Debug, Clone)]
pub(crate) struct Repo {
    pub id: u64,
    pub owner: String,
    pub name: String,
    pub private: bool,
    pub description: Option<String>,
    pub default_branch: String,
    pub created_at: u64,
    /// What git keeps: refs, commits and their graph.
    pub git: Git,
    /// Issues and pull requests share one number sequence, as on GitHub.
    pub next_number: u64,
    pub pulls: BTreeMap<u64, PullRecord>,
    /// The numbers of `pulls` by head branch, ascending: a pull request's head
    /// never changes, and [`Repo::insert_pull`] is the only way one is stored.
    pub pulls_by_head: BTreeMap<String, BTreeSet<u64>>,
    pub issues: BTreeMap<u64, IssueRecord>,
    /// How many of `issues` and `pulls` are open (`open_issues_count`): kept
    /// as each is created, closed or reopened ([`Repo::opened`],
    /// [`Repo::closed`]), not counted over all of them at every render.
    pub open_count: usize,
    /// Comments per issue or pull request number, oldest first.
    pub comments: BTreeMap<u64, Vec<super::issues::CommentRecord>>,
    /// Reviews per pull request number, oldest first.
    pub reviews: BTreeMap<u64, Vec<super::reviews::ReviewRecord>>,
    /// Lower-cased name -> label.
    pub labels: BTreeMap<String, super::labels::LabelRecord>,
}

/// A repository as GitHub renders it ([`Repo::doc`]): fields in GitHub's key
/// order, serialized as they stand.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct RepoDoc<'a> {
    id: u64,
    node_id: String,
    name: &'a str,
    full_name: String,
    private: bool,
    pub(crate) owner: Rendered,
    html_url: String,
    description: Option<&'a str>,
    fork: bool,
    url: String,
    git_refs_url: String,
    contents_url: String,
    pulls_url: String,
    issues_url: String,
    clone_url: String,
    created_at: String,
    updated_at: String,
    pushed_at: String,
    default_branch: &'a str,
    visibility: &'static str,
    archived: bool,
    disabled: bool,
    has_issues: bool,
    open_issues_count: usize,
    permissions: Permissions,
}

#[derive(Debug, Clone, Serialize)]
struct Permissions {
    admin: bool,
    maintain: bool,
    push: bool,
    triage: bool,
    pull: bool,
}

impl Repo {
    /// An issue or pull request was created open, or reopened.
    pub(crate) fn opened(&mut self) {
        self.open_count += 1;
    }

    /// An open issue or pull request was closed (or merged).
    pub(crate) fn closed(&mut self) {
        self.open_count -= 1;
    }

    pub(crate) fn full_name(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }

    pub(crate) fn api_path(&self) -> String {
        format!("/repos/{}/{}", self.owner, self.name)
    }

    pub(crate) fn json(&self, inner: &Inner) -> Value {
        serde_json::to_value(self.doc(inner)).unwrap_or(Value::Null)
    }

    /// The repository as GitHub renders it, typed, in GitHub's key order.
    pub(crate) fn doc<'a>(&'a self, inner: &'a Inner) -> RepoDoc<'a> {
        let api = inner.api(&self.api_path());
        let owner_kind =
            if self.owner.eq_ignore_ascii_case(&inner.config.installation.account) { "Organization" } else { "User" };
        let owner_id = if owner_kind == "Organization" { inner.config.installation.account_id } else { self.id + 7 };
        let full_name = self.full_name();
        RepoDoc {
            id: self.id,
            node_id: format!("R_kgDO{:08X}", self.id),
            name: &self.name,
            private: self.private,
            owner: rendered(inner, &self.owner, owner_id, owner_kind),
            html_url: inner.html(&format!("/{full_name}")),
            description: self.description.as_deref(),
            fork: false,
            git_refs_url: format!("{api}/git/refs{{/sha}}"),
            contents_url: format!("{api}/contents/{{+path}}"),
            pulls_url: format!("{api}/pulls{{/number}}"),
            issues_url: format!("{api}/issues{{/number}}"),
            url: api,
            clone_url: inner.html(&format!("/{full_name}.git")),
            full_name,
            created_at: iso8601(self.created_at),
            updated_at: iso8601(self.created_at),
            pushed_at: iso8601(self.created_at),
            default_branch: &self.default_branch,
            visibility: if self.private { "private" } else { "public" },
            archived: false,
            disabled: false,
            has_issues: true,
            open_issues_count: self.open_count,
            permissions: Permissions { admin: false, maintain: false, push: true, triage: true, pull: true },
        }
    }

    pub(crate) fn commit_json(&self, inner: &Inner, sha: &str) -> Value {
        serde_json::to_value(self.commit_doc(inner, sha)).unwrap_or(Value::Null)
    }

    /// A git commit as `GET …/git/commits/{sha}` answers it (`None`, rendered
    /// `null`, for an unknown sha), in GitHub's key order.
    pub(crate) fn commit_doc<'a>(&'a self, inner: &Inner, sha: &str) -> Option<GitCommitDoc<'a>> {
        let c = self.git.commit(sha)?;
        Some(self.git_commit_doc(inner, c))
    }

    fn git_commit_doc<'a>(&self, inner: &Inner, c: &'a Commit) -> GitCommitDoc<'a> {
        let api = inner.api(&self.api_path());
        let signature = SignatureDoc { name: &c.author.0, email: &c.author.1, date: iso8601(c.date) };
        let tree = c.files.sha();
        let full_name = self.full_name();
        GitCommitDoc {
            sha: &c.sha,
            node_id: format!("C_kwDO{}", &c.sha[..12]),
            url: format!("{api}/git/commits/{}", c.sha),
            html_url: inner.html(&format!("/{full_name}/commit/{}", c.sha)),
            committer: signature.clone(),
            author: signature,
            message: &c.message,
            tree: TreeRefDoc { url: format!("{api}/git/trees/{tree}"), sha: tree },
            parents: c
                .parents
                .iter()
                .map(|p| ParentDoc {
                    sha: p,
                    url: format!("{api}/git/commits/{p}"),
                    html_url: inner.html(&format!("/{full_name}/commit/{p}")),
                })
                .collect(),
            verification: Verification { verified: false, reason: "unsigned", signature: (), payload: () },
        }
    }

    /// The branch a contents write goes to (`branch`, else the default one),
    /// its head commit and that commit's files; GitHub's 404 "Branch … not found".
    fn branch_head(&self, branch: Option<&str>) -> Result<(String, String, Tree), GhError> {
        let branch = branch.map_or_else(|| self.default_branch.clone(), str::to_string);
        let parent = self
            .git
            .branch_sha(&branch)
            .cloned()
            .ok_or_else(|| GhError::not_found().with_message(format!("Branch {branch} not found")))?;
        let files = self.git.commit(&parent).map(|c| c.files.clone()).unwrap_or_default();
        Ok((branch, parent, files))
    }

    /// A ref as `GET …/git/ref/{ref}` answers it, in GitHub's key order.
    pub(crate) fn ref_doc<'a>(&self, inner: &Inner, full_ref: &'a str, sha: &'a str) -> RefDoc<'a> {
        let api = inner.api(&self.api_path());
        RefDoc {
            full_ref,
            node_id: format!("REF_kwDO{}", &sha[..12.min(sha.len())]),
            url: format!("{api}/git/{full_ref}"),
            object: RefObject { kind: "commit", sha, url: format!("{api}/git/commits/{sha}") },
        }
    }

    fn dir_json(&self, inner: &Inner, path: &str, branch: &str) -> Value {
        let api = inner.api(&self.api_path());
        let name = path.rsplit('/').next().unwrap_or(path);
        let self_url = format!("{api}/contents/{path}?ref={branch}");
        let html_url = inner.html(&format!("/{}/tree/{branch}/{path}", self.full_name()));
        let sha = self.git.resolve(branch).map(|c| c.files.subtree(path).sha()).unwrap_or_default();
        let git_url = format!("{api}/git/trees/{sha}");
        json!({
            "name": name, "path": path, "sha": sha, "size": 0, "url": self_url, "html_url": html_url,
            "git_url": git_url, "download_url": null, "type": "dir",
            "_links": {"self": self_url, "git": git_url, "html": html_url},
        })
    }

    fn content_json(&self, inner: &Inner, path: &str, branch: &str, blob: &Blob, with_content: bool) -> Value {
        serde_json::to_value(self.content_doc(inner, path, branch, blob, with_content)).unwrap_or(Value::Null)
    }

    /// A file as the contents API answers for it (its content in base64 when
    /// `with_content`), in GitHub's key order.
    fn content_doc<'a>(
        &self,
        inner: &Inner,
        path: &'a str,
        branch: &str,
        blob: &'a Blob,
        with_content: bool,
    ) -> ContentDoc<'a> {
        let api = inner.api(&self.api_path());
        let name = path.rsplit('/').next().unwrap_or(path);
        let self_url = format!("{api}/contents/{path}?ref={branch}");
        let git_url = format!("{api}/git/blobs/{}", blob.sha);
        let full_name = self.full_name();
        let html_url = inner.html(&format!("/{full_name}/blob/{branch}/{path}"));
        ContentDoc {
            name,
            path,
            sha: &blob.sha,
            size: blob.content.len(),
            links: Links { own: self_url.clone(), git: git_url.clone(), html: html_url.clone() },
            url: self_url,
            html_url,
            git_url,
            download_url: inner.html(&format!("/raw/{full_name}/{branch}/{path}")),
            kind: "file",
            content: with_content.then(|| STANDARD.encode(&blob.content)),
            encoding: with_content.then_some("base64"),
        }
    }
}

/// [`Repo::ref_doc`].
#[derive(Serialize)]
pub(crate) struct RefDoc<'a> {
    #[serde(rename = "ref")]
    full_ref: &'a str,
    node_id: String,
    url: String,
    object: RefObject<'a>,
}

#[derive(Serialize)]
struct RefObject<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    sha: &'a str,
    url: String,
}

/// [`Repo::commit_doc`].
#[derive(Serialize)]
pub(crate) struct GitCommitDoc<'a> {
    sha: &'a str,
    node_id: String,
    url: String,
    html_url: String,
    author: SignatureDoc<'a>,
    committer: SignatureDoc<'a>,
    message: &'a str,
    tree: TreeRefDoc,
    parents: Vec<ParentDoc<'a>>,
    verification: Verification,
}

#[derive(Clone, Serialize)]
struct SignatureDoc<'a> {
    name: &'a str,
    email: &'a str,
    date: String,
}

#[derive(Serialize)]
struct TreeRefDoc {
    sha: String,
    url: String,
}

#[derive(Serialize)]
struct ParentDoc<'a> {
    sha: &'a str,
    url: String,
    html_url: String,
}

#[derive(Serialize)]
struct Verification {
    verified: bool,
    reason: &'static str,
    signature: (),
    payload: (),
}

/// [`Repo::content_doc`].
#[derive(Serialize)]
struct ContentDoc<'a> {
    name: &'a str,
    path: &'a str,
    sha: &'a str,
    size: usize,
    url: String,
    html_url: String,
    git_url: String,
    download_url: String,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "_links")]
    links: Links,
    #[serde(skip_serializing_if = "Option::is_none")]
    content: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    encoding: Option<&'static str>,
}

#[derive(Serialize)]
struct Links {
    #[serde(rename = "self")]
    own: String,
    git: String,
    html: String,
}

/// `PUT …/contents/{path}`'s answer: the file and the commit that wrote it.
#[derive(Serialize)]
struct PutContentsDoc<'a> {
    content: ContentDoc<'a>,
    commit: Option<GitCommitDoc<'a>>,
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
            repo.git.record(Commit {
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

/// `GET /repos/{owner}/{repo}`
pub(crate) async fn get_repo(access: RepoAccess<Read>) -> Result<Response, GhError> {
    let state = access.fake.lock();
    let r = state.repo(&access.key)?;
    Ok(Json(r.doc(&access.fake.inner)).into_response())
}

/// `GET /repos/{owner}/{repo}/git/ref/{ref}` (e.g. `heads/main`).
pub(crate) async fn get_ref(
    Path((.., name)): Path<(String, String, String)>,
    access: RepoAccess<Read>,
) -> Result<Response, GhError> {
    access.read(|inner, r| {
        let full = format!("refs/{}", name.trim_start_matches("refs/"));
        let sha = r.git.refs.get(&full).ok_or_else(GhError::not_found)?;
        Ok(Json(r.ref_doc(inner, &full, sha)).into_response())
    })
}

#[derive(Deserialize)]
pub(crate) struct CreateRef {
    #[serde(rename = "ref")]
    name: String,
    sha: String,
}

/// `POST /repos/{owner}/{repo}/git/refs {ref, sha}` -> 201.
pub(crate) async fn create_ref(access: RepoAccess<WriteContents>, body: Body<CreateRef>) -> Result<Response, GhError> {
    let inner = &access.fake.inner;
    let req = body.0?;
    let mut state = access.fake.lock();
    let r = state.repo_mut(&access.key)?;
    if !req.name.starts_with("refs/") || req.name.matches('/').count() < 2 {
        return Err(GhError::unprocessable(format!("{} is not a valid ref name.", req.name)));
    }
    if r.git.refs.contains_key(&req.name) {
        return Err(GhError::unprocessable("Reference already exists"));
    }
    if r.git.commit(&req.sha).is_none() {
        return Err(GhError::unprocessable("Object does not exist"));
    }
    r.git.refs.insert(req.name.clone(), req.sha.clone());
    Ok((StatusCode::CREATED, Json(r.ref_doc(inner, &req.name, &req.sha))).into_response())
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
    Path((.., path)): Path<(String, String, String)>,
    access: RepoAccess<WriteContents>,
    body: Body<PutContents>,
) -> Result<Response, GhError> {
    let RepoAccess { fake, key, actor, .. } = access;
    let inner = &fake.inner;
    let now = inner.clock.now_unix();
    let req = body.0?;
    let content = STANDARD
        .decode(req.content.replace(['\n', '\r'], ""))
        .map_err(|_| GhError::unprocessable("content is not valid Base64"))?;
    let mut state = fake.lock();
    let (branch, parent, mut files) = state.repo(&key)?.branch_head(req.branch.as_deref())?;
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
    let r = state.repo_mut(&key)?;
    r.git.set_branch(&branch, sha.clone());
    let body = PutContentsDoc {
        content: r.content_doc(inner, &path, &branch, &blob, false),
        commit: r.commit_doc(inner, &sha),
    };
    let status = if existing.is_some() { StatusCode::OK } else { StatusCode::CREATED };
    Ok((status, Json(body)).into_response())
}

#[derive(Deserialize, Default)]
pub(crate) struct RefQuery {
    #[serde(rename = "ref")]
    name: Option<String>,
}

/// `GET /repos/{owner}/{repo}/contents/{path}?ref=`: a file (its content in
/// base64), or a directory (its entries, files and directories, by name); the
/// root as `…/contents` or `…/contents/`.
pub(crate) async fn get_contents(
    Path(params): Path<BTreeMap<String, String>>,
    Query(query): Query<RefQuery>,
    access: RepoAccess<Read>,
) -> Result<Response, GhError> {
    let path = params.get("path").map_or("", |p| p.trim_matches('/'));
    access.read(|inner, r| {
        let branch = query.name.unwrap_or_else(|| r.default_branch.clone());
        let branch = branch.trim_start_matches("refs/heads/").to_string();
        let commit = r
            .git
            .resolve(&branch)
            .ok_or_else(|| GhError::not_found().with_message(format!("No commit found for the ref {branch}")))?;
        if let Some(blob) = commit.files.get(path) {
            return Ok(Json(r.content_doc(inner, path, &branch, blob, true)).into_response());
        }
        let mut entries: BTreeMap<&str, Value> = BTreeMap::new();
        for (file, blob) in commit.files.under(path) {
            let rest = if path.is_empty() { file.as_str() } else { &file[path.len() + 1..] };
            match rest.split_once('/') {
                None => {
                    entries.insert(rest, r.content_json(inner, file, &branch, blob, false));
                }
                Some((dir, _)) => {
                    let dir_path = if path.is_empty() { dir.to_string() } else { format!("{path}/{dir}") };
                    entries.entry(dir).or_insert_with(|| r.dir_json(inner, &dir_path, &branch));
                }
            }
        }
        if entries.is_empty() && !path.is_empty() {
            return Err(GhError::not_found());
        }
        Ok(Json(Value::Array(entries.into_values().collect())).into_response())
    })
}

#[derive(Deserialize)]
pub(crate) struct DeleteContents {
    message: String,
    sha: String,
    branch: Option<String>,
    committer: Option<Signature>,
    author: Option<Signature>,
}

/// `DELETE /repos/{owner}/{repo}/contents/{path} {message, sha, branch?}` ->
/// 200 `{content: null, commit}`; 404 for a missing file, 409 for a stale `sha`.
pub(crate) async fn delete_contents(
    Path((.., path)): Path<(String, String, String)>,
    access: RepoAccess<WriteContents>,
    body: Body<DeleteContents>,
) -> Result<Json<Value>, GhError> {
    let RepoAccess { fake, key, actor, .. } = access;
    let inner = &fake.inner;
    let req = body.0?;
    let mut state = fake.lock();
    let (branch, parent, mut files) = state.repo(&key)?.branch_head(req.branch.as_deref())?;
    let current = files.get(&path).map(|b| b.sha.clone()).ok_or_else(GhError::not_found)?;
    if current != req.sha {
        return Err(GhError::new(StatusCode::CONFLICT, format!("{path} does not match {}", req.sha)));
    }
    files.remove(&path);
    let signature = req.author.or(req.committer).map(|s| (s.name, s.email)).unwrap_or_else(|| actor.signature(inner));
    let sha = state.commit(&key, vec![parent], files, &req.message, signature, inner.clock.now_unix());
    let r = state.repo_mut(&key)?;
    r.git.set_branch(&branch, sha.clone());
    Ok(Json(json!({"content": null, "commit": r.commit_json(inner, &sha)})))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::github::fake_with_repositories;

    /// The `Value` builders the typed documents replaced.
    fn ref_json(repo: &Repo, inner: &Inner, full_ref: &str, sha: &str) -> Value {
        let api = inner.api(&repo.api_path());
        json!({
            "ref": full_ref,
            "node_id": format!("REF_kwDO{}", &sha[..12.min(sha.len())]),
            "url": format!("{api}/git/{full_ref}"),
            "object": {"type": "commit", "sha": sha, "url": format!("{api}/git/commits/{sha}")},
        })
    }

    fn commit_json(repo: &Repo, inner: &Inner, sha: &str) -> Value {
        let api = inner.api(&repo.api_path());
        let Some(c) = repo.git.commit(sha) else {
            return Value::Null;
        };
        let signature = json!({"name": c.author.0, "email": c.author.1, "date": iso8601(c.date)});
        let tree = c.files.sha();
        json!({
            "sha": c.sha,
            "node_id": format!("C_kwDO{}", &c.sha[..12]),
            "url": format!("{api}/git/commits/{}", c.sha),
            "html_url": inner.html(&format!("/{}/commit/{}", repo.full_name(), c.sha)),
            "author": signature,
            "committer": signature,
            "message": c.message,
            "tree": {"sha": tree, "url": format!("{api}/git/trees/{tree}")},
            "parents": c.parents.iter().map(|p| json!({
                "sha": p,
                "url": format!("{api}/git/commits/{p}"),
                "html_url": inner.html(&format!("/{}/commit/{p}", repo.full_name())),
            })).collect::<Vec<_>>(),
            "verification": {"verified": false, "reason": "unsigned", "signature": null, "payload": null},
        })
    }

    fn content_json(repo: &Repo, inner: &Inner, path: &str, branch: &str, blob: &Blob, with_content: bool) -> Value {
        let api = inner.api(&repo.api_path());
        let name = path.rsplit('/').next().unwrap_or(path);
        let self_url = format!("{api}/contents/{path}?ref={branch}");
        let git_url = format!("{api}/git/blobs/{}", blob.sha);
        let html_url = inner.html(&format!("/{}/blob/{branch}/{path}", repo.full_name()));
        let mut v = json!({
            "name": name,
            "path": path,
            "sha": blob.sha,
            "size": blob.content.len(),
            "url": self_url,
            "html_url": html_url,
            "git_url": git_url,
            "download_url": inner.html(&format!("/raw/{}/{branch}/{path}", repo.full_name())),
            "type": "file",
            "_links": {"self": self_url, "git": git_url, "html": html_url},
        });
        if with_content {
            v["content"] = Value::String(STANDARD.encode(&blob.content));
            v["encoding"] = Value::String("base64".into());
        }
        v
    }

    fn text<T: Serialize>(doc: &T) -> String {
        serde_json::to_string(doc).expect("serializes")
    }

    #[test]
    fn refs_commits_and_contents_are_the_value_documents_byte_for_byte() {
        let fake = fake_with_repositories(9, &["delivery"]);
        let inner = &fake.inner;
        let mut state = fake.lock();
        let key = state.repos.keys().next().expect("repository").clone();
        let root = state.repos[&key].git.branch_sha("main").expect("main").clone();
        let mut files = Tree::default();
        files.insert("a/\"quoted\" é😀.md".into(), Blob::new(b"line\n\x00\xff".to_vec()));
        files.insert("empty".into(), Blob::new(Vec::new()));
        let author = ("a \"name\"\n".to_string(), "é@x".to_string());
        let one = state.commit(&key, vec![root.clone()], files.clone(), "one\n\"m\"", author.clone(), 0);
        let two = state.commit(&key, vec![root.clone(), one.clone()], files.clone(), "", author, 4_102_444_800);
        let none = state.commit(&key, vec![], Tree::default(), "root", ("".into(), "".into()), 1);
        let repo = &state.repos[&key];
        for sha in [&root, &one, &two, &none, &"0".repeat(40), &String::new()] {
            assert_eq!(text(&repo.commit_doc(inner, sha)), commit_json(repo, inner, sha).to_string());
            assert_eq!(repo.commit_json(inner, sha), commit_json(repo, inner, sha));
        }
        for (full_ref, sha) in [("refs/heads/main", root.as_str()), ("refs/heads/a\"b/é", "abc"), ("", "")] {
            assert_eq!(text(&repo.ref_doc(inner, full_ref, sha)), ref_json(repo, inner, full_ref, sha).to_string());
        }
        for (path, blob) in files.iter() {
            for branch in ["main", "lane/\"x\" é"] {
                for with_content in [false, true] {
                    let old = content_json(repo, inner, path, branch, blob, with_content);
                    assert_eq!(text(&repo.content_doc(inner, path, branch, blob, with_content)), old.to_string());
                    assert_eq!(repo.content_json(inner, path, branch, blob, with_content), old);
                }
            }
        }
        let (path, blob) = files.iter().next().expect("a file");
        let put = PutContentsDoc {
            content: repo.content_doc(inner, path, "main", blob, false),
            commit: repo.commit_doc(inner, &two),
        };
        let old = json!({
            "content": content_json(repo, inner, path, "main", blob, false),
            "commit": commit_json(repo, inner, &two),
        });
        assert_eq!(text(&put), old.to_string());
    }
}
