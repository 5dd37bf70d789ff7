//! Every rule of the delivery-language rule file has a failing and a passing
//! example; legitimate uses the seed allows are not flagged.

use std::collections::BTreeSet;
use std::path::Path;

use squadsim_conformance::lint::config::Config;
use squadsim_conformance::lint::rule::RuleSet;
use squadsim_conformance::lint::{report::Violation, Linter};

/// Builtin rules, with `wire.rs` and `wire/` as payload boundaries.
fn linter() -> Linter {
    let config =
        Config::parse(RuleSet::builtin(), Path::new("test.yaml"), "boundaries: [\"**/wire.rs\", \"**/wire/**\"]\n")
            .expect("test config");
    Linter::new(config, ".")
}

fn lint(path: &str, text: &str) -> Vec<Violation> {
    linter().lint_source(path, text).violations
}

fn rules_hit(path: &str, text: &str) -> Vec<String> {
    lint(path, text).into_iter().map(|v| v.rule).collect()
}

/// (rule, path, failing text, passing text)
const EXAMPLES: &[(&str, &str, &str, &str)] = &[
    (
        "bare-runtime",
        "docs/a.md",
        "The runtime restarts the agent.",
        "The Harness Runtime starts agent attempts through the execution surface.",
    ),
    (
        "bare-runtime",
        "src/a.rs",
        "fn f() { let runtime = start(); }",
        "fn f() { let runtime_logs = 0; let rt = tokio::runtime::Builder::new_current_thread(); }",
    ),
    (
        "bare-runtime",
        "src/a.rs",
        "struct StudioRuntime;",
        "// Build the tokio runtime, at runtime.\nstruct StudioService;",
    ),
    (
        "retired-agent-runtime",
        "docs/a.md",
        "Pick the agent runtime for the tester.",
        "Pick the agent process adapter for the tester.",
    ),
    ("retired-agent-runtime", "src/a.rs", "struct AgentRuntimeConfig;", "struct AgentProcessAdapterConfig;"),
    (
        "retired-workspace-runtime",
        "docs/a.md",
        "The workspace runtime mounts the volume.",
        "The execution workspace mounts the volume.",
    ),
    (
        "retired-runtime-source-bundle",
        "docs/a.md",
        "Upload the runtime source bundle.",
        "Upload the source ref bundle.",
    ),
    (
        "retired-runtime-deploy",
        "docs/a.md",
        "After the runtime deploy finished, check pods.",
        "After the GitOps rollout finished, check pods.",
    ),
    ("retired-runtime-status", "web/a.ts", "const runtimeStatus = poll();", "const executionWorkspacePhase = poll();"),
    (
        "retired-runner",
        "docs/a.md",
        "The runner starts each agent attempt.",
        "The Daytona runner hosts a sandbox for each agent. The scenario runner loads YAML.",
    ),
    (
        "retired-runtime-asset-in-prose",
        "docs/a.md",
        "Register the runtime asset for the squad.",
        "At platform/API boundaries this is still a runtime asset.",
    ),
    (
        "retired-runtime-image-in-prose",
        "docs/a.md",
        "Build the runtime image and roll it out.",
        "The runtime image field stays for compatibility.",
    ),
    (
        "retired-run-control-synonym",
        "docs/a.md",
        "The replay shows dispatch queued.",
        "The replay shows a scheduled run control.",
    ),
    (
        "forbidden-execution-workspace-as-runtime",
        "docs/a.md",
        "Each agent gets a sandbox runtime.",
        "Each agent gets an execution workspace.",
    ),
    (
        "forbidden-execution-workspace-as-runtime",
        "docs/a.md",
        "An execution workspace is a runtime.",
        "An execution workspace is a Daytona sandbox lease.",
    ),
    (
        "forbidden-bootstrap-asset-as-runtime-asset",
        "docs/a.md",
        "Copy the source tarball as a runtime asset before launch.",
        "Copy the source tarball as a workspace bootstrap asset before launch.",
    ),
    (
        "forbidden-runtime-image-as-harness-runtime",
        "docs/a.md",
        "The runtime image is the Harness Runtime.",
        "The Harness Runtime starts agent attempts.",
    ),
    (
        "forbidden-runtime-image-as-harness-runtime",
        "docs/a.md",
        "Push the Harness Runtime image.",
        "Push the deploy image.",
    ),
    (
        "forbidden-deploy-image-as-execution-surface",
        "docs/a.md",
        "The deploy image is an execution surface.",
        "The deploy image is a deployable container artifact.",
    ),
    (
        "forbidden-delivery-graph-kind-as-agent-runtime",
        "docs/a.md",
        "Set the agent runtime kind to project_delivery.",
        "Set the delivery graph kind to project_delivery.",
    ),
    (
        "forbidden-delivery-graph-kind-as-agent-runtime",
        "src/a.rs",
        "fn f() { let agent_runtime_kind = 1; }",
        "fn f() { let delivery_graph_kind = 1; }",
    ),
    (
        "forbidden-board-status",
        "src/a.rs",
        "fn f() { let board_status = read(); }",
        "fn f() { let agent_hud_status = read(); }",
    ),
    (
        "forbidden-board-status",
        "src/a.rs",
        "const KEY: &str = \"BOARD_STATUS\";",
        "const KEY: &str = \"AGENT_HUD_STATUS\";",
    ),
    ("forbidden-board-status", "src/a.rs", "const KEY: &str = \"BOARD_STATUS\";", "// payload adapter\n"),
    (
        "legacy-committer-merge-state",
        "src/a.rs",
        "fn f(b: &str) -> bool { b == \"committer_merge_state_required\" }",
        "fn f(b: &str) -> bool { b == \"merge_lifecycle_decision_required\" }",
    ),
    (
        "legacy-committer-merge-state",
        "docs/a.md",
        "The committer gets committer_merge_state_required.",
        "The committer gets merge_lifecycle_decision_required.",
    ),
    (
        "legacy-target-agent-id",
        "src/a.rs",
        "fn f() { let target_agent_id = 1; }",
        "fn f() { let recipient_agent_id = 1; }",
    ),
    (
        "legacy-dialogue-target-agent-id",
        "src/a.rs",
        "fn f(m: M) { use_it(m.dialogue_target_agent_id); }",
        "fn f(m: M) { use_it(m.dialogue_peer_agent_id); }",
    ),
    (
        "legacy-runtime-kind",
        "src/a.rs",
        "fn f() { let runtime_kind = \"project_delivery\"; }",
        "fn f() { let delivery_graph_kind = \"project_delivery\"; }",
    ),
    (
        "legacy-runtime-kind",
        "web/a.ts",
        "const spec = { runtimeKind: 'claude-cli' };",
        "const spec = { agentProcessAdapter: 'claude-cli' };",
    ),
    (
        "legacy-source-ref-bundle-url",
        "web/a.ts",
        "const sourceRefBundleUrl = x;",
        "const workspaceBootstrapAssets = [x];",
    ),
    (
        "bare-target",
        "src/a.rs",
        "fn f(h: Handoff) { let target = h.recipient(); }",
        "fn f(h: Handoff) { let recipient_agent_id = h.recipient(); }",
    ),
    (
        "bare-target",
        "src/a.rs",
        "struct Handoff { target: AgentId }",
        "struct Handoff { recipient_agent_id: AgentId }",
    ),
    // a parameter or variable named target is bare wherever it is, not only next to a handoff
    (
        "bare-target",
        "src/a.rs",
        "fn f(url: &str) { let target = parse_url(url); }",
        "fn f(url: &str) { let endpoint = parse_url(url); }",
    ),
    ("bare-target", "src/a.rs", "fn connect(target: &Endpoint) {}", "fn connect(endpoint: &Endpoint) {}"),
    ("bare-target", "src/a.rs", "fn f(mut target: String) {}", "fn f(mut host: String) {}"),
    ("bare-target", "src/a.rs", "fn f() { for target in hosts() {} }", "fn f() { for host in hosts() {} }"),
    // a name a pattern binds is declared there too
    ("bare-target", "src/a.rs", "fn f() { let (target, _) = pair(); }", "fn f() { let (endpoint, _) = pair(); }"),
    ("bare-target", "src/a.rs", "fn f() { hosts().map(|target| dial(target)); }", "fn f() { hosts().map(|host| dial(host)); }"),
    (
        "bare-target",
        "src/a.rs",
        "fn f(h: Option<A>) { match h { Some(target) => go(target), None => {} } }",
        "fn f(h: Option<A>) { match h { Some(recipient_agent_id) => go(recipient_agent_id), None => {} } }",
    ),
    ("bare-target", "src/a.rs", "fn f((target, _): (A, B)) {}", "fn f((recipient_agent_id, _): (A, B)) {}"),
    ("bare-target", "src/a.rs", "const TARGET: &str = \"squadsim::run\";", "const RUN_RECORD: &str = \"squadsim::run\";"),
    ("bare-target", "src/a.rs", "fn target(module: &str) {}", "fn target_module(module: &str) {}"),
    // target + a suffix that names no noun is still bare; a noun after target is not
    (
        "bare-target",
        "src/a.rs",
        "fn f() { let target_id = 1; let targetName = 2; let target_2 = 3; }",
        "fn f() { let target_repo = 1; let targetBranch = 2; }",
    ),
    ("bare-target", "src/a.rs", "struct Handoff { dialogue_target: AgentId }", "struct Handoff { dialogue_peer_agent_id: AgentId }"),
    ("bare-target", "a.py", "def send(message, target=None):\n    pass\n", "threading.Thread(target=run)\n"),
    ("bare-target", "web/a.ts", "function send(target) {}", "function send(recipientAgentId) {}"),
    (
        "bare-target-in-prose",
        "docs/a.md",
        "The handoff names its target and the required result.",
        "The handoff names its recipient agent and the required result. Speed targets live in benchmarks.",
    ),
    (
        "forbidden-harness-runtime-as-lifecycle-owner",
        "docs/a.md",
        "The Harness Runtime is the lifecycle owner of each attempt.",
        "Temporal workflow: durable lifecycle owner. Harness Runtime: execution adapter boundary. It starts agent attempts through the selected provider surface.",
    ),
    (
        "forbidden-harness-runtime-as-lifecycle-owner",
        "docs/a.md",
        "Scale the Harness Runtime worker. The Harness Runtime is Studio.",
        "A Temporal worker runs activities. The Harness Runtime is Studio's provider adapter boundary.",
    ),
    ("forbidden-harness-runtime-as-lifecycle-owner", "src/a.rs", "struct HarnessWorker;", "struct HarnessRuntime;"),
    (
        "forbidden-agent-process-adapter-as-delivery-graph-kind",
        "docs/a.md",
        "The agent process adapter is the delivery graph kind of the run.",
        "The agent process adapter names how one agent attempt is executed; the delivery graph kind names the workflow shape.",
    ),
    (
        "forbidden-execution-surface-as-workspace",
        "docs/a.md",
        "An execution surface is a workspace for one agent.",
        "An execution surface is the owned machine or service surface, such as Daytona.",
    ),
    (
        "forbidden-execution-workspace-as-repo",
        "docs/a.md",
        "The execution workspace is the agent's Git repo.",
        "The execution workspace is the per-run workspace where an agent process works.",
    ),
    (
        "forbidden-source-ref-bundle-as-source-repo",
        "docs/a.md",
        "The source ref bundle is the legacy source repo. A source ref bundle is a runtime.",
        "A source ref bundle is a workspace bootstrap asset used as read-only legacy or reference source material.",
    ),
    (
        "forbidden-source-ref-bundle-as-source-repo",
        "src/a.rs",
        "fn f() { let source_repo = ref_bundle_url(); }\nstruct BundleRuntime;",
        "fn f() {\n    let source_ref_bundle = ref_bundle_url();\n    let source_repo = github_repo();\n}",
    ),
    (
        "forbidden-deploy-image-as-execution-workspace",
        "docs/a.md",
        "The deploy image is the execution workspace of the tester.",
        "The deploy image is a deployable container artifact. It is not the lifecycle owner and not the workspace lease.",
    ),
    (
        "forbidden-agent-worktree-as-workspace-root",
        "docs/a.md",
        "The agent-owned worktree is the workspace root of the lane.",
        "The agent-owned worktree is the writable Git worktree for one agent lane. Worktrees live under the workspace root.",
    ),
    (
        "forbidden-agent-worktree-as-workspace-root",
        "src/a.rs",
        "fn f(lane: &Lane) { let workspace_root = lane.worktree(); }",
        "/// Where worktrees live inside a sandbox.\npub const WORKSPACE_ROOT: &str = \"/home/daytona/workspace\";",
    ),
    (
        "forbidden-assembly-worktree-as-owned-repo",
        "docs/a.md",
        "Each agent reads the assembly worktree, its owned repo.",
        "The assembly worktree is the shared read-only checkout (an assembly repo checkout); the assembly worktree is not an owned repo.",
    ),
    (
        "forbidden-assembly-worktree-as-owned-repo",
        "src/a.rs",
        "fn f() { let owned_repo = ASSEMBLY_WORKTREE; }",
        "fn f() { let assembly_worktree = ASSEMBLY_WORKTREE; let owned_worktree = lane_worktree(); }",
    ),
    ("target-agent", "docs/a.md", "Send the handoff to the target agent.", "Send the handoff to the recipient agent."),
];

#[test]
fn every_rule_fails_its_failing_example_and_passes_its_passing_example() {
    for (rule, path, failing, passing) in EXAMPLES {
        let hit = rules_hit(path, failing);
        assert!(hit.iter().any(|r| r == rule), "{rule}: expected a hit in {path}: {failing:?}, got {hit:?}");
        let clean = rules_hit(path, passing);
        assert!(clean.is_empty(), "{rule}: expected no hit in {path}: {passing:?}, got {clean:?}");
    }
}

/// Every name a Rust pattern binds is a declaration (checked by the rules that
/// read declarations only); what a pattern merely uses (a path, a variant, a
/// field name, a type) and names with a noun after target are not.
#[test]
fn pattern_bindings_and_closure_parameters_are_declarations() {
    let binds_target = [
        "fn f() { let (target, x) = pair(); }",
        "fn f() { let (a, mut target): (u8, u8) = pair(); }",
        "fn f() { let Handoff { target, .. } = h; }",
        "fn f() { let Handoff { recipient: target, .. } = h; }",
        "fn f() { if let Some(target) = next() {} }",
        "fn f() { while let Some((_, target)) = queue.pop() {} }",
        "fn f() { let Some(target) = next() else { return }; }",
        "fn f() { for (i, target) in hosts().enumerate() {} }",
        "fn f() { hosts().map(|target| dial(target)); }",
        "fn f() { hosts().map(move |(i, target)| dial(i, target)); }",
        "fn f() { let g = |a: HashMap<u8, u8>, target: &str| a.len(); }",
        "fn f() { hosts().find(|&target| target > 0); }",
        "fn f(h: Option<A>) { match h { Some(target) => go(target), None => {} } }",
        "fn f(h: R) { match h { Ok(x) => {} Err(Failure { target, .. }) => {} } }",
        "fn f(h: R) { match h { Ok(x) => if x { a() } else { b() }, target if target.ok() => {} } }",
        "fn f(n: u8) { match n { target @ 1..=5 => {} _ => {} } }",
        "fn f((target, _): (A, B)) {}",
        "fn f(Handoff { target, .. }: Handoff) {}",
    ];
    for code in binds_target {
        let hit = rules_hit("src/a.rs", code);
        assert_eq!(hit, ["bare-target"], "{code}");
    }
    let clean = [
        // field names, paths, variants, types and uses are not bindings
        "fn f() { match h { Handoff { target: recipient_agent_id, .. } => go(recipient_agent_id), _ => {} } }",
        "fn f() { let Handoff { target: recipient_agent_id, .. } = h; }",
        "fn f() { let kind: target::Kind = read(); let sum = a | target; }",
        "fn f() { hosts().map(|h| h.target).filter(|h| a || target); }",
        "fn f() { match k { target::Kind::A => {} Kind::Target => {} TARGET => {} } }",
        "impl From<A> for target_repo {}",
        "fn f(h: Handoff) -> Vec<u8> { let n = h.len(); let v = vec![target; n]; v }",
        // target with a noun after it
        "fn f() { hosts().map(|target_repo| clone(target_repo)); }",
        "fn f() { if let Some((target_branch, _)) = next() {} }",
        "fn f(h: Option<A>) { match h { Some(target_branch) => go(target_branch), None => {} } }",
    ];
    for code in clean {
        assert_eq!(rules_hit("src/a.rs", code), Vec::<String>::new(), "{code}");
    }
    // a serde boundary may bind the wire's own names
    let wire = "fn read(body: Wire) { let Wire { target_agent_id, target, .. } = body; for target in body.list {} }";
    assert_eq!(rules_hit("sim/src/studio/wire.rs", wire), Vec::<String>::new());
}

#[test]
fn every_shipped_rule_has_examples() {
    let shipped: BTreeSet<String> = RuleSet::builtin().rules.iter().map(|r| r.id().to_owned()).collect();
    let covered: BTreeSet<String> = EXAMPLES.iter().map(|(r, ..)| (*r).to_owned()).collect();
    assert_eq!(shipped, covered);
    assert!(shipped.len() >= 20, "the seed yields {} rules", shipped.len());
}

#[test]
fn legacy_names_pass_inside_boundary_modules_and_fail_outside() {
    let serde_boundary = "#[derive(Deserialize)]\npub struct RunMetadata {\n    #[serde(rename = \"runtime_kind\")]\n    pub delivery_graph_kind: String,\n    pub runtime_kind: Option<String>,\n    pub target_agent_id: String,\n    pub status: Option<String>, // BOARD_STATUS\n}\nconst LEGACY: &str = \"BOARD_STATUS\";\n";
    assert!(rules_hit("sim/src/studio/wire.rs", serde_boundary).is_empty());
    assert!(rules_hit("sim/src/wire/run.rs", serde_boundary).is_empty());
    let outside = rules_hit("sim/src/studio/run.rs", serde_boundary);
    for rule in ["legacy-runtime-kind", "legacy-target-agent-id", "forbidden-board-status"] {
        assert!(outside.iter().any(|r| r == rule), "{rule} missing from {outside:?}");
    }
}

#[test]
fn seed_sanctioned_names_are_not_flagged() {
    let prose = "The Harness Runtime starts agent attempts. At platform/API boundaries the execution surface is still a runtime asset. \
                 The runtime image field is kept for compatibility. The cliproxy runtime is the squad default; the claude-native runtime is the fallback. \
                 See the AgentSquad Runtime Operations runbook.";
    assert_eq!(lint("docs/a.md", prose), vec![]);
    assert_eq!(lint("docs/a.md", "Legacy fields may say `runtime_kind`, `target_agent_id` or `BOARD_STATUS`.\n\n```rust\nlet runtime = 1;\n```\n"), vec![]);
}

#[test]
fn words_match_on_word_boundaries_only() {
    for text in [
        "The runtimes_x table and myruntime helper.",
        "The agent-runtime-bridge crate.",
        "Open src/runtime.rs and crate::runtime::spawn.",
        "See https://example.com/agent-runtime/runtime-status for details.",
    ] {
        assert_eq!(rules_hit("docs/a.md", text), Vec::<String>::new(), "{text}");
    }
    assert_eq!(
        rules_hit("src/a.rs", "fn f() { let reagent_runtimes_x = 1; let myruntime = 2; }"),
        Vec::<String>::new()
    );
    assert_eq!(
        rules_hit("docs/a.md", "Pin image gha-2820-3f2a9c1d7e4b and sha256:abcdef0123456789."),
        Vec::<String>::new()
    );
}

#[test]
fn suggestions_keep_the_original_case() {
    let suggestion = |path: &str, text: &str| {
        lint(path, text).into_iter().map(|v| v.replacement.unwrap_or_default()).collect::<Vec<_>>()
    };
    assert_eq!(suggestion("docs/a.md", "Workspace runtime mounts."), ["Execution workspace"]);
    assert_eq!(suggestion("docs/a.md", "THE WORKSPACE RUNTIME MOUNTS."), ["EXECUTION WORKSPACE"]);
    assert_eq!(suggestion("docs/a.md", "Two workspace runtimes."), ["execution workspaces"]);
    assert_eq!(suggestion("src/a.rs", "const K: &str = \"BOARD_STATUS\";"), ["AGENT_HUD_STATUS"]);
    assert_eq!(
        suggestion("src/a.rs", "fn f() { let boardStatus = 1; let BoardStatus = 2; let board_status = 3; }"),
        ["agentHudStatus", "AgentHudStatus", "agent_hud_status"]
    );
    assert_eq!(suggestion("web/a.ts", "const x = m.targetAgentId;"), ["recipientAgentId"]);
}

#[test]
fn scopes_separate_comments_strings_and_identifiers() {
    // prose-only rule: a comment is prose, a string and an identifier are not
    let source = "// Build the runtime image and roll it out.\nconst M: &str = \"Build the runtime image and roll it out.\";\nfn runtime_image() {}\n";
    let hits = lint("src/a.rs", source);
    let lines: Vec<(usize, &str)> = hits.iter().map(|v| (v.line, v.rule.as_str())).collect();
    assert_eq!(lines, [(1, "retired-runtime-image-in-prose")]);
    // a Python docstring is prose, a '#' comment too
    let py = "def f():\n    \"\"\"Build the runtime image and roll it out.\"\"\"\n    # Register the runtime asset for the squad.\n    return 1\n";
    assert_eq!(rules_hit("a.py", py), ["retired-runtime-image-in-prose", "retired-runtime-asset-in-prose"]);
    // a prompt file is prose; a file the lint does not read yields nothing
    assert_eq!(rules_hit("prompts/planner.txt", "Start the agent runtime."), ["retired-agent-runtime"]);
    assert_eq!(rules_hit("logo.svg", "agent runtime"), Vec::<String>::new());
}

#[test]
fn positions_are_one_based_and_count_characters() {
    let v = &lint("docs/a.md", "intro\n  Ünïcode: the agent runtime.\n")[0];
    assert_eq!((v.line, v.column, v.end_line, v.end_column), (2, 16, 2, 29));
    let w = &lint("docs/a.md", "𝒜 agent runtime")[0];
    assert_eq!((w.column, w.column_utf16, w.end_column_utf16), (3, 4, 17));
    assert_eq!(v.matched, "agent runtime");
}

#[test]
fn the_rule_file_is_refused_with_file_line_and_field() {
    let bad = "version: 1\nrules:\n  - id: x\n    title: t\n    message: m\n    scopes: [prose]\n    words: [a]\n    severity: loud\n";
    let err = RuleSet::parse(Path::new("bad.yaml"), bad).unwrap_err();
    assert_eq!(err.path, Path::new("bad.yaml"));
    assert_eq!(err.line, Some(8));
    assert_eq!(err.field.as_deref(), Some("rules[0].severity"));
    let bad_regex =
        "version: 1\nrules:\n  - id: x\n    title: t\n    message: m\n    scopes: [prose]\n    patterns: ['(']\n";
    let err = RuleSet::parse(Path::new("bad.yaml"), bad_regex).unwrap_err();
    // The pattern itself, not the rule's `id:` line.
    assert_eq!((err.line, err.field.as_deref()), (Some(7), Some("rules[0].patterns[0]")));
    assert!(err.to_string().starts_with("bad.yaml:7:16: field `rules[0].patterns[0]`: invalid regex"), "{err}");
    let twice = "version: 1\nrules:\n  - id: x\n    title: t\n    message: m\n    scopes: [prose]\n    words: [a]\n  - id: x\n    title: t\n    message: m\n    scopes: [prose]\n    words: [b]\n";
    let err = RuleSet::parse(Path::new("bad.yaml"), twice).unwrap_err();
    assert_eq!((err.line, err.field.as_deref()), (Some(8), Some("rules[1].id")), "the second rule's id: {err}");
    let unknown = "version: 1\nrules:\n  - id: x\n    title: t\n    message: m\n    scopes: [prose]\n    words: [a]\n    colour: red\n";
    let err = RuleSet::parse(Path::new("bad.yaml"), unknown).unwrap_err();
    assert_eq!(err.line, Some(8), "{err}");
    // serde's words whose own `x y: ` prefix is no field are kept whole.
    let mistyped = "version: 1\nrules:\n  - id: x\n    title: t\n    message: m\n    scopes: prose\n    words: [a]\n";
    let err = RuleSet::parse(Path::new("bad.yaml"), mistyped).unwrap_err();
    assert_eq!(err.field.as_deref(), Some("rules[0].scopes"));
    assert!(err.message.starts_with("invalid type: string \"prose\""), "{err}");
    let listed = RuleSet::parse(Path::new("bad.yaml"), "- id: x\n").unwrap_err();
    assert!(listed.message.starts_with("invalid type: sequence"), "{listed}");
}

#[test]
fn a_rules_names_are_refused_unless_they_have_the_shape_they_are_matched_in() {
    let rule = |extra: &str| {
        format!("version: 1\nrules:\n  - id: x\n    title: t\n    message: m\n    scopes: [identifier]\n{extra}")
    };
    for (extra, field, says) in [
        (
            "    words: [a]\n  - id: Not_Kebab\n    title: t\n    message: m\n    scopes: [prose]\n    words: [a]\n",
            "rules[1].id",
            "must be kebab-case",
        ),
        ("    tokens: [runtime-kind]\n", "rules[0].tokens[0]", "must be an identifier"),
        (
            "    words: [a]\n    ends_identifier: true\n    generic_suffixes: [Id]\n",
            "rules[0].generic_suffixes[0]",
            "must be one lower-case sub-word",
        ),
    ] {
        let err = RuleSet::parse(Path::new("bad.yaml"), &rule(extra)).unwrap_err();
        assert_eq!(err.field.as_deref(), Some(field), "{err}");
        assert!(err.message.contains(says), "{err}");
    }
    let fine = rule(
        "    tokens: [runtime_kind2]\n    words: [a]\n    ends_identifier: true\n    generic_suffixes: [id, v2]\n",
    );
    assert!(RuleSet::parse(Path::new("fine.yaml"), &fine).is_ok());
}

#[test]
fn a_config_string_is_bounded_at_64_kib_not_below() {
    let with = |glob: String| format!("exclude: [\"{glob}\"]\n");
    let long = "x".repeat(60 * 1024);
    assert!(Config::parse(RuleSet::builtin(), Path::new("c.yaml"), &with(long)).is_ok());
    let over = "x".repeat(64 * 1024 + 1);
    let err = Config::parse(RuleSet::builtin(), Path::new("c.yaml"), &with(over)).unwrap_err();
    assert!(err.to_string().contains("64 KiB") || err.to_string().contains("65536"), "{err}");
}

#[test]
fn a_token_is_found_even_when_its_sub_words_are_no_term_words() {
    let config = Config::parse(
        RuleSet::builtin(),
        Path::new("test.yaml"),
        "rules:\n  - id: legacy-quux\n    title: q\n    message: q\n    scopes: [identifier, string]\n    tokens: [fooBarQuux]\n",
    )
    .expect("config");
    let linter = Linter::new(config, ".");
    let found: Vec<String> = linter
        .lint_source("web/a.ts", "const fooBarQuux = 'x fooBarQuux';")
        .violations
        .into_iter()
        .map(|v| format!("{}:{}", v.column, v.rule))
        .collect();
    assert_eq!(found, ["7:legacy-quux", "23:legacy-quux"]);
}

/// The (rule, column) of each violation in a one-line Markdown file.
fn columns(text: &str) -> Vec<(String, usize)> {
    lint("docs/a.md", text).into_iter().map(|v| (v.rule, v.column)).collect()
}

#[test]
fn a_url_or_a_hash_hides_only_the_words_it_covers() {
    // A term free inside a URL (after `=`, not glued to a `/`) is the URL's, not prose.
    assert_eq!(columns("See https://example.com/?q=runtime for help."), []);
    assert_eq!(columns("See www.example.com/?q=runtime for help."), []);
    // Beside a URL or a hash, prose is read as ever, before it and after it.
    let runtime = |column| ("bare-runtime".to_string(), column);
    assert_eq!(columns("See https://example.com/?q=x for the runtime restart."), [runtime(38)]);
    assert_eq!(columns("The runtime restarts, see https://example.com/x and commit abc1234def."), [runtime(5)]);
}

#[test]
fn every_hit_of_a_rule_in_one_paragraph_is_reported() {
    let runtime = |column| ("bare-runtime".to_string(), column);
    assert_eq!(columns("The runtime restarts. Then the runtime stops."), [runtime(5), runtime(32)]);
}

#[test]
fn identifiers_split_at_case_changes_digits_and_acronym_ends() {
    use squadsim_conformance::lint::matching::identifier_words;
    let split = |ident: &str| identifier_words(ident).into_iter().map(|r| ident[r].to_string()).collect::<Vec<_>>();
    assert_eq!(split("agentHTTPServer"), ["agent", "HTTP", "Server"]);
    assert_eq!(split("sessionID"), ["session", "ID"]);
    assert_eq!(split("v2Runtime"), ["v2", "Runtime"]);
    assert_eq!(split("workspace_runtime-kind"), ["workspace", "runtime", "kind"]);
    // So a term is found as its sub-words wherever the name puts them.
    let hits = rules_hit("src/a.rs", "fn f() { let legacyWorkspaceRUNTIME = 1; }");
    assert!(hits.contains(&"retired-workspace-runtime".to_string()), "{hits:?}");
}

#[test]
fn only_a_phrases_last_word_may_be_plural() {
    assert!(
        rules_hit("docs/a.md", "Two workspace runtimes restart.").contains(&"retired-workspace-runtime".to_string())
    );
    assert!(
        !rules_hit("docs/a.md", "Two workspaces runtime restart.").contains(&"retired-workspace-runtime".to_string())
    );
}

/// Whether `retired-runner` (which needs an agent, attempt, activity, Temporal or
/// executor in the same sentence, or code line) reports `text`.
fn runner_reported(path: &str, text: &str) -> bool {
    rules_hit(path, text).iter().any(|r| r == "retired-runner")
}

#[test]
fn a_context_is_the_hits_own_sentence_or_paragraph() {
    assert!(runner_reported("docs/a.md", "The runner restarts the agent."));
    assert!(!runner_reported("docs/a.md", "The agent is started. The runner restarts."));
    assert!(!runner_reported("docs/a.md", "The runner restarts. The agent waits."));
    assert!(!runner_reported("docs/a.md", "The runner restarts! Then an agent waits?"));
    // A prompt file is prose from end to end: a blank line ends a sentence there.
    assert!(runner_reported("prompts/a.txt", "The runner restarts\nthe agent"));
    assert!(!runner_reported("prompts/a.txt", "Notes on the agent\n\nThe runner restarts"));
    assert!(!runner_reported("prompts/a.txt", "The runner restarts\n\nnotes on the agent"));
    assert!(runner_reported("prompts/a.txt", "Notes\n\nagent runner restarts"));
    assert!(runner_reported("prompts/a.txt", "The runner restarts the agent\n\nNotes"));
    assert!(runner_reported("prompts/a.txt", "\n\nThe runner restarts the agent"));
    // A sentence is cut 400 bytes either side of the hit.
    let filler = " x".repeat(200);
    assert!(runner_reported("docs/a.md", &format!("The agent{} runner restarts.", " x".repeat(195))));
    assert!(!runner_reported("docs/a.md", &format!("The agent{filler} runner restarts.")));
    assert!(!runner_reported("docs/a.md", &format!("The runner{filler} agent restarts.")));
}

#[test]
fn a_context_cut_inside_a_character_starts_at_that_characters_beginning() {
    // The cut 400 bytes before the hit falls inside the `é` glued to `agent`: the
    // window keeps the whole character, so `éagent` is one word and no context.
    let glued = format!("{}éagent{}  runner restarts.", "é".repeat(8), " x".repeat(196));
    assert!(!runner_reported("docs/a.md", &glued));
    let cut = glued.find("éagent").unwrap() + 1;
    assert_eq!(glued.find(" runner").unwrap() + 1 - 400, cut, "the cut is inside the é");
    // After the hit too: the cut inside the `é` glued to `agent` ends the window after it.
    let after = format!("The runner{}  agenté", " x".repeat(196));
    assert_eq!(after.find('é').unwrap() + 1, "The runner".len() + 400, "the cut is inside the é");
    assert!(!runner_reported("docs/a.md", &after));
}

#[test]
fn in_code_a_names_context_is_its_own_line() {
    let separate = "fn f() {\n    let agent = 1;\n    let runner = 2;\n    let agent_count = agent;\n}\n";
    assert!(!runner_reported("src/a.rs", separate));
    assert!(runner_reported("src/a.rs", "fn f() {\n    let runner = agent::spawn();\n}\n"));
    assert!(runner_reported("src/a.rs", "\nfn f() { let runner = agent::spawn(); }\n"));
}

#[test]
fn a_word_glued_by_a_dot_or_colon_is_part_of_a_name() {
    let bare = |text: &str| rules_hit("docs/a.md", text).iter().any(|r| r == "bare-runtime");
    // Glued: a `.` or `:` between the word and a letter, digit, `:` or `_`, on either side.
    for text in [
        "Call tokio.runtime now.",
        "Call v2.runtime now.",
        "Use crate::runtime now.",
        "Use self_.runtime now.",
        "Open runtime.rs now.",
        "Call runtime::spawn now.",
        "Read runtime._private now.",
        "Read runtime:2 now.",
    ] {
        assert!(!bare(text), "{text}");
    }
    // Not glued: the `.` or `:` ends a sentence or a clause, or opens a name of its own.
    for text in [
        "Read the .runtime file.",
        "It is the runtime. Then it stops.",
        "It is the runtime: it stops.",
        "(the runtime.)",
    ] {
        assert!(bare(text), "{text}");
    }
}

#[test]
fn a_hex_word_is_a_hash_only_with_a_digit_or_when_long() {
    let config = "rules:\n  - id: hex-words\n    title: t\n    message: m\n    scopes: [prose]\n    words: [defaced, deadbeefcafe]\n";
    let linter = Linter::new(Config::parse(RuleSet::builtin(), Path::new("c.yaml"), config).expect("config"), ".");
    let hit = |text: &str| linter.lint_source("docs/a.md", text).violations.iter().any(|v| v.rule == "hex-words");
    // Seven hex letters and no digit: a word.
    assert!(hit("The page was defaced."));
    // Twelve hex letters: long enough to be a hash, digit or not.
    assert!(!hit("Pinned at deadbeefcafe."));
}
