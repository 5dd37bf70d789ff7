//! squadsim in CI on existing engines: the repository's GitHub Actions
//! workflow (`.github/workflows/`), its composite action (`action.yml`, whose
//! body is `ci/action.sh`) and the Kubernetes sweep (`deploy/k8s/sweep-job.yaml`).
//!
//! Each file is checked against its engine's schema by the validators of
//! `ci/requirements.txt` (check-jsonschema with the GitHub workflow and action
//! schemas it ships, kubernetes-validate with the Kubernetes schemas it ships),
//! which `scripts/test` installs and names in `SQUADSIM_CI_VALIDATORS`: without
//! them these tests fail, never skip. Then the files are run as their engine
//! runs them, on a small scenario set: the action's steps with its inputs mapped
//! as the runner maps them, the workflow's shard matrix and merge job, the
//! Indexed Job's script once per completion index and its merge Job; each
//! sweep's merged verdicts must equal the unsharded sweep's.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_yaml::Value as Yaml;

use crate::sharded_sweeps::{verdicts, workspace};
use crate::support;

/// The repository's root.
fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A validator installed by `scripts/test`: fails the test, with what to do,
/// when `SQUADSIM_CI_VALIDATORS` is unset or does not hold it.
fn validator(name: &str) -> PathBuf {
    let Some(dir) = std::env::var_os("SQUADSIM_CI_VALIDATORS") else {
        panic!(
            "SQUADSIM_CI_VALIDATORS is not set, so the CI configuration cannot be checked: run the README's test \
             command (scripts/test installs ci/requirements.txt into target/ci-venv and sets it), or set it to a \
             bin/ directory holding check-jsonschema and kubernetes-validate"
        )
    };
    let path = PathBuf::from(dir).join(name);
    assert!(path.is_file(), "SQUADSIM_CI_VALIDATORS has no {name} ({}): rerun scripts/test", path.display());
    path
}

/// Runs a validator on `args`: its exit code and everything it printed.
fn validate(name: &str, args: &[&str]) -> (i32, String) {
    let out = Command::new(validator(name)).args(args).output().unwrap_or_else(|e| panic!("{name}: {e}"));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

/// The workflow files of `.github/workflows/`.
fn workflows() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo().join(".github/workflows"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no workflow in .github/workflows");
    files
}

/// A copy of `file` under `dir` with `from` replaced by `to` (which must occur).
fn broken_copy(dir: &Path, file: &Path, from: &str, to: &str) -> PathBuf {
    let text = std::fs::read_to_string(file).unwrap();
    assert!(text.contains(from), "{} has no `{from}`", file.display());
    let copy = dir.join(file.file_name().unwrap());
    std::fs::write(&copy, text.replacen(from, to, 1)).unwrap();
    copy
}

#[test]
fn the_workflows_and_the_action_follow_githubs_schemas() {
    for file in workflows() {
        let path = file.to_str().unwrap();
        let (code, out) = validate("check-jsonschema", &["--builtin-schema", "vendor.github-workflows", path]);
        assert_eq!(code, 0, "{path}: {out}");
    }
    let action = repo().join("action.yml");
    let (code, out) =
        validate("check-jsonschema", &["--builtin-schema", "vendor.github-actions", action.to_str().unwrap()]);
    assert_eq!(code, 0, "action.yml: {out}");

    // The validator does check: a job without `runs-on`, an action of no known kind, are refused.
    let dir = support::scratch("ci-schema-broken");
    let workflow = broken_copy(&dir, &repo().join(".github/workflows/squadsim.yml"), "runs-on:", "run-on:");
    let (code, out) =
        validate("check-jsonschema", &["--builtin-schema", "vendor.github-workflows", workflow.to_str().unwrap()]);
    assert_eq!(code, 1, "a job without runs-on passed: {out}");
    let action = broken_copy(&dir, &action, "using: composite", "using: composit");
    let (code, out) =
        validate("check-jsonschema", &["--builtin-schema", "vendor.github-actions", action.to_str().unwrap()]);
    assert_eq!(code, 1, "an action using `composit` passed: {out}");
}

#[test]
fn the_sweep_job_manifest_follows_the_kubernetes_schema() {
    let manifest = repo().join("deploy/k8s/sweep-job.yaml");
    let (code, out) = validate("kubernetes-validate", &["--strict", manifest.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    for kind in ["persistentvolumeclaim/squadsim-sweep-results", "job/squadsim-sweep", "job/squadsim-sweep-merge"] {
        assert!(out.contains(&format!("passed for resource {kind}")), "{kind} was not checked: {out}");
    }
    // The validator does check: a count that is not a number, a field Kubernetes does not know.
    let dir = support::scratch("k8s-schema-broken");
    let broken = broken_copy(&dir, &manifest, "completions: 4", "completions: four");
    let (code, out) = validate("kubernetes-validate", &["--strict", broken.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("spec.completions: 'four' is not of type 'integer'"), "{out}");
    let broken = broken_copy(&dir, &manifest, "backoffLimitPerIndex:", "backoffLimitPerShard:");
    let (code, out) = validate("kubernetes-validate", &["--strict", broken.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("'backoffLimitPerShard' was unexpected"), "{out}");
}

/// `value[key]`, failing with the path when it is absent.
fn at<'a>(value: &'a Yaml, path: &[&str]) -> &'a Yaml {
    path.iter().fold(value, |v, key| v.get(*key).unwrap_or_else(|| panic!("no `{}`", path.join("."))))
}

fn text<'a>(value: &'a Yaml, path: &[&str]) -> &'a str {
    at(value, path).as_str().unwrap_or_else(|| panic!("`{}` is not a string", path.join(".")))
}

/// What a run of the `squadsim` binary, a script or an action step left.
struct Ran {
    code: i32,
    stdout: String,
    stderr: String,
}

/// `bash -c script` (or `sh -c`) in `dir` with `env` and the squadsim under
/// test first on PATH, as a runner or a container runs it.
fn shell(shell: &str, script: &str, dir: &Path, env: &[(String, String)]) -> Ran {
    let bin = Path::new(env!("CARGO_BIN_EXE_squadsim")).parent().unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let out = Command::new(shell)
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .env("PATH", path)
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("GITHUB_OUTPUT")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap_or_else(|e| panic!("{shell}: {e}"));
    Ran {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The unsharded sweep of the workspace's `scenarios` over seeds 1..=`seeds`:
/// its results, written to `whole.json`.
fn unsharded(dir: &Path, seeds: &str) -> serde_json::Value {
    let ran = shell("sh", &format!("squadsim run scenarios --seeds {seeds} --results whole.json"), dir, &[]);
    assert!(ran.code == 0 || ran.code == 1, "{}{}", ran.stdout, ran.stderr);
    verdicts(&dir.join("whole.json"))
}

/// One container of one of the manifest's Jobs: its script and its environment.
struct Container {
    script: String,
    env: Vec<(String, String)>,
}

impl Container {
    fn of(job: &Yaml) -> Container {
        let container = &at(job, &["spec", "template", "spec", "containers"])[0];
        let command: Vec<&str> =
            at(container, &["command"]).as_sequence().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        assert_eq!(command, ["/bin/sh", "-c"], "the script is the container's only argument");
        let env = at(container, &["env"])
            .as_sequence()
            .unwrap()
            .iter()
            .map(|e| (text(e, &["name"]).to_string(), text(e, &["value"]).to_string()))
            .collect();
        let args = at(container, &["args"]).as_sequence().unwrap();
        assert_eq!(args.len(), 1, "one script");
        Container { script: args[0].as_str().unwrap().to_string(), env }
    }

    fn var(&self, name: &str) -> &str {
        self.env.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or_else(|| panic!("no env {name}"))
    }

    /// The environment with `overrides` replacing (or adding) variables.
    fn env_with(&self, overrides: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut env: Vec<(String, String)> =
            self.env.iter().filter(|(k, _)| !overrides.iter().any(|(o, _)| o == k)).cloned().collect();
        env.extend(overrides.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        env
    }
}

#[test]
fn the_indexed_job_runs_a_shard_per_index_and_its_merge_is_the_unsharded_sweep() {
    let manifest = std::fs::read_to_string(repo().join("deploy/k8s/sweep-job.yaml")).unwrap();
    let docs: Vec<Yaml> =
        serde_yaml::Deserializer::from_str(&manifest).map(|d| serde::Deserialize::deserialize(d).unwrap()).collect();
    let named = |name: &str| {
        docs.iter().find(|d| text(d, &["metadata", "name"]) == name).unwrap_or_else(|| panic!("no {name}"))
    };
    let (shards_job, merge_job) = (named("squadsim-sweep"), named("squadsim-sweep-merge"));
    assert_eq!(text(shards_job, &["spec", "completionMode"]), "Indexed");
    let completions = at(shards_job, &["spec", "completions"]).as_u64().unwrap();
    assert!(at(shards_job, &["spec", "parallelism"]).as_u64().unwrap() <= completions);
    let (shard, merge) = (Container::of(shards_job), Container::of(merge_job));
    assert_eq!(shard.var("SHARDS"), completions.to_string(), "one shard per completion index");
    for name in ["SWEEP", "SHARDS", "RESULTS"] {
        assert_eq!(shard.var(name), merge.var(name), "both Jobs agree on {name}");
    }
    let claim = |job: &Yaml| {
        text(&at(job, &["spec", "template", "spec", "volumes"])[0], &["persistentVolumeClaim", "claimName"]).to_string()
    };
    assert_eq!(claim(shards_job), claim(merge_job), "both Jobs mount the same results volume");
    assert_eq!(text(named(&claim(shards_job)), &["kind"]), "PersistentVolumeClaim");

    // Each index's pod, one after another; the image's /sweep is the workspace,
    // the volume a scratch directory; 2 seeds rather than the manifest's.
    let (dir, _) = workspace("k8s-indexed-job");
    let results = dir.join("volume");
    let results = results.to_str().unwrap();
    for index in 0..completions {
        let index = index.to_string();
        let ran = shell(
            "sh",
            &shard.script,
            &dir,
            &shard.env_with(&[("RESULTS", results), ("SEEDS", "2"), ("JOB_COMPLETION_INDEX", &index)]),
        );
        // Exit 1 (failing seeds, results written) is the podFailurePolicy's FailIndex.
        assert!(ran.code == 0 || ran.code == 1, "index {index}: exit {}\n{}{}", ran.code, ran.stdout, ran.stderr);
    }
    let sweep_dir = Path::new(results).join(shard.var("SWEEP"));
    let mut written: Vec<String> =
        std::fs::read_dir(&sweep_dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    written.sort();
    let expected: Vec<String> = (1..=completions).map(|i| format!("shard-{i}-of-{completions}.json")).collect();
    assert_eq!(written, expected, "every shard published whole, no partial file left");

    let ran = shell("sh", &merge.script, &dir, &merge.env_with(&[("RESULTS", results)]));
    assert_eq!(ran.code, 1, "happy-intake's seeds fail the sweep: {}{}", ran.stdout, ran.stderr);
    assert!(ran.stdout.contains(&format!("{completions} of {completions} shards' results after 0s")), "{}", ran.stdout);
    assert_eq!(verdicts(&sweep_dir.join("merged.json")), unsharded(&dir, "2"), "the merge is the unsharded sweep");
    assert!(sweep_dir.join("report/junit.xml").is_file() && sweep_dir.join("report/summary.md").is_file());

    // A shard that never wrote its results: the merge waits its bound, then names it.
    std::fs::remove_file(sweep_dir.join(format!("shard-2-of-{completions}.json"))).unwrap();
    let ran = shell("sh", &merge.script, &dir, &merge.env_with(&[("RESULTS", results), ("WAIT_SECONDS", "0")]));
    assert_eq!(ran.code, 2, "{}{}", ran.stdout, ran.stderr);
    assert!(ran.stderr.contains(&format!("shards 2/{completions} are missing")), "{}", ran.stderr);
}

/// The composite action, run as the runner runs it: each `with:` input (or its
/// default) mapped onto its step's environment, the `squadsim` step's script in
/// `bash`, its summary and outputs written to files. squadsim itself is the one
/// under test (the install step is not run).
struct Action {
    inputs: Yaml,
    step: Yaml,
}

/// What one use of the action left.
struct ActionRun {
    ran: Ran,
    summary: String,
    outputs: String,
}

impl Action {
    fn load() -> Action {
        let action: Yaml = serde_yaml::from_str(&std::fs::read_to_string(repo().join("action.yml")).unwrap()).unwrap();
        assert_eq!(text(&action, &["runs", "using"]), "composite");
        let steps = at(&action, &["runs", "steps"]).as_sequence().unwrap();
        let step =
            steps.iter().find(|s| s.get("id").and_then(Yaml::as_str) == Some("squadsim")).expect("a squadsim step");
        let upload = steps.last().unwrap();
        assert!(text(upload, &["uses"]).starts_with("actions/upload-artifact@"), "the reports are uploaded last");
        assert_eq!(text(upload, &["if"]), "always()", "the reports are uploaded when the checks fail too");
        assert_eq!(text(upload, &["with", "path"]), "${{ inputs.report-dir }}");
        Action { inputs: at(&action, &["inputs"]).clone(), step: step.clone() }
    }

    /// The value of input `name`: `with[name]`, else its default.
    fn input(&self, name: &str, with: &[(&str, String)]) -> String {
        let declared = self.inputs.get(name).unwrap_or_else(|| panic!("the action has no input `{name}`"));
        with.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| text(declared, &["default"]).to_string())
    }

    fn run(&self, dir: &Path, with: &[(&str, String)]) -> ActionRun {
        for (name, _) in with {
            self.input(name, with);
        }
        let summary = dir.join("step-summary.md");
        let outputs = dir.join("step-outputs");
        let mut env: Vec<(String, String)> = vec![
            ("GITHUB_ACTION_PATH".into(), repo().display().to_string()),
            ("GITHUB_STEP_SUMMARY".into(), summary.display().to_string()),
            ("GITHUB_OUTPUT".into(), outputs.display().to_string()),
        ];
        for (name, value) in at(&self.step, &["env"]).as_mapping().unwrap() {
            let value = value.as_str().unwrap();
            let input = value
                .strip_prefix("${{ inputs.")
                .and_then(|v| v.strip_suffix(" }}"))
                .unwrap_or_else(|| panic!("{value}: the emulation maps `${{{{ inputs.NAME }}}}` only"));
            env.push((name.as_str().unwrap().to_string(), self.input(input, with)));
        }
        let ran = shell("bash", text(&self.step, &["run"]), dir, &env);
        let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
        ActionRun { ran, summary: read(&summary), outputs: read(&outputs) }
    }
}

/// The workflow's job `name`.
fn job<'a>(workflow: &'a Yaml, name: &str) -> &'a Yaml {
    at(workflow, &["jobs", name])
}

/// The `with:` of the job's step that uses the repository's own action.
fn uses_of_action(job: &Yaml) -> Vec<(String, String)> {
    let step =
        at(job, &["steps"]).as_sequence().unwrap().iter().find(|s| s.get("uses").and_then(Yaml::as_str) == Some("./"));
    let step = step.expect("the job uses the repository's own action (`uses: ./`)");
    at(step, &["with"])
        .as_mapping()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.as_str().unwrap().to_string(), v.as_str().map_or_else(|| format!("{v:?}"), str::to_string)))
        .collect()
}

/// `${{ expression }}` replaced by `values[expression]`; any other expression fails.
fn expand(text: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        let end = rest[start..].find("}}").unwrap_or_else(|| panic!("unclosed expression in `{text}`")) + start;
        let expression = rest[start + 3..end].trim();
        let value =
            values.iter().find(|(k, _)| *k == expression).unwrap_or_else(|| panic!("`{expression}` is not emulated"));
        out.push_str(&rest[..start]);
        out.push_str(value.1);
        rest = &rest[end + 2..];
    }
    out + rest
}

/// Whether artifact `name` matches a download `pattern` (`*` matches any run of characters).
fn matches(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((head, tail)) => {
            name.starts_with(head) && (0..=name.len() - head.len()).any(|i| matches(tail, &name[head.len() + i..]))
        }
    }
}

#[test]
fn the_workflow_sweeps_a_shard_per_matrix_job_and_its_merge_is_the_unsharded_sweep() {
    let workflow: Yaml =
        serde_yaml::from_str(&std::fs::read_to_string(repo().join(".github/workflows/squadsim.yml")).unwrap()).unwrap();
    // The corpus job gates on the scenarios' snapshots and the lint, through the action.
    let corpus = uses_of_action(job(&workflow, "corpus"));
    assert!(corpus.iter().all(|(k, _)| k != "seeds" && k != "merge"), "{corpus:?}");

    let sweep = job(&workflow, "sweep");
    assert_eq!(at(sweep, &["strategy", "fail-fast"]).as_bool(), Some(false), "every shard runs to its end");
    let matrix: Vec<u64> = at(sweep, &["strategy", "matrix", "shard"])
        .as_sequence()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    let count = matrix.len() as u64;
    assert_eq!(matrix, (1..=count).collect::<Vec<_>>(), "the matrix is shards 1..=N");
    let merge = job(&workflow, "merge");
    assert_eq!(text(merge, &["needs"]), "sweep");
    assert!(text(merge, &["if"]).contains("!cancelled()"), "failing shards are merged too");
    let download =
        at(merge, &["steps"]).as_sequence().unwrap().iter().find(|s| {
            s.get("uses").and_then(Yaml::as_str).is_some_and(|u| u.starts_with("actions/download-artifact@"))
        });
    let download = download.expect("the merge downloads the shards' artifacts");
    let (pattern, into) = (text(download, &["with", "pattern"]), text(download, &["with", "path"]));
    assert!(download.get("with").unwrap().get("merge-multiple").is_none(), "each artifact in its own directory");

    // Each matrix job in its own checkout; each uploaded artifact lands in the
    // merge job's checkout as download-artifact puts it: <path>/<artifact name>/.
    let action = Action::load();
    let (merge_dir, _) = workspace("workflow-merge");
    for shard in &matrix {
        let shard = shard.to_string();
        let (dir, _) = workspace(&format!("workflow-shard-{shard}"));
        let with: Vec<(String, String)> = uses_of_action(sweep)
            .into_iter()
            .map(|(k, v)| {
                let v = expand(&v, &[("matrix.shard", &shard), ("inputs.seeds || '50'", "2")]);
                (k, v)
            })
            .collect();
        let with: Vec<(&str, String)> = with.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        assert_eq!(action.input("shard", &with), format!("{shard}/{count}"), "shard I of the matrix's N");
        let run = action.run(&dir, &with);
        // A shard holding a happy-intake seed fails; the action still writes its results.
        assert!(run.ran.code == 0 || run.ran.code == 1, "{}{}", run.ran.stdout, run.ran.stderr);
        assert!(run.outputs.contains(&format!("run-exit-code={}\n", run.ran.code)), "{}", run.outputs);
        assert!(run.summary.contains("## squadsim sweep"), "{}", run.summary);
        let artifact = action.input("artifact-name", &with);
        assert!(matches(pattern, &artifact), "the merge's pattern `{pattern}` misses artifact `{artifact}`");
        let landed = merge_dir.join(into).join(&artifact);
        std::fs::create_dir_all(&landed).unwrap();
        for file in std::fs::read_dir(dir.join(action.input("report-dir", &with))).unwrap() {
            let file = file.unwrap();
            std::fs::copy(file.path(), landed.join(file.file_name())).unwrap();
        }
    }
    let with: Vec<(String, String)> = uses_of_action(merge);
    let with: Vec<(&str, String)> = with.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    let run = action.run(&merge_dir, &with);
    assert_eq!(run.ran.code, 1, "{}{}", run.ran.stdout, run.ran.stderr);
    let shards: Vec<String> = (1..=count).map(|i| format!("{i}/{count}")).collect();
    assert!(run.ran.stdout.contains(&format!("(shards {})", shards.join(", "))), "{}", run.ran.stdout);
    let merged = merge_dir.join(action.input("report-dir", &with)).join("merged-results.json");
    assert_eq!(verdicts(&merged), unsharded(&merge_dir, "2"), "the merged matrix is the unsharded sweep");
    assert!(run.summary.contains("## squadsim sweep: 6 seeds, 4 passed, 2 failed"), "{}", run.summary);
    // The merge job annotates the whole sweep's failing seeds on their scenario file.
    let annotated: Vec<&str> = run.ran.stdout.lines().filter(|l| l.starts_with("::error file=")).collect();
    assert_eq!(annotated.len(), 2, "{}", run.ran.stdout);
    assert!(annotated.iter().all(|l| l.contains("happy-intake.yaml,line=") && l.contains("(seed ")), "{annotated:?}");
}

/// Writes `contents` to `dir/path`, making its directories.
fn put(dir: &Path, path: &str, contents: &str) {
    let path = dir.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, contents).unwrap();
}

/// Copies the corpus file `scenarios/<path>` into `dir/scenarios/<path>`.
fn from_corpus(dir: &Path, path: &str) {
    put(dir, &format!("scenarios/{path}"), &std::fs::read_to_string(support::corpus_file(path)).unwrap());
}

#[test]
fn the_action_annotates_summarises_and_fails_on_what_fails() {
    let dir = support::scratch("action-failing");
    // A scenario without a snapshot, a legacy wire name in code, a payload with an unknown wall code
    // (an error) beside one with an unknown blocker code (a warning: the blocker set is open).
    from_corpus(&dir, "wrong-project-slug.yaml");
    put(&dir, "src/launch.rs", "fn launch() { let runtime_kind = 1; }\n");
    put(
        &dir,
        "payloads/trail.jsonl",
        "{\"x\": 1}\n{\"wall_code\": \"mood_wall\"}\n{\"blocker_code\": \"agent_stuck\"}\n",
    );
    let with = [("lint", "src".to_string()), ("wire", "payloads/*.jsonl".to_string())];
    let run = Action::load().run(&dir, &with);
    let out = &run.ran.stdout;
    assert_eq!(run.ran.code, 1, "{out}{}", run.ran.stderr);
    assert!(out.contains("::error file=scenarios/wrong-project-slug.yaml"), "{out}");
    assert!(out.contains("::error file=src/launch.rs,line=1"), "{out}");
    assert!(
        out.contains("::error file=payloads/trail.jsonl,line=2,title=squadsim wire::/wall_code: unknown wall code"),
        "{out}"
    );
    assert!(
        out.contains("::warning file=payloads/trail.jsonl,line=3,title=squadsim wire::/blocker_code: blocker code"),
        "{out}"
    );
    assert!(run.summary.contains("## squadsim: 0 passed, 1 failed"), "{}", run.summary);
    assert!(run.summary.contains("**squadsim lint** (src): violations; 1 errors"), "{}", run.summary);
    assert!(
        run.summary.contains("**squadsim wire** (1 files): payloads with errors; 3 payloads: 1 errors"),
        "{}",
        run.summary
    );
    for line in ["exit-code=1", "run-exit-code=1", "lint-exit-code=1", "wire-exit-code=1"] {
        assert!(run.outputs.lines().any(|l| l == line), "{line}: {}", run.outputs);
    }
    let reports = dir.join("squadsim-reports");
    assert!(reports.join("junit.xml").is_file() && reports.join("wrong-project-slug.seed-7.html").is_file());
}

#[test]
fn the_action_passes_what_passes_and_says_what_it_did_not_run() {
    let dir = support::scratch("action-passing");
    from_corpus(&dir, "wrong-project-slug.yaml");
    from_corpus(&dir, "snapshots/outcome@wrong-project-slug.yaml.snap");
    let run = Action::load().run(&dir, &[("lint", String::new())]);
    assert_eq!(run.ran.code, 0, "{}{}", run.ran.stdout, run.ran.stderr);
    assert!(!run.ran.stdout.contains("::error"), "{}", run.ran.stdout);
    assert!(run.summary.contains("## squadsim: 1 passed, 0 failed"), "{}", run.summary);
    assert!(run.summary.contains("**squadsim lint**: not run (no `lint` paths given)"), "{}", run.summary);
    assert!(run.summary.contains("**squadsim wire**: not run (no `wire` payload files given)"), "{}", run.summary);
    assert!(run.outputs.lines().any(|l| l == "exit-code=0"), "{}", run.outputs);

    // A payload glob that matches nothing is a warning, and wire refuses the missing file: never clean.
    let run = Action::load().run(&dir, &[("lint", String::new()), ("wire", "recorded/*.json".to_string())]);
    assert_eq!(run.ran.code, 2, "{}", run.ran.stdout);
    assert!(
        run.ran.stdout.contains("::warning title=squadsim%3A wire::`recorded/*.json` matches no file"),
        "{}",
        run.ran.stdout
    );
    assert!(run.summary.contains("**squadsim wire** (1 files): could not run (exit 2"), "{}", run.summary);
}

#[test]
fn the_action_refuses_inputs_its_mode_would_ignore() {
    let dir = support::scratch("action-ignored-inputs");
    from_corpus(&dir, "wrong-project-slug.yaml");
    from_corpus(&dir, "snapshots/outcome@wrong-project-slug.yaml.snap");
    // A matrix job with `shard` but no `seeds` would run the whole corpus and pass as its shard of a sweep.
    let cases: [(&[(&str, &str)], &str); 4] = [
        (&[("shard", "2/4")], "`shard` belongs to a seed sweep: set `seeds` too"),
        (&[("jitter", "2s")], "`jitter` belongs to a seed sweep: set `seeds` too"),
        (&[("merge", "shards/*.json"), ("seeds", "50")], "`seeds` is not used by `merge`"),
        (&[("merge", "shards/*.json"), ("shard", "1/2")], "`shard` is not used by `merge`"),
    ];
    for (inputs, said) in cases {
        let mut with: Vec<(&str, String)> = vec![("lint", String::new())];
        with.extend(inputs.iter().map(|(k, v)| (*k, v.to_string())));
        let run = Action::load().run(&dir, &with);
        assert_eq!(run.ran.code, 2, "{inputs:?}: {}{}", run.ran.stdout, run.ran.stderr);
        assert!(
            run.ran.stdout.contains("::error title=squadsim::") && run.ran.stdout.contains(said),
            "{}",
            run.ran.stdout
        );
        assert!(run.summary.contains(&format!("## squadsim: refused: {said}")), "{}", run.summary);
        assert!(run.outputs.lines().any(|l| l == "exit-code=2"), "{}", run.outputs);
        assert!(!dir.join("squadsim-reports").exists(), "{inputs:?}: nothing ran");
    }
    // The same scenario without the stray input runs and passes.
    let run = Action::load().run(&dir, &[("lint", String::new())]);
    assert_eq!(run.ran.code, 0, "{}{}", run.ran.stdout, run.ran.stderr);
}
