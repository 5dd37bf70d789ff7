//! Scaffolding provisions each project's GlitchTip DSN through GlitchTip's
//! management API, fail-open: a refusing or unreachable GlitchTip never blocks
//! a launch, and the outcome says whether a DSN was provisioned.

use crate::support;

use std::path::Path;

use squadsim::scenario::{Fault, FaultEnd, FaultStart, Scenario, SimDuration};
use squadsim::{
    engine::world::{self, Run, RunOptions},
    Outcome,
};

fn load() -> Scenario {
    support::load("glitchtip-dsn-provisioning-failure.yaml")
}

fn dsn_status(o: &Outcome) -> String {
    o.run.as_ref().expect("a run").observability_dsn.clone()
}

#[test]
fn a_provisioning_failure_leaves_the_run_without_a_dsn_and_never_blocks_it() {
    let Run { outcome: o, services, .. } =
        world::run(&load(), RunOptions { keep_services: true, ..RunOptions::default() });
    assert_eq!(o.launch_http_status(), Some(200));
    support::assert_completed(&o);
    assert_eq!(dsn_status(&o), "not provisioned: creating the project: HTTP 500");
    let daytona = services.unwrap().daytona;
    assert!(daytona.sandboxes().iter().all(|sb| !sb.env.contains_key("SENTRY_DSN")));
}

#[test]
fn twin_without_the_failure_provisions_the_dsn_into_the_starter_env() {
    let mut s = load();
    s.world.glitchtip.provisioning_failure = None;
    let Run { outcome: o, services, .. } = world::run(&s, RunOptions { keep_services: true, ..RunOptions::default() });
    support::assert_completed(&o);
    assert_eq!(dsn_status(&o), "provisioned");
    let services = services.unwrap();
    let dsn = services.glitchtip.dsn("yamon", "sanmopia-modernization").expect("the project has a DSN");
    let sandboxes = services.daytona.sandboxes();
    assert!(!sandboxes.is_empty());
    for sb in sandboxes {
        assert_eq!(sb.env.get("SENTRY_DSN"), Some(&dsn), "the DSN GlitchTip issued is in the starter env");
    }
}

#[test]
fn an_unreachable_glitchtip_is_fail_open_too_and_the_launch_is_not_slower() {
    let mut s = load();
    s.world.glitchtip.provisioning_failure = None;
    let twin = support::run(&s);
    s.faults.push(Fault::Partition {
        between: ["studio".into(), "glitchtip".into()],
        start: FaultStart::at_time(SimDuration::secs(0)),
        end: FaultEnd::NEVER,
    });
    let o = support::run(&s);
    support::assert_completed(&o);
    assert!(dsn_status(&o).starts_with("not provisioned: creating the project:"), "{}", dsn_status(&o));
    let launch_at = |o: &Outcome| o.operator.iter().find(|c| c.step == "launch").unwrap().at.clone();
    assert_eq!(launch_at(&o), launch_at(&twin), "provisioning never sits in front of the launch");
}

#[test]
fn a_provisioning_failure_that_is_not_5xx_is_refused_at_load() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/glitchtip-dsn-provisioning-failure.yaml"),
    )
    .unwrap()
    .replace("provisioning_failure: 500", "provisioning_failure: 404");
    let err = Scenario::parse(Path::new("x.yaml"), &text).unwrap_err();
    assert_eq!(err.field, "world.glitchtip.provisioning_failure");
    assert!(err.message.contains("expected a 5xx status"), "{err}");
}
