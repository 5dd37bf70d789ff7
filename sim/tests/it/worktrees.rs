//! Worktrees in an execution workspace, set up by the platform through the
//! Daytona toolbox: the agent-owned worktree takes writes on its lane branch;
//! the assembly worktree is read-only, and a write there is refused.

use crate::support;

use std::path::Path;
use std::time::Duration;

use serde_json::json;
use squadsim::engine::world::{self, RunOptions};
use squadsim::platform::studio::worktree::{self, Toolbox, ToolboxError};
use squadsim::Scenario;
use squadsim_fakes::net::HttpRequest;

#[tokio::test]
async fn the_assembly_worktree_refuses_writes_and_the_lane_worktree_takes_them() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/full-delivery.yaml");
    let scenario = Scenario::load(&path).unwrap();
    let support::LoopbackDaytona { base, key, http, services } = support::loopback_daytona(&scenario).await;
    let create = HttpRequest::post(format!("{base}/api/sandbox")).bearer(&key).json(&json!({"name": "lane"}));
    let id = http.send(create).await.unwrap().json()["id"].as_str().unwrap().to_string();
    for _ in 0..100 {
        let sandbox = http.send(HttpRequest::get(format!("{base}/api/sandbox/{id}")).bearer(&key)).await.unwrap();
        if sandbox.json()["state"] == "started" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let toolbox = Toolbox::new(http, &base, &key, &id);
    let lane = worktree::lane_worktree("sanmopia-modernization");
    let branch = worktree::lane_branch("run-1", "implementer-1");
    let env = json!({
        worktree::ENV_REPOSITORY_URL: "http://github/yamonco/sanmopia-modernization.git",
        worktree::ENV_WORKTREE: lane,
        worktree::ENV_LANE_BRANCH: branch,
    });
    worktree::prepare(&toolbox, &env).await.unwrap();

    let refused = toolbox.upload(&format!("{}/notes.md", worktree::ASSEMBLY_WORKTREE), b"x").await.unwrap_err();
    assert!(matches!(refused, ToolboxError::Refused { status: 403, .. }), "{refused}");
    assert!(services.daytona.file(&id, &format!("{}/notes.md", worktree::ASSEMBLY_WORKTREE)).is_none());

    toolbox.upload(&format!("{lane}/lanes/implementer-1.md"), b"change\n").await.unwrap();
    let status = toolbox.git_status(&lane).await.unwrap();
    assert_eq!(status["currentBranch"], branch.as_str());
    assert_eq!(status["fileStatus"][0]["name"], "lanes/implementer-1.md");
    assert_eq!(status["fileStatus"][0]["worktree"], "Untracked");
    assert_eq!(toolbox.files_under(&lane).await.unwrap(), ["lanes/implementer-1.md"]);
    toolbox.post("/git/add", Some(json!({"path": lane, "files": ["."]}))).await.unwrap();
    let commit = json!({"path": lane, "message": "m", "author": "implementer-1", "email": "i@x"});
    let hash = toolbox.post("/git/commit", Some(commit)).await.unwrap().json();
    assert_eq!(hash["hash"].as_str().map(str::len), Some(40));
    let status = toolbox.git_status(&lane).await.unwrap();
    assert_eq!((status["fileStatus"].as_array().map(Vec::len), status["ahead"].as_u64()), (Some(0), Some(1)));
}

#[tokio::test]
async fn an_execution_workspace_that_names_no_repository_is_refused_before_any_toolbox_call() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/full-delivery.yaml");
    let scenario = Scenario::load(&path).unwrap();
    let support::LoopbackDaytona { base, key, http, .. } = support::loopback_daytona(&scenario).await;
    // No sandbox is created: the setup stops before it would reach one.
    let toolbox = Toolbox::new(http, &base, &key, "no-such-sandbox");
    let refused = worktree::prepare(&toolbox, &json!({worktree::ENV_REPOSITORY_URL: ""})).await.unwrap_err();
    assert_eq!(refused, worktree::WorktreeSetupError::NoRepository);
    assert_eq!(refused.to_string(), "the execution workspace names no repository");
}

#[test]
fn a_clone_daytona_refuses_stops_the_attempt_at_its_worktrees_saying_why() {
    // A 400 that is not "already exists" (the attempt's own earlier clone) is a refusal like any other.
    for (status, said) in [(500, "HTTP 500: Internal Server Error"), (400, "HTTP 400: Bad Request")] {
        let fault = format!(
            "faults:\n  - service: {{host: daytona, method: POST, path: /toolbox/*/git/clone, effect: {{status: {status}}}, at: 0s}}\n"
        );
        let scenario = support::with_faults("full-delivery.yaml", &fault);
        let run = world::run(&scenario, RunOptions { capture_responses: true, ..RunOptions::default() });
        let steps = support::polled(&run.responses, "planner", "current_step");
        // Until the gate's deadline, the planner's step says where its attempt stopped and what Daytona answered.
        let stopped = format!("execution_workspace_unavailable: worktrees: {said}");
        assert_eq!(steps.iter().rev().nth(1), Some(&stopped), "{steps:?}");
        assert_eq!(steps.last().map(String::as_str), Some("first_tool_gate"), "{steps:?}");
    }
}
