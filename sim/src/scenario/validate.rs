//! What the scenario's types cannot say: host names, fault windows, roles and
//! their delivery steps, codes of the delivery language, step order, and what
//! the fakes need to build the world.
//!
//! Guarantees: a scenario that passes would not make the simulation panic (an
//! unknown host, a zero tick) and its world builds (`world::Services::build`:
//! every project slug is a repository name GitHub holds, no two of them name one
//! repository); every problem is named by its field path, which the loader
//! turns into the line, and never by a value to search the text for.

use std::collections::BTreeSet;
use std::fmt::Display;
use std::time::Duration;

use squadsim_conformance::vocabulary::Wall;

use super::locate::FieldPath;
use super::{bounds, DeliveryStep, Fault, RequestStep, Scenario, ServiceEffect, Step, Trigger, SERVICE_METHODS};
use crate::base::templates::{self, TEMPLATES};
use crate::base::topology::Host;

/// One problem with a scenario, by field path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Invalid {
    pub(crate) field: FieldPath,
    pub(crate) message: String,
}

impl Invalid {
    pub(crate) fn new(field: FieldPath, message: String) -> Self {
        Invalid { field, message }
    }
}

/// Checks everything the types cannot, stopping at the first problem.
pub(crate) fn validate(scenario: &Scenario) -> Result<(), Invalid> {
    check_bounds(scenario)?;
    let world = FieldPath::root().key("world");
    if let Some(status) = scenario.world.glitchtip.provisioning_failure.filter(|s| !(500..=599).contains(s)) {
        return Err(Invalid::new(
            world.key("glitchtip").key("provisioning_failure"),
            format!("expected a 5xx status, got {status}"),
        ));
    }
    if scenario.sometimes.len() > super::bounds::MAX_FAULTS {
        return Err(Invalid::new(
            FieldPath::root().key("sometimes"),
            format!("expected at most {} probes, got {}", super::bounds::MAX_FAULTS, scenario.sometimes.len()),
        ));
    }
    let catalogue = super::sometimes::probes();
    for (i, probe) in scenario.sometimes.iter().enumerate() {
        if !catalogue.contains(probe) {
            return Err(Invalid::new(
                FieldPath::root().key("sometimes").index(i),
                format!("expected a coverage probe (`blocker:<code>`, `wall_cleared:<wall>`, ... see scenarios/README.md), got {probe:?}"),
            ));
        }
    }
    super::swarm::validate(scenario)?;
    super::bootstrap_assets::check(scenario)?;
    let hosts: Vec<&str> = scenario.hosts().into_iter().map(Host::name).collect();
    for (i, fault) in scenario.faults.iter().enumerate() {
        validate_fault(&FieldPath::root().key("faults").index(i), fault, &hosts)?;
    }
    let nodes = squadsim_fakes::daytona::StorageConfig::default().nodes;
    for (i, node) in scenario.world.storage.not_ready.iter().enumerate() {
        if !nodes.contains(node) {
            return Err(Invalid::new(
                world.key("storage").key("not_ready").index(i),
                format!("unknown node `{node}`: expected one of the sandbox pool's nodes ({})", nodes.join(", ")),
            ));
        }
    }
    projects(scenario, &world)?;
    roles(scenario)?;
    let known: Vec<String> = known_roles(scenario).1.into_iter().collect();
    super::tool_call::check(scenario, &known)?;
    missing_named_agents(scenario, &known)?;
    begin_before_the_horizon(scenario)?;
    for (role, behaviour) in &scenario.agents {
        let agent = FieldPath::root().key("agents").key(role);
        for (i, h) in behaviour.handoffs.iter().flatten().enumerate() {
            if Wall::parse(&h.fallback_wall).is_none() {
                let codes: Vec<&str> = Wall::ALL.iter().map(|w| w.code()).collect();
                return Err(Invalid::new(
                    agent.key("handoffs").index(i).key("fallback_wall"),
                    format!("unknown wall `{}`: expected one of {}", h.fallback_wall, codes.join(", ")),
                ));
            }
        }
        skips(role, behaviour.skips.as_deref().unwrap_or_default(), &agent.key("skips"))?;
    }
    if let Some(Err(e)) = scenario.invariants.as_ref().map(|i| i.validate()) {
        let mut field = FieldPath::root().key("invariants").key(e.name);
        if let Some(i) = e.index {
            field = field.index(i);
        }
        return Err(Invalid::new(field, e.message));
    }
    if let Some(condition) = &scenario.world.platform_agent {
        if let Err(e) = condition.check_corrections() {
            return Err(Invalid::new(world.key("platform_agent").key("corrected"), e.to_string()));
        }
        org(&condition.org, &world.key("platform_agent").key("org"))?;
    }
    super::launches::check(scenario)?;
    steps(scenario)
}

/// The org's roots are named, each name once, and its tables within their bound.
fn org(org: &super::OrgCondition, field: &FieldPath) -> Result<(), Invalid> {
    for (i, name) in org.roots.iter().enumerate() {
        if name.trim().is_empty() {
            return Err(Invalid::new(field.key("roots").index(i), "expected a workspace name".into()));
        }
        if org.roots[..i].contains(name) {
            return Err(Invalid::new(field.key("roots").index(i), format!("root `{name}` is named twice")));
        }
    }
    for (table, rows) in [("org_api_tokens", org.org_api_tokens), ("org_plugin_allowlist", org.org_plugin_allowlist)] {
        between(field.key(table), rows, 0, bounds::MAX_ORG_ROWS, "rows")?;
    }
    Ok(())
}

/// Every project slug is a repository name GitHub holds (the world gives each
/// project the repository `<org>/<slug>`), no two slugs name one repository,
/// and every prior run names a catalogue project.
fn projects(scenario: &Scenario, world: &FieldPath) -> Result<(), Invalid> {
    let projects = &scenario.world.projects;
    for (i, project) in projects.iter().enumerate() {
        let slug = &project.slug;
        let field = world.key("projects").index(i).key("slug");
        if let Some(reason) = squadsim_fakes::github::RepositoryConfig::name_error(slug) {
            return Err(Invalid::new(
                field,
                format!("expected a project slug GitHub can hold as a repository name, got `{slug}`: {reason}"),
            ));
        }
        // GitHub repository names are case-insensitive; the same slug twice is one project.
        if let Some(other) = projects[..i].iter().find(|p| p.slug != *slug && p.slug.eq_ignore_ascii_case(slug)) {
            return Err(Invalid::new(
                field,
                format!(
                    "expected slugs that name different GitHub repositories: `{slug}` and `{}` differ only in case",
                    other.slug
                ),
            ));
        }
    }
    for (i, prior) in scenario.world.prior_runs.iter().enumerate() {
        if !projects.iter().any(|p| p.slug == prior.project_slug) {
            let slugs: Vec<&str> = projects.iter().map(|p| p.slug.as_str()).collect();
            return Err(Invalid::new(
                world.key("prior_runs").index(i).key("project_slug"),
                format!(
                    "unknown project `{}`: expected a slug of world.projects ({})",
                    prior.project_slug,
                    slugs.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

/// The roles a scenario may script or configure: those of the templates its
/// launch steps name (of every template when none names a known one), and the
/// roles its scripted handoffs bring in.
pub(super) fn known_roles(scenario: &Scenario) -> (Vec<&'static str>, BTreeSet<String>) {
    let launched: Vec<&str> = scenario
        .steps
        .iter()
        .filter_map(|s| match s {
            Step::Launch(l) => templates::find(&l.template_id).map(|t| t.template_id),
            _ => None,
        })
        .collect();
    let mut roles = BTreeSet::new();
    for template in TEMPLATES.iter().filter(|t| launched.is_empty() || launched.contains(&t.template_id)) {
        roles.extend(template.intake_roles.iter().map(|r| r.to_string()));
        for (from, to, ..) in template.handoff_graph {
            roles.extend([from.to_string(), to.to_string()]);
        }
    }
    let brought_in = scenario.agents.values().flat_map(|b| b.handoffs.iter().flatten());
    roles.extend(brought_in.map(|h| templates::role_of(&h.to).to_string()));
    (launched, roles)
}

/// Every role-keyed entry (`agents`, `world.loadouts`, `world.agent_process_adapters`,
/// `world.browser_slots`) names a role the scenario's agents can have.
fn roles(scenario: &Scenario) -> Result<(), Invalid> {
    let (launched, known) = known_roles(scenario);
    let w = &scenario.world;
    let keyed = [
        (FieldPath::root().key("agents"), scenario.agents.keys().collect::<Vec<_>>()),
        (FieldPath::root().key("world").key("loadouts"), w.loadouts.keys().collect()),
        (FieldPath::root().key("world").key("agent_process_adapters"), w.agent_process_adapters.keys().collect()),
        (FieldPath::root().key("world").key("browser_slots"), w.browser_slots.keys().collect()),
    ];
    for (map, keys) in keyed {
        if let Some(role) = keys.into_iter().find(|r| !known.contains(*r)) {
            let templates = if launched.is_empty() {
                "any template".to_string()
            } else {
                format!("template {}", launched.iter().map(|t| format!("`{t}`")).collect::<Vec<_>>().join(", "))
            };
            let roles: Vec<&str> = known.iter().map(String::as_str).collect();
            return Err(Invalid::new(
                map.key(role),
                format!(
                    "unknown role `{role}`: expected a role of {templates} or one a scripted handoff brings in ({})",
                    roles.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

/// Every role `world.msgraph.missing_named_agents` names is one the scenario's agents can have, once.
fn missing_named_agents(scenario: &Scenario, known: &[String]) -> Result<(), Invalid> {
    let field = FieldPath::root().key("world").key("msgraph").key("missing_named_agents");
    let missing = &scenario.world.msgraph.missing_named_agents;
    for (i, role) in missing.iter().enumerate() {
        if !known.contains(role) {
            return Err(Invalid::new(
                field.index(i),
                format!("unknown role `{role}`: expected a role the scenario's agents can have ({})", known.join(", ")),
            ));
        }
        if missing[..i].contains(role) {
            return Err(Invalid::new(field.index(i), format!("`{role}` is listed twice")));
        }
    }
    Ok(())
}

/// Every role of every template, and those the scenario's scripted handoffs
/// bring in: the named agents the directory holds (less the missing ones).
pub(crate) fn named_agent_roles(scenario: &Scenario) -> BTreeSet<String> {
    let mut roles = known_roles(scenario).1;
    for template in TEMPLATES.iter() {
        roles.extend(template.intake_roles.iter().map(|r| r.to_string()));
        roles.extend(template.handoff_graph.iter().flat_map(|(from, to, ..)| [from.to_string(), to.to_string()]));
    }
    roles
}

/// Every step a role's model forgets is a step of that role's delivery work.
fn skips(role: &str, skips: &[DeliveryStep], field: &FieldPath) -> Result<(), Invalid> {
    let own: Vec<&str> = DeliveryStep::ALL.iter().filter(|s| s.role() == role).map(|s| s.name()).collect();
    match skips.iter().enumerate().find(|(_, s)| s.role() != role) {
        None => Ok(()),
        Some((i, step)) => {
            let expected = if own.is_empty() {
                format!("the {role} has no delivery work to skip")
            } else {
                format!("expected a step of the {role}'s delivery work ({})", own.join(", "))
            };
            Err(Invalid::new(field.index(i), format!("`{}` is the {}'s step: {expected}", step.name(), step.role())))
        }
    }
}

/// Steps that act on a run come after a launch; the platform agent's steps need its condition.
fn steps(scenario: &Scenario) -> Result<(), Invalid> {
    let steps = FieldPath::root().key("steps");
    if let Some(i) = scenario
        .steps
        .iter()
        .position(|s| matches!(s, Step::ChatWithAgent(_) | Step::ProbeAgent | Step::RollbackPlatformAgent))
    {
        if scenario.world.platform_agent.is_none() {
            return Err(Invalid::new(
                steps.index(i),
                "this step talks to the platform agent: expected `world.platform_agent`".into(),
            ));
        }
    }
    let first_launch = scenario.steps.iter().position(|s| matches!(s, Step::Launch(_)));
    for (i, step) in scenario.steps.iter().enumerate() {
        // `on_run` names a launch before it (checked with the labels, `launches`).
        let needs_run = !matches!(
            step,
            Step::Health
                | Step::Openapi
                | Step::Templates
                | Step::Launch(_)
                | Step::Wait { .. }
                | Step::ConfirmSlug { .. }
                | Step::ChatWithAgent(_)
                | Step::ProbeAgent
                | Step::RollbackPlatformAgent
                | Step::SshAccess
                | Step::Request(_)
                | Step::OnRun(_)
        );
        let needs_run = match step {
            Step::Request(request) => request.needs_run(),
            _ => needs_run,
        };
        if needs_run && first_launch.is_none_or(|l| l > i) {
            return Err(Invalid::new(
                steps.index(i),
                "this step acts on a run: expected a `launch` step before it".into(),
            ));
        }
    }
    Ok(())
}

/// Checks one fault: its hosts, its window, and its kind's own fields.
fn validate_fault(entry: &FieldPath, fault: &Fault, world_hosts: &[&str]) -> Result<(), Invalid> {
    let kind = fault.kind();
    let fault_path = entry.key(kind);
    let field = |name: &str| fault_path.key(name);
    let hosts = fault.hosts();
    for (name, index, host) in &hosts {
        let client_only = *host == "operator" && matches!(fault, Fault::Crash { .. } | Fault::Service { .. });
        if !world_hosts.contains(host) || client_only {
            let expected: Vec<&str> =
                world_hosts.iter().copied().filter(|h| !client_only || *h != "operator").collect();
            let mut message = format!("unknown host `{host}`: expected one of {}", expected.join(", "));
            if Host::PLATFORM_AGENT.iter().any(|h| h.name() == *host) {
                message.push_str(&format!(" (`{host}` joins the world with `world.platform_agent`)"));
            }
            let path = field(name);
            return Err(Invalid::new(index.map_or_else(|| path.clone(), |i| path.index(i)), message));
        }
    }
    if let [(name, index, a), (_, _, b)] = hosts.as_slice() {
        if a == b {
            let path = field(name);
            return Err(Invalid::new(
                index.map_or_else(|| path.clone(), |i| path.index(i)),
                "expected two different hosts".into(),
            ));
        }
    }
    let (start, window_end) = (fault.start(), fault.end());
    let end = if matches!(fault, Fault::Crash { .. }) { "restart_after" } else { "lasts" };
    match (&start.at, &start.on) {
        (Some(_), Some(_)) => {
            return Err(Invalid::new(
                field("on"),
                "expected `at` (a simulated time) or `on` (an event), not both".into(),
            ))
        }
        (None, None) => {
            return Err(Invalid::new(
                field("at"),
                "expected `at` (a simulated time like `10s`) or `on` (an event like `{session_started: planner}`)"
                    .into(),
            ))
        }
        _ => {}
    }
    if let Some(role) = start.on.as_ref().and_then(Trigger::role) {
        if role.trim().is_empty() {
            return Err(Invalid::new(field("on"), "expected a role id for the event, e.g. `planner`".into()));
        }
    }
    if let Some(on) = &start.on {
        event(&field("on"), on, world_hosts)?;
    }
    if let Some(until) = window_end.until {
        if window_end.lasts.is_some() {
            return Err(Invalid::new(field("until"), format!("expected `until` or `{end}`, not both")));
        }
        match start.at {
            None => {
                return Err(Invalid::new(
                    field("until"),
                    "expected `lasts` with an event-triggered fault (`until` is a simulated time)".into(),
                ))
            }
            Some(at) if until <= at => return Err(Invalid::new(field("until"), "expected `until` after `at`".into())),
            _ => {}
        }
    }
    if window_end.lasts.is_some_and(|l| l.0.is_zero()) {
        return Err(Invalid::new(field(end), format!("expected `{end}` longer than 0s")));
    }
    match fault {
        Fault::Latency { extra, .. } if extra.0.is_zero() => {
            Err(Invalid::new(field("extra"), "expected an added latency longer than 0s".into()))
        }
        Fault::Loss { rate, .. } if !(*rate > 0.0 && *rate <= 1.0) => Err(Invalid::new(
            field("rate"),
            format!("expected a loss rate above 0 and at most 1 (1 loses every message), got {rate}"),
        )),
        Fault::Service { method, path, effect, .. } => {
            if !path.starts_with('/') {
                return Err(Invalid::new(field("path"), format!("expected a path starting with `/`, got `{path}`")));
            }
            if let Some(m) = method.as_deref().filter(|m| !SERVICE_METHODS.contains(m)) {
                return Err(Invalid::new(
                    field("method"),
                    format!("unknown HTTP method `{m}`: expected one of {}", SERVICE_METHODS.join(", ")),
                ));
            }
            match effect {
                ServiceEffect::Status(code) if !(100..=599).contains(code) => Err(Invalid::new(
                    field("effect").key("status"),
                    format!("expected an HTTP status between 100 and 599, got {code}"),
                )),
                ServiceEffect::Slow(d) if d.0.is_zero() => {
                    Err(Invalid::new(field("effect").key("slow"), "expected a delay longer than 0s".into()))
                }
                _ => Ok(()),
            }
        }
        _ => Ok(()),
    }
}

/// A fault's `at`, and an event's `delay`, end inside the horizon: a fault that
/// could only begin after the run has stopped is a mistake, not a condition.
fn begin_before_the_horizon(scenario: &Scenario) -> Result<(), Invalid> {
    let horizon = scenario.world.horizon.0;
    for (i, fault) in scenario.faults.iter().enumerate() {
        if let Some(at) = fault.start().at.filter(|at| at.0 >= horizon) {
            return Err(Invalid::new(
                FieldPath::root().key("faults").index(i).key(fault.kind()).key("at"),
                format!(
                    "expected a time before the horizon ({}), got {}: the fault would begin after the run stops",
                    crate::base::clock::seconds_label(horizon),
                    crate::base::clock::seconds_label(at.0)
                ),
            ));
        }
        let Some(on) = &fault.start().on else { continue };
        if on.delay() >= horizon {
            return Err(Invalid::new(
                FieldPath::root().key("faults").index(i).key(fault.kind()).key("on").key(on.key()).key("delay"),
                format!(
                    "expected a delay shorter than the horizon ({}): the fault would begin after the run stops",
                    crate::base::clock::seconds_label(horizon)
                ),
            ));
        }
    }
    Ok(())
}

/// Checks every count and list bound the event pass (`locate`) and the
/// duration parser do not already hold.
fn check_bounds(scenario: &Scenario) -> Result<(), Invalid> {
    let world = FieldPath::root().key("world");
    let w = &scenario.world;
    tick_and_horizon(&world, w.tick.0, w.horizon.0)?;
    between(world.key("implementer_lanes"), w.implementer_lanes, 0, bounds::MAX_LANES, "implementer lanes")?;
    let storage = world.key("storage");
    let s = &w.storage;
    for (name, count) in [
        ("healthy", s.healthy),
        ("degraded", s.degraded),
        ("faulted", s.faulted),
        ("unknown", s.unknown),
        ("reservation_headroom", s.reservation_headroom),
    ] {
        between(storage.key(name), count, 0, bounds::MAX_VOLUMES, "volumes")?;
    }
    if let Some(limit) = w.github.rate_limit {
        between(world.key("github").key("rate_limit"), limit, 1, bounds::MAX_RATE_LIMIT, "requests per hour")?;
    }
    for (role, behaviour) in &scenario.agents {
        let agent = FieldPath::root().key("agents").key(role);
        if let Some(n) = behaviour.parallel_tool_calls {
            between(agent.key("parallel_tool_calls"), n, 1, bounds::MAX_PARALLEL_TOOL_CALLS, "tool calls a turn")?;
        }
        if let Some(calls) = &behaviour.tool_calls {
            between(agent.key("tool_calls"), calls.len(), 0, bounds::MAX_TOOL_CALLS, "tool calls")?;
        }
        if let Some(app) = &behaviour.preview_app {
            for (side, errors) in [("frontend_errors", &app.frontend_errors), ("backend_errors", &app.backend_errors)] {
                let path = agent.key("preview_app").key(side);
                between(path, errors.len(), 0, bounds::MAX_PREVIEW_APP_ERRORS, "errors")?;
            }
        }
    }
    between(FieldPath::root().key("faults"), scenario.faults.len(), 0, bounds::MAX_FAULTS, "faults")?;
    between(FieldPath::root().key("steps"), scenario.steps.len(), 1, bounds::MAX_STEPS, "operator steps")?;
    for (step_path, step) in super::launches::every_step(scenario) {
        match step {
            Step::Launch(launch) => {
                between(step_path.key("launch").key("count"), launch.count, 1, bounds::MAX_LAUNCH_COUNT, "runs")?
            }
            Step::Request(request) => self::request(&step_path.key("request"), request)?,
            Step::Watch(watch) if watch.every.0.is_zero() => {
                return Err(Invalid::new(
                    step_path.key("watch").key("every"),
                    "expected a poll interval longer than 0s".into(),
                ))
            }
            _ => {}
        }
    }
    Ok(())
}

/// An event's host, method, path and wall are ones the world has.
fn event(on: &FieldPath, trigger: &Trigger, world_hosts: &[&str]) -> Result<(), Invalid> {
    match trigger {
        Trigger::Http(e) => {
            let http = on.key("http");
            if !world_hosts.contains(&e.to.as_str()) {
                return Err(Invalid::new(
                    http.key("to"),
                    format!("unknown host `{}`: expected one of {}", e.to, world_hosts.join(", ")),
                ));
            }
            if let Some(from) = &e.from {
                if !world_hosts.contains(&from.as_str()) || *from == e.to {
                    return Err(Invalid::new(
                        http.key("from"),
                        format!(
                            "expected a host other than `to` (`{}`) that sends the request: one of {}, got `{from}`",
                            e.to,
                            world_hosts.join(", ")
                        ),
                    ));
                }
            }
            if let Some(m) = e.method.as_deref().filter(|m| !SERVICE_METHODS.contains(m)) {
                return Err(Invalid::new(
                    http.key("method"),
                    format!("unknown HTTP method `{m}`: expected one of {}", SERVICE_METHODS.join(", ")),
                ));
            }
            if !e.path.starts_with('/') {
                return Err(Invalid::new(
                    http.key("path"),
                    format!("expected a path starting with `/`, got `{}`", e.path),
                ));
            }
            Ok(())
        }
        Trigger::Handoff(h) => {
            let roles = crate::base::templates::handoff_roles();
            for (name, value) in [("from", &h.from), ("to", &h.to)] {
                let Some(value) = value else { continue };
                if !roles.contains(&crate::base::templates::role_of(value)) {
                    return Err(Invalid::new(
                        on.key("handoff").key(name),
                        format!(
                            "no handoff can be {name} `{value}`: expected a role that hands off or is handed work \
                             ({}), or one of its agent ids (`implementer-2`)",
                            roles.join(", ")
                        ),
                    ));
                }
            }
            Ok(())
        }
        Trigger::Wall(w) if Wall::parse(&w.wall).is_none() => {
            let codes: Vec<&str> = Wall::ALL.iter().map(|w| w.code()).collect();
            Err(Invalid::new(
                on.key("wall").key("wall"),
                format!("unknown wall `{}`: expected one of {}", w.wall, codes.join(", ")),
            ))
        }
        _ => Ok(()),
    }
}

/// A request's path is a path (no query, no spaces) and its headers are HTTP headers.
fn request(field: &FieldPath, request: &RequestStep) -> Result<(), Invalid> {
    let path = &request.path;
    if !path.starts_with('/') || path.contains(['?', '#']) || path.contains(char::is_whitespace) {
        return Err(Invalid::new(
            field.key("path"),
            format!(
                "expected a path from the root without a query or spaces (put parameters in `query`), got `{path}`"
            ),
        ));
    }
    for (name, value) in &request.headers {
        if hyper::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
            return Err(Invalid::new(field.key("headers").key(name), format!("`{name}` is not an HTTP header name")));
        }
        if hyper::header::HeaderValue::from_str(value).is_err() {
            return Err(Invalid::new(
                field.key("headers").key(name),
                "expected a header value of visible ASCII characters and spaces".into(),
            ));
        }
    }
    if let Some(name) = request.query.keys().find(|k| k.is_empty()) {
        return Err(Invalid::new(field.key("query").key(name), "expected a parameter name, got an empty one".into()));
    }
    Ok(())
}

fn tick_and_horizon(world: &FieldPath, tick: Duration, horizon: Duration) -> Result<(), Invalid> {
    if !(bounds::MIN_TICK..=bounds::MAX_TICK).contains(&tick) {
        return Err(Invalid::new(
            world.key("tick"),
            format!("expected a tick between 1ms and 1s, got {}ms", tick.as_millis()),
        ));
    }
    if horizon < bounds::MIN_HORIZON {
        return Err(Invalid::new(world.key("horizon"), "expected a horizon of at least 1s".into()));
    }
    Ok(())
}

/// `value` within `min..=max`, or an error naming both ends.
fn between<T: PartialOrd + Display>(field: FieldPath, value: T, min: T, max: T, what: &str) -> Result<(), Invalid> {
    if value < min || value > max {
        return Err(Invalid::new(field, format!("expected between {min} and {max} {what}, got {value}")));
    }
    Ok(())
}
