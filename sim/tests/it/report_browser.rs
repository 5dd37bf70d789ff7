//! The HTML report in a real browser: headless Chromium (Debian's `chromium`,
//! which `scripts/test`, the README's test command, installs when missing)
//! opens a report from disk, with networking features off, and takes a
//! screenshot and dumps the DOM it built. The screenshot must not be blank; the
//! DOM must carry every lane of the run and the blocker labels. In a 1400x900
//! window, the Longhorn report shows its blocker, its fault and its diagnosis
//! without scrolling: a copy of the page carries a measuring script (the report
//! itself has none) that writes the elements' rectangles into the DOM. A
//! sweep's `sweep.html` renders too, its failing seeds linked to run reports
//! that exist beside it.

use std::path::{Path, PathBuf};
use std::process::Command;

use squadsim::tools::report::{self, ScenarioResult, Verdict};
use squadsim::{
    engine::world::{self, Run, RunOptions},
    Scenario,
};

fn chromium() -> &'static str {
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        if Command::new(name).arg("--version").output().is_ok_and(|o| o.status.success()) {
            return name;
        }
    }
    panic!(
        "no chromium on PATH: run the tests with `scripts/test`, which installs Debian's chromium when it is missing"
    );
}

fn browse(page: &Path, profile: &Path, extra: &[String]) -> std::process::Output {
    browse_in(page, profile, "1400,1000", extra)
}

fn browse_in(page: &Path, profile: &Path, window: &str, extra: &[String]) -> std::process::Output {
    let mut args: Vec<String> = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.push(format!("--window-size={window}"));
    args.push(format!("--user-data-dir={}", profile.display()));
    args.extend(extra.iter().cloned());
    args.push(format!("file://{}", page.display()));
    Command::new(chromium()).args(&args).output().expect("chromium runs")
}

/// Fraction of pixels of the PNG that differ from its first pixel, and the number of distinct colours.
fn ink(png_file: &Path) -> (f64, usize) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(png_file).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let pixels: Vec<&[u8]> = buf[..info.buffer_size()].chunks(channels).collect();
    let background = pixels[0];
    let inked = pixels.iter().filter(|p| *p != &background).count();
    let mut colours: Vec<&[u8]> = pixels.clone();
    colours.sort();
    colours.dedup();
    (inked as f64 / pixels.len() as f64, colours.len())
}

#[test]
fn a_report_renders_in_headless_chromium_with_its_lanes_and_blockers() {
    let dir = std::env::temp_dir().join(format!("squadsim-browser-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scenarios/first-tool-gateway-partition.yaml");
    let scenario = Scenario::load(&file).unwrap();
    let Run { outcome, record, .. } = world::run(&scenario, RunOptions { record: true, ..RunOptions::default() });
    let record = record.expect("a recorded run has a record");
    let lanes: Vec<String> = record.lanes.iter().map(|l| l.name.clone()).collect();
    let verdict = report::compare(&file, &outcome);
    assert_eq!(verdict, Verdict::Matches);
    let result = ScenarioResult { file, outcome, verdict, record: Some(record) };
    let written = report::write_dir(&dir.join("report"), &[result], &[], &[]).unwrap();
    let page = written.iter().find(|p| p.extension().is_some_and(|e| e == "html")).unwrap().canonicalize().unwrap();

    let shot = dir.join("shot.png");
    let out = browse(&page, &dir.join("profile-shot"), &[format!("--screenshot={}", shot.display())]);
    assert!(shot.exists(), "no screenshot: {}", String::from_utf8_lossy(&out.stderr));
    let (inked, colours) = ink(&shot);
    assert!(inked > 0.02 && colours > 16, "the screenshot is blank: {inked:.3} inked, {colours} colours");

    let out = browse(&page, &dir.join("profile-dom"), &["--dump-dom".to_string()]);
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(dom.contains("<svg") && dom.contains("class=\"sequence\""), "no diagram in the DOM: {dom:.2000}");
    for lane in &lanes {
        assert!(dom.contains(&format!("data-lane=\"{lane}\"")), "lane {lane} missing from the DOM");
    }
    for agent in ["planner", "curator"] {
        let mark = format!("<g class=\"mark blocker\" data-lane=\"{agent}\">");
        let at = dom.find(&mark).unwrap_or_else(|| panic!("no blocker mark for {agent}"));
        assert!(dom[at..].contains("agent_first_tool_required</text>"), "the blocker label of {agent} is missing");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Writes the viewport and the rectangle of the first element matching each
/// selector into `<pre id="measured">` as `selector|top|bottom|left|right`
/// lines, after `viewport|innerWidth|innerHeight`.
const MEASURE: &str = r#"<script>
addEventListener("load", () => {
  const lines = ["viewport|" + innerWidth + "|" + innerHeight];
  for (const sel of SELECTORS) {
    const e = document.querySelector(sel);
    if (!e) { lines.push(sel + "|missing"); continue; }
    const r = e.getBoundingClientRect();
    lines.push([sel, r.top, r.bottom, r.left, r.right].join("|"));
  }
  const pre = document.createElement("pre");
  pre.id = "measured";
  pre.textContent = lines.join("\n");
  document.body.appendChild(pre);
});
</script>"#;

#[test]
fn the_longhorn_report_shows_its_blocker_fault_and_diagnosis_in_a_1400x900_window_without_scrolling() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("report-browser");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scenarios/longhorn-faulted-volumes.yaml");
    let scenario = Scenario::load(&file).unwrap();
    let Run { outcome, record, .. } = world::run(&scenario, RunOptions { record: true, ..RunOptions::default() });
    let verdict = report::compare(&file, &outcome);
    assert_eq!(verdict, Verdict::Matches);
    let result = ScenarioResult { file, outcome, verdict, record };
    let written = report::write_dir(&dir.join("report"), &[result], &[], &[]).unwrap();
    let page = written.iter().find(|p| p.extension().is_some_and(|e| e == "html")).unwrap().canonicalize().unwrap();

    // The screenshot stays under target/ for people to look at.
    let shot = dir.join("longhorn-faulted-volumes-1400x900.png");
    let out = browse_in(&page, &dir.join("profile-shot"), "1400,900", &[format!("--screenshot={}", shot.display())]);
    assert!(shot.exists(), "no screenshot: {}", String::from_utf8_lossy(&out.stderr));
    let (inked, colours) = ink(&shot);
    assert!(inked > 0.02 && colours > 16, "the screenshot is blank: {inked:.3} inked, {colours} colours");

    let wanted = [
        (".event.blocker", "the blocker"),
        (".event.warning", "the fault (Longhorn's attach failures)"),
        (".diagnosis-box .plane", "the diagnosis's plane"),
        (".diagnosis-box .bad", "the diagnosis's first failing check"),
    ];
    in_first_screen(&page, &dir, &wanted);
}

/// Opens a copy of `page` carrying [`MEASURE`] in a 1400x900 window and fails
/// unless the first element matching each selector (selector, what it is) lies
/// wholly inside the window, without scrolling.
fn in_first_screen(page: &Path, dir: &Path, wanted: &[(&str, &str)]) {
    let selectors: Vec<String> = wanted.iter().map(|(s, _)| format!("{s:?}")).collect();
    let script = MEASURE.replace("SELECTORS", &format!("[{}]", selectors.join(",")));
    let html = std::fs::read_to_string(page).unwrap().replace("</body>", &format!("{script}</body>"));
    let measuring = page.with_file_name("measure.html");
    std::fs::write(&measuring, html).unwrap();
    let out = browse_in(&measuring, &dir.join("profile-measure"), "1400,900", &["--dump-dom".to_string()]);
    let dom = String::from_utf8_lossy(&out.stdout);
    let measured = dom
        .split("<pre id=\"measured\">")
        .nth(1)
        .and_then(|m| m.split("</pre>").next())
        .unwrap_or_else(|| panic!("the measuring script wrote nothing: {}", String::from_utf8_lossy(&out.stderr)));
    let rows: Vec<Vec<&str>> = measured.lines().map(|l| l.split('|').collect()).collect();
    let number = |s: &str| s.parse::<f64>().unwrap_or_else(|_| panic!("not a number: {s} in {measured}"));
    let (width, height) = (number(rows[0][1]), number(rows[0][2]));
    assert!(width <= 1400.0 && height <= 900.0, "the window is 1400x900: {measured}");
    for ((selector, what), row) in wanted.iter().zip(&rows[1..]) {
        assert_eq!(row.len(), 5, "{what} ({selector}) is not on the page: {measured}");
        let (top, bottom, left, right) = (number(row[1]), number(row[2]), number(row[3]), number(row[4]));
        assert!(
            top >= 0.0 && bottom <= height && left >= 0.0 && right <= width && bottom > top,
            "{what} ({selector}) is not in the first screen: {top}..{bottom} x {left}..{right} in {width}x{height}"
        );
    }
    let _ = std::fs::remove_file(&measuring);
}

#[test]
fn a_sweep_report_renders_its_verdicts_and_links_each_failing_seed_to_its_run_report() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("sweep-report-browser");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // happy-intake expected blocked: every seed breaks its invariant.
    let text = std::fs::read_to_string(crate::support::corpus_file("happy-intake.yaml")).unwrap();
    let body: String = text.lines().filter(|l| !l.starts_with("invariants:")).map(|l| format!("{l}\n")).collect();
    let file = dir.join("intake.yaml");
    std::fs::write(&file, format!("{body}invariants: {{run_status: blocked}}\n")).unwrap();
    let report = dir.join("report");
    let (code, out, err) = crate::support::squadsim(&[
        "run",
        file.to_str().unwrap(),
        "--seed-range",
        "5..7",
        "--report",
        report.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{out}{err}");
    let page = report.join("sweep.html").canonicalize().expect("sweep.html is written");

    let shot = dir.join("sweep-1400x900.png");
    let out = browse_in(&page, &dir.join("profile-shot"), "1400,900", &[format!("--screenshot={}", shot.display())]);
    assert!(shot.exists(), "no screenshot: {}", String::from_utf8_lossy(&out.stderr));
    let (inked, colours) = ink(&shot);
    assert!(inked > 0.01 && colours > 8, "the screenshot is blank: {inked:.3} inked, {colours} colours");

    let out = browse(&page, &dir.join("profile-dom"), &["--dump-dom".to_string()]);
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(dom.contains("<svg class=\"histogram durations\""), "no durations histogram: {dom:.3000}");
    for seed in [5, 6] {
        let name = format!("intake.seed-{seed}.html");
        assert!(dom.contains(&format!("<a class=\"run-report\" href=\"{name}\">")), "seed {seed} is not linked");
        let linked_report = std::fs::read_to_string(report.join(&name)).expect("the linked run report exists");
        assert!(linked_report.contains(&format!("seed {seed} breaks its invariants")), "{linked_report:.2000}");
        assert!(dom.contains(&format!("--seed-range {seed}..={seed}")), "seed {seed}'s reproduce command");
    }
    let wanted = [
        ("table.verdicts tr.scenario", "the scenario's verdict row"),
        ("svg.histogram.durations", "the durations histogram"),
        ("a.run-report", "the first failing seed's link"),
    ];
    in_first_screen(&page, &dir, &wanted);
}
