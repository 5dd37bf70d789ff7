//! The rest of the toolbox's file API the Daytona SDK's `sandbox.fs` calls,
//! over the same files as [`super::workspace_fs`] and the shell:
//! `POST /files/bulk-upload` (multipart: `files[i].path`, `files[i].file`),
//! `POST /files/bulk-download {paths}` (a multipart answer: a `file` part per
//! path, or an `error` part with a JSON `{message, statusCode, code}`),
//! `GET /files/info?path=`, `DELETE /files?path=&recursive=`,
//! `POST /files/move?source=&destination=`, `GET /files/find?path=&pattern=`
//! (lines containing the pattern), `GET /files/search?path=&pattern=` (names
//! matching a glob), `POST /files/replace {files, pattern, newValue}`.
//!
//! Guarantees: a write under a read-only folder is refused with 403 and changes
//! nothing (as [`super::workspace_fs`]); listings and matches are in path order.

use axum::body::Bytes;
use axum::extract::Query;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::toolbox::StartedSandbox;
use super::workspace_fs::{multipart_parts, normalize, parent, SandboxFs};

fn bad(message: impl Into<String>) -> (StatusCode, String) {
    (StatusCode::BAD_REQUEST, message.into())
}

fn not_found(path: &str) -> (StatusCode, String) {
    (StatusCode::NOT_FOUND, format!("file not found: {path}"))
}

fn writable(fs: &SandboxFs, path: &str) -> Result<(), (StatusCode, String)> {
    match fs.read_only_ancestor(&parent(path).unwrap_or_else(|| "/".into())) {
        Some(ro) => Err((StatusCode::FORBIDDEN, format!("open {path}: permission denied (read-only folder {ro})"))),
        None => Ok(()),
    }
}

/// `POST /files/bulk-upload`: every `files[i].file` written at its `files[i].path`.
pub(super) async fn bulk_upload(sandbox: StartedSandbox, headers: HeaderMap, body: Bytes) -> Response {
    let parts = multipart_parts(&headers, &body);
    sandbox.with_fs(|fs| {
        let parts = parts.ok_or_else(|| bad("expected multipart/form-data"))?;
        let mut uploads = Vec::new();
        for (name, content) in &parts {
            let Some(index) = name.strip_prefix("files[").and_then(|r| r.strip_suffix("].file")) else {
                continue;
            };
            let path_field = format!("files[{index}].path");
            let path = parts
                .iter()
                .find(|(n, _)| *n == path_field)
                .map(|(_, p)| String::from_utf8_lossy(p).into_owned())
                .ok_or_else(|| bad(format!("missing {path_field}")))?;
            uploads.push((normalize(&path), content.clone()));
        }
        if uploads.is_empty() {
            return Err(bad("no files to upload"));
        }
        for (path, _) in &uploads {
            writable(fs, path)?;
        }
        fs.files.extend(uploads);
        Ok(StatusCode::OK.into_response())
    })
}

#[derive(Deserialize)]
pub(super) struct DownloadRequest {
    paths: Vec<String>,
}

/// The boundary of bulk-download answers (fixed: answers stay byte-identical).
const BOUNDARY: &str = "squadsim-daytona-bulk-download";

/// `POST /files/bulk-download {paths}`: a multipart body, one part per path.
pub(super) async fn bulk_download(sandbox: StartedSandbox, body: Bytes) -> Response {
    sandbox.with_fs(|fs| {
        let req: DownloadRequest =
            serde_json::from_slice(&body).map_err(|e| bad(format!("invalid request body: {e}")))?;
        let mut out = Vec::new();
        for path in &req.paths {
            let full = normalize(path);
            out.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
            match fs.files.get(&full) {
                Some(content) => {
                    out.extend_from_slice(
                        format!(
                            "Content-Disposition: form-data; name=\"file\"; filename=\"{path}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                        )
                        .as_bytes(),
                    );
                    out.extend_from_slice(content);
                }
                None => {
                    let error = json!({"message": format!("file not found: {full}"), "statusCode": 404, "code": "FILE_NOT_FOUND"});
                    out.extend_from_slice(
                        format!(
                            "Content-Disposition: form-data; name=\"error\"; filename=\"{path}\"\r\nContent-Type: application/json\r\n\r\n{error}"
                        )
                        .as_bytes(),
                    );
                }
            }
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
        let content_type = format!("multipart/form-data; boundary={BOUNDARY}");
        Ok(([("content-type", content_type)], out).into_response())
    })
}

#[derive(Deserialize)]
pub(super) struct PathQuery {
    #[serde(default)]
    path: String,
    #[serde(default)]
    recursive: Option<bool>,
    #[serde(default)]
    pattern: Option<String>,
}

fn required(path: &str) -> Result<String, (StatusCode, String)> {
    if path.trim().is_empty() {
        return Err(bad("path is required"));
    }
    Ok(normalize(path))
}

/// `GET /files/info?path=`
pub(super) async fn info(sandbox: StartedSandbox, Query(q): Query<PathQuery>) -> Response {
    let mod_time = sandbox.d.now();
    sandbox.with_fs(|fs| {
        let path = required(&q.path)?;
        let (is_dir, size) = match fs.files.get(&path) {
            Some(c) => (false, c.len()),
            None if fs.is_dir(&path) => (true, 4096),
            None => return Err(not_found(&path)),
        };
        let mode = fs.modes.get(&path).copied().unwrap_or(if is_dir { 0o755 } else { 0o644 });
        let name = path.rsplit('/').next().unwrap_or_default();
        Ok(Json(json!({
            "name": name, "path": path, "isDir": is_dir, "size": size, "mode": format!("{mode:o}"),
            "permissions": format!("{mode:o}"), "modTime": mod_time, "modifiedAt": mod_time,
            "owner": "daytona", "group": "daytona",
        }))
        .into_response())
    })
}

/// `DELETE /files?path=&recursive=`: a folder needs `recursive=true`.
pub(super) async fn delete(sandbox: StartedSandbox, Query(q): Query<PathQuery>) -> Response {
    sandbox.with_fs(|fs| {
        let path = required(&q.path)?;
        writable(fs, &path)?;
        if fs.files.remove(&path).is_some() {
            return Ok(StatusCode::NO_CONTENT.into_response());
        }
        if !fs.is_dir(&path) {
            return Err(not_found(&path));
        }
        if !q.recursive.unwrap_or(false) {
            return Err(bad(format!("{path} is a directory: use recursive=true")));
        }
        fs.remove_tree(&path);
        Ok(StatusCode::NO_CONTENT.into_response())
    })
}

#[derive(Deserialize)]
pub(super) struct MoveQuery {
    #[serde(default)]
    source: String,
    #[serde(default)]
    destination: String,
}

/// `POST /files/move?source=&destination=` (a file or a folder with its files).
pub(super) async fn move_files(sandbox: StartedSandbox, Query(q): Query<MoveQuery>) -> Response {
    sandbox.with_fs(|fs| {
        let (from, to) = (required(&q.source)?, required(&q.destination)?);
        writable(fs, &from)?;
        writable(fs, &to)?;
        if let Some(content) = fs.files.remove(&from) {
            fs.files.insert(to, content);
            return Ok(StatusCode::OK.into_response());
        }
        if !fs.is_dir(&from) {
            return Err(not_found(&from));
        }
        fs.copy_tree(&from, &to, true);
        Ok(StatusCode::OK.into_response())
    })
}

/// The files at or under `path`, in path order.
fn files_under<'a>(fs: &'a SandboxFs, path: &'a str) -> impl Iterator<Item = (&'a String, &'a Vec<u8>)> + 'a {
    let prefix = if path == "/" { "/".to_string() } else { format!("{path}/") };
    fs.files.iter().filter(move |(p, _)| *p == path || p.starts_with(&prefix))
}

/// `GET /files/find?path=&pattern=`: every line containing `pattern` -> `[{file, line, content}]`.
pub(super) async fn find(sandbox: StartedSandbox, Query(q): Query<PathQuery>) -> Response {
    sandbox.with_fs(|fs| {
        let path = required(&q.path)?;
        let pattern = q.pattern.clone().filter(|p| !p.is_empty()).ok_or_else(|| bad("pattern is required"))?;
        let mut matches = Vec::new();
        for (file, content) in files_under(fs, &path) {
            for (i, line) in String::from_utf8_lossy(content).lines().enumerate() {
                if line.contains(&pattern) {
                    matches.push(json!({"file": file, "line": i + 1, "content": line}));
                }
            }
        }
        Ok(Json(Value::Array(matches)).into_response())
    })
}

/// Whether `name` matches the glob `pattern` (`*` any run, `?` one character),
/// in time proportional to their lengths' product.
fn glob(pattern: &[char], name: &[char]) -> bool {
    // matches[j]: whether the pattern so far matches name[..j].
    let mut matches = vec![false; name.len() + 1];
    matches[0] = true;
    for &p in pattern {
        let mut next = vec![false; name.len() + 1];
        if p == '*' {
            let mut any = false;
            for j in 0..=name.len() {
                any |= matches[j];
                next[j] = any;
            }
        } else {
            for j in 1..=name.len() {
                next[j] = matches[j - 1] && (p == '?' || p == name[j - 1]);
            }
        }
        matches = next;
    }
    matches[name.len()]
}

/// `GET /files/search?path=&pattern=`: the files whose name matches the glob -> `{files}`.
pub(super) async fn search(sandbox: StartedSandbox, Query(q): Query<PathQuery>) -> Response {
    sandbox.with_fs(|fs| {
        let path = required(&q.path)?;
        let pattern: Vec<char> = q.pattern.clone().unwrap_or_else(|| "*".into()).chars().collect();
        let files: Vec<&String> = files_under(fs, &path)
            .map(|(p, _)| p)
            .filter(|p| glob(&pattern, &p.rsplit('/').next().unwrap_or_default().chars().collect::<Vec<_>>()))
            .collect();
        Ok(Json(json!({"files": files})).into_response())
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ReplaceRequest {
    files: Vec<String>,
    pattern: String,
    new_value: String,
}

/// `POST /files/replace {files, pattern, newValue}` -> `[{file, success, error?}]`.
pub(super) async fn replace(sandbox: StartedSandbox, body: Bytes) -> Response {
    sandbox.with_fs(|fs| {
        let req: ReplaceRequest =
            serde_json::from_slice(&body).map_err(|e| bad(format!("invalid request body: {e}")))?;
        if req.pattern.is_empty() {
            return Err(bad("pattern is required"));
        }
        let mut results = Vec::new();
        for file in &req.files {
            let path = normalize(file);
            let outcome = match (fs.files.get(&path), writable(fs, &path)) {
                (None, _) => Err(format!("file not found: {path}")),
                (_, Err((_, why))) => Err(why),
                (Some(content), Ok(())) => {
                    let text = String::from_utf8_lossy(content).replace(&req.pattern, &req.new_value);
                    Ok(text.into_bytes())
                }
            };
            match outcome {
                Ok(content) => {
                    fs.files.insert(path, content);
                    results.push(json!({"file": file, "success": true}));
                }
                Err(error) => results.push(json!({"file": file, "success": false, "error": error})),
            }
        }
        Ok(Json(Value::Array(results)).into_response())
    })
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn globs_match_as_a_shell_does() {
        let m = |p: &str, n: &str| glob(&p.chars().collect::<Vec<_>>(), &n.chars().collect::<Vec<_>>());
        assert!(m("*.py", "main.py"));
        assert!(!m("*.py", "main.rs"));
        assert!(m("ma?n.*", "main.rs"));
        assert!(m("*", ""));
        assert!(!m("?", ""));
    }
}
