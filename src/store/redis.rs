//! The Redis store (7.x or Valkey), shared by every replica. Each check-and-update is a Lua
//! script (src/store/lua/), loaded when the store connects, so replicas never race; time
//! comes from the Redis server's clock, so replicas' clocks need not agree. The connection
//! manager reconnects by itself after an outage. TLS (`rediss://`) and the password come
//! from the URL.
//!
//! Layout, under the `ccproxy:` prefix: `keys` (hash: name → record), `key:{sha256}`
//! (record), `window:{name}` (sorted set) with `window_total:{name}` (the sum of its
//! tokens, so that an admission costs the same however full the window is), `usage:{name}`
//! (hash), `spend:{scope}:{period}` (counter, expires after its period), `spend_limits`
//! (hash: id → limit). One Redis (or primary), not a cluster: the revoke script touches a
//! key it derives.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{AsyncCommands, Script};

use super::{
    entry, Admission, KeyRecord, Reserve, Settle, SpendLimit, StoreError, Usage, DEADLINE,
    WINDOW_MS,
};

const PREFIX: &str = "ccproxy:";

#[derive(Clone)]
pub struct RedisStore {
    connection: ConnectionManager,
    scripts: std::sync::Arc<Scripts>,
}

struct Scripts {
    reserve: Script,
    settle: Script,
    create_key: Script,
    revoke_key: Script,
}

fn failed(error: redis::RedisError) -> StoreError {
    StoreError::Failed(format!("Redis: {error}"))
}

fn key(suffix: &str) -> String {
    format!("{PREFIX}{suffix}")
}

impl RedisStore {
    /// Connects (within the deadline) and loads the scripts.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let client = redis::Client::open(url).map_err(|error| {
            StoreError::Failed(format!(
                "invalid Redis URL {}: {:?}",
                crate::secret::redact_url(url),
                error.kind()
            ))
        })?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(DEADLINE))
            .set_response_timeout(Some(DEADLINE))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(500));
        let connection = tokio::time::timeout(
            DEADLINE * 3,
            ConnectionManager::new_with_config(client, config),
        )
        .await
        .map_err(|_| StoreError::Timeout)?
        .map_err(failed)?;
        let store = Self {
            connection,
            scripts: std::sync::Arc::new(Scripts {
                reserve: Script::new(include_str!("lua/reserve.lua")),
                settle: Script::new(include_str!("lua/settle.lua")),
                create_key: Script::new(include_str!("lua/create_key.lua")),
                revoke_key: Script::new(include_str!("lua/revoke_key.lua")),
            }),
        };
        store.load_scripts().await?;
        Ok(store)
    }

    async fn load_scripts(&self) -> Result<(), StoreError> {
        let mut connection = self.connection.clone();
        let scripts = &self.scripts;
        for script in [
            &scripts.reserve,
            &scripts.settle,
            &scripts.create_key,
            &scripts.revoke_key,
        ] {
            script.load_async(&mut connection).await.map_err(failed)?;
        }
        Ok(())
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        let mut connection = self.connection.clone();
        redis::cmd("PING")
            .query_async::<String>(&mut connection)
            .await
            .map(drop)
            .map_err(failed)
    }

    pub async fn create_key(&self, record: &KeyRecord) -> Result<bool, StoreError> {
        let json = json(record)?;
        let created: i64 = self
            .scripts
            .create_key
            .key(key("keys"))
            .key(key(&format!("key:{}", record.hash)))
            .arg(&record.name)
            .arg(json)
            .invoke_async(&mut self.connection.clone())
            .await
            .map_err(failed)?;
        Ok(created == 1)
    }

    pub async fn key_by_hash(&self, hash: &str) -> Result<Option<KeyRecord>, StoreError> {
        let mut connection = self.connection.clone();
        let found: Option<String> = connection
            .get(key(&format!("key:{hash}")))
            .await
            .map_err(failed)?;
        found.map(|json| parse(&json)).transpose()
    }

    pub async fn keys(&self) -> Result<Vec<KeyRecord>, StoreError> {
        let mut connection = self.connection.clone();
        let all: Vec<(String, String)> = connection.hgetall(key("keys")).await.map_err(failed)?;
        let mut keys = all
            .iter()
            .map(|(_, json)| parse::<KeyRecord>(json))
            .collect::<Result<Vec<_>, _>>()?;
        keys.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(keys)
    }

    pub async fn revoke_key(&self, name: &str) -> Result<bool, StoreError> {
        let revoked: i64 = self
            .scripts
            .revoke_key
            .key(key("keys"))
            .arg(name)
            .arg(key("key:"))
            .invoke_async(&mut self.connection.clone())
            .await
            .map_err(failed)?;
        Ok(revoked == 1)
    }

    pub async fn reserve(&self, request: &Reserve<'_>) -> Result<Admission, StoreError> {
        let mut invocation = self
            .scripts
            .reserve
            .key(key(&format!("window:{}", request.key)));
        invocation.key(key(&format!("window_total:{}", request.key)));
        for cap in request.caps {
            invocation.key(key(&cap.counter));
        }
        invocation
            .arg(request.rpm.unwrap_or(0))
            .arg(request.tpm.unwrap_or(0))
            .arg(request.tokens)
            .arg(request.id)
            .arg(WINDOW_MS);
        for cap in request.caps {
            invocation.arg(cap.micros);
        }
        let answer: Vec<redis::Value> = invocation
            .invoke_async(&mut self.connection.clone())
            .await
            .map_err(failed)?;
        admission(&answer)
    }

    pub async fn settle(&self, settle: &Settle<'_>) -> Result<(), StoreError> {
        let mut invocation = self
            .scripts
            .settle
            .key(key(&format!("window:{}", settle.key)));
        invocation.key(key(&format!("window_total:{}", settle.key)));
        invocation.key(key(&format!("usage:{}", settle.key)));
        for (counter, _) in settle.counters {
            invocation.key(key(counter));
        }
        invocation
            .arg(entry(settle.id, settle.reserved))
            .arg(entry(settle.id, settle.used))
            .arg(settle.usage.input_tokens)
            .arg(settle.usage.output_tokens)
            .arg(settle.usage.cost_micros)
            .arg(settle.usage.cache_read_tokens);
        for (_, ttl) in settle.counters {
            invocation.arg(*ttl);
        }
        invocation
            .invoke_async::<i64>(&mut self.connection.clone())
            .await
            .map(drop)
            .map_err(failed)
    }

    pub async fn usage(&self, names: &[String]) -> Result<Vec<Usage>, StoreError> {
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        for name in names {
            pipe.cmd("HMGET").arg(key(&format!("usage:{name}"))).arg(&[
                "requests",
                "input_tokens",
                "output_tokens",
                "cost_micros",
                "cache_read_tokens",
            ]);
        }
        let rows: Vec<Vec<Option<u64>>> = pipe
            .query_async(&mut self.connection.clone())
            .await
            .map_err(failed)?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let at = |i: usize| row.get(i).copied().flatten().unwrap_or(0);
                Usage {
                    requests: at(0),
                    input_tokens: at(1),
                    output_tokens: at(2),
                    cost_micros: at(3),
                    cache_read_tokens: at(4),
                }
            })
            .collect())
    }

    pub async fn spent(&self, counters: &[String]) -> Result<Vec<u64>, StoreError> {
        if counters.is_empty() {
            return Ok(Vec::new());
        }
        let keys: Vec<String> = counters.iter().map(|c| key(c)).collect();
        let values: Vec<Option<u64>> = redis::cmd("MGET")
            .arg(&keys)
            .query_async(&mut self.connection.clone())
            .await
            .map_err(failed)?;
        Ok(values.into_iter().map(|v| v.unwrap_or(0)).collect())
    }

    pub async fn spend_limits(&self) -> Result<Vec<SpendLimit>, StoreError> {
        let mut connection = self.connection.clone();
        let all: Vec<(String, String)> = connection
            .hgetall(key("spend_limits"))
            .await
            .map_err(failed)?;
        let mut limits = all
            .iter()
            .map(|(_, json)| parse::<SpendLimit>(json))
            .collect::<Result<Vec<_>, _>>()?;
        limits.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(limits)
    }

    pub async fn put_spend_limit(&self, limit: &SpendLimit) -> Result<(), StoreError> {
        let mut connection = self.connection.clone();
        connection
            .hset::<_, _, _, i64>(key("spend_limits"), &limit.id, json(limit)?)
            .await
            .map(drop)
            .map_err(failed)
    }

    pub async fn delete_spend_limit(&self, id: &str) -> Result<bool, StoreError> {
        let mut connection = self.connection.clone();
        let removed: i64 = connection
            .hdel(key("spend_limits"), id)
            .await
            .map_err(failed)?;
        Ok(removed == 1)
    }
}

fn json(value: &impl serde::Serialize) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Failed(e.to_string()))
}

fn parse<T: serde::de::DeserializeOwned>(json: &str) -> Result<T, StoreError> {
    serde_json::from_str(json)
        .map_err(|e| StoreError::Failed(format!("an unreadable record in Redis: {e}")))
}

/// Reads the reserve script's answer.
fn admission(answer: &[redis::Value]) -> Result<Admission, StoreError> {
    let number = |i: usize| -> u64 {
        match answer.get(i) {
            Some(redis::Value::Int(n)) => u64::try_from(*n).unwrap_or(0),
            _ => 0,
        }
    };
    let verdict = match answer.first() {
        Some(redis::Value::BulkString(bytes)) => bytes.as_slice(),
        Some(redis::Value::SimpleString(text)) => text.as_bytes(),
        _ => b"",
    };
    Ok(match verdict {
        b"ok" => Admission::Admitted,
        b"spend" => Admission::Spend {
            cap: number(1) as usize,
            spent: number(2),
        },
        b"requests" => Admission::Requests {
            limit: number(1),
            retry_ms: number(3),
        },
        b"tokens" => Admission::Tokens {
            limit: number(1),
            remaining: number(2),
            retry_ms: number(3),
        },
        _ => {
            return Err(StoreError::Failed(format!(
                "the reserve script answered {answer:?}"
            )))
        }
    })
}
