//! Loading a scenario: reading the file (bounded), locating every error by its
//! field's path in the document, parsing, validating; and finding the
//! scenario files under a path.
//!
//! Guarantees: unknown fields are rejected; every load error names the file,
//! the line and column (found from the field's path in the document,
//! [`locate`](super::locate)), the field path and the shape that was
//! expected, and prints scenario text escaped ([`escape`]).

use std::borrow::Cow;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::locate::{self, FieldPath, Location, Misshapen, Spans};
use super::{bounds, validate, Scenario};

/// A scenario that could not be loaded.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioError {
    pub file: PathBuf,
    /// The line (1-based) of the field, or of the bytes, at fault.
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// The field path, e.g. `steps[2].launch.timeout`.
    pub field: String,
    pub message: String,
}

impl ScenarioError {
    fn at(file: &Path, at: Location, field: String, message: String) -> Self {
        ScenarioError { file: file.to_path_buf(), line: Some(at.line), column: Some(at.column), field, message }
    }

    fn misshapen(file: &Path, m: Misshapen) -> Self {
        ScenarioError::at(file, m.at, m.field.to_string(), m.problem.to_string())
    }
}

/// Prints `file:line:column: field `path`: message`, with every control
/// character of the file name, the field and the message escaped ([`escape`]).
impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", escape(&self.file.display().to_string()))?;
        if let (Some(l), Some(c)) = (self.line, self.column) {
            write!(f, ":{l}:{c}")?;
        }
        if !self.field.is_empty() {
            write!(f, ": field `{}`", escape(&self.field))?;
        }
        write!(f, ": {}", escape(&self.message))
    }
}

impl std::error::Error for ScenarioError {}

/// `text` safe to print on a terminal: every control character (C0, DEL, C1:
/// newlines and ANSI escapes among them), the line and paragraph separators
/// and every bidirectional-text control are written as a Rust-style escape (`\n`, `\t`, `\u{1b}`, `\u{202e}`);
/// everything else is kept. Anything that echoes scenario text (a name, a
/// value) prints it through this.
pub(crate) fn escape(text: &str) -> Cow<'_, str> {
    let unsafe_char = |c: char| {
        c.is_control()
            || matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{2028}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    };
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut escaped = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => escaped.push_str("\\n"),
            '\r' => escaped.push_str("\\r"),
            '\t' => escaped.push_str("\\t"),
            '\0' => escaped.push_str("\\0"),
            c if unsafe_char(c) => escaped.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => escaped.push(c),
        }
    }
    Cow::Owned(escaped)
}

impl Scenario {
    /// Reads and validates a scenario file: a regular file (a FIFO or a device
    /// is refused, never waited on), read up to one byte more than
    /// [`bounds::MAX_FILE_BYTES`].
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        Scenario::parse_bytes(path, &Scenario::read(path)?)
    }

    /// A scenario file's bytes, as [`Scenario::load`] reads them (a regular file,
    /// at most one byte more than [`bounds::MAX_FILE_BYTES`]), for a caller that
    /// keeps them besides parsing them ([`Scenario::parse_bytes`]).
    pub fn read(path: &Path) -> Result<Vec<u8>, ScenarioError> {
        let unreadable = |message: String| ScenarioError {
            file: path.to_path_buf(),
            line: None,
            column: None,
            field: String::new(),
            message,
        };
        let metadata = std::fs::metadata(path).map_err(|e| unreadable(format!("cannot read the file: {e}")))?;
        if !metadata.is_file() {
            return Err(unreadable("cannot read the file: not a regular file".into()));
        }
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .and_then(|file| file.take(bounds::MAX_FILE_BYTES as u64 + 1).read_to_end(&mut bytes))
            .map_err(|e| unreadable(format!("cannot read the file: {e}")))?;
        Ok(bytes)
    }

    /// Parses and validates a scenario file's bytes; `path` names it in errors.
    /// Bytes that are not UTF-8 are refused with the line of the first bad one.
    pub fn parse_bytes(path: &Path, bytes: &[u8]) -> Result<Scenario, ScenarioError> {
        let text = locate::decode(bytes).map_err(|m| ScenarioError::misshapen(path, m))?;
        Scenario::parse_decoded(path, text)
    }

    /// Parses and validates scenario text; `path` names it in errors.
    pub fn parse(path: &Path, text: &str) -> Result<Scenario, ScenarioError> {
        let text = locate::decode(text.as_bytes()).map_err(|m| ScenarioError::misshapen(path, m))?;
        Scenario::parse_decoded(path, text)
    }

    /// Parses and validates text [`locate::decode`] accepted.
    fn parse_decoded(path: &Path, text: &str) -> Result<Scenario, ScenarioError> {
        let spans = locate::index(text).map_err(|m| ScenarioError::misshapen(path, m))?;
        let deserializer = serde_yaml::Deserializer::from_str(text);
        let mut scenario: Scenario =
            serde_path_to_error::deserialize(deserializer).map_err(|e| serde_error(path, text, &spans, e))?;
        if scenario.name.is_empty() {
            scenario.name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        }
        validate::validate(&scenario).map_err(|invalid| {
            ScenarioError::at(path, spans.locate(&invalid.field), invalid.field.to_string(), invalid.message)
        })?;
        Ok(scenario)
    }
}

/// A serde error, located by its field path where the document holds all of it
/// (serde_yaml reports errors inside a nested value at the enclosing mapping),
/// else where serde_yaml's parser stopped, else at the deepest part of the path
/// the document holds.
fn serde_error(
    file: &Path,
    text: &str,
    spans: &Spans,
    e: serde_path_to_error::Error<serde_yaml::Error>,
) -> ScenarioError {
    // Text that is not YAML at all (the indexer lets some through): the parser's
    // complaint where it stopped, whatever serde met first (a key refused before
    // the parser reached the fault).
    if let Some((at, message)) = squadsim_conformance::yaml_syntax::syntax_error(text) {
        let (line, column) = at.unwrap_or((1, 1));
        return ScenarioError::at(file, Location { line, column }, String::new(), message);
    }
    let mut path = FieldPath::from_serde(e.path());
    let mut field = e.path().to_string();
    let inner = e.into_inner();
    let mut message = inner.to_string();
    // serde_yaml appends " at line L column C"; the location is printed up front.
    if let Some(i) = message.find(" at line ") {
        message.truncate(i);
    }
    message = in_the_formats_words(&message);
    // serde_yaml may prefix its own (shorter) path; the field is printed separately.
    if let Some((prefix, rest)) = message.split_once(": ") {
        if !prefix.contains(' ') && field.starts_with(prefix) {
            message = rest.to_string();
        }
    }
    // A part its mapping flattens tracks its own path below the mapping's
    // ([`flattened`]); a key none of the mapping's parts takes is refused after
    // all of them read theirs, by the mapping, without its path: both name the
    // field below the one serde's path reached.
    let below = match message.strip_prefix(FLATTENED_AT).and_then(|m| m.split_once("`: ")) {
        Some((own, rest)) => Some((path.then_printed(own), rest.to_string())),
        // Only a bare "unknown field `k`" (a flattening mapping's): a struct's own
        // refusal already lists what it expects and its path already holds the key.
        None => message
            .strip_prefix("unknown field `")
            .and_then(|m| m.strip_suffix('`'))
            .filter(|key| !key.contains('`'))
            .map(|key| {
                let keys: Vec<String> =
                    super::schema::keys_at(path.segments()).iter().map(|k| format!("`{k}`")).collect();
                (path.key(key), format!("{message}, expected one of {}", keys.join(", ")))
            })
            // Refused by the mapping too: the key's own path locates its second occurrence.
            .or_else(|| {
                let key = message.strip_prefix("duplicate field `").and_then(|m| m.strip_suffix('`'))?;
                Some((path.key(key), message.clone()))
            }),
    };
    if let Some((deeper, rest)) = below {
        path = deeper;
        field = path.to_string();
        message = rest;
    }
    let (indexed, whole) = spans.find(&path);
    let at = match inner.location() {
        Some(l) if !whole || field == "." => Location { line: l.line(), column: l.column() },
        _ => indexed,
    };
    ScenarioError::at(file, at, if field == "." { String::new() } else { field }, message)
}

/// serde's name for what it expected, in the scenario format's words: a Rust
/// struct is a mapping, `u64` a whole number from 0 to its largest, `f64` a number.
fn in_the_formats_words(message: &str) -> String {
    let Some((head, expected)) = message.rsplit_once(", expected ") else { return message.to_string() };
    let whole = |max: u64| format!("a whole number from 0 to {max}");
    let plain = match expected {
        "u8" => whole(u8::MAX.into()),
        "u16" => whole(u16::MAX.into()),
        "u32" => whole(u32::MAX.into()),
        "u64" | "usize" => whole(u64::MAX),
        "i32" | "i64" => "a whole number".to_string(),
        "f32" | "f64" => "a number".to_string(),
        "a map" => "a mapping".to_string(),
        other if other.starts_with("struct ") => "a mapping of its fields (scenarios/README.md)".to_string(),
        _ => return message.to_string(),
    };
    format!("{head}, expected {plain}")
}

/// How [`flattened`] marks the path it tracked in front of a message.
const FLATTENED_AT: &str = "at `";

/// Deserializes a part of a mapping that its owner flattens (`#[serde(flatten)]`,
/// so the part's fields are written beside the owner's): serde hands the part
/// the owner's buffered entries, out of reach of the path the loader tracks, so
/// the part tracks its own and writes it in front of its error (`` at `blockers[1]`: ``);
/// the loader puts it back on the field's path ([`serde_error`]) and locates that.
pub(crate) fn flattened<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    use serde::de::Error as _;
    serde_path_to_error::deserialize(deserializer).map_err(|e| match e.path().to_string().as_str() {
        "." => D::Error::custom(e.inner()),
        own => D::Error::custom(format_args!("{FLATTENED_AT}{own}`: {}", e.inner())),
    })
}

/// Every `*.yaml` (or `*.yml`) scenario in `path`: the file itself, or a
/// directory's own scenario files, sorted. Subdirectories are not searched
/// (see [`unsearched`]).
pub fn discover(path: &Path) -> std::io::Result<Vec<PathBuf>> {
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    scenario_files(path)
}

/// The subdirectories of the directory `path` that hold scenario files of
/// their own, which [`discover`] does not run (a repository's root holds
/// workflow and manifest YAML that is not a scenario, so nothing is searched
/// recursively); sorted. A caller warns about each: a skipped input is never
/// silently clean.
pub fn unsearched(path: &Path) -> std::io::Result<Vec<PathBuf>> {
    if path.is_file() {
        return Ok(Vec::new());
    }
    let mut dirs = Vec::new();
    for entry in std::fs::read_dir(path)? {
        let p = entry?.path();
        if p.is_dir() && scenario_files(&p).is_ok_and(|files| !files.is_empty()) {
            dirs.push(p);
        }
    }
    dirs.sort();
    Ok(dirs)
}

fn scenario_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let p = entry?.path();
        if p.extension().is_some_and(|e| e == "yaml" || e == "yml") && p.is_file() {
            found.push(p);
        }
    }
    found.sort();
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    use crate::scenario::{DurationError, Fault, SimDuration, Step, Trigger};

    fn parse(text: &str) -> Result<Scenario, ScenarioError> {
        Scenario::parse(Path::new("scenarios/x.yaml"), text)
    }

    #[test]
    fn an_unknown_field_names_file_line_column_and_field() {
        let err = parse("steps:\n  - launch:\n      template_id: agentsquad\n      project_slug: p\n      delivery_graph_kind: project_delivery\n      colour: red\n").unwrap_err();
        assert_eq!(err.line, Some(6));
        assert_eq!(err.field, "steps[0].launch.colour", "{err}");
        assert!(err.message.starts_with("unknown field `colour`, expected one of `template_id`, "), "{err}");
        assert!(err.to_string().starts_with("scenarios/x.yaml:6:7: field `steps[0].launch.colour`: "), "{err}");
    }

    /// What serde expected, said in YAML's words and never as a Rust type; the
    /// YAML scanner's complaints said as invalid YAML, a tab named.
    #[test]
    fn what_was_expected_is_said_in_the_formats_words() {
        let cases = [
            ("seed: -1\nsteps: [health]\n", "invalid type: integer `-1`, expected a whole number from 0 to 18446744073709551615"),
            ("world:\n  implementer_lanes: x\nsteps: [health]\n", "invalid type: string \"x\", expected a whole number from 0 to 4294967295"),
            ("steps:\n  - watch: 5s\n", "invalid type: string \"5s\", expected a mapping of its fields (scenarios/README.md)"),
            ("\tsteps: [health]\n", "invalid YAML: found character that cannot start any token, while scanning for the next token (a tab: YAML indents with spaces, never tabs)"),
        ];
        for (text, expected) in cases {
            let err = parse(text).unwrap_err();
            assert_eq!(err.message, expected, "{err}");
            for rust in ["struct ", " u64", " u32", " f64"] {
                assert!(!err.message.contains(rust), "{err}");
            }
        }
        assert_eq!(
            in_the_formats_words("invalid length 1, expected an array of length 2"),
            "invalid length 1, expected an array of length 2"
        );
    }

    /// The key once on the field, the expected keys once in the message, at
    /// every depth (a struct's own refusal, not a flattening mapping's).
    #[test]
    fn an_unknown_field_is_named_once_with_what_was_expected_once() {
        let cases = [
            ("bogus: 1\nsteps: [health]\n", "bogus", (1, 1), "`seed`, `world`, "),
            ("world:\n  bogus: 1\nsteps: [health]\n", "world.bogus", (2, 3), "`tenants`, `projects`, "),
            (
                "steps:\n  - watch: {every: 5s, timeout: 1m, bogus: 1}\n",
                "steps[0].watch.bogus",
                (2, 37),
                "`every` or `timeout`",
            ),
        ];
        for (text, field, (line, column), expected) in cases {
            let err = parse(text).unwrap_err();
            assert_eq!((err.field.as_str(), err.line, err.column), (field, Some(line), Some(column)), "{err}");
            assert!(err.message.starts_with("unknown field `bogus`, expected "), "{err}");
            assert!(err.message.contains(expected), "{err}");
            assert_eq!(err.message.matches("expected").count(), 1, "{err}");
            assert!(!err.message.ends_with(' '), "{err}");
        }
    }

    #[test]
    fn a_bad_duration_says_what_was_expected() {
        let err = parse("steps:\n  - wait: {duration: soon}\n").unwrap_err();
        assert!(err.message.contains("expected a duration"), "{err}");
        assert_eq!(err.field, "steps[0].wait.duration");
    }

    #[test]
    fn zero_tool_calls_a_turn_and_a_zero_rate_limit_are_refused_with_their_lines() {
        let err = parse("agents:\n  planner:\n    parallel_tool_calls: 0\nsteps: [health]\n").unwrap_err();
        assert_eq!((err.field.as_str(), err.line), ("agents.planner.parallel_tool_calls", Some(3)), "{err}");
        assert!(err.message.contains("expected between 1 and 10000 tool calls a turn, got 0"), "{err}");
        let err = parse("world:\n  github: {rate_limit: 0}\nsteps: [health]\n").unwrap_err();
        assert_eq!((err.field.as_str(), err.line), ("world.github.rate_limit", Some(2)), "{err}");
        assert!(parse(
            "agents:\n  planner: {parallel_tool_calls: 8}\nworld:\n  github: {rate_limit: 15000}\nsteps: [health]\n"
        )
        .is_ok());
    }

    #[test]
    fn an_unknown_host_in_a_fault_is_refused_before_simulation() {
        let err = parse("faults:\n  - partition: {between: [studio, moon], at: 1s}\nsteps: [health]\n").unwrap_err();
        assert!(err.message.contains("unknown host `moon`"), "{err}");
        assert_eq!(err.line, Some(2));
    }

    fn fault_error(fault: &str) -> ScenarioError {
        parse(&format!("faults:\n  - partition: {{between: [studio, daytona], at: 1s}}\n{fault}\nsteps: [health]\n"))
            .unwrap_err()
    }

    #[test]
    fn every_fault_kind_parses_with_a_time_or_an_event() {
        let s = parse(
            "faults:\n  - partition: {between: [studio, daytona], at: 1s, until: 2s}\n  - one_way_partition: {from: daytona, to: contextforge, on: {session_started: planner}, lasts: 5s}\n  - latency: {between: [studio, daytona], extra: 500ms, at: 3s}\n  - loss: {between: [studio, daytona], rate: 0.25, on: run_launched}\n  - crash: {host: agent-server, on: {first_tool_call: curator}, restart_after: 3s}\n  - service: {host: daytona, method: POST, path: /api/sandbox, effect: {status: 503}, at: 1s}\n  - service: {host: contextforge, path: /mcp, effect: hang, on: {session_completed: planner}}\nsteps: [health]\n",
        )
        .unwrap();
        let kinds: Vec<&str> = s.faults.iter().map(Fault::kind).collect();
        assert_eq!(kinds, ["partition", "one_way_partition", "latency", "loss", "crash", "service", "service"]);
        assert_eq!(s.faults[1].start().on, Some(Trigger::SessionStarted("planner".into())));
        assert_eq!(s.faults[4].end().lasts, Some(SimDuration::secs(3)));
    }

    /// The first run's invariants are a part `invariants:` flattens
    /// ([`flattened`]): an error inside it still names its own line and field.
    #[test]
    fn a_bad_first_run_invariant_names_its_own_line_and_field() {
        let cases = [
            ("  sessions: many", "invariants.sessions", "expected a whole number from 0 to 18446744073709551615"),
            ("  blockers: [agent_first_tool_required, {code: x}]", "invariants.blockers[1]", "invalid type: map"),
            ("  sesions: 2", "invariants.sesions", "unknown field `sesions`, expected one of `finished`, `run_status`"),
            ("  blockers: [stuck]", "invariants.blockers[0]", "unknown blocker code `stuck`"),
            ("  launch_http_status: ok", "invariants.launch_http_status", "expected a whole number from 0 to 65535"),
        ];
        for (bad, field, expected) in cases {
            let text = format!("steps: [health]\ninvariants:\n  finished: true\n  run_status: completed\n{bad}\n");
            let err = parse(&text).unwrap_err();
            assert_eq!((err.field.as_str(), err.line), (field, Some(5)), "{bad}: {err}");
            assert!(err.message.contains(expected), "{bad}: {err}");
            assert!(!err.message.contains("at `"), "the part's own path is on the field, not in the message: {err}");
        }
        let fine = parse("steps: [health]\ninvariants:\n  run_status: completed\n  sessions: 2\n").unwrap();
        let run = fine.invariants.unwrap().run;
        assert_eq!((run.run_status.as_deref(), run.sessions), (Some("completed"), Some(2)));
    }

    #[test]
    fn a_malformed_fault_names_its_line_field_and_what_was_expected() {
        let cases = [
            ("  - loss: {between: [studio, daytona], rate: 1.5, at: 1s}", "faults[1].loss.rate", "at most 1"),
            (
                "  - latency: {between: [studio, daytona], extra: 0s, at: 1s}",
                "faults[1].latency.extra",
                "longer than 0s",
            ),
            (
                "  - one_way_partition: {from: studio, to: studio, at: 1s}",
                "faults[1].one_way_partition.from",
                "two different hosts",
            ),
            ("  - crash: {host: operator, at: 1s}", "faults[1].crash.host", "unknown host `operator`"),
            ("  - crash: {host: daytona}", "faults[1].crash.at", "expected `at`"),
            ("  - crash: {host: daytona, at: 1s, on: run_launched}", "faults[1].crash.on", "not both"),
            (
                "  - partition: {between: [studio, daytona], on: run_launched, until: 5s}",
                "faults[1].partition.until",
                "expected `lasts`",
            ),
            (
                "  - partition: {between: [studio, daytona], at: 5s, until: 5s}",
                "faults[1].partition.until",
                "after `at`",
            ),
            (
                "  - service: {host: daytona, path: api, effect: hang, at: 1s}",
                "faults[1].service.path",
                "starting with `/`",
            ),
            (
                "  - service: {host: daytona, method: FETCH, path: /api, effect: hang, at: 1s}",
                "faults[1].service.method",
                "unknown HTTP method",
            ),
            (
                "  - service: {host: daytona, path: /api, effect: {status: 700}, at: 1s}",
                "faults[1].service.effect.status",
                "between 100 and 599",
            ),
        ];
        for (fault, field, expected) in cases {
            let err = fault_error(fault);
            assert_eq!(err.field, field, "{fault}: {err}");
            assert!(err.message.contains(expected), "{fault}: {err}");
            assert_eq!(err.line, Some(3), "{fault}: {err}");
        }
    }

    #[test]
    fn an_unknown_fault_kind_or_event_is_a_load_error() {
        let err = fault_error("  - meteor: {at: 1s}");
        assert!(err.message.contains("unknown variant `meteor`"), "{err}");
        assert_eq!(err.line, Some(3), "{err}");
        let err = fault_error("  - crash: {host: daytona, on: {lunch_break: planner}}");
        assert!(err.message.contains("unknown variant `lunch_break`"), "{err}");
    }

    #[test]
    fn a_prior_run_must_name_a_catalogue_project() {
        let err =
            parse("world:\n  prior_runs: [{run_id: run-1, project_slug: sanmopia}]\nsteps: [health]\n").unwrap_err();
        assert_eq!(err.field, "world.prior_runs[0].project_slug");
        assert!(err.message.contains("unknown project `sanmopia`"), "{err}");
    }

    #[test]
    fn run_steps_need_a_launch_first() {
        let err = parse("steps: [execute]\n").unwrap_err();
        assert!(err.message.contains("expected a `launch` step"), "{err}");
    }

    #[test]
    fn durations_parse_in_every_unit() {
        assert_eq!(SimDuration::parse("500ms").unwrap().0, Duration::from_millis(500));
        assert_eq!(SimDuration::parse("6s").unwrap().0, Duration::from_secs(6));
        assert_eq!(SimDuration::parse("10m").unwrap().0, Duration::from_secs(600));
        assert_eq!(SimDuration::parse("2").unwrap().0, Duration::from_secs(2));
        assert!(SimDuration::parse("3 fortnights").is_err());
    }

    #[test]
    fn decimal_durations_parse_to_the_millisecond() {
        assert_eq!(SimDuration::parse("4.9s").unwrap().0, Duration::from_millis(4900));
        assert_eq!(SimDuration::parse("0.5s").unwrap().0, Duration::from_millis(500));
        assert_eq!(SimDuration::parse("0.125").unwrap().0, Duration::from_millis(125));
        assert_eq!(SimDuration::parse("1.5m").unwrap().0, Duration::from_secs(90));
        assert_eq!(SimDuration::parse("0.25h").unwrap().0, Duration::from_secs(900));
        assert_eq!(SimDuration::parse("2.50s").unwrap().0, Duration::from_millis(2500));
        for bad in ["0.0001s", "1.5ms", "0.10000000000000000000001s"] {
            assert!(matches!(SimDuration::parse(bad), Err(DurationError::TooPrecise(_))), "{bad}");
        }
        for bad in [".5s", "5.s", "1..5s", "1.2.3s", "-1s"] {
            assert!(matches!(SimDuration::parse(bad), Err(DurationError::Malformed(_))), "{bad}");
        }
        assert!(matches!(SimDuration::parse("24.001h"), Err(DurationError::TooLong(_))));
    }

    #[test]
    fn a_decimal_duration_loads_as_text_or_as_a_number() {
        let scenario = parse("steps:\n  - wait: {duration: 4.9s}\n  - wait: {duration: 0.5}\n").unwrap();
        let waits: Vec<_> = scenario
            .steps
            .iter()
            .map(|s| match s {
                Step::Wait { duration } => duration.0,
                other => panic!("expected a wait, got {other:?}"),
            })
            .collect();
        assert_eq!(waits, [Duration::from_millis(4900), Duration::from_millis(500)]);
    }

    #[test]
    fn a_duration_finer_than_a_millisecond_is_refused_with_its_line() {
        let err = parse("steps:\n  - health\n  - wait: {duration: 0.0005s}\n").unwrap_err();
        assert_eq!(err.field, "steps[1].wait.duration");
        assert_eq!(err.line, Some(3));
        assert!(err.message.contains("to the millisecond"), "{err}");
    }
}
