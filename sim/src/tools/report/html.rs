//! The HTML report of one scenario run: what an on-call engineer opens. A
//! sequence diagram in inline SVG (one lane per host and agent, arrows for HTTP
//! calls and handoffs, markers for faults, blockers and walls, simulated time
//! down the side), the outcome tables, the diagnosis when the outcome has one,
//! and the snapshot diff when the run failed.
//!
//! Guarantees: one self-contained file (inline CSS and SVG, no scripts, no
//! external fetches: it works from disk); every text that comes from a scenario,
//! a payload or an outcome goes through [`esc`]; the page is a pure function of
//! the result and its record.

use std::fmt::Write as _;
use std::time::Duration;

use super::{run_status, summary, ScenarioResult, Verdict};
use crate::engine::run_record::{LaneKind, MarkKind, RunRecord, SpanKind};

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
    let _ = writeln!(h, "<h2>Sequence</h2>");
    let _ = writeln!(
        h,
        "<p class=\"legend\"><span>→ HTTP call (red dashed: no response, HTTP 000; orange: 4xx/5xx)</span>\
         <span>purple: handoff</span><span>◆ blocker</span><span>■ wall</span><span>red line: fault</span>\
         <span>grey dot: run-control event</span></p>"
    );
    h.push_str(&diagram(record));
    if let Verdict::Differs(diff) | Verdict::Failed { detail: diff, .. } = &result.verdict {
        let _ = writeln!(h, "<h2>Snapshot diff</h2>\n<pre class=\"diff\">{}</pre>", diff_html(diff));
    }
    if let Some(diagnosis) = o.to_json().get("diagnosis").filter(|d| !d.is_null()) {
        let text = serde_yaml::to_string(diagnosis).unwrap_or_else(|_| diagnosis.to_string());
        let _ = writeln!(h, "<h2>Diagnosis</h2>\n<pre class=\"diagnosis\">{}</pre>", esc(&text));
    }
    outcome_tables(&mut h, result);
    h.push_str("</body></html>\n");
    h
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

/// The sequence diagram of a run as inline SVG.
pub(crate) fn diagram(record: &RunRecord) -> String {
    let total = secs(record.simulated).max(1.0);
    let scale = (2400.0 / total).clamp(2.0, 12.0);
    let y = |d: Duration| TOP + secs(d) * scale;
    let x = |lane: &str| record.lane_index(lane).map(|i| LEFT + LANE_WIDTH * (i as f64 + 0.5));
    let width = LEFT + LANE_WIDTH * record.lanes.len().max(1) as f64 + 20.0;
    let height = y(record.simulated) + 30.0;
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
    // Simulated time down the side.
    s.push_str("<g class=\"axis\">");
    let step = tick_step(total);
    let mut t = 0.0;
    while t <= total + 1e-9 {
        let ty = TOP + t * scale;
        let _ = write!(
            s,
            "<line x1=\"{LEFT}\" y1=\"{ty:.1}\" x2=\"{:.0}\" y2=\"{ty:.1}\"/><text x=\"4\" y=\"{:.1}\">{}s</text>",
            width - 20.0,
            ty + 4.0,
            t
        );
        t += step;
    }
    s.push_str("</g>\n");
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
             fill=\"#57606a\">{kind}</text><line x1=\"{lx:.1}\" y1=\"{TOP}\" x2=\"{lx:.1}\" y2=\"{:.1}\"/></g>",
            y(record.simulated),
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
    for call in &record.calls {
        let (Some(x0), Some(x1)) = (x(&call.from), x(&call.to)) else { continue };
        let class = match call.status {
            None => "none",
            Some(code) if code >= 400 => "refused",
            Some(_) => "ok",
        };
        let status = call.status.map(|c| c.to_string()).unwrap_or_else(|| "000".to_string());
        let (y0, y1) = (y(call.start), y(call.end));
        let x1 = if (x1 - x0).abs() < 1.0 { x0 + 20.0 } else { x1 };
        let _ = writeln!(
            s,
            "<g class=\"call {class}\"><line x1=\"{x0:.1}\" y1=\"{y0:.1}\" x2=\"{x1:.1}\" y2=\"{y1:.1}\" \
             marker-end=\"url(#arrow)\"><title>{} → {}: {} {} → {status} ({:.1}s–{:.1}s)</title></line></g>",
            esc(&call.from),
            esc(&call.to),
            esc(&call.method),
            esc(&call.path),
            secs(call.start),
            secs(call.end),
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
                     y2=\"{my:.1}\" marker-end=\"url(#arrow)\"/><text x=\"{:.1}\" y=\"{:.1}\">handoff<title>{lane} → \
                     {}: {label}</title></text></g>",
                    (x0 + x1) / 2.0 - 20.0,
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
