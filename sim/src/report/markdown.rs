//! The Markdown summary (`summary.md`), written for `$GITHUB_STEP_SUMMARY`:
//! the totals, one table row per scenario and seed, and each failure's message
//! and diff in a collapsed block.
//!
//! Guarantees: table cells have `|`, `<`, `>` and `&` escaped and no line
//! breaks; a diff sits in a fence longer than any backtick run inside it, so
//! no scenario text can break out of its cell or block.

use super::{run_status, ScenarioResult};

/// The Markdown summary of `results`.
pub fn summary(results: &[ScenarioResult]) -> String {
    let (passed, failed) = super::totals(results);
    let mut out = format!("## squadsim: {passed} passed, {failed} failed\n\n");
    out.push_str("| | scenario | seed | run | launch | blockers | simulated |\n");
    out.push_str("|---|---|---|---|---|---|---|\n");
    for r in results {
        let o = &r.outcome;
        let blockers = o.blockers();
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            if r.verdict.passed() { "✅" } else { "❌" },
            cell(&o.scenario),
            o.seed,
            cell(run_status(o)),
            o.launch_http_status().map(|s| s.to_string()).unwrap_or_else(|| "000".into()),
            if blockers.is_empty() { "none".to_string() } else { cell(&blockers.join(", ")) },
            cell(&o.simulated),
        ));
    }
    for r in results.iter().filter(|r| !r.verdict.passed()) {
        out.push_str(&format!(
            "\n<details><summary>❌ {}: {}</summary>\n\n",
            cell(&r.label()),
            cell(&r.verdict.message(&r.file))
        ));
        let detail = r.verdict.detail();
        if !detail.is_empty() {
            let fence = "`".repeat(longest_backtick_run(detail).max(2) + 1);
            out.push_str(&format!("{fence}diff\n{}\n{fence}\n", detail.trim_end()));
        }
        out.push_str("\n</details>\n");
    }
    out
}

fn cell(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('|', "\\|").replace(['\n', '\r'], " ")
}

fn longest_backtick_run(s: &str) -> usize {
    s.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_and_fences_hold_whatever_a_scenario_says() {
        assert_eq!(cell("a|b <script>&\nx"), "a\\|b &lt;script&gt;&amp; x");
        assert_eq!(longest_backtick_run("a ```` b ` c"), 4);
        assert_eq!(longest_backtick_run("none"), 0);
    }
}
