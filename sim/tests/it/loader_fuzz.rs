//! A bounded fuzz campaign against the scenario loader: corpus scenarios mutated
//! as text (numbers flipped to huge, zero or negative, lines deleted or
//! duplicated, control bytes and bytes that are not UTF-8 inserted, deep
//! nesting, a second document, unknown roles and steps) and as parsed values
//! (a scalar replaced, a key removed or added, an item duplicated, an agent
//! scripted to skip a step). For every input: the loader does not panic; an
//! error has a line and a column, and prints no raw control character; a
//! scenario that loads has a world the fakes build.
//!
//! `SQUADSIM_FUZZ_CASES=N` runs N inputs instead of the suite's 2,000 and prints
//! the counts (inputs, loaded, clean errors, panics) with `--nocapture`;
//! `SQUADSIM_FUZZ_RUNS=M` also simulates the first M scenarios that load (their
//! horizon cut to 10 minutes), none of which may panic (a campaign, not the suite:
//! the suite runs none).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_yaml::Value;

use squadsim::engine::services::{Endpoints, Services};
use squadsim::scenario::{self, Scenario};
use squadsim_fakes::net::Transport;

/// What replaces a number in the text.
const NUMBERS: &[&str] = &[
    "0",
    "-1",
    "4294967296",
    "4000000000",
    "1000000000",
    "9223372036854775808",
    "18446744073709551616",
    "99999999999999999999999",
    "1e300",
    ".nan",
    "10001",
];

/// Words of the format swapped for near misses (unknown roles, steps, hosts, units).
const SWAPS: &[(&str, &str)] = &[
    ("planner", "planer"),
    ("tester", "testr"),
    ("committer", "commiter"),
    ("merge_decision", "attach_evidence"),
    ("studio", "studi0"),
    ("daytona", "moon"),
    ("sanmopia-modernization", "\"\""),
    ("sanmopia-modernization", "Sanmopia/Modernization"),
    ("launch", "lunch"),
    ("s}", "fortnights}"),
    ("agentsquad", "agentsquad\\u0000"),
];

/// What a scalar becomes.
fn scalars() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::from(0u64)),
        Just(Value::from(-1i64)),
        Just(Value::from(u64::MAX)),
        Just(Value::from(1u64 << 32)),
        Just(Value::from(1u64 << 63)),
        Just(Value::from(f64::NAN)),
        Just(Value::from("")),
        Just(Value::from("x".repeat(9000))),
        Just(Value::from("\u{1b}[31mred\u{0}\n")),
        Just(Value::from("9223372036854775808s")),
        Just(Value::from("0s")),
        Just(Value::from("25h")),
        Just(Value::from("planer")),
        Just(Value::from("attach_evidence")),
        Just(Value::Bool(true)),
        Just(Value::Null),
        Just(Value::Sequence(Vec::new())),
        Just(Value::Mapping(Default::default())),
    ]
}

#[derive(Debug, Clone)]
enum Mutation {
    /// Replace the `at`-th run of digits.
    Number {
        at: Index,
        with: &'static str,
    },
    DeleteLine(Index),
    DuplicateLine(Index),
    /// Insert raw bytes (control characters, bytes that are not UTF-8) before byte `at`.
    InsertBytes {
        at: Index,
        bytes: Vec<u8>,
    },
    /// Replace the value after the `at`-th `: ` with `depth` levels of nesting.
    Nest {
        at: Index,
        depth: usize,
        flow: bool,
    },
    SecondDocument,
    /// Replace the `at`-th occurrence of a word of the format.
    Swap {
        at: Index,
        swap: (&'static str, &'static str),
    },
    /// Replace the `at`-th node of the parsed document.
    SetNode {
        at: Index,
        value: Value,
    },
    /// Remove the `at`-th mapping entry of the parsed document.
    RemoveKey(Index),
    /// Duplicate an item of the `at`-th sequence of the parsed document.
    DuplicateItem(Index),
    /// Add `key: value` to the `at`-th mapping of the parsed document.
    AddKey {
        at: Index,
        key: &'static str,
        value: Value,
    },
    /// Script `role` to skip `step`.
    Skip {
        role: &'static str,
        step: &'static str,
    },
}

impl Mutation {
    /// Whether it edits the text (rather than the parsed document).
    fn of_text(&self) -> bool {
        !matches!(
            self,
            Mutation::SetNode { .. }
                | Mutation::RemoveKey(_)
                | Mutation::DuplicateItem(_)
                | Mutation::AddKey { .. }
                | Mutation::Skip { .. }
        )
    }
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let bytes = prop_oneof![
        Just(vec![0u8]),
        Just(vec![7u8]),
        Just(b"\x1b[31m".to_vec()),
        Just(vec![0x7f]),
        Just(vec![0xff]),
        Just(vec![0xc3]),
        Just(vec![0xc2, 0x85]),
        Just(vec![0xef, 0xbf, 0xbe]),
        Just(vec![0xef, 0xbb, 0xbf]),
        Just(b"\t".to_vec()),
    ];
    let depth = prop_oneof![1usize..80, Just(100_000usize)];
    let keys = prop::sample::select(vec![
        "planer",
        "skips",
        "count",
        "colour",
        "implementer_lanes",
        "healthy",
        "extra",
        "lasts",
        "tester",
        "horizon",
    ]);
    let roles =
        prop::sample::select(vec!["planner", "implementer", "tester", "committer", "closer", "curator", "planer"]);
    let steps = prop::sample::select(vec![
        "use_memory",
        "write_changes",
        "commit",
        "open_pull_request",
        "capture_evidence",
        "attach_evidence",
        "merge_decision",
        "publish_lineage",
    ]);
    prop_oneof![
        (any::<Index>(), prop::sample::select(NUMBERS)).prop_map(|(at, with)| Mutation::Number { at, with }),
        any::<Index>().prop_map(Mutation::DeleteLine),
        any::<Index>().prop_map(Mutation::DuplicateLine),
        (any::<Index>(), bytes).prop_map(|(at, bytes)| Mutation::InsertBytes { at, bytes }),
        (any::<Index>(), depth, any::<bool>()).prop_map(|(at, depth, flow)| Mutation::Nest { at, depth, flow }),
        Just(Mutation::SecondDocument),
        (any::<Index>(), prop::sample::select(SWAPS)).prop_map(|(at, swap)| Mutation::Swap { at, swap }),
        (any::<Index>(), scalars()).prop_map(|(at, value)| Mutation::SetNode { at, value }),
        any::<Index>().prop_map(Mutation::RemoveKey),
        any::<Index>().prop_map(Mutation::DuplicateItem),
        (any::<Index>(), keys, scalars()).prop_map(|(at, key, value)| Mutation::AddKey { at, key, value }),
        (roles, steps).prop_map(|(role, step)| Mutation::Skip { role, step }),
    ]
}

/// Byte offsets where `pattern` matches `text`.
fn matches(text: &[u8], pattern: impl Fn(&[u8], usize) -> Option<usize>) -> Vec<(usize, usize)> {
    (0..text.len()).filter_map(|i| pattern(text, i).map(|len| (i, len))).collect()
}

fn splice(text: &mut Vec<u8>, at: usize, len: usize, with: &[u8]) {
    text.splice(at..at + len, with.iter().copied());
}

/// Every node of `value` in depth-first order, as a path of steps from the root.
fn nodes(value: &Value, path: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
    out.push(path.clone());
    match value {
        Value::Sequence(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(Value::from(i as u64));
                nodes(item, path, out);
                path.pop();
            }
        }
        Value::Mapping(map) => {
            for (key, item) in map {
                path.push(key.clone());
                nodes(item, path, out);
                path.pop();
            }
        }
        Value::Tagged(tagged) => nodes(&tagged.value, path, out),
        _ => {}
    }
}

fn node_mut<'a>(mut value: &'a mut Value, path: &[Value]) -> Option<&'a mut Value> {
    for step in path {
        value = match value {
            Value::Sequence(items) => items.get_mut(step.as_u64()? as usize)?,
            Value::Mapping(map) => map.get_mut(step)?,
            Value::Tagged(tagged) => return node_mut(&mut tagged.value, path),
            _ => return None,
        };
    }
    Some(value)
}

/// Applies a mutation of the parsed document (a text that does not parse is left as it is).
fn edit_value(text: &mut Vec<u8>, edit: impl FnOnce(&mut Value, &[Vec<Value>])) {
    let Ok(mut doc) = serde_yaml::from_slice::<Value>(text) else { return };
    let mut all = Vec::new();
    nodes(&doc, &mut Vec::new(), &mut all);
    edit(&mut doc, &all);
    if let Ok(out) = serde_yaml::to_string(&doc) {
        *text = out.into_bytes();
    }
}

fn apply(text: &mut Vec<u8>, mutation: &Mutation) {
    match mutation {
        Mutation::Number { at, with } => {
            let runs = matches(text, |t, i| {
                let len = t[i..].iter().take_while(|b| b.is_ascii_digit()).count();
                (len > 0 && (i == 0 || !t[i - 1].is_ascii_digit())).then_some(len)
            });
            if !runs.is_empty() {
                let (i, len) = runs[at.index(runs.len())];
                splice(text, i, len, with.as_bytes());
            }
        }
        Mutation::DeleteLine(at) | Mutation::DuplicateLine(at) => {
            let starts: Vec<usize> = std::iter::once(0)
                .chain(matches(text, |t, i| (t[i] == b'\n').then_some(1)).iter().map(|m| m.0 + 1))
                .collect();
            let i = at.index(starts.len());
            let end = starts.get(i + 1).copied().unwrap_or(text.len());
            let line = text[starts[i]..end].to_vec();
            if matches!(mutation, Mutation::DeleteLine(_)) {
                splice(text, starts[i], line.len(), b"");
            } else {
                splice(text, starts[i], 0, &line);
            }
        }
        Mutation::InsertBytes { at, bytes } => {
            let i = at.index(text.len() + 1);
            splice(text, i, 0, bytes);
        }
        Mutation::Nest { at, depth, flow } => {
            let values = matches(text, |t, i| t[i..].starts_with(b": ").then_some(2));
            if !values.is_empty() {
                let (i, _) = values[at.index(values.len())];
                let end = text[i..].iter().position(|&b| b == b'\n').map_or(text.len(), |n| i + n);
                let nested = if *flow {
                    format!(": {}x{}", "[".repeat(*depth), "]".repeat(*depth))
                } else {
                    let mut block = String::from(":");
                    for level in 0..(*depth).min(200) {
                        block.push_str(&format!("\n{}- ", " ".repeat(level * 2 + 2)));
                    }
                    block.push('x');
                    block
                };
                splice(text, i, end - i, nested.as_bytes());
            }
        }
        Mutation::SecondDocument => text.extend_from_slice(b"\n---\nname: second\nsteps: [health]\n"),
        Mutation::Swap { at, swap: (from, to) } => {
            let hits = matches(text, |t, i| t[i..].starts_with(from.as_bytes()).then_some(from.len()));
            if !hits.is_empty() {
                let (i, len) = hits[at.index(hits.len())];
                splice(text, i, len, to.as_bytes());
            }
        }
        Mutation::SetNode { at, value } => edit_value(text, |doc, all| {
            if let Some(node) = node_mut(doc, &all[at.index(all.len())]) {
                *node = value.clone();
            }
        }),
        Mutation::RemoveKey(at) => edit_value(text, |doc, all| {
            let entries: Vec<&Vec<Value>> = all.iter().filter(|p| !p.is_empty()).collect();
            if entries.is_empty() {
                return;
            }
            let path = entries[at.index(entries.len())];
            let (last, parent) = path.split_last().unwrap();
            if let Some(Value::Mapping(map)) = node_mut(doc, parent) {
                map.remove(last);
            }
        }),
        Mutation::DuplicateItem(at) => edit_value(text, |doc, all| {
            let path = &all[at.index(all.len())];
            if let Some(Value::Sequence(items)) = node_mut(doc, path) {
                if let Some(first) = items.first().cloned() {
                    items.push(first);
                }
            }
        }),
        Mutation::AddKey { at, key, value } => edit_value(text, |doc, all| {
            let path = &all[at.index(all.len())];
            if let Some(Value::Mapping(map)) = node_mut(doc, path) {
                map.insert(Value::from(*key), value.clone());
            }
        }),
        Mutation::Skip { role, step } => edit_value(text, |doc, _| {
            if let Value::Mapping(root) = doc {
                let agents = root.entry(Value::from("agents")).or_insert_with(|| Value::Mapping(Default::default()));
                if let Value::Mapping(agents) = agents {
                    let mut behaviour = serde_yaml::Mapping::new();
                    behaviour.insert(Value::from("skips"), Value::Sequence(vec![Value::from(*step)]));
                    agents.insert(Value::from(*role), Value::Mapping(behaviour));
                }
            }
        }),
    }
}

/// How one input fared.
#[derive(Debug, Default)]
struct Tally {
    inputs: usize,
    loaded: usize,
    clean_errors: usize,
    panics: usize,
    unlocated: usize,
    unescaped: usize,
    unbuildable: usize,
    /// Loaded scenarios simulated (`SQUADSIM_FUZZ_RUNS`), and those that panicked.
    ran: usize,
    run_panics: usize,
}

fn check(tally: &mut Tally, file: &Path, bytes: &[u8], runs: usize) -> Result<(), TestCaseError> {
    tally.inputs += 1;
    let loaded = catch_unwind(AssertUnwindSafe(|| Scenario::parse_bytes(file, bytes)));
    let loaded = match loaded {
        Ok(result) => result,
        Err(_) => {
            tally.panics += 1;
            return Err(TestCaseError::fail("the loader panicked"));
        }
    };
    match loaded {
        Err(e) => {
            let shown = e.to_string();
            if e.line.is_none() || e.column.is_none() {
                tally.unlocated += 1;
                return Err(TestCaseError::fail(format!("an error without a line: {shown}")));
            }
            if shown.chars().any(char::is_control) {
                tally.unescaped += 1;
                return Err(TestCaseError::fail(format!("an error printing a control character: {shown:?}")));
            }
            tally.clean_errors += 1;
        }
        Ok(scenario) => {
            let built = catch_unwind(AssertUnwindSafe(|| {
                Services::build(&scenario, &Endpoints::simulated(), Transport::Simulated).map(|_| ())
            }));
            match built {
                Ok(Ok(())) => tally.loaded += 1,
                Ok(Err(e)) => {
                    tally.unbuildable += 1;
                    return Err(TestCaseError::fail(format!("loaded, but its world does not build: {e}")));
                }
                Err(_) => {
                    tally.panics += 1;
                    return Err(TestCaseError::fail("building the loaded scenario's world panicked"));
                }
            }
            if tally.ran < runs {
                tally.ran += 1;
                let mut short = scenario;
                short.world.horizon.0 = short.world.horizon.0.min(std::time::Duration::from_secs(600));
                if catch_unwind(AssertUnwindSafe(|| crate::support::run(&short))).is_err() {
                    tally.run_panics += 1;
                    return Err(TestCaseError::fail("simulating a scenario the loader accepted panicked"));
                }
            }
        }
    }
    Ok(())
}

#[test]
fn no_mutated_scenario_crashes_the_loader_and_every_error_has_a_line() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let corpus: Vec<(PathBuf, Vec<u8>)> = scenario::discover(&dir)
        .unwrap()
        .into_iter()
        .map(|f| {
            let bytes = std::fs::read(&f).unwrap();
            (f, bytes)
        })
        .collect();
    let cases = std::env::var("SQUADSIM_FUZZ_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(2000);
    let runs = std::env::var("SQUADSIM_FUZZ_RUNS").ok().and_then(|n| n.parse().ok()).unwrap_or(0);
    // A fixed seed: the suite runs the same inputs every time (a campaign may set PROPTEST_RNG_SEED).
    let config = Config { cases, failure_persistence: None, ..Config::default() };
    let seed = std::env::var("PROPTEST_RNG_SEED").ok().and_then(|s| s.parse::<u64>().ok()).unwrap_or(14);
    let mut seed_bytes = [0u8; 32];
    seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let rng = proptest::test_runner::TestRng::from_seed(proptest::test_runner::RngAlgorithm::ChaCha, &seed_bytes);
    let mut runner = TestRunner::new_with_rng(config, rng);
    let tally = std::cell::RefCell::new(Tally::default());
    let input = (any::<Index>(), prop::collection::vec(mutation(), 1..4));
    let result = runner.run(&input, |(which, mut mutations)| {
        let (file, original) = &corpus[which.index(corpus.len())];
        // Edits of the parsed document first: serde_yaml never reads a text mutation's output.
        mutations.sort_by_key(Mutation::of_text);
        let mut bytes = original.clone();
        for m in &mutations {
            apply(&mut bytes, m);
        }
        check(&mut tally.borrow_mut(), file, &bytes, runs)
    });
    let tally = tally.into_inner();
    eprintln!(
        "loader fuzz: {} inputs: {} loaded (world built), {} clean errors, {} panics, {} errors without a line, {} unescaped, {} unbuildable; {} simulated, {} of them panicked",
        tally.inputs,
        tally.loaded,
        tally.clean_errors,
        tally.panics,
        tally.unlocated,
        tally.unescaped,
        tally.unbuildable,
        tally.ran,
        tally.run_panics
    );
    if let Err(e) = result {
        panic!("{e}");
    }
    assert!(tally.loaded > 0 && tally.clean_errors > 0, "the campaign exercised both sides: {tally:?}");
}
