//! What several test files share: loading a corpus scenario, and a scenario's
//! Daytona fake served on loopback (127.0.0.1, an OS-chosen port), for talking
//! to it as a real client would. Each test file uses the part it needs.
#![allow(dead_code)]

use std::path::Path;
use std::time::Duration;

use squadsim::engine::world::{Endpoints, Services};
use squadsim::scenario::Scenario;
use squadsim_fakes::net::{serve_loopback, HttpClient, Transport};

/// The corpus scenario `scenarios/<name>`; a scenario that does not load fails the test with its error.
pub fn load(name: &str) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios").join(name);
    Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

/// The scenario's services, its Daytona fake listening at `base`.
pub struct LoopbackDaytona {
    pub base: String,
    /// Daytona's API key.
    pub key: String,
    /// A client bounded by a 10 s timeout.
    pub http: HttpClient,
    pub services: Services,
}

/// Builds the scenario's services and serves its Daytona fake on loopback.
pub async fn loopback_daytona(scenario: &Scenario) -> LoopbackDaytona {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let endpoints = Endpoints { daytona: base.clone(), ..Endpoints::simulated() };
    let services = Services::build(scenario, &endpoints, Transport::Loopback).unwrap();
    let key = services.daytona.config().api_key.clone();
    tokio::spawn(serve_loopback(services.daytona.router(), listener));
    LoopbackDaytona { base, key, http: HttpClient::new(Transport::Loopback, Duration::from_secs(10)), services }
}
