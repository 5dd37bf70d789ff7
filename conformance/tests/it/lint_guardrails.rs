//! Issue 17 item 13: bare `target` in code, the guardrail table's "Do Not Call It"
//! column, and the deny-list of product-specific names, end to end through
//! `squadsim lint` (JSON and SARIF carry each rule).

use std::fs;
use std::path::Path;

use serde_json::Value;
use squadsim_conformance::lint::{ExitStatus, Format, LintArgs};

use crate::lint_cli::{repo, run};

fn args_for(dir: &Path, format: Format) -> LintArgs {
    LintArgs { paths: vec![dir.to_path_buf()], root: Some(dir.to_path_buf()), format, ..LintArgs::default() }
}

/// Lints `dir` (with its `squadsim-lint.yaml`, if any) in `format`.
fn lint(dir: &Path, format: Format) -> (ExitStatus, Value) {
    let (status, out, err) = run(&args_for(dir, format));
    assert!(err.is_empty(), "{err}");
    (status, serde_json::from_str(&out).expect("json"))
}

/// `path:line:rule` of every JSON violation.
fn json_hits(doc: &Value) -> Vec<String> {
    doc["violations"]
        .as_array()
        .expect("violations")
        .iter()
        .map(|v| format!("{}:{}:{}", v["path"].as_str().unwrap_or(""), v["line"], v["rule"].as_str().unwrap_or("")))
        .collect()
}

/// The rule id of every SARIF result, and the ids of the driver's rules.
fn sarif_rules(doc: &Value) -> (Vec<String>, Vec<String>) {
    let run = &doc["runs"][0];
    let ids = |list: &Value, key: &str| -> Vec<String> {
        list.as_array().expect("array").iter().map(|r| r[key].as_str().expect("id").to_owned()).collect()
    };
    (ids(&run["results"], "ruleId"), ids(&run["tool"]["driver"]["rules"], "id"))
}

const MISUSES: &[(&str, &str, &str)] = &[
    ("bare-target", "src/net.rs", "fn connect(target: &Endpoint) {}\n"),
    ("bare-target-in-prose", "docs/handoff.md", "The handoff names its target.\n"),
    (
        "forbidden-harness-runtime-as-lifecycle-owner",
        "docs/harness.md",
        "The Harness Runtime is the lifecycle owner.\n",
    ),
    (
        "forbidden-agent-process-adapter-as-delivery-graph-kind",
        "docs/adapter.md",
        "The agent process adapter is the delivery graph kind.\n",
    ),
    ("forbidden-execution-surface-as-workspace", "docs/surface.md", "An execution surface is a workspace.\n"),
    ("forbidden-execution-workspace-as-repo", "docs/workspace.md", "The execution workspace is a repo.\n"),
    ("forbidden-source-ref-bundle-as-source-repo", "docs/bundle.md", "The source ref bundle is the source repo.\n"),
    ("forbidden-deploy-image-as-execution-workspace", "docs/image.md", "The deploy image is an execution workspace.\n"),
    (
        "forbidden-agent-worktree-as-workspace-root",
        "docs/worktree.md",
        "The agent-owned worktree is the workspace root.\n",
    ),
    ("forbidden-assembly-worktree-as-owned-repo", "docs/assembly.md", "The assembly worktree is an owned repo.\n"),
];

#[test]
fn json_and_sarif_carry_every_guardrail_rule() {
    let files: Vec<(&str, &str)> = MISUSES.iter().map(|(_, path, text)| (*path, *text)).collect();
    let dir = repo(&files);
    let (status, json) = lint(dir.path(), Format::Json);
    assert_eq!(status, ExitStatus::Failed);
    let hits = json_hits(&json);
    let (_, sarif) = lint(dir.path(), Format::Sarif);
    let (results, driver_rules) = sarif_rules(&sarif);
    for (rule, path, _) in MISUSES {
        assert!(hits.contains(&format!("{path}:1:{rule}")), "{rule} missing from the JSON: {hits:?}");
        assert!(results.iter().any(|r| r == rule), "{rule} missing from the SARIF results: {results:?}");
        assert!(driver_rules.iter().any(|r| r == rule), "{rule} missing from the SARIF rules");
    }
    assert_eq!(hits.len(), MISUSES.len(), "one violation per misuse: {hits:?}");
}

#[test]
fn the_seeds_own_sentences_stay_clean() {
    // the delivery-language seed's words for these nouns, as it writes them
    let seed = "agent-owned worktree is the writable Git worktree for one agent lane. \
        assembly worktree is the shared read/observation checkout for cross-repo context. \
        source ref bundle is a workspace bootstrap asset used as read-only legacy or reference source material. \
        Harness Runtime: execution adapter boundary. It starts agent attempts through the selected provider surface. \
        Temporal workflow: durable lifecycle owner. It decides phase deadlines, activity retry, timers, and long waits. \
        deploy image: deployable container artifact. It is not the lifecycle owner and not the workspace lease. \
        execution workspace: per-run/per-session workspace lease, usually a Daytona sandbox/workspace. \
        The executor is the agent process adapter; a Temporal worker runs activities. \
        Shared context: assembly worktree, read-only cross-repo observation, assembly repo checkout. \
        Avoid new code or docs that use target without a noun. If a persisted API or database field still says \
        target_agent_id, treat it as the wire-compatible alias for recipient_agent_id.\n";
    let dir = repo(&[("docs/seed.md", seed)]);
    let (status, json) = lint(dir.path(), Format::Json);
    assert_eq!(json_hits(&json), Vec::<String>::new());
    assert_eq!(status, ExitStatus::Passed);
}

#[test]
fn the_wire_aliases_with_target_stay_clean_inside_a_serde_boundary() {
    let wire = "#[derive(Deserialize)]\npub struct HandoffBody {\n    #[serde(rename = \"target_agent_id\")]\n    pub recipient_agent_id: String,\n    pub dialogue_target_agent_id: Option<String>,\n}\n";
    let dir =
        repo(&[("squadsim-lint.yaml", "boundaries: ['**/wire.rs']\n"), ("src/wire.rs", wire), ("src/run.rs", wire)]);
    let (_, json) = lint(dir.path(), Format::Json);
    // outside the boundary only the legacy-alias rule speaks: the alias has a noun after target
    assert_eq!(
        json_hits(&json),
        ["src/run.rs:3:legacy-target-agent-id", "src/run.rs:5:legacy-dialogue-target-agent-id"]
    );
}

const LIFECYCLE: &str = "/// Starts the Acme intake for the Legacy CRM export.\nfn acme_intake() { let url = \"https://acme.example/legacy-crm\"; }\n";

#[test]
fn product_names_are_off_until_the_config_lists_them() {
    let dir = repo(&[("src/lifecycle/intake.rs", LIFECYCLE)]);
    let (status, json) = lint(dir.path(), Format::Json);
    assert_eq!((status, json_hits(&json)), (ExitStatus::Passed, vec![]));
    let (_, sarif) = lint(dir.path(), Format::Sarif);
    assert!(!sarif_rules(&sarif).1.iter().any(|r| r == "product-specific-name"));

    fs::write(dir.path().join("squadsim-lint.yaml"), "product_names:\n  names: []\n").expect("write");
    assert_eq!(lint(dir.path(), Format::Json).0, ExitStatus::Passed);
}

#[test]
fn a_listed_product_name_in_the_generic_lifecycle_is_a_violation_in_every_format() {
    let config = "product_names:\n  names: [Acme, Legacy CRM]\n  paths: ['src/lifecycle/**']\n  exclude: ['src/lifecycle/acme_adapter.rs']\n";
    let dir = repo(&[
        ("squadsim-lint.yaml", config),
        ("src/lifecycle/intake.rs", LIFECYCLE),
        ("src/lifecycle/acme_adapter.rs", LIFECYCLE),
        ("products/acme/intake.rs", LIFECYCLE),
    ]);
    let (status, json) = lint(dir.path(), Format::Json);
    assert_eq!(status, ExitStatus::Failed);
    // the comment's two names and the function name; the URL is never a hit
    assert_eq!(
        json_hits(&json),
        [
            "src/lifecycle/intake.rs:1:product-specific-name",
            "src/lifecycle/intake.rs:1:product-specific-name",
            "src/lifecycle/intake.rs:2:product-specific-name"
        ]
    );
    let matched: Vec<&str> =
        json["violations"].as_array().expect("violations").iter().filter_map(|v| v["matched"].as_str()).collect();
    assert_eq!(matched, ["Acme", "Legacy CRM", "acme"]);
    let (_, sarif) = lint(dir.path(), Format::Sarif);
    let (results, driver_rules) = sarif_rules(&sarif);
    assert_eq!(results, ["product-specific-name"; 3]);
    assert!(driver_rules.iter().any(|r| r == "product-specific-name"));
}

#[test]
fn a_bad_product_name_list_names_the_file_line_and_field() {
    let dir =
        repo(&[("squadsim-lint.yaml", "boundaries: []\nproduct_names:\n  names: [Acme, '--']\n"), ("a.md", "ok\n")]);
    let (status, _, err) = run(&args_for(dir.path(), Format::Human));
    assert_eq!(status, ExitStatus::Unusable);
    assert!(err.contains("squadsim-lint.yaml:3:17: field `product_names.names[1]`"), "{err}");
}
