//! `squadsim run --report DIR`: what a run writes for people and CI to read.
//!
//! - `junit.xml` ([`junit`]): one testcase per scenario and seed, the snapshot
//!   diff in the failure body (the shape cargo-nextest emits);
//! - `summary.md` ([`markdown`]): a Markdown summary for `$GITHUB_STEP_SUMMARY`;
//! - `<scenario file stem>.seed-<N>.html` ([`html`], named by [`page_names`]): one self-contained page per
//!   scenario run (what happened, diagnosis, sequence diagram, outcome, diff);
//! - `sweep.html` ([`sweep_html`], seed sweeps only): verdicts per scenario,
//!   histograms, coverage, failing seeds linked to their run reports;
//! - GitHub workflow-command annotations ([`github`]) are printed by
//!   `--format github`, not written.
//!
//! Guarantees: every writer is a pure function of the [`ScenarioResult`]s (and
//! their run records): no wall clock, no host name, the same runs give
//! byte-identical files. Every text that comes from a scenario or a payload is
//! escaped for the format it lands in.

pub(crate) mod github;
pub(crate) mod html;
pub(crate) mod junit;
pub(crate) mod markdown;
pub mod sweep;
pub(crate) mod sweep_html;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use squadsim_conformance::vocabulary::BlockerCode;

use crate::engine::invariants::BrokenInvariant;
use crate::engine::outcome::Outcome;
use crate::engine::outcome::RunError;
use crate::engine::run_record::RunRecord;
use crate::scenario::Invariants;
use crate::tools::snapshot;

/// What `squadsim run` prints.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunFormat {
    Human,
    Json,
    Github,
}

/// How one scenario run fared.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// The outcome matches its snapshot.
    Matches,
    /// Run under another seed than its own: not compared with the snapshot.
    NotCompared,
    /// There is no snapshot to compare with.
    NoSnapshot,
    /// The outcome differs from its snapshot: the unified diff.
    Differs(String),
    /// `run --accept`: the outcome had no snapshot (`diff` is `None`) or differed
    /// from it (`diff` from the old snapshot to the outcome), and was written
    /// as its snapshot. Only an outcome that passed every other check is.
    Accepted { diff: Option<String> },
    /// The world could not be built: nothing ran (exit 2, as a scenario that did not load).
    NotBuilt(String),
    /// Failed for another reason (the run did not finish, it panicked, a sweep's
    /// invariant broke): a one-line message and the details.
    Failed { message: String, detail: String },
}

impl Verdict {
    pub fn passed(&self) -> bool {
        matches!(self, Verdict::Matches | Verdict::NotCompared | Verdict::Accepted { .. })
    }

    /// One line saying what went wrong (empty when it passed).
    pub fn message(&self, file: &Path) -> String {
        match self {
            Verdict::Matches | Verdict::NotCompared | Verdict::Accepted { .. } => String::new(),
            Verdict::NoSnapshot => format!("no snapshot at {}", snapshot::path_for(file).display()),
            Verdict::Differs(_) => {
                format!("the outcome differs from its snapshot {}", snapshot::path_for(file).display())
            }
            Verdict::NotBuilt(message) | Verdict::Failed { message, .. } => message.clone(),
        }
    }

    /// The verdict's name in `--json` (`matches`, `not_compared`, `no_snapshot`,
    /// `differs`, `accepted`, `not_built`, `failed`).
    pub fn name(&self) -> &'static str {
        match self {
            Verdict::Matches => "matches",
            Verdict::NotCompared => "not_compared",
            Verdict::NoSnapshot => "no_snapshot",
            Verdict::Differs(_) => "differs",
            Verdict::Accepted { .. } => "accepted",
            Verdict::NotBuilt(_) => "not_built",
            Verdict::Failed { .. } => "failed",
        }
    }

    /// The details of a failure: the snapshot diff, or the failure's details;
    /// of an accepted outcome, the diff from the snapshot it replaced.
    pub fn detail(&self) -> &str {
        match self {
            Verdict::Differs(diff) | Verdict::Accepted { diff: Some(diff) } => diff,
            Verdict::Failed { detail, .. } => detail,
            _ => "",
        }
    }
}

/// A scenario file that did not load (or whose loading panicked): no run, exit 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadFailure {
    /// The scenario file, as given on the command line.
    pub file: PathBuf,
    /// What the loader said (file, line, field and what was expected).
    pub message: String,
}

/// An input the run did not check, said in every report as on the terminal: a
/// skipped input is never clean.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Unchecked {
    pub path: PathBuf,
    pub kind: UncheckedKind,
}

/// Why an input was not checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UncheckedKind {
    /// A subdirectory holding scenarios: directories are not searched.
    UnsearchedDirectory,
    /// A snapshot whose scenario file is not there (removed or renamed).
    OrphanedSnapshot,
}

impl UncheckedKind {
    /// A short title (annotations, report rows).
    pub fn title(self) -> &'static str {
        match self {
            UncheckedKind::UnsearchedDirectory => "scenarios not run",
            UncheckedKind::OrphanedSnapshot => "snapshot without its scenario",
        }
    }

    /// What it means and what to do.
    pub fn message(self) -> &'static str {
        match self {
            UncheckedKind::UnsearchedDirectory => {
                "holds scenarios that are not run: directories are not searched, name it to run them"
            }
            UncheckedKind::OrphanedSnapshot => {
                "pins the outcome of a scenario that is not there (removed or renamed): restore the scenario, or \
                 delete the snapshot in the same change"
            }
        }
    }
}

impl Unchecked {
    /// The JSON entry of `run --json` for this input: beside the scenarios' entries, with
    /// `"verdict": "not_checked"` and `"passed": false` (nothing in it was checked), so a
    /// reader of the JSON alone never takes a skipped input for a clean one.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "file": self.path.display().to_string(),
            "verdict": "not_checked",
            "passed": false,
            "kind": self.kind,
            "message": self.kind.message(),
        })
    }
}

/// The closing lines of a human or GitHub-format run or sweep for its inputs not
/// checked, by kind (each input's own warning went to stderr before): empty when
/// every input was checked.
pub fn not_checked_totals(unchecked: &[Unchecked]) -> String {
    let count = |kind| unchecked.iter().filter(|u| u.kind == kind).count();
    let mut lines = String::new();
    match count(UncheckedKind::UnsearchedDirectory) {
        0 => {}
        n => lines.push_str(&format!("not run: the scenarios of {n} unsearched directory(ies) (see the warnings)\n")),
    }
    match count(UncheckedKind::OrphanedSnapshot) {
        0 => {}
        n => lines.push_str(&format!("not checked: {n} snapshot(s) without their scenario (see the warnings)\n")),
    }
    lines
}

/// One scenario run under one seed: what every report is written from.
#[derive(Debug, Clone)]
pub struct ScenarioResult {
    /// The scenario file, as given on the command line.
    pub file: PathBuf,
    pub outcome: Outcome,
    pub verdict: Verdict,
    /// What happened on the way (for the HTML report), when the run was recorded.
    pub record: Option<RunRecord>,
}

impl ScenarioResult {
    /// `<scenario> (seed N)`: how every report names this run, the name printed
    /// escaped (a scenario's name is its author's text: no control character or
    /// ANSI escape reaches a terminal through it).
    pub fn label(&self) -> String {
        format!("{} (seed {})", crate::scenario::escape(&self.outcome.scenario), self.outcome.seed)
    }

    /// `squadsim run --json`'s entry: the outcome's summary with the file and the verdict;
    /// one that did not pass has its `message`, and its `detail` when it has one (each
    /// broken invariant a line, or the snapshot's diff); an accepted one the diff it wrote.
    pub fn to_json(&self) -> serde_json::Value {
        let mut entry = self.outcome.summary_json();
        if let serde_json::Value::Object(map) = &mut entry {
            map.insert("file".into(), self.file.display().to_string().into());
            map.insert("verdict".into(), self.verdict.name().into());
            map.insert("passed".into(), self.verdict.passed().into());
            if !self.verdict.passed() {
                map.insert("message".into(), self.verdict.message(&self.file).into());
            }
            // What the human line prints under it: each broken invariant, or the snapshot's diff.
            let detail = self.verdict.detail();
            if !detail.is_empty() {
                map.insert("detail".into(), detail.into());
            }
        }
        entry
    }
}

/// The one-line summary of an outcome: run status, launch status, blockers
/// (model-defined ones marked so), the walls sessions stand at when there are any,
/// for a run blocked with no session blocked, its delivery graph's reason, and how
/// many declared faults never began.
pub fn summary(outcome: &Outcome) -> String {
    let blockers: Vec<String> =
        outcome.blockers().into_iter().map(|b| BlockerCode::parse(&b).map(BlockerCode::label).unwrap_or(b)).collect();
    let standing = outcome.standing_walls();
    let graph = match &outcome.run {
        Some(run) if run.status == "blocked" && !outcome.sessions.iter().any(|s| s.live_status == "blocked") => {
            format!(", delivery graph {}", run.delivery_graph)
        }
        _ => String::new(),
    };
    let never_began = match outcome.faults_never_began.len() {
        0 => String::new(),
        n => format!(", {n} declared fault(s) never began"),
    };
    format!(
        "run {}, launch {}, blockers: {}{}{graph}{never_began}",
        run_status(outcome),
        outcome.launch_label(),
        if blockers.is_empty() { "none".to_string() } else { blockers.join(", ") },
        if standing.is_empty() { String::new() } else { format!(", standing at: {}", standing.join(", ")) },
    )
}

/// The run's status, or `not launched`.
pub fn run_status(outcome: &Outcome) -> &str {
    outcome.run.as_ref().map(|r| r.status.as_str()).unwrap_or("not launched")
}

/// `N passed, N failed`.
pub fn totals(results: &[ScenarioResult]) -> (usize, usize) {
    let passed = results.iter().filter(|r| r.verdict.passed()).count();
    (passed, results.len() - passed)
}

/// The verdict on one run of the scenario `file`: a run that did not reach its
/// end fails whatever its snapshot says (one whose world could not be built is
/// [`Verdict::NotBuilt`]); then the [built-in invariants](crate::engine::invariants::built_in)
/// (an outcome that reports success that did not happen never passes); then the
/// invariants its scenario declares (`declared`, checked as a seed sweep checks
/// them, under any seed: a run that matches its snapshot but contradicts its
/// own declaration never passes, and the failure carries the snapshot's diff
/// too when there is one); then, when `compared` (run under its own seed), the
/// comparison with its snapshot.
pub fn verdict(file: &Path, outcome: &Outcome, declared: Option<&Invariants>, compared: bool) -> Verdict {
    match &outcome.error {
        Some(e @ RunError::NotBuilt(_)) => return Verdict::NotBuilt(e.to_string()),
        Some(e) => return Verdict::Failed { message: e.to_string(), detail: String::new() },
        None => {}
    }
    let broken = crate::engine::invariants::built_in(outcome);
    if !broken.is_empty() {
        return breaks(format!("the outcome breaks {} built-in invariant(s)", broken.len()), &broken, None);
    }
    let compared = if compared { compare(file, outcome) } else { Verdict::NotCompared };
    // The built-in ones hold (above): all `check` still finds is declared.
    let broken = declared.map(|d| d.check(outcome)).unwrap_or_default();
    if broken.is_empty() {
        return compared;
    }
    let message = format!("the outcome breaks {} invariant(s) its scenario declares (`invariants:`)", broken.len());
    match compared {
        Verdict::Differs(diff) => breaks(message, &broken, Some(&diff)),
        _ => breaks(message, &broken, None),
    }
}

/// A failed verdict listing `broken` (field, expected, observed), one a line,
/// then `diff` when the outcome also differs from its snapshot.
fn breaks(message: String, broken: &[BrokenInvariant], diff: Option<&str>) -> Verdict {
    let mut lines: Vec<String> = broken.iter().map(ToString::to_string).collect();
    lines.extend(diff.map(|d| format!("and the outcome differs from its snapshot:\n{d}")));
    Verdict::Failed { message, detail: lines.join("\n") }
}

/// How `outcome` compares with the snapshot of the scenario `file`.
pub fn compare(file: &Path, outcome: &Outcome) -> Verdict {
    let path = snapshot::path_for(file);
    match snapshot::read(&path) {
        Ok(None) => Verdict::NoSnapshot,
        Ok(Some(expected)) => match snapshot::diff(&expected, &outcome.to_yaml()) {
            None => Verdict::Matches,
            Some(d) => Verdict::Differs(d),
        },
        Err(e) => Verdict::Failed {
            message: format!("cannot read the snapshot {}: {e}", path.display()),
            detail: String::new(),
        },
    }
}

/// Writes `junit.xml`, `summary.md` and one HTML page per recorded run into
/// `dir` (created if missing); returns the paths written. The scenario files
/// that did not load are failing test cases and rows too; the inputs not
/// checked are skipped test cases and warnings.
pub fn write_dir(
    dir: &Path,
    results: &[ScenarioResult],
    unloaded: &[LoadFailure],
    unchecked: &[Unchecked],
) -> std::io::Result<Vec<PathBuf>> {
    let (pages, _) = run_pages(results);
    let files = [
        ("junit.xml".to_string(), junit::to_xml(results, unloaded, unchecked)),
        ("summary.md".to_string(), markdown::summary(results, unloaded, unchecked)),
    ];
    write_files(dir, files.into_iter().chain(pages))
}

/// Writes a seed sweep's reports into `dir` (created if missing): `junit.xml`
/// (one testcase per scenario and seed), `summary.md`, `sweep.html`, and the
/// HTML run report of each run in `runs` (failing seeds run again, recorded),
/// which `sweep.html` links to.
pub fn write_sweep_dir(
    dir: &Path,
    sweep: &sweep::SweepResults,
    runs: &[ScenarioResult],
) -> std::io::Result<Vec<PathBuf>> {
    let (pages, linked) = run_pages(runs);
    let files = [
        ("junit.xml".to_string(), junit::sweep_to_xml(sweep)),
        ("summary.md".to_string(), markdown::sweep_summary(sweep)),
        ("sweep.html".to_string(), sweep_html::page(sweep, &linked)),
    ];
    write_files(dir, files.into_iter().chain(pages))
}

/// The HTML run report of each recorded run (file name, page) and the file
/// name of each by (scenario file, seed), for linking.
fn run_pages(runs: &[ScenarioResult]) -> (Vec<(String, String)>, PageNames) {
    let recorded: Vec<(&ScenarioResult, &RunRecord)> =
        runs.iter().filter_map(|r| r.record.as_ref().map(|record| (r, record))).collect();
    let names = page_names(recorded.iter().map(|(r, _)| (r.file.as_path(), r.outcome.seed)));
    let pages = recorded
        .iter()
        .map(|(r, record)| (names[&(r.file.display().to_string(), r.outcome.seed)].clone(), html::page(r, record)));
    (pages.collect(), names)
}

/// Run reports' file names by (scenario file as given, seed).
pub(crate) type PageNames = BTreeMap<(String, u64), String>;

/// The file name of each run report in one reports directory, by (scenario
/// file, seed): `<file stem>.seed-<N>.html`; a scenario file whose stem an
/// earlier file took (the same name in another directory) gets the first free
/// of `<file stem>-2`, `-3`, ... in the order the files come, so no report
/// overwrites another.
pub(crate) fn page_names<'a>(runs: impl IntoIterator<Item = (&'a Path, u64)>) -> PageNames {
    let mut bases: BTreeMap<String, String> = BTreeMap::new();
    let mut taken: BTreeSet<String> = BTreeSet::new();
    let mut names = BTreeMap::new();
    for (file, seed) in runs {
        let key = file.display().to_string();
        let base = bases.entry(key.clone()).or_insert_with(|| {
            let stem = file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            let mut free = (1..).map(|n| if n == 1 { stem.clone() } else { format!("{stem}-{n}") });
            let base = free.find(|b| !taken.contains(b)).expect("an unbounded sequence has a free name");
            taken.insert(base.clone());
            base
        });
        names.insert((key, seed), format!("{base}.seed-{seed}.html"));
    }
    names
}

fn write_files(dir: &Path, files: impl IntoIterator<Item = (String, String)>) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::write(&path, text)?;
        written.push(path);
    }
    Ok(written)
}
