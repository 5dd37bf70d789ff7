//! `squadsim run --trace FILE`: runs as Chrome trace event JSON (the format
//! Perfetto and chrome://tracing load), drawn from the [`RunRecord`].
//!
//! Guarantees:
//! - one process per run (named `<scenario> (seed N)`), one track (thread) per
//!   lane: every host that took part and every agent, in the record's lane order;
//! - HTTP calls are async slices (`b`/`e`, category `http`) on the calling host's
//!   track, so overlapping calls never break nesting; sessions and attempts are
//!   complete slices (`X`) on their agent's track; faults, blockers, walls,
//!   handoffs and run-control events are instant events (`i`);
//! - timestamps are simulated microseconds since the start of the run; the JSON
//!   is a pure function of the records (byte-identical for the same runs).

use std::time::Duration;

use serde_json::{json, Value};

use crate::engine::run_record::{RunRecord, SpanKind};

fn micros(d: Duration) -> u64 {
    d.as_micros() as u64
}

/// The trace events of one run as process `pid`.
fn events(pid: usize, record: &RunRecord, out: &mut Vec<Value>) {
    let name = format!("{} (seed {})", record.scenario, record.seed);
    out.push(json!({"name": "process_name", "ph": "M", "pid": pid, "tid": 0, "args": {"name": name}}));
    out.push(json!({"name": "process_sort_index", "ph": "M", "pid": pid, "tid": 0, "args": {"sort_index": pid}}));
    let tid = |lane: &str| record.lane_index(lane).map(|i| i + 1).unwrap_or(0);
    for (i, lane) in record.lanes.iter().enumerate() {
        let args = json!({"name": lane.name});
        out.push(json!({"name": "thread_name", "ph": "M", "pid": pid, "tid": i + 1, "args": args}));
        let sort = json!({"sort_index": i + 1});
        out.push(json!({"name": "thread_sort_index", "ph": "M", "pid": pid, "tid": i + 1, "args": sort}));
    }
    for (n, call) in record.calls.iter().enumerate() {
        let name = format!("{} {} -> {}", call.method, call.path, call.to);
        let status = call.status.map(|s| s.to_string()).unwrap_or_else(|| "000".to_string());
        let id = format!("{pid}.{n}");
        let args =
            json!({"from": call.from, "to": call.to, "method": call.method, "path": call.path, "status": status});
        let tid = tid(&call.from);
        let ts = micros(call.start);
        out.push(
            json!({"name": name, "cat": "http", "ph": "b", "id": id, "pid": pid, "tid": tid, "ts": ts, "args": args}),
        );
        let (ts, end) = (micros(call.end), json!({"status": status}));
        out.push(
            json!({"name": name, "cat": "http", "ph": "e", "id": id, "pid": pid, "tid": tid, "ts": ts, "args": end}),
        );
    }
    for span in &record.spans {
        let cat = match span.kind {
            SpanKind::Session => "session",
            SpanKind::Attempt => "attempt",
        };
        out.push(json!({
            "name": span.label, "cat": cat, "ph": "X", "pid": pid, "tid": tid(&span.lane),
            "ts": micros(span.start), "dur": micros(span.end.saturating_sub(span.start)),
        }));
    }
    for mark in &record.marks {
        let mut args = json!({"kind": mark.kind.as_str()});
        if let Some(to) = &mark.to {
            args["to"] = json!(to);
        }
        out.push(json!({
            "name": format!("{}: {}", mark.kind.as_str(), mark.label), "cat": mark.kind.as_str(), "ph": "i", "s": "t",
            "pid": pid, "tid": tid(&mark.lane), "ts": micros(mark.at), "args": args,
        }));
    }
}

/// The Chrome trace JSON of `records` (one process each, in order).
pub(crate) fn chrome_trace(records: &[RunRecord]) -> String {
    let mut trace_events = Vec::new();
    for (i, record) in records.iter().enumerate() {
        events(i + 1, record, &mut trace_events);
    }
    let doc = json!({"traceEvents": trace_events, "displayTimeUnit": "ms", "otherData": {"clock": "simulated"}});
    serde_json::to_string(&doc).expect("a trace is plain data with string keys: it always serializes")
}
