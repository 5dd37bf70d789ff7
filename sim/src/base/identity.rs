//! Agent identity (`docs/seeds.md`, runbook, "Agent identity model"; delivery-language seed,
//! "Agent Identity And Handoff").
//!
//! - `user_principal_name` / `subject_key`: `<role>@yamon.io`, the msgraph-bound
//!   named-agent UPN; `identity_binding_mode: named_agent_microsoft`;
//!   `secret_lease_ref: named-agent/<role>`.
//! - `agent_nickname`: a generated `adjective-noun` handle, deterministic per
//!   (run, agent, role). It is display only: never routing, ownership,
//!   authorization or branch ownership.
//! - the ContextForge gateway identity: `<projcode>.<nickname>@<domain>`.

/// The identity domain of named agents and gateway identities.
pub(crate) const DOMAIN: &str = "yamon.io";
pub(crate) const IDENTITY_BINDING_MODE: &str = "named_agent_microsoft";

const ADJECTIVES: [&str; 32] = [
    "dangerous",
    "quiet",
    "brisk",
    "amber",
    "lucid",
    "nimble",
    "steady",
    "vivid",
    "candid",
    "gentle",
    "hollow",
    "keen",
    "mellow",
    "noble",
    "polar",
    "rapid",
    "silent",
    "tidal",
    "urban",
    "velvet",
    "woven",
    "zesty",
    "bold",
    "cosmic",
    "dusky",
    "fuzzy",
    "glassy",
    "hardy",
    "ivory",
    "jolly",
    "lunar",
    "misty",
];

const NOUNS: [&str; 32] = [
    "vector", "harbor", "lantern", "meadow", "pylon", "quartz", "ridge", "sparrow", "tundra", "umbra", "willow",
    "beacon", "cinder", "delta", "ember", "falcon", "glacier", "heron", "island", "juniper", "kernel", "lagoon",
    "mosaic", "nebula", "orchid", "pebble", "quiver", "raven", "signal", "thicket", "vertex", "zephyr",
];

/// FNV-1a over the parts (separated), mixed with the seed: stable across
/// platforms and Rust versions, unlike `std`'s hasher.
pub(crate) fn stable_hash(seed: u64, parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    for part in parts {
        for b in part.bytes().chain(std::iter::once(0u8)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    // final avalanche (splitmix64 finaliser)
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// The generated display handle for an agent of a run.
pub(crate) fn agent_nickname(seed: u64, run_id: &str, agent_id: &str, role_id: &str) -> String {
    let h = stable_hash(seed, &[run_id, agent_id, role_id]);
    let adjective = ADJECTIVES[(h % ADJECTIVES.len() as u64) as usize];
    let noun = NOUNS[((h >> 32) % NOUNS.len() as u64) as usize];
    format!("{adjective}-{noun}")
}

pub(crate) fn user_principal_name(role_id: &str) -> String {
    format!("{role_id}@{DOMAIN}")
}

pub(crate) fn secret_lease_ref(role_id: &str) -> String {
    format!("named-agent/{role_id}")
}

/// The identity the gateway token carries and the gateway injects upstream.
pub(crate) fn gateway_identity(project_code: &str, nickname: &str) -> String {
    format!("{project_code}.{nickname}@{DOMAIN}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nicknames_are_deterministic_per_run_agent_and_role() {
        let a = agent_nickname(7, "run-1", "planner", "planner");
        assert_eq!(a, agent_nickname(7, "run-1", "planner", "planner"));
        let (adj, noun) = a.split_once('-').unwrap();
        assert!(ADJECTIVES.contains(&adj) && NOUNS.contains(&noun), "{a}");
        let others: std::collections::BTreeSet<String> =
            (0..20).map(|i| agent_nickname(7, &format!("run-{i}"), "planner", "planner")).collect();
        assert!(others.len() > 10, "nicknames should vary across runs: {others:?}");
    }

    #[test]
    fn identities_have_the_runbook_shapes() {
        assert_eq!(user_principal_name("planner"), "planner@yamon.io");
        assert_eq!(secret_lease_ref("curator"), "named-agent/curator");
        assert_eq!(gateway_identity("sanm", "dangerous-vector"), "sanm.dangerous-vector@yamon.io");
    }
}
