//! Same scenario + same seed = byte-identical outcome; different seeds keep the blockers.

use std::process::Command;
use std::time::Duration;

use crate::support;
use proptest::prelude::*;
use squadsim::engine::run_record::RunRecord;
use squadsim::engine::world::{self, Network, RunOptions};
use squadsim::scenario::Scenario;

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    #[test]
    fn same_scenario_and_seed_give_identical_json(seed in any::<u64>(), which in 0usize..3) {
        let name = ["happy-intake.yaml", "wrong-project-slug.yaml", "operator-not-super-admin.yaml"][which];
        let mut s = support::load(name);
        s.seed = seed;
        let a = serde_json::to_string(&support::run(&s).to_json()).unwrap();
        let b = serde_json::to_string(&support::run(&s).to_json()).unwrap();
        prop_assert_eq!(a, b);
    }
}

#[test]
fn different_seeds_give_the_same_blockers_for_wrong_project_slug() {
    let mut a = support::load("wrong-project-slug.yaml");
    let mut b = a.clone();
    a.seed = 11;
    b.seed = 9_000_001;
    let (oa, ob) = (support::run(&a), support::run(&b));
    assert_eq!(oa.launch_http_status(), None);
    assert_eq!(ob.launch_http_status(), None);
    assert_eq!(oa.blockers(), ob.blockers());
    assert_eq!(oa.run.is_none(), ob.run.is_none());
}

#[test]
fn different_seeds_change_ids_but_not_the_happy_outcome() {
    let mut a = support::load("happy-intake.yaml");
    let mut b = a.clone();
    a.seed = 5;
    b.seed = 6;
    let (oa, ob) = (support::run(&a), support::run(&b));
    assert_ne!(oa.run.as_ref().unwrap().run_id, ob.run.as_ref().unwrap().run_id, "ids come from the seed");
    assert_eq!(oa.run.as_ref().unwrap().status, ob.run.as_ref().unwrap().status);
    assert_eq!(oa.blockers(), ob.blockers());
}

/// The README's test command runs the determinism self-check over the corpus:
/// each scenario under its own seed here and in a fresh process, the run records
/// compared event by event (and the outcome line by line).
#[test]
fn the_corpus_passes_the_determinism_self_check_in_a_fresh_process() {
    let bin = env!("CARGO_BIN_EXE_squadsim");
    let out =
        Command::new(bin).args(["run", "--check-determinism"]).arg(support::corpus()).output().expect("squadsim runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let scenarios = std::fs::read_dir(support::corpus())
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "yaml"))
        .count();
    assert!(scenarios > 40, "the corpus is there");
    let same = stdout.lines().filter(|l| l.starts_with("same    ")).count();
    assert_eq!(same, scenarios, "every scenario was checked: {stdout}");
    assert!(stdout.ends_with(&format!("{scenarios} deterministic, 0 failed, 0 could not be checked\n")), "{stdout}");
}

/// And over the corpus swarmed: two seeds of each scenario on the sweep's network, each
/// under its drawn fault mix (crashes, partitions and service faults on hosts its own
/// faults never touch), compared byte for byte on the wire with a fresh process's.
#[test]
fn the_swarmed_corpus_passes_the_determinism_self_check_in_a_fresh_process() {
    let bin = env!("CARGO_BIN_EXE_squadsim");
    let out = Command::new(bin)
        .args(["run", "--check-determinism", "--seeds", "2", "--swarm"])
        .arg(support::corpus())
        .output()
        .expect("squadsim runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let same = stdout.lines().filter(|l| l.starts_with("same    ")).count();
    assert!(
        same > 80 && stdout.ends_with(&format!("{same} deterministic, 0 failed, 0 could not be checked\n")),
        "{stdout}"
    );
}

#[test]
fn the_fresh_process_prints_a_hash_chained_event_stream_with_an_end_line() {
    let bin = env!("CARGO_BIN_EXE_squadsim");
    let file = support::corpus().join("wrong-project-slug.yaml");
    let out = Command::new(bin).arg("record-events").arg(&file).args(["--seed", "7"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let first = &lines[0];
    assert_eq!((first["at_ms"].as_u64(), first["host"].as_str()), (Some(0), Some("operator")), "{first}");
    let end = lines.last().unwrap();
    assert_eq!(end["events"].as_u64(), Some(lines.len() as u64 - 1), "{end}");
    assert_eq!(end["hash"], lines[lines.len() - 2]["hash"], "the end line carries the chain's last hash");
    assert!(
        lines.iter().any(|l| l["host"] == "outcome" && l["what"].as_str().is_some_and(|w| w.starts_with("scenario:"))),
        "the outcome is part of the stream"
    );
    // Each exchange carries the digests of its bytes, by part: the check compares the wire, not
    // only the outcome (the run's first exchange, the launch the operator gave up on, has no response).
    let exchanges: Vec<&str> = lines
        .iter()
        .filter_map(|l| l["what"].as_str().filter(|w| w.starts_with("GET ") || w.starts_with("POST ")))
        .collect();
    let hex = |d: &str| d.len() == 16 && d.chars().all(|c| c.is_ascii_hexdigit());
    let (mut answered, mut unanswered) = (0, 0);
    for exchange in &exchanges {
        let digests = exchange.rsplit_once(" (request ").map(|(_, d)| d.trim_end_matches(')')).unwrap_or_default();
        match digests.split(", ").collect::<Vec<_>>()[..] {
            [r, h, b]
                if hex(r)
                    && h.strip_prefix("response head ").is_some_and(hex)
                    && b.strip_prefix("body ").is_some_and(hex) =>
            {
                answered += 1
            }
            [r, "no response"] if hex(r) && exchange.contains("-> 000 ") => unanswered += 1,
            _ => panic!("{exchange}"),
        }
    }
    assert!(answered > 0 && unanswered > 0, "{exchanges:?}");
}

#[test]
fn a_scenario_that_does_not_load_makes_the_determinism_check_unusable() {
    let bin = env!("CARGO_BIN_EXE_squadsim");
    let dir = std::env::temp_dir().join(format!("squadsim-det-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("broken.yaml");
    std::fs::write(&file, "name: broken\nseed: nope\n").unwrap();
    let out = Command::new(bin).args(["run", "--check-determinism"]).arg(&file).output().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).ends_with("0 deterministic, 0 failed, 1 could not be checked\n"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("broken.yaml"));
}

/// A run's record comes from that run alone, whatever other threads of the
/// process run meanwhile (parallel tests, a sweep's jobs): `tracing` caches
/// which callsites anyone listens to process-wide, and a thread without a
/// collector hitting one first used to make a recording run on another thread
/// miss those events and spans (`Collector::install`). Pinned over the corpus
/// scenarios with a crash, on a sweep's network and seed, stepping each tick and
/// leaping. It catches that only when its runs are the process's first to hit
/// those callsites (run alone: `cargo test -p squadsim --test it
/// a_recorded_run_is`); later in a whole suite they are cached already.
#[test]
fn a_recorded_run_is_the_same_whatever_other_threads_run_meanwhile() {
    let network = Network::jittered(Duration::from_millis(500));
    let mut files: Vec<_> = std::fs::read_dir(support::corpus()).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let crashes: Vec<Scenario> = files
        .into_iter()
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .filter(|p| std::fs::read_to_string(p).unwrap().contains("crash:"))
        .map(|p| {
            let mut scenario = Scenario::load(&p).unwrap_or_else(|e| panic!("{e}"));
            scenario.seed = scenario.seed.wrapping_mul(7_919).wrapping_add(1); // as leaps.rs draws a sweep's seed
            scenario
        })
        .collect();
    assert!(crashes.len() >= 5, "the corpus has its crash scenarios");
    let record = |s: &Scenario, leap_idle| -> RunRecord {
        world::run(s, RunOptions { network, record: true, leap_idle, ..Default::default() }).record.unwrap()
    };
    let others = crashes.clone();
    let unrecorded = std::thread::spawn(move || {
        for s in &others {
            world::run(s, RunOptions { network, ..Default::default() });
        }
    });
    let meanwhile: Vec<_> = crashes.iter().map(|s| (record(s, false), record(s, true))).collect();
    unrecorded.join().unwrap();
    for (s, (every, leaping)) in crashes.iter().zip(meanwhile) {
        let alone = record(s, false);
        assert!(every == alone, "{} (seed {}): stepping each tick, recorded while another thread ran", s.name, s.seed);
        assert!(leaping == alone, "{} (seed {}): leaping, recorded while another thread ran", s.name, s.seed);
    }
}

/// Where each `turmoil::Builder::new()` in the code (not the comments or
/// strings) of the workspace's Rust sources leaves
/// its simulation's randomness unseeded: the file, the line, and no
/// `.rng_seed(` between it and the builder's `.build()` (or, for a builder
/// handed on, the end of its function, read as the next 1,500 characters).
/// turmoil seeds an unseeded builder from the operating system, so its message
/// latencies (and with them the order things happen in) change from one run
/// to the next.
fn unseeded_simulations(root: &std::path::Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack: Vec<std::path::PathBuf> =
        ["sim", "fakes", "conformance", "benches"].iter().map(|d| root.join(d)).collect();
    let mut files = Vec::new();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    const BUILDER: &str = "turmoil::Builder::new()";
    for file in files {
        // Comments and string literals blanked (lines kept): only code counts.
        let text = crate::layers::code_only(&std::fs::read_to_string(&file).unwrap());
        for (at, _) in text.match_indices(BUILDER) {
            let rest = &text[at + BUILDER.len()..];
            let mut end = rest.len().min(1_500);
            while !rest.is_char_boundary(end) {
                end -= 1;
            }
            let chain = &rest[..rest[..end].find(".build()").unwrap_or(end)];
            if !chain.contains(".rng_seed(") {
                let line = text[..at].matches('\n').count() + 1;
                let shown = file.strip_prefix(root).unwrap_or(&file).display().to_string();
                found.push(format!("{shown}:{line}: a turmoil simulation built without `.rng_seed(..)`"));
            }
        }
    }
    found
}

#[test]
fn every_turmoil_simulation_in_the_workspace_is_seeded() {
    let root = support::corpus().parent().unwrap().to_path_buf();
    let unseeded = unseeded_simulations(&root);
    assert!(unseeded.is_empty(), "seed each with `.rng_seed(..)`:\n{}", unseeded.join("\n"));
}

#[test]
fn the_seed_check_finds_a_builder_without_a_seed_and_passes_one_with() {
    let root = support::scratch("unseeded-simulations");
    let dir = root.join("sim");
    std::fs::create_dir_all(&dir).unwrap();
    for other in ["fakes", "conformance", "benches"] {
        std::fs::create_dir_all(root.join(other)).unwrap();
    }
    std::fs::write(
        dir.join("a.rs"),
        "fn a() {\n    let sim = turmoil::Builder::new().rng_seed(1).build();\n}\n\
         fn b() {\n    let sim = turmoil::Builder::new()\n        .tick_duration(T)\n        .build();\n    x.rng_seed(2);\n}\n",
    )
    .unwrap();
    assert_eq!(unseeded_simulations(&root), ["sim/a.rs:5: a turmoil simulation built without `.rng_seed(..)`"]);
}

/// `--swarm` checks each seed under its drawn fault mix in both processes, and a
/// divergence's reproduce command says the shape it ran in: the seed, the sweep's
/// network (`--jitter`) and the swarm, not the snapshot network under one seed.
#[test]
fn swarmed_seeds_are_checked_in_a_fresh_process_under_their_drawn_mix() {
    let bin = env!("CARGO_BIN_EXE_squadsim");
    let file = support::corpus().join("happy-intake.yaml");
    let out = Command::new(bin)
        .args(["run", "--check-determinism", "--seeds", "3", "--swarm", "--jitter", "200ms"])
        .arg(&file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.ends_with("3 deterministic, 0 failed, 0 could not be checked\n"), "{stdout}");
    // The fresh process draws the same mix: its stream holds the drawn faults, which the
    // scenario itself does not declare (happy-intake has no faults).
    let events = |swarm: bool| {
        let mut command = Command::new(bin);
        command.arg("record-events").arg(&file).args(["--seed", "2", "--jitter", "200ms"]);
        if swarm {
            command.arg("--swarm");
        }
        String::from_utf8(command.output().unwrap().stdout).unwrap()
    };
    let (plain, swarmed) = (events(false), events(true));
    assert_ne!(plain, swarmed, "the swarm's drawn mix changes the run");
    assert_eq!(swarmed, events(true), "and draws the same mix in every process");
    // Without a sweep, --swarm is refused: a plain check is not a swarm's.
    let out = Command::new(bin).args(["run", "--check-determinism", "--swarm"]).arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--swarm belongs to a seed sweep"));
}
