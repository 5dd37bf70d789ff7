//! The Git Data API, which commits many files at once: blobs
//! (`POST|GET …/git/blobs`), trees (`POST|GET …/git/trees`, `?recursive=1`),
//! commits (`POST|GET …/git/commits`) and moving or deleting a ref
//! (`PATCH|DELETE …/git/refs/{ref}`), with GitHub's statuses: 201 on create,
//! 404 for an unknown object, 422 for a bad one or a ref update that is not a
//! fast-forward without `force`.

use std::collections::BTreeSet;

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::Deserialize;
use serde_json::{json, Value};

use super::app_auth::{Read, RepoAccess, WriteContents};
use super::errors::{Body, GhError};
use super::git::{Blob, Tree};
use super::repos::Repo;
use super::Inner;

impl Repo {
    /// A tree as `GET …/git/trees/{sha}` answers it: the entries directly under
    /// it (directories as `tree` entries), or every file with `recursive`.
    fn tree_json(&mut self, inner: &Inner, tree: &Tree, recursive: bool) -> Value {
        let api = inner.api(&self.api_path());
        let mut entries = Vec::new();
        let mut dirs = BTreeSet::new();
        for (path, blob) in tree.iter() {
            let parts: Vec<&str> = path.split('/').collect();
            for depth in 1..parts.len() {
                let dir = parts[..depth].join("/");
                if (recursive || depth == 1) && dirs.insert(dir.clone()) {
                    let sub = tree.subtree(&dir);
                    let sha = sub.sha();
                    self.git.store_tree(sub);
                    entries.push(json!({"path": dir, "mode": "040000", "type": "tree", "sha": sha, "url": format!("{api}/git/trees/{sha}")}));
                }
            }
            if recursive || parts.len() == 1 {
                entries.push(json!({
                    "path": path, "mode": "100644", "type": "blob", "sha": blob.sha,
                    "size": blob.content.len(), "url": format!("{api}/git/blobs/{}", blob.sha),
                }));
            }
        }
        entries.sort_by(|a, b| a["path"].as_str().cmp(&b["path"].as_str()));
        let sha = tree.sha();
        json!({"sha": sha, "url": format!("{api}/git/trees/{sha}"), "tree": entries, "truncated": false})
    }
}

#[derive(Deserialize)]
pub(crate) struct CreateBlob {
    content: String,
    encoding: Option<String>,
}

/// `POST /repos/{owner}/{repo}/git/blobs {content, encoding?}` -> 201 `{sha, url}`.
pub(crate) async fn create_blob(
    access: RepoAccess<WriteContents>,
    body: Body<CreateBlob>,
) -> Result<Response, GhError> {
    let inner = &access.fake.inner;
    let req = body.0?;
    let content = match req.encoding.as_deref().unwrap_or("utf-8") {
        "utf-8" => req.content.into_bytes(),
        "base64" => STANDARD
            .decode(req.content.replace(['\n', '\r'], ""))
            .map_err(|_| GhError::unprocessable("content is not valid Base64"))?,
        other => {
            return Err(GhError::unprocessable(format!("encoding must be one of utf-8 or base64, not {other}")));
        }
    };
    let blob = Blob::new(content);
    let mut state = access.fake.lock();
    let r = state.repo_mut(&access.key)?;
    let sha = blob.sha.clone();
    r.git.store_blob(blob);
    let url = inner.api(&format!("{}/git/blobs/{sha}", r.api_path()));
    Ok((StatusCode::CREATED, Json(json!({"sha": sha, "url": url}))).into_response())
}

/// `GET /repos/{owner}/{repo}/git/blobs/{sha}` (base64 content).
pub(crate) async fn get_blob(
    Path((.., sha)): Path<(String, String, String)>,
    access: RepoAccess<Read>,
) -> Result<Json<Value>, GhError> {
    access.read(|inner, r| {
        let blob = r.git.blob(&sha).ok_or_else(GhError::not_found)?;
        Ok(Json(json!({
            "sha": blob.sha,
            "node_id": format!("B_kwDO{}", &blob.sha[..12]),
            "size": blob.content.len(),
            "url": inner.api(&format!("{}/git/blobs/{sha}", r.api_path())),
            "content": STANDARD.encode(&blob.content),
            "encoding": "base64",
        })))
    })
}

#[derive(Deserialize)]
pub(crate) struct TreeEntry {
    path: String,
    mode: String,
    #[serde(rename = "type")]
    kind: String,
    /// `null` deletes the path from the base tree.
    #[serde(default, deserialize_with = "present")]
    sha: Option<Option<String>>,
    content: Option<String>,
}

/// Tells a field sent as `null` (`Some(None)`) from one left out (`None`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

#[derive(Deserialize)]
pub(crate) struct CreateTree {
    tree: Vec<TreeEntry>,
    base_tree: Option<String>,
}

fn tree_error(message: impl Into<String>) -> GhError {
    GhError::validation(json!({"resource": "Tree", "field": "tree", "code": "invalid", "message": message.into()}))
}

/// `POST /repos/{owner}/{repo}/git/trees {tree: [{path, mode, type, sha|content}], base_tree?}` -> 201.
pub(crate) async fn create_tree(
    access: RepoAccess<WriteContents>,
    body: Body<CreateTree>,
) -> Result<Response, GhError> {
    let inner = &access.fake.inner;
    let req = body.0?;
    let mut state = access.fake.lock();
    let r = state.repo_mut(&access.key)?;
    let mut tree = match &req.base_tree {
        Some(sha) => r
            .git
            .tree(sha)
            .or_else(|| r.git.commit(sha).map(|c| &c.files))
            .cloned()
            .ok_or_else(|| GhError::unprocessable(format!("base_tree {sha} is not a valid tree oid")))?,
        None => Tree::default(),
    };
    for entry in req.tree {
        if entry.kind != "blob" || !matches!(entry.mode.as_str(), "100644" | "100755" | "120000") {
            return Err(tree_error(format!("tree.type {} with mode {} is not supported here", entry.kind, entry.mode)));
        }
        let path = entry.path.trim_matches('/').to_string();
        match (entry.sha, entry.content) {
            (Some(None), _) => tree.remove(&path),
            (Some(Some(sha)), None) => {
                let blob = r
                    .git
                    .blob(&sha)
                    .cloned()
                    .ok_or_else(|| tree_error(format!("tree.sha {sha} is not a valid blob")))?;
                tree.insert(path, blob);
            }
            (None, Some(content)) => tree.insert(path, Blob::new(content.into_bytes())),
            _ => return Err(tree_error("Must supply either tree.sha or tree.content")),
        }
    }
    let out = r.tree_json(inner, &tree, true);
    r.git.store_tree(tree);
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

#[derive(Deserialize, Default)]
pub(crate) struct TreeQuery {
    recursive: Option<String>,
}

/// `GET /repos/{owner}/{repo}/git/trees/{sha}?recursive=1` (a tree, commit or branch).
pub(crate) async fn get_tree(
    Path((.., sha)): Path<(String, String, String)>,
    Query(query): Query<TreeQuery>,
    access: RepoAccess<Read>,
) -> Result<Json<Value>, GhError> {
    let inner = &access.fake.inner;
    let mut state = access.fake.lock();
    let r = state.repo_mut(&access.key)?;
    let tree =
        r.git.tree(&sha).or_else(|| r.git.resolve(&sha).map(|c| &c.files)).cloned().ok_or_else(GhError::not_found)?;
    // GitHub takes any value of `recursive` but "0" and "false" as recursive.
    let recursive = query.recursive.is_some_and(|v| !matches!(v.as_str(), "0" | "false"));
    Ok(Json(r.tree_json(inner, &tree, recursive)))
}

#[derive(Deserialize)]
pub(crate) struct GitSignature {
    name: String,
    email: String,
}

#[derive(Deserialize)]
pub(crate) struct CreateCommit {
    message: String,
    tree: String,
    #[serde(default)]
    parents: Vec<String>,
    author: Option<GitSignature>,
    committer: Option<GitSignature>,
}

/// `POST /repos/{owner}/{repo}/git/commits {message, tree, parents, author?}` -> 201.
pub(crate) async fn create_commit(
    access: RepoAccess<WriteContents>,
    body: Body<CreateCommit>,
) -> Result<Response, GhError> {
    let RepoAccess { fake, key, actor, .. } = access;
    let inner = &fake.inner;
    let req = body.0?;
    let mut state = fake.lock();
    let r = state.repo(&key)?;
    let files = r.git.tree(&req.tree).cloned().ok_or_else(|| GhError::unprocessable("Tree SHA does not exist"))?;
    if let Some(missing) = req.parents.iter().find(|p| r.git.commit(p).is_none()) {
        return Err(GhError::unprocessable(format!("Parent SHA does not exist or is not a commit object: {missing}")));
    }
    let signature = req.author.or(req.committer).map(|s| (s.name, s.email)).unwrap_or_else(|| actor.signature(inner));
    let sha = state.commit(&key, req.parents, files, &req.message, signature, inner.clock.now_unix());
    let r = state.repo(&key)?;
    Ok((StatusCode::CREATED, Json(r.commit_doc(inner, &sha))).into_response())
}

/// `GET /repos/{owner}/{repo}/git/commits/{sha}`
pub(crate) async fn get_git_commit(
    Path((.., sha)): Path<(String, String, String)>,
    access: RepoAccess<Read>,
) -> Result<Response, GhError> {
    access.read(|inner, r| {
        r.git.commit(&sha).ok_or_else(GhError::not_found)?;
        Ok(Json(r.commit_doc(inner, &sha)).into_response())
    })
}

#[derive(Deserialize)]
pub(crate) struct UpdateRef {
    sha: String,
    #[serde(default)]
    force: bool,
}

fn full_ref(name: &str) -> String {
    format!("refs/{}", name.trim_start_matches("refs/"))
}

/// `PATCH /repos/{owner}/{repo}/git/refs/{ref} {sha, force?}`: 422 "Update is
/// not a fast forward" when `sha` does not descend from the ref without `force`.
pub(crate) async fn update_ref(
    Path((.., name)): Path<(String, String, String)>,
    access: RepoAccess<WriteContents>,
    body: Body<UpdateRef>,
) -> Result<Response, GhError> {
    let inner = &access.fake.inner;
    let req = body.0?;
    let mut state = access.fake.lock();
    let r = state.repo_mut(&access.key)?;
    let full = full_ref(&name);
    let current = r.git.refs.get(&full).cloned().ok_or_else(|| GhError::unprocessable("Reference does not exist"))?;
    if r.git.commit(&req.sha).is_none() {
        return Err(GhError::unprocessable("Object does not exist"));
    }
    if !req.force && !r.git.is_ancestor(&current, &req.sha) {
        return Err(GhError::unprocessable("Update is not a fast forward"));
    }
    r.git.refs.insert(full.clone(), req.sha.clone());
    Ok(Json(r.ref_doc(inner, &full, &req.sha)).into_response())
}

/// `DELETE /repos/{owner}/{repo}/git/refs/{ref}` -> 204; 422 "Reference does not exist".
pub(crate) async fn delete_ref(
    Path((.., name)): Path<(String, String, String)>,
    access: RepoAccess<WriteContents>,
) -> Result<StatusCode, GhError> {
    let mut state = access.fake.lock();
    let r = state.repo_mut(&access.key)?;
    r.git.refs.remove(&full_ref(&name)).ok_or_else(|| GhError::unprocessable("Reference does not exist"))?;
    Ok(StatusCode::NO_CONTENT)
}
