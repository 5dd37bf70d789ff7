//! The `squadsim lint` entry point: exit codes, suppression, baseline, config,
//! output formats and `--fix`.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;
use squadsim_conformance::lint::annotations::{escape_data, escape_property};
use squadsim_conformance::lint::{self, ExitStatus, Format, LintArgs};

/// A scratch repository with `files` written into it.
pub(crate) fn repo(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (path, text) in files {
        let full = dir.path().join(path);
        fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        fs::write(full, text).expect("write");
    }
    dir
}

fn args_for(dir: &Path) -> LintArgs {
    LintArgs { paths: vec![dir.to_path_buf()], root: Some(dir.to_path_buf()), ..LintArgs::default() }
}

/// Runs `squadsim lint`: its status, stdout and stderr.
pub(crate) fn run(args: &LintArgs) -> (ExitStatus, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let status = lint::run(args, &mut out, &mut err);
    (status, String::from_utf8(out).expect("utf8"), String::from_utf8(err).expect("utf8"))
}

#[test]
fn exit_codes_are_0_clean_1_violations_2_errors() {
    let clean = repo(&[("docs/a.md", "The execution workspace is a Daytona sandbox lease.\n")]);
    let (status, out, _) = run(&args_for(clean.path()));
    assert_eq!(status, ExitStatus::Passed, "{out}");
    assert_eq!(out, "clean: 1 files checked\n");

    let dirty = repo(&[("docs/a.md", "The workspace runtime is a Daytona sandbox lease.\n")]);
    assert_eq!(run(&args_for(dirty.path())).0, ExitStatus::Failed);

    let mut missing = args_for(clean.path());
    missing.paths = vec![clean.path().join("nope")];
    let (status, out, err) = run(&missing);
    assert_eq!(status, ExitStatus::Unusable);
    assert!(out.is_empty() && err.contains("nope"), "{err}");
    assert_eq!(std::process::ExitCode::from(ExitStatus::Unusable), std::process::ExitCode::from(2));
}

#[test]
fn a_bad_config_names_its_file_line_and_field() {
    let dir =
        repo(&[("squadsim-lint.yaml", "boundaries: ['**/wire.rs']\ndisable: [no-such-rule]\n"), ("a.md", "ok\n")]);
    let (status, _, err) = run(&args_for(dir.path()));
    assert_eq!(status, ExitStatus::Unusable);
    assert!(err.contains("squadsim-lint.yaml:2:11: field `disable[0]`: unknown rule id `no-such-rule`"), "{err}");

    // Located in the document, never by searching its text: a comment or another
    // value naming the same word comes first here.
    let misleading = "# disable: [legacy] was noisy\nexclude: ['docs/**']  # not 'a[/**'\ndisable:\n  - legacy\n";
    let dir = repo(&[("squadsim-lint.yaml", misleading), ("a.md", "ok\n")]);
    let (status, _, err) = run(&args_for(dir.path()));
    assert_eq!(status, ExitStatus::Unusable);
    assert!(err.contains("squadsim-lint.yaml:4:5: field `disable[0]`: unknown rule id `legacy`"), "{err}");
    let glob = "exclude:\n  - 'docs/**'  # not 'a[/**'\n  - 'a[/**'\n";
    let dir = repo(&[("squadsim-lint.yaml", glob), ("a.md", "ok\n")]);
    let (_, _, err) = run(&args_for(dir.path()));
    assert!(err.contains("squadsim-lint.yaml:3:5: field `exclude[1]`: invalid glob"), "{err}");
    let overridden = "overrides:\n  # nosuch: a rule that once was\n  nosuch: {severity: warning}\n";
    let dir = repo(&[("squadsim-lint.yaml", overridden), ("a.md", "ok\n")]);
    let (_, _, err) = run(&args_for(dir.path()));
    assert!(err.contains("squadsim-lint.yaml:3:3: field `overrides.nosuch`: unknown rule id `nosuch`"), "{err}");
    // A key given twice: at its second occurrence (serde_yaml places the mapping, at 1:1).
    let dir = repo(&[("squadsim-lint.yaml", "exclude: [a]\nprompts: []\nexclude: [b]\n"), ("a.md", "ok\n")]);
    let (_, _, err) = run(&args_for(dir.path()));
    assert!(err.contains("squadsim-lint.yaml:3:1: field `exclude`: duplicate field `exclude`"), "{err}");
    // Nesting no config needs is refused where it runs away.
    let deep = format!("exclude: {}1{}\n", "[".repeat(40), "]".repeat(40));
    let dir = repo(&[("squadsim-lint.yaml", deep.as_str()), ("a.md", "ok\n")]);
    let (status, _, err) = run(&args_for(dir.path()));
    assert_eq!(status, ExitStatus::Unusable);
    assert!(err.contains("squadsim-lint.yaml:1:41: field `exclude[0]") && err.contains("at most 32 levels"), "{err}");
    // A raw control character is refused where it is; a byte order mark moves no line or column.
    let dir = repo(&[("squadsim-lint.yaml", "exclude:\n  - \"a\u{1b}b\"\n"), ("a.md", "ok\n")]);
    let (_, _, err) = run(&args_for(dir.path()));
    assert!(err.contains("squadsim-lint.yaml:2:7: a raw control character (U+001B)"), "{err}");
    let dir = repo(&[("squadsim-lint.yaml", "\u{feff}disable: [legacy]\n"), ("a.md", "ok\n")]);
    let (_, _, err) = run(&args_for(dir.path()));
    assert!(err.contains("squadsim-lint.yaml:1:11: field `disable[0]`: unknown rule id `legacy`"), "{err}");

    let dir = repo(&[("squadsim-lint.yaml", "boundaries: ['**/wire.rs']\noverides: {}\n"), ("a.md", "ok\n")]);
    let (status, _, err) = run(&args_for(dir.path()));
    assert_eq!(status, ExitStatus::Unusable);
    assert!(err.contains("squadsim-lint.yaml:2") && err.contains("overides"), "{err}");
}

#[test]
fn inline_suppressions_need_a_reason_and_cover_their_line_or_the_next() {
    let source = "\
fn a() { let runtime_kind = 1; } // squadsim-lint allow legacy-runtime-kind -- mirrors the Studio payload field
// squadsim-lint allow-next-line legacy-runtime-kind -- mirrors the Studio payload field
fn b() { let runtime_kind = 2; }
fn c() { let runtime_kind = 3; }
// squadsim-lint allow-next-line legacy-runtime-kind
fn d() { let runtime_kind = 4; }
// squadsim-lint allow no-such-rule -- typo
";
    let dir = repo(&[("src/a.rs", source)]);
    let mut args = args_for(dir.path());
    args.format = Format::Json;
    let (status, out, _) = run(&args);
    assert_eq!(status, ExitStatus::Failed);
    let doc: Value = serde_json::from_str(&out).expect("json");
    let found: Vec<(u64, &str)> = doc["violations"]
        .as_array()
        .expect("violations")
        .iter()
        .map(|v| (v["line"].as_u64().unwrap_or(0), v["rule"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(
        found,
        [
            (4, "legacy-runtime-kind"),
            (5, "suppression-missing-reason"),
            (6, "legacy-runtime-kind"),
            (7, "suppression-unknown-rule")
        ]
    );
    assert_eq!(doc["summary"]["suppressed"], 2);
}

#[test]
fn a_baseline_absorbs_known_violations_by_text_not_line() {
    let dir = repo(&[("docs/a.md", "The workspace runtime mounts.\nThe agent runtime starts.\n")]);
    let baseline = dir.path().join("lint-baseline.json");
    let mut write = args_for(dir.path());
    write.write_baseline = Some(baseline.clone());
    assert_eq!(run(&write).0, ExitStatus::Passed);
    let recorded: Value = serde_json::from_str(&fs::read_to_string(&baseline).expect("baseline")).expect("json");
    assert_eq!(recorded["entries"][0]["path"], "docs/a.md");
    assert_eq!(recorded["entries"][0]["text"], "agent runtime");

    let mut check = args_for(dir.path());
    check.baseline = Some(baseline.clone());
    let (status, out, _) = run(&check);
    assert_eq!((status, out.as_str()), (ExitStatus::Passed, "clean: 1 files checked, 2 baselined\n"));

    // lines move: still absorbed; a new occurrence is reported
    fs::write(
        dir.path().join("docs/a.md"),
        "Intro.\n\nThe Workspace  runtime mounts.\nThe agent runtime starts.\nA second agent runtime.\n",
    )
    .expect("write");
    let (status, out, _) = run(&check);
    assert_eq!(status, ExitStatus::Failed);
    assert!(
        out.starts_with("docs/a.md:4:5 retired-agent-runtime")
            || out.starts_with("docs/a.md:5:10 retired-agent-runtime"),
        "{out}"
    );
    assert!(out.contains("1 violations") && out.contains("2 baselined"), "{out}");

    // the config can name the baseline
    fs::write(dir.path().join("squadsim-lint.yaml"), "baseline: lint-baseline.json\n").expect("write");
    let mut configured = args_for(dir.path());
    configured.config = Some(dir.path().join("squadsim-lint.yaml"));
    assert!(run(&configured).1.contains("2 baselined"));
}

#[test]
fn a_config_adds_disables_and_rescopes_rules() {
    let files = [
        ("docs/a.md", "The runtime restarts. The agent runtime starts. Check the squad tempo.\n"),
        ("src/a.rs", "// The runtime restarts.\nfn f() { let runtime = 1; }\n"),
        ("legacy/old.md", "The agent runtime of old.\n"),
    ];
    let dir = repo(&files);
    let rules_of = |config: &str| {
        fs::write(dir.path().join("squadsim-lint.yaml"), config).expect("write");
        let mut args = args_for(dir.path());
        args.format = Format::Json;
        let (_, out, err) = run(&args);
        assert!(err.is_empty(), "{err}");
        let doc: Value = serde_json::from_str(&out).expect("json");
        doc["violations"]
            .as_array()
            .expect("violations")
            .iter()
            .map(|v| format!("{}:{}:{}", v["path"].as_str().unwrap_or(""), v["line"], v["rule"].as_str().unwrap_or("")))
            .collect::<Vec<_>>()
    };
    let all = rules_of("");
    assert_eq!(
        all,
        [
            "docs/a.md:1:bare-runtime",
            "docs/a.md:1:retired-agent-runtime",
            "legacy/old.md:1:retired-agent-runtime",
            "src/a.rs:1:bare-runtime",
            "src/a.rs:2:bare-runtime"
        ]
    );
    assert_eq!(
        rules_of("disable: [bare-runtime]\noverrides:\n  retired-agent-runtime:\n    exclude: ['legacy/**']\n"),
        ["docs/a.md:1:retired-agent-runtime"]
    );
    assert_eq!(
        rules_of("disable: [retired-agent-runtime]\noverrides:\n  bare-runtime:\n    scopes: [identifier]\n    severity: error\n"),
        ["src/a.rs:2:bare-runtime"]
    );
    assert_eq!(
        rules_of("disable: [bare-runtime, retired-agent-runtime]\nrules:\n  - id: squad-tempo\n    title: Tempo\n    message: Say cadence.\n    scopes: [prose]\n    words: [squad tempo]\n    replacement: squad cadence\n    fix: true\n"),
        ["docs/a.md:1:squad-tempo"]
    );
    assert_eq!(
        rules_of("disable: [retired-agent-runtime]\noverrides:\n  bare-runtime:\n    paths: ['src/**']\n"),
        ["src/a.rs:1:bare-runtime", "src/a.rs:2:bare-runtime"]
    );
}

fn dirty_repo() -> tempfile::TempDir {
    repo(&[
        ("docs/a b.md", "The workspace runtime mounts, 100%: yes.\nThe runtime restarts.\n"),
        ("src/lib.rs", "fn f() -> &'static str { \"BOARD_STATUS\" }\n"),
        ("src/wire.rs", "const LEGACY: &str = \"BOARD_STATUS\";\n"),
        ("squadsim-lint.yaml", "boundaries: ['**/wire.rs']\n"),
    ])
}

fn output(dir: &Path, format: Format) -> (ExitStatus, String) {
    let mut args = args_for(dir);
    args.config = Some(dir.join("squadsim-lint.yaml"));
    args.format = format;
    let (status, out, err) = run(&args);
    assert!(err.is_empty(), "{err}");
    (status, out)
}

#[test]
fn an_excluded_directory_is_not_entered() {
    let dirty = "The workspace runtime is a Daytona sandbox lease.\n";
    let clean = "The execution workspace is a Daytona sandbox lease.\n";
    // A bare directory name excludes all under it; so does a glob of its entries, to any depth
    // (checked: the config and the clean page).
    for exclude in ["generated", "generated/*"] {
        let dir = repo(&[
            ("squadsim-lint.yaml", &format!("exclude: [\"{exclude}\"]\n")),
            ("generated/a.md", dirty),
            ("generated/deeper/b.md", dirty),
            ("docs/c.md", clean),
        ]);
        let (status, out, err) = run(&args_for(dir.path()));
        assert_eq!(
            (status, out.as_str(), err.as_str()),
            (ExitStatus::Passed, "clean: 2 files checked\n", ""),
            "{exclude}"
        );
    }
}

#[test]
fn without_root_paths_are_reported_from_the_configs_directory() {
    let dir = dirty_repo();
    let found = LintArgs { paths: vec![dir.path().join("src")], ..LintArgs::default() };
    let named = LintArgs { config: Some(dir.path().join("squadsim-lint.yaml")), ..found.clone() };
    for args in [found, named] {
        let (status, out, err) = run(&args);
        assert_eq!(status, ExitStatus::Failed, "{err}");
        assert!(out.starts_with("src/lib.rs:1:27 forbidden-board-status"), "{args:?}:\n{out}");
    }
}

#[test]
fn human_output_names_the_place_and_underlines_the_span() {
    let dir = dirty_repo();
    let (status, out) = output(dir.path(), Format::Human);
    assert_eq!(status, ExitStatus::Failed);
    let expected_head = "docs/a b.md:1:5 retired-workspace-runtime \"workspace runtime\" is retired: the per-run workspace is the execution workspace. -> execution workspace\n 1 | The workspace runtime mounts, 100%: yes.\n   |     ^^^^^^^^^^^^^^^^^\n";
    assert!(out.starts_with(expected_head), "{out}");
    assert!(out.contains("src/lib.rs:1:27 forbidden-board-status"), "{out}");
    assert!(!out.contains("src/wire.rs"), "{out}");
    assert!(out.ends_with("3 violations (2 errors, 1 warnings) in 4 files checked\n"), "{out}");
}

#[test]
fn human_output_underlines_a_hit_across_lines_to_its_first_lines_end_and_counts_suppressions() {
    let dir = repo(&[
        ("prompts/a.txt", "The workspace\nruntime mounts.\n"),
        (
            "docs/b.md",
            "The workspace runtime mounts. <!-- squadsim-lint allow retired-workspace-runtime -- quoted -->\n",
        ),
    ]);
    let (status, out, err) = run(&args_for(dir.path()));
    assert_eq!((status, err.as_str()), (ExitStatus::Failed, ""));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[1..3], [" 1 | The workspace", "   |     ^^^^^^^^^"], "{out}");
    assert_eq!(lines[3], "1 violations (1 errors, 0 warnings) in 2 files checked, 1 suppressed", "{out}");
}

#[test]
fn json_output_lists_violations_and_a_summary() {
    let dir = dirty_repo();
    let (_, out) = output(dir.path(), Format::Json);
    let doc: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(doc["summary"]["violations"], 3);
    let first = &doc["violations"][0];
    assert_eq!(first["rule"], "retired-workspace-runtime");
    assert_eq!(first["path"], "docs/a b.md");
    assert_eq!(
        (first["line"].as_u64(), first["column"].as_u64(), first["end_column"].as_u64()),
        (Some(1), Some(5), Some(22))
    );
    assert_eq!(first["replacement"], "execution workspace");
    assert_eq!(first["fixable"], true);
    assert_eq!(first["scope"], "prose");
}

#[test]
fn sarif_output_is_what_github_code_scanning_accepts() {
    let dir = dirty_repo();
    let (_, out) = output(dir.path(), Format::Sarif);
    let doc: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(doc["$schema"], "https://json.schemastore.org/sarif-2.1.0.json");
    assert_eq!(doc["version"], "2.1.0");
    let run = &doc["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "squadsim-lint");
    let rules = driver["rules"].as_array().expect("rules");
    let mut ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().expect("id")).collect();
    for rule in rules {
        for key in ["shortDescription", "fullDescription", "help"] {
            assert!(rule[key]["text"].as_str().is_some_and(|t| !t.is_empty()), "{rule}");
        }
        assert!(matches!(rule["defaultConfiguration"]["level"].as_str(), Some("error" | "warning")));
    }
    let count = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), count, "rule ids are unique");
    let results = run["results"].as_array().expect("results");
    assert_eq!(results.len(), 3);
    let mut fingerprints = Vec::new();
    for r in results {
        let index = r["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[index]["id"], r["ruleId"]);
        assert!(matches!(r["level"].as_str(), Some("error" | "warning")));
        assert!(r["message"]["text"].as_str().is_some_and(|t| !t.is_empty()));
        let location = &r["locations"][0]["physicalLocation"];
        let uri = location["artifactLocation"]["uri"].as_str().expect("uri");
        assert!(!uri.starts_with('/') && !uri.contains(':') && !uri.contains(' '), "repo-relative, encoded: {uri}");
        assert_eq!(location["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        let region = &location["region"];
        for key in ["startLine", "startColumn", "endLine", "endColumn"] {
            assert!(region[key].as_u64().is_some_and(|n| n >= 1), "{key} in {region}");
        }
        let fp = r["partialFingerprints"].as_object().expect("partialFingerprints");
        assert!(!fp.is_empty() && !fp.contains_key("primaryLocationLineHash"));
        fingerprints.push(fp.values().next().cloned());
    }
    assert_eq!(results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "docs/a%20b.md");
    fingerprints.dedup();
    assert_eq!(fingerprints.len(), 3);
    // fingerprints do not depend on lines
    fs::write(
        dir.path().join("docs/a b.md"),
        "New intro.\n\nThe workspace runtime mounts, 100%: yes.\nThe runtime restarts.\n",
    )
    .expect("write");
    let (_, moved) = output(dir.path(), Format::Sarif);
    let moved: Value = serde_json::from_str(&moved).expect("json");
    assert_eq!(moved["runs"][0]["results"][0]["partialFingerprints"], results[0]["partialFingerprints"]);
    assert_eq!(moved["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"], 3);
}

#[test]
fn sarif_names_rules_in_pascal_case_and_tells_repeated_hits_apart() {
    use squadsim_conformance::lint::sarif::fnv1a;
    // FNV-1a 64's published test vectors.
    assert_eq!(
        [fnv1a(""), fnv1a("a"), fnv1a("foobar")],
        [0xcbf2_9ce4_8422_2325, 0xaf63_dc4c_8601_ec8c, 0x8594_4171_f739_67e8]
    );
    let dir = repo(&[("docs/a.md", "The workspace runtime mounts.\nThe workspace runtime mounts.\n")]);
    let mut args = args_for(dir.path());
    args.format = Format::Sarif;
    let (_, out, _) = run(&args);
    let doc: Value = serde_json::from_str(&out).expect("json");
    let rules = doc["runs"][0]["tool"]["driver"]["rules"].as_array().expect("rules");
    let rule = rules.iter().find(|r| r["id"] == "retired-workspace-runtime").expect("the rule");
    assert_eq!(rule["name"], "RetiredWorkspaceRuntime");
    // Two hits of one text in one file: one key, counted.
    let key = fnv1a("retired-workspace-runtime|docs/a.md|workspace runtime");
    let fingerprints: Vec<String> = doc["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["partialFingerprints"].as_object().expect("fingerprints").values().next().expect("one").to_string())
        .collect();
    assert_eq!(fingerprints, [format!("\"{key:016x}:1\""), format!("\"{key:016x}:2\"")]);
}

#[test]
fn github_annotations_are_escaped_like_the_actions_toolkit() {
    assert_eq!(escape_data("100% done\r\nnext"), "100%25 done%0D%0Anext");
    assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    let dir = dirty_repo();
    let (_, out) = output(dir.path(), Format::Github);
    let first = out.lines().next().expect("a line");
    assert_eq!(
        first,
        "::error file=docs/a b.md,line=1,col=5,endLine=1,endColumn=22,title=retired-workspace-runtime::\"workspace runtime\" is retired: the per-run workspace is the execution workspace. -> execution workspace"
    );
    assert!(out.contains("::warning file=docs/a b.md,line=2,col=5,"), "{out}");
}

#[test]
fn github_annotations_of_files_not_checked_count_toward_the_ten_per_step() {
    let dir = repo(&[]);
    let mut args = args_for(dir.path());
    args.format = Format::Github;
    args.paths = (0..11).map(|i| dir.path().join(format!("latin1-{i:02}.md"))).collect();
    for path in &args.paths {
        fs::write(path, b"caf\xe9\n").expect("write");
    }
    let (status, out, _) = run(&args);
    assert_eq!(status, ExitStatus::Unusable, "{out}");
    // Nothing was checked (one error), then the first nine files named: ten in all.
    let errors: Vec<&str> = out.lines().filter(|l| l.starts_with("::error ")).collect();
    assert_eq!(errors.len(), 10, "{out}");
    assert!(errors[0].starts_with("::error title=squadsim lint%3A nothing checked::"), "{out}");
    assert!(errors[9].contains("latin1-08.md"), "{out}");
    let plain: Vec<&str> = out.lines().filter(|l| l.starts_with("  ")).collect();
    assert_eq!(plain.len(), 2, "{out}");
    assert!(plain[0].contains("latin1-09.md") && plain[1].contains("latin1-10.md"), "{out}");
}

#[test]
fn github_annotations_stay_within_ten_errors_and_ten_warnings_per_step() {
    let many = "The workspace runtime mounts.\n".repeat(25) + &"The runtime restarts.\n".repeat(12);
    let dir = repo(&[("docs/a.md", &many)]);
    let mut args = args_for(dir.path());
    args.format = Format::Github;
    let (status, out, _) = run(&args);
    assert_eq!(status, ExitStatus::Failed);
    assert_eq!(out.lines().filter(|l| l.starts_with("::error ")).count(), 10);
    assert_eq!(out.lines().filter(|l| l.starts_with("::warning ")).count(), 10);
    let plain = out.lines().filter(|l| l.starts_with("  docs/a.md:")).count();
    assert_eq!(plain, 17);
    let notice = out.lines().last().expect("notice");
    assert!(notice.starts_with("::notice title=squadsim lint::17 more violations"), "{notice}");
    assert!(notice.contains("37 violations in all"), "{notice}");
}

#[test]
fn fix_applies_mechanical_substitutions_in_place() {
    let dir = repo(&[
        ("docs/a.md", "The Workspace runtime mounts.\nThe agent runtime starts.\n"),
        ("src/a.rs", "fn f() -> bool { let board_status = \"BOARD_STATUS\"; board_status.is_empty() }\n"),
    ]);
    let mut args = args_for(dir.path());
    args.fix = true;
    let (status, out, _) = run(&args);
    let read = |p: &str| fs::read_to_string(dir.path().join(p)).expect("read");
    assert_eq!(read("docs/a.md"), "The Execution workspace mounts.\nThe agent runtime starts.\n");
    assert_eq!(
        read("src/a.rs"),
        "fn f() -> bool { let agent_hud_status = \"AGENT_HUD_STATUS\"; agent_hud_status.is_empty() }\n"
    );
    // "agent runtime" has no mechanical fix: it is still reported
    assert_eq!(status, ExitStatus::Failed);
    assert!(out.contains("retired-agent-runtime") && out.contains("4 fixed"), "{out}");
    let (status, _, _) = run(&args);
    assert_eq!(status, ExitStatus::Failed);
}

#[test]
fn of_two_overlapping_fixes_the_first_is_applied_and_the_other_read_again() {
    let config = "rules:\n  - id: runtime-mounts\n    title: t\n    message: m\n    scopes: [prose]\n    words: [\"runtime mounts\"]\n    replacement: surface mounts\n    fix: true\n";
    let dir = repo(&[("squadsim-lint.yaml", config), ("docs/a.md", "The workspace runtime mounts.\n")]);
    let mut args = args_for(dir.path());
    (args.paths, args.config, args.fix) =
        (vec![dir.path().join("docs")], Some(dir.path().join("squadsim-lint.yaml")), true);
    let (status, out, err) = run(&args);
    // "workspace runtime" begins first; "runtime mounts" overlaps it and is left as it is,
    // then the fixed text is linted again: the overlap is gone with the first fix.
    assert_eq!(fs::read_to_string(dir.path().join("docs/a.md")).expect("read"), "The execution workspace mounts.\n");
    assert_eq!((status, out.as_str(), err.as_str()), (ExitStatus::Passed, "clean: 1 files checked, 1 fixed\n", ""));
}

#[test]
fn a_byte_order_mark_that_begins_a_file_moves_no_column_and_fix_keeps_it() {
    let dir = repo(&[
        ("docs/plain.md", "The workspace runtime mounts.\n"),
        ("docs/marked.md", "\u{feff}The workspace runtime mounts.\n"),
    ]);
    let mut args = args_for(dir.path());
    args.format = Format::Github;
    let (status, out, _) = run(&args);
    assert_eq!(status, ExitStatus::Failed);
    for file in ["docs/marked.md", "docs/plain.md"] {
        assert!(out.contains(&format!("::error file={file},line=1,col=5,endLine=1,endColumn=22,")), "{file}: {out}");
    }
    args.format = Format::default();
    args.fix = true;
    let (_, out, _) = run(&args);
    assert!(out.contains("2 fixed"), "{out}");
    let read = |p: &str| fs::read_to_string(dir.path().join(p)).expect("read");
    assert_eq!(read("docs/marked.md"), "\u{feff}The execution workspace mounts.\n");
    assert_eq!(read("docs/plain.md"), "The execution workspace mounts.\n");
}

#[test]
fn list_rules_prints_every_rule() {
    let args = LintArgs { list_rules: true, no_config: true, ..LintArgs::default() };
    let (status, out, _) = run(&args);
    assert_eq!(status, ExitStatus::Passed);
    assert!(out.lines().any(|l| l.starts_with("legacy-runtime-kind ")));
    assert!(out.lines().any(|l| l.starts_with("suppression-missing-reason ")));
    // Each line: the id, its severity, its title, in columns.
    let line = |id: &str| out.lines().find(|l| l.starts_with(&format!("{id} "))).unwrap_or_default().to_string();
    assert_eq!(
        line("bare-runtime"),
        format!("{:<48} warning Bare \"runtime\" where a narrower noun exists", "bare-runtime")
    );
    assert!(line("legacy-runtime-kind").starts_with(&format!("{:<48} error   ", "legacy-runtime-kind")), "{out}");
}

#[test]
fn a_replacement_rule_file_is_checked_too() {
    let dir = repo(&[("rules.yaml", "version: 2\nrules: []\n"), ("a.md", "x\n")]);
    let mut args = args_for(dir.path());
    args.rules = Some(dir.path().join("rules.yaml"));
    let (status, _, err) = run(&args);
    assert_eq!(status, ExitStatus::Unusable);
    assert!(err.contains("rules.yaml:1:1: field `version`: unsupported rule file version 2"), "{err}");
}

#[test]
fn the_args_parse_as_a_clap_subcommand() {
    use clap::{CommandFactory, Parser};
    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        lint: LintArgs,
    }
    Cli::command().debug_assert();
    let cli = Cli::try_parse_from(["lint", "--format", "sarif", "--baseline", "b.json", "--fix", "docs", "src"])
        .expect("parse");
    assert_eq!(cli.lint.format, Format::Sarif);
    assert_eq!(cli.lint.paths, [PathBuf::from("docs"), PathBuf::from("src")]);
    assert!(cli.lint.fix);
    assert!(Cli::try_parse_from(["lint", "--format", "xml"]).is_err());
    assert!(Cli::try_parse_from(["lint", "--config", "a.yaml", "--no-config"]).is_err());
}

/// Runs the lint on another thread: a FIFO opened for reading would block it
/// forever, and a test must fail, not hang.
fn run_within(args: LintArgs, seconds: u64) -> (ExitStatus, String, String) {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(run(&args));
    });
    rx.recv_timeout(std::time::Duration::from_secs(seconds)).expect("the lint hung (it opened a FIFO for reading?)")
}

fn mkfifo(path: &Path) {
    let made = std::process::Command::new("mkfifo").arg(path).status().expect("mkfifo runs");
    assert!(made.success());
}

#[test]
fn a_file_that_is_not_utf8_named_on_the_command_line_fails_the_run() {
    let dir = repo(&[("docs/ok.md", "The execution workspace is a Daytona sandbox lease.\n")]);
    let latin1 = dir.path().join("docs/latin1.md");
    fs::write(&latin1, b"caf\xe9: the workspace runtime\n").expect("write");
    let args = LintArgs { paths: vec![latin1], root: Some(dir.path().to_path_buf()), ..LintArgs::default() };
    let (status, out, err) = run(&args);
    assert_eq!(status, ExitStatus::Unusable, "{out}{err}");
    assert!(err.contains("docs/latin1.md (named on the command line) was not checked: not UTF-8"), "{err}");
    assert!(!out.contains("clean"), "a run that checked nothing is not clean: {out}");
    assert!(
        out.starts_with("nothing was checked: ") && out.ends_with("; 1 not checked (skipped: see the warnings)\n"),
        "{out}"
    );
}

#[test]
fn a_run_that_checked_no_file_is_never_clean() {
    // A directory holding nothing in a lint language (a mistyped path, a build
    // directory): exit 2, said on stderr and in every format, never "clean".
    let dir = repo(&[("assets/logo.png", "not text a lint reads\n")]);
    let (status, out, err) = run(&args_for(dir.path()));
    assert_eq!(status, ExitStatus::Unusable, "{out}{err}");
    assert!(out.starts_with("nothing was checked: no file under the paths given is in a lint language"), "{out}");
    assert!(err.starts_with("squadsim lint: error: nothing was checked") && err.contains("(paths: "), "{err}");

    let json = LintArgs { format: Format::Json, ..args_for(dir.path()) };
    let (status, out, _) = run(&json);
    assert_eq!(status, ExitStatus::Unusable);
    let doc: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(doc["summary"]["files_checked"], 0);
    assert_eq!(doc["notifications"][0]["kind"], "nothing-checked");
    assert_eq!(doc["notifications"][0]["level"], "error");

    let sarif = LintArgs { format: Format::Sarif, ..args_for(dir.path()) };
    let doc: Value = serde_json::from_str(&run(&sarif).1).expect("json");
    let invocation = &doc["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    assert_eq!(invocation["toolExecutionNotifications"][0]["descriptor"]["id"], "nothing-checked");

    let github = LintArgs { format: Format::Github, ..args_for(dir.path()) };
    let out = run(&github).1;
    assert!(out.starts_with("::error title=squadsim lint%3A nothing checked::nothing was checked"), "{out}");

    // Everything under the path excluded by the config: the same.
    let excluded = repo(&[("squadsim-lint.yaml", "exclude: ['generated/**']\n"), ("generated/a.md", "ok\n")]);
    let mut args = args_for(excluded.path());
    args.paths = vec![excluded.path().join("generated")];
    let (status, out, _) = run(&args);
    assert_eq!(status, ExitStatus::Unusable, "{out}");

    // Files named on the command line that the config excludes (a pre-commit hook
    // names the changed files): not linted, as a walk would not lint them, and said.
    args.paths = vec![excluded.path().join("generated/a.md")];
    let (status, out, err) = run(&args);
    assert_eq!(status, ExitStatus::Passed, "{out}{err}");
    assert_eq!(out, "nothing checked: the 1 files named are excluded by the config\n");
    assert!(err.is_empty(), "{err}");
}

#[test]
fn a_walk_lints_a_link_to_a_file_follows_no_link_to_a_directory_and_warns_of_a_dangling_one() {
    use std::os::unix::fs::symlink;
    let dir = repo(&[
        ("elsewhere/a.md", "The workspace runtime mounts.\n"),
        ("elsewhere/deeper/b.md", "The workspace runtime mounts.\n"),
    ]);
    fs::create_dir(dir.path().join("docs")).expect("mkdir");
    symlink("../elsewhere/a.md", dir.path().join("docs/a.md")).expect("link to a file");
    symlink("../elsewhere/deeper", dir.path().join("docs/deeper.md")).expect("link to a directory");
    let args = LintArgs { paths: vec![dir.path().join("docs")], ..args_for(dir.path()) };
    let (status, out, err) = run(&args);
    assert_eq!((status, err.as_str()), (ExitStatus::Failed, ""), "{out}");
    // Reported where the text lives.
    assert!(out.starts_with("elsewhere/a.md:1:5 retired-workspace-runtime"), "{out}");
    assert!(out.ends_with("1 violations (1 errors, 0 warnings) in 1 files checked\n"), "{out}");
    symlink("../elsewhere/gone.md", dir.path().join("docs/gone.md")).expect("a dangling link");
    let (_, out, err) = run(&args);
    assert!(err.contains("skipped docs/gone.md: a symbolic link that cannot be followed"), "{err}");
    assert!(out.contains("1 not checked"), "{out}");
    // Named by its repository path, as every other file is, so an exclude glob reaches it.
    fs::write(dir.path().join("squadsim-lint.yaml"), "exclude: [docs/gone.md]\n").expect("write");
    let excluded = LintArgs { config: Some(dir.path().join("squadsim-lint.yaml")), ..args };
    let (_, out, err) = run(&excluded);
    assert_eq!(err, "", "{out}");
}

#[test]
fn a_file_that_is_not_utf8_in_a_walk_is_a_warning_and_a_notification_never_clean() {
    let dir = repo(&[("docs/ok.md", "The execution workspace is a Daytona sandbox lease.\n")]);
    fs::write(dir.path().join("docs/latin1.md"), b"caf\xe9\n").expect("write");
    let (status, out, err) = run(&args_for(dir.path()));
    assert_eq!(status, ExitStatus::Passed, "only named files fail the run: {out}{err}");
    assert_eq!(err, "squadsim lint: warning: skipped docs/latin1.md: not UTF-8 text (invalid byte at offset 3)\n");
    assert_eq!(out, "no violations in 1 files checked; 1 not checked (skipped: see the warnings)\n");
    // Walked twice, it is still a walk's; named as well, it is named, whatever else reaches it.
    let twice = LintArgs { paths: vec![dir.path().to_path_buf(), dir.path().join("docs")], ..args_for(dir.path()) };
    assert_eq!(run(&twice).0, ExitStatus::Passed);
    let named =
        LintArgs { paths: vec![dir.path().to_path_buf(), dir.path().join("docs/latin1.md")], ..args_for(dir.path()) };
    assert_eq!(run(&named).0, ExitStatus::Unusable);

    let json = LintArgs { format: Format::Json, ..args_for(dir.path()) };
    let doc: Value = serde_json::from_str(&run(&json).1).expect("json");
    assert_eq!(doc["summary"]["files_skipped"], 1);
    assert_eq!(doc["notifications"][0]["path"], "docs/latin1.md");
    assert_eq!(doc["notifications"][0]["level"], "warning");

    let sarif = LintArgs { format: Format::Sarif, ..args_for(dir.path()) };
    let doc: Value = serde_json::from_str(&run(&sarif).1).expect("json");
    let invocation = &doc["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], true);
    let note = &invocation["toolExecutionNotifications"][0];
    assert_eq!(note["level"], "warning");
    assert!(note["message"]["text"].as_str().expect("text").contains("not UTF-8"), "{note}");
    assert_eq!(note["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "docs/latin1.md");

    let github = LintArgs { format: Format::Github, ..args_for(dir.path()) };
    let out = run(&github).1;
    assert!(out.starts_with("::warning file=docs/latin1.md,title=squadsim lint%3A skipped file::not checked"), "{out}");
}

#[test]
fn a_fifo_is_never_opened_named_or_walked() {
    let dir = repo(&[("docs/ok.md", "The execution workspace is a Daytona sandbox lease.\n")]);
    let fifo = dir.path().join("docs/pipe.md");
    mkfifo(&fifo);
    let named = LintArgs { paths: vec![fifo], root: Some(dir.path().to_path_buf()), ..LintArgs::default() };
    let (status, _, err) = run_within(named, 20);
    assert_eq!(status, ExitStatus::Unusable, "{err}");
    assert!(
        err.contains("docs/pipe.md (named on the command line) was not checked: not a regular file (a FIFO)"),
        "{err}"
    );

    let sarif = LintArgs { format: Format::Sarif, ..args_for(dir.path()) };
    let (status, out, err) = run_within(sarif, 20);
    assert_eq!(status, ExitStatus::Passed, "{err}");
    assert!(err.contains("warning: skipped docs/pipe.md: not a regular file (a FIFO)"), "{err}");
    let doc: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(doc["runs"][0]["invocations"][0]["toolExecutionNotifications"][0]["level"], "warning");
}

#[test]
fn a_named_file_without_a_lint_language_is_not_called_clean() {
    let dir = repo(&[("data.bin", "the workspace runtime\n")]);
    let args = LintArgs {
        paths: vec![dir.path().join("data.bin")],
        root: Some(dir.path().to_path_buf()),
        ..LintArgs::default()
    };
    let (status, out, err) = run(&args);
    assert_eq!(status, ExitStatus::Unusable, "{out}");
    assert!(err.contains("data.bin (named on the command line) was not checked: no lint language"), "{err}");
}

#[test]
fn a_malformed_config_or_baseline_is_located_once_and_said_in_its_own_words() {
    let cases = [
        // serde's own path and location are not repeated in the message
        ("exclude: docs\n", "squadsim-lint.yaml:1:10: field `exclude`: invalid type: string \"docs\", expected a sequence"),
        (
            "overrides:\n  bare-runtime:\n    severity: fatal\n",
            "squadsim-lint.yaml:3:15: field `overrides.bare-runtime.severity`: unknown variant `fatal`, expected `error` or `warning`",
        ),
        // not YAML: the parser's complaint where it stopped, not a key refused before it
        (
            "a: [\n",
            "squadsim-lint.yaml:2:1: invalid YAML: did not find expected node content, while parsing a flow node",
        ),
        (
            "\texclude: []\n",
            "squadsim-lint.yaml:1:1: invalid YAML: found character that cannot start any token, while scanning for the next token (a tab: YAML indents with spaces, never tabs)",
        ),
    ];
    for (config, expected) in cases {
        let dir = repo(&[("squadsim-lint.yaml", config), ("a.md", "ok\n")]);
        let (status, _, err) = run(&args_for(dir.path()));
        assert_eq!(status, ExitStatus::Unusable, "{err}");
        let shown = err.trim_end().replace(&format!("{}/", dir.path().display()), "");
        assert_eq!(shown, format!("squadsim lint: {expected}"), "{config}");
    }
    let dir = repo(&[("a.md", "ok\n"), ("baseline.json", "{\"version\": 1, \"entries\": [}\n")]);
    let args = LintArgs { baseline: Some(dir.path().join("baseline.json")), ..args_for(dir.path()) };
    let (status, _, err) = run(&args);
    assert_eq!(status, ExitStatus::Unusable);
    assert!(err.trim_end().ends_with("baseline.json:1:28: expected value"), "{err}");
}

#[test]
fn a_lint_with_no_rule_enabled_is_refused_not_clean() {
    let dir = repo(&[
        ("a.md", "The workspace runtime is a Daytona sandbox lease.\n"),
        ("rules.yaml", "version: 1\nrules: []\n"),
    ]);
    let args = LintArgs { rules: Some(dir.path().join("rules.yaml")), ..args_for(dir.path()) };
    let (status, out, err) = run(&args);
    assert_eq!(status, ExitStatus::Unusable, "{out}{err}");
    assert!(!out.contains("clean"), "{out}");
    assert!(
        err.contains("rules.yaml: no rule is enabled (the rule file holds none, or the config disables every one)"),
        "{err}"
    );
    // Listing them still works: it lists none.
    let (status, out, _) = run(&LintArgs { list_rules: true, ..args });
    assert_eq!(status, ExitStatus::Passed, "{out}");
}
