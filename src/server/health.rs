//! `GET /health` (basic for anyone, detailed for loopback clients or holders of the key)
//! and `GET /stats` (the detailed health plus the per-route figures, the latency timeline
//! and the recent requests: the JSON the dashboard reads). Reads the statistics
//! and the circuit breakers; never calls a provider.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::Json;
use serde_json::{json, Map, Value};

use super::{middleware, AppState};
use crate::config::{Config, ProviderConfig};
use crate::stats::{Figures, Process, Snapshot};

/// A provider whose recent error rate reaches this is reported unhealthy.
const UNHEALTHY_ERROR_RATE: f64 = 0.5;

pub async fn health(State(state): State<Arc<AppState>>, request: Request) -> Json<Value> {
    let config = state.config();
    if middleware::may_see_figures(&config, state.local_addr.port(), &request).is_err() {
        return Json(json!({"status": "healthy"}));
    }
    let snapshot = state.stats.snapshot();
    Json(detailed(&state, &config, &snapshot))
}

pub async fn stats(State(state): State<Arc<AppState>>) -> Json<Value> {
    let config = state.config();
    let snapshot = state.stats.snapshot();
    let mut body = detailed(&state, &config, &snapshot);
    if let Value::Object(body) = &mut body {
        body.insert("statistics".into(), json!(snapshot));
        body.insert("timeline".into(), json!(state.stats.timeline()));
        body.insert("recent".into(), json!(state.stats.recent()));
    }
    Json(body)
}

/// The detailed health: version, uptime, a config summary, performance (memory, CPU,
/// requests, latency percentiles) and the health of each configured provider.
fn detailed(state: &AppState, config: &Config, snapshot: &Snapshot) -> Value {
    let stats = &state.stats;
    let providers: Map<String, Value> = config
        .providers
        .iter()
        .map(|p| {
            let breaker = state.dispatcher.breaker_status(&p.name);
            let mut health = provider_health(p, snapshot.providers.get(&p.name), breaker);
            if !p.more_keys.is_empty() {
                health["keys"] = state.dispatcher.key_status(p);
            }
            (p.name.clone(), health)
        })
        .collect();
    let unhealthy = providers.values().any(|p| p["status"] == "unhealthy");
    let process = Process::read();
    let totals = &snapshot.totals;
    json!({
        "status": if unhealthy { "degraded" } else { "healthy" },
        "version": env!("CARGO_PKG_VERSION"),
        "uptime_seconds": stats.uptime().as_secs(),
        "started_at": stats.started_at(),
        "config": config_summary(config),
        "performance": {
            "memory": {"rss_bytes": process.rss_bytes, "peak_rss_bytes": process.peak_rss_bytes},
            "cpu_seconds": process.cpu_seconds,
            "open_fds": process.open_fds,
            "in_flight": stats.in_flight(),
            "requests": {
                "total": totals.requests,
                "successes": totals.successes,
                "failures": totals.failures,
                "by_error": totals.errors,
            },
            "window_seconds": snapshot.window_seconds,
            "recent": totals.recent,
        },
        "providers": providers,
    })
}

fn config_summary(config: &Config) -> Value {
    json!({
        "source": config.source.describe(),
        "providers": config.provider_names(),
        "default_route": config.routes.default.first().map(ToString::to_string),
        "api_key_configured": config.api_key.is_some(),
        "priced_models": config.prices.len(),
    })
}

/// A provider's health: `disabled`, `no_key`, `unhealthy` while its circuit is open, `idle`
/// without recent traffic, then by its recent error rate.
fn provider_health(provider: &ProviderConfig, figures: Option<&Figures>, breaker: Value) -> Value {
    let figures = figures.cloned().unwrap_or_default();
    let recent = &figures.recent;
    let status = if !provider.enabled {
        "disabled"
    } else if provider.key_required && provider.key().is_none() {
        "no_key"
    } else if breaker["state"] == "open" {
        "unhealthy"
    } else if recent.requests == 0 {
        "idle"
    } else if recent.error_rate >= UNHEALTHY_ERROR_RATE {
        "unhealthy"
    } else if recent.failures > 0 {
        "degraded"
    } else {
        "healthy"
    };
    json!({
        "status": status,
        "kind": provider.kind.as_str(),
        "requests": figures.requests,
        "failures": figures.failures,
        "recent": figures.recent,
        "circuit_breaker": breaker,
    })
}
