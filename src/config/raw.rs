//! The config file's format as types: every section and field the file may hold, values
//! as written (`${VAR}` references kept, nothing expanded or checked beyond its JSON
//! type), unknown keys refused. The file reader ([`super::file`]) validates a [`RawConfig`]
//! into a [`super::Config`]; the admin API edits one and writes it back; `config show`
//! prints the resilience sections in these shapes. The key lists of the did-you-mean
//! hints come from these types (see [`parse`]).
//!
//! An `Option` field is absent when the file leaves it out (or writes `null`). A list's
//! entries are `Option`s too: the reader refuses an entry of the wrong type and keeps its
//! place (`None`), so the paths of the entries after it stay right.

mod parse;

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::string_or::{Long, StringOr};
use super::{ModelEntry, RouteTable};

pub(super) use parse::{closest, parse, Sink};

/// The whole file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u64>,
    /// The proxy key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_level: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_format: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_request_bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_connections: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub providers: Option<Vec<Option<RawProvider>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub routes: Option<RawRoutes>,
    /// Each price by its `"provider,model"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prices: Option<BTreeMap<String, Option<RawPrice>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry: Option<RawRetry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeouts: Option<RawTimeouts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub circuit_breaker: Option<RawBreaker>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team: Option<RawTeam>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store: Option<RawStore>,
}

/// One entry of `providers`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProvider {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_keys: Option<Vec<Option<String>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub models: Option<Vec<Option<ModelEntry>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
}

/// `routes`: the targets written per route name, and the long-context threshold.
pub type RawRoutes = RouteTable<Option<RawTargets>, Option<u64>>;

/// A route's targets as written: `"provider,model"`, or a list of them (an entry that is
/// not a string is `None`).
#[derive(Debug, Clone, PartialEq)]
pub enum RawTargets {
    One(String),
    Many(Vec<Option<String>>),
}

impl Serialize for RawTargets {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::One(one) => serializer.serialize_str(one),
            Self::Many(many) => many.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for RawTargets {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        super::string_or::deserialize(deserializer)
    }
}

impl StringOr for RawTargets {
    type Long = Vec<Option<String>>;
    const SHAPE: Long = Long::List;
    const EXPECTING: &'static str = "\"provider,model\" or a non-empty list of them";

    fn from_text(text: &str) -> Self {
        Self::One(text.to_string())
    }

    fn from_long(items: Vec<Option<String>>) -> Self {
        Self::Many(items)
    }
}

/// One entry of `prices`: dollars per million tokens.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPrice {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_per_mtok: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_per_mtok: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cached_input_per_mtok: Option<f64>,
}

/// `retry` (see [`super::RetrySettings`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRetry {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_attempts: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_retry_wait_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_delay_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_cooldown_ms: Option<u64>,
}

/// `timeouts` (see [`super::Timeouts`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTimeouts {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connect_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_idle_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_body_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_header_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shutdown_grace_ms: Option<u64>,
}

/// `circuit_breaker` (see [`super::BreakerSettings`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBreaker {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_threshold: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cooldown_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_rate: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_requests: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window_ms: Option<u64>,
}

/// `team` (see [`super::TeamSettings`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTeam {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}

/// `store` (see [`super::StoreSettings`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStore {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redis_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_error: Option<String>,
}
