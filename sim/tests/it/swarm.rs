//! Swarm testing: each seed draws its own fault mix from the world's hosts; a
//! failing seed prints its mix (as scenario YAML) and a command that reproduces
//! it, and `--shrink` narrows the mix.

use std::process::Command;

use crate::support;

fn squadsim(args: &[&str], file: &std::path::Path) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_squadsim")).arg("run").arg(file).args(args).output().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn a_swarm_seed_that_fails_prints_its_drawn_mix_and_its_command_reproduces_it() {
    // Liveness within 100ms of the last fault's end: a mix whose faults end before the run settles breaks it.
    let dir = std::env::temp_dir().join(format!("squadsim-swarm-it-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = std::fs::read_to_string(support::corpus_file("happy-intake.yaml")).unwrap();
    let file = dir.join("happy-intake.yaml");
    std::fs::write(&file, text.replace("invariants: {", "invariants: {converges_within: 100ms, ")).unwrap();

    let (code, out) = squadsim(&["--swarm", "--seeds", "8", "--jobs", "2", "--shrink"], &file);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("(swarm: a drawn fault mix; built-in invariants and liveness)"), "{out}");
    let seed_line = out.lines().find(|l| l.starts_with("  seed ")).expect("a failing seed");
    assert!(seed_line.contains(": liveness: expected settled within 0.1s"), "{seed_line}");
    assert!(out.contains("    drawn fault mix:\n      faults:\n      - "), "{out}");
    assert!(out.contains("    smallest failing fault schedule:\n"), "{out}");
    let reproduce = out.lines().find_map(|l| l.strip_prefix("    reproduce: squadsim run ")).expect("a reproduce line");
    assert!(reproduce.ends_with(" --swarm"), "{reproduce}");

    // The printed command draws the same mix and fails the same way.
    let mut words = reproduce.split_whitespace();
    let again_file = std::path::PathBuf::from(words.next().unwrap());
    let rest: Vec<&str> = words.collect();
    let (code, again) = squadsim(&rest, &again_file);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(code, Some(1), "{again}");
    assert!(again.contains(seed_line), "the rerun breaks the same way:\n{seed_line}\n{again}");
}

#[test]
fn a_swarm_over_fault_free_twins_of_the_corpus_holds() {
    // Without a bound of its own, a drawn mix leaves a healthy scenario converging (or blocked with a reason).
    let (code, out) = squadsim(&["--swarm", "--seeds", "4", "--jobs", "2"], &support::corpus_file("happy-intake.yaml"));
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("fault_began:"), "the swarm drew faults that began: {out}");
}
