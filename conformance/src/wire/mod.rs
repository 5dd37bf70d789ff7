//! `squadsim wire [FILE...]`: checks JSON payloads (recorded API responses,
//! handoff messages, session-state, Harness payloads) against the wire aliases of
//! the delivery language, and prints their canonical form with `--normalize`.
//!
//! Exit status ([`ExitStatus`]): 0 when no payload has an error (legacy aliases alone
//! are notes: payloads are the boundary where they live; so are blocker codes the
//! model defines, known but not named by the seeds; a blocker code nobody names is
//! a warning, counted in the summary: the blocker set is open), 1 when any has an alias
//! disagreeing with its canonical twin, a scope mismatch, a handoff missing a
//! required field, or an unknown wall code, 2 on unreadable files
//! (anything but a regular file is refused unopened: see [`crate::regular_file`]),
//! invalid JSON (an empty `.json` file among it), or no payload in any input (a
//! JSON Lines file with none is a warning). Files ending in `.jsonl`/`.ndjson` hold one payload per line
//! and are streamed: each line is checked and reported as it is read, so memory
//! stays that of the longest line; no file, or `-`, reads standard input.

pub mod alias;
pub mod payload;

use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};

use serde_json::Value;

pub use crate::exit::ExitStatus;
use crate::regular_file;
pub use payload::{inspect, Finding, FindingKind, Inspection, Severity, HANDOFF_FIELDS};

/// `squadsim wire --help`'s long text: what is a note, a warning and an
/// error, and examples (the exit statuses follow it).
pub const WIRE_HELP: &str = "\
Checks JSON payloads (recorded API responses, handoff messages, session-state,
Harness payloads) against the delivery language's wire aliases:

  note     a legacy alias (target_agent_id, runtime_kind, BOARD_STATUS, ...):
           payloads are the boundary where aliases live; a blocker code the
           model defines where the seeds name none
  warning  a blocker code neither the seeds nor the model name (the set is open)
  error    an alias whose canonical twin disagrees with it; runtime_kind holding
           an agent process adapter or runtimeKind a delivery graph kind; a
           handoff missing a required field; an unknown wall code

Files ending in .jsonl or .ndjson hold one payload per line and are streamed.

    squadsim wire recorded/session-state.json recorded/handoffs.jsonl
    squadsim wire < payload.json                    # standard input
    squadsim wire --normalize legacy.json > canonical.json
    squadsim wire --format json recorded/*.json

--normalize prints each payload in its canonical form on stdout (findings go to
stderr): {\"target_agent_id\": \"qa\"} becomes {\"recipient_agent_id\": \"qa\"}.";

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

/// Whether `name` holds one payload per line.
fn is_json_lines(name: &str) -> bool {
    name.ends_with(".jsonl") || name.ends_with(".ndjson")
}

/// Where findings and canonical payloads go as each payload is checked: nothing
/// is kept but the counts (and the names of inputs that held no payload), so a
/// JSON Lines file of any size is checked in the memory of its longest line.
struct Sink<'a> {
    format: WireFormat,
    findings: &'a mut dyn Write,
    /// With `--normalize`: where each canonical payload is printed.
    canonical: Option<&'a mut dyn Write>,
    payloads: usize,
    errors: usize,
    /// Legacy aliases read (notes).
    aliases: usize,
    /// Blocker codes the model defines, known but not named by the seeds (notes).
    model_defined: usize,
    /// Blocker codes neither the seeds nor the model name (warnings).
    unknown_codes: usize,
    /// JSON Lines inputs that held no payload (no line but blank ones): checked,
    /// and vouching for nothing, so each is warned about and counted, never clean.
    without_payload: Vec<String>,
}

impl<'a> Sink<'a> {
    fn new(args: &WireArgs, out: &'a mut dyn Write, err: &'a mut dyn Write) -> std::io::Result<Self> {
        let (findings, canonical): (&mut dyn Write, Option<&mut dyn Write>) =
            if args.normalize { (err, Some(out)) } else { (out, None) };
        if args.format == WireFormat::Json {
            write!(findings, "{{\n  \"version\": 1,\n  \"payloads\": [")?;
        }
        Ok(Sink {
            format: args.format,
            findings,
            canonical,
            payloads: 0,
            errors: 0,
            aliases: 0,
            model_defined: 0,
            unknown_codes: 0,
            without_payload: Vec::new(),
        })
    }

    /// Checks one payload and writes what it found (and its canonical form).
    fn payload(&mut self, source: String, value: &Value) -> std::io::Result<()> {
        let inspection = inspect(value);
        if let Some(out) = self.canonical.as_deref_mut() {
            writeln!(out, "{}", serde_json::to_string_pretty(&inspection.canonical).unwrap_or_default())?;
        }
        for f in &inspection.findings {
            match (f.severity(), &f.kind) {
                (Severity::Error, _) => self.errors += 1,
                (Severity::Warning, _) => self.unknown_codes += 1,
                (Severity::Note, FindingKind::ModelDefinedBlockerCode { .. }) => self.model_defined += 1,
                (Severity::Note, _) => self.aliases += 1,
            }
        }
        let checked = Checked { source, findings: inspection.findings };
        match self.format {
            WireFormat::Json => {
                let separator = if self.payloads == 0 { "" } else { "," };
                let item = serde_json::to_string_pretty(&checked).unwrap_or_default().replace('\n', "\n    ");
                write!(self.findings, "{separator}\n    {item}")?;
            }
            WireFormat::Human => {
                for f in &checked.findings {
                    let level = f.severity().as_str();
                    let at = if f.pointer.is_empty() { "/" } else { f.pointer.as_str() };
                    writeln!(self.findings, "{}: {at}: {level}: {}", checked.source, f.message())?;
                }
            }
        }
        self.payloads += 1;
        Ok(())
    }

    /// The summary (closing the JSON document).
    fn finish(&mut self) -> std::io::Result<()> {
        let (payloads, errors, aliases, model_defined) = (self.payloads, self.errors, self.aliases, self.model_defined);
        let unknown = self.unknown_codes;
        let empty = self.without_payload.len();
        match self.format {
            WireFormat::Json => {
                let summary = serde_json::json!({
                    "payloads": payloads, "errors": errors, "legacy_aliases": aliases,
                    "model_defined_codes": model_defined, "unknown_blocker_codes": unknown,
                    "inputs_without_payload": self.without_payload,
                });
                let close = if payloads == 0 { "]" } else { "\n  ]" };
                writeln!(self.findings, "{close},\n  \"summary\": {summary}\n}}")
            }
            WireFormat::Human => {
                let marked =
                    if model_defined == 0 { String::new() } else { format!(", {model_defined} model-defined codes") };
                let warned =
                    if unknown == 0 { String::new() } else { format!(", {unknown} unknown blocker codes (warnings)") };
                let unchecked = match empty {
                    0 => String::new(),
                    n => format!("; {n} inputs held no payload (see the warnings)"),
                };
                writeln!(
                    self.findings,
                    "{payloads} payloads: {errors} errors, {aliases} legacy aliases read{marked}{warned}{unchecked}"
                )
            }
        }
    }
}

/// Why a run stopped early: an input that could not be read or parsed, or an
/// output that could not be written.
enum Stop {
    Input(String),
    Output(std::io::Error),
}

impl From<std::io::Error> for Stop {
    fn from(e: std::io::Error) -> Stop {
        Stop::Output(e)
    }
}

/// Checks every payload of one file (`-`: `stdin`), streaming JSON Lines.
fn check_file(path: &Path, stdin: &mut dyn Read, sink: &mut Sink<'_>) -> Result<(), Stop> {
    if path.as_os_str() == "-" {
        let mut text = String::new();
        stdin.read_to_string(&mut text).map_err(|e| Stop::Input(format!("<stdin>: {e}")))?;
        return check_document("<stdin>", text.as_bytes(), sink);
    }
    let name = path.display().to_string();
    let file = regular_file::open(path).map_err(|e| Stop::Input(format!("{name}: {e}")))?;
    let mut reader = std::io::BufReader::new(file);
    if !is_json_lines(&name) {
        let mut bytes = Vec::new();
        reader.read_to_end(&mut bytes).map_err(|e| Stop::Input(format!("{name}: {e}")))?;
        return check_document(&name, &bytes, sink);
    }
    let mut line = Vec::new();
    let before = sink.payloads;
    for number in 1.. {
        line.clear();
        let read = reader.read_until(b'\n', &mut line).map_err(|e| Stop::Input(format!("{name}:{number}: {e}")))?;
        if read == 0 {
            if sink.payloads == before {
                sink.without_payload.push(name);
            }
            return Ok(());
        }
        let text = std::str::from_utf8(&line)
            .map_err(|e| Stop::Input(format!("{name}:{number}:{}: not UTF-8", e.valid_up_to() + 1)))?;
        let text = text.trim_end_matches(['\n', '\r']);
        if text.trim().is_empty() {
            continue;
        }
        let value: Value =
            serde_json::from_str(text).map_err(|e| invalid_json(&format!("{name}:{number}"), text.as_bytes(), &e))?;
        sink.payload(format!("{name}:{number}"), &value)?;
    }
    Ok(())
}

/// Checks a file holding one JSON document (an empty one is not JSON: said so).
fn check_document(name: &str, bytes: &[u8], sink: &mut Sink<'_>) -> Result<(), Stop> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Stop::Input(format!(
            "{name}: holds no JSON value (it is empty{}): a .json file holds one payload, a .jsonl file one a line",
            if bytes.is_empty() { "" } else { " but for white space" }
        )));
    }
    let value: Value =
        serde_json::from_slice(bytes).map_err(|e| invalid_json(&format!("{name}:{}", e.line()), bytes, &e))?;
    sink.payload(name.to_owned(), &value)?;
    Ok(())
}

/// `<file>:<line>:<column>: invalid JSON: <what>` (`at` holds file and line) for
/// a payload whose text (`payload`, from its first byte) serde_json refused;
/// serde_json's own "at line L column C" is left out (the location is printed
/// up front). A payload that begins with a byte order mark is told so: JSON
/// text may not begin with one (RFC 8259, section 8.1), and serde_json only
/// says it expected a value.
fn invalid_json(at: &str, payload: &[u8], e: &serde_json::Error) -> Stop {
    let text = e.to_string();
    let what = text.strip_suffix(&format!(" at line {} column {}", e.line(), e.column())).unwrap_or(&text);
    if payload.starts_with("\u{feff}".as_bytes()) && e.line() <= 1 {
        return Stop::Input(format!(
            "{at}:1: invalid JSON: it begins with a byte order mark (U+FEFF), which JSON text may not (RFC 8259, \
             section 8.1): save it without one"
        ));
    }
    Stop::Input(format!("{at}:{}: invalid JSON: {what}", e.column()))
}

/// Runs `squadsim wire` with standard input for `-`. When that input is a
/// terminal, says it is waiting for it (a command given no file would otherwise
/// sit silent).
pub fn run(args: &WireArgs, out: &mut dyn Write, err: &mut dyn Write) -> ExitStatus {
    use std::io::IsTerminal;
    if let Some(note) = waiting_note(args, std::io::stdin().is_terminal()) {
        let _ = writeln!(err, "{note}");
    }
    run_with_input(args, &mut std::io::stdin(), out, err)
}

/// What to say before reading standard input, when it is a terminal someone
/// must type into (no file given, or `-`).
fn waiting_note(args: &WireArgs, stdin_is_terminal: bool) -> Option<&'static str> {
    let reads_stdin = args.files.is_empty() || args.files.iter().any(|f| f.as_os_str() == "-");
    (reads_stdin && stdin_is_terminal).then_some(
        "squadsim wire: reading a JSON payload from standard input (end it with Ctrl-D); name files to check them",
    )
}

/// Runs `squadsim wire`, reading `-` from `stdin`. Payloads are checked and
/// reported one at a time; an input that cannot be read or parsed stops the run
/// (exit 2) after the report of what came before it is closed. A JSON Lines
/// input with no payload is warned about; a run that checked no payload at all
/// vouches for nothing (exit 2).
pub fn run_with_input(args: &WireArgs, stdin: &mut dyn Read, out: &mut dyn Write, err: &mut dyn Write) -> ExitStatus {
    let files = if args.files.is_empty() { vec![PathBuf::from("-")] } else { args.files.clone() };
    let (stopped, errors, payloads, without_payload) = match Sink::new(args, out, err) {
        Err(e) => (Some(Stop::Output(e)), 0, 0, Vec::new()),
        Ok(mut sink) => {
            let stopped = files.iter().find_map(|file| check_file(file, stdin, &mut sink).err());
            let closed = sink.finish();
            (stopped.or(closed.err().map(Stop::Output)), sink.errors, sink.payloads, sink.without_payload)
        }
    };
    for name in &without_payload {
        let _ = writeln!(
            err,
            "squadsim wire: warning: {name} holds no payload (no line but blank ones): nothing in it was checked"
        );
    }
    match stopped {
        Some(Stop::Input(message)) => {
            let _ = writeln!(err, "squadsim wire: {message}");
            ExitStatus::Unusable
        }
        Some(Stop::Output(e)) => {
            let _ = writeln!(err, "squadsim wire: <stdout>: {e}");
            ExitStatus::Unusable
        }
        None if payloads == 0 => {
            let _ = writeln!(err, "squadsim wire: error: nothing was checked: no input held a payload");
            ExitStatus::Unusable
        }
        None if errors == 0 => ExitStatus::Passed,
        None => ExitStatus::Failed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_terminal_on_standard_input_is_told_it_is_being_read() {
        let none = WireArgs::default();
        let dash = WireArgs { files: vec![PathBuf::from("a.json"), PathBuf::from("-")], ..WireArgs::default() };
        let file = WireArgs { files: vec![PathBuf::from("a.json")], ..WireArgs::default() };
        assert!(waiting_note(&none, true).is_some_and(|n| n.contains("Ctrl-D")));
        assert!(waiting_note(&dash, true).is_some());
        assert_eq!(waiting_note(&file, true), None, "a named file is read, not the terminal");
        assert_eq!(waiting_note(&none, false), None, "a pipe needs no word");
    }
}
