//! Seed 003: the platform (concierge) agent provisioned by the bespoke
//! `start_platform_agent` block versus the SSOT workspace path. The symptom
//! chain emerges from the services; the divergence report comes from the specs;
//! removing one divergence removes exactly its symptom; the SSOT path is the twin.

use crate::support;

use std::path::Path;

use squadsim::engine::world::{self, Run, RunOptions};
use squadsim::platform::platform_agent::divergence::compare;
use squadsim::platform::platform_agent::provisioning_spec::ProvisioningSpec;
use squadsim::platform::platform_agent::workspace_server::DeliveryMode;
use squadsim::platform::platform_agent::PlatformAgentOutcome;
use squadsim::scenario::Scenario;
use squadsim::scenario::{LlmCredential, OrgCondition, ProvisioningPath, Symptom};
use squadsim::Outcome;
use support::load;

fn section(o: &Outcome) -> &PlatformAgentOutcome {
    o.platform_agent.as_ref().expect("a platform agent section")
}

fn chat_note(o: &Outcome) -> (Option<u16>, String) {
    let call = o.operator.iter().find(|c| c.step == "chat_with_agent").expect("a chat");
    (call.http_status, call.note.clone().unwrap_or_default())
}

/// The bespoke scenario with `corrected` divergences set to the SSOT path.
fn bespoke_corrected(keys: &[&str]) -> Outcome {
    let mut s = load("platform-agent-bespoke.yaml");
    let condition = s.world.platform_agent.as_mut().unwrap();
    condition.corrected = keys.iter().map(|k| k.to_string()).collect();
    support::run(&s)
}

#[test]
fn the_bespoke_block_shows_the_whole_symptom_chain() {
    let o = support::run(&load("platform-agent-bespoke.yaml"));
    let p = section(&o);
    assert_eq!(
        p.symptoms,
        [
            Symptom::RegistrationRejected401,
            Symptom::MoleculeMcpRegisterRejected401,
            Symptom::ConfigsEperm,
            Symptom::ConfigNotApplied,
            Symptom::LlmAuthUnrecognisedPrefix,
            Symptom::InboundChatQueuedNeverConsumed,
            Symptom::A2aAdvertisedPortNotServed,
            Symptom::StaleRuntimeLabel,
        ]
    );
    let (status, note) = chat_note(&o);
    assert_eq!(status, Some(202), "{note}");
    assert!(note.contains("\"delivery_mode\":\"poll\""), "{note}");
    assert_eq!(p.inbound_queue, ["message/send queued"], "never consumed");
    let ws = p.workspace.as_ref().unwrap();
    assert_eq!((ws.kind.as_str(), ws.runtime_label.as_str()), ("platform", "langgraph"));
    assert_eq!(ws.name, ws.id, "the registered name stays the raw UUID");
    assert_eq!(p.executor.as_deref(), Some("claude-code"));
    assert_eq!((p.a2a_advertised_port, p.a2a_served_port), (Some(8090), Some(8000)));
    let probes: Vec<Option<u16>> =
        o.operator.iter().filter(|c| c.step == "probe_agent").map(|c| c.http_status).collect();
    assert_eq!(probes, [Some(404); 4], "no push route is served on :8000");
    let log = p.workspace_log.join("\n");
    assert!(log.contains("llm-auth: unrecognised prefix"), "{log}");
    assert!(log.contains("EPERM"), "{log}");
    assert!(log.contains("Register: HTTP 401"), "{log}");
    assert!(p.platform_log.iter().any(|l| l.contains("POST /registry/register 401")), "{:?}", p.platform_log);
}

#[test]
fn the_ssot_path_is_the_twin_and_answers_pong_synchronously() {
    let o = support::run(&load("platform-agent-ssot.yaml"));
    let p = section(&o);
    assert!(p.symptoms.is_empty(), "{:?}", p.symptoms);
    assert!(p.divergences.is_empty());
    assert_eq!(chat_note(&o), (Some(200), "reply: PONG".to_string()));
    assert!(p.inbound_queue.is_empty());
    let ws = p.workspace.as_ref().unwrap();
    assert_eq!((ws.name.as_str(), ws.runtime_label.as_str()), ("Org Concierge", "claude-code"));
    let card = o.operator.iter().find(|c| c.request.ends_with("/.well-known/agent.json")).unwrap();
    assert_eq!(card.http_status, Some(200));
}

/// The LLM hosts the concierge's queries reached, from the run's recorded calls.
fn llm_hosts_called(s: &Scenario) -> (Outcome, Vec<String>) {
    let Run { outcome, record, .. } = world::run(s, RunOptions { record: true, ..RunOptions::default() });
    let record = record.expect("a recorded run has a record");
    let mut hosts: Vec<String> = record
        .calls
        .iter()
        .filter(|c| c.from == "concierge" && c.path == "/v1/messages")
        .map(|c| format!("{} {:?}", c.to, c.status))
        .collect();
    hosts.dedup();
    (outcome, hosts)
}

#[test]
fn the_three_llm_credentials_of_the_rca_each_do_what_the_seed_says() {
    // seed 003: "ANTHROPIC_AUTH_TOKEN=$ADMIN_TOKEN — not a valid LLM token (llm-auth: unrecognised
    // prefix). It needs a real LLM credential: BYOK CLAUDE_CODE_OAUTH_TOKEN=sk-ant-* [...] or a
    // platform-managed sk-cp-* proxy token. (BYOK with a real token cleared this in the pilot.)"
    let (o, hosts) = llm_hosts_called(&load("platform-agent-byok.yaml"));
    assert_eq!(chat_note(&o), (Some(200), "reply: PONG".to_string()));
    assert!(section(&o).symptoms.is_empty(), "{:?}", section(&o).symptoms);
    assert!(section(&o).workspace_log.iter().any(|l| l.ends_with("llm-auth: LLM credential: BYOK (sk-ant-*)")));
    assert_eq!(hosts, ["anthropic-api Some(200)"], "BYOK goes to the Anthropic API, not the proxy");

    let (o, hosts) = llm_hosts_called(&load("platform-agent-ssot.yaml"));
    assert_eq!(chat_note(&o), (Some(200), "reply: PONG".to_string()));
    assert_eq!(hosts, ["llm-proxy Some(200)"], "sk-cp-* goes through the platform LLM proxy");

    let (o, hosts) = llm_hosts_called(&load("platform-agent-admin-token-llm.yaml"));
    assert_eq!(section(&o).symptoms, [Symptom::LlmAuthUnrecognisedPrefix]);
    assert_eq!(chat_note(&o), (Some(200), "error: llm-auth: unrecognised prefix".to_string()));
    assert!(hosts.is_empty(), "the admin token reaches no LLM: {hosts:?}");
}

#[test]
fn byok_clears_the_llm_symptom_of_the_bespoke_block_and_nothing_else() {
    // seed 003, B: "Re-placed the concierge with all env fixes (workspace token, configs
    // chown+CONFIGS_DIR, BYOK sk-ant-* LLM token) — boots clean [...] no query ran, no reply."
    let mut s = load("platform-agent-bespoke.yaml");
    s.world.platform_agent.as_mut().unwrap().llm_credential = Some(LlmCredential::Byok);
    let bespoke = section(&support::run(&load("platform-agent-bespoke.yaml"))).symptoms.clone();
    let with_byok = section(&support::run(&s)).symptoms.clone();
    let expected: Vec<Symptom> = bespoke.into_iter().filter(|x| *x != Symptom::LlmAuthUnrecognisedPrefix).collect();
    assert_eq!(with_byok, expected);

    let o = support::run(&load("platform-agent-bespoke-byok.yaml"));
    let log = section(&o).workspace_log.join("\n");
    // squadsim-lint allow-next-line bare-runtime -- the container's boot log, as seed 003 quotes it
    for line in ["Runtime: claude-code", "Registered with platform: 200", "Saved platform_inbound_secret"] {
        assert!(log.contains(line), "boots clean: {line}\n{log}");
    }
    let (status, note) = chat_note(&o);
    assert_eq!(status, Some(202), "{note}");
    assert!(note.contains("\"delivery_mode\":\"poll\""), "{note}");
    assert!(!log.contains("query answered"), "no query ran: {log}");
}

#[test]
fn the_outcome_carries_the_divergence_report_computed_from_the_specs() {
    let o = support::run(&load("platform-agent-bespoke.yaml"));
    let expected = compare(&ProvisioningSpec::ssot(), &ProvisioningSpec::bespoke());
    assert!(!expected.is_empty());
    assert_eq!(section(&o).divergences, expected);
}

#[test]
fn removing_one_divergence_removes_exactly_its_symptom() {
    let bespoke = section(&support::run(&load("platform-agent-bespoke.yaml"))).symptoms.clone();
    let cases: [(&[&str], &[Symptom]); 6] = [
        (&["configs"], &[Symptom::ConfigsEperm]),
        (&["env.CONFIGS_DIR"], &[Symptom::ConfigNotApplied]),
        (&["env.RUNTIME"], &[Symptom::StaleRuntimeLabel]),
        (&["env.A2A_PORT"], &[Symptom::A2aAdvertisedPortNotServed]),
        (&["env.MOLECULE_LLM_API_KEY", "env.MOLECULE_LLM_BASE_URL"], &[Symptom::LlmAuthUnrecognisedPrefix]),
        // One workspace token clears both registrations (seed 003: "both succeed").
        (
            &["step.pre_seed_row", "step.mint_workspace_token"],
            &[Symptom::RegistrationRejected401, Symptom::MoleculeMcpRegisterRejected401],
        ),
    ];
    for (keys, symptoms) in cases {
        let o = bespoke_corrected(keys);
        let mut expected = bespoke.clone();
        expected.retain(|s| !symptoms.contains(s));
        assert_eq!(section(&o).symptoms, expected, "corrected {keys:?}");
    }
}

#[test]
fn minting_a_token_before_the_row_exists_is_the_chicken_and_egg() {
    let o = bespoke_corrected(&["step.mint_workspace_token"]);
    let p = section(&o);
    assert!(p.symptoms.contains(&Symptom::WorkspaceTokenMint404), "{:?}", p.symptoms);
    assert!(p.symptoms.contains(&Symptom::RegistrationRejected401), "still no workspace token: {:?}", p.symptoms);
}

#[test]
fn chat_is_pushed_once_registration_and_the_a2a_port_follow_the_ssot_path() {
    let pushed = bespoke_corrected(&["step.pre_seed_row", "step.mint_workspace_token", "env.A2A_PORT"]);
    let p = section(&pushed);
    assert!(!p.symptoms.contains(&Symptom::InboundChatQueuedNeverConsumed), "{:?}", p.symptoms);
    assert_eq!(chat_note(&pushed), (Some(200), "error: llm-auth: unrecognised prefix".to_string()));
    let answered = bespoke_corrected(&[
        "step.pre_seed_row",
        "step.mint_workspace_token",
        "env.A2A_PORT",
        "env.MOLECULE_LLM_API_KEY",
        "env.MOLECULE_LLM_BASE_URL",
    ]);
    assert_eq!(chat_note(&answered), (Some(200), "reply: PONG".to_string()));
}

#[test]
fn correcting_every_divergence_gives_the_ssot_outcome() {
    let keys: Vec<String> =
        compare(&ProvisioningSpec::ssot(), &ProvisioningSpec::bespoke()).into_iter().map(|d| d.key).collect();
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    let o = bespoke_corrected(&keys);
    let ssot = support::run(&load("platform-agent-ssot.yaml"));
    assert!(section(&o).symptoms.is_empty(), "{:?}", section(&o).symptoms);
    assert!(section(&o).divergences.is_empty());
    assert_eq!(chat_note(&o), chat_note(&ssot));
    assert_eq!(section(&o).workspace, section(&ssot).workspace);
}

#[test]
fn the_symptoms_do_not_depend_on_the_seed() {
    let base = load("platform-agent-bespoke.yaml");
    let expected = section(&support::run(&base)).symptoms.clone();
    for seed in [1, 2, 7, 11, 40] {
        let mut s = base.clone();
        s.seed = seed;
        assert_eq!(section(&support::run(&s)).symptoms, expected, "seed {seed}");
    }
}

#[test]
fn a_correction_naming_no_divergence_is_refused_at_load() {
    let text =
        "world:\n  platform_agent:\n    provisioning: bespoke\n    corrected: [env.COLOUR]\nsteps: [probe_agent]\n";
    let err = Scenario::parse(Path::new("scenarios/x.yaml"), text).unwrap_err();
    assert_eq!(err.field, "world.platform_agent.corrected");
    assert!(err.message.contains("unknown divergence `env.COLOUR`"), "{err}");
    assert_eq!(err.line, Some(4));
    let text = "world:\n  platform_agent: {provisioning: ssot, corrected: [configs]}\nsteps: [probe_agent]\n";
    assert!(Scenario::parse(Path::new("x.yaml"), text).is_err());
}

#[test]
fn platform_agent_steps_need_the_condition() {
    let err = Scenario::parse(Path::new("x.yaml"), "steps: [probe_agent]\n").unwrap_err();
    assert!(err.message.contains("expected `world.platform_agent`"), "{err}");
    let ok =
        Scenario::parse(Path::new("x.yaml"), "world:\n  platform_agent: {provisioning: ssot}\nsteps: [probe_agent]\n");
    assert_eq!(ok.unwrap().world.platform_agent.unwrap().provisioning, ProvisioningPath::Ssot);
}

#[test]
fn a_partition_between_the_concierge_and_the_llm_proxy_fails_the_pushed_chat() {
    let o = support::run(&load("platform-agent-proxy-partition.yaml"));
    assert_eq!(o.faults, ["5.0s partition concierge <-> llm-proxy"]);
    let (status, note) = chat_note(&o);
    // Push delivery still works (the platform forwards synchronously); the query cannot reach the proxy.
    assert_eq!(status, Some(200), "{note}");
    assert!(note.starts_with("error: LLM proxy: connection failed"), "{note}");
    let p = section(&o);
    assert!(p.symptoms.is_empty(), "provisioning followed the SSOT path: {:?}", p.symptoms);
    assert!(p.inbound_queue.is_empty());
    assert_eq!(p.workspace.as_ref().and_then(|w| w.delivery_mode), Some(DeliveryMode::Push));
    assert!(p.workspace_log.iter().any(|l| l.contains("query failed: LLM proxy")), "{:?}", p.workspace_log);

    // The twin without the fault answers PONG.
    let mut twin = load("platform-agent-proxy-partition.yaml");
    twin.faults.clear();
    assert_eq!(chat_note(&support::run(&twin)), (Some(200), "reply: PONG".to_string()));
}

#[test]
fn a_byok_query_that_fails_names_the_anthropic_api_it_went_to_not_the_llm_proxy() {
    // The BYOK sk-ant-* credential goes to the Anthropic API (seed 003); a failure there is its failure.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/platform-agent-byok.yaml");
    let cut = "\nfaults:\n  - partition: {between: [concierge, anthropic-api], at: 5s}\nsteps:";
    let text = std::fs::read_to_string(&path).unwrap().replace("\nsteps:", cut);
    let o = support::run(&Scenario::parse(&path, &text).unwrap_or_else(|e| panic!("{e}")));
    let (status, note) = chat_note(&o);
    assert_eq!(status, Some(200), "{note}");
    assert!(note.starts_with("error: Anthropic API: connection failed"), "{note}");
    let log = section(&o).workspace_log.join("\n");
    assert!(log.contains("query failed: Anthropic API"), "{log}");
    assert!(!log.contains("LLM proxy"), "nothing went to the LLM proxy: {log}");

    let refused = std::fs::read_to_string(&path).unwrap().replace(
        "\nsteps:",
        "\nfaults:\n  - service: {host: anthropic-api, path: /v1/messages, effect: {status: 529}, at: 1s}\nsteps:",
    );
    let o = support::run(&Scenario::parse(&path, &refused).unwrap_or_else(|e| panic!("{e}")));
    assert_eq!(chat_note(&o), (Some(200), "error: Anthropic API: HTTP 529".to_string()));
}

#[test]
fn the_platform_agent_hosts_are_fault_targets_only_in_a_world_that_has_them() {
    let with = "name: x\nworld:\n  platform_agent: {provisioning: ssot}\nfaults:\n  - crash: {host: platform, at: 1s}\n  - service: {host: llm-proxy, path: /v1/messages, effect: {status: 529}, at: 1s}\nsteps: [probe_agent]\n";
    Scenario::parse(Path::new("with.yaml"), with).unwrap_or_else(|e| panic!("{e}"));

    let without = "name: x\nfaults:\n  - partition: {between: [studio, concierge], at: 1s}\nsteps: [health]\n";
    let err = Scenario::parse(Path::new("without.yaml"), without).unwrap_err();
    assert_eq!((err.line, err.field.as_str()), (Some(3), "faults[0].partition.between[1]"), "{err}");
    assert!(err.message.contains("unknown host `concierge`: expected one of operator, studio,"), "{err}");
    assert!(err.message.contains("joins the world with `world.platform_agent`"), "{err}");
    assert!(err.to_string().starts_with("without.yaml:3:"), "{err}");
}

#[test]
fn a_service_fault_on_the_llm_proxy_reaches_the_reply() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/platform-agent-ssot.yaml");
    let text = std::fs::read_to_string(&path).unwrap().replace(
        "\nsteps:",
        "\nfaults:\n  - service: {host: llm-proxy, method: POST, path: /v1/messages, effect: {status: 529}, at: 1s}\nsteps:",
    );
    let o = support::run(&Scenario::parse(&path, &text).unwrap_or_else(|e| panic!("{e}")));
    assert_eq!(chat_note(&o), (Some(200), "error: LLM proxy: HTTP 529".to_string()));
}

#[test]
fn the_unserved_a2a_port_is_observed_as_404s_on_the_registered_url() {
    // Registration corrected, nobody probes by hand: the platform's own agent-card probe hits the 404.
    let mut s = load("platform-agent-bespoke.yaml");
    s.steps.retain(|step| !matches!(step, squadsim::scenario::Step::ProbeAgent));
    s.world.platform_agent.as_mut().unwrap().corrected =
        vec!["step.pre_seed_row".to_string(), "step.mint_workspace_token".to_string()];
    let o = support::run(&s);
    let p = section(&o);
    assert!(p.symptoms.contains(&Symptom::A2aAdvertisedPortNotServed), "{:?}", p.symptoms);
    let registered = p.platform_log.iter().find(|l| l.contains("POST /registry/register 200")).unwrap();
    assert!(registered.contains("at http://concierge:8000; agent card 404; delivery_mode=poll"), "{registered}");
    assert!(p
        .workspace_log
        .iter()
        .any(|l| l.ends_with("uvicorn: \"GET /.well-known/agent.json HTTP/1.1\" 404 Not Found")));
    assert_eq!(p.inbound_queue, ["message/send queued"]);
}

/// The calls to `POST /registry/register` the concierge made, with how each ended.
fn registrations(s: &Scenario) -> (Outcome, Vec<Option<u16>>) {
    let Run { outcome, record, .. } = world::run(s, RunOptions { record: true, ..RunOptions::default() });
    let record = record.expect("a recorded run has a record");
    let calls = record
        .calls
        .iter()
        .filter(|c| c.from == "concierge" && c.to == "platform" && c.path == "/registry/register")
        .map(|c| c.status)
        .collect();
    (outcome, calls)
}

#[test]
fn with_the_admin_token_both_registrations_are_refused_and_with_a_workspace_token_both_succeed() {
    // seed 003: "With the admin token: molecule-mcp: register rejected HTTP 401 + agent
    // Register: HTTP 401. With a minted workspace token: both succeed (Registered with
    // platform: 200)."
    let (o, calls) = registrations(&load("platform-agent-bespoke.yaml"));
    assert_eq!(calls, [Some(401), Some(401)], "two registrations over HTTP, each refused");
    let p = section(&o);
    let log = p.workspace_log.join("\n");
    assert!(log.contains("agent: Register: HTTP 401"), "{log}");
    assert!(log.contains("molecule-mcp: register rejected HTTP 401"), "{log}");
    let refused = p.platform_log.iter().filter(|l| l.contains("POST /registry/register 401")).count();
    assert_eq!(refused, 2, "{:?}", p.platform_log);
    assert!(p.symptoms.contains(&Symptom::MoleculeMcpRegisterRejected401), "{:?}", p.symptoms);

    for scenario in ["platform-agent-ssot.yaml", "platform-agent-bespoke-byok.yaml"] {
        let (o, calls) = registrations(&load(scenario));
        assert_eq!(calls, [Some(200), Some(200)], "{scenario}");
        let p = section(&o);
        let log = p.workspace_log.join("\n");
        assert!(log.contains("agent: Registered with platform: 200"), "{scenario}: {log}");
        assert!(log.contains("molecule-mcp: registered workspace"), "{scenario}: {log}");
        assert!(!p.symptoms.contains(&Symptom::MoleculeMcpRegisterRejected401), "{scenario}");
    }
    // molecule-mcp's URL-less poll registration leaves the agent's push delivery as it was.
    let (o, _) = registrations(&load("platform-agent-ssot.yaml"));
    assert_eq!(section(&o).workspace.as_ref().and_then(|w| w.delivery_mode), Some(DeliveryMode::Push));
    assert_eq!(chat_note(&o), (Some(200), "reply: PONG".to_string()));
}

#[test]
fn the_install_reparents_the_orgs_roots_under_the_platform_agent_and_migrates_its_tables() {
    // seed 003: "returned {"kind":"platform","status":"installed"} and correctly: upserted the
    // platform row to kind='platform', parent_id=NULL, re-parented the org's existing roots (CEO
    // Assistant + SEO Agent) under it, migrated org_api_tokens / org_plugin_allowlist (0 rows here,
    // but the code path ran)."
    let o = support::run(&load("platform-agent-pilot.yaml"));
    let p = section(&o);
    let id = p.workspace.as_ref().unwrap().id.as_str();
    assert_eq!(p.org.roots_before, ["CEO Assistant", "SEO Agent"]);
    assert_eq!(p.org.roots_after, [id], "the platform agent, named by its UUID, is the sole root");
    let install = p.org.install.as_ref().expect("the install ran");
    assert_eq!(install.reparented, ["CEO Assistant", "SEO Agent"]);
    assert_eq!(install.migrated, ["org_api_tokens: 0 rows", "org_plugin_allowlist: 0 rows"]);
    assert!(p.org.rollback.is_none());
    assert_eq!(p.container, "running");
    let answer = p.workspace_log.iter().find(|l| l.contains("install platform agent")).unwrap();
    assert!(
        answer.ends_with(r#"install platform agent: HTTP 200 {"kind":"platform","status":"installed"}"#),
        "{answer}"
    );

    // Another org: every root goes under the platform agent; every row is migrated.
    let mut s = load("platform-agent-pilot.yaml");
    s.world.platform_agent.as_mut().unwrap().org =
        OrgCondition { roots: vec!["A".into(), "B".into(), "C".into()], org_api_tokens: 3, org_plugin_allowlist: 2 };
    let o = support::run(&s);
    let install = section(&o).org.install.clone().unwrap();
    assert_eq!(install.reparented, ["A", "B", "C"]);
    assert_eq!(install.migrated, ["org_api_tokens: 3 rows", "org_plugin_allowlist: 2 rows"]);

    // The SSOT spec has no install step: the org's roots stay, the concierge joins them as a root.
    let o = support::run(&load("platform-agent-ssot.yaml"));
    let p = section(&o);
    assert!(p.org.install.is_none());
    assert_eq!(p.org.roots_after, ["CEO Assistant", "Org Concierge", "SEO Agent"]);
}

#[test]
fn the_pilots_rollback_restores_the_roots_and_removes_the_container() {
    // seed 003: "I rolled the pilot back (restored CEO Assistant + SEO Agent as roots, removed the container)".
    let o = support::run(&load("platform-agent-pilot-rollback.yaml"));
    let p = section(&o);
    let rollback = p.org.rollback.as_ref().expect("a rollback");
    assert_eq!(rollback.restored_roots, ["CEO Assistant", "SEO Agent"]);
    assert!(rollback.route.contains("model-defined"), "{}", rollback.route);
    assert_eq!(p.org.roots_after, p.org.roots_before, "the org is clean");
    assert_eq!(p.container, "removed");
    assert_eq!(p.workspace.as_ref().unwrap().status, "removed");
    let calls: Vec<(&str, Option<u16>)> = o
        .operator
        .iter()
        .filter(|c| c.step == "rollback_platform_agent")
        .map(|c| (c.request.as_str(), c.http_status))
        .collect();
    assert_eq!(
        calls,
        [
            ("DELETE http://platform:8080/admin/org/platform-agent", Some(200)),
            ("DELETE http://concierge:2375/containers/molecule-platform-agent", Some(204)),
        ]
    );
    // The probes after the rollback find no container to answer.
    let after: Vec<Option<u16>> =
        o.operator.iter().filter(|c| c.step == "probe_agent").skip(4).map(|c| c.http_status).collect();
    assert_eq!(after, [None; 4]);

    // The twin without the rollback leaves the org degraded.
    let twin = support::run(&load("platform-agent-pilot.yaml"));
    let t = section(&twin);
    assert_eq!(t.org.roots_after, [t.workspace.as_ref().unwrap().id.as_str()]);
    assert_eq!(t.container, "running");

    // A second rollback finds nothing to undo, the way each API answers it.
    let mut s = load("platform-agent-pilot-rollback.yaml");
    s.steps.push(squadsim::scenario::Step::RollbackPlatformAgent);
    let o = support::run(&s);
    let again: Vec<(Option<u16>, String)> = o
        .operator
        .iter()
        .filter(|c| c.step == "rollback_platform_agent")
        .skip(2)
        .map(|c| (c.http_status, c.note.clone().unwrap_or_default()))
        .collect();
    assert_eq!(
        again,
        [
            (Some(404), r#"{"error":"platform agent not installed"}"#.to_string()),
            (Some(404), r#"{"message":"No such container: molecule-platform-agent"}"#.to_string()),
        ]
    );
}

#[test]
fn an_org_that_cannot_be_is_refused_at_load_with_its_line_and_field() {
    let text = "world:\n  platform_agent:\n    provisioning: bespoke\n    org:\n      roots:\n        - CEO Assistant\n        - CEO Assistant\nsteps: [probe_agent]\n";
    let err = Scenario::parse(Path::new("x.yaml"), text).unwrap_err();
    assert_eq!((err.line, err.field.as_str()), (Some(7), "world.platform_agent.org.roots[1]"), "{err}");
    assert!(err.message.contains("`CEO Assistant` is named twice"), "{err}");

    let text = "world:\n  platform_agent:\n    provisioning: bespoke\n    org: {roots: [], org_api_tokens: 10001}\nsteps: [probe_agent]\n";
    let err = Scenario::parse(Path::new("x.yaml"), text).unwrap_err();
    assert_eq!((err.line, err.field.as_str()), (Some(4), "world.platform_agent.org.org_api_tokens"), "{err}");
    assert!(err.message.contains("expected between 0 and 10000 rows, got 10001"), "{err}");

    let text =
        "world:\n  platform_agent:\n    provisioning: bespoke\n    org: {roots: [\" \"]}\nsteps: [probe_agent]\n";
    let err = Scenario::parse(Path::new("x.yaml"), text).unwrap_err();
    assert_eq!(err.field, "world.platform_agent.org.roots[0]", "{err}");

    let text = "steps: [rollback_platform_agent]\n";
    let err = Scenario::parse(Path::new("x.yaml"), text).unwrap_err();
    assert!(err.message.contains("expected `world.platform_agent`"), "{err}");
}

#[test]
fn the_repilot_check_lists_the_orgs_workspaces_through_the_platform_mcp_on_the_ssot_path_only() {
    // seed 003: "verify the concierge responds + can list_workspaces via the platform MCP".
    let o = support::run(&load("platform-agent-repilot.yaml"));
    let p = section(&o);
    let check = p.repilot_check.as_ref().expect("the model calls list_workspaces");
    assert!(check.passed, "{check:?}");
    let mut listed = check.workspaces.clone();
    listed.sort();
    assert_eq!(listed, ["CEO Assistant", "Org Concierge", "SEO Agent"]);
    assert_eq!(chat_note(&o), (Some(200), "reply: PONG".to_string()), "the concierge responds");
    assert!(p.platform_log.iter().any(|l| l.contains("GET /workspaces 200 (3 workspaces)")), "{:?}", p.platform_log);

    // The bespoke block: no chat reaches the concierge, and molecule-mcp exited on its 401.
    let o = support::run(&load("platform-agent-repilot-bespoke.yaml"));
    let p = section(&o);
    let check = p.repilot_check.as_ref().unwrap();
    assert!(!check.passed);
    assert_eq!(check.why.as_deref(), Some("the concierge ran no query: no chat reached it"));
    assert!(!p.platform_log.iter().any(|l| l.contains("GET /workspaces")), "{:?}", p.platform_log);

    // With the pilot's registration fixes (token minted, A2A port served) the chat is pushed and
    // molecule-mcp runs and lists; the admin token as LLM token still keeps the concierge from answering.
    let mut s = load("platform-agent-repilot-bespoke.yaml");
    let condition = s.world.platform_agent.as_mut().unwrap();
    condition.corrected = vec!["step.pre_seed_row".into(), "step.mint_workspace_token".into(), "env.A2A_PORT".into()];
    let check = section(&support::run(&s)).repilot_check.clone().unwrap();
    assert_eq!(check.workspaces.len(), 3, "{check:?}");
    assert!(!check.passed);
    assert_eq!(check.why.as_deref(), Some("the concierge did not answer: llm-auth: unrecognised prefix"));
    condition_with_llm(&mut s, LlmCredential::Byok);
    assert!(section(&support::run(&s)).repilot_check.as_ref().unwrap().passed);

    // Without the scripted tool call there is no check to report.
    assert!(section(&support::run(&load("platform-agent-ssot.yaml"))).repilot_check.is_none());
}

fn condition_with_llm(s: &mut Scenario, credential: LlmCredential) {
    s.world.platform_agent.as_mut().unwrap().llm_credential = Some(credential);
}
