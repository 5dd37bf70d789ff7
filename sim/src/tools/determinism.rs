//! `squadsim run --check-determinism`: every scenario and seed runs twice, the
//! first time in this process and the second in a fresh one (this binary,
//! re-executed with the hidden `record-events` command), each hashing its run
//! record event by event as it goes; the two hash chains must be equal.
//!
//! A run's events are its record's HTTP exchanges, attempts and sessions,
//! faults, blockers, walls, handoffs, run-control events and refused tool
//! calls, and the cluster's Warning events, merged in
//! simulated-time order, followed by its outcome (the snapshot's YAML), one
//! line an event. On a mismatch the first diverging event is named: its index,
//! simulated time, host (or agent lane) and what each process saw there.
//!
//! Guarantees: a pass means both processes produced the same event sequence
//! (same hash after every event, and the same count); a fresh process that
//! could not be started, crashed, or printed an incomplete stream is a failure,
//! never a pass; a scenario that did not load or whose world could not be built
//! makes the check unusable (exit 2), and a run that did not reach its end fails
//! it (exit 1) even when both processes agree.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use squadsim_conformance::exit::ExitStatus;

use crate::base::clock::seconds_label;
use crate::engine::outcome::{self, Outcome, RunError};
use crate::engine::run_record::{Gathered, RunRecord};
use crate::engine::world::{self, Network, RunOptions};
use crate::scenario::{Scenario, SimDuration};
use crate::tools::report::Unchecked;

/// One event of a run, as both processes print and hash it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Event {
    /// Simulated milliseconds since the start of the run.
    pub(crate) at_ms: u64,
    /// The host (or the agent's lane) it happened on; `outcome` for the outcome's lines.
    pub(crate) host: String,
    pub(crate) what: String,
}

impl std::fmt::Display for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let at = seconds_label(Duration::from_millis(self.at_ms));
        write!(f, "at {at} on {}: {}", self.host, self.what)
    }
}

/// The events of one run: its record in simulated-time order (exchanges at
/// the moment they left, spans at their start, marks when they happened; one
/// instant keeps the record's order), then the outcome's YAML lines.
pub(crate) fn events(outcome: &Outcome, record: &RunRecord) -> Vec<Event> {
    let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    let mut timed: Vec<Event> = Vec::new();
    for c in &record.calls {
        let status = c.status.map_or_else(|| "000".to_string(), |s| s.to_string());
        let what = format!("{} {}{} -> {status} at {} ({})", c.method, c.to, c.path, seconds_label(c.end), c.digest);
        timed.push(Event { at_ms: ms(c.start), host: c.from.clone(), what });
    }
    for s in &record.spans {
        let what = format!("{} until {}", s.label, seconds_label(s.end));
        timed.push(Event { at_ms: ms(s.start), host: s.lane.clone(), what });
    }
    for m in &record.marks {
        let to = m.to.as_ref().map(|t| format!(" -> {t}")).unwrap_or_default();
        timed.push(Event {
            at_ms: ms(m.at),
            host: m.lane.clone(),
            what: format!("{} {}{to}", m.kind.as_str(), m.label),
        });
    }
    // The cluster's Warning events (the HTML report draws them): a count or a time that moved is a divergence.
    for w in &record.warnings {
        timed.push(Event { at_ms: ms(w.first), host: "cluster".into(), what: format!("warning {w}") });
    }
    timed.sort_by_key(|e| e.at_ms);
    let end = ms(record.simulated);
    timed.extend(outcome.to_yaml().lines().map(|line| Event { at_ms: end, host: "outcome".into(), what: line.into() }));
    timed
}

/// FNV-1a over `bytes`, continuing from `hash`: stable across processes and builds.
fn fnv1a(mut hash: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// The hash of an empty stream.
const EMPTY_HASH: u64 = 0xcbf2_9ce4_8422_2325;

/// The chain's hash after `event`, from its hash before it; fields are
/// separated, so text moving from one field to the next changes it.
fn chain_step(mut hash: u64, event: &Event) -> u64 {
    for part in [event.at_ms.to_string().as_str(), &event.host, &event.what] {
        hash = fnv1a(hash, part.as_bytes());
        hash = fnv1a(hash, &[0]);
    }
    hash
}

/// The hash chain of `events`: the hash after each event (over every event up to it).
pub(crate) fn hash_chain(events: &[Event]) -> Vec<u64> {
    events
        .iter()
        .scan(EMPTY_HASH, |hash, e| {
            *hash = chain_step(*hash, e);
            Some(*hash)
        })
        .collect()
}

/// Where two runs' event streams part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Divergence {
    /// 0-based index of the first event the hash chains disagree on.
    pub(crate) index: usize,
    /// This process's event there (`None`: its stream had ended).
    pub(crate) here: Option<Event>,
    /// The fresh process's event there (`None`: its stream had ended).
    pub(crate) fresh: Option<Event>,
}

impl std::fmt::Display for Divergence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let side = |e: &Option<Event>| e.as_ref().map_or_else(|| "(no more events)".to_string(), Event::to_string);
        write!(
            f,
            "first diverging event #{}:\n    this process:  {}\n    fresh process: {}",
            self.index + 1,
            side(&self.here),
            side(&self.fresh)
        )
    }
}

/// The first event where the hash chains of `here` and `fresh` disagree;
/// `None` when both streams are equal event for event.
pub(crate) fn first_divergence(here: &[Event], fresh: &[Event]) -> Option<Divergence> {
    let (a, b) = (hash_chain(here), hash_chain(fresh));
    let index = (0..a.len().max(b.len())).find(|&i| a.get(i) != b.get(i))?;
    Some(Divergence { index, here: here.get(index).cloned(), fresh: fresh.get(index).cloned() })
}

/// One line of `record-events`'s output: an event with the hash chain after it,
/// then a last line with the count (so a stream cut short is told from a short run).
#[derive(Debug, Serialize, Deserialize)]
#[serde(untagged)]
enum Line {
    Event {
        #[serde(flatten)]
        event: Event,
        hash: String,
    },
    End {
        events: usize,
        hash: String,
    },
}

/// The hidden `squadsim record-events` the check re-executes: one run of FILE,
/// its events printed as JSON lines.
#[derive(clap::Args, Debug)]
pub struct RecordEventsArgs {
    pub file: PathBuf,
    #[arg(long)]
    pub seed: u64,
    /// The sweep network's largest latency; without it, the snapshot network.
    #[arg(long, value_parser = crate::tools::sweep::parse_jitter)]
    pub jitter: Option<SimDuration>,
    /// The seed's own fault mix, drawn as `run --swarm` draws it.
    #[arg(long)]
    pub swarm: bool,
}

/// How each run of the check is made, in both processes: on the snapshot network or a
/// sweep's (`jitter`), with the scenario's faults or (`swarm`) the seed's drawn mix.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Shape {
    pub(crate) jitter: Option<SimDuration>,
    pub(crate) swarm: bool,
}

impl Shape {
    /// The command that checks `file` under `seed` again, in this shape.
    fn reproduce(self, file: &Path, seed: u64) -> String {
        let mut command = match self.jitter {
            Some(j) => {
                format!("squadsim run {} --seed-range {seed}..={seed} --jitter {}", file.display(), String::from(j))
            }
            None => format!("squadsim run {} --seed {seed}", file.display()),
        };
        if self.swarm {
            command.push_str(" --swarm");
        }
        command + " --check-determinism"
    }
}

/// Why one side of the check has no event stream.
#[derive(Debug)]
pub(crate) enum CheckError {
    /// The scenario did not load (the loader's message).
    NotLoaded(String),
    /// The world could not be built.
    NotBuilt(String),
    /// The fresh process could not be started, failed, or printed an incomplete stream.
    Fresh(String),
}

impl std::fmt::Display for CheckError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CheckError::NotLoaded(m) => write!(f, "{m}"),
            CheckError::NotBuilt(m) => write!(f, "the world could not be built: {m}"),
            CheckError::Fresh(m) => write!(f, "the fresh process: {m}"),
        }
    }
}

/// One run of `scenario` under `seed`, recorded: its events and whether it reached its end.
fn run_events(scenario: &Scenario, seed: u64, shape: Shape) -> Result<(Vec<Event>, bool), CheckError> {
    let mut s = if shape.swarm { crate::tools::sweep::swarmed(scenario, seed) } else { scenario.clone() };
    s.seed = seed;
    let network = shape.jitter.map_or(Network::SNAPSHOT, |j| Network::jittered(j.0));
    let options = RunOptions { network, record: true, ..RunOptions::default() };
    let run = world::catch_panic(|| world::run(&s, options));
    let (outcome, record) = match run {
        Ok(run) => (run.outcome, run.record),
        Err(panicked) => (outcome::nothing_ran(&s, panicked), None),
    };
    if let Some(RunError::NotBuilt(e)) = &outcome.error {
        return Err(CheckError::NotBuilt(e.to_string()));
    }
    let record = record.unwrap_or_else(|| RunRecord::build(&outcome, Gathered::nothing()));
    Ok((events(&outcome, &record), outcome.error.is_none()))
}

/// `squadsim record-events FILE --seed N [--jitter D] [--swarm]`.
pub fn record_events(args: &RecordEventsArgs, out: &mut dyn Write, err: &mut dyn Write) -> ExitStatus {
    let scenario = match Scenario::load(&args.file) {
        Ok(s) => s,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return ExitStatus::Unusable;
        }
    };
    let events = match run_events(&scenario, args.seed, Shape { jitter: args.jitter, swarm: args.swarm }) {
        Ok((events, _)) => events,
        Err(e) => {
            let _ = writeln!(err, "error: {}: {e}", args.file.display());
            return ExitStatus::Unusable;
        }
    };
    write_stream(&events, out);
    ExitStatus::Passed
}

/// `events` as `record-events` prints them: a JSON line an event with the hash
/// chain after it, then the end line with the count.
fn write_stream(events: &[Event], out: &mut dyn Write) {
    let chain = hash_chain(events);
    for (event, hash) in events.iter().zip(&chain) {
        let line = Line::Event { event: event.clone(), hash: format!("{hash:016x}") };
        let _ = writeln!(out, "{}", serde_json::to_string(&line).expect("an event is plain data: it serializes"));
    }
    let end = Line::End { events: events.len(), hash: format!("{:016x}", chain.last().copied().unwrap_or(EMPTY_HASH)) };
    let _ = writeln!(out, "{}", serde_json::to_string(&end).expect("an end line is plain data: it serializes"));
}

/// The events a fresh process of `binary` recorded for `file` under `seed`.
fn fresh_events(binary: &Path, file: &Path, seed: u64, shape: Shape) -> Result<Vec<Event>, CheckError> {
    let mut command = Command::new(binary);
    command.arg("record-events").arg(file).arg("--seed").arg(seed.to_string());
    if let Some(j) = shape.jitter {
        command.arg("--jitter").arg(String::from(j));
    }
    if shape.swarm {
        command.arg("--swarm");
    }
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| CheckError::Fresh(format!("{} could not be started: {e}", binary.display())))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(CheckError::Fresh(format!("exited with {}: {}", output.status, stderr.trim())));
    }
    read_stream(&output.stdout)
}

/// The events of `record-events`'s output, each checked against the hash it was
/// printed with and the whole against its end line's count: a line that does not
/// hash to its hash, a count that differs, a line that is not an event and a
/// stream without its end line are each refused, never read as a shorter run.
fn read_stream(stdout: &[u8]) -> Result<Vec<Event>, CheckError> {
    let mut events = Vec::new();
    let mut chain = EMPTY_HASH;
    for (n, line) in stdout.lines().enumerate() {
        let line = line.map_err(|e| CheckError::Fresh(format!("unreadable output: {e}")))?;
        match serde_json::from_str::<Line>(&line) {
            Ok(Line::Event { event, hash }) => {
                chain = chain_step(chain, &event);
                events.push(event);
                if format!("{chain:016x}") != hash {
                    return Err(CheckError::Fresh(format!("line {} does not hash to the hash it printed", n + 1)));
                }
            }
            Ok(Line::End { events: count, .. }) if count == events.len() => return Ok(events),
            Ok(Line::End { events: count, .. }) => {
                let m = format!("it printed {} events but ended saying {count}", events.len());
                return Err(CheckError::Fresh(m));
            }
            Err(e) => return Err(CheckError::Fresh(format!("line {} is not an event: {e}", n + 1))),
        }
    }
    Err(CheckError::Fresh(format!("its output stopped after {} events without its end line", events.len())))
}

/// The verdict on one (scenario, seed).
#[derive(Debug)]
pub(crate) enum Verdict {
    /// Both processes agree; `finished`: the run reached its end.
    Same {
        events: usize,
        hash: u64,
        finished: bool,
    },
    Diverged(Divergence),
    Unusable(CheckError),
}

/// Checks `scenario` (from `file`) under `seed`: here, then with `fresh` (a
/// fresh process, or in tests any other source of a second event stream).
pub(crate) fn check(
    scenario: &Scenario,
    seed: u64,
    shape: Shape,
    fresh: &dyn Fn(u64) -> Result<Vec<Event>, CheckError>,
) -> Verdict {
    let (here, finished) = match run_events(scenario, seed, shape) {
        Ok(ran) => ran,
        Err(e) => return Verdict::Unusable(e),
    };
    let fresh = match fresh(seed) {
        Ok(events) => events,
        Err(e) => return Verdict::Unusable(e),
    };
    match first_divergence(&here, &fresh) {
        Some(d) => Verdict::Diverged(d),
        None => Verdict::Same {
            events: here.len(),
            hash: hash_chain(&here).last().copied().unwrap_or(EMPTY_HASH),
            finished,
        },
    }
}

/// `squadsim run --check-determinism` over `files`: each under `seeds` (or its
/// own seed), in `shape` (the snapshot network or a sweep's; the scenario's faults or
/// each seed's drawn mix).
pub(crate) fn run(
    files: &[PathBuf],
    seeds: Option<std::ops::RangeInclusive<u64>>,
    shape: Shape,
    not_checked: &[Unchecked],
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> ExitStatus {
    let binary = match std::env::current_exe() {
        Ok(b) => b,
        Err(e) => {
            let _ = writeln!(err, "error: cannot find this binary to re-execute it: {e}");
            return ExitStatus::Unusable;
        }
    };
    let fresh = |file: &Path, seed| fresh_events(&binary, file, seed, shape);
    check_files(files, seeds, shape, &fresh, not_checked, out, err)
}

/// Where the check gets a (file, seed)'s second event stream.
type FreshSource<'a> = &'a dyn Fn(&Path, u64) -> Result<Vec<Event>, CheckError>;

/// The check of every file and seed, the second stream of each from `fresh`
/// (a fresh process in `run`; in tests any other source): each verdict a line,
/// then the totals; exit 0 only when every run was the same in both and
/// reached its end, 1 when one diverged or did not reach its end, 2 when one
/// could not be checked.
fn check_files(
    files: &[PathBuf],
    seeds: Option<std::ops::RangeInclusive<u64>>,
    shape: Shape,
    fresh: FreshSource<'_>,
    not_checked: &[Unchecked],
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> ExitStatus {
    let (mut same, mut failed, mut unusable) = (0usize, 0usize, 0usize);
    for file in files {
        let scenario = match Scenario::load(file) {
            Ok(s) => s,
            Err(e) => {
                let _ = writeln!(err, "error: {}", CheckError::NotLoaded(e.to_string()));
                unusable += 1;
                continue;
            }
        };
        let seeds = seeds.clone().unwrap_or(scenario.seed..=scenario.seed);
        for seed in seeds {
            let fresh = |seed| fresh(file, seed);
            let label = format!("{} (seed {seed})", scenario.name);
            let _ = match check(&scenario, seed, shape, &fresh) {
                Verdict::Same { events, hash, finished: true } => {
                    same += 1;
                    writeln!(out, "same    {label}: {events} events, hash {hash:016x} in both processes")
                }
                Verdict::Same { events, hash, finished: false } => {
                    failed += 1;
                    writeln!(
                        out,
                        "FAILED  {label}: the run did not reach its end (the same in both processes: {events} events, hash {hash:016x})\n    reproduce: {}",
                        shape.reproduce(file, seed)
                    )
                }
                Verdict::Diverged(d) => {
                    failed += 1;
                    writeln!(out, "DIVERGED {label}: {d}\n    reproduce: {}", shape.reproduce(file, seed))
                }
                Verdict::Unusable(e) => {
                    unusable += 1;
                    writeln!(err, "error: {}: {e}", file.display())
                }
            };
        }
    }
    let _ = writeln!(out, "{same} deterministic, {failed} failed, {unusable} could not be checked");
    let _ = write!(out, "{}", crate::tools::report::not_checked_totals(not_checked));
    if unusable > 0 {
        ExitStatus::Unusable
    } else {
        ExitStatus::of_failures(failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corpus(name: &str) -> Scenario {
        let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios").join(name);
        Scenario::load(&file).expect("the corpus loads")
    }

    fn event(at_ms: u64, host: &str, what: &str) -> Event {
        Event { at_ms, host: host.into(), what: what.into() }
    }

    #[test]
    fn equal_streams_do_not_diverge_and_the_first_different_event_is_named() {
        let a = [event(0, "operator", "POST studio/runs -> 200"), event(6000, "studio", "blocker x")];
        assert_eq!(first_divergence(&a, &a), None);
        let mut b = a.clone();
        b[1].what = "blocker y".into();
        let d = first_divergence(&a, &b).expect("they differ");
        assert_eq!((d.index, d.here.as_ref(), d.fresh.as_ref()), (1, Some(&a[1]), Some(&b[1])));
        assert_eq!(
            d.to_string(),
            "first diverging event #2:\n    this process:  at 6.0s on studio: blocker x\n    fresh process: at 6.0s on studio: blocker y"
        );
        let short = first_divergence(&a, &a[..1]).expect("a stream that ends early diverges");
        assert_eq!((short.index, short.fresh), (1, None));
    }

    #[test]
    fn a_divergence_is_reproduced_in_the_shape_it_ran_in() {
        let file = Path::new("scenarios/happy-intake.yaml");
        assert_eq!(
            Shape::default().reproduce(file, 7),
            "squadsim run scenarios/happy-intake.yaml --seed 7 --check-determinism"
        );
        let jitter = crate::tools::sweep::parse_jitter("500ms").expect("a jitter");
        assert_eq!(
            Shape { jitter: Some(jitter), swarm: true }.reproduce(file, 7),
            "squadsim run scenarios/happy-intake.yaml --seed-range 7..=7 --jitter 500ms --swarm --check-determinism"
        );
    }

    #[test]
    fn the_hash_chain_tells_which_field_moved_even_when_the_text_is_the_same_run_together() {
        // "ab" + "c" and "a" + "bc" must not hash alike: fields are separated.
        let (x, y) = (event(1, "ab", "c"), event(1, "a", "bc"));
        assert_ne!(hash_chain(&[x]), hash_chain(&[y]));
    }

    #[test]
    fn a_run_checked_against_another_seeds_run_diverges_at_a_named_event() {
        let scenario = corpus("happy-intake.yaml");
        let other = |_seed| run_events(&scenario, scenario.seed + 1, Shape::default()).map(|(events, _)| events);
        let Verdict::Diverged(d) = check(&scenario, scenario.seed, Shape::default(), &other) else {
            panic!("another seed's run must diverge")
        };
        let (here, fresh) = (d.here.expect("an event here"), d.fresh.expect("an event there"));
        assert_ne!(here, fresh);
        assert!(!here.host.is_empty(), "{here}");
    }

    #[test]
    fn the_clusters_warnings_are_events_so_a_warning_that_moved_diverges() {
        let scenario = corpus("sandbox-nodes-not-ready.yaml");
        let run = world::run(&scenario, RunOptions { record: true, ..RunOptions::default() });
        let record = run.record.expect("recorded");
        assert!(!record.warnings.is_empty(), "the nodes not ready raise Warning events");
        let here = events(&run.outcome, &record);
        let warning = &record.warnings[0];
        assert!(
            here.iter().any(|e| e.host == "cluster" && e.what.starts_with(&format!("warning {}", warning.reason))),
            "{here:?}"
        );
        let mut moved = record.clone();
        moved.warnings[0].count += 1;
        let d = first_divergence(&here, &events(&run.outcome, &moved)).expect("a warning's count moved");
        assert_eq!(d.here.expect("an event here").host, "cluster");
    }

    #[test]
    fn a_run_checked_against_itself_is_the_same_and_finished() {
        let scenario = corpus("wrong-project-slug.yaml");
        let again = |seed| run_events(&scenario, seed, Shape::default()).map(|(events, _)| events);
        let verdict = check(&scenario, scenario.seed, Shape::default(), &again);
        assert!(matches!(verdict, Verdict::Same { events, finished: true, .. } if events > 0), "{verdict:?}");
    }

    #[test]
    fn a_fresh_stream_is_read_only_whole_and_as_it_was_hashed() {
        let events = [event(0, "operator", "POST studio/runs -> 200"), event(6000, "studio", "blocker x")];
        let mut printed = Vec::new();
        write_stream(&events, &mut printed);
        assert_eq!(read_stream(&printed).expect("a whole stream reads"), events);
        let text = String::from_utf8(printed).expect("JSON lines");
        let lines: Vec<&str> = text.lines().collect();
        let refused = |lines: &[String]| match read_stream((lines.join("\n") + "\n").as_bytes()) {
            Err(CheckError::Fresh(message)) => message,
            other => panic!("a damaged stream must be refused, got {other:?}"),
        };
        let owned = |lines: &[&str]| lines.iter().map(|l| l.to_string()).collect::<Vec<_>>();
        // An event edited after it was hashed.
        let mut edited = owned(&lines);
        edited[1] = edited[1].replace("blocker x", "blocker y");
        assert_eq!(refused(&edited), "line 2 does not hash to the hash it printed");
        // An end line that counts other events than were printed.
        let mut miscounted = owned(&lines);
        miscounted[2] = miscounted[2].replace("\"events\":2", "\"events\":3");
        assert_eq!(refused(&miscounted), "it printed 2 events but ended saying 3");
        // A stream cut short before its end line: not a shorter run.
        assert_eq!(refused(&owned(&lines[..2])), "its output stopped after 2 events without its end line");
        // A line that is not an event.
        let mut garbled = owned(&lines);
        garbled[0] = "thread 'main' panicked".into();
        assert!(refused(&garbled).starts_with("line 1 is not an event: "));
    }

    fn checked_against(fresh: FreshSource<'_>) -> (ExitStatus, String, String) {
        let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/happy-intake.yaml");
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let status = check_files(&[file], None, Shape::default(), fresh, &[], &mut out, &mut err);
        (status, String::from_utf8(out).expect("text"), String::from_utf8(err).expect("text"))
    }

    #[test]
    fn every_run_the_same_in_both_streams_and_finished_passes() {
        let scenario = corpus("happy-intake.yaml");
        let again = |_: &Path, seed| run_events(&scenario, seed, Shape::default()).map(|(events, _)| events);
        let (status, out, _) = checked_against(&again);
        assert_eq!(status, ExitStatus::Passed, "{out}");
        assert!(out.ends_with("1 deterministic, 0 failed, 0 could not be checked\n"), "{out}");
    }

    #[test]
    fn a_diverging_stream_fails_the_check_with_its_event_and_command() {
        let scenario = corpus("happy-intake.yaml");
        let other = |_: &Path, seed| run_events(&scenario, seed + 1, Shape::default()).map(|(events, _)| events);
        let (status, out, _) = checked_against(&other);
        assert_eq!(status, ExitStatus::Failed, "{out}");
        let seed = scenario.seed;
        assert!(out.starts_with(&format!("DIVERGED happy-intake (seed {seed}): first diverging event #")), "{out}");
        assert!(out.contains(&format!("happy-intake.yaml --seed {seed} --check-determinism\n")), "{out}");
        assert!(out.ends_with("0 deterministic, 1 failed, 0 could not be checked\n"), "{out}");
    }

    #[test]
    fn a_fresh_process_that_gives_no_stream_makes_the_check_unusable_never_a_pass() {
        let crashed = |_: &Path, _| Err(CheckError::Fresh("exited with exit status: 101: panicked".into()));
        let (status, out, err) = checked_against(&crashed);
        assert_eq!(status, ExitStatus::Unusable, "{out}");
        assert!(err.contains("happy-intake.yaml: the fresh process: exited with exit status: 101: panicked"), "{err}");
        assert!(out.ends_with("0 deterministic, 0 failed, 1 could not be checked\n"), "{out}");
    }

    #[test]
    fn a_sweeps_shape_runs_on_the_sweeps_jittered_network_not_the_snapshots() {
        let scenario = corpus("happy-intake.yaml");
        let jitter = Some(crate::tools::sweep::parse_jitter("500ms").expect("a jitter"));
        let on = |shape| run_events(&scenario, 3, shape).expect("it runs").0;
        let jittered = on(Shape { jitter, swarm: false });
        assert_ne!(on(Shape::default()), jittered, "the sweep's network moves the exchanges");
        assert_eq!(on(Shape { jitter, swarm: false }), jittered, "and moves them alike each time");
    }
}
