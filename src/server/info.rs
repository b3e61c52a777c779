//! The informational endpoints: `GET /`, the probes (`HEAD /`, `/api/hello`) and
//! `GET /status` (with the statistics; `/health` is in `health`).

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use super::AppState;
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

pub async fn status(State(state): State<Arc<AppState>>) -> Json<Value> {
    let config = state.config();
    let names = config.provider_names();
    let circuits: serde_json::Map<String, Value> = names
        .iter()
        .map(|name| (name.clone(), state.dispatcher.breaker_status(name)))
        .collect();
    let keys: serde_json::Map<String, Value> = config
        .providers
        .iter()
        .filter(|p| !p.more_keys.is_empty())
        .map(|p| (p.name.clone(), state.dispatcher.key_status(p)))
        .collect();
    Json(json!({
        "service": "ccproxy",
        "version": env!("CARGO_PKG_VERSION"),
        "status": "running",
        "uptime_seconds": state.started.elapsed().as_secs(),
        "pid": std::process::id(),
        "host": state.local_addr.ip().to_string(),
        "port": state.local_addr.port(),
        "api_key_configured": config.api_key.is_some(),
        "providers": {"count": names.len(), "names": names, "circuit_breakers": circuits,
                      "keys": keys},
        "default_route": config.routes.default.first().map(ToString::to_string),
        "in_flight": state.stats.in_flight(),
        "process": Process::read(),
        "statistics": state.stats.snapshot(),
        "config": crate::config::show::masked(&config),
        "config_reload": state.reload_status(),
    }))
}
