//! The README's test command (`scripts/test`, which `.ci/run` execs) holds the
//! workspace to its lints: rustfmt and clippy (`-D warnings`, with the root
//! Cargo.toml's `[workspace.lints]`, which every crate takes) run before any test.

use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(relative: &str) -> String {
    std::fs::read_to_string(workspace().join(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"))
}

/// The byte offset of the line of `script` that runs `command`, failing the test when none does.
fn runs(script: &str, command: &str) -> usize {
    let mut at = 0;
    for line in script.split_inclusive('\n') {
        let code = line.trim_start();
        if !code.starts_with('#') && !code.starts_with("echo") && code.contains(command) {
            return at;
        }
        at += line.len();
    }
    panic!("scripts/test never runs `{command}`")
}

#[test]
fn the_test_command_checks_formatting_and_lints_before_it_tests() {
    let script = read("scripts/test");
    let fmt = runs(&script, "cargo fmt --all --check");
    let clippy = runs(&script, "cargo clippy --workspace --all-targets -- -D warnings");
    let test = runs(&script, "cargo test --workspace --no-fail-fast");
    assert!(fmt < test && clippy < test, "scripts/test must check formatting and lints before the tests");
}

#[test]
fn the_test_command_runs_a_swarm_sweep_of_the_corpus_and_still_runs_the_tests_when_it_fails() {
    let script = read("scripts/test");
    let sweep = runs(&script, "run --swarm --seeds 3 scenarios/");
    let test = runs(&script, "cargo test --workspace --no-fail-fast");
    assert!(sweep < test, "the sweep runs before the tests");
    assert!(script.contains("swarm_sweep || failed+="), "a failed sweep is remembered, not fatal before the tests");
}

#[test]
fn every_crate_takes_the_workspace_lints() {
    let root = read("Cargo.toml");
    assert!(root.contains("[workspace.lints.rust]") && root.contains("unreachable_pub = \"warn\""));
    for krate in ["sim", "fakes", "conformance", "benches"] {
        let manifest = read(&format!("{krate}/Cargo.toml"));
        assert!(manifest.contains("[lints]\nworkspace = true"), "{krate}/Cargo.toml does not take the workspace lints");
    }
}
