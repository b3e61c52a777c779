//! Usage per key as the admin API, `/stats`, `/metrics` and `ccproxy keys list` show it:
//! the aggregated counters of the store, and the key's own spend this day, week and month.

use serde::{Deserialize, Serialize};

use super::{clock, spend};
use crate::store::{KeyRecord, Store, StoreError};

/// One key and what it used. Never the key itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyUsage {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    pub key_hint: String,
    pub rpm: Option<u64>,
    pub tpm: Option<u64>,
    pub created_at: String,
    pub requests: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// Input tokens read from the providers' prompt caches (not in `input_tokens`).
    #[serde(default)]
    pub cache_read_input_tokens: u64,
    /// All-time cost in dollars (priced models only).
    pub cost_usd: f64,
    /// This key's spend in cents this day, week and month (UTC).
    pub spend_cents: Spend,
}

/// `GET /keys`: every developer key with its usage, and whether team mode is on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyList {
    pub keys: Vec<KeyUsage>,
    pub team_mode: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Spend {
    pub daily: u64,
    pub weekly: u64,
    pub monthly: u64,
}

/// Every key of the store with its usage: two store calls whatever the number of keys.
pub(super) async fn of_keys(store: &Store) -> Result<Vec<KeyUsage>, StoreError> {
    let keys = store.keys().await?;
    let names: Vec<String> = keys.iter().map(|k| k.name.clone()).collect();
    let usage = store.usage(&names).await?;
    let now = clock::now_secs();
    let counters: Vec<String> = names
        .iter()
        .flat_map(|name| spend::own_counters(name, now))
        .collect();
    let spent = store.spent(&counters).await?;
    Ok(keys
        .into_iter()
        .zip(usage)
        .zip(spent.chunks(3))
        .map(|((key, usage), spent)| {
            let cents = |i: usize| spent.get(i).copied().unwrap_or(0) / spend::MICROS_PER_CENT;
            shown(
                key,
                usage,
                Spend {
                    daily: cents(0),
                    weekly: cents(1),
                    monthly: cents(2),
                },
            )
        })
        .collect())
}

fn shown(key: KeyRecord, usage: crate::store::Usage, spend_cents: Spend) -> KeyUsage {
    KeyUsage {
        name: key.name,
        group: key.group,
        key_hint: key.hint,
        rpm: key.rpm,
        tpm: key.tpm,
        created_at: clock::rfc3339(key.created_at),
        requests: usage.requests,
        input_tokens: usage.input_tokens,
        output_tokens: usage.output_tokens,
        cache_read_input_tokens: usage.cache_read_tokens,
        cost_usd: usage.cost_micros as f64 / 1e6,
        spend_cents,
    }
}
