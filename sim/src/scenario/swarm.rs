//! `swarm:`: the menu a swarm sweep (`squadsim run --swarm`) draws each
//! seed's fault mix from: which hosts may fail, which links, which kinds of
//! fault, how many, and the ranges of their start, length, added latency, loss
//! rate and status. Every field is optional; one left out takes the default
//! ([`Menu`]): every host and link of the scenario's world, every kind swarm draws
//! that the menu's hosts and links can take.
//! The tool calls a crash may wait for are always every one the scenario's
//! agents can make (their roles' loadouts).
//!
//! Guarantees: a menu that loads resolves to one from which every kind it names
//! can be drawn (a link kind has a link, a host kind a host), every range has
//! `min <= max` and stays within the format's bounds, and every fault drawn from
//! it is one the loader accepts.

use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::locate::FieldPath;
use super::validate::Invalid;
use super::{FaultKind, Scenario, SimDuration, ToolCallEvent};
use crate::base::topology::Host;

/// The most faults one swarm seed may draw.
pub(crate) const MAX_SWARM_FAULTS: u32 = 16;

/// A range, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Between<T> {
    pub min: T,
    pub max: T,
}

/// `swarm:`: what a swarm sweep may draw for this scenario (each field left out takes its default).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SwarmMenu {
    /// Hosts that may crash or whose endpoints may fail. Default: every host of the world but the operator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hosts: Option<Vec<String>>,
    /// Links that may be cut, slowed or lose messages. Default: every pair of `hosts`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub links: Option<Vec<[String; 2]>>,
    /// Kinds of fault that may be drawn (each seed switches some off). Default: every kind the menu can strike with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kinds: Option<Vec<FaultKind>>,
    /// How many faults a seed draws. Default 1..3, at most 16.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub faults: Option<Between<u32>>,
    /// When a drawn fault begins. Default 0s..30s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starts: Option<Between<SimDuration>>,
    /// How long a drawn fault lasts (a crash: until the restart). Default 1s..30s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lasts: Option<Between<SimDuration>>,
    /// The latency a `latency` fault adds, and the delay a `service_slow` one. Default 100ms..2s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra: Option<Between<SimDuration>>,
    /// The share of messages a `loss` fault loses (above 0, at most 1). Default 0.1..0.5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loss_rate: Option<Between<f64>>,
    /// The statuses a `service_status` fault answers with (400..=599). Default 500, 502, 503.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statuses: Option<Vec<u16>>,
}

/// A menu with every default filled in, from which a swarm draws.
#[derive(Debug, Clone, PartialEq)]
pub struct Menu {
    pub hosts: Vec<String>,
    pub links: Vec<[String; 2]>,
    pub kinds: Vec<FaultKind>,
    pub faults: (u32, u32),
    pub starts: (Duration, Duration),
    pub lasts: (Duration, Duration),
    pub extra: (Duration, Duration),
    pub loss_rate: (f64, f64),
    pub statuses: Vec<u16>,
    /// The tool calls the scenario's agents can make through the gateway (each
    /// beside the MCP server serving it: a grid's host name), from its launches'
    /// roles and their loadouts: the calls a crash of the gateway or of that
    /// grid may wait for and cut off. Always every one; not declarable.
    pub tool_calls: Vec<(String, ToolCallEvent)>,
}

const DEFAULT_FAULTS: (u32, u32) = (1, 3);
const DEFAULT_STARTS: (Duration, Duration) = (Duration::ZERO, Duration::from_secs(30));
const DEFAULT_LASTS: (Duration, Duration) = (Duration::from_secs(1), Duration::from_secs(30));
const DEFAULT_EXTRA: (Duration, Duration) = (Duration::from_millis(100), Duration::from_secs(2));
const DEFAULT_LOSS_RATE: (f64, f64) = (0.1, 0.5);
const DEFAULT_STATUSES: [u16; 3] = [500, 502, 503];

impl Scenario {
    /// The menu a swarm draws this scenario's fault mixes from: its `swarm:`, defaults filled in.
    pub fn swarm_menu(&self) -> Menu {
        let menu = self.swarm.clone().unwrap_or_default();
        let hosts = menu.hosts.unwrap_or_else(|| {
            self.hosts().into_iter().filter(|h| *h != Host::Operator).map(|h| h.name().to_string()).collect()
        });
        let links = menu.links.unwrap_or_else(|| {
            let pairs = hosts.iter().enumerate().flat_map(|(i, a)| hosts[i + 1..].iter().map(move |b| [a, b]));
            pairs.map(|[a, b]| [a.clone(), b.clone()]).collect()
        });
        let pair = |b: Option<Between<SimDuration>>, default| b.map_or(default, |b| (b.min.0, b.max.0));
        // By default every kind the menu has something for: no link kind without a link.
        let strikable = |kind: &FaultKind| if kind.on_link() { !links.is_empty() } else { !hosts.is_empty() };
        let kinds = menu.kinds.unwrap_or_else(|| FaultKind::ALL.into_iter().filter(strikable).collect());
        Menu {
            hosts,
            links,
            kinds,
            faults: menu.faults.map_or(DEFAULT_FAULTS, |b| (b.min, b.max)),
            starts: pair(menu.starts, DEFAULT_STARTS),
            lasts: pair(menu.lasts, DEFAULT_LASTS),
            extra: pair(menu.extra, DEFAULT_EXTRA),
            loss_rate: menu.loss_rate.map_or(DEFAULT_LOSS_RATE, |b| (b.min, b.max)),
            statuses: menu.statuses.unwrap_or_else(|| DEFAULT_STATUSES.to_vec()),
            tool_calls: super::tool_call::callable(self),
        }
    }
}

/// Checks `scenario`'s `swarm:` against its world's hosts and the bounds.
pub(crate) fn validate(scenario: &Scenario) -> Result<(), Invalid> {
    let Some(declared) = &scenario.swarm else { return Ok(()) };
    let field = FieldPath::root().key("swarm");
    let world: Vec<&str> = scenario.hosts().into_iter().map(Host::name).collect();
    let unknown = |host: &str, operator: bool| {
        let expected: Vec<&str> = world.iter().copied().filter(|h| operator || *h != "operator").collect();
        format!("unknown host `{host}`: expected one of {}", expected.join(", "))
    };
    for (i, host) in declared.hosts.iter().flatten().enumerate() {
        if host == "operator" || !world.contains(&host.as_str()) {
            return Err(Invalid::new(field.key("hosts").index(i), unknown(host, false)));
        }
    }
    for (i, [a, b]) in declared.links.iter().flatten().enumerate() {
        for (j, host) in [a, b].into_iter().enumerate() {
            if !world.contains(&host.as_str()) {
                return Err(Invalid::new(field.key("links").index(i).index(j), unknown(host, true)));
            }
        }
        if a == b {
            return Err(Invalid::new(field.key("links").index(i), "expected two different hosts".into()));
        }
    }
    let menu = scenario.swarm_menu();
    if menu.kinds.is_empty() && declared.kinds.is_some() {
        return Err(Invalid::new(field.key("kinds"), "expected at least one kind of fault".into()));
    }
    if menu.kinds.is_empty() {
        return Err(Invalid::new(
            field.key("hosts"),
            "the menu has no host and no link: nothing a fault could strike (name some in `swarm.hosts` or \
             `swarm.links`)"
                .into(),
        ));
    }
    for (i, kind) in declared.kinds.iter().flatten().enumerate() {
        let (has, what) =
            if kind.on_link() { (!menu.links.is_empty(), "a link") } else { (!menu.hosts.is_empty(), "a host") };
        if !has {
            return Err(Invalid::new(
                field.key("kinds").index(i),
                format!(
                    "`{}` strikes {what} and the menu has none: name one in `swarm.{}`",
                    kind.name(),
                    if kind.on_link() { "links" } else { "hosts" }
                ),
            ));
        }
    }
    let ordered = |name: &str, min_above_max: bool| {
        if min_above_max {
            Err(Invalid::new(field.key(name).key("min"), "expected `min` at most `max`".into()))
        } else {
            Ok(())
        }
    };
    let (low, high) = menu.faults;
    if !(1..=MAX_SWARM_FAULTS).contains(&low) || high > MAX_SWARM_FAULTS {
        let end = if (1..=MAX_SWARM_FAULTS).contains(&low) { "max" } else { "min" };
        return Err(Invalid::new(
            field.key("faults").key(end),
            format!("expected between 1 and {MAX_SWARM_FAULTS} faults a seed"),
        ));
    }
    ordered("faults", low > high)?;
    ordered("starts", menu.starts.0 > menu.starts.1)?;
    if menu.starts.1 >= scenario.world.horizon.0 {
        return Err(Invalid::new(
            field.key("starts").key("max"),
            format!(
                "expected a start before the horizon ({}): a fault drawn then would begin after the run stops",
                crate::base::clock::seconds_label(scenario.world.horizon.0)
            ),
        ));
    }
    if menu.lasts.0.is_zero() {
        return Err(Invalid::new(field.key("lasts").key("min"), "expected a fault to last longer than 0s".into()));
    }
    ordered("lasts", menu.lasts.0 > menu.lasts.1)?;
    if menu.extra.0.is_zero() {
        return Err(Invalid::new(field.key("extra").key("min"), "expected an added latency longer than 0s".into()));
    }
    ordered("extra", menu.extra.0 > menu.extra.1)?;
    let (low, high) = menu.loss_rate;
    for (end, rate) in [("min", low), ("max", high)] {
        if !(rate > 0.0 && rate <= 1.0) {
            return Err(Invalid::new(
                field.key("loss_rate").key(end),
                format!("expected a loss rate above 0 and at most 1, got {rate}"),
            ));
        }
    }
    ordered("loss_rate", low > high)?;
    if menu.statuses.is_empty() {
        return Err(Invalid::new(field.key("statuses"), "expected at least one status".into()));
    }
    for (i, status) in menu.statuses.iter().enumerate() {
        if !(400..=599).contains(status) {
            return Err(Invalid::new(
                field.key("statuses").index(i),
                format!("expected an error status (400..=599), got {status}"),
            ));
        }
    }
    Ok(())
}
