//! `squadsim wire [FILE...]`: checks JSON payloads (recorded API responses,
//! handoff messages, session-state, Harness payloads) against the wire aliases of
//! the delivery language, and prints their canonical form with `--normalize`.
//!
//! Exit status ([`Status`]): 0 when no payload has an error (legacy aliases alone
//! are notes: payloads are the boundary where they live; so are blocker codes the
//! model defines, known but not named by the seeds), 1 when any has an alias
//! disagreeing with its canonical twin, a scope mismatch, a handoff missing a
//! required field, or an unknown blocker or wall code, 2 on unreadable files or
//! invalid JSON. Files ending in `.jsonl`/`.ndjson` hold one payload per line; no
//! file, or `-`, reads standard input.

pub mod alias;
pub mod payload;

use std::io::{Read, Write};
use std::path::PathBuf;

use serde_json::Value;

pub use crate::lint::Status;
pub use payload::{inspect, Finding, FindingKind, Inspection, HANDOFF_FIELDS};

/// Output formats of `squadsim wire`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum WireFormat {
    #[default]
    Human,
    Json,
}

/// `squadsim wire [FILE...]`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct WireArgs {
    /// JSON payload files (`.jsonl`: one per line); none or `-` reads standard input.
    pub files: Vec<PathBuf>,
    /// Print the canonical form of each payload to stdout (findings go to stderr).
    #[arg(long)]
    pub normalize: bool,
    /// Findings format.
    #[arg(long, value_enum, default_value_t = WireFormat::Human)]
    pub format: WireFormat,
}

/// One payload's place and result.
#[derive(Debug, Clone, serde::Serialize)]
struct Checked {
    source: String,
    findings: Vec<Finding>,
}

fn read_source(path: &PathBuf, stdin: &mut dyn Read) -> Result<(String, String), String> {
    if path.as_os_str() == "-" {
        let mut text = String::new();
        stdin.read_to_string(&mut text).map_err(|e| format!("<stdin>: {e}"))?;
        return Ok(("<stdin>".into(), text));
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((path.display().to_string(), text))
}

/// The payloads in one source: one document, or one per non-empty line for JSON Lines.
fn payloads(name: &str, text: &str) -> Result<Vec<(String, Value)>, String> {
    let lines = name.ends_with(".jsonl") || name.ends_with(".ndjson");
    if !lines {
        let value =
            serde_json::from_str(text).map_err(|e| format!("{name}:{}:{}: invalid JSON: {e}", e.line(), e.column()))?;
        return Ok(vec![(name.to_owned(), value)]);
    }
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l)
                .map(|v| (format!("{name}:{}", i + 1), v))
                .map_err(|e| format!("{name}:{}:{}: invalid JSON: {e}", i + 1, e.column()))
        })
        .collect()
}

/// Runs `squadsim wire` with standard input for `-`.
pub fn run(args: &WireArgs, out: &mut dyn Write, err: &mut dyn Write) -> Status {
    run_with_input(args, &mut std::io::stdin(), out, err)
}

/// Runs `squadsim wire`, reading `-` from `stdin`.
pub fn run_with_input(args: &WireArgs, stdin: &mut dyn Read, out: &mut dyn Write, err: &mut dyn Write) -> Status {
    let files = if args.files.is_empty() { vec![PathBuf::from("-")] } else { args.files.clone() };
    let mut checked = Vec::new();
    let mut canonical = Vec::new();
    for file in &files {
        let parsed = read_source(file, stdin).and_then(|(name, text)| payloads(&name, &text));
        match parsed {
            Ok(list) => {
                for (source, value) in list {
                    let inspection = inspect(&value);
                    canonical.push(inspection.canonical);
                    checked.push(Checked { source, findings: inspection.findings });
                }
            }
            Err(e) => {
                let _ = writeln!(err, "squadsim wire: {e}");
                return Status::Failure;
            }
        }
    }
    let errors = checked.iter().flat_map(|c| &c.findings).filter(|f| f.is_error()).count();
    let written = if args.normalize {
        let mut result = Ok(());
        for value in &canonical {
            result = result.and_then(|()| writeln!(out, "{}", serde_json::to_string_pretty(value).unwrap_or_default()));
        }
        result.and_then(|()| write_findings(args.format, &checked, err))
    } else {
        write_findings(args.format, &checked, out)
    };
    if let Err(e) = written {
        let _ = writeln!(err, "squadsim wire: <stdout>: {e}");
        return Status::Failure;
    }
    if errors == 0 {
        Status::Clean
    } else {
        Status::Violations
    }
}

fn write_findings(format: WireFormat, checked: &[Checked], out: &mut dyn Write) -> std::io::Result<()> {
    let findings = || checked.iter().flat_map(|c| &c.findings);
    let errors = findings().filter(|f| f.is_error()).count();
    let model_defined = findings().filter(|f| matches!(f.kind, FindingKind::ModelDefinedBlockerCode { .. })).count();
    let aliases = findings().filter(|f| matches!(f.kind, FindingKind::LegacyAlias { .. })).count();
    match format {
        WireFormat::Json => {
            let doc = serde_json::json!({
                "version": 1,
                "payloads": checked,
                "summary": {
                    "payloads": checked.len(), "errors": errors, "legacy_aliases": aliases,
                    "model_defined_codes": model_defined,
                }
            });
            writeln!(out, "{}", serde_json::to_string_pretty(&doc).unwrap_or_default())
        }
        WireFormat::Human => {
            for c in checked {
                for f in &c.findings {
                    let level = if f.is_error() { "error" } else { "note" };
                    let at = if f.pointer.is_empty() { "/" } else { f.pointer.as_str() };
                    writeln!(out, "{}: {at}: {level}: {}", c.source, f.message())?;
                }
            }
            let marked =
                if model_defined == 0 { String::new() } else { format!(", {model_defined} model-defined codes") };
            writeln!(out, "{} payloads: {errors} errors, {aliases} legacy aliases read{marked}", checked.len())
        }
    }
}
