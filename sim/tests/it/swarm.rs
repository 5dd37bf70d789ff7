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
    // Liveness within 100ms of the last fault's end: a mix whose faults end before the run settles breaks it,
    // and a menu of faults over within the first 3s draws such mixes.
    let dir = std::env::temp_dir().join(format!("squadsim-swarm-it-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = std::fs::read_to_string(support::corpus_file("happy-intake.yaml")).unwrap();
    let file = dir.join("happy-intake.yaml");
    let menu = "swarm: {starts: {min: 0s, max: 1s}, lasts: {min: 1s, max: 2s}}\n";
    std::fs::write(&file, text.replace("invariants: {", "invariants: {converges_within: 100ms, ") + menu).unwrap();

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

/// A scenario whose `swarm:` menu is `menu` (YAML lines under `swarm:`), loaded (the default world: horizon 1h,
/// hosts studio and daytona).
fn with_menu(menu: &str) -> Result<squadsim::Scenario, squadsim::scenario::ScenarioError> {
    let text = format!("name: x\nswarm:\n{menu}steps: [health]\n");
    squadsim::scenario::Scenario::parse(std::path::Path::new("scenarios/x.yaml"), &text)
}

/// The load error of a scenario whose `swarm:` menu is `menu`.
fn menu_error(menu: &str) -> squadsim::scenario::ScenarioError {
    with_menu(menu).err().unwrap_or_else(|| panic!("expected a load error for the menu:\n{menu}"))
}

#[test]
fn a_swarm_menu_naming_an_unknown_host_kind_or_an_empty_range_is_refused_with_its_line_and_field() {
    let e = menu_error("  hosts: [daytona, nope]\n");
    assert_eq!((e.field.as_str(), e.line), ("swarm.hosts[1]", Some(3)), "{e}");
    assert!(e.to_string().contains("unknown host `nope`: expected one of studio, daytona"), "{e}");
    let e = menu_error("  hosts: [operator]\n");
    assert_eq!((e.field.as_str(), e.line), ("swarm.hosts[0]", Some(3)), "the operator's client is never crashed: {e}");
    let e = menu_error("  links:\n    - [studio, daytona]\n    - [daytona, platform]\n");
    assert_eq!((e.field.as_str(), e.line), ("swarm.links[1][1]", Some(5)), "{e}");
    let e = menu_error("  links: [[studio, studio]]\n");
    assert_eq!(e.field, "swarm.links[0]", "{e}");
    let e = menu_error("  kinds: [partition, earthquake]\n");
    assert_eq!((e.field.as_str(), e.line), ("swarm.kinds[1]", Some(3)), "{e}");
    assert!(e.to_string().contains("earthquake"), "{e}");
    let e = menu_error("  hosts: [daytona]\n  kinds:\n    - crash\n    - partition\n");
    assert_eq!((e.field.as_str(), e.line), ("swarm.kinds[1]", Some(6)), "one host makes no link: {e}");
    let e = menu_error("  lasts: {min: 20s, max: 5s}\n");
    assert_eq!((e.field.as_str(), e.line), ("swarm.lasts.min", Some(3)), "{e}");
    let e = menu_error("  faults: {min: 1, max: 17}\n");
    assert_eq!(e.field, "swarm.faults.max", "{e}");
    assert!(e.to_string().contains("between 1 and 16 faults"), "{e}");
    let e = menu_error("  statuses: [503, 200]\n");
    assert_eq!(e.field, "swarm.statuses[1]", "{e}");
    let e = menu_error("  loss_rate: {min: 0, max: 0.5}\n");
    assert_eq!(e.field, "swarm.loss_rate.min", "{e}");
    let e = menu_error("  hosts: [daytona]\n  colour: red\n");
    assert_eq!(e.line, Some(4), "an unknown field: {e}");
}

#[test]
fn a_swarm_over_a_scenario_with_a_menu_strikes_only_what_the_menu_names() {
    // network-gateway-blip declares a menu of the execution plane and the gateway.
    let (code, out) =
        squadsim(&["--swarm", "--seeds", "12", "--jobs", "2"], &support::corpus_file("network-gateway-blip.yaml"));
    assert!(matches!(code, Some(0 | 1)), "{out}");
    assert!(out.contains("fault_began:"), "{out}");
    for kind in ["latency", "service_hang"] {
        assert!(!out.contains(&format!("fault_began:{kind}:")), "{kind} is not on the menu: {out}");
    }
}

#[test]
fn a_menu_draws_only_the_kinds_its_hosts_and_links_can_take_and_one_with_neither_is_refused() {
    // Nothing to strike: refused at load with its line (the sweep used to panic drawing a host from none).
    let e = menu_error("  hosts: []\n");
    assert_eq!((e.field.as_str(), e.line), ("swarm.hosts", Some(3)), "{e}");
    assert!(e.to_string().contains("the menu has no host and no link: nothing a fault could strike"), "{e}");
    let e = menu_error("  hosts: []\n  kinds: []\n");
    assert!(e.to_string().contains("expected at least one kind of fault"), "{e}");

    // One host makes no link: with the kinds left to their default, only host kinds are drawn.
    let dir = support::scratch("swarm-one-host");
    let text = std::fs::read_to_string(support::corpus_file("happy-intake.yaml")).unwrap();
    let file = dir.join("one-host.yaml");
    std::fs::write(&file, format!("{text}swarm: {{hosts: [daytona]}}\n")).unwrap();
    let (code, out) = squadsim(&["--swarm", "--seeds", "16", "--jobs", "2"], &file);
    assert!(matches!(code, Some(0 | 1)), "every seed ran: {out}");
    assert!(!out.contains("panicked"), "{out}");
    assert!(out.contains("fault_began:crash") || out.contains("fault_began:service_"), "{out}");
    for kind in ["partition", "one_way_partition", "latency", "loss"] {
        assert!(!out.contains(&format!("fault_began:{kind}:")), "{kind} needs a link: {out}");
    }
}

#[test]
fn a_swarm_menu_is_refused_past_each_bound_and_loads_on_it() {
    // On every bound: ranges of one value, the fewest and most faults, a start just before the horizon, a loss
    // rate of 1, the lowest and highest error statuses.
    let on_bounds = concat!(
        "  faults: {min: 16, max: 16}\n",
        "  starts: {min: 3599999ms, max: 3599999ms}\n",
        "  lasts: {min: 1ms, max: 1ms}\n",
        "  extra: {min: 2s, max: 2s}\n",
        "  loss_rate: {min: 1, max: 1}\n",
        "  statuses: [400, 599]\n",
    );
    for menu in [on_bounds, "  faults: {min: 1, max: 1}\n  loss_rate: {min: 0.3, max: 0.3}\n"] {
        assert!(with_menu(menu).is_ok(), "{menu}: {:?}", with_menu(menu).err());
    }

    // Past each: the field (on the menu's one line, line 3) and what was expected.
    for (menu, field, expected) in [
        ("  faults: {min: 0, max: 2}\n", "swarm.faults.min", "expected between 1 and 16 faults a seed"),
        ("  faults: {min: 3, max: 2}\n", "swarm.faults.min", "expected `min` at most `max`"),
        ("  starts: {min: 0s, max: 1h}\n", "swarm.starts.max", "expected a start before the horizon (3600.0s)"),
        ("  starts: {min: 5s, max: 2s}\n", "swarm.starts.min", "expected `min` at most `max`"),
        ("  lasts: {min: 0s, max: 2s}\n", "swarm.lasts.min", "expected a fault to last longer than 0s"),
        ("  extra: {min: 0s, max: 2s}\n", "swarm.extra.min", "expected an added latency longer than 0s"),
        ("  extra: {min: 3s, max: 2s}\n", "swarm.extra.min", "expected `min` at most `max`"),
        ("  loss_rate: {min: 0.2, max: 1.5}\n", "swarm.loss_rate.max", "above 0 and at most 1, got 1.5"),
        ("  loss_rate: {min: 0.6, max: 0.5}\n", "swarm.loss_rate.min", "expected `min` at most `max`"),
        ("  statuses: []\n", "swarm.statuses", "expected at least one status"),
        ("  statuses: [503, 399]\n", "swarm.statuses[1]", "expected an error status (400..=599), got 399"),
        ("  statuses: [600]\n", "swarm.statuses[0]", "expected an error status (400..=599), got 600"),
        ("  kinds: []\n", "swarm.kinds", "expected at least one kind of fault"),
    ] {
        let e = menu_error(menu);
        assert_eq!((e.field.as_str(), e.line), (field, Some(3)), "{menu}: {e}");
        assert!(e.to_string().contains(expected), "{menu}: {e}");
    }
}
