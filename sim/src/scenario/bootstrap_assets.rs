//! Workspace bootstrap assets as a scenario declares them (`docs/seeds.md`,
//! delivery-language seed: "workspace bootstrap asset is a file delivered into an
//! execution workspace before the agent process starts. source ref bundle is a
//! workspace bootstrap asset used as read-only legacy or reference source
//! material").
//!
//! A launch names its assets ([`BootstrapAssetStep`], and the source ref bundle
//! the operator sends as the convenience alias); where each lives is a world
//! condition ([`RepositoryFile`], `world.github.files`): a file committed to a
//! repository of the App's organization, which the platform reads through
//! GitHub's contents API. Whether an asset exists, can be read or can be written
//! is never declared: it comes out of GitHub and Daytona answering.
//!
//! Guarantees: every list is bounded, every repository is a name GitHub holds,
//! every path is relative without `..` and every destination is absolute
//! without `..`, each problem named by its field path.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::locate::FieldPath;
use super::validate::Invalid;
use super::{bounds, Scenario, Step};

/// A file in a repository of the App's organization (`yamonco/<repository>`, at
/// `path` on its default branch).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RepositoryFile {
    /// The repository's name in the organization (created when no project has it).
    #[schemars(length(min = 1, max = 100))]
    pub repository: String,
    /// The file's path in the repository, relative (`bundles/legacy-src.tar.gz`).
    #[schemars(length(min = 1, max = 255))]
    pub path: String,
}

/// One workspace bootstrap asset of a launch (`workspaceBootstrapAssets[]` on the wire).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BootstrapAssetStep {
    /// The repository the asset's file is in.
    #[schemars(length(min = 1, max = 100))]
    pub repository: String,
    /// The file's path in the repository.
    #[schemars(length(min = 1, max = 255))]
    pub path: String,
    /// Where the file goes in the execution workspace (an absolute path).
    #[schemars(length(min = 1, max = 255))]
    pub destination: String,
    /// Delivered read-only.
    #[serde(default)]
    pub read_only: bool,
}

/// The longest path or destination, in bytes.
const MAX_PATH_BYTES: usize = 255;

/// Checks `world.github.files` and every launch's assets.
pub(crate) fn check(scenario: &Scenario) -> Result<(), Invalid> {
    let files = FieldPath::root().key("world").key("github").key("files");
    let declared = &scenario.world.github.files;
    if declared.len() > bounds::MAX_REPOSITORY_FILES {
        return Err(too_many(files, bounds::MAX_REPOSITORY_FILES, declared.len(), "files"));
    }
    for (i, file) in declared.iter().enumerate() {
        source(&files.index(i), &file.repository, &file.path)?;
    }
    for (step_path, step) in super::launches::every_step(scenario) {
        let Step::Launch(launch) = step else { continue };
        let launch_path = step_path.key("launch");
        if let Some(bundle) = &launch.source_ref_bundle {
            source(&launch_path.key("source_ref_bundle"), &bundle.repository, &bundle.path)?;
        }
        let assets = launch_path.key("workspace_bootstrap_assets");
        if launch.workspace_bootstrap_assets.len() > bounds::MAX_BOOTSTRAP_ASSETS {
            let count = launch.workspace_bootstrap_assets.len();
            return Err(too_many(assets, bounds::MAX_BOOTSTRAP_ASSETS, count, "assets"));
        }
        for (i, asset) in launch.workspace_bootstrap_assets.iter().enumerate() {
            let at = assets.index(i);
            source(&at, &asset.repository, &asset.path)?;
            destination(&at.key("destination"), &asset.destination)?;
        }
    }
    Ok(())
}

fn too_many(field: FieldPath, max: usize, got: usize, what: &str) -> Invalid {
    Invalid::new(field, format!("expected at most {max} {what}, got {got}"))
}

fn source(at: &FieldPath, repository: &str, path: &str) -> Result<(), Invalid> {
    if let Some(reason) = squadsim_fakes::github::RepositoryConfig::name_error(repository) {
        return Err(Invalid::new(at.key("repository"), format!("expected a repository name: {reason}")));
    }
    if path.starts_with('/') || !well_formed(path) {
        return Err(Invalid::new(
            at.key("path"),
            format!(
                "expected a relative path in the repository (`dir/file`, at most {MAX_PATH_BYTES} bytes, no empty, `.` or `..` segment), got `{}`",
                crate::scenario::escape(path)
            ),
        ));
    }
    Ok(())
}

fn destination(at: &FieldPath, destination: &str) -> Result<(), Invalid> {
    match destination.strip_prefix('/') {
        Some(rest) if well_formed(rest) => Ok(()),
        _ => Err(Invalid::new(
            at.clone(),
            format!(
                "expected an absolute path in the execution workspace (`/home/daytona/...`, at most {MAX_PATH_BYTES} bytes, no empty, `.` or `..` segment), got `{}`",
                crate::scenario::escape(destination)
            ),
        )),
    }
}

/// Not empty, not too long, and no empty, `.` or `..` segment.
fn well_formed(path: &str) -> bool {
    !path.is_empty() && path.len() <= MAX_PATH_BYTES && path.split('/').all(|s| !s.is_empty() && s != "." && s != "..")
}
