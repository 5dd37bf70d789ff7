//! The HTML report in a real browser: headless Chromium (Debian's `chromium`,
//! which `scripts/test`, the README's test command, installs when missing)
//! opens a report from disk, with networking features off, and takes a
//! screenshot and dumps the DOM it built. The screenshot must not be blank; the
//! DOM must carry every lane of the run and the blocker labels.

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
        "--window-size=1400,1000",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
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
    let written = report::write_dir(&dir.join("report"), &[result], &[]).unwrap();
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
