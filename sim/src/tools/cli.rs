//! The `squadsim` command line. The binary is a thin shell around this module.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use squadsim_conformance::exit::ExitStatus;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};

use crate::engine::outcome::{self, Outcome};
use crate::engine::run_record::RunRecord;
use crate::engine::world::RunOptions;
use crate::scenario::{self, Scenario, ScenarioError};
use crate::tools::report::{self, LoadFailure, RunFormat, ScenarioResult, Unchecked, UncheckedKind, Verdict};
use crate::{engine::world, tools::snapshot, tools::trace};

const ABOUT: &str = "Deterministic simulator and conformance harness for AgentSquad.";

/// `squadsim schema --help`'s long text.
const SCHEMA_HELP: &str = "\
Prints the JSON Schema of the scenario format (draft 2020-12) on stdout: the
fields `squadsim run --help` teaches, with their bounds. The corpus carries it as
scenarios/scenario.schema.json, and a test keeps that file equal to this output.
An editor with a YAML language server checks scenarios against it with a first
line of

    # yaml-language-server: $schema=./scenario.schema.json

    squadsim schema > scenarios/scenario.schema.json";

const RUN_HELP: &str = "\
Runs YAML scenarios in the simulated world, checks each outcome against the
invariants its scenario declares (below) and compares it with its snapshot
(scenarios/snapshots/outcome@<file>.snap): matching a snapshot never excuses a
broken declaration.

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

A new scenario's outcome, or an outcome changed on purpose, is pinned by
writing it as the snapshot; review the snapshots' diff before committing:

    squadsim run scenarios/x.yaml --accept     # refused when CI is set

Seed sweeps (`--seeds N` or `--seed-range A..B`) run every scenario under many
seeds with turmoil's random host order and latency jitter on, and check the
outcome invariants each scenario declares (without its snapshot):

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
bar is drawn on a terminal (plain lines when stderr is not one, or with CI set).";

/// Every subcommand's exit statuses: (command, what [`ExitStatus::Passed`] (0),
/// [`ExitStatus::Failed`] (1) and [`ExitStatus::Unusable`] (2) mean for it). `squadsim --help`
/// prints them all, each subcommand's `--help` its own, and the README's table
/// holds the same rows (a test keeps them equal).
pub const EXIT_STATUSES: &[(&str, &str, &str, &str)] = &[
    (
        "run",
        "every scenario was built, ran to its end, held the invariants it declares and matches its snapshot (with `--seed`: ran to its end and held them; with `--accept`: or had its outcome written as its snapshot)",
        "an outcome breaks an invariant its scenario declares (`invariants:`), differs from its snapshot or has none; a run did not finish (its horizon passed) or panicked",
        "a scenario did not load or its world could not be built; bad arguments (`--accept` with CI set); a report, trace or snapshot could not be written",
    ),
    (
        "run --seeds N, --seed-range A..B",
        "every seed of every scenario held its invariants and (unless one shard of several) some seed reached each `sometimes:` probe",
        "a seed broke one (one not built, not finished or panicked always does), or no seed reached a `sometimes:` probe",
        "a scenario did not load; bad arguments (`--seeds 0`, over 1,000,000 items a shard); a results or report file could not be written",
    ),
    (
        "run --check-determinism",
        "every scenario and seed gave the same run record, event for event, in this process and in a fresh one, and reached its end",
        "two processes diverged (the first diverging event is printed), or a run did not reach its end",
        "a scenario did not load or its world could not be built; the fresh process could not be started or failed; bad arguments",
    ),
    (
        "merge-reports",
        "every seed of the whole sweep passed and every `sometimes:` probe was reached by some seed",
        "a seed failed, or no seed of any shard reached a `sometimes:` probe",
        "a file could not be read or is of another format; the files are not shards of one sweep; a shard is missing or given twice; the results do not cover the sweep exactly",
    ),
    (
        "lint",
        "no violations (files a walk could not read are warned about, never called clean)",
        "violations",
        "bad arguments, config, rules or baseline; an I/O error; a file named on the command line could not be checked; nothing was checked (no file under the paths in a lint language, outside the excludes)",
    ),
    (
        "wire",
        "no payload has an error (legacy aliases are notes)",
        "a payload has an error",
        "a file could not be read (missing, or not a regular file) or is not JSON; no input held a payload; bad arguments",
    ),
    ("conform", "every check passed, warned (an unknown blocker code) or was skipped", "a check failed", "bad arguments, or the Studio API did not answer at all"),
    (
        "explain",
        "the run reached its end",
        "the run did not finish or panicked (the story says why)",
        "the scenario did not load or its world could not be built; bad arguments",
    ),
    (
        "serve",
        "stopped by Ctrl-C or SIGTERM",
        "",
        "the scenario did not load, its world could not be built, a port could not be bound, or a host was given two ports",
    ),
    ("schema", "the schema was printed", "", "bad arguments"),
];

/// The exit statuses of the commands whose names start with `command` (all of
/// them for ""), as `--help` prints them.
pub fn exit_help(command: &str) -> String {
    let rows: Vec<_> = EXIT_STATUSES.iter().filter(|(name, ..)| name.starts_with(command)).collect();
    let mut text = String::from("Exit status:\n");
    for (name, ok, failed, unusable) in &rows {
        if rows.len() > 1 {
            text.push_str(&format!("  {name}\n"));
        }
        for (status, meaning) in
            [(ExitStatus::Passed, ok), (ExitStatus::Failed, failed), (ExitStatus::Unusable, unusable)]
        {
            if !meaning.is_empty() {
                text.push_str(&format!("    {}  {meaning}\n", status as u8));
            }
        }
    }
    text
}

#[derive(Parser, Debug)]
#[command(name = "squadsim", version, about = ABOUT, long_about = None, after_help = exit_help(""))]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run scenarios and check their outcomes against snapshots.
    #[command(long_about = RUN_HELP, after_help = exit_help("run"))]
    Run(RunArgs),
    /// Check code, docs and prompts against the delivery language (rules from the seed).
    #[command(long_about = squadsim_conformance::lint::LINT_HELP, after_help = exit_help("lint"))]
    Lint(squadsim_conformance::lint::LintArgs),
    /// Check JSON payloads for legacy wire aliases, disagreeing twins, incomplete handoffs and unknown codes.
    #[command(long_about = squadsim_conformance::wire::WIRE_HELP, after_help = exit_help("wire"))]
    Wire(squadsim_conformance::wire::WireArgs),
    /// Serve the Studio API and every fake on 127.0.0.1 (first stdout line: URLs and credentials).
    #[command(long_about = crate::tools::serve::SERVE_HELP, after_help = exit_help("serve"))]
    Serve(crate::tools::serve::ServeArgs),
    /// Check a running Studio API against the runbook's contract.
    #[command(long_about = crate::tools::conform::CONFORM_HELP, after_help = exit_help("conform"))]
    Conform(crate::tools::conform::ConformArgs),
    /// Print the JSON Schema of the scenario format.
    #[command(long_about = SCHEMA_HELP, after_help = exit_help("schema"))]
    Schema,
    /// Merge the results files of a sharded seed sweep (`run --seeds N --shard I/N --results FILE`).
    #[command(long_about = crate::tools::sweep::MERGE_REPORTS_HELP, after_help = exit_help("merge-reports"))]
    MergeReports(crate::tools::sweep::MergeArgs),
    /// Run one scenario and print its story: the timeline in simulated time, sessions, walls, diagnosis.
    #[command(long_about = crate::tools::explain::EXPLAIN_HELP, after_help = exit_help("explain"))]
    Explain(crate::tools::explain::ExplainArgs),
    /// One run's events and their hash chain as JSON lines (what `run --check-determinism` re-executes).
    #[command(hide = true)]
    RecordEvents(crate::tools::determinism::RecordEventsArgs),
}

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// Scenario files or directories: a directory's own *.yaml and *.yml files, its subdirectories
    /// not searched (a warning names each that holds scenarios) (default: scenarios/).
    pub paths: Vec<PathBuf>,
    /// Run with this seed instead of each scenario's own (snapshots are not compared).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Print the outcomes as JSON (one array) instead of one line per scenario (same as `--format json`):
    /// each entry its outcome's summary, `file`, `verdict` and `passed`; one that did not pass its
    /// `message`; and its `detail` when it has one (each broken invariant, or the snapshot's diff,
    /// or under `--accept` the diff it wrote).
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub sweep: crate::tools::sweep::SweepArgs,
    /// Output format: `human` (one line per scenario), `json`, or `github` (the human lines plus
    /// workflow-command annotations on the failing scenario files).
    #[arg(long, value_enum, default_value_t = RunFormat::Human)]
    pub format: RunFormat,
    /// Write reports into DIR: junit.xml, summary.md (for $GITHUB_STEP_SUMMARY), one HTML page per scenario;
    /// a sweep writes sweep.html and the run reports of its first failing seeds of each scenario.
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,
    /// Write the runs as Chrome trace event JSON (Perfetto, chrome://tracing), in simulated time.
    #[arg(long, value_name = "FILE")]
    pub trace: Option<PathBuf>,
    /// Run each scenario and seed twice, the second time in a fresh process, and compare their run
    /// records event by event (hash chains); a mismatch names the first diverging event. Snapshots
    /// are not compared. With `--seeds N`/`--seed-range A..B`: every seed, on the sweep's network
    /// (with `--swarm`, each under its drawn fault mix).
    #[arg(long, conflicts_with_all = ["report", "trace", "shard", "shrink", "results", "json", "jobs"])]
    pub check_determinism: bool,
    /// Write the outcome of each scenario that has no snapshot or differs from it as its snapshot
    /// (scenarios/snapshots/outcome@<file>.snap), under the scenario's own seed. An outcome that
    /// breaks an invariant, did not finish or panicked is never written. Refused when CI is set: a
    /// gate that accepts its own changes is always green. Review the snapshots' diff before committing.
    #[arg(long, conflicts_with_all = ["seed", "seeds", "seed_range", "shard", "shrink", "results", "jobs", "swarm", "check_determinism"])]
    pub accept: bool,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let status = match cli.command {
        Command::Run(args) => run(&args, &mut stdout.lock(), &mut stderr.lock()),
        Command::Lint(args) => squadsim_conformance::lint::run(&args, &mut stdout.lock(), &mut stderr.lock()),
        Command::Wire(args) => squadsim_conformance::wire::run(&args, &mut stdout.lock(), &mut stderr.lock()),
        Command::Serve(args) => crate::tools::serve::run(&args, &mut stdout.lock(), &mut stderr.lock()),
        Command::Conform(args) => crate::tools::conform::run(&args, &mut stdout.lock(), &mut stderr.lock()),
        Command::MergeReports(args) => {
            crate::tools::sweep::merge_reports(&args, &mut stdout.lock(), &mut stderr.lock())
        }
        Command::Explain(args) => crate::tools::explain::run(&args, &mut stdout.lock(), &mut stderr.lock()),
        Command::RecordEvents(args) => {
            crate::tools::determinism::record_events(&args, &mut stdout.lock(), &mut stderr.lock())
        }
        Command::Schema => {
            let _ = stdout.lock().write_all(scenario::json_schema().as_bytes());
            ExitStatus::Passed
        }
    };
    status.into()
}

/// `squadsim run`.
pub fn run(args: &RunArgs, out: &mut dyn Write, err: &mut dyn Write) -> ExitStatus {
    let roots = if args.paths.is_empty() { vec![PathBuf::from("scenarios")] } else { args.paths.clone() };
    let mut files = Vec::new();
    let mut unsearched = Vec::new();
    for root in &roots {
        unsearched.extend(scenario::unsearched(root).unwrap_or_default());
        match scenario::discover(root) {
            Ok(found) if !found.is_empty() => files.extend(found),
            Ok(_) => {
                let _ = writeln!(err, "error: no scenarios (*.yaml, *.yml) in {}", root.display());
                for dir in &unsearched {
                    let _ = writeln!(err, "  {} holds some: name it (directories are not searched)", dir.display());
                }
                return ExitStatus::Unusable;
            }
            Err(e) => {
                let _ = writeln!(err, "error: cannot read {}: {e}", root.display());
                return ExitStatus::Unusable;
            }
        }
    }
    if args.accept && under_ci() {
        let _ = writeln!(
            err,
            "error: --accept writes snapshots, and CI is set: a gate that accepts its own changes is always green. \
             Accept on your machine, review `git diff` of the snapshots, and commit them (or unset CI to accept here deliberately)"
        );
        return ExitStatus::Unusable;
    }
    let mut unchecked: Vec<Unchecked> = unsearched
        .iter()
        .map(|dir| Unchecked { path: dir.clone(), kind: UncheckedKind::UnsearchedDirectory })
        .collect();
    for u in &unchecked {
        let _ = writeln!(err, "warning: {} {}", u.path.display(), u.kind.message());
    }
    if let Some(message) = misplaced_flag(args) {
        let _ = writeln!(err, "error: {message}");
        return ExitStatus::Unusable;
    }
    if let Err(message) = prepare_outputs(args) {
        let _ = writeln!(err, "error: {message}");
        return ExitStatus::Unusable;
    }
    if args.check_determinism {
        let shape = crate::tools::determinism::Shape {
            jitter: args.sweep.active().then(|| args.sweep.jitter()),
            swarm: args.sweep.swarm,
        };
        return crate::tools::determinism::run(
            &files,
            args.seed.map(|s| s..=s).or(args.sweep.seeds()),
            shape,
            &unchecked,
            out,
            err,
        );
    }
    if args.sweep.active() {
        let format = if args.json { RunFormat::Json } else { args.format };
        return crate::tools::sweep::run(&files, &args.sweep, format, args.report.as_deref(), &unchecked, out, err);
    }
    // A snapshot whose scenario is gone pins an outcome no scenario checks any more.
    let orphans: Vec<PathBuf> = roots.iter().filter(|r| r.is_dir()).flat_map(|r| snapshot::orphans(r)).collect();
    for snap in &orphans {
        let _ = writeln!(err, "warning: {} {}", snap.display(), UncheckedKind::OrphanedSnapshot.message());
    }
    unchecked
        .extend(orphans.iter().map(|snap| Unchecked { path: snap.clone(), kind: UncheckedKind::OrphanedSnapshot }));
    let status = run_files(&files, args, &unchecked, out, err, &Scenario::load, &simulate);
    if !(args.json || args.format == RunFormat::Json) {
        if args.format == RunFormat::Github {
            let _ = write!(out, "{}", report::github::unchecked_warnings(&unchecked));
        }
        let _ = write!(out, "{}", report::not_checked_totals(&unchecked));
    }
    status
}

/// A flag given where it means nothing: `--trace` with a sweep, a sweep's
/// flag without one (`--check-determinism` takes only `--jitter` and `--swarm` of them, with
/// a sweep; clap refuses the others).
fn misplaced_flag(args: &RunArgs) -> Option<String> {
    if args.sweep.active() {
        return args.trace.is_some().then(|| {
            "--trace records one run per scenario, not a sweep: rerun one seed with --seed N --trace FILE".to_string()
        });
    }
    // Taken without a sweep, each would change nothing and the run would read as if it had:
    // a plain run passing under `--swarm` is not a swarm that passed.
    let sweep_only = [
        ("--shard", args.sweep.shard.is_some()),
        ("--jobs", args.sweep.jobs.is_some()),
        ("--shrink", args.sweep.shrink),
        ("--results", args.sweep.results.is_some()),
        ("--swarm", args.sweep.swarm),
        ("--jitter", args.sweep.jitter.is_some()),
    ];
    let (flag, _) = sweep_only.iter().find(|(_, given)| *given)?;
    Some(format!("{flag} belongs to a seed sweep: add --seeds N or --seed-range A..B"))
}

/// Makes sure, before anything runs, that what the run writes can be written
/// where it was asked to: the reports directory is created, and so is the
/// directory of the results and trace files; a file that is a directory, or
/// one there that cannot be opened for writing, is refused. A sweep that could
/// only end in "cannot write" fails at once, not after its whole length. Writes
/// nothing into a file.
fn prepare_outputs(args: &RunArgs) -> Result<(), String> {
    if let Some(dir) = &args.report {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot write the reports into {}: {e}", dir.display()))?;
    }
    for file in [args.sweep.results.as_ref(), args.trace.as_ref()].into_iter().flatten() {
        let refused = |e: std::io::Error| format!("cannot write {}: {e}", file.display());
        if file.is_dir() {
            return Err(format!("cannot write {}: it is a directory", file.display()));
        }
        if let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(refused)?;
        }
        if file.exists() {
            std::fs::OpenOptions::new().append(true).open(file).map_err(refused)?;
        }
    }
    Ok(())
}

/// Whether this runs in CI, as insta tells (`CI` set, to anything but `false` or
/// `0`): `--accept` is refused there, and a sweep draws no progress bar.
pub(crate) fn under_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// A simulation: the outcome of `scenario`, and with `recording` its run record.
type Simulate = dyn Fn(&Scenario, bool) -> (Outcome, Option<RunRecord>);
/// A loader: the scenario in a file, or the loader's error (file, line, field, expectation).
type Load<'a> = dyn Fn(&Path) -> Result<Scenario, ScenarioError> + 'a;

/// The world's simulation, as `squadsim run` runs it.
fn simulate(scenario: &Scenario, recording: bool) -> (Outcome, Option<RunRecord>) {
    let run = world::run(scenario, RunOptions { record: recording, ..RunOptions::default() });
    (run.outcome, run.record)
}

/// Loads and runs one scenario file, isolated: a panic while loading is a
/// [`LoadFailure`], one while simulating is this scenario's failed run (its
/// name and the panic's message); either way the caller goes on with the next.
fn run_isolated(
    file: &Path,
    seed: Option<u64>,
    recording: bool,
    load: &Load<'_>,
    simulate: &Simulate,
) -> Result<(ScenarioResult, Duration), LoadFailure> {
    let mut scenario = match world::catch_panic(|| load(file)) {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return Err(LoadFailure { file: file.to_path_buf(), message: e.to_string() }),
        Err(panicked) => {
            let message = format!("{}: the loader {panicked}", file.display());
            return Err(LoadFailure { file: file.to_path_buf(), message });
        }
    };
    if let Some(seed) = seed {
        scenario.seed = seed;
    }
    let started = Instant::now();
    let ran = world::catch_panic(|| simulate(&scenario, recording));
    let wall = started.elapsed();
    let (outcome, record) = ran.unwrap_or_else(|panicked| (outcome::nothing_ran(&scenario, panicked), None));
    let verdict = report::verdict(file, &outcome, scenario.invariants.as_ref(), seed.is_none());
    Ok((ScenarioResult { file: file.to_path_buf(), outcome, verdict, record }, wall))
}

/// `squadsim run` over `files`, loading with `load` and simulating with
/// `simulate`. Exit 2 when a scenario did not load or its world could not be
/// built (or, with `--accept`, a snapshot could not be written), else 1 when
/// any run failed (differs, no snapshot, did not finish, panicked), else 0.
fn run_files(
    files: &[PathBuf],
    args: &RunArgs,
    unchecked: &[Unchecked],
    out: &mut dyn Write,
    err: &mut dyn Write,
    load: &Load<'_>,
    simulate: &Simulate,
) -> ExitStatus {
    let format = if args.json { RunFormat::Json } else { args.format };
    let recording = args.report.is_some() || args.trace.is_some();
    let mut unloaded = Vec::new();
    let mut results = Vec::new();
    let mut unwritten = 0;
    for file in files {
        match run_isolated(file, args.seed, recording, load, simulate) {
            Ok((mut result, wall)) => {
                if let Verdict::NotBuilt(message) = &result.verdict {
                    let _ = writeln!(err, "error: {}: {message}", file.display());
                }
                if args.accept {
                    if let Err(e) = accept(&mut result) {
                        let _ = writeln!(err, "error: cannot write the snapshot of {}: {e}", file.display());
                        unwritten += 1;
                    }
                }
                if format != RunFormat::Json {
                    print_line(out, &result, wall);
                }
                results.push(result);
            }
            Err(failure) => {
                let _ = writeln!(err, "error: {}", failure.message);
                unloaded.push(failure);
            }
        }
    }
    let (passed, failed) = report::totals(&results);
    let not_built = results.iter().filter(|r| matches!(r.verdict, Verdict::NotBuilt(_))).count();
    if format == RunFormat::Json {
        let mut json: Vec<_> = results.iter().map(ScenarioResult::to_json).collect();
        json.extend(unloaded.iter().map(|u| {
            serde_json::json!({"file": u.file.display().to_string(), "verdict": "did_not_load", "passed": false, "message": u.message})
        }));
        json.extend(unchecked.iter().map(Unchecked::to_json));
        let _ = writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&json).expect("the outcomes' JSON is plain data: it always serializes")
        );
    } else {
        if format == RunFormat::Github {
            let _ = write!(out, "{}", report::github::annotations(&results, &unloaded));
        }
        let mut totals = format!("{passed} passed, {failed} failed");
        let not_compared = results.iter().filter(|r| matches!(r.verdict, Verdict::NotCompared)).count();
        if not_compared > 0 {
            // `--seed`: what passed held its invariants; no outcome was held against a snapshot.
            totals.push_str(&format!(
                " ({not_compared} under another seed than their own: not compared with their snapshots)"
            ));
        }
        if not_built > 0 {
            totals.push_str(&format!(" ({not_built} could not be built)"));
        }
        if !unloaded.is_empty() {
            totals.push_str(&format!(", {} did not load", unloaded.len()));
        }
        let _ = writeln!(out, "{totals}");
    }
    let accepted = results.iter().filter(|r| matches!(r.verdict, Verdict::Accepted { .. })).count();
    if accepted > 0 {
        let _ = writeln!(err, "{accepted} snapshot(s) written: review their diff before committing them");
    } else if results.iter().any(|r| matches!(r.verdict, Verdict::NoSnapshot | Verdict::Differs(_))) {
        let _ = writeln!(
            err,
            "hint: if these outcomes are the intended ones, `squadsim run --accept` with the same paths writes them \
             as the snapshots (review their diff before committing)"
        );
    }
    if let Some(dir) = &args.report {
        if let Err(e) = report::write_dir(dir, &results, &unloaded, unchecked) {
            let _ = writeln!(err, "error: cannot write the reports into {}: {e}", dir.display());
            return ExitStatus::Unusable;
        }
    }
    if let Some(file) = &args.trace {
        let records: Vec<_> = results.iter().filter_map(|r| r.record.clone()).collect();
        if let Err(e) = std::fs::write(file, trace::chrome_trace(&records)) {
            let _ = writeln!(err, "error: cannot write the trace {}: {e}", file.display());
            return ExitStatus::Unusable;
        }
    }
    if !unloaded.is_empty() || not_built > 0 || unwritten > 0 {
        ExitStatus::Unusable
    } else {
        ExitStatus::of_failures(failed)
    }
}

/// `--accept`: writes the outcome of `result` as its scenario's snapshot when
/// it has none or differs from it, and marks it accepted. Any other verdict
/// (matches, or failed before the snapshot was compared) is left as it is.
fn accept(result: &mut ScenarioResult) -> std::io::Result<()> {
    let diff = match &result.verdict {
        Verdict::NoSnapshot => None,
        Verdict::Differs(diff) => Some(diff.clone()),
        _ => return Ok(()),
    };
    snapshot::write(&result.file, &result.outcome.to_yaml())?;
    result.verdict = Verdict::Accepted { diff };
    Ok(())
}

/// The human line of one scenario run.
fn print_line(out: &mut dyn Write, result: &ScenarioResult, wall: Duration) {
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
            "NEW     {label}: {summary}; no snapshot at {}: `squadsim run --accept {}` writes it",
            snapshot::path_for(file).display(),
            file.display()
        ),
        Verdict::Differs(d) => writeln!(out, "DIFFERS {label}: {summary}\n{d}"),
        Verdict::Accepted { diff: None } => {
            writeln!(out, "WROTE   {label}: {summary}; new snapshot {}", snapshot::path_for(file).display())
        }
        Verdict::Accepted { diff: Some(d) } => {
            writeln!(out, "WROTE   {label}: {summary}; snapshot {} rewritten:\n{d}", snapshot::path_for(file).display())
        }
        Verdict::NotBuilt(message) => writeln!(out, "FAILED  {label}: {message}"),
        Verdict::Failed { message, detail } if detail.is_empty() => writeln!(out, "FAILED  {label}: {message}"),
        Verdict::Failed { message, detail } => writeln!(out, "FAILED  {label}: {message}\n{detail}"),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corpus(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios").join(name)
    }

    fn args(seed: Option<u64>, format: RunFormat) -> RunArgs {
        let Command::Run(mut args) = Cli::parse_from(["squadsim", "run"]).command else {
            panic!("`squadsim run` parses as the run command")
        };
        args.seed = seed;
        args.format = format;
        args
    }

    fn run_with(
        files: &[PathBuf],
        args: &RunArgs,
        load: &Load<'_>,
        simulate: &Simulate,
    ) -> (ExitStatus, String, String) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = run_files(files, args, &[], &mut out, &mut err, load, simulate);
        (code, String::from_utf8_lossy(&out).into_owned(), String::from_utf8_lossy(&err).into_owned())
    }

    fn load(file: &Path) -> Result<Scenario, ScenarioError> {
        Scenario::load(file)
    }

    #[test]
    fn each_help_lists_its_exit_statuses_naming_the_commands_only_when_it_lists_several() {
        // One command: its statuses alone, none it does not have (`schema` never fails with 1).
        assert_eq!(exit_help("schema"), "Exit status:\n    0  the schema was printed\n    2  bad arguments\n");
        let lint = exit_help("lint");
        assert!(lint.starts_with("Exit status:\n    0  no violations (files"), "{lint}");
        assert!(lint.contains("\n    1  violations\n    2  bad arguments,") && !lint.contains("  lint\n"), "{lint}");
        // Several: each under its name (`run` has three ways to run), and `squadsim --help` every one.
        let run = exit_help("run");
        assert!(run.starts_with("Exit status:\n  run\n    0  every scenario was built"), "{run}");
        assert!(run.contains("\n  run --check-determinism\n    0  ") && !run.contains("  lint\n"), "{run}");
        let all = exit_help("");
        for (name, ..) in EXIT_STATUSES {
            assert_eq!(all.matches(&format!("\n  {name}\n    0  ")).count(), 1, "{name}: {all}");
        }
    }

    #[test]
    fn a_scenario_that_panics_fails_alone_and_the_others_still_run_and_report() {
        let files = [corpus("operator-not-super-admin.yaml"), corpus("wrong-project-slug.yaml")];
        // The first scenario panics inside a turmoil simulation, as a host would; the next
        // one runs a real world on the same thread after it.
        let panicking = |scenario: &Scenario, recording: bool| {
            if scenario.name == "operator-not-super-admin" {
                let name = scenario.name.clone();
                let mut sim = turmoil::Builder::new().rng_seed(1).build();
                sim.client("host", async move { panic!("boom in {name}") });
                let _ = sim.run();
            }
            simulate(scenario, recording)
        };
        let (code, out, _) = run_with(&files, &args(None, RunFormat::Human), &load, &panicking);
        assert_eq!(code, ExitStatus::Failed, "{out}");
        assert!(
            out.contains("FAILED  operator-not-super-admin (seed 3): panicked: boom in operator-not-super-admin"),
            "{out}"
        );
        assert!(out.contains("ok      wrong-project-slug (seed 7): "), "the next scenario still ran: {out}");
        assert!(out.ends_with("1 passed, 1 failed\n"), "{out}");
        // A failure with no detail is one line: the next scenario's line follows it, no blank line between.
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines[0].starts_with("FAILED  ") && lines[1].starts_with("ok      wrong-project-slug"), "{out}");

        let (code, out, _) = run_with(&files, &args(None, RunFormat::Json), &load, &panicking);
        assert_eq!(code, ExitStatus::Failed);
        let json: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(json[0]["verdict"], "failed");
        assert!(json[0]["message"].as_str().unwrap().starts_with("panicked: boom in operator-not-super-admin"));
        assert_eq!(json[1]["passed"], true);
    }

    #[test]
    fn passing_under_another_seed_says_no_snapshot_was_compared() {
        let files = [corpus("wrong-project-slug.yaml")];
        let (code, out, _) = run_with(&files, &args(Some(5), RunFormat::Human), &load, &simulate);
        assert_eq!(code, ExitStatus::Passed, "{out}");
        assert!(out.starts_with("ran     wrong-project-slug (seed 5): "), "{out}");
        assert!(
            out.ends_with(
                "1 passed, 0 failed (1 under another seed than their own: not compared with their snapshots)\n"
            ),
            "{out}"
        );
        let (_, out, _) = run_with(&files, &args(None, RunFormat::Human), &load, &simulate);
        assert!(out.ends_with("1 passed, 0 failed\n"), "under its own seed it was compared: {out}");
    }

    #[test]
    fn a_loader_that_panics_is_a_scenario_that_did_not_load() {
        let files = [corpus("operator-not-super-admin.yaml"), corpus("wrong-project-slug.yaml")];
        let loader = |file: &Path| -> Result<Scenario, ScenarioError> {
            if file.ends_with("operator-not-super-admin.yaml") {
                panic!("loader bug");
            }
            load(file)
        };
        let (code, out, err) = run_with(&files, &args(None, RunFormat::Human), &loader, &simulate);
        assert_eq!(code, ExitStatus::Unusable);
        assert!(err.contains("operator-not-super-admin.yaml: the loader panicked: loader bug"), "{err}");
        assert!(out.ends_with("1 passed, 0 failed, 1 did not load\n"), "{out}");
    }

    /// A world no fake can be built for: a project whose slug GitHub refuses
    /// (the loader refuses it too; this goes around the loader to the world).
    fn unbuildable(file: &Path) -> Result<Scenario, ScenarioError> {
        let mut s = load(file)?;
        if let Some(p) = s.world.projects.first_mut() {
            p.slug = String::new();
        }
        Ok(s)
    }

    #[test]
    fn a_world_that_cannot_be_built_is_exit_2_in_every_format_and_never_green() {
        let files = [corpus("happy-intake.yaml")];
        for (seed, format) in [(None, RunFormat::Human), (Some(5), RunFormat::Human), (None, RunFormat::Github)] {
            let (code, out, err) = run_with(&files, &args(seed, format), &unbuildable, &simulate);
            assert_eq!(code, ExitStatus::Unusable, "{out}");
            assert!(err.contains("happy-intake.yaml: the world could not be built: "), "{err}");
            assert!(out.contains("FAILED  happy-intake (seed "), "{out}");
            assert!(out.ends_with("0 passed, 1 failed (1 could not be built)\n"), "{out}");
            if format == RunFormat::Github {
                assert!(out.contains("::error file="), "{out}");
            }
        }
        let (code, out, _) = run_with(&files, &args(Some(5), RunFormat::Json), &unbuildable, &simulate);
        assert_eq!(code, ExitStatus::Unusable);
        let json: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!((json[0]["verdict"].as_str(), json[0]["passed"].as_bool()), (Some("not_built"), Some(false)));
    }
}
