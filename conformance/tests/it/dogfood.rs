//! This repository passes its own delivery-language lint, with its own config.

use std::path::PathBuf;

use squadsim_conformance::lint::{self, ExitStatus, LintArgs};

#[test]
fn the_repository_passes_its_own_lint() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let args = LintArgs {
        paths: vec![repo.clone()],
        config: Some(repo.join("squadsim-lint.yaml")),
        root: Some(repo),
        ..LintArgs::default()
    };
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let status = lint::run(&args, &mut out, &mut err);
    let out = String::from_utf8_lossy(&out);
    let err = String::from_utf8_lossy(&err);
    assert!(err.is_empty(), "lint failed to run: {err}");
    assert!(out.starts_with("clean: "), "the repository has delivery-language violations:\n{out}");
    assert_eq!(status, ExitStatus::Passed, "{out}");
    let checked: usize = out["clean: ".len()..].split_whitespace().next().and_then(|n| n.parse().ok()).unwrap_or(0);
    assert!(checked >= 5, "the walk found too few files to be the repository: {out}");
}
