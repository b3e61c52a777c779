//! What the server says about itself: the documents of `GET /status`, `GET /health` and
//! `GET /stats`, and their parts (a provider's health, a circuit breaker). The server
//! serializes these types, the CLI (`ccproxy status`, `ccproxy statusline`, `ccproxy stop`)
//! deserializes them, and the dashboard (`src/server/ui/`) reads the same JSON, so a field
//! is renamed in one place. The shapes are pinned by `tests/it/wire_shapes.rs`.

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::config::show::Shown;
use crate::config::OnError;
use crate::stats::{Process, Recent, Snapshot, Timeline, Windowed};
use crate::team::KeyUsage;
use serde::{Deserialize, Serialize};

/// The state of a circuit breaker, from best to worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakerState {
    /// Requests go through.
    Closed,
    /// The cool-down ended: one trial request decides.
    HalfOpen,
    /// The target is skipped until the cool-down ends.
    Open,
}

/// A provider's circuit breakers: one per model it was asked for, and the worst of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BreakerReport {
    /// The worst state of its models' circuits (`closed` when none was used yet).
    pub state: BreakerState,
    pub models: BTreeMap<String, CircuitReport>,
}

/// One target's (provider and model) circuit breaker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CircuitReport {
    pub state: BreakerState,
    pub consecutive_failures: u32,
    /// While open: the cool-down that remains.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
}

/// `GET /status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusReport {
    /// Always `ccproxy`.
    pub service: String,
    pub version: String,
    /// Always `running`.
    pub status: String,
    pub uptime_seconds: u64,
    pub pid: u32,
    pub host: String,
    pub port: u16,
    pub api_key_configured: bool,
    pub providers: ProvidersSummary,
    /// The first target of the default route (`provider,model`).
    pub default_route: Option<String>,
    pub in_flight: u64,
    pub process: Process,
    pub statistics: Snapshot,
    /// The effective configuration, keys masked, in the config file's shape (what
    /// `ccproxy config show` prints).
    pub config: Shown,
    pub config_reload: ReloadReport,
}

/// The providers part of `/status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProvidersSummary {
    pub count: usize,
    pub names: Vec<String>,
    pub circuit_breakers: BTreeMap<String, BreakerReport>,
    /// The key pools of the providers that have several keys.
    pub keys: BTreeMap<String, Vec<KeyReport>>,
}

/// One key of a provider's pool, masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyReport {
    /// Masked (`gsk_…3f9a`).
    pub key: String,
    pub state: KeyCondition,
    /// While cooling: the cool-down that remains.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cooling_ms: Option<u64>,
    pub requests: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub last_error: Option<String>,
}

/// `GET /providers/{name}/keys` (and the answer to a pool edit): a provider's keys, masked,
/// each with its state and figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolReport {
    pub provider: String,
    pub keys: Vec<KeyReport>,
}

/// The state of a pool key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyCondition {
    /// It serves requests.
    Active,
    /// Rate-limited or out of quota: set aside until its cool-down ends.
    Cooling,
    /// Refused (401/403): set aside until the provider's configuration changes.
    Invalid,
}

impl KeyCondition {
    pub const ALL: [Self; 3] = [Self::Active, Self::Cooling, Self::Invalid];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Cooling => "cooling",
            Self::Invalid => "invalid",
        }
    }
}

/// The outcome of the latest re-read of the config file.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ReloadReport {
    /// Re-reads that found a change (applied, refused, or a refused file repaired).
    pub changes: u64,
    pub last: Option<ReloadOutcome>,
    /// Why the last change was refused.
    pub problems: Vec<String>,
    /// When the running configuration was put in force (start-up, a reload, an admin
    /// edit), in Unix seconds.
    pub applied_at: u64,
}

impl ReloadReport {
    /// The running configuration changed now.
    pub fn applied_now(&mut self) {
        self.applied_at = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.as_secs());
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReloadOutcome {
    Applied,
    Refused,
    /// A refused file was repaired back to the running configuration.
    Unchanged,
}

/// `GET /health` for a client that may not see figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BasicHealth {
    pub status: HealthStatus,
}

/// The proxy's overall health.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HealthStatus {
    Healthy,
    /// A provider is degraded or unhealthy (requests failed in the recent window, or its
    /// circuit is open), or the team store is down.
    Degraded,
}

/// The detailed `GET /health`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HealthReport {
    pub status: HealthStatus,
    pub version: String,
    pub uptime_seconds: u64,
    /// Seconds since the Unix epoch.
    pub started_at: f64,
    pub config: ConfigSummary,
    pub performance: Performance,
    pub providers: BTreeMap<String, ProviderHealth>,
    pub team: TeamReport,
}

/// Team mode and its store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamReport {
    pub mode: TeamMode,
    /// The store in use (`embedded`, `redis`), `None` while none is open.
    pub store: Option<String>,
    pub store_status: StoreStatus,
    /// What requests get while the store is down.
    pub on_error: OnError,
    /// Times the store became unavailable since start.
    pub store_outages: u64,
    /// In `/stats` in team mode: every developer key and its usage (never the key itself).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<Vec<KeyUsage>>,
}

/// Whether developer keys are required (configured, or a key exists).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TeamMode {
    On,
    Off,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoreStatus {
    Ok,
    /// Its last call failed; the background tick pings it until it answers.
    Unavailable,
    /// No store is open.
    None,
}

/// `GET /stats`: the detailed health, the figures, the latency timeline and the recent
/// requests (what the dashboard reads).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatsReport {
    #[serde(flatten)]
    pub health: HealthReport,
    pub statistics: Snapshot,
    pub timeline: Timeline,
    pub recent: Vec<Recent>,
}

/// The configuration in a few words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigSummary {
    pub source: String,
    pub providers: Vec<String>,
    pub default_route: Option<String>,
    pub api_key_configured: bool,
    pub priced_models: usize,
}

/// Memory, CPU, requests and latency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Performance {
    pub memory: Memory,
    pub cpu_seconds: Option<f64>,
    pub open_fds: Option<u64>,
    pub in_flight: u64,
    pub requests: RequestCounts,
    pub window_seconds: u64,
    pub recent: Windowed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Memory {
    pub rss_bytes: Option<u64>,
    pub peak_rss_bytes: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestCounts {
    pub total: u64,
    pub successes: u64,
    pub failures: u64,
    /// Failures by error code.
    pub by_error: BTreeMap<Cow<'static, str>, u64>,
}

/// One provider's health.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProviderHealth {
    pub status: ProviderStatus,
    /// The provider type (`openai`, `anthropic`, `gemini`).
    pub kind: String,
    pub requests: u64,
    pub failures: u64,
    pub recent: Windowed,
    pub circuit_breaker: BreakerReport,
    /// Its key pool, when it has several keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<Vec<KeyReport>>,
}

/// A provider's health, worst first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderStatus {
    /// Switched off in the configuration.
    Disabled,
    /// Its key is missing.
    NoKey,
    /// Its circuit is open, or most recent requests failed.
    Unhealthy,
    /// Some recent requests failed.
    Degraded,
    /// No recent traffic.
    Idle,
    Healthy,
}

/// `GET /status/session/{id}`: what a Claude Code session's last request was routed to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionReport {
    pub session_id: String,
    /// `None` when the session has sent nothing (or was forgotten).
    pub last_request: Option<SessionRequest>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRequest {
    /// The routing rule that chose the target (`default`, `think`, `explicit`, ...).
    pub route: String,
    pub provider: String,
    pub model: String,
    pub at_unix_seconds: u64,
    /// Requests the session has sent.
    pub requests: u64,
}

#[cfg(test)]
mod tests;
