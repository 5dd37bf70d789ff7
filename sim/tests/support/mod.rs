//! What several test files share: a scenario's Daytona fake served on loopback
//! (127.0.0.1, an OS-chosen port), for talking to it as a real client would.

use std::time::Duration;

use squadsim::scenario::Scenario;
use squadsim::world::{Endpoints, Services};
use squadsim_fakes::net::{serve_loopback, HttpClient, Transport};

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
