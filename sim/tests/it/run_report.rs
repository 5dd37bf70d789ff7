//! The HTML run report reads in ten seconds: the 130 s Longhorn run is not a
//! wall of poll arrows but a few bands (every call still counted), its idle
//! minutes are compressed and marked so, what happened and the diagnosis stand
//! at the top, and each lane's final state at the foot.

use std::path::PathBuf;

use squadsim::engine::run_record::RunRecord;
use squadsim::engine::world::{self, Run, RunOptions};
use squadsim::tools::report::{self, ScenarioResult};
use squadsim::Scenario;

use crate::support;

/// The run's report page and its record.
fn report_of(name: &str) -> (String, RunRecord) {
    let file = support::corpus().join(name);
    let scenario = Scenario::load(&file).unwrap();
    let Run { outcome, record, .. } = world::run(&scenario, RunOptions { record: true, ..RunOptions::default() });
    let record = record.expect("a recorded run has a record");
    let verdict = report::compare(&file, &outcome);
    let result = ScenarioResult { file, outcome, verdict, record: Some(record.clone()) };
    let dir = std::env::temp_dir().join(format!("squadsim-run-report-{}-{name}", std::process::id()));
    let written = report::write_dir(&dir, &[result], &[], &[]).unwrap();
    let page: PathBuf = written.into_iter().find(|p| p.extension().is_some_and(|e| e == "html")).unwrap();
    let html = std::fs::read_to_string(&page).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    (html, record)
}

/// The `data-count` of every band on the page.
fn band_counts(page: &str) -> Vec<usize> {
    page.split("<g class=\"band ")
        .skip(1)
        .map(|b| b.split("data-count=\"").nth(1).and_then(|n| n.split('"').next()?.parse().ok()).unwrap())
        .collect()
}

#[test]
fn the_longhorn_report_folds_its_polls_into_bands_that_count_every_call() {
    let (page, record) = report_of("longhorn-faulted-volumes.yaml");
    let arrows = page.matches("<g class=\"call ").count();
    let bands = band_counts(&page);
    assert_eq!(arrows + bands.iter().sum::<usize>(), record.calls.len(), "every call is drawn or counted");
    assert!(record.calls.len() > 100, "the run polls: {} calls", record.calls.len());
    // The launch's five Microsoft Graph calls (a token, a lookup and a lease per intake agent) are five arrows.
    assert!(arrows + bands.len() < 45, "{arrows} arrows and {} bands for {} calls", bands.len(), record.calls.len());
    let poll = page
        .split("<g class=\"band ")
        .find(|b| b.contains("studio → daytona GET /api/sandbox/sbx-00000001 → 200"))
        .expect("the Harness Runtime's polls of the sandbox that never starts are a band");
    assert!(poll.contains(", every ") && poll.contains("s, until "), "how often and until when: {poll:.400}");
}

#[test]
fn the_longhorn_report_compresses_its_idle_wait_and_says_so() {
    let (page, _) = report_of("longhorn-faulted-volumes.yaml");
    assert!(page.contains("<g class=\"compressed\">") && page.contains(" idle ("), "no compressed stretch");
    let height: f64 = page
        .split("class=\"sequence\" width=\"")
        .nth(1)
        .and_then(|s| s.split("height=\"").nth(1)?.split('"').next()?.parse().ok())
        .unwrap();
    assert!(height < 900.0, "127 s of simulated time fit {height} px");
}

#[test]
fn the_longhorn_report_lists_what_happened_beside_the_diagnosis_and_the_final_states_at_the_foot() {
    let (page, _) = report_of("longhorn-faulted-volumes.yaml");
    let top = &page[..page.find("<h2>Sequence</h2>").unwrap()];
    assert!(
        top.contains("<span class=\"kind\">blocker</span> planner, curator: agent_first_tool_required"),
        "one line for the blocker on both lanes: {top}"
    );
    assert!(top.contains("<span class=\"kind\">warning</span> FailedAttachVolume pod sandbox-sbx-00000001"), "{top}");
    assert!(top.contains("<p class=\"plane\">execution_plane</p>") && top.contains("[BAD]"), "{top}");
    assert!(top.contains("<span class=\"kind\">end</span> run blocked after 127.2s"), "{top}");
    for agent in ["planner", "curator"] {
        let foot = format!("<g class=\"foot\" data-lane=\"{agent}\"><text class=\"bad\"");
        let at = page.find(&foot).unwrap_or_else(|| panic!("no final state for {agent}"));
        assert!(page[at..].contains("blocked at first_tool_gate: agent_first_tool_required</text>"));
    }
    assert!(page.contains("<g class=\"foot\" data-lane=\"studio\"><text class=\"good\""), "hosts end too");
}

#[test]
fn a_partition_report_labels_the_fault_and_its_twin_has_none() {
    let (page, _) = report_of("network-gateway-blip.yaml");
    let top = &page[..page.find("<h2>Sequence</h2>").unwrap()];
    assert!(top.contains("<span class=\"kind\">fault</span> partition daytona"), "{top}");
    assert!(page.contains("<g class=\"mark fault\""), "the fault is drawn");
    let (twin, _) = report_of("happy-intake.yaml");
    assert!(!twin.contains("<span class=\"kind\">fault</span>") && !twin.contains("<g class=\"mark fault\""));
}

#[test]
fn the_same_run_gives_the_same_page() {
    assert_eq!(report_of("longhorn-faulted-volumes.yaml").0, report_of("longhorn-faulted-volumes.yaml").0);
}
