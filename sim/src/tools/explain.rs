//! `squadsim explain SCENARIO`: a run's story as the operator would read it —
//! one timeline in simulated time (faults applied, run-control events, the
//! operator's steps, the HTTP calls between services, state changes: sessions
//! started, attempts ended, blockers, walls, handoffs, and the Kubernetes
//! events of the sandbox pods), then where every session ended, the walls, and
//! the diagnosis of a first-tool block.
//!
//! Guarantees: everything printed comes from the run's [`Outcome`] and its
//! [`RunRecord`] (both read from the services after the run, in simulated
//! time), so the story changes exactly when the run does; the same scenario
//! and seed print the same text; entries at the same simulated time keep the
//! order faults, run control, state changes, operator, HTTP calls. Folding
//! (the default) never hides a call whose status differs from the calls it
//! folds into, and never folds across a state change.

use squadsim_conformance::exit::ExitStatus;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::PathBuf;
use std::time::Duration;

use squadsim_fakes::daytona::Event;
use squadsim_fakes::net::{CallEnd, HttpCall};

use crate::base::clock::{from_seconds_label, seconds_label};
use crate::engine::outcome::Outcome;
use crate::engine::outcome::RunError;
use crate::engine::run_record::{event_time, repeat_key, Gathered, MarkKind, RepeatKey, RunRecord, SpanKind};
use crate::engine::world::{self, RunOptions};
use crate::scenario::Scenario;

/// `squadsim explain --help`'s long text: what the story holds, and examples
/// (the exit statuses follow it).
pub(crate) const EXPLAIN_HELP: &str = "\
Runs one scenario and prints its story as an on-call would read it: one
timeline in simulated time (the faults applied, run control, the operator's
steps, the HTTP calls between services, sessions started, attempts ended,
blockers, walls, handoffs, the sandbox pods' Kubernetes events), then where each
session ended, the walls, and the diagnosis of a first-tool block. Nothing is
compared with a snapshot: this is for reading a run, not gating one.

    squadsim explain scenarios/wrong-project-slug.yaml
    squadsim explain scenarios/first-tool-gateway-auth.yaml --calls errors
    squadsim explain scenarios/full-delivery.yaml --seed 42 --calls none

--seed runs it under another seed on the scenario's own network: a sweep's
jitter and swarm faults are not applied (a sweep's failing seed prints its own
`run` command, which reproduces it).";

/// Which HTTP calls between services the timeline shows.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum CallView {
    /// Every call; repeats of one call (same caller, callee, method, path and
    /// status) with no state change between them fold into one line (`x14`).
    #[default]
    Folded,
    /// Only calls that failed (4xx, 5xx, or no answer: `000`), folded.
    Errors,
    /// Every call on its own line.
    All,
    /// No calls (faults, run control, operator steps and state changes only).
    None,
}

/// `squadsim explain` arguments.
#[derive(clap::Args, Debug)]
pub struct ExplainArgs {
    /// The scenario file.
    pub scenario: PathBuf,
    /// Run with this seed instead of the scenario's own.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Which HTTP calls between services to show.
    #[arg(long, value_enum, default_value_t = CallView::Folded)]
    pub calls: CallView,
}

/// Runs the scenario and prints its story. Exit 0 when the run reached its
/// end; 1 when it did not finish or panicked (the story says why); 2 when the
/// scenario did not load or its world could not be built.
pub fn run(args: &ExplainArgs, out: &mut dyn std::io::Write, err: &mut dyn std::io::Write) -> ExitStatus {
    let mut scenario = match Scenario::load(&args.scenario) {
        Ok(s) => s,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return ExitStatus::Unusable;
        }
    };
    if let Some(seed) = args.seed {
        scenario.seed = seed;
    }
    let options = RunOptions { record: true, keep_services: true, ..RunOptions::default() };
    let run = match world::catch_panic(|| world::run(&scenario, options)) {
        Ok(run) => run,
        Err(panicked) => {
            let _ = writeln!(err, "error: {}: {panicked}", args.scenario.display());
            return ExitStatus::Failed;
        }
    };
    let outcome = run.outcome;
    let record = run.record.unwrap_or_else(|| RunRecord::build(&outcome, Gathered::nothing()));
    let events = run.services.map(|s| s.daytona.events()).unwrap_or_default();
    let _ = out.write_all(story(&scenario, &outcome, &record, &events, args.calls).as_bytes());
    match &outcome.error {
        None => ExitStatus::Passed,
        Some(e) => {
            let _ = writeln!(err, "error: {}: {e}", args.scenario.display());
            if matches!(e, RunError::NotBuilt(_)) {
                ExitStatus::Unusable
            } else {
                ExitStatus::Failed
            }
        }
    }
}

/// Simulated time of a `12.3s` label at the start of `text` (zero when there is none).
fn millis(text: &str) -> Duration {
    from_seconds_label(text.split_whitespace().next().unwrap_or_default()).unwrap_or_default()
}

/// Where an entry sorts among entries at the same simulated time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Order {
    Fault,
    RunControl,
    State,
    Operator,
    Call,
}

/// One line of the timeline; calls are kept apart until folding.
enum Entry {
    Line(String),
    Call(HttpCall),
}

/// A call line, possibly standing for several identical calls.
struct Fold {
    call: HttpCall,
    count: usize,
    last_start: Duration,
}

impl Fold {
    fn line(&self) -> String {
        let c = &self.call;
        let status = unanswered(c)
            .map(|why| format!("000 ({why})"))
            .unwrap_or_else(|| c.status.map(|s| s.to_string()).unwrap_or_else(|| "000".to_string()));
        let mut line = format!(
            "{:>8}  http      {} -> {} {} {} -> {status}",
            seconds_label(c.start),
            c.from,
            c.to,
            c.method,
            c.path
        );
        if self.count > 1 {
            let _ = write!(line, " x{} (until {})", self.count, seconds_label(self.last_start));
        }
        line
    }
}

/// Why a call got no answer, and when its caller stopped waiting (`None`: it was answered).
fn unanswered(c: &HttpCall) -> Option<String> {
    let waited = seconds_label(c.end.saturating_sub(c.start));
    let end = seconds_label(c.end);
    Some(match c.ended {
        CallEnd::Answered => return None,
        CallEnd::Broken => format!("connection failed after {waited}"),
        CallEnd::TimedOut => format!("no answer; the client timed out at {end}, after {waited}"),
        CallEnd::GaveUp => format!("no answer; the caller gave up at {end}, after {waited}"),
        CallEnd::Unfinished => "no answer; still waiting when the run ended".to_string(),
    })
}

fn failed(call: &HttpCall) -> bool {
    call.status.is_none_or(|s| s >= 400)
}

/// The timeline's lines, in simulated time.
fn timeline(outcome: &Outcome, record: &RunRecord, events: &[Event], view: CallView) -> Vec<String> {
    let mut entries: Vec<(Duration, Order, Entry)> = Vec::new();
    let line = |label: &str, rest: &str| Entry::Line(format!("{label:>8}  {rest}"));
    for f in &outcome.faults {
        let (at, rest) = f.split_once(' ').unwrap_or((f, ""));
        entries.push((millis(f), Order::Fault, line(at, &format!("fault     {rest}"))));
    }
    for e in &outcome.run_control {
        let (at, rest) = e.split_once(' ').unwrap_or((e, ""));
        entries.push((millis(e), Order::RunControl, line(at, &format!("run       {rest}"))));
    }
    for c in &outcome.operator {
        let status = c.http_status.map(|s| s.to_string()).unwrap_or_else(|| "000 (no response)".into());
        let mut text = format!("operator  {} {} -> {status}", c.step, c.request);
        if let Some(note) = &c.note {
            let _ = write!(text, " ({})", note.trim());
        }
        entries.push((millis(&c.at), Order::Operator, line(&c.at, &text)));
    }
    let state = |at: Duration, text: String| (at, Order::State, line(&seconds_label(at), &format!("state     {text}")));
    for span in &record.spans {
        match span.kind {
            SpanKind::Session => entries.push(state(span.start, format!("{}: session started", span.lane))),
            SpanKind::Attempt => {
                let last = record.spans.iter().rfind(|s| s.kind == SpanKind::Attempt && s.lane == span.lane);
                let why = outcome
                    .sessions
                    .iter()
                    .find(|s| s.agent_id == span.lane)
                    .and_then(|s| s.attempt_end.as_deref())
                    .filter(|_| last == Some(span))
                    .map(|w| format!(" ({w})"))
                    .unwrap_or_default();
                entries.push(state(span.end, format!("{}: {} ended{why}", span.lane, span.label)));
            }
        }
    }
    for m in &record.marks {
        let text = match m.kind {
            MarkKind::Blocker => format!("{}: blocker {}", m.lane, m.label),
            MarkKind::Wall => {
                let retry = outcome
                    .walls
                    .iter()
                    .find(|w| w.agent_id == m.lane && w.wall == m.label)
                    .map(|w| format!(" (fallback {}; retry {})", w.fallback, w.retry_outcome))
                    .unwrap_or_default();
                format!("{}: wall {} fired{retry}", m.lane, m.label)
            }
            MarkKind::Handoff => format!("{} -> {}: handoff {}", m.lane, m.to.as_deref().unwrap_or("?"), m.label),
            MarkKind::Refusal => format!("{}: tool call {} refused (not in the loadout's allow-list)", m.lane, m.label),
            // Faults and run control come from the outcome's own lines (with their causes and hit counts).
            MarkKind::Fault | MarkKind::RunControl => continue,
        };
        entries.push(state(m.at, text));
    }
    for e in events {
        let (first, last) = (event_time(&e.first_timestamp), event_time(&e.last_timestamp));
        let mut text = format!("k8s       {} {} {} {}", e.kind, e.reason, e.object_kind.to_lowercase(), e.object_name);
        if e.count > 1 {
            let _ = write!(text, " x{} (until {})", e.count, seconds_label(last));
        }
        let _ = write!(text, ": {}", e.message);
        entries.push((first, Order::State, line(&seconds_label(first), &text)));
    }
    if view != CallView::None {
        // The operator's own calls are its steps above.
        let calls = record.calls.iter().filter(|c| c.from != "operator");
        for c in calls.filter(|c| view != CallView::Errors || failed(c)) {
            entries.push((c.start, Order::Call, Entry::Call(c.clone())));
        }
    }
    entries.sort_by_key(|(at, order, _)| (*at, *order));

    // Fold repeats: one open fold per call key, all closed by any other entry.
    let mut lines: Vec<Result<String, Fold>> = Vec::new();
    let mut open: BTreeMap<RepeatKey, usize> = BTreeMap::new();
    for (_, _, entry) in entries {
        match entry {
            Entry::Line(text) => {
                open.clear();
                lines.push(Ok(text));
            }
            Entry::Call(call) => {
                let key = repeat_key(&call);
                match open.get(&key).filter(|_| view != CallView::All) {
                    Some(&i) => {
                        if let Err(fold) = &mut lines[i] {
                            fold.count += 1;
                            fold.last_start = call.start;
                        }
                    }
                    None => {
                        open.insert(key, lines.len());
                        lines.push(Err(Fold { last_start: call.start, call, count: 1 }));
                    }
                }
            }
        }
    }
    lines.into_iter().map(|l| l.unwrap_or_else(|fold| fold.line())).collect()
}

/// The story of one run.
pub fn story(scenario: &Scenario, outcome: &Outcome, record: &RunRecord, events: &[Event], view: CallView) -> String {
    let mut text = String::new();
    let _ = writeln!(text, "{} (seed {})", outcome.scenario, outcome.seed);
    if !scenario.description.is_empty() {
        let _ = writeln!(text, "{}", scenario.description);
    }
    let _ = writeln!(text, "\ntimeline (simulated time):");
    for line in timeline(outcome, record, events, view) {
        let _ = writeln!(text, "{line}");
    }
    let _ = writeln!(
        text,
        "\nend: {} after {}{}",
        status_line(outcome),
        outcome.simulated,
        match &outcome.error {
            Some(e) => format!(" ({e})"),
            None => String::new(),
        }
    );
    if !outcome.faults_never_began.is_empty() {
        let _ = writeln!(text, "\ndeclared faults that never began (the run tested the world without them):");
        for f in &outcome.faults_never_began {
            let _ = writeln!(text, "  {f}");
        }
    }
    if !outcome.sessions.is_empty() {
        let _ = writeln!(text, "\nsessions:");
        for s in &outcome.sessions {
            let blocker = s.blocker_code.as_deref().map(|b| format!(", blocker {b}")).unwrap_or_default();
            let claude = s.claude_session_id.as_deref().map(|c| format!(", claude_session_id {c}")).unwrap_or_default();
            let refused = if s.refused_tool_calls.is_empty() {
                String::new()
            } else {
                format!(" ({} refused: {})", s.refused_tool_calls.len(), s.refused_tool_calls.join(", "))
            };
            let _ = writeln!(
                text,
                "  {} ({}): {} at {}{blocker}; {} tool calls{refused}{claude}",
                s.agent_id, s.agent_nickname, s.live_status, s.current_step, s.tool_call_count
            );
        }
    }
    for w in &outcome.walls {
        let _ = writeln!(
            text,
            "wall {} ({}): {}; fallback {}; retry {}",
            w.wall, w.agent_id, w.reason, w.fallback, w.retry_outcome
        );
    }
    let _ = writeln!(
        text,
        "\nobservability: {} events, {} runtime logs; gateway: {} tool calls, {} 401s",
        outcome.observability.events,
        outcome.observability.runtime_logs,
        outcome.gateway.tool_calls,
        outcome.gateway.auth_failures
    );
    if let Some(d) = &outcome.diagnosis {
        let plane = d.plane.name();
        let _ = writeln!(text, "\ndiagnosis: {plane}\n  symptom: {}\n  cause: {}", d.symptom, d.cause);
        for e in &d.evidence {
            let mark = if e.healthy { "ok " } else { "BAD" };
            let _ = writeln!(text, "  [{mark}] {}: {}", e.check, e.finding);
        }
    }
    text
}

fn status_line(outcome: &Outcome) -> String {
    let run = outcome.run.as_ref().map(|r| format!("run {} {}", r.run_id, r.status));
    let blockers = outcome.blockers();
    let blockers =
        if blockers.is_empty() { "no blockers".to_string() } else { format!("blockers {}", blockers.join(", ")) };
    format!("{}, {blockers}", run.unwrap_or_else(|| "no run launched".to_string()))
}

#[cfg(test)]
mod tests {
    use super::millis;
    use std::time::Duration;

    #[test]
    fn time_labels_read_back_as_milliseconds() {
        assert_eq!(millis("12.3s operator_control:idle"), Duration::from_millis(12_300));
        assert_eq!(millis("0.0s"), Duration::ZERO);
        assert_eq!(millis("soon"), Duration::ZERO);
    }
}
