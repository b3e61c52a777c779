//! The embedded store, for a team on one machine: everything in memory behind one lock
//! (so every check-and-update is atomic), kept in a redb file. Keys and spend limits are
//! written when they change; usage and spend counters are aggregated in memory and written
//! by [`Embedded::flush`] (once a second), never once per request. The rate windows live
//! only in memory: they are a minute long and one process owns them.
//!
//! redb locks the file: one ccproxy process per file.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use redb::{Database, ReadableTable, TableDefinition};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::{Admission, KeyRecord, Reserve, Settle, SpendLimit, StoreError, Usage, WINDOW_MS};
use crate::team::clock;

const KEYS: TableDefinition<&str, &str> = TableDefinition::new("keys");
const LIMITS: TableDefinition<&str, &str> = TableDefinition::new("spend_limits");
const USAGE: TableDefinition<&str, &str> = TableDefinition::new("usage");
/// Spend counters: `[value, expires_at]` (seconds since the epoch).
const SPEND: TableDefinition<&str, &str> = TableDefinition::new("spend");

pub struct Embedded {
    db: Database,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    keys: BTreeMap<String, KeyRecord>,
    limits: BTreeMap<String, SpendLimit>,
    usage: BTreeMap<String, Usage>,
    spend: HashMap<String, (u64, u64)>,
    windows: HashMap<String, VecDeque<Slot>>,
    /// Usage or spend changed since the last flush.
    dirty: bool,
}

/// One admitted request in a key's window.
struct Slot {
    at_ms: u64,
    id: String,
    tokens: u64,
}

fn failed(error: impl std::fmt::Display) -> StoreError {
    StoreError::Failed(format!("the embedded store failed: {error}"))
}

impl Embedded {
    /// Opens (or creates) the file, with its folder, readable by this user only.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder).map_err(failed)?;
        }
        let db = Database::create(path).map_err(|error| {
            StoreError::Failed(format!("cannot open {}: {error}", path.display()))
        })?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
        }
        let write = db.begin_write().map_err(failed)?;
        let mut state = State::default();
        {
            for (name, json) in read_table(&write, KEYS)? {
                state.keys.insert(name, from_json(&json)?);
            }
            for (id, json) in read_table(&write, LIMITS)? {
                state.limits.insert(id, from_json(&json)?);
            }
            for (name, json) in read_table(&write, USAGE)? {
                state.usage.insert(name, from_json(&json)?);
            }
            for (counter, json) in read_table(&write, SPEND)? {
                state.spend.insert(counter, from_json(&json)?);
            }
        }
        write.commit().map_err(failed)?;
        Ok(Self {
            db,
            state: Mutex::new(state),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn create_key(&self, record: &KeyRecord) -> Result<bool, StoreError> {
        let mut state = self.lock();
        if state.keys.contains_key(&record.name) {
            return Ok(false);
        }
        self.write(KEYS, &record.name, Some(record))?;
        state.keys.insert(record.name.clone(), record.clone());
        Ok(true)
    }

    pub fn key_by_hash(&self, hash: &str) -> Option<KeyRecord> {
        let state = self.lock();
        state.keys.values().find(|k| k.hash == hash).cloned()
    }

    pub fn keys(&self) -> Vec<KeyRecord> {
        self.lock().keys.values().cloned().collect()
    }

    pub fn revoke_key(&self, name: &str) -> Result<bool, StoreError> {
        let mut state = self.lock();
        if !state.keys.contains_key(name) {
            return Ok(false);
        }
        self.write::<KeyRecord>(KEYS, name, None)?;
        state.keys.remove(name);
        state.windows.remove(name);
        Ok(true)
    }

    pub fn reserve(&self, request: &Reserve<'_>) -> Admission {
        let now = clock::now_ms();
        let mut state = self.lock();
        for (cap, limit) in request.caps.iter().enumerate() {
            let spent = state.spent(&limit.counter, now / 1000);
            if spent >= limit.micros {
                return Admission::Spend { cap, spent };
            }
        }
        let window = state.windows.entry(request.key.to_string()).or_default();
        while window.front().is_some_and(|s| s.at_ms + WINDOW_MS <= now) {
            window.pop_front();
        }
        let leaves = |slot: &Slot| slot.at_ms + WINDOW_MS - now;
        if let Some(rpm) = request.rpm {
            if window.len() as u64 >= rpm {
                let retry_ms = window.front().map_or(WINDOW_MS, leaves);
                return Admission::Requests {
                    limit: rpm,
                    retry_ms,
                };
            }
        }
        if let Some(tpm) = request.tpm {
            let used: u64 = window.iter().map(|s| s.tokens).sum();
            if used + request.tokens > tpm {
                let need = used + request.tokens - tpm;
                let mut freed = 0;
                let retry_ms = window
                    .iter()
                    .find(|s| {
                        freed += s.tokens;
                        freed >= need
                    })
                    .map_or(WINDOW_MS, leaves);
                return Admission::Tokens {
                    limit: tpm,
                    remaining: tpm.saturating_sub(used),
                    retry_ms,
                };
            }
        }
        window.push_back(Slot {
            at_ms: now,
            id: request.id.to_string(),
            tokens: request.tokens,
        });
        Admission::Admitted
    }

    pub fn settle(&self, settle: &Settle<'_>) {
        let now = clock::now_ms() / 1000;
        let mut state = self.lock();
        if let Some(window) = state.windows.get_mut(settle.key) {
            if let Some(slot) = window.iter_mut().find(|s| s.id == settle.id) {
                slot.tokens = settle.used;
            }
        }
        state
            .usage
            .entry(settle.key.to_string())
            .or_default()
            .add(&settle.usage);
        for (counter, ttl) in settle.counters {
            let value = state.spent(counter, now) + settle.usage.cost_micros;
            state.spend.insert(counter.clone(), (value, now + ttl));
        }
        state.dirty = true;
    }

    pub fn usage(&self, names: &[String]) -> Vec<Usage> {
        let state = self.lock();
        let usage = |name: &String| state.usage.get(name).copied().unwrap_or_default();
        names.iter().map(usage).collect()
    }

    pub fn spent(&self, counters: &[String]) -> Vec<u64> {
        let now = clock::now_ms() / 1000;
        let state = self.lock();
        counters.iter().map(|c| state.spent(c, now)).collect()
    }

    pub fn spend_limits(&self) -> Vec<SpendLimit> {
        self.lock().limits.values().cloned().collect()
    }

    pub fn put_spend_limit(&self, limit: &SpendLimit) -> Result<(), StoreError> {
        let mut state = self.lock();
        self.write(LIMITS, &limit.id, Some(limit))?;
        state.limits.insert(limit.id.clone(), limit.clone());
        Ok(())
    }

    pub fn delete_spend_limit(&self, id: &str) -> Result<bool, StoreError> {
        let mut state = self.lock();
        if !state.limits.contains_key(id) {
            return Ok(false);
        }
        self.write::<SpendLimit>(LIMITS, id, None)?;
        state.limits.remove(id);
        Ok(true)
    }

    /// Writes the usage and spend counters, when they changed; drops expired counters.
    pub fn flush(&self) {
        let now = clock::now_ms() / 1000;
        let mut state = self.lock();
        if !state.dirty {
            return;
        }
        state.spend.retain(|_, (_, expires)| *expires > now);
        match self.write_counters(&state) {
            Ok(()) => state.dirty = false,
            Err(error) => tracing::warn!("cannot save team usage: {error}"),
        }
    }

    fn write_counters(&self, state: &State) -> Result<(), StoreError> {
        let write = self.db.begin_write().map_err(failed)?;
        {
            let mut usage = write.open_table(USAGE).map_err(failed)?;
            for (name, value) in &state.usage {
                usage
                    .insert(name.as_str(), to_json(value)?.as_str())
                    .map_err(failed)?;
            }
            write.delete_table(SPEND).map_err(failed)?;
            let mut spend = write.open_table(SPEND).map_err(failed)?;
            for (counter, value) in &state.spend {
                spend
                    .insert(counter.as_str(), to_json(value)?.as_str())
                    .map_err(failed)?;
            }
        }
        write.commit().map_err(failed)
    }

    /// Puts (or with `None`, removes) one entry, committed before returning.
    fn write<T: Serialize>(
        &self,
        table: TableDefinition<&str, &str>,
        key: &str,
        value: Option<&T>,
    ) -> Result<(), StoreError> {
        let write = self.db.begin_write().map_err(failed)?;
        {
            let mut table = write.open_table(table).map_err(failed)?;
            match value {
                Some(value) => {
                    table
                        .insert(key, to_json(value)?.as_str())
                        .map_err(failed)?;
                }
                None => {
                    table.remove(key).map_err(failed)?;
                }
            }
        }
        write.commit().map_err(failed)
    }
}

impl Drop for Embedded {
    fn drop(&mut self) {
        self.flush();
    }
}

impl State {
    fn spent(&self, counter: &str, now: u64) -> u64 {
        match self.spend.get(counter) {
            Some((value, expires)) if *expires > now => *value,
            _ => 0,
        }
    }
}

/// Every entry of a table (created if missing).
fn read_table(
    write: &redb::WriteTransaction,
    table: TableDefinition<&str, &str>,
) -> Result<Vec<(String, String)>, StoreError> {
    let table = write.open_table(table).map_err(failed)?;
    let mut entries = Vec::new();
    for item in table.iter().map_err(failed)? {
        let (key, value) = item.map_err(failed)?;
        entries.push((key.value().to_string(), value.value().to_string()));
    }
    Ok(entries)
}

fn to_json(value: &impl Serialize) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(failed)
}

fn from_json<T: DeserializeOwned>(json: &str) -> Result<T, StoreError> {
    serde_json::from_str(json).map_err(failed)
}
