//! The toolbox's file system and Git endpoints: what a sandbox's working trees
//! hold, as the Daytona toolbox API (the daemon behind `toolboxProxyUrl`) serves it.
//!
//! Paths follow the toolbox: `GET /files?path=` (list a folder), `GET
//! /files/download?path=`, `POST /files/upload?path=` (multipart, part `file`),
//! `POST /files/folder?path=&mode=`, `POST /files/permissions?path=&mode=`;
//! `POST /git/clone {url, path, branch?}`, `GET /git/status?path=` ->
//! `{currentBranch, fileStatus: [{name, staging, worktree, extra}], ahead, behind,
//! branchPublished}`, `POST /git/add {path, files}`, `POST /git/commit {path,
//! message, author, email}` -> `{hash}`, `GET|POST /git/branches`, `POST
//! /git/checkout {path, branch}`.
//!
//! Guarantees:
//! - a write (upload, folder) under a folder whose mode lacks the owner's write
//!   bit is refused with 403 and changes nothing: a read-only checkout stays as it was;
//! - the fake reaches no network: a clone starts from an empty tree on the requested
//!   branch, so every file in a clone is a change the sandbox made, and
//!   `ahead` counts the commits made since the clone (there is no push);
//! - commit hashes derive from the commit's content and parent: equal histories, equal hashes.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::Query;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::toolbox::StartedSandbox;

/// One sandbox's file system: files by absolute path, folder modes, Git checkouts by root.
#[derive(Debug, Default, Clone)]
pub(super) struct SandboxFs {
    pub(super) files: BTreeMap<String, Vec<u8>>,
    /// Folders created or given a mode; a folder without an entry is `755`.
    pub(super) modes: BTreeMap<String, u32>,
    pub(super) repos: BTreeMap<String, Checkout>,
}

/// The sandbox user's home: where a relative path starts, and a folder every sandbox has.
pub(super) const HOME: &str = "/home/daytona";

/// A Git working tree: its branch, last commit's tree and the index.
#[derive(Debug, Default, Clone)]
pub(super) struct Checkout {
    branch: String,
    branches: Vec<String>,
    /// Repository-relative path -> content at HEAD.
    head: BTreeMap<String, Vec<u8>>,
    /// Repository-relative path -> staged content.
    index: BTreeMap<String, Vec<u8>>,
    head_hash: Option<String>,
    /// Commits since the clone (nothing is ever pushed from the fake).
    ahead: u64,
}

/// An absolute, normalized path: a relative one starts at [`HOME`], as the toolbox resolves it.
pub(super) fn normalize(path: &str) -> String {
    let joined;
    let path = if path.starts_with('/') {
        path
    } else {
        joined = format!("{HOME}/{path}");
        &joined
    };
    let mut parts: Vec<&str> = Vec::new();
    for p in path.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    format!("/{}", parts.join("/"))
}

pub(super) fn parent(path: &str) -> Option<String> {
    if path == "/" {
        return None;
    }
    let (head, _) = path.rsplit_once('/')?;
    Some(if head.is_empty() { "/".to_string() } else { head.to_string() })
}

impl SandboxFs {
    /// The first folder on the way to `path` (itself included) that is not writable.
    pub(super) fn read_only_ancestor(&self, path: &str) -> Option<String> {
        let mut at = Some(path.to_string());
        while let Some(p) = at {
            if self.modes.get(&p).is_some_and(|m| m & 0o200 == 0) {
                return Some(p);
            }
            at = parent(&p);
        }
        None
    }

    /// Whether `path` is a folder: the root, the home, one created or given a
    /// mode, a checkout, or one holding a file.
    pub(super) fn is_dir(&self, path: &str) -> bool {
        let prefix = if path == "/" { "/".to_string() } else { format!("{path}/") };
        path == "/"
            || path == "/home"
            || path == HOME
            || self.modes.contains_key(path)
            || self.repos.contains_key(path)
            || self.files.keys().any(|f| f.starts_with(&prefix))
            || self.modes.keys().any(|d| d.starts_with(&prefix))
    }

    /// The files of a checkout, relative to its root.
    fn tree(&self, root: &str) -> BTreeMap<String, Vec<u8>> {
        let prefix = format!("{root}/");
        self.files.iter().filter_map(|(p, c)| p.strip_prefix(&prefix).map(|rel| (rel.to_string(), c.clone()))).collect()
    }
}

fn status_word(before: Option<&Vec<u8>>, after: Option<&Vec<u8>>, new_word: &'static str) -> &'static str {
    match (before, after) {
        (None, Some(_)) => new_word,
        (Some(_), None) => "Deleted",
        (Some(a), Some(b)) if a != b => "Modified",
        _ => "Unmodified",
    }
}

impl StartedSandbox {
    /// Runs `f` on the sandbox's file system; its error becomes Daytona's error body.
    pub(super) fn with_fs(&self, f: impl FnOnce(&mut SandboxFs) -> Result<Response, (StatusCode, String)>) -> Response {
        let mut state = self.d.state();
        let fs = state.file_systems.entry(self.id.clone()).or_default();
        f(fs).unwrap_or_else(|(status, message)| self.d.error(&self.path, status, &message))
    }
}

fn bad(message: impl Into<String>) -> (StatusCode, String) {
    (StatusCode::BAD_REQUEST, message.into())
}

fn refused(path: &str, read_only: &str) -> (StatusCode, String) {
    (StatusCode::FORBIDDEN, format!("open {path}: permission denied (read-only folder {read_only})"))
}

#[derive(Deserialize)]
pub(super) struct PathQuery {
    #[serde(default)]
    path: String,
    #[serde(default)]
    mode: Option<String>,
}

fn required_path(q: &PathQuery) -> Result<String, (StatusCode, String)> {
    if q.path.trim().is_empty() {
        return Err(bad("path is required"));
    }
    Ok(normalize(&q.path))
}

/// `GET /files?path=`: the folder's entries (`name, isDir, size, mode, ...`).
pub(super) async fn list_files(sandbox: StartedSandbox, Query(q): Query<PathQuery>) -> Response {
    let mod_time = sandbox.d.now();
    sandbox.with_fs(|fs| {
        let dir = required_path(&q)?;
        if !fs.is_dir(&dir) {
            return Err((StatusCode::NOT_FOUND, format!("open {dir}: no such file or directory")));
        }
        let prefix = if dir == "/" { "/".to_string() } else { format!("{dir}/") };
        let mut entries: BTreeMap<String, (bool, usize)> = BTreeMap::new();
        for (p, c) in &fs.files {
            if let Some(rest) = p.strip_prefix(&prefix) {
                match rest.split_once('/') {
                    Some((folder, _)) => entries.entry(folder.to_string()).or_insert((true, 0)),
                    None => entries.entry(rest.to_string()).or_insert((false, c.len())),
                };
            }
        }
        for p in fs.modes.keys().chain(fs.repos.keys()) {
            if let Some(rest) = p.strip_prefix(&prefix) {
                let name = rest.split('/').next().unwrap_or_default();
                if !name.is_empty() {
                    entries.entry(name.to_string()).or_insert((true, 0));
                }
            }
        }
        let list: Vec<Value> = entries
            .into_iter()
            .map(|(name, (is_dir, size))| {
                let mode =
                    fs.modes.get(&format!("{prefix}{name}")).copied().unwrap_or(if is_dir { 0o755 } else { 0o644 });
                json!({
                    "name": name, "isDir": is_dir, "size": size, "mode": format!("{mode:o}"),
                    "modTime": mod_time, "permissions": format!("{mode:o}"), "owner": "daytona", "group": "daytona",
                })
            })
            .collect();
        Ok(Json(Value::Array(list)).into_response())
    })
}

/// `GET /files/download?path=`: the file's bytes.
pub(super) async fn download(sandbox: StartedSandbox, Query(q): Query<PathQuery>) -> Response {
    sandbox.with_fs(|fs| {
        let path = required_path(&q)?;
        let content =
            fs.files.get(&path).cloned().ok_or((StatusCode::NOT_FOUND, format!("open {path}: no such file")))?;
        Ok(([("content-type", "application/octet-stream")], content).into_response())
    })
}

/// Every part of a `multipart/form-data` body, as (field name, content), in order;
/// `None` when the body is not multipart.
pub(super) fn multipart_parts(headers: &HeaderMap, body: &[u8]) -> Option<Vec<(String, Vec<u8>)>> {
    let content_type = headers.get("content-type")?.to_str().ok()?;
    let boundary = content_type.split(';').find_map(|p| p.trim().strip_prefix("boundary="))?.trim_matches('"');
    let delimiter = format!("--{boundary}").into_bytes();
    let mut parts = Vec::new();
    let mut rest = body;
    while let Some(at) = find(rest, &delimiter) {
        parts.push(&rest[..at]);
        rest = &rest[at + delimiter.len()..];
    }
    let named = parts.into_iter().skip(1).filter_map(|part| {
        let split = find(part, b"\r\n\r\n")?;
        let head = String::from_utf8_lossy(&part[..split]);
        let name = head.split(';').find_map(|p| p.trim().strip_prefix("name=\"")?.split('"').next())?.to_string();
        let content = &part[split + 4..];
        Some((name, content.strip_suffix(b"\r\n").unwrap_or(content).to_vec()))
    });
    Some(named.collect())
}

/// The `file` part of a `multipart/form-data` body.
fn multipart_file(headers: &HeaderMap, body: &[u8]) -> Option<Vec<u8>> {
    multipart_parts(headers, body)?.into_iter().find(|(name, _)| name == "file").map(|(_, content)| content)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// `POST /files/upload?path=` (multipart/form-data, part `file`).
pub(super) async fn upload(
    sandbox: StartedSandbox,
    headers: HeaderMap,
    Query(q): Query<PathQuery>,
    body: Bytes,
) -> Response {
    let file = multipart_file(&headers, &body);
    sandbox.with_fs(|fs| {
        let path = required_path(&q)?;
        let content = file.ok_or_else(|| bad("expected multipart/form-data with a `file` part"))?;
        // A read-only file is refused as a read-only folder is (the toolbox runs as
        // the file's owner, not root: `open` for writing fails with EACCES).
        if let Some(ro) = fs.read_only_ancestor(&path) {
            if ro == path {
                return Err((StatusCode::FORBIDDEN, format!("open {path}: permission denied (read-only file)")));
            }
            return Err(refused(&path, &ro));
        }
        fs.files.insert(path, content);
        Ok(StatusCode::OK.into_response())
    })
}

fn parse_mode(mode: Option<&str>, default: u32) -> Result<u32, (StatusCode, String)> {
    match mode {
        None | Some("") => Ok(default),
        Some(m) => u32::from_str_radix(m, 8).map_err(|_| bad(format!("invalid mode `{m}`: expected octal digits"))),
    }
}

/// `POST /files/folder?path=&mode=` -> 201.
pub(super) async fn create_folder(sandbox: StartedSandbox, Query(q): Query<PathQuery>) -> Response {
    sandbox.with_fs(|fs| {
        let path = required_path(&q)?;
        let mode = parse_mode(q.mode.as_deref(), 0o755)?;
        if let Some(ro) = fs.read_only_ancestor(&path) {
            return Err(refused(&path, &ro));
        }
        fs.modes.insert(path, mode);
        Ok(StatusCode::CREATED.into_response())
    })
}

/// `POST /files/permissions?path=&mode=`.
pub(super) async fn set_permissions(sandbox: StartedSandbox, Query(q): Query<PathQuery>) -> Response {
    sandbox.with_fs(|fs| {
        let path = required_path(&q)?;
        if !fs.is_dir(&path) && !fs.files.contains_key(&path) {
            return Err((StatusCode::NOT_FOUND, format!("chmod {path}: no such file or directory")));
        }
        let mode = parse_mode(q.mode.as_deref(), 0o755)?;
        fs.modes.insert(path, mode);
        Ok(StatusCode::OK.into_response())
    })
}

fn body<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, (StatusCode, String)> {
    serde_json::from_slice(bytes).map_err(|e| bad(format!("invalid request body: {e}")))
}

#[derive(Deserialize)]
struct CloneRequest {
    url: String,
    path: String,
    #[serde(default)]
    branch: Option<String>,
}

/// `POST /git/clone {url, path, branch?}`: an empty checkout of `branch` (default `main`).
pub(super) async fn clone(sandbox: StartedSandbox, raw: Bytes) -> Response {
    sandbox.with_fs(|fs| {
        let req: CloneRequest = body(&raw)?;
        let root = normalize(&req.path);
        if fs.repos.contains_key(&root) || fs.tree(&root).keys().next().is_some() {
            return Err(bad(format!("repository already exists at {root}")));
        }
        if let Some(ro) = fs.read_only_ancestor(&root) {
            return Err(refused(&root, &ro));
        }
        if !(req.url.starts_with("http://") || req.url.starts_with("https://")) {
            return Err(bad(format!("invalid repository url `{}`", req.url)));
        }
        let branch = req.branch.unwrap_or_else(|| "main".to_string());
        fs.repos.insert(root, Checkout { branches: vec![branch.clone()], branch, ..Checkout::default() });
        Ok(StatusCode::OK.into_response())
    })
}

#[derive(Deserialize)]
pub(super) struct RepoQuery {
    #[serde(default)]
    path: String,
}

fn repo_root(fs: &SandboxFs, path: &str) -> Result<String, (StatusCode, String)> {
    if path.trim().is_empty() {
        return Err(bad("path is required"));
    }
    let path = normalize(path);
    fs.repos.contains_key(&path).then_some(path).ok_or_else(|| bad("repository does not exist"))
}

/// The checkout rooted at `path`, to change it.
fn checkout_mut<'a>(fs: &'a mut SandboxFs, path: &str) -> Result<&'a mut Checkout, (StatusCode, String)> {
    let root = repo_root(fs, path)?;
    fs.repos.get_mut(&root).ok_or_else(|| bad("repository does not exist"))
}

/// A checkout's state, as `git status` shows it.
pub(super) struct GitStatus {
    pub branch: String,
    /// (repository-relative path, staging word, worktree word) for every path not unmodified.
    pub files: Vec<(String, &'static str, &'static str)>,
    pub ahead: u64,
}

impl SandboxFs {
    /// The status of the checkout at `root` (a path inside it is not enough).
    pub(super) fn git_status(&self, root: &str) -> Result<GitStatus, (StatusCode, String)> {
        let root = repo_root(self, root)?;
        let work = self.tree(&root);
        let repo = &self.repos[&root];
        let mut names: Vec<&String> = work.keys().chain(repo.head.keys()).chain(repo.index.keys()).collect();
        names.sort();
        names.dedup();
        let mut files = Vec::new();
        for name in names {
            let staged = repo.index.get(name).or(repo.head.get(name));
            let staging = status_word(repo.head.get(name), repo.index.get(name).or(repo.head.get(name)), "Added");
            let untracked = staged.is_none() && work.contains_key(name);
            let worktree = if untracked { "Untracked" } else { status_word(staged, work.get(name), "Untracked") };
            if staging != "Unmodified" || worktree != "Unmodified" {
                let staging = if untracked { "Untracked" } else { staging };
                files.push((name.clone(), staging, worktree));
            }
        }
        Ok(GitStatus { branch: repo.branch.clone(), files, ahead: repo.ahead })
    }

    /// Stages `files` (`.` for everything) of the checkout at `root`.
    pub(super) fn git_add(&mut self, root: &str, files: &[String]) -> Result<(), (StatusCode, String)> {
        let root = repo_root(self, root)?;
        let work = self.tree(&root);
        let repo = checkout_mut(self, &root)?;
        for wanted in files {
            let wanted = wanted.trim_start_matches("./");
            let all = wanted == "." || wanted.is_empty();
            let matched: Vec<(&String, &Vec<u8>)> = work
                .iter()
                .filter(|(p, _)| all || p.as_str() == wanted || p.starts_with(&format!("{wanted}/")))
                .collect();
            if matched.is_empty() && !all {
                return Err(bad(format!("pathspec '{wanted}' did not match any files")));
            }
            for (p, c) in matched {
                repo.index.insert(p.clone(), c.clone());
            }
        }
        Ok(())
    }

    /// Commits what is staged in the checkout at `root`; the new commit's hash.
    pub(super) fn git_commit(
        &mut self,
        root: &str,
        message: &str,
        author: &str,
        email: &str,
    ) -> Result<String, (StatusCode, String)> {
        let repo = checkout_mut(self, root)?;
        if message.trim().is_empty() || author.trim().is_empty() || email.trim().is_empty() {
            return Err(bad("message, author and email are required"));
        }
        let mut tree = repo.head.clone();
        tree.extend(repo.index.iter().map(|(p, c)| (p.clone(), c.clone())));
        if tree == repo.head {
            return Err(bad("nothing to commit, working tree clean"));
        }
        let mut hasher = Sha256::new();
        hasher.update(repo.head_hash.as_deref().unwrap_or_default());
        for (p, c) in &tree {
            hasher.update(p.as_bytes());
            hasher.update(c);
        }
        hasher.update(message.as_bytes());
        let hash: String = crate::ids::lower_hex(&hasher.finalize()[..20]);
        repo.head = tree;
        repo.index.clear();
        repo.head_hash = Some(hash.clone());
        repo.ahead += 1;
        Ok(hash)
    }

    /// The branches of the checkout at `root`, and the current one.
    pub(super) fn git_branches(&self, root: &str) -> Result<(Vec<String>, String), (StatusCode, String)> {
        let root = repo_root(self, root)?;
        let repo = &self.repos[&root];
        Ok((repo.branches.clone(), repo.branch.clone()))
    }

    /// Creates branch `name` in the checkout at `root`.
    pub(super) fn git_create_branch(&mut self, root: &str, name: &str) -> Result<(), (StatusCode, String)> {
        let repo = checkout_mut(self, root)?;
        if repo.branches.iter().any(|b| b == name) {
            return Err(bad(format!("a branch named '{name}' already exists")));
        }
        repo.branches.push(name.to_string());
        Ok(())
    }

    /// Switches the checkout at `root` to branch `name`.
    pub(super) fn git_checkout(&mut self, root: &str, name: &str) -> Result<(), (StatusCode, String)> {
        let repo = checkout_mut(self, root)?;
        if !repo.branches.iter().any(|b| b == name) {
            return Err(bad(format!("pathspec '{name}' did not match any branch")));
        }
        repo.branch = name.to_string();
        Ok(())
    }

    /// Removes the folder `path` with everything under it (files, folders, checkouts).
    pub(super) fn remove_tree(&mut self, path: &str) {
        let prefix = format!("{path}/");
        self.files.retain(|p, _| !p.starts_with(&prefix));
        self.modes.retain(|p, _| p != path && !p.starts_with(&prefix));
        self.repos.retain(|p, _| p != path && !p.starts_with(&prefix));
    }

    /// Copies (or, with `remove`, moves) the folder `from` and its files to `to`.
    pub(super) fn copy_tree(&mut self, from: &str, to: &str, remove: bool) {
        let prefix = format!("{from}/");
        let copied: Vec<(String, Vec<u8>)> = self
            .files
            .iter()
            .filter_map(|(p, c)| p.strip_prefix(&prefix).map(|rest| (format!("{to}/{rest}"), c.clone())))
            .collect();
        let mode = self.modes.get(from).copied().unwrap_or(0o755);
        if remove {
            self.files.retain(|p, _| !p.starts_with(&prefix));
            self.modes.remove(from);
        }
        self.modes.insert(to.to_string(), mode);
        self.files.extend(copied);
    }

    /// The root of the checkout holding `path`, if any.
    pub(super) fn checkout_root(&self, path: &str) -> Option<String> {
        let mut at = Some(normalize(path));
        while let Some(p) = at {
            if self.repos.contains_key(&p) {
                return Some(p);
            }
            at = parent(&p);
        }
        None
    }
}

/// `GET /git/status?path=`.
pub(super) async fn status(sandbox: StartedSandbox, Query(q): Query<RepoQuery>) -> Response {
    sandbox.with_fs(|fs| {
        let status = fs.git_status(&q.path)?;
        let entries: Vec<Value> = status
            .files
            .iter()
            .map(|(name, staging, worktree)| json!({"name": name, "staging": staging, "worktree": worktree, "extra": ""}))
            .collect();
        Ok(Json(json!({
            "currentBranch": status.branch,
            "fileStatus": entries,
            "ahead": status.ahead,
            "behind": 0,
            "branchPublished": false,
        }))
        .into_response())
    })
}

#[derive(Deserialize)]
struct AddRequest {
    path: String,
    files: Vec<String>,
}

/// `POST /git/add {path, files}` (`.` stages everything).
pub(super) async fn add(sandbox: StartedSandbox, raw: Bytes) -> Response {
    sandbox.with_fs(|fs| {
        let req: AddRequest = body(&raw)?;
        fs.git_add(&req.path, &req.files)?;
        Ok(StatusCode::OK.into_response())
    })
}

#[derive(Deserialize)]
struct CommitRequest {
    path: String,
    message: String,
    author: String,
    email: String,
}

/// `POST /git/commit {path, message, author, email}` -> `{hash}`.
pub(super) async fn commit(sandbox: StartedSandbox, raw: Bytes) -> Response {
    sandbox.with_fs(|fs| {
        let req: CommitRequest = body(&raw)?;
        let hash = fs.git_commit(&req.path, &req.message, &req.author, &req.email)?;
        Ok(Json(json!({"hash": hash})).into_response())
    })
}

#[derive(Deserialize)]
struct BranchRequest {
    path: String,
    #[serde(alias = "branch")]
    name: String,
}

/// `GET /git/branches?path=` -> `{branches}`.
pub(super) async fn list_branches(sandbox: StartedSandbox, Query(q): Query<RepoQuery>) -> Response {
    sandbox.with_fs(|fs| {
        let (branches, _) = fs.git_branches(&q.path)?;
        Ok(Json(json!({"branches": branches})).into_response())
    })
}

/// `POST /git/branches {path, name}` -> 201.
pub(super) async fn create_branch(sandbox: StartedSandbox, raw: Bytes) -> Response {
    sandbox.with_fs(|fs| {
        let req: BranchRequest = body(&raw)?;
        fs.git_create_branch(&req.path, &req.name)?;
        Ok(StatusCode::CREATED.into_response())
    })
}

/// `POST /git/checkout {path, branch}`.
pub(super) async fn checkout(sandbox: StartedSandbox, raw: Bytes) -> Response {
    sandbox.with_fs(|fs| {
        let req: BranchRequest = body(&raw)?;
        fs.git_checkout(&req.path, &req.name)?;
        Ok(StatusCode::OK.into_response())
    })
}

impl SandboxFs {
    /// The content of a file, for inspection after a simulation.
    pub(super) fn file(&self, path: &str) -> Option<Vec<u8>> {
        self.files.get(&normalize(path)).cloned()
    }
}
