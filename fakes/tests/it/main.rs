//! The fakes' integration tests, one binary (linked once): a module per
//! concern, the helpers they share in [`support`].

mod support;

mod bounded_inspection;
mod contextforge_bodies;
mod contextforge_rmcp;
mod contextforge_tool_timeout;
mod daytona_api;
mod daytona_bodies;
mod github_documents;
mod github_octocrab;
mod github_requests;
mod glitchtip_requests;
mod glitchtip_sentry;
mod loopback_limits;
mod msgraph_requests;
mod simulated_network;
