//! `sweep.html`: the one page a seed sweep writes with `--report DIR` (and
//! `merge-reports --report DIR`). Verdicts per scenario; for each scenario a
//! histogram of its seeds' simulated durations and one of when its blockers
//! appeared; the coverage table (the probes the seeds reached, how often, and
//! the catalogue's never reached); every failing seed with its broken
//! invariants, its reproduce command, its drawn fault mix (swarm) and a link to
//! its HTML run report when the sweep wrote one.
//!
//! Guarantees: one self-contained file (inline CSS and SVG, no scripts, no
//! external fetches); every text from a scenario or a result goes through
//! [`esc`]; the page is a pure function of the results and the names of the run
//! reports written beside it (no wall clock: the seeds' wall times are left out).

use std::fmt::Write as _;
use std::time::Duration;

use super::html::esc;
use super::sweep::{Coverage, ProbeTally, SeedResult, SweepResults};
use crate::base::clock::{from_seconds_label, seconds_label};
use crate::engine::invariants::BrokenInvariant;

/// How many bars a histogram has at most.
const BINS: usize = 12;

const STYLE: &str = "
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1b1f24;background:#fff}
h1{font-size:20px;margin:0 0 4px} h2{font-size:16px;margin:24px 0 8px}
table{border-collapse:collapse;margin:4px 0} td,th{border:1px solid #d0d7de;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa} pre{background:#f6f8fa;padding:6px;margin:4px 0;overflow:auto}
.pass{color:#116329;font-weight:600} .fail{color:#a40e26;font-weight:600} .warn{color:#9a6700}
svg.histogram rect{fill:#54aeff} svg.histogram.blockers rect{fill:#cf222e}
svg.histogram text{font:10px system-ui,sans-serif;fill:#57606a}
code{font-size:12px}
";

/// The simulated seconds of a label (`12.3s`), 0 when it is not one.
fn seconds(label: &str) -> f64 {
    from_seconds_label(label).unwrap_or_default().as_secs_f64()
}

/// A histogram of `values` (seconds) as inline SVG: up to [`BINS`] bars from the
/// smallest value to the largest, each titled with its range and count.
fn histogram(class: &str, what: &str, values: &[f64]) -> String {
    if values.is_empty() {
        return format!("<span class=\"none\">no {}</span>", esc(what));
    }
    let (lo, hi) = values.iter().fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
    let bins = if hi > lo { BINS } else { 1 };
    let width = (hi - lo) / bins as f64;
    let mut counts = vec![0usize; bins];
    for v in values {
        let i = if width > 0.0 { ((v - lo) / width) as usize } else { 0 };
        counts[i.min(bins - 1)] += 1;
    }
    let tallest = counts.iter().copied().max().unwrap_or(1).max(1) as f64;
    let (w, h, bar) = (BINS as f64 * 16.0, 48.0, 14.0);
    let mut s = format!(
        "<svg class=\"histogram {class}\" width=\"{:.0}\" height=\"{:.0}\" role=\"img\" aria-label=\"{}\">",
        w,
        h + 14.0,
        esc(what)
    );
    for (i, n) in counts.iter().enumerate() {
        let bh = (*n as f64 / tallest * h).max(if *n > 0 { 1.0 } else { 0.0 });
        let from = lo + width * i as f64;
        let _ = write!(
            s,
            "<rect x=\"{:.0}\" y=\"{:.1}\" width=\"{bar}\" height=\"{bh:.1}\"><title>{} to {}: {n}</title></rect>",
            i as f64 * 16.0,
            h - bh,
            label(from),
            label(from + width),
        );
    }
    let _ = write!(
        s,
        "<text x=\"0\" y=\"{:.0}\">{}</text><text x=\"{w:.0}\" y=\"{:.0}\" text-anchor=\"end\">{}</text></svg>",
        h + 12.0,
        label(lo),
        h + 12.0,
        label(hi)
    );
    s
}

fn label(seconds: f64) -> String {
    seconds_label(Duration::from_secs_f64(seconds.max(0.0)))
}

/// The sweep's page. `linked` holds the file names of the run reports written
/// beside it by (scenario file, seed) ([`super::page_names`]).
pub(crate) fn page(sweep: &SweepResults, linked: &super::PageNames) -> String {
    let failed = sweep.failed();
    let total = sweep.results.len();
    let mut h = String::new();
    let unchecked = match sweep.not_checked.len() {
        0 => String::new(),
        n => format!(", {n} not checked"),
    };
    let title = format!("squadsim sweep: {total} seeds, {} passed, {failed} failed{unchecked}", total - failed);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\"><title>{t}</title><style>{STYLE}</style></head><body>\n\
         <h1>{t}</h1>\n",
        t = esc(&title)
    );
    let shards: Vec<String> = sweep.shards.iter().map(ToString::to_string).collect();
    let verdict = match (failed, sweep.not_checked.len()) {
        (0, 0) => ("pass", "every seed held".to_string()),
        (0, n) => ("warn", format!("every seed held; {n} input(s) not checked (below)")),
        _ => ("fail", "some seeds broke their invariants".to_string()),
    };
    let _ = writeln!(
        h,
        "<p>seeds {}..={} · jitter up to {} · shards {} · <span class=\"{}\">{}</span></p>",
        sweep.seeds.start(),
        sweep.seeds.end(),
        esc(&sweep.jitter),
        esc(&shards.join(", ")),
        verdict.0,
        verdict.1
    );
    not_checked(&mut h, sweep);
    verdicts(&mut h, sweep);
    failing(&mut h, sweep, linked);
    coverage(&mut h, &sweep.coverage);
    h.push_str("</body></html>\n");
    h
}

/// The inputs the sweep did not run, each with what to do (nothing when there is none).
fn not_checked(h: &mut String, sweep: &SweepResults) {
    if sweep.not_checked.is_empty() {
        return;
    }
    let _ = writeln!(h, "<h2>Not checked ({})</h2>\n<ul class=\"not-checked\">", sweep.not_checked.len());
    for u in &sweep.not_checked {
        let _ = writeln!(
            h,
            "<li class=\"warn\"><code>{}</code> {}</li>",
            esc(&u.path.display().to_string()),
            esc(u.kind.message())
        );
    }
    h.push_str("</ul>\n");
}

/// One row per scenario file, in the sweep's order: its verdict, its seeds'
/// simulated durations and when its blockers appeared.
fn verdicts(h: &mut String, sweep: &SweepResults) {
    let _ = writeln!(
        h,
        "<h2>Verdicts</h2>\n<table class=\"verdicts\"><tr><th>scenario</th><th>verdict</th>\
        <th>seeds</th><th>simulated durations</th><th>when blockers appeared</th></tr>"
    );
    for file in &sweep.scenarios {
        let mine: Vec<&SeedResult> = sweep.results.iter().filter(|r| &r.file == file).collect();
        let Some(first) = mine.first() else { continue };
        let broke = mine.iter().filter(|r| !r.passed()).count();
        let (class, verdict) = match broke {
            0 => ("pass", "ok".to_string()),
            n => ("fail", format!("FAILED: {n} of {} seeds break", mine.len())),
        };
        let durations: Vec<f64> = mine.iter().map(|r| seconds(&r.simulated)).collect();
        let blockers: Vec<f64> = mine.iter().flat_map(|r| r.blockers_at.iter().map(|b| seconds(b))).collect();
        let _ = writeln!(
            h,
            "<tr class=\"scenario\" data-file=\"{}\"><td>{}<br><code>{}</code></td><td class=\"{class}\">{}</td>\
             <td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(file),
            esc(&first.scenario),
            esc(file),
            esc(&verdict),
            mine.len(),
            histogram("durations", "simulated durations", &durations),
            histogram("blockers", "blockers", &blockers),
        );
    }
    h.push_str("</table>\n");
}

/// Every failing seed: what broke, its run report when one was written, how to reproduce it.
fn failing(h: &mut String, sweep: &SweepResults, linked: &super::PageNames) {
    let failing: Vec<&SeedResult> = sweep.results.iter().filter(|r| !r.passed()).collect();
    let _ = writeln!(h, "<h2>Failing seeds ({})</h2>", failing.len());
    if failing.is_empty() {
        h.push_str("<p>None.</p>\n");
        return;
    }
    if failing.iter().any(|r| !linked.contains_key(&(r.file.clone(), r.seed))) {
        let _ = writeln!(
            h,
            "<p>Seeds without a link have no run report here (a sweep writes one for the first seeds \
             that fail in each scenario; merged results hold no runs): rerun one with its command and \
             <code>--report DIR</code>.</p>"
        );
    }
    h.push_str(
        "<table class=\"failing\"><tr><th>scenario</th><th>seed</th><th>broken invariants</th>\
         <th>run report</th><th>reproduce</th></tr>\n",
    );
    for r in failing {
        let broken: Vec<String> = r.violations.iter().map(BrokenInvariant::to_string).collect();
        let link = match linked.get(&(r.file.clone(), r.seed)) {
            Some(page) => format!("<a class=\"run-report\" href=\"{0}\">{0}</a>", esc(page)),
            None => String::new(),
        };
        let mut reproduce = format!("<code>{}</code>", esc(&r.reproduce));
        for (what, faults) in [("drawn fault mix", &r.drawn_faults), ("smallest failing faults", &r.shrunk_faults)] {
            if let Some(faults) = faults {
                let _ = write!(reproduce, "<br>{what}:<pre>{}</pre>", esc(faults));
            }
        }
        let _ = writeln!(
            h,
            "<tr class=\"seed\"><td>{}</td><td>{}</td><td>{}</td><td>{link}</td><td>{reproduce}</td></tr>",
            esc(&r.scenario),
            r.seed,
            esc(&broken.join("; ")),
        );
    }
    h.push_str("</table>\n");
}

/// The probes the seeds reached (seeds, hits), then the catalogue's never
/// reached: the sweep's [`Coverage`], as its other reports say it.
fn coverage(h: &mut String, coverage: &Coverage) {
    let _ = writeln!(
        h,
        "<h2>Coverage</h2>\n<p>{} of {} catalogue probes reached.</p>\n<table class=\"coverage\">\
         <tr><th>probe</th><th>seeds</th><th>hits</th></tr>",
        coverage.catalogue_reached(),
        coverage.catalogue
    );
    for (probe, ProbeTally { seeds, hits }) in &coverage.reached {
        let _ = writeln!(h, "<tr><td>{}</td><td>{seeds}</td><td>{hits}</td></tr>", esc(probe));
    }
    h.push_str("</table>\n");
    if !coverage.never_reached.is_empty() {
        let _ = writeln!(h, "<p class=\"never\">Never reached: {}</p>", esc(&coverage.never_reached.join(", ")));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_histogram_counts_every_value_once() {
        let svg = histogram("durations", "d", &[1.0, 1.0, 2.0, 13.0]);
        let counts: usize = svg.split("</title>").filter_map(|t| t.rsplit(": ").next()?.parse::<usize>().ok()).sum();
        assert_eq!(counts, 4, "{svg}");
        assert!(histogram("d", "durations", &[]).contains("no durations"));
        assert!(histogram("d", "d", &[5.0, 5.0]).contains("5.0s to 5.0s: 2"));
    }
}
