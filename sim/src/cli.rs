//! The `squadsim` command line. The binary is a thin shell around this module.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};

use crate::report::{self, ScenarioResult, Verdict};
use crate::scenario::{self, Scenario};
use crate::{snapshot, trace, world};

const ABOUT: &str = "Deterministic simulator and conformance harness for AgentSquad.";

const RUN_HELP: &str = "\
Runs YAML scenarios in the simulated world and compares each outcome with its
snapshot (scenarios/snapshots/outcome@<file>.snap).

A scenario declares conditions, never outcomes:

    # Reproduces: runbook, \"Project slugs are exact\"
    name: wrong-project-slug
    seed: 7
    world:
      projects:
        - {slug: sanmopia-modernization, code: sanm}
    steps:
      - launch:
          template_id: agentsquad
          project_slug: sanmopia            # wrong: the launch hangs
          delivery_graph_kind: project_delivery
          timeout: 30s                      # the operator's curl --max-time
      - execute
      - watch: {every: 5s, timeout: 10m}

The blockers, statuses and HTTP results come out of the simulation.
See scenarios/README.md for every field, and `squadsim schema` for the JSON Schema.

Seed sweeps (`--seeds N` or `--seed-range A..B`) run every scenario under many
seeds with turmoil's random host order and latency jitter on, and check the
outcome invariants each scenario declares instead of its snapshot:

    invariants:
      run_status: completed     # or blocked, not_launched, ...
      blockers: []              # the distinct blocker codes, any order
      walls: []
      sessions: 7               # the roster's size
      launch_http_status: 200   # 0: no answer (HTTP 000)
      finished: true

    squadsim run --seeds 200                       # seeds 1..=200, all cores
    squadsim run scenarios/full-delivery.yaml --seed-range 1000..2000 --jobs 2
    squadsim run --seeds 1000 --shard 2/4 --results shard-2.json   # one CI runner of four
    squadsim merge-reports shard-*.json            # one verdict for all shards
    squadsim run scenarios/x.yaml --seeds 50 --shrink   # smallest failing fault schedule

Every failing seed is printed with the command that reproduces it. A progress
bar is drawn on a terminal (plain lines when stderr is not one, or with CI set).

Exit status: 0 every outcome matches its snapshot (in a sweep: every seed holds
its invariants); 1 an outcome differs or has no snapshot (a seed breaks an
invariant); 2 a scenario failed to load, or the command line is wrong.";

#[derive(Parser, Debug)]
#[command(name = "squadsim", version, about = ABOUT, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run scenarios and check their outcomes against snapshots.
    #[command(long_about = RUN_HELP)]
    Run(RunArgs),
    /// Check code, docs and prompts against the delivery language (rules from the seed).
    Lint(squadsim_conformance::lint::LintArgs),
    /// Check JSON payloads for legacy wire aliases, disagreeing twins, incomplete handoffs and unknown codes.
    Wire(squadsim_conformance::wire::WireArgs),
    /// Serve the Studio API and every fake on 127.0.0.1 (first stdout line: URLs and credentials).
    Serve(crate::serve::ServeArgs),
    /// Check a running Studio API against the runbook's contract.
    Conform(crate::conform::ConformArgs),
    /// Print the JSON Schema of the scenario format.
    Schema,
    /// Merge the results files of a sharded seed sweep (`run --seeds N --shard I/N --results FILE`).
    MergeReports(crate::sweep::MergeArgs),
    /// Run one scenario and print its story: the timeline in simulated time, sessions, walls, diagnosis.
    Explain(crate::explain::ExplainArgs),
}

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// Scenario files or directories (default: scenarios/).
    pub paths: Vec<PathBuf>,
    /// Run with this seed instead of each scenario's own (snapshots are not compared).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Print the outcomes as JSON (one array) instead of one line per scenario (same as `--format json`).
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub sweep: crate::sweep::SweepArgs,
    /// Output format: `human` (one line per scenario), `json`, or `github` (the human lines plus
    /// workflow-command annotations on the failing scenario files).
    #[arg(long, value_enum, default_value_t = RunFormat::Human)]
    pub format: RunFormat,
    /// Write reports into DIR: junit.xml, summary.md (for $GITHUB_STEP_SUMMARY), one HTML page per scenario.
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,
    /// Write the runs as Chrome trace event JSON (Perfetto, chrome://tracing), in simulated time.
    #[arg(long, value_name = "FILE")]
    pub trace: Option<PathBuf>,
}

/// What `squadsim run` prints.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunFormat {
    Human,
    Json,
    Github,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    match cli.command {
        Command::Run(args) => run(&args, &mut stdout.lock(), &mut stderr.lock()),
        Command::Lint(args) => squadsim_conformance::lint::run(&args, &mut stdout.lock(), &mut stderr.lock()).into(),
        Command::Wire(args) => squadsim_conformance::wire::run(&args, &mut stdout.lock(), &mut stderr.lock()).into(),
        Command::Serve(args) => crate::serve::run(&args, &mut stdout.lock(), &mut stderr.lock()),
        Command::Conform(args) => crate::conform::run(&args, &mut stdout.lock(), &mut stderr.lock()),
        Command::MergeReports(args) => crate::sweep::merge_reports(&args, &mut stdout.lock(), &mut stderr.lock()),
        Command::Explain(args) => crate::explain::run(&args, &mut stdout.lock(), &mut stderr.lock()),
        Command::Schema => {
            let _ = stdout.lock().write_all(scenario::json_schema().as_bytes());
            ExitCode::SUCCESS
        }
    }
}

/// `squadsim run`.
pub fn run(args: &RunArgs, out: &mut dyn Write, err: &mut dyn Write) -> ExitCode {
    let roots = if args.paths.is_empty() { vec![PathBuf::from("scenarios")] } else { args.paths.clone() };
    let mut files = Vec::new();
    for root in &roots {
        match scenario::discover(root) {
            Ok(found) if !found.is_empty() => files.extend(found),
            Ok(_) => {
                let _ = writeln!(err, "error: no scenarios (*.yaml) in {}", root.display());
                return ExitCode::from(2);
            }
            Err(e) => {
                let _ = writeln!(err, "error: cannot read {}: {e}", root.display());
                return ExitCode::from(2);
            }
        }
    }
    if args.sweep.active() {
        if args.trace.is_some() {
            let _ = writeln!(
                err,
                "error: --trace records one run per scenario, not a sweep: rerun one seed with --seed N --trace FILE"
            );
            return ExitCode::from(2);
        }
        let format = if args.json { RunFormat::Json } else { args.format };
        return crate::sweep::run(&files, &args.sweep, format, args.report.as_deref(), out, err);
    }
    let sweep_only = [
        ("--shard", args.sweep.shard.is_some()),
        ("--jobs", args.sweep.jobs.is_some()),
        ("--shrink", args.sweep.shrink),
        ("--results", args.sweep.results.is_some()),
    ];
    if let Some((flag, _)) = sweep_only.iter().find(|(_, given)| *given) {
        let _ = writeln!(err, "error: {flag} belongs to a seed sweep: add --seeds N or --seed-range A..B");
        return ExitCode::from(2);
    }
    let format = if args.json { RunFormat::Json } else { args.format };
    let recording = args.report.is_some() || args.trace.is_some();
    let mut broken = 0usize;
    let mut results = Vec::new();
    for file in &files {
        let mut scenario = match Scenario::load(file) {
            Ok(s) => s,
            Err(e) => {
                broken += 1;
                let _ = writeln!(err, "error: {e}");
                continue;
            }
        };
        if let Some(seed) = args.seed {
            scenario.seed = seed;
        }
        let started = Instant::now();
        let (outcome, record) = if recording {
            let (outcome, record) = world::run_recorded(&scenario);
            (outcome, Some(record))
        } else {
            (world::run(&scenario), None)
        };
        let wall = started.elapsed();
        let verdict = report::verdict(file, &outcome, args.seed.is_none());
        let result = ScenarioResult { file: file.clone(), outcome, verdict, record };
        if format != RunFormat::Json {
            print_line(out, &result, wall);
        }
        results.push(result);
    }
    let (passed, failed) = report::totals(&results);
    if format == RunFormat::Json {
        let json: Vec<_> = results.iter().map(|r| r.outcome.summary_json()).collect();
        let _ = writeln!(out, "{}", serde_json::to_string_pretty(&json).unwrap_or_default());
    } else {
        if format == RunFormat::Github {
            let _ = write!(out, "{}", report::github::annotations(&results));
        }
        let _ = writeln!(
            out,
            "{passed} passed, {failed} failed{}",
            if broken > 0 { format!(", {broken} did not load") } else { String::new() }
        );
    }
    if let Some(dir) = &args.report {
        if let Err(e) = report::write_dir(dir, &results) {
            let _ = writeln!(err, "error: cannot write the reports into {}: {e}", dir.display());
            return ExitCode::from(2);
        }
    }
    if let Some(file) = &args.trace {
        let records: Vec<_> = results.iter().filter_map(|r| r.record.clone()).collect();
        if let Err(e) = std::fs::write(file, trace::chrome_trace(&records)) {
            let _ = writeln!(err, "error: cannot write the trace {}: {e}", file.display());
            return ExitCode::from(2);
        }
    }
    if broken > 0 {
        ExitCode::from(2)
    } else if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// The human line of one scenario run.
fn print_line(out: &mut dyn Write, result: &ScenarioResult, wall: std::time::Duration) {
    let outcome = &result.outcome;
    let summary = format!("{} ({} simulated in {:.0?})", report::summary(outcome), outcome.simulated, wall);
    let summary = match &outcome.platform_agent {
        Some(p) => format!("{summary}; platform agent: {}", p.summary()),
        None => summary,
    };
    let label = result.label();
    let file = &result.file;
    let _ = match &result.verdict {
        Verdict::Matches => writeln!(out, "ok      {label}: {summary}"),
        Verdict::NotCompared => writeln!(out, "ran     {label}: {summary}"),
        Verdict::NoSnapshot => writeln!(
            out,
            "NEW     {label}: no snapshot at {} — run `cargo insta test --accept` to pin it",
            snapshot::path_for(file).display()
        ),
        Verdict::Differs(d) => writeln!(out, "DIFFERS {label}: {summary}\n{d}"),
        Verdict::Failed { message, detail } => writeln!(out, "FAILED  {label}: {message}\n{detail}"),
    };
}
