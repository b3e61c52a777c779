//! The one interface behind every piece of team state: developer keys, spend limits, the
//! per-key rate windows, usage counters and spend counters. Two implementations: the
//! embedded store (one process, a file under `~/.ccproxy`) and Redis (any number of
//! replicas; every check-and-update is one Lua script, so replicas never race).
//!
//! Rate limits are a sliding one-minute window per key: each admitted request is an entry
//! `(time, reservation id, tokens)`; it counts against rpm and tpm until it is a minute old.
//! A request reserves its estimate when admitted and settles with its real usage when it
//! ends, which rewrites its entry. An entry whose replica died is never settled and simply
//! ages out with the window: no reservation outlives it by more than a minute.
//!
//! Every call has a deadline ([`DEADLINE`]); a call that misses it is a [`StoreError`].

mod embedded;
mod redis;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::config::StoreSettings;
pub use embedded::Embedded;
pub use redis::RedisStore;

/// How long one store call may take.
pub const DEADLINE: Duration = Duration::from_secs(1);
/// The rate-limit window.
pub const WINDOW_MS: u64 = 60_000;

/// A developer key as stored: never the key itself, only its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRecord {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rpm: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tpm: Option<u64>,
    /// SHA-256 of the key, in hex.
    pub hash: String,
    /// The key's first characters, to recognise it by (`ccp_1a2b…`).
    pub hint: String,
    /// Seconds since the Unix epoch.
    pub created_at: u64,
}

/// Who a spend limit applies to, in the wire shape of Anthropic's Admin API.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Scope {
    Organization,
    User { user_id: String },
    RbacGroup { rbac_group_id: String },
}

/// The window a spend limit resets over (UTC days, ISO weeks from Monday, calendar months).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    Daily,
    Weekly,
    Monthly,
}

impl Period {
    pub const ALL: [Self; 3] = [Self::Daily, Self::Weekly, Self::Monthly];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Daily => "daily",
            Self::Weekly => "weekly",
            Self::Monthly => "monthly",
        }
    }
}

/// A configured spend limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpendLimit {
    pub id: String,
    pub scope: Scope,
    pub period: Period,
    pub amount_cents: u64,
    pub created_at: u64,
}

/// A spend counter that must stay below its cap for a request to be admitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cap {
    pub counter: String,
    /// Millionths of a dollar.
    pub micros: u64,
}

/// What admitting one request asks of the store.
#[derive(Debug, Clone)]
pub struct Reserve<'a> {
    pub key: &'a str,
    pub rpm: Option<u64>,
    pub tpm: Option<u64>,
    /// The estimate: input tokens plus `max_tokens`.
    pub tokens: u64,
    /// The reservation's id (unique).
    pub id: &'a str,
    pub caps: &'a [Cap],
}

/// The store's answer to a [`Reserve`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    Admitted,
    /// Over requests per minute: `retry_ms` until the oldest entry leaves the window.
    Requests {
        limit: u64,
        retry_ms: u64,
    },
    /// Over tokens per minute: `remaining` tokens left in the window.
    Tokens {
        limit: u64,
        remaining: u64,
        retry_ms: u64,
    },
    /// `caps[cap]` is used up: `spent` millionths of a dollar.
    Spend {
        cap: usize,
        spent: u64,
    },
}

/// What a finished request used, for the window, the usage and the spend counters.
#[derive(Debug, Clone)]
pub struct Settle<'a> {
    pub key: &'a str,
    pub id: &'a str,
    pub reserved: u64,
    pub used: u64,
    pub usage: Usage,
    /// Spend counters to add the cost to, with how long each must live (seconds).
    pub counters: &'a [(String, u64)],
}

/// Aggregated usage of one key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub requests: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// Input tokens read from the provider's prompt cache (not in `input_tokens`).
    #[serde(default)]
    pub cache_read_tokens: u64,
    /// Millionths of a dollar.
    pub cost_micros: u64,
}

impl Usage {
    fn add(&mut self, other: &Usage) {
        self.requests += other.requests;
        self.input_tokens += other.input_tokens;
        self.output_tokens += other.output_tokens;
        self.cache_read_tokens += other.cache_read_tokens;
        self.cost_micros += other.cost_micros;
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("no answer within {}ms", DEADLINE.as_millis())]
    Timeout,
    #[error("{0}")]
    Failed(String),
}

/// The store in use.
#[derive(Clone)]
pub enum Store {
    Embedded(Arc<Embedded>),
    Redis(RedisStore),
}

impl Store {
    /// Redis when a URL is configured, else the embedded file.
    pub async fn open(settings: &StoreSettings) -> Result<Self, StoreError> {
        match (&settings.redis_url, &settings.path) {
            (Some(url), _) => Ok(Self::Redis(RedisStore::connect(url.expose()).await?)),
            (None, Some(path)) => Ok(Self::Embedded(Arc::new(Embedded::open(path)?))),
            (None, None) => Err(StoreError::Failed(
                "no store: set store.path or store.redis_url (or HOME)".into(),
            )),
        }
    }

    /// `redis` or `embedded`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Embedded(_) => "embedded",
            Self::Redis(_) => "redis",
        }
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        match self {
            Self::Embedded(_) => Ok(()),
            Self::Redis(redis) => deadline(redis.ping()).await,
        }
    }

    /// Adds a key; `false` when the name is taken.
    pub async fn create_key(&self, record: &KeyRecord) -> Result<bool, StoreError> {
        match self {
            Self::Embedded(store) => store.create_key(record),
            Self::Redis(redis) => deadline(redis.create_key(record)).await,
        }
    }

    pub async fn key_by_hash(&self, hash: &str) -> Result<Option<KeyRecord>, StoreError> {
        match self {
            Self::Embedded(store) => Ok(store.key_by_hash(hash)),
            Self::Redis(redis) => deadline(redis.key_by_hash(hash)).await,
        }
    }

    /// Every key, by name.
    pub async fn keys(&self) -> Result<Vec<KeyRecord>, StoreError> {
        match self {
            Self::Embedded(store) => Ok(store.keys()),
            Self::Redis(redis) => deadline(redis.keys()).await,
        }
    }

    /// Removes a key; `false` when there is none of that name.
    pub async fn revoke_key(&self, name: &str) -> Result<bool, StoreError> {
        match self {
            Self::Embedded(store) => store.revoke_key(name),
            Self::Redis(redis) => deadline(redis.revoke_key(name)).await,
        }
    }

    pub async fn reserve(&self, request: &Reserve<'_>) -> Result<Admission, StoreError> {
        match self {
            Self::Embedded(store) => Ok(store.reserve(request)),
            Self::Redis(redis) => deadline(redis.reserve(request)).await,
        }
    }

    pub async fn settle(&self, settle: &Settle<'_>) -> Result<(), StoreError> {
        match self {
            Self::Embedded(store) => {
                store.settle(settle);
                Ok(())
            }
            Self::Redis(redis) => deadline(redis.settle(settle)).await,
        }
    }

    /// The usage of each named key.
    pub async fn usage(&self, names: &[String]) -> Result<Vec<Usage>, StoreError> {
        match self {
            Self::Embedded(store) => Ok(store.usage(names)),
            Self::Redis(redis) => deadline(redis.usage(names)).await,
        }
    }

    /// The value of each spend counter (millionths of a dollar; 0 when absent).
    pub async fn spent(&self, counters: &[String]) -> Result<Vec<u64>, StoreError> {
        match self {
            Self::Embedded(store) => Ok(store.spent(counters)),
            Self::Redis(redis) => deadline(redis.spent(counters)).await,
        }
    }

    pub async fn spend_limits(&self) -> Result<Vec<SpendLimit>, StoreError> {
        match self {
            Self::Embedded(store) => Ok(store.spend_limits()),
            Self::Redis(redis) => deadline(redis.spend_limits()).await,
        }
    }

    /// Adds or replaces (same id) a spend limit.
    pub async fn put_spend_limit(&self, limit: &SpendLimit) -> Result<(), StoreError> {
        match self {
            Self::Embedded(store) => store.put_spend_limit(limit),
            Self::Redis(redis) => deadline(redis.put_spend_limit(limit)).await,
        }
    }

    /// `false` when there is no limit with that id.
    pub async fn delete_spend_limit(&self, id: &str) -> Result<bool, StoreError> {
        match self {
            Self::Embedded(store) => store.delete_spend_limit(id),
            Self::Redis(redis) => deadline(redis.delete_spend_limit(id)).await,
        }
    }

    /// Writes what is only in memory (the embedded store's counters) to disk.
    pub fn flush(&self) {
        if let Self::Embedded(store) = self {
            store.flush();
        }
    }
}

/// Runs a store call with the [`DEADLINE`].
async fn deadline<T>(call: impl Future<Output = Result<T, StoreError>>) -> Result<T, StoreError> {
    tokio::time::timeout(DEADLINE, call)
        .await
        .unwrap_or(Err(StoreError::Timeout))
}

/// The window entry of a reservation: `id:tokens`.
fn entry(id: &str, tokens: u64) -> String {
    format!("{id}:{tokens}")
}

#[cfg(test)]
mod tests;
