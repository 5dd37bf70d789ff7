//! The skills service (its own host, `skills`): `GET /v1/skills`, the catalogue
//! the workspace shim's skill poll-pull reads after a session's first tool call
//! (`docs/seeds.md`, runbook: "The skill poll-pull (/v1/skills) was NOT exercised by intake agents
//! [...] they block at first-tool before the pull"; "Skill pull cannot stall the
//! launch (bounded to a 5s timeout)").
//!
//! A small fake: it answers `{"items": [{"skill_id", "roles"}]}` for the skills
//! of `?role_id=` (all skills without it), after the world's response delay. A
//! delay longer than the pull's bound is a hanging skills service; a partition
//! is an unreachable one. What the pull does with either is the workspace
//! shim's (`workspace::agent_process`).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::scenario::SkillsCondition;

/// The skills service.
pub struct SkillsService {
    condition: SkillsCondition,
}

#[derive(Deserialize)]
struct SkillsQuery {
    #[serde(default)]
    role_id: Option<String>,
}

impl SkillsService {
    pub fn new(condition: SkillsCondition) -> Arc<Self> {
        Arc::new(SkillsService { condition })
    }

    pub fn router(self: &Arc<Self>) -> Router {
        Router::new().route("/v1/skills", get(list)).with_state(self.clone())
    }
}

async fn list(State(service): State<Arc<SkillsService>>, Query(q): Query<SkillsQuery>) -> Json<Value> {
    if let Some(delay) = service.condition.response_delay {
        squadsim_fakes::timer::sleep(delay.0).await;
    }
    let items: Vec<Value> = service
        .condition
        .catalogue
        .iter()
        .filter(|s| s.roles.is_empty() || q.role_id.as_ref().is_none_or(|r| s.roles.contains(r)))
        .map(|s| json!({"skill_id": s.skill_id, "roles": s.roles}))
        .collect();
    Json(json!({"items": items}))
}

/// The bound on one skill pull (`docs/seeds.md`, runbook: "bounded to a 5s timeout").
pub(crate) const PULL_BOUND: Duration = Duration::from_secs(5);
