//! `squadsim wire`: legacy aliases map to canonical names, conflicts, scope
//! mismatches, incomplete handoffs and unknown codes are reported, `--normalize`
//! prints the canonical form.

use std::io::Cursor;

use serde_json::{json, Value};
use squadsim_conformance::wire::{self, inspect, ExitStatus, FindingKind, Severity, WireArgs, WireFormat};

fn kinds(payload: Value) -> Vec<(String, FindingKind)> {
    inspect(&payload).findings.into_iter().map(|f| (f.pointer, f.kind)).collect()
}

fn errors(payload: Value) -> Vec<(String, FindingKind)> {
    inspect(&payload).findings.into_iter().filter(|f| f.is_error()).map(|f| (f.pointer, f.kind)).collect()
}

fn handoff() -> Value {
    json!({
        "sender_agent_id": "planner",
        "recipient_agent_id": "backend",
        "handoff_intent": "implement the API",
        "required_result": "a PR with passing tests",
        "delivery_reference": "https://github.com/yamonco/app/issues/7",
        "fallback_wall": "delivery_wall"
    })
}

#[test]
fn legacy_aliases_map_to_canonical_names() {
    let payload = json!({
        "run_id": "r1",
        "runtime_kind": "project_delivery",
        "session": {"target_agent_id": "tester", "dialogue_target_agent_id": "backend", "BOARD_STATUS": "working"},
        "blocker_code": "committer_merge_state_required",
        "spec": {"runtimeKind": "claude-cli", "sourceRefBundleUrl": "s3://bundles/legacy.tar.gz"}
    });
    let inspection = inspect(&payload);
    assert!(inspection.findings.iter().all(|f| !f.is_error()), "{:?}", inspection.findings);
    assert_eq!(
        inspection.canonical,
        json!({
            "run_id": "r1",
            "delivery_graph_kind": "project_delivery",
            "session": {"recipient_agent_id": "tester", "dialogue_peer_agent_id": "backend", "AGENT_HUD_STATUS": "working"},
            "blocker_code": "merge_lifecycle_decision_required",
            "spec": {
                "agentProcessAdapter": "claude-cli",
                "workspaceBootstrapAssets": [{"kind": "source_ref_bundle", "url": "s3://bundles/legacy.tar.gz"}]
            }
        })
    );
    let aliases: Vec<String> = inspection
        .findings
        .iter()
        .filter_map(|f| match &f.kind {
            FindingKind::LegacyAlias { alias, .. } => Some(format!("{} {alias}", f.pointer)),
            _ => None,
        })
        .collect();
    assert_eq!(
        aliases,
        [
            "/runtime_kind runtime_kind",
            "/session/target_agent_id target_agent_id",
            "/session/dialogue_target_agent_id dialogue_target_agent_id",
            "/session/BOARD_STATUS BOARD_STATUS",
            "/blocker_code committer_merge_state_required",
            "/spec/runtimeKind runtimeKind",
            "/spec/sourceRefBundleUrl sourceRefBundleUrl"
        ]
    );
}

#[test]
fn canonical_payloads_pass_without_findings() {
    let payload =
        json!({"handoffs": [handoff()], "blocker_code": "agent_first_tool_required", "wall_code": "tester_wall"});
    assert_eq!(kinds(payload.clone()), vec![]);
    assert_eq!(inspect(&payload).canonical, payload);
}

#[test]
fn an_alias_disagreeing_with_its_canonical_twin_is_an_error() {
    let found = errors(json!({"target_agent_id": "tester", "recipient_agent_id": "backend"}));
    assert_eq!(
        found,
        [(
            "/target_agent_id".to_owned(),
            FindingKind::AliasConflict {
                alias: "target_agent_id".into(),
                canonical: "recipient_agent_id".into(),
                alias_value: json!("tester"),
                canonical_value: json!("backend")
            }
        )]
    );
    assert_eq!(
        inspect(&json!({"target_agent_id": "tester", "recipient_agent_id": "backend"})).canonical,
        json!({"recipient_agent_id": "backend"})
    );
    assert_eq!(errors(json!({"target_agent_id": "tester", "recipient_agent_id": "tester"})), vec![]);
    let bundle = json!({"sourceRefBundleUrl": "s3://a", "workspaceBootstrapAssets": [{"kind": "source_ref_bundle", "url": "s3://b"}]});
    assert!(
        matches!(errors(bundle).as_slice(), [(p, FindingKind::AliasConflict { .. })] if p == "/sourceRefBundleUrl")
    );
    // The alias naming the bundle its canonical list already holds agrees with it: one asset, no error.
    let agreeing = json!({"sourceRefBundleUrl": "s3://a", "workspaceBootstrapAssets": [{"kind": "source_ref_bundle", "url": "s3://a"}]});
    assert_eq!(errors(agreeing.clone()), vec![]);
    assert_eq!(
        inspect(&agreeing).canonical,
        json!({"workspaceBootstrapAssets": [{"kind": "source_ref_bundle", "url": "s3://a"}]})
    );
}

#[test]
fn runtime_kind_is_read_by_scope() {
    let found = errors(json!({"runtime_kind": "claude-cli", "spec": {"runtimeKind": "project_delivery"}}));
    let fields: Vec<(String, String)> = found
        .into_iter()
        .map(|(p, k)| match k {
            FindingKind::ScopeMismatch { expected, .. } => (p, expected),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(
        fields,
        [
            ("/runtime_kind".to_owned(), "delivery graph kind".to_owned()),
            ("/spec/runtimeKind".to_owned(), "agent process adapter".to_owned())
        ]
    );
}

#[test]
fn handoffs_need_all_six_fields() {
    let mut partial = handoff();
    partial.as_object_mut().map(|m| m.remove("fallback_wall"));
    partial["delivery_reference"] = json!("");
    let found = errors(json!({"handoff_trail": [handoff(), partial]}));
    assert_eq!(
        found,
        [(
            "/handoff_trail/1".to_owned(),
            FindingKind::HandoffMissingFields { missing: vec!["delivery_reference".into(), "fallback_wall".into()] }
        )]
    );
    // the legacy recipient alias counts as the recipient
    let mut legacy = handoff();
    let recipient = legacy.as_object_mut().and_then(|m| m.remove("recipient_agent_id")).unwrap_or_default();
    legacy["target_agent_id"] = recipient;
    assert_eq!(errors(legacy), vec![]);
    // only delivery_reference may be null (no PR or issue yet); any other null field is missing
    let mut unproven = handoff();
    unproven["delivery_reference"] = Value::Null;
    assert_eq!(errors(unproven), vec![]);
    let mut unaddressed = handoff();
    unaddressed["recipient_agent_id"] = Value::Null;
    let missing = vec!["recipient_agent_id".to_owned()];
    assert_eq!(errors(unaddressed), [(String::new(), FindingKind::HandoffMissingFields { missing })]);
    // a field only handoffs carry makes a message a handoff, whichever it is
    for (marker, value) in [("handoff_intent", "review"), ("required_result", "a PR"), ("fallback_wall", "tester_wall")]
    {
        let found = errors(json!({"mailbox": {"note": {marker: value}}}));
        assert!(
            matches!(found.as_slice(), [(p, FindingKind::HandoffMissingFields { missing })] if p == "/mailbox/note" && missing.len() == 5),
            "{marker}: {found:?}"
        );
    }
    // a message naming only a recipient is a handoff lacking intent and success condition
    let only_recipient = errors(json!({"sender_agent_id": "planner", "recipient_agent_id": "backend"}));
    assert!(matches!(&only_recipient[0].1, FindingKind::HandoffMissingFields { missing } if missing.len() == 4));
}

#[test]
fn unknown_wall_codes_are_errors_and_unknown_blocker_codes_are_warnings() {
    let payload = json!({
        "sessions": [{"blocker_code": "board_blocked", "wall_code": "planner_wall"}, {"blocker_code": null, "wall_code": "mood_wall"}],
        "blockers": ["agent_first_tool_required", "runtime_exploded"]
    });
    assert_eq!(
        errors(payload.clone()),
        [("/sessions/1/wall_code".to_owned(), FindingKind::UnknownWallCode { code: "mood_wall".into() })]
    );
    let warnings: Vec<(String, FindingKind)> = inspect(&payload)
        .findings
        .into_iter()
        .filter(|f| f.severity() == Severity::Warning)
        .map(|f| (f.pointer, f.kind))
        .collect();
    assert_eq!(
        warnings,
        [
            ("/sessions/0/blocker_code".to_owned(), FindingKind::UnknownBlockerCode { code: "board_blocked".into() }),
            ("/blockers/1".to_owned(), FindingKind::UnknownBlockerCode { code: "runtime_exploded".into() })
        ]
    );
}

#[test]
fn the_blocker_set_is_open_an_unknown_code_warns_and_the_check_passes() {
    // runbook: "the full blocker set in GET get_hud_snapshot -> execution_report_contract.BLOCKERS"
    let payload =
        json!({"execution_report_contract": {"BLOCKERS": ["agent_first_tool_required", "sandbox_quota_exceeded"]}});
    let (status, out, _) = run(&WireArgs::default(), &payload.to_string());
    assert_eq!(status, ExitStatus::Passed, "{out}");
    assert!(out.contains("warning: blocker code \"sandbox_quota_exceeded\" is unknown"), "{out}");
    assert!(
        out.ends_with("1 payloads: 0 errors, 0 legacy aliases read, 1 unknown blocker codes (warnings)\n"),
        "{out}"
    );
    let args = WireArgs { format: WireFormat::Json, ..WireArgs::default() };
    let (status, out, _) = run(&args, &payload.to_string());
    assert_eq!(status, ExitStatus::Passed, "{out}");
    let doc: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(doc["summary"]["unknown_blocker_codes"], 1);
    assert_eq!(doc["summary"]["errors"], 0);
}

#[test]
fn model_defined_blocker_codes_are_known_and_noted_as_model_defined() {
    let payload = json!({
        "sessions": [{"blocker_code": "handoff_not_delivered"}, {"blocker_code": "github_issue_or_pr_link_missing"}],
        "blockers": ["delivery_reference_unreadable"]
    });
    assert_eq!(errors(payload.clone()), vec![]);
    let notes: Vec<(String, FindingKind)> =
        inspect(&payload).findings.into_iter().map(|f| (f.pointer, f.kind)).collect();
    assert_eq!(
        notes,
        [
            (
                "/sessions/0/blocker_code".to_owned(),
                FindingKind::ModelDefinedBlockerCode { code: "handoff_not_delivered".into() }
            ),
            (
                "/blockers/0".to_owned(),
                FindingKind::ModelDefinedBlockerCode { code: "delivery_reference_unreadable".into() }
            ),
        ]
    );
    let (status, out, _) = run(&WireArgs::default(), &payload.to_string());
    assert_eq!(status, ExitStatus::Passed, "{out}");
    assert!(out.contains("note: blocker code \"handoff_not_delivered\" is model-defined"), "{out}");
    assert!(out.ends_with("1 payloads: 0 errors, 0 legacy aliases read, 2 model-defined codes\n"), "{out}");
}

fn run(args: &WireArgs, stdin: &str) -> (ExitStatus, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let status = wire::run_with_input(args, &mut Cursor::new(stdin.as_bytes().to_vec()), &mut out, &mut err);
    (status, String::from_utf8(out).expect("utf8"), String::from_utf8(err).expect("utf8"))
}

#[test]
fn the_cli_reports_normalizes_and_exits_by_severity() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = dir.path().join("session-state.json");
    std::fs::write(&good, r#"{"target_agent_id": "tester", "blocker_code": "agent_first_tool_required"}"#)
        .expect("write");
    let bad = dir.path().join("trail.jsonl");
    std::fs::write(&bad, "{\"wall_code\": \"nope\"}\n\n{\"wall_code\": \"closer_wall\"}\n").expect("write");

    let args = WireArgs { files: vec![good.clone()], ..WireArgs::default() };
    let (status, out, _) = run(&args, "");
    assert_eq!(status, ExitStatus::Passed);
    assert!(out.contains("/target_agent_id: note: legacy alias target_agent_id read as recipient_agent_id"), "{out}");
    assert!(out.ends_with("1 payloads: 0 errors, 1 legacy aliases read\n"), "{out}");

    let args = WireArgs { files: vec![good.clone(), bad.clone()], format: WireFormat::Json, ..WireArgs::default() };
    let (status, out, _) = run(&args, "");
    assert_eq!(status, ExitStatus::Failed);
    let doc: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(doc["summary"]["payloads"], 3);
    assert_eq!(doc["summary"]["errors"], 1);
    assert!(doc["payloads"][1]["source"].as_str().is_some_and(|s| s.ends_with("trail.jsonl:1")));
    assert_eq!(doc["payloads"][1]["findings"][0]["kind"], "unknown_wall_code");

    let args = WireArgs { normalize: true, ..WireArgs::default() };
    let (status, out, err) = run(&args, r#"{"dialogue_target_agent_id": "backend", "status": "BOARD_STATUS"}"#);
    assert_eq!(status, ExitStatus::Passed);
    let canonical: Value = serde_json::from_str(&out).expect("canonical json");
    assert_eq!(canonical, json!({"dialogue_peer_agent_id": "backend", "status": "AGENT_HUD_STATUS"}));
    assert!(err.contains("2 legacy aliases read"), "{err}");

    let (status, _, err) = run(&WireArgs::default(), "{not json");
    assert_eq!(status, ExitStatus::Unusable);
    assert!(err.starts_with("squadsim wire: <stdin>:1:2: invalid JSON"), "{err}");
    let args = WireArgs { files: vec![dir.path().join("missing.json")], ..WireArgs::default() };
    assert_eq!(run(&args, "").0, ExitStatus::Unusable);
}

#[test]
fn the_args_parse_as_a_clap_subcommand() {
    use clap::{CommandFactory, Parser};
    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        wire: WireArgs,
    }
    Cli::command().debug_assert();
    let cli = Cli::try_parse_from(["wire", "--normalize", "--format", "json", "a.json"]).expect("parse");
    assert!(cli.wire.normalize);
    assert_eq!(cli.wire.format, WireFormat::Json);
    assert_eq!(cli.wire.files, [std::path::PathBuf::from("a.json")]);
}

#[test]
fn json_lines_are_checked_as_they_are_read_and_a_bad_line_stops_the_run_after_the_report() {
    let dir = tempfile::tempdir().expect("tempdir");
    let trail = dir.path().join("trail.jsonl");
    std::fs::write(&trail, "{\"wall_code\": \"nope\"}\r\n\n{\"target_agent_id\": \"tester\"}\n{broken\n{}\n")
        .expect("write");
    let args = WireArgs { files: vec![trail.clone()], ..WireArgs::default() };
    let (status, out, err) = run(&args, "");
    assert_eq!(status, ExitStatus::Unusable);
    assert!(out.contains("trail.jsonl:1: /wall_code: error: "), "{out}");
    assert!(out.contains("trail.jsonl:3: /target_agent_id: note: "), "{out}");
    assert!(out.ends_with("2 payloads: 1 errors, 1 legacy aliases read\n"), "what came before the bad line: {out}");
    assert!(err.starts_with("squadsim wire: ") && err.contains("trail.jsonl:4:2: invalid JSON"), "{err}");

    let args = WireArgs { files: vec![trail], format: WireFormat::Json, ..WireArgs::default() };
    let (status, out, _) = run(&args, "");
    assert_eq!(status, ExitStatus::Unusable);
    let doc: Value = serde_json::from_str(&out).expect("the report stays one JSON document");
    assert_eq!(doc["summary"]["payloads"], 2);
    assert!(doc["payloads"][1]["source"].as_str().is_some_and(|s| s.ends_with("trail.jsonl:3")));
}

#[test]
fn a_json_lines_line_that_is_not_utf8_is_named_by_its_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let trail = dir.path().join("trail.ndjson");
    std::fs::write(&trail, b"{}\n{\"a\": \"caf\xe9\"}\n").expect("write");
    let (status, out, err) = run(&WireArgs { files: vec![trail], ..WireArgs::default() }, "");
    assert_eq!(status, ExitStatus::Unusable);
    assert!(err.contains("trail.ndjson:2:11: not UTF-8"), "{err}");
    assert!(out.ends_with("1 payloads: 0 errors, 0 legacy aliases read\n"), "{out}");
}

#[test]
fn a_fifo_is_refused_without_being_opened() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("payloads.jsonl");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo runs");
    assert!(made.success());
    let args = WireArgs { files: vec![fifo], ..WireArgs::default() };
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(run(&args, ""));
    });
    let (status, _, err) =
        rx.recv_timeout(std::time::Duration::from_secs(20)).expect("wire hung: it opened a FIFO for reading");
    assert_eq!(status, ExitStatus::Unusable);
    assert!(err.contains("payloads.jsonl: not a regular file (a FIFO)"), "{err}");
}

#[test]
fn invalid_json_is_located_once_and_a_byte_order_mark_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases: [(&str, &[u8], &str); 4] = [
        ("doc.json", b"{\n  \"a\": 1,\n  \"b\": }\n", "doc.json:3:8: invalid JSON: expected value\n"),
        ("trail.jsonl", b"{\"a\": 1}\n{\"b\":\n", "trail.jsonl:2:5: invalid JSON: EOF while parsing a value\n"),
        (
            "bom.json",
            b"\xef\xbb\xbf{\"a\": 1}",
            "bom.json:1:1: invalid JSON: it begins with a byte order mark (U+FEFF)",
        ),
        (
            "bom.jsonl",
            b"\xef\xbb\xbf{\"a\": 1}\n",
            "bom.jsonl:1:1: invalid JSON: it begins with a byte order mark (U+FEFF)",
        ),
    ];
    for (name, bytes, said) in cases {
        let file = dir.path().join(name);
        std::fs::write(&file, bytes).expect("write");
        let (status, _, err) = run(&WireArgs { files: vec![file], ..WireArgs::default() }, "");
        assert_eq!(status, ExitStatus::Unusable, "{name}");
        assert!(err.contains(said), "{name}: {err}");
        assert!(!err.contains(" at line "), "the location is said once: {err}");
    }
}

#[test]
fn inputs_without_a_payload_are_never_clean() {
    let dir = tempfile::tempdir().expect("tempdir");
    let empty = dir.path().join("empty.jsonl");
    std::fs::write(&empty, "").expect("write");
    let blank = dir.path().join("blank.ndjson");
    std::fs::write(&blank, "\n  \r\n\n").expect("write");
    let one = dir.path().join("one.jsonl");
    std::fs::write(&one, "{\"wall_code\": \"closer_wall\"}\n").expect("write");

    // A JSON Lines file with no payload beside one that has some: warned about and
    // counted; the status is the payloads'.
    let args = WireArgs { files: vec![empty.clone(), one.clone()], ..WireArgs::default() };
    let (status, out, err) = run(&args, "");
    assert_eq!(status, ExitStatus::Passed, "{out}{err}");
    assert!(
        out.ends_with("1 payloads: 0 errors, 0 legacy aliases read; 1 inputs held no payload (see the warnings)\n"),
        "{out}"
    );
    assert!(err.contains("warning: ") && err.contains("empty.jsonl holds no payload"), "{err}");
    let json = WireArgs { format: WireFormat::Json, ..args };
    let doc: Value = serde_json::from_str(&run(&json, "").1).expect("json");
    assert!(doc["summary"]["inputs_without_payload"][0].as_str().is_some_and(|s| s.ends_with("empty.jsonl")), "{doc}");

    // No payload in any input: nothing was checked, exit 2.
    let args = WireArgs { files: vec![empty, blank], ..WireArgs::default() };
    let (status, out, err) = run(&args, "");
    assert_eq!(status, ExitStatus::Unusable, "{out}{err}");
    assert!(
        out.ends_with("0 payloads: 0 errors, 0 legacy aliases read; 2 inputs held no payload (see the warnings)\n"),
        "{out}"
    );
    assert!(err.ends_with("squadsim wire: error: nothing was checked: no input held a payload\n"), "{err}");

    // One JSON document that is empty is not JSON, said as such (not "1:0: EOF").
    let doc = dir.path().join("empty.json");
    std::fs::write(&doc, "\n").expect("write");
    let (status, _, err) = run(&WireArgs { files: vec![doc], ..WireArgs::default() }, "");
    assert_eq!(status, ExitStatus::Unusable);
    assert!(err.contains("empty.json: holds no JSON value (it is empty but for white space)"), "{err}");
    let (status, _, err) = run(&WireArgs::default(), "");
    assert_eq!(status, ExitStatus::Unusable);
    assert!(err.starts_with("squadsim wire: <stdin>: holds no JSON value (it is empty)"), "{err}");
}
