//! Branches and commits as the REST API shows them: `GET …/branches`,
//! `GET …/branches/{branch}`, `GET …/commits?sha=&path=`,
//! `GET …/commits/{ref}` (with its files) and `GET …/compare/{base}...{head}`.
//! Histories are listed newest first and paginated ([`super::pages`]).

use axum::extract::{Path, Query};
use axum::response::Response;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::app_auth::{Read, RepoAccess};
use super::errors::GhError;
use super::git::{Blob, Commit, Tree};
use super::pages::Pages;
use super::repos::Repo;
use super::Inner;

impl Repo {
    /// A commit as `GET …/commits/{ref}` answers it (`files` only when asked,
    /// relative to the first parent).
    pub(crate) fn rest_commit_json(&self, inner: &Inner, c: &Commit, with_files: bool) -> Value {
        let api = inner.api(&self.api_path());
        let git = self.commit_json(inner, &c.sha);
        let mut out = json!({
            "sha": c.sha,
            "node_id": git["node_id"],
            "commit": {
                "author": git["author"],
                "committer": git["committer"],
                "message": git["message"],
                "tree": git["tree"],
                "url": git["url"],
                "comment_count": 0,
                "verification": git["verification"],
            },
            "url": format!("{api}/commits/{}", c.sha),
            "html_url": git["html_url"],
            "comments_url": format!("{api}/commits/{}/comments", c.sha),
            "author": null,
            "committer": null,
            "parents": git["parents"],
        });
        if with_files {
            let empty = Tree::default();
            let parent = c.parents.first().and_then(|p| self.git.commit(p)).map_or(&empty, |p| &p.files);
            let files = self.files_json(inner, parent, &c.files, &c.sha);
            let (additions, deletions) = files.iter().fold((0, 0), |(a, d), f| {
                (a + f["additions"].as_u64().unwrap_or(0), d + f["deletions"].as_u64().unwrap_or(0))
            });
            out["stats"] = json!({"total": additions + deletions, "additions": additions, "deletions": deletions});
            out["files"] = Value::Array(files);
        }
        out
    }

    /// The files `after` changed relative to `before`, as GitHub's diff entries
    /// (line counts from the lines each side lacks of the other).
    pub(crate) fn files_json(&self, inner: &Inner, before: &Tree, after: &Tree, at: &str) -> Vec<Value> {
        let api = inner.api(&self.api_path());
        before
            .changes(after)
            .map(|(path, old, new)| {
                let lines = |b: Option<&Blob>| -> Vec<String> {
                    b.map(|b| String::from_utf8_lossy(&b.content).lines().map(str::to_string).collect())
                        .unwrap_or_default()
                };
                let (old_lines, new_lines) = (lines(old), lines(new));
                let additions = new_lines.iter().filter(|l| !old_lines.contains(l)).count();
                let deletions = old_lines.iter().filter(|l| !new_lines.contains(l)).count();
                let status = match (old, new) {
                    (None, _) => "added",
                    (_, None) => "removed",
                    _ => "modified",
                };
                let sha = new.or(old).map(|b| b.sha.clone()).unwrap_or_default();
                json!({
                    "sha": sha,
                    "filename": path,
                    "status": status,
                    "additions": additions,
                    "deletions": deletions,
                    "changes": additions + deletions,
                    "blob_url": inner.html(&format!("/{}/blob/{at}/{path}", self.full_name())),
                    "raw_url": inner.html(&format!("/{}/raw/{at}/{path}", self.full_name())),
                    "contents_url": format!("{api}/contents/{path}?ref={at}"),
                })
            })
            .collect()
    }

    fn branch_json(&self, inner: &Inner, name: &str, sha: &str) -> Value {
        let api = inner.api(&self.api_path());
        let commit = self.git.commit(sha).map(|c| self.rest_commit_json(inner, c, false)).unwrap_or(Value::Null);
        json!({
            "name": name,
            "commit": commit,
            "_links": {
                "self": format!("{api}/branches/{name}"),
                "html": inner.html(&format!("/{}/tree/{name}", self.full_name())),
            },
            "protected": false,
            "protection": {"enabled": false, "required_status_checks": {"enforcement_level": "off", "contexts": [], "checks": []}},
            "protection_url": format!("{api}/branches/{name}/protection"),
        })
    }
}

/// `GET /repos/{owner}/{repo}/branches` (by name).
pub(crate) async fn list_branches(
    _: Path<(String, String)>,
    pages: Pages,
    access: RepoAccess<Read>,
) -> Result<Response, GhError> {
    access.read(|inner, r| {
        let api = inner.api(&r.api_path());
        let branches: Vec<Value> = r
            .git
            .refs
            .iter()
            .filter_map(|(name, sha)| Some((name.strip_prefix("refs/heads/")?, sha)))
            .map(|(name, sha)| {
                json!({"name": name, "commit": {"sha": sha, "url": format!("{api}/commits/{sha}")}, "protected": false})
            })
            .collect();
        Ok(pages.respond(inner, branches.into_iter()))
    })
}

/// `GET /repos/{owner}/{repo}/branches/{branch}`: 404 "Branch not found".
pub(crate) async fn get_branch(
    Path((.., name)): Path<(String, String, String)>,
    access: RepoAccess<Read>,
) -> Result<Json<Value>, GhError> {
    access.read(|inner, r| {
        let sha = r.git.branch_sha(&name).ok_or_else(|| GhError::not_found().with_message("Branch not found"))?;
        Ok(Json(r.branch_json(inner, &name, sha)))
    })
}

#[derive(Deserialize, Default)]
pub(crate) struct CommitsQuery {
    sha: Option<String>,
    path: Option<String>,
}

/// `GET /repos/{owner}/{repo}/commits?sha=&path=`: the history of `sha` (a
/// branch or commit; the default branch without one), newest first, only
/// the commits that changed `path` when given.
pub(crate) async fn list_commits(
    _: Path<(String, String)>,
    Query(query): Query<CommitsQuery>,
    pages: Pages,
    access: RepoAccess<Read>,
) -> Result<Response, GhError> {
    access.read(|inner, r| {
        let start = query.sha.unwrap_or_else(|| r.default_branch.clone());
        let head = r
            .git
            .resolve(&start)
            .ok_or_else(|| GhError::not_found().with_message(format!("No commit found for SHA: {start}")))?;
        let empty = Tree::default();
        let touches = |c: &Commit| match &query.path {
            None => true,
            Some(path) => {
                let before = c.parents.first().and_then(|p| r.git.commit(p)).map_or(&empty, |p| &p.files);
                before.get(path) != c.files.get(path)
            }
        };
        let list: Vec<Value> = r
            .git
            .history(&head.sha, None)
            .into_iter()
            .filter(|c| touches(c))
            .map(|c| r.rest_commit_json(inner, c, false))
            .collect();
        Ok(pages.respond(inner, list.into_iter()))
    })
}

/// `GET /repos/{owner}/{repo}/commits/{ref}`: the commit with its files;
/// 422 "No commit found for SHA: …" for an unknown one, as GitHub answers.
pub(crate) async fn get_commit(
    Path((.., name)): Path<(String, String, String)>,
    access: RepoAccess<Read>,
) -> Result<Json<Value>, GhError> {
    access.read(|inner, r| {
        let c =
            r.git.resolve(&name).ok_or_else(|| GhError::unprocessable(format!("No commit found for SHA: {name}")))?;
        Ok(Json(r.rest_commit_json(inner, c, true)))
    })
}

/// `GET /repos/{owner}/{repo}/compare/{base}...{head}`: where `head` stands
/// against `base` (ahead, behind, diverged or identical), the commits `head`
/// adds (oldest first) and the files it changed since the merge base.
pub(crate) async fn compare(
    Path((.., basehead)): Path<(String, String, String)>,
    access: RepoAccess<Read>,
) -> Result<Json<Value>, GhError> {
    access.read(|inner, r| {
        let (base_name, head_name) = basehead.split_once("...").ok_or_else(GhError::not_found)?;
        let base = r.git.resolve(base_name).ok_or_else(GhError::not_found)?;
        let head = r.git.resolve(head_name).ok_or_else(GhError::not_found)?;
        let merge_base =
            r.git.merge_base(&base.sha, &head.sha).and_then(|sha| r.git.commit(&sha)).ok_or_else(GhError::not_found)?;
        let ahead = r.git.history(&head.sha, Some(&base.sha));
        let behind = r.git.history(&base.sha, Some(&head.sha)).len();
        let status = match (ahead.len(), behind) {
            (0, 0) => "identical",
            (_, 0) => "ahead",
            (0, _) => "behind",
            _ => "diverged",
        };
        let api = inner.api(&r.api_path());
        let html = inner.html(&format!("/{}/compare/{basehead}", r.full_name()));
        let commits: Vec<Value> = ahead.iter().rev().map(|c| r.rest_commit_json(inner, c, false)).collect();
        let files = r.files_json(inner, &merge_base.files, &head.files, &head.sha);
        Ok(Json(json!({
            "url": format!("{api}/compare/{basehead}"),
            "html_url": html,
            "permalink_url": inner.html(&format!("/{}/compare/{}...{}", r.full_name(), base.sha, head.sha)),
            "diff_url": format!("{html}.diff"),
            "patch_url": format!("{html}.patch"),
            "base_commit": r.rest_commit_json(inner, base, false),
            "merge_base_commit": r.rest_commit_json(inner, merge_base, false),
            "status": status,
            "ahead_by": ahead.len(),
            "behind_by": behind,
            "total_commits": ahead.len(),
            "commits": commits,
            "files": files,
        })))
    })
}
