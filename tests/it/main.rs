//! Every integration test, in one binary (one link per change): each module below is one
//! area of behaviour, driven through the real server or the real `ccproxy` binary.
//!
//! Helpers here may fail loudly: a test that cannot set itself up should stop at once.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail the test on a broken set-up"
)]

mod cli_support;
mod common;

mod anthropic_compatible;
mod anthropic_passthrough;
mod claude_code_models;
mod cli;
mod cli_code;
mod cli_config;
mod cli_daemon;
mod cli_first_run;
mod cli_instances;
mod docs_examples;
mod effort_and_thinking;
mod errors_doc;
mod failover;
mod gemini;
mod key_pools;
mod live_config;
mod model_limits;
mod model_quirks;
mod observability;
mod outbound_proxy;
mod pool_admin;
mod prompt_cache;
mod provider_transcripts;
mod real_clients;
mod resilience;
mod responses;
mod routing;
mod security_clients;
mod security_deadlines;
mod security_frames;
mod security_keys;
mod seed_examples;
mod server;
mod shutdown;
mod skips;
mod small_limits;
mod streaming;
mod team;
mod team_cli;
mod team_replicas;
mod ui_browser;
mod usage_reports;
mod wire_shapes;
