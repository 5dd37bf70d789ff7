//! `squadsim explain SCENARIO`: a run's story as the operator would read it —
//! one timeline in simulated time (faults applied, the operator's HTTP calls,
//! run-control events), then where every session ended, the walls, and the
//! diagnosis of a first-tool block.
//!
//! Guarantees: everything printed comes from the [`Outcome`] (itself read from
//! the services' state after the run), so the story changes exactly when the
//! snapshot does; entries at the same simulated time keep the order faults,
//! run control, operator.

use std::fmt::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::outcome::Outcome;
use crate::scenario::Scenario;

/// `squadsim explain` arguments.
#[derive(clap::Args, Debug)]
pub struct ExplainArgs {
    /// The scenario file.
    pub scenario: PathBuf,
    /// Run with this seed instead of the scenario's own.
    #[arg(long)]
    pub seed: Option<u64>,
}

/// Runs the scenario and prints its story.
pub fn run(args: &ExplainArgs, out: &mut dyn std::io::Write, err: &mut dyn std::io::Write) -> ExitCode {
    let mut scenario = match Scenario::load(&args.scenario) {
        Ok(s) => s,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(seed) = args.seed {
        scenario.seed = seed;
    }
    let outcome = crate::world::run(&scenario);
    let _ = out.write_all(story(&scenario, &outcome).as_bytes());
    ExitCode::SUCCESS
}

/// Simulated milliseconds of a `12.3s` label at the start of `text`.
fn millis(text: &str) -> u64 {
    let label = text.split_whitespace().next().unwrap_or_default();
    label.strip_suffix('s').and_then(|s| s.parse::<f64>().ok()).map(|s| (s * 1000.0).round() as u64).unwrap_or(0)
}

/// The story of one run.
pub fn story(scenario: &Scenario, outcome: &Outcome) -> String {
    let mut text = String::new();
    let _ = writeln!(text, "{} (seed {})", outcome.scenario, outcome.seed);
    if !scenario.description.is_empty() {
        let _ = writeln!(text, "{}", scenario.description);
    }
    let _ = writeln!(text, "\ntimeline (simulated time):");
    let mut timeline: Vec<(u64, u8, String)> = Vec::new();
    for f in &outcome.faults {
        let (at, rest) = f.split_once(' ').unwrap_or((f, ""));
        timeline.push((millis(f), 0, format!("{at:>8}  fault     {rest}")));
    }
    for e in &outcome.run_control {
        let (at, rest) = e.split_once(' ').unwrap_or((e, ""));
        timeline.push((millis(e), 1, format!("{at:>8}  run       {rest}")));
    }
    for c in &outcome.operator {
        let status = c.http_status.map(|s| s.to_string()).unwrap_or_else(|| "000 (no response)".into());
        let mut line = format!("{:>8}  operator  {} {} -> {status}", c.at, c.step, c.request);
        if let Some(note) = &c.note {
            let _ = write!(line, " ({})", note.trim());
        }
        timeline.push((millis(&c.at), 2, line));
    }
    timeline.sort_by_key(|(at, order, _)| (*at, *order));
    for (_, _, line) in &timeline {
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
    if !outcome.sessions.is_empty() {
        let _ = writeln!(text, "\nsessions:");
        for s in &outcome.sessions {
            let blocker = s.blocker_code.as_deref().map(|b| format!(", blocker {b}")).unwrap_or_default();
            let claude = s.claude_session_id.as_deref().map(|c| format!(", claude_session_id {c}")).unwrap_or_default();
            let _ = writeln!(
                text,
                "  {} ({}): {} at {}{blocker}; {} tool calls{claude}",
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
        let plane = serde_json::to_value(d.plane).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
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

    #[test]
    fn time_labels_read_back_as_milliseconds() {
        assert_eq!(millis("12.3s operator_control:idle"), 12_300);
        assert_eq!(millis("0.0s"), 0);
        assert_eq!(millis("soon"), 0);
    }
}
