//! `GET /health` (basic for anyone, detailed for loopback clients or holders of the key)
//! and `GET /stats` (the detailed health plus the per-route figures, the latency timeline
//! and the recent requests: the JSON the dashboard reads). Reads the statistics
//! and the circuit breakers; never calls a provider.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::{middleware, AppState};
use crate::config::{Config, ProviderConfig};
use crate::report::{
    BasicHealth, BreakerReport, BreakerState, ConfigSummary, HealthReport, HealthStatus, Memory,
    Performance, ProviderHealth, ProviderStatus, RequestCounts, StatsReport, StoreStatus, TeamMode,
    TeamReport,
};
use crate::stats::{Figures, Process, Snapshot};

/// A provider whose recent error rate reaches this is reported unhealthy.
const UNHEALTHY_ERROR_RATE: f64 = 0.5;

pub async fn health(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let config = state.config();
    if middleware::may_see_figures(&config, state.local_addr.port(), &request).is_err() {
        let status = if state.team.health().is_down() {
            HealthStatus::Degraded
        } else {
            HealthStatus::Healthy
        };
        let basic = BasicHealth { status };
        return Json(basic).into_response();
    }
    let snapshot = state.stats.snapshot();
    Json(detailed(&state, &config, &snapshot)).into_response()
}

pub async fn stats(State(state): State<Arc<AppState>>) -> Json<StatsReport> {
    let config = state.config();
    let snapshot = state.stats.snapshot();
    let mut health = detailed(&state, &config, &snapshot);
    if state.team.active() {
        health.team.keys = state.team.keys().await.ok();
    }
    Json(StatsReport {
        health,
        timeline: state.stats.timeline(),
        recent: state.stats.recent(),
        statistics: snapshot,
    })
}

/// The detailed health: version, uptime, a config summary, performance (memory, CPU,
/// requests, latency percentiles), the health of each configured provider and team mode.
fn detailed(state: &AppState, config: &Config, snapshot: &Snapshot) -> HealthReport {
    let stats = &state.stats;
    let providers: BTreeMap<String, ProviderHealth> = config
        .providers
        .iter()
        .map(|p| {
            let breaker = state.dispatcher.breaker_status(&p.name);
            let mut health = provider_health(p, snapshot.providers.get(&p.name), breaker);
            if !p.more_keys.is_empty() {
                health.keys = Some(state.dispatcher.key_status(p));
            }
            (p.name.clone(), health)
        })
        .collect();
    let failing = |p: &ProviderHealth| {
        matches!(
            p.status,
            ProviderStatus::Unhealthy | ProviderStatus::Degraded
        )
    };
    let unhealthy = state.team.health().is_down() || providers.values().any(failing);
    let process = Process::read();
    let totals = &snapshot.totals;
    HealthReport {
        status: if unhealthy {
            HealthStatus::Degraded
        } else {
            HealthStatus::Healthy
        },
        version: env!("CARGO_PKG_VERSION").to_string(),
        uptime_seconds: stats.uptime().as_secs(),
        started_at: stats.started_at(),
        config: config_summary(config),
        performance: Performance {
            memory: Memory {
                rss_bytes: process.rss_bytes,
                peak_rss_bytes: process.peak_rss_bytes,
            },
            cpu_seconds: process.cpu_seconds,
            open_fds: process.open_fds,
            in_flight: stats.in_flight(),
            requests: RequestCounts {
                total: totals.requests,
                successes: totals.successes,
                failures: totals.failures,
                by_error: totals.errors.clone(),
            },
            window_seconds: snapshot.window_seconds,
            recent: totals.recent.clone(),
        },
        providers,
        team: team_report(state),
    }
}

/// Team mode and its store: which, whether it answers, and its failure policy (the keys
/// are added by `/stats`).
fn team_report(state: &AppState) -> TeamReport {
    let team = &state.team;
    let health = team.health();
    let store = team.store_kind();
    TeamReport {
        mode: if team.active() {
            TeamMode::On
        } else {
            TeamMode::Off
        },
        store: store.map(str::to_string),
        store_status: if health.is_down() {
            StoreStatus::Unavailable
        } else if store.is_some() {
            StoreStatus::Ok
        } else {
            StoreStatus::None
        },
        on_error: team.settings().on_error,
        store_outages: health.outages(),
        keys: None,
    }
}

fn config_summary(config: &Config) -> ConfigSummary {
    ConfigSummary {
        source: config.source.describe(),
        providers: config.provider_names(),
        default_route: config.routes.default.first().map(ToString::to_string),
        api_key_configured: config.api_key.is_some(),
        priced_models: config.prices.len(),
    }
}

/// A provider's health: `disabled`, `no_key`, `unhealthy` while its circuit is open, `idle`
/// without recent traffic, then by its recent error rate.
fn provider_health(
    provider: &ProviderConfig,
    figures: Option<&Figures>,
    breaker: BreakerReport,
) -> ProviderHealth {
    let figures = figures.cloned().unwrap_or_default();
    let recent = &figures.recent;
    let status = if !provider.enabled {
        ProviderStatus::Disabled
    } else if provider.key_required && provider.key().is_none() {
        ProviderStatus::NoKey
    } else if breaker.state == BreakerState::Open {
        ProviderStatus::Unhealthy
    } else if recent.requests == 0 {
        ProviderStatus::Idle
    } else if recent.error_rate >= UNHEALTHY_ERROR_RATE {
        ProviderStatus::Unhealthy
    } else if recent.failures > 0 {
        ProviderStatus::Degraded
    } else {
        ProviderStatus::Healthy
    };
    ProviderHealth {
        status,
        kind: provider.kind.as_str().to_string(),
        requests: figures.requests,
        failures: figures.failures,
        recent: figures.recent,
        circuit_breaker: breaker,
        keys: None,
    }
}
