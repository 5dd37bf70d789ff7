//! SARIF 2.1.0 as GitHub code scanning accepts it: `$schema`, `version`, one run
//! whose driver lists every rule (id, name, short and full description, help,
//! default level), results with repo-relative URIs under `%SRCROOT%`, 1-based
//! regions in UTF-16 columns, and a stable `partialFingerprints` entry.
//!
//! The fingerprint hashes rule + path + normalised matched text + the occurrence's
//! ordinal among equal keys in the file, never the line, so alerts survive edits
//! above them. GitHub reserves `primaryLocationLineHash` for its own hash; it is
//! not set here.

use serde_json::{json, Value};

use super::baseline::normalise;
use super::report::Report;
use super::rule::Severity;

pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
pub const FINGERPRINT_KEY: &str = "squadsimLint/v1";

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// FNV-1a, 64 bits: stable across platforms and releases.
pub fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// Percent-encodes a repo-relative path for a SARIF `uri` (keeps `/`).
pub fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn pascal(id: &str) -> String {
    id.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next().map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
        })
        .collect()
}

/// The run's one `invocation`: whether it succeeded (no file named on the command
/// line went unchecked, and some file was checked) and a `toolExecutionNotifications`
/// entry per skipped file, and one when nothing was checked.
fn invocation(report: &Report) -> Value {
    let notifications: Vec<Value> = report
        .skipped
        .iter()
        .map(|s| {
            json!({
                "descriptor": {"id": "skipped-file"},
                "level": if s.explicit { "error" } else { "warning" },
                "message": {"text": format!("{} was not checked: {}", s.path, s.reason)},
                "locations": [{
                    "physicalLocation": {"artifactLocation": {"uri": uri(&s.path), "uriBaseId": "%SRCROOT%"}}
                }]
            })
        })
        .chain(report.nothing_checked().map(
            |message| json!({"descriptor": {"id": "nothing-checked"}, "level": "error", "message": {"text": message}}),
        ))
        .collect();
    json!({
        "executionSuccessful": !report.skipped.iter().any(|s| s.explicit) && report.nothing_checked().is_none(),
        "toolExecutionNotifications": notifications
    })
}

pub fn to_sarif(report: &Report) -> String {
    let rules: Vec<Value> = report
        .rules
        .iter()
        .map(|r| {
            let mut help = r.message.clone();
            if let Some(rep) = &r.replacement {
                help.push_str(&format!(" Use: {rep}."));
            }
            if let Some(seed) = &r.seed {
                help.push_str(&format!(" (Delivery language: {seed}.)"));
            }
            json!({
                "id": r.id,
                "name": pascal(&r.id),
                "shortDescription": {"text": r.title},
                "fullDescription": {"text": r.message},
                "help": {"text": help},
                "defaultConfiguration": {"level": level(r.severity)},
                "properties": {"tags": ["delivery-language"]}
            })
        })
        .collect();
    let mut ordinals: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    let results: Vec<Value> = report
        .violations
        .iter()
        .map(|v| {
            let key = format!("{}|{}|{}", v.rule, v.path, normalise(&v.matched));
            let ordinal = ordinals.entry(key.clone()).or_default();
            *ordinal += 1;
            let fingerprint = format!("{:016x}:{}", fnv1a(&key), ordinal);
            let mut text = v.message.clone();
            if let Some(r) = &v.replacement {
                text.push_str(&format!(" -> {r}"));
            }
            let rule_index = report.rules.iter().position(|r| r.id == v.rule);
            json!({
                "ruleId": v.rule,
                "ruleIndex": rule_index,
                "level": level(v.severity),
                "message": {"text": text},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri(&v.path), "uriBaseId": "%SRCROOT%"},
                        "region": {
                            "startLine": v.line,
                            "startColumn": v.column_utf16,
                            "endLine": v.end_line,
                            "endColumn": v.end_column_utf16,
                            "snippet": {"text": v.matched}
                        }
                    }
                }],
                "partialFingerprints": {FINGERPRINT_KEY: fingerprint}
            })
        })
        .collect();
    let doc = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "squadsim-lint",
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": rules
            }},
            "invocations": [invocation(report)],
            "columnKind": "utf16CodeUnits",
            "results": results
        }]
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}
