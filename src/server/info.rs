//! The informational endpoints: `GET /`, the probes (`HEAD /`, `/api/hello`) and
//! `GET /status` (with the statistics; `/health` is in `health`).

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use super::AppState;
use crate::report::{ProvidersSummary, StatusReport};
use crate::stats::Process;

pub async fn root() -> Json<Value> {
    Json(json!({
        "service": "ccproxy",
        "version": env!("CARGO_PKG_VERSION"),
        "endpoints": [
            "POST /v1/messages",
            "POST /v1/messages/count_tokens",
            "GET /v1/models",
            "GET /health",
            "GET /status",
            "GET /stats",
            "GET /metrics",
            "GET /ui",
            "GET|POST /providers",
            "GET|PUT|DELETE /providers/{name}",
            "PATCH /providers/{name}/toggle",
        ],
    }))
}

/// Claude Code probes the base URL with `HEAD /api/hello` (docs/claude-code-offline.md).
pub async fn hello() -> Json<Value> {
    Json(json!({"service": "ccproxy"}))
}

pub async fn status(State(state): State<Arc<AppState>>) -> Json<StatusReport> {
    let config = state.config();
    let names = config.provider_names();
    let circuit_breakers = names
        .iter()
        .map(|name| (name.clone(), state.dispatcher.breaker_status(name)))
        .collect();
    let keys = config
        .providers
        .iter()
        .filter(|p| !p.more_keys.is_empty())
        .map(|p| (p.name.clone(), state.dispatcher.key_status(p)))
        .collect();
    Json(StatusReport {
        service: "ccproxy".to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        status: "running".to_string(),
        uptime_seconds: state.started.elapsed().as_secs(),
        pid: std::process::id(),
        host: state.local_addr.ip().to_string(),
        port: state.local_addr.port(),
        api_key_configured: config.api_key.is_some(),
        providers: ProvidersSummary {
            count: names.len(),
            names,
            circuit_breakers,
            keys,
        },
        default_route: config.routes.default.first().map(ToString::to_string),
        in_flight: state.stats.in_flight(),
        process: Process::read(),
        statistics: state.stats.snapshot(),
        config: crate::config::show::masked(&config),
        config_reload: state.reload_status(),
    })
}
