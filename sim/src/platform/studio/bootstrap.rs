//! Workspace bootstrap assets (`docs/seeds.md`, delivery-language seed):
//! "workspace bootstrap asset is a file delivered into an execution workspace
//! before the agent process starts. source ref bundle is a workspace bootstrap
//! asset used as read-only legacy or reference source material".
//!
//! A run carries its assets from the launch body (`wire` lowers the convenience
//! alias into the list at the payload boundary; only the seed's nouns live here).
//! The Temporal-owned workspace lifecycle delivers them in its own phase
//! (`workspace_bootstrap`), after the execution workspace has started and
//! before the agent process starts.
//!
//! Guarantees:
//! - each asset is fetched from where it lives over HTTP: through GitHub's
//!   contents API with the platform's token when its URL is on GitHub's API
//!   (the file's base64 `content`), by a plain GET otherwise (the body);
//!   a 404 is missing, a 429, a 5xx or no answer is unanswered, any other
//!   refusal (a 403, the rate limit's included) is unreadable;
//! - it is delivered through the Daytona toolbox's file API (`POST
//!   /files/upload?path=`); a read-only asset (every source ref bundle) is then
//!   given mode `444` (`POST /files/permissions`), and every delivered asset's
//!   mode is read back from the toolbox (`GET /files/info`), never assumed;
//! - an asset missing at its source (404), unreadable there (any other
//!   refusal, or not a file) or whose upload the toolbox refuses (a 4xx) stops
//!   the delivery for good, naming the asset; no answer or a 5xx is worth
//!   retrying under the phase's deadline, and a retry resumes after the assets
//!   already delivered.

use std::sync::Mutex;

use base64::Engine as _;
use serde::Serialize;
use serde_json::Value;
use squadsim_fakes::net::HttpRequest;

use crate::platform::studio::delivery::{self, Refusal};
use crate::platform::studio::temporal_lifecycle::ActivityError;
use crate::platform::studio::worktree::{Toolbox, ToolboxError};
use crate::platform::studio::Studio;

/// Where a source ref bundle goes when the launch names no destination for it.
pub(crate) const SOURCE_REF_BUNDLE_DIR: &str = "/home/daytona/source-ref";

/// The mode a read-only asset is given.
const READ_ONLY_MODE: &str = "444";

/// What a workspace bootstrap asset is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AssetKind {
    /// A launch-time file (a product source archive, a CLI package, a proof bundle).
    File,
    /// Read-only legacy or reference source material.
    SourceRefBundle,
}

/// A file delivered into every execution workspace of a run before its agent
/// process starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkspaceBootstrapAsset {
    pub kind: AssetKind,
    /// Where the file lives.
    pub source_url: String,
    /// Where it goes in the execution workspace (an absolute path).
    pub destination: String,
    pub read_only: bool,
}

impl WorkspaceBootstrapAsset {
    /// A source ref bundle: always read-only; by default under [`SOURCE_REF_BUNDLE_DIR`],
    /// named as the last segment of its URL.
    pub(crate) fn source_ref_bundle(source_url: &str, destination: Option<&str>) -> Self {
        let destination = destination.map(str::to_string).unwrap_or_else(|| {
            let name = source_url.trim_end_matches('/').rsplit('/').next().filter(|n| !n.is_empty());
            format!("{SOURCE_REF_BUNDLE_DIR}/{}", name.unwrap_or("bundle"))
        });
        WorkspaceBootstrapAsset {
            kind: AssetKind::SourceRefBundle,
            source_url: source_url.to_string(),
            destination,
            read_only: true,
        }
    }
}

impl std::fmt::Display for WorkspaceBootstrapAsset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let noun = match self.kind {
            AssetKind::File => "workspace bootstrap asset",
            AssetKind::SourceRefBundle => "source ref bundle",
        };
        write!(f, "{noun} {} -> {}", self.source_url, self.destination)
    }
}

/// An asset as it was delivered: where, and the mode the toolbox reports for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeliveredAsset {
    pub kind: AssetKind,
    pub destination: String,
    /// The file's mode as `GET /files/info` reported it (`444` read-only).
    pub mode: String,
}

/// Why an asset was not delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Undelivered {
    /// Its source answered 404.
    Missing,
    /// Its source refused it otherwise, or held no file there.
    Unreadable(String),
    /// Its source or the toolbox gave no answer or a 5xx: worth retrying.
    Unanswered(String),
    /// The toolbox refused to write it.
    UploadRefused(ToolboxError),
}

impl std::fmt::Display for Undelivered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Undelivered::Missing => f.write_str("missing at its source (404)"),
            Undelivered::Unreadable(why) => write!(f, "unreadable at its source ({why})"),
            Undelivered::Unanswered(why) => write!(f, "not answered ({why})"),
            Undelivered::UploadRefused(e) => write!(f, "upload refused by the execution workspace ({e})"),
        }
    }
}

impl std::error::Error for Undelivered {}

impl Undelivered {
    fn from_toolbox(e: ToolboxError) -> Self {
        match e {
            ToolboxError::Refused { status, .. } if status < 500 => Undelivered::UploadRefused(e),
            other => Undelivered::Unanswered(other.to_string()),
        }
    }

    /// The lifecycle activity's report, naming `asset`.
    fn report(self, asset: &WorkspaceBootstrapAsset) -> ActivityError {
        let message = format!("{asset}: {self}");
        match self {
            Undelivered::Unanswered(_) => ActivityError::retryable(message),
            _ => ActivityError::non_retryable(message),
        }
    }
}

/// Delivers `assets` into the execution workspace behind `toolbox`, in order,
/// after those already in `delivered` (a retry resumes there). One lifecycle
/// activity attempt.
pub(crate) async fn deliver(
    studio: &Studio,
    toolbox: &Toolbox,
    assets: &[WorkspaceBootstrapAsset],
    delivered: &Mutex<Vec<DeliveredAsset>>,
) -> Result<Vec<DeliveredAsset>, ActivityError> {
    let done = delivered.lock().map(|d| d.len()).unwrap_or_default();
    for asset in assets.iter().skip(done) {
        let one = deliver_one(studio, toolbox, asset).await.map_err(|e| e.report(asset))?;
        if let Ok(mut d) = delivered.lock() {
            d.push(one);
        }
    }
    Ok(delivered.lock().map(|d| d.clone()).unwrap_or_default())
}

async fn deliver_one(
    studio: &Studio,
    toolbox: &Toolbox,
    asset: &WorkspaceBootstrapAsset,
) -> Result<DeliveredAsset, Undelivered> {
    let content = fetch(studio, &asset.source_url).await?;
    let path = &asset.destination;
    toolbox.upload(path, &content).await.map_err(Undelivered::from_toolbox)?;
    if asset.read_only {
        let chmod = format!("/files/permissions?path={path}&mode={READ_ONLY_MODE}");
        toolbox.post(&chmod, None).await.map_err(Undelivered::from_toolbox)?;
    }
    let info = toolbox.get(&format!("/files/info?path={path}")).await.map_err(Undelivered::from_toolbox)?.json();
    let mode = info.get("mode").and_then(Value::as_str).unwrap_or_default().to_string();
    Ok(DeliveredAsset { kind: asset.kind, destination: path.clone(), mode })
}

/// The asset's bytes, from where it lives: a GET, with the platform's GitHub
/// token and GitHub's media type when the URL is on GitHub's API (whose
/// contents API answers the file's base64 `content`), the body otherwise.
async fn fetch(studio: &Studio, url: &str) -> Result<Vec<u8>, Undelivered> {
    let on_github = url.strip_prefix(studio.config.github.api_url.as_str()).is_some_and(|p| p.starts_with('/'));
    let mut request = HttpRequest::get(url);
    if on_github {
        let token = delivery::platform_token(studio)
            .await
            .map_err(|e| Undelivered::Unanswered(format!("no GitHub token: {e}")))?;
        request = request.bearer(&token).header("accept", "application/vnd.github+json");
    }
    let response = match studio.http.send(request).await {
        Ok(r) => r,
        Err(e) => return Err(Undelivered::Unanswered(e.to_string())),
    };
    let status = response.status.as_u16();
    match status {
        200..=299 => {}
        404 => return Err(Undelivered::Missing),
        429 | 500..=599 => return Err(Undelivered::Unanswered(Refusal::read(&response).to_string())),
        _ => return Err(Undelivered::Unreadable(Refusal::read(&response).to_string())),
    }
    if !on_github {
        return Ok(response.body.to_vec());
    }
    let file = response.json();
    if file.get("type").and_then(Value::as_str) != Some("file") {
        return Err(Undelivered::Unreadable("not a file".to_string()));
    }
    let encoded: String =
        file.get("content").and_then(Value::as_str).unwrap_or_default().chars().filter(|c| *c != '\n').collect();
    base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|e| Undelivered::Unreadable(format!("content is not base64: {e}")))
}
