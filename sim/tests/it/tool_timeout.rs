//! ContextForge's `TOOL_TIMEOUT` (60 s) in a run: the closer's lineage call
//! through the gateway to a DataHub grid that answers late. Slower than the
//! 10 s the gateway's other HTTP calls allow but within 60 s, the lineage is
//! published and the run completes; beyond 60 s the gateway answers the
//! closer its timed-out `isError` result at 60 s, and the closer's work stops
//! on it as on any failed call (the closer wall, then blocked).

use std::path::Path;
use std::time::Duration;

use squadsim::engine::world::{self, Run, RunOptions};
use squadsim::scenario::Scenario;

use crate::support::{self, load};

/// datahub-crash-on-closer-lineage with DataHub answering `slow` late instead of
/// crashing, from the closer's first publish_lineage call on, for a second.
fn slow_datahub(slow: &str) -> Run {
    let mut s = load("datahub-crash-on-closer-lineage.yaml");
    let faults = format!(
        "faults:\n  - service: {{host: datahub, path: /, effect: {{slow: {slow}}}, \
         on: {{tool_call: {{role: closer, tool: publish_lineage}}}}, lasts: 1s}}\nsteps: [health]\n"
    );
    s.faults = Scenario::parse(Path::new("scenarios/x.yaml"), &faults).unwrap().faults;
    world::run(&s, RunOptions { record: true, ..RunOptions::default() })
}

/// How long the closer's held call and the gateway's call to DataHub after it
/// took, and how each ended (`None`: no answer).
fn lineage_calls(run: &Run) -> ((Duration, Option<u16>), (Duration, Option<u16>)) {
    let at = support::fault_began(&run.outcome, "on tool_call publish_lineage by closer").expect("fired");
    let calls = &run.record.as_ref().expect("a recorded run has a record").calls;
    let upstream = calls.iter().find(|c| c.from == "contextforge" && c.to == "datahub" && c.start >= at).unwrap();
    let agent = calls.iter().find(|c| c.from == "daytona" && c.to == "contextforge" && c.start <= at && c.end >= at);
    let agent = agent.expect("the closer's call was held at the gateway's door");
    ((agent.end - agent.start, agent.status), (upstream.end - upstream.start, upstream.status))
}

fn status(run: &Run) -> &str {
    run.outcome.run.as_ref().map_or("not_launched", |r| r.status.as_str())
}

#[test]
fn a_grid_answering_within_tool_timeout_but_after_10s_still_delivers() {
    let run = slow_datahub("30s");
    let ((agent, agent_status), (upstream, upstream_status)) = lineage_calls(&run);
    assert_eq!(upstream_status, Some(200), "DataHub answered the gateway");
    assert!(upstream >= Duration::from_secs(30), "{upstream:?}");
    assert!(agent >= Duration::from_secs(30) && agent_status == Some(200), "{agent:?} {agent_status:?}");
    assert_eq!(status(&run), "completed", "{:?}", run.outcome.blockers());
    assert!(run.outcome.walls.is_empty(), "{:?}", run.outcome.walls);
}

#[test]
fn a_grid_answering_after_tool_timeout_gets_the_closer_the_gateways_timed_out_answer_at_60s() {
    let run = slow_datahub("70s");
    let ((agent, agent_status), (upstream, upstream_status)) = lineage_calls(&run);
    // The gateway gave up on DataHub at 60 s and answered the closer then (HTTP 200, an isError result).
    assert_eq!(upstream_status, None, "the gateway stopped waiting for DataHub");
    assert!(upstream >= Duration::from_secs(60) && upstream < Duration::from_secs(61), "{upstream:?}");
    assert_eq!(agent_status, Some(200), "the timed-out answer is a JSON-RPC result, not an HTTP error");
    assert!(agent >= Duration::from_secs(60) && agent < Duration::from_secs(62), "{agent:?}");
    // The closer's work stopped on the failed call: the closer wall fired.
    let walls: Vec<&str> = run.outcome.walls.iter().map(|w| w.wall.as_str()).collect();
    assert_eq!(walls, ["closer_wall"], "{:?}", run.outcome.blockers());
}
