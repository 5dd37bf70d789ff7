//! The HTML report of one scenario run: what an on-call engineer opens, built to
//! be read in ten seconds. At the top, what happened (faults, cluster warnings,
//! blockers, walls and handoffs with their simulated times) beside the
//! diagnosis; then a sequence diagram in inline SVG (one lane per host and
//! agent) where repeated identical calls fold into one labelled band (how many,
//! how often, until when), idle stretches of simulated time are compressed (and
//! marked so), faults, blockers, walls and handoffs are labelled where they
//! happened, and each lane's final state stands at its foot; then the outcome
//! tables and the snapshot diff when the run failed.
//!
//! Guarantees: one self-contained file (inline CSS and SVG, no scripts, no
//! external fetches: it works from disk); every text that comes from a scenario,
//! a payload or an outcome goes through [`esc`]; the page is a pure function of
//! the result and its record (the same run gives the same bytes). Folding never
//! hides a call: a band counts every call it stands for, and calls only fold
//! with calls of the same caller, callee, method, path, status and ending, with
//! no fault, blocker, wall or handoff between them.

use std::fmt::Write as _;
use std::time::Duration;

use squadsim_fakes::net::HttpCall;

use super::{run_status, summary, ScenarioResult, Verdict};
use crate::base::clock::seconds_label;
use crate::engine::outcome::Outcome;
use crate::engine::run_record::{repeat_key, LaneKind, MarkKind, RepeatKey, RunRecord, SpanKind};

/// Escapes text for HTML element content and quoted attribute values.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

const STYLE: &str = "
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1b1f24;background:#fff}
h1{font-size:20px;margin:0 0 4px} h2{font-size:16px;margin:24px 0 8px}
.verdict{display:inline-block;padding:2px 8px;border-radius:4px;font-weight:600}
.verdict.pass{background:#dafbe1;color:#116329} .verdict.fail{background:#ffebe9;color:#a40e26}
table{border-collapse:collapse;margin:4px 0} td,th{border:1px solid #d0d7de;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa} pre{background:#f6f8fa;padding:8px;overflow:auto}
.diff .add{color:#116329;background:#dafbe1} .diff .del{color:#a40e26;background:#ffebe9}
.legend span{margin-right:14px}
svg text{font:11px system-ui,sans-serif}
svg .lane-name{font-weight:600;font-size:12px}
svg .lane line{stroke:#8c959f;stroke-dasharray:4 4}
svg .axis text{fill:#57606a} svg .axis line{stroke:#eaeef2}
svg .call line{stroke:#0969da;stroke-width:1} svg .call.refused line{stroke:#bc4c00}
svg .call.none line{stroke:#cf222e;stroke-dasharray:3 2}
svg .handoff line{stroke:#8250df;stroke-width:2} svg .handoff text{fill:#8250df}
svg .span.session rect{fill:#ddf4ff;stroke:#54aeff} svg .span.attempt rect{fill:#54aeff;opacity:.6}
svg .blocker path{fill:#cf222e} svg .blocker text{fill:#cf222e;font-weight:600}
svg .wall rect{fill:#bf8700} svg .wall text{fill:#9a6700;font-weight:600}
svg .refusal circle{fill:#8250df} svg .refusal text{fill:#8250df;font-weight:600}
svg .fault line{stroke:#cf222e;stroke-width:1.5;stroke-dasharray:8 4} svg .fault text{fill:#cf222e;font-weight:600}
svg .run-control circle{fill:#6e7781}
svg .band rect{fill:#0969da;opacity:.12;stroke:#0969da;stroke-opacity:.5} svg .band text{fill:#0a3069}
svg .band.refused rect{fill:#bc4c00} svg .band.none rect{fill:#cf222e;stroke:#cf222e} svg .band.none text{fill:#a40e26}
svg .compressed rect{fill:#f6f8fa} svg .compressed text{fill:#57606a;font-style:italic}
svg .compressed path{stroke:#8c959f;fill:none}
svg .warning path{fill:#bf8700} svg .warning text{fill:#9a6700;font-weight:600}
svg .foot text{fill:#1b1f24} svg .foot .bad{fill:#cf222e;font-weight:600} svg .foot .good{fill:#116329}
.top{display:flex;gap:24px;align-items:flex-start} .top section{flex:1 1 50%;min-width:0}
.top h2{margin-top:8px}
ol.events{list-style:none;padding:0;margin:0} ol.events li{padding:2px 0;border-bottom:1px solid #eaeef2}
ol.events .at{display:inline-block;width:58px;color:#57606a;font-variant-numeric:tabular-nums}
ol.events .kind{display:inline-block;min-width:64px;font-weight:600}
.event.fault .kind,.event.blocker .kind{color:#cf222e} .event.warning .kind,.event.wall .kind{color:#9a6700}
.event.handoff .kind,.event.refusal .kind{color:#8250df} .event.end .kind{color:#1b1f24}
.diagnosis-box{border:1px solid #d0d7de;border-radius:6px;padding:8px 12px;font-size:13px;background:#fff8f0}
.diagnosis-box p{margin:2px 0} .diagnosis-box ul{margin:4px 0;padding-left:0;list-style:none}
.diagnosis-box .bad{color:#a40e26;font-weight:600} .diagnosis-box .ok{color:#116329}
.plane{font-weight:600;font-size:15px}
";

const LANE_WIDTH: f64 = 140.0;
const LEFT: f64 = 70.0;
const TOP: f64 = 50.0;

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// The HTML page of one scenario run.
pub(crate) fn page(result: &ScenarioResult, record: &RunRecord) -> String {
    let o = &result.outcome;
    let mut h = String::new();
    let title = esc(&result.label());
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\"><title>squadsim: {title}</title>\
         <style>{STYLE}</style></head><body>\n<h1>{title}</h1>\n"
    );
    let (class, verdict) = match &result.verdict {
        Verdict::Matches => ("pass", "matches its snapshot".to_string()),
        Verdict::NotCompared => ("pass", "ran (another seed: not compared with the snapshot)".to_string()),
        Verdict::Accepted { diff: None } => ("pass", "accepted: its first snapshot was written".to_string()),
        Verdict::Accepted { diff: Some(_) } => ("pass", "accepted: its snapshot was rewritten".to_string()),
        v => ("fail", v.message(&result.file)),
    };
    let _ = writeln!(
        h,
        "<p><span class=\"verdict {class}\">{}</span> {} · {} simulated · <code>{}</code></p>",
        esc(&verdict),
        esc(&summary(o)),
        esc(&o.simulated),
        esc(&result.file.display().to_string())
    );
    if let Some(e) = &o.error {
        let _ = writeln!(h, "<p><strong>The run did not reach its end:</strong> {}</p>", esc(&e.to_string()));
    }
    let _ = writeln!(h, "<div class=\"top\">");
    happened(&mut h, o, record);
    diagnosis(&mut h, o);
    let _ = writeln!(h, "</div>");
    let _ = writeln!(h, "<h2>Sequence</h2>");
    let _ = writeln!(
        h,
        "<p class=\"legend\"><span>→ HTTP call (red dashed: no answer, HTTP 000; orange: 4xx/5xx)</span>\
         <span>shaded band: repeated calls, folded</span><span>grey zig-zag: idle time, compressed</span>\
         <span>purple: handoff</span><span>◆ blocker</span><span>■ wall</span><span>▲ cluster warning</span>\
         <span>red line: fault</span><span>grey dot: run-control event</span></p>"
    );
    h.push_str(&diagram(record, o));
    if let Verdict::Differs(diff) | Verdict::Accepted { diff: Some(diff) } | Verdict::Failed { detail: diff, .. } =
        &result.verdict
    {
        let _ = writeln!(h, "<h2>Snapshot diff</h2>\n<pre class=\"diff\">{}</pre>", diff_html(diff));
    }
    outcome_tables(&mut h, result);
    h.push_str("</body></html>\n");
    h
}

/// One line of "what happened": when, what kind, what.
struct Happening {
    at: Duration,
    class: &'static str,
    text: String,
}

/// The list at the top: faults, cluster warnings, blockers, walls, handoffs and
/// refusals with their times (the same mark on several lanes at one instant is
/// one line naming them all), then how the run ended.
fn happened(h: &mut String, o: &Outcome, record: &RunRecord) {
    let mut list: Vec<Happening> = Vec::new();
    for m in &record.marks {
        let (class, text) = match m.kind {
            MarkKind::Fault => ("fault", m.label.clone()),
            MarkKind::Blocker => ("blocker", format!("{}: {}", m.lane, m.label)),
            MarkKind::Wall => ("wall", format!("{}: {}", m.lane, m.label)),
            MarkKind::Handoff => ("handoff", format!("{} → {}: {}", m.lane, m.to.as_deref().unwrap_or("?"), m.label)),
            MarkKind::Refusal => ("refusal", format!("{}: {} (not in the allow-list)", m.lane, m.label)),
            MarkKind::RunControl => continue,
        };
        // The same blocker or wall on several lanes at one instant: one line.
        let same = list.iter_mut().find(|x| {
            x.at == m.at
                && x.class == class
                && matches!(m.kind, MarkKind::Blocker | MarkKind::Wall)
                && x.text.split_once(": ").is_some_and(|(_, label)| label == m.label)
        });
        match same {
            Some(x) => {
                if let Some((lanes, label)) = x.text.split_once(": ") {
                    x.text = format!("{lanes}, {}: {label}", m.lane);
                }
            }
            None => list.push(Happening { at: m.at, class, text }),
        }
    }
    for w in &record.warnings {
        list.push(Happening { at: w.first, class: "warning", text: w.to_string() });
    }
    list.sort_by_key(|x| x.at);
    let end = format!("run {} after {}", run_status(o), o.simulated);
    list.push(Happening { at: record.simulated, class: "end", text: end });
    for f in &o.faults_never_began {
        list.push(Happening {
            at: record.simulated,
            class: "warning",
            text: format!("declared fault never began: {f}"),
        });
    }
    let _ = writeln!(h, "<section class=\"happened\"><h2>What happened</h2><ol class=\"events\">");
    for x in &list {
        let _ = writeln!(
            h,
            "<li class=\"event {0}\"><span class=\"at\">{1}</span><span class=\"kind\">{0}</span> {2}</li>",
            x.class,
            seconds_label(x.at),
            esc(&x.text)
        );
    }
    let _ = writeln!(h, "</ol></section>");
}

/// The diagnosis beside the list: plane, symptom, cause and every check.
fn diagnosis(h: &mut String, o: &Outcome) {
    let _ = writeln!(h, "<section class=\"diagnosis\"><h2>Diagnosis</h2><div class=\"diagnosis-box\">");
    match &o.diagnosis {
        None => {
            let _ = writeln!(h, "<p>No first-tool block to diagnose.</p>");
        }
        Some(d) => {
            let _ = writeln!(
                h,
                "<p class=\"plane\">{}</p><p><strong>symptom:</strong> {}</p><p><strong>cause:</strong> {}</p><ul>",
                esc(d.plane.name()),
                esc(&d.symptom),
                esc(&d.cause)
            );
            for e in &d.evidence {
                let (class, mark) = if e.healthy { ("ok", "ok") } else { ("bad", "BAD") };
                let _ = writeln!(
                    h,
                    "<li><span class=\"{class}\">[{mark}]</span> <code>{}</code>: {}</li>",
                    esc(&e.check),
                    esc(&e.finding)
                );
            }
            h.push_str("</ul>");
        }
    }
    let _ = writeln!(h, "</div></section>");
}

fn diff_html(diff: &str) -> String {
    let mut out = String::new();
    for line in diff.lines() {
        let class = match line.chars().next() {
            Some('+') if !line.starts_with("+++") => "add",
            Some('-') if !line.starts_with("---") => "del",
            _ => "",
        };
        let _ = writeln!(out, "<span class=\"{class}\">{}</span>", esc(line));
    }
    out
}

/// A table of `rows` under `headers`, every cell escaped.
fn table(h: &mut String, class: &str, headers: &[&str], rows: &[Vec<String>]) {
    let _ = write!(h, "<table class=\"{class}\"><tr>");
    for head in headers {
        let _ = write!(h, "<th>{}</th>", esc(head));
    }
    h.push_str("</tr>\n");
    for row in rows {
        h.push_str("<tr>");
        for c in row {
            let _ = write!(h, "<td>{}</td>", esc(c));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</table>\n");
}

fn outcome_tables(h: &mut String, result: &ScenarioResult) {
    let o = &result.outcome;
    let _ = writeln!(h, "<h2>Outcome</h2>");
    let mut run = vec![
        vec!["scenario".to_string(), o.scenario.clone()],
        vec!["seed".to_string(), o.seed.to_string()],
        vec!["finished".to_string(), o.finished.to_string()],
        vec!["run status".to_string(), run_status(o).to_string()],
    ];
    if let Some(r) = &o.run {
        run.push(vec!["run id".to_string(), r.run_id.clone()]);
        run.push(vec!["template".to_string(), r.template_id.clone()]);
        run.push(vec!["project".to_string(), r.project_slug.clone()]);
        run.push(vec!["delivery graph kind".to_string(), r.delivery_graph_kind.clone()]);
        run.push(vec!["reports".to_string(), r.reports.join(", ")]);
    }
    run.push(vec!["gateway tool calls".to_string(), o.gateway.tool_calls.to_string()]);
    run.push(vec!["gateway auth failures (401)".to_string(), o.gateway.auth_failures.to_string()]);
    table(h, "run", &["", ""], &run);
    let _ = writeln!(h, "<h2>Sessions</h2>");
    let sessions: Vec<Vec<String>> = o
        .sessions
        .iter()
        .map(|s| {
            vec![
                s.agent_id.clone(),
                s.role_id.clone(),
                s.agent_nickname.clone(),
                s.live_status.clone(),
                s.current_step.clone(),
                s.blocker_code.clone().unwrap_or_default(),
                s.tool_call_count.to_string(),
            ]
        })
        .collect();
    let heads = ["agent", "role", "nickname", "live status", "current step", "blocker", "tool calls"];
    table(h, "sessions", &heads, &sessions);
    if !o.walls.is_empty() {
        let _ = writeln!(h, "<h2>Walls</h2>");
        let walls: Vec<Vec<String>> = o
            .walls
            .iter()
            .map(|w| {
                vec![w.wall.clone(), w.agent_id.clone(), w.reason.clone(), w.fallback.clone(), w.retry_outcome.clone()]
            })
            .collect();
        table(h, "walls", &["wall", "agent", "reason", "fallback", "retry outcome"], &walls);
    }
    let _ = writeln!(h, "<h2>Operator</h2>");
    let calls: Vec<Vec<String>> = o
        .operator
        .iter()
        .map(|c| {
            vec![
                c.at.clone(),
                c.step.clone(),
                c.request.clone(),
                c.http_status.map(|s| s.to_string()).unwrap_or_else(|| "000".into()),
                c.note.clone().unwrap_or_default(),
            ]
        })
        .collect();
    table(h, "operator", &["at", "step", "request", "HTTP", "note"], &calls);
    if !o.handoff_trail.is_empty() {
        let _ = writeln!(h, "<h2>Handoff trail</h2>");
        let trail: Vec<Vec<String>> = o
            .handoff_trail
            .iter()
            .map(|t| {
                vec![
                    t.sender_agent_id.clone(),
                    t.recipient_agent_id.clone(),
                    t.handoff_intent.clone(),
                    t.required_result.clone(),
                    t.fallback_wall.clone().unwrap_or_default(),
                ]
            })
            .collect();
        table(h, "handoffs", &["from", "to", "intent", "required result", "fallback wall"], &trail);
    }
    if !o.run_control.is_empty() {
        let _ = writeln!(h, "<h2>Run control</h2>\n<pre>{}</pre>", esc(&o.run_control.join("\n")));
    }
    let _ = writeln!(h, "<h2>Full outcome</h2>\n<pre class=\"outcome\">{}</pre>", esc(&o.to_yaml()));
}

/// A tick step (seconds) giving at most about 25 ticks over `total`.
fn tick_step(total: f64) -> f64 {
    [1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0]
        .into_iter()
        .find(|s| total / s <= 25.0)
        .unwrap_or(7200.0)
}

/// Repeats of one call fewer than this stay single arrows.
const FOLD_MIN: usize = 3;
/// A stretch of simulated time longer than this with nothing new in it is compressed.
const IDLE: f64 = 6.0;
/// The height a compressed stretch takes.
const COMPRESSED: f64 = 26.0;
/// Height of one line of labels.
const LINE: f64 = 13.0;

/// Simulated time to the page's y: linear where something happens, a fixed
/// height for each idle stretch.
struct Axis {
    /// (from, to, y at from, pixels per second, compressed), in time order.
    pieces: Vec<(f64, f64, f64, f64, bool)>,
}

impl Axis {
    /// `instants` are the moments something new happens (any order).
    fn new(mut instants: Vec<f64>, total: f64) -> Axis {
        instants.push(0.0);
        instants.push(total);
        instants.retain(|t| t.is_finite() && *t >= 0.0 && *t <= total);
        instants.sort_by(f64::total_cmp);
        instants.dedup();
        let active: f64 = instants.windows(2).map(|w| w[1] - w[0]).filter(|d| *d <= IDLE).sum();
        let scale = (1200.0 / active.max(1.0)).clamp(2.0, 14.0);
        let mut pieces = Vec::new();
        let mut y = TOP;
        for w in instants.windows(2) {
            let (a, b) = (w[0], w[1]);
            let compressed = b - a > IDLE;
            let px = if compressed { COMPRESSED / (b - a) } else { scale };
            pieces.push((a, b, y, px, compressed));
            y += (b - a) * px;
        }
        Axis { pieces }
    }

    fn y(&self, t: Duration) -> f64 {
        let t = secs(t);
        let piece = self.pieces.iter().rfind(|p| p.0 <= t).or(self.pieces.first());
        piece.map(|&(from, to, y, px, _)| y + (t.min(to) - from).max(0.0) * px).unwrap_or(TOP)
    }

    fn bottom(&self) -> f64 {
        self.pieces.last().map(|&(from, to, y, px, _)| y + (to - from) * px).unwrap_or(TOP)
    }
}

/// Calls drawn as they are: single arrows, and bands of repeats.
enum Drawn<'a> {
    Arrow(&'a HttpCall),
    Band(Vec<&'a HttpCall>),
}

/// Folds repeats of one call (same caller, callee, method, path, status and
/// ending) that no fault, blocker, wall or handoff separates into bands.
fn fold(record: &RunRecord) -> Vec<Drawn<'_>> {
    let cuts: Vec<Duration> = record
        .marks
        .iter()
        .filter(|m| !matches!(m.kind, MarkKind::RunControl | MarkKind::Refusal))
        .map(|m| m.at)
        .collect();
    let mut groups: Vec<Vec<&HttpCall>> = Vec::new();
    let mut open: std::collections::BTreeMap<(RepeatKey, usize), usize> = std::collections::BTreeMap::new();
    for c in &record.calls {
        let epoch = cuts.iter().filter(|at| **at <= c.start).count();
        let key = (repeat_key(c), epoch);
        match open.get(&key) {
            Some(&i) => groups[i].push(c),
            None => {
                open.insert(key, groups.len());
                groups.push(vec![c]);
            }
        }
    }
    let mut drawn = Vec::new();
    for g in groups {
        if g.len() >= FOLD_MIN {
            drawn.push(Drawn::Band(g));
        } else {
            drawn.extend(g.into_iter().map(Drawn::Arrow));
        }
    }
    drawn
}

fn call_class(c: &HttpCall) -> &'static str {
    match c.status {
        None => "none",
        Some(code) if code >= 400 => "refused",
        Some(_) => "ok",
    }
}

/// `200`, or `000 (caller gave up)` for a call with no answer.
fn status_text(c: &HttpCall) -> String {
    match (c.status, c.ended) {
        (Some(code), _) => code.to_string(),
        (None, ended) => format!("000 ({})", ended.as_str()),
    }
}

/// The last word on each lane, for the foot of the diagram: an agent's session
/// status and step (and blocker), a host's calls in and how many failed.
fn final_state(record: &RunRecord, o: &Outcome, lane: &str, kind: LaneKind) -> (String, &'static str) {
    match kind {
        LaneKind::Agent => match o.sessions.iter().find(|s| s.agent_id == lane) {
            Some(s) => match &s.blocker_code {
                Some(code) => (format!("{} at {}: {code}", s.live_status, s.current_step), "bad"),
                None if s.live_status == "blocked" => (format!("blocked at {}", s.current_step), "bad"),
                None => (format!("{} at {}", s.live_status, s.current_step), "good"),
            },
            None => ("no session".to_string(), ""),
        },
        LaneKind::Host => {
            let calls: Vec<&HttpCall> = record.calls.iter().filter(|c| c.to == lane).collect();
            let failed = calls.iter().filter(|c| c.status.is_none_or(|s| s >= 500)).count();
            match (calls.len(), failed) {
                (0, _) => ("no calls in".to_string(), ""),
                (n, 0) => (format!("{n} calls in, all answered"), "good"),
                (n, f) => (format!("{n} calls in, {f} 5xx or unanswered"), "bad"),
            }
        }
    }
}

/// The sequence diagram of a run as inline SVG.
pub(crate) fn diagram(record: &RunRecord, o: &Outcome) -> String {
    let total = secs(record.simulated).max(1.0);
    let drawn = fold(record);
    let mut instants: Vec<f64> = Vec::new();
    for d in &drawn {
        match d {
            Drawn::Arrow(c) => instants.extend([secs(c.start), secs(c.end)]),
            Drawn::Band(g) => instants.extend([secs(g[0].start), secs(g[g.len() - 1].end)]),
        }
    }
    instants.extend(record.marks.iter().map(|m| secs(m.at)));
    instants.extend(record.spans.iter().flat_map(|s| [secs(s.start), secs(s.end)]));
    instants.extend(record.warnings.iter().map(|w| secs(w.first)));
    let axis = Axis::new(instants, total);
    let y = |d: Duration| axis.y(d);
    let x = |lane: &str| record.lane_index(lane).map(|i| LEFT + LANE_WIDTH * (i as f64 + 0.5));
    let width = LEFT + LANE_WIDTH * record.lanes.len().max(1) as f64 + 20.0;
    let bottom = axis.bottom();
    let height = bottom + 56.0;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"sequence\" width=\"{width:.0}\" height=\"{height:.0}\" \
         viewBox=\"0 0 {width:.0} {height:.0}\" role=\"img\" aria-label=\"sequence diagram of {}\">",
        esc(&record.scenario)
    );
    s.push_str(
        "<defs><marker id=\"arrow\" viewBox=\"0 0 8 8\" refX=\"8\" refY=\"4\" markerWidth=\"6\" markerHeight=\"6\" \
                orient=\"auto-start-reverse\"><path d=\"M0,0 L8,4 L0,8 z\" fill=\"context-stroke\"/></marker></defs>\n",
    );
    // Simulated time down the side: ticks where time runs linearly, a zig-zag where it is compressed.
    s.push_str("<g class=\"axis\">");
    let step = tick_step(total);
    let mut ticked = f64::NEG_INFINITY;
    for &(from, to, py, px, compressed) in &axis.pieces {
        if compressed {
            continue;
        }
        let mut t = ((from / step).ceil() * step).max(ticked + step);
        while t <= to + 1e-9 {
            ticked = t;
            let ty = py + (t - from) * px;
            let _ = write!(
                s,
                "<line x1=\"{LEFT}\" y1=\"{ty:.1}\" x2=\"{:.0}\" y2=\"{ty:.1}\"/><text x=\"4\" y=\"{:.1}\">{}s</text>",
                width - 20.0,
                ty + 4.0,
                t
            );
            t += step;
        }
    }
    s.push_str("</g>\n");
    for &(from, to, py, _, compressed) in &axis.pieces {
        if !compressed {
            continue;
        }
        let mut zig = format!("M{LEFT},{:.1}", py + COMPRESSED / 2.0);
        let mut zx = LEFT;
        let mut up = true;
        while zx < width - 20.0 {
            zx += 8.0;
            let _ = write!(zig, " L{zx:.0},{:.1}", py + COMPRESSED / 2.0 + if up { -4.0 } else { 4.0 });
            up = !up;
        }
        let _ = writeln!(
            s,
            "<g class=\"compressed\"><rect x=\"0\" y=\"{py:.1}\" width=\"{width:.0}\" height=\"{COMPRESSED}\"/>\
             <path d=\"{zig}\"/><text x=\"4\" y=\"{:.1}\">{} idle ({}–{}), compressed</text></g>",
            py + COMPRESSED / 2.0 - 5.0,
            seconds_label(Duration::from_secs_f64(to - from)),
            seconds_label(Duration::from_secs_f64(from)),
            seconds_label(Duration::from_secs_f64(to)),
        );
    }
    for (i, lane) in record.lanes.iter().enumerate() {
        let lx = LEFT + LANE_WIDTH * (i as f64 + 0.5);
        let kind = match lane.kind {
            LaneKind::Host => "host",
            LaneKind::Agent => "agent",
        };
        let _ = writeln!(
            s,
            "<g class=\"lane {kind}\" data-lane=\"{name}\"><text class=\"lane-name\" x=\"{lx:.1}\" y=\"20\" \
             text-anchor=\"middle\">{name}</text><text x=\"{lx:.1}\" y=\"34\" text-anchor=\"middle\" \
             fill=\"#57606a\">{kind}</text><line x1=\"{lx:.1}\" y1=\"{TOP}\" x2=\"{lx:.1}\" y2=\"{bottom:.1}\"/></g>",
            name = esc(&lane.name),
        );
    }
    for span in &record.spans {
        let Some(cx) = x(&span.lane) else { continue };
        let (class, w) = match span.kind {
            SpanKind::Session => ("session", 18.0),
            SpanKind::Attempt => ("attempt", 8.0),
        };
        let (y0, y1) = (y(span.start), y(span.end));
        let _ = writeln!(
            s,
            "<g class=\"span {class}\" data-lane=\"{}\"><rect x=\"{:.1}\" y=\"{y0:.1}\" width=\"{w}\" height=\"{:.1}\">\
             <title>{} ({:.1}s–{:.1}s)</title></rect></g>",
            esc(&span.lane),
            cx - w / 2.0,
            (y1 - y0).max(1.0),
            esc(&span.label),
            secs(span.start),
            secs(span.end),
        );
    }
    // Band labels go one line lower while they would overlap one already placed: (x from, x to, baseline).
    let mut placed: Vec<(f64, f64, f64)> = Vec::new();
    for d in &drawn {
        match d {
            Drawn::Arrow(call) => {
                let (Some(x0), Some(x1)) = (x(&call.from), x(&call.to)) else { continue };
                let (y0, y1) = (y(call.start), y(call.end));
                let x1 = if (x1 - x0).abs() < 1.0 { x0 + 20.0 } else { x1 };
                let _ = writeln!(
                    s,
                    "<g class=\"call {}\"><line x1=\"{x0:.1}\" y1=\"{y0:.1}\" x2=\"{x1:.1}\" y2=\"{y1:.1}\" \
                     marker-end=\"url(#arrow)\"><title>{} → {}: {} {} → {} ({:.1}s–{:.1}s)</title></line></g>",
                    call_class(call),
                    esc(&call.from),
                    esc(&call.to),
                    esc(&call.method),
                    esc(&call.path),
                    status_text(call),
                    secs(call.start),
                    secs(call.end),
                );
            }
            Drawn::Band(g) => {
                let (first, last) = (g[0], g[g.len() - 1]);
                let (Some(xa), Some(xb)) = (x(&first.from), x(&first.to)) else { continue };
                let (x0, x1) = if (xb - xa).abs() < 1.0 { (xa, xa + 40.0) } else { (xa.min(xb), xa.max(xb)) };
                let (y0, y1) = (y(first.start), y(last.end).max(y(first.start) + LINE + 4.0));
                let every = secs(last.start.saturating_sub(first.start)) / (g.len() - 1) as f64;
                let label = format!(
                    "{} → {} {} {} → {} ×{}, every {every:.1}s, until {}",
                    first.from,
                    first.to,
                    first.method,
                    first.path,
                    status_text(first),
                    g.len(),
                    seconds_label(last.end)
                );
                let label_width = 6.0 * label.chars().count() as f64;
                let mut baseline = y0 + LINE - 2.0;
                while placed.iter().any(|p| p.0 < x0 + label_width && x0 < p.1 && (p.2 - baseline).abs() < LINE) {
                    baseline += LINE;
                }
                placed.push((x0, x0 + label_width, baseline));
                let _ = writeln!(
                    s,
                    "<g class=\"band {}\" data-count=\"{}\"><rect x=\"{x0:.1}\" y=\"{y0:.1}\" width=\"{:.1}\" \
                     height=\"{:.1}\"/><text x=\"{:.1}\" y=\"{:.1}\">{}<title>{}</title></text></g>",
                    call_class(first),
                    g.len(),
                    x1 - x0,
                    y1 - y0,
                    x0 + 4.0,
                    baseline,
                    esc(&label),
                    esc(&format!("{label} (from {})", seconds_label(first.start))),
                );
            }
        }
    }
    for w in &record.warnings {
        let Some(cx) = x("daytona") else { continue };
        let wy = y(w.first);
        let _ = writeln!(
            s,
            "<g class=\"mark warning\" data-lane=\"daytona\"><path d=\"M{cx:.1},{:.1} l6,11 l-12,0 z\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\">{} ×{}</text><title>Warning {} {}: {} ({}–{})</title></g>",
            wy - 6.0,
            cx + 9.0,
            wy + 4.0,
            esc(&w.reason),
            w.count,
            esc(&w.reason),
            esc(&w.object),
            esc(&w.message),
            seconds_label(w.first),
            seconds_label(w.last),
        );
    }
    for mark in &record.marks {
        let my = y(mark.at);
        let label = esc(&mark.label);
        let lane = esc(&mark.lane);
        match mark.kind {
            MarkKind::Fault => {
                let _ = writeln!(
                    s,
                    "<g class=\"mark fault\" data-lane=\"{lane}\"><line x1=\"{LEFT}\" y1=\"{my:.1}\" x2=\"{:.0}\" \
                     y2=\"{my:.1}\"/><text x=\"{:.1}\" y=\"{:.1}\">fault: {label} ({:.1}s)</text></g>",
                    width - 20.0,
                    LEFT + 4.0,
                    my - 4.0,
                    secs(mark.at),
                );
            }
            MarkKind::Handoff => {
                let (Some(x0), Some(x1)) = (x(&mark.lane), mark.to.as_deref().and_then(x)) else { continue };
                let _ = writeln!(
                    s,
                    "<g class=\"mark handoff\" data-lane=\"{lane}\"><line x1=\"{x0:.1}\" y1=\"{my:.1}\" x2=\"{x1:.1}\" \
                     y2=\"{my:.1}\" marker-end=\"url(#arrow)\"/><text x=\"{:.1}\" y=\"{:.1}\">handoff {label}<title>\
                     {lane} → {}: {label}</title></text></g>",
                    x0.min(x1) + 4.0,
                    my - 3.0,
                    esc(mark.to.as_deref().unwrap_or_default()),
                );
            }
            MarkKind::Blocker | MarkKind::Wall | MarkKind::Refusal => {
                let Some(cx) = x(&mark.lane) else { continue };
                let (class, shape) = if mark.kind == MarkKind::Blocker {
                    ("blocker", format!("<path d=\"M{cx:.1},{:.1} l7,7 l-7,7 l-7,-7 z\"/>", my - 7.0))
                } else if mark.kind == MarkKind::Refusal {
                    ("refusal", format!("<circle cx=\"{cx:.1}\" cy=\"{my:.1}\" r=\"5\"/>"))
                } else {
                    ("wall", format!("<rect x=\"{:.1}\" y=\"{:.1}\" width=\"12\" height=\"12\"/>", cx - 6.0, my - 6.0))
                };
                let _ = writeln!(
                    s,
                    "<g class=\"mark {class}\" data-lane=\"{lane}\">{shape}<text x=\"{:.1}\" y=\"{:.1}\">{label}</text>\
                     <title>{class} {label} on {lane} at {:.1}s</title></g>",
                    cx + 10.0,
                    my + 4.0,
                    secs(mark.at),
                );
            }
            MarkKind::RunControl => {
                let Some(cx) = x(&mark.lane) else { continue };
                let _ = writeln!(
                    s,
                    "<g class=\"mark run-control\" data-lane=\"{lane}\"><circle cx=\"{cx:.1}\" cy=\"{my:.1}\" r=\"3\">\
                     <title>{label} ({:.1}s)</title></circle></g>",
                    secs(mark.at),
                );
            }
        }
    }
    // Each lane's final state at its foot (two lines, staggered so neighbours do not collide).
    for (i, lane) in record.lanes.iter().enumerate() {
        let lx = LEFT + LANE_WIDTH * (i as f64 + 0.5);
        let (text, class) = final_state(record, o, &lane.name, lane.kind);
        let fy = bottom + 16.0 + if i % 2 == 1 { 16.0 } else { 0.0 };
        let _ = writeln!(
            s,
            "<g class=\"foot\" data-lane=\"{}\"><text class=\"{class}\" x=\"{lx:.1}\" y=\"{fy:.1}\" \
             text-anchor=\"middle\">{}</text></g>",
            esc(&lane.name),
            esc(&text)
        );
    }
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_element_text_and_both_quote_styles() {
        assert_eq!(esc("<a href='x'>\"&\"</a>"), "&lt;a href=&#39;x&#39;&gt;&quot;&amp;&quot;&lt;/a&gt;");
    }

    #[test]
    fn ticks_stay_readable_for_any_length() {
        assert_eq!(tick_step(20.0), 1.0);
        assert_eq!(tick_step(122.0), 5.0);
        assert_eq!(tick_step(3600.0), 300.0);
    }
}
