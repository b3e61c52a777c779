//! Team mode: developer keys, their rate and spend limits, and their usage, over the
//! [`Store`]. The request path asks three things of it: who is this ([`Team::authenticate`],
//! only when team mode is on), may they go on ([`Team::admit`]: estimate → reserve), and
//! what did they use ([`Team::settle`], when the request's record is final). With team
//! mode off none of them is called: one atomic load decides.
//!
//! A store failure is never silent: it is refused with 503 `store_unavailable` (policy
//! `closed`), or, with `open`, keys seen in the last [`OPEN_GRACE`] are served without
//! limits; one warn line per outage, counted in `/metrics`, `/health` says `degraded`. A
//! background tick pings the store each second while it is down and puts it back in use as
//! soon as it answers.

pub mod clock;
mod health;
pub mod keys;
pub mod spend;
mod usage;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use tokio::sync::OnceCell;

pub use health::Health;
pub use usage::{KeyList, KeyUsage};

use crate::config::{OnError, StoreSettings, TeamSettings};
use crate::error::ProxyError;
use crate::store::{Admission, KeyRecord, Reserve, Settle, SpendLimit, Store, StoreError, Usage};

/// How long a key looked up in the store is trusted without asking again: a revoked key is
/// refused on every replica within this (plus one store round trip).
const FRESH: Duration = Duration::from_millis(500);
/// With `on_error: open`, keys seen this recently are served while the store is down.
pub const OPEN_GRACE: Duration = Duration::from_secs(600);
/// How long the spend limits are kept before being read again.
const LIMITS_FRESH: Duration = Duration::from_secs(1);
/// Keys remembered at most (beyond this, stale ones are forgotten).
const SEEN_MAX: usize = 10_000;
/// How often the background tick runs.
pub const TICK: Duration = Duration::from_secs(1);

/// The developer a request comes from (a request extension, set by the middleware).
#[derive(Debug, Clone)]
pub struct Developer {
    pub key: KeyRecord,
    /// Served without limits or accounting (`on_error: open` while the store is down).
    pub unlimited: bool,
}

/// An admitted request's reservation, settled when its record is final.
#[derive(Debug)]
pub struct Ticket {
    key: KeyRecord,
    id: String,
    reserved: u64,
}

/// The tokens a settled request used, as its provider reported them.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tokens {
    /// Input tokens, cache reads excluded.
    pub input: u64,
    pub output: u64,
    /// Input tokens read from the provider's prompt cache.
    pub cache_read: u64,
}

/// A key remembered from the store.
struct Seen {
    key: KeyRecord,
    checked: Instant,
}

pub struct Team {
    settings: TeamSettings,
    store: OnceCell<Store>,
    active: AtomicBool,
    health: Arc<Health>,
    seen: Mutex<HashMap<String, Seen>>,
    limits: Mutex<Option<(Instant, Arc<Vec<SpendLimit>>)>>,
}

impl Team {
    /// Team mode as configured; the store is opened by [`Team::start`].
    pub fn new(settings: &TeamSettings) -> Self {
        Self {
            active: AtomicBool::new(settings.enabled),
            settings: settings.clone(),
            store: OnceCell::new(),
            health: Arc::default(),
            seen: Mutex::default(),
            limits: Mutex::default(),
        }
    }

    /// Is team mode on (configured, or a key exists)? One atomic load.
    pub fn active(&self) -> bool {
        self.active.load(Ordering::Relaxed)
    }

    pub fn health(&self) -> &Health {
        &self.health
    }

    pub fn settings(&self) -> &StoreSettings {
        &self.settings.store
    }

    pub fn store_kind(&self) -> Option<&'static str> {
        self.store.get().map(Store::kind)
    }

    /// Opens the store at start-up when team mode may be on: configured, Redis named, or
    /// the embedded file already there. A store that cannot be opened now is retried by
    /// the tick.
    pub async fn start(&self) {
        if self.wanted() {
            if let Err(error) = self.open().await {
                self.health.failed(&error, self.settings.store.on_error);
            }
        }
    }

    fn wanted(&self) -> bool {
        let store = &self.settings.store;
        self.settings.enabled
            || store.redis_url.is_some()
            || store.path.as_ref().is_some_and(|path| path.exists())
    }

    async fn open(&self) -> Result<&Store, StoreError> {
        let store = self
            .store
            .get_or_try_init(|| Store::open(&self.settings.store))
            .await?;
        if !self.active() && !store.keys().await?.is_empty() {
            self.active.store(true, Ordering::Relaxed);
        }
        Ok(store)
    }

    /// The store, when it is open and up.
    fn up(&self) -> Result<&Store, ProxyError> {
        match self.store.get() {
            Some(store) if !self.health.is_down() => Ok(store),
            _ => Err(self.health.unavailable()),
        }
    }

    /// Notes a store failure (warning once per outage) and turns it into the refusal.
    fn failed(&self, error: &StoreError) -> ProxyError {
        self.health.failed(error, self.settings.store.on_error);
        self.health.unavailable()
    }

    /// Each [`TICK`]: opens a store not yet open, brings a failed one back when it answers,
    /// writes the embedded store's counters, and turns team mode on when another replica
    /// created the first key.
    pub async fn tick(&self) {
        if self.store.get().is_none() {
            if self.wanted() {
                match self.open().await {
                    Ok(_) => self.health.recovered(),
                    Err(error) => self.health.failed(&error, self.settings.store.on_error),
                }
            }
            return;
        }
        let Some(store) = self.store.get() else {
            return;
        };
        if self.health.is_down() {
            match store.ping().await {
                Ok(()) => self.health.recovered(),
                Err(_) => return,
            }
        }
        store.flush();
        if !self.active() {
            match store.keys().await {
                Ok(keys) if !keys.is_empty() => self.active.store(true, Ordering::Relaxed),
                Ok(_) => {}
                Err(error) => self.health.failed(&error, self.settings.store.on_error),
            }
        }
    }

    /// Who presents this request's key: 401 `invalid_api_key` for a missing, unknown or
    /// revoked key; 503 `store_unavailable` when the store cannot say (see the policy).
    pub async fn authenticate(&self, headers: &HeaderMap) -> Result<Developer, ProxyError> {
        let Some(presented) = keys::presented(headers) else {
            return Err(ProxyError::DeveloperKey {
                reason: "No API key provided: this ccproxy is in team mode and requires a \
                         developer key",
            });
        };
        let hash = keys::hash(presented);
        if let Some(key) = self.remembered(&hash, FRESH) {
            return Ok(Developer {
                key,
                unlimited: false,
            });
        }
        let found = match self.up() {
            Ok(store) => store.key_by_hash(&hash).await.map_err(|e| self.failed(&e)),
            Err(error) => Err(error),
        };
        match found {
            Ok(Some(key)) => {
                self.remember(hash, &key);
                Ok(Developer {
                    key,
                    unlimited: false,
                })
            }
            Ok(None) => {
                self.forget(&hash);
                Err(ProxyError::DeveloperKey {
                    reason: "Invalid API key provided: not a developer key of this ccproxy \
                             (unknown or revoked)",
                })
            }
            Err(error) => match self.settings.store.on_error {
                OnError::Open => self
                    .remembered(&hash, OPEN_GRACE)
                    .map(|key| Developer {
                        key,
                        unlimited: true,
                    })
                    .ok_or(error),
                OnError::Closed => Err(error),
            },
        }
    }

    fn remembered(&self, hash: &str, within: Duration) -> Option<KeyRecord> {
        let seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.get(hash)
            .filter(|seen| seen.checked.elapsed() < within)
            .map(|seen| seen.key.clone())
    }

    fn remember(&self, hash: String, key: &KeyRecord) {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if seen.len() >= SEEN_MAX {
            seen.retain(|_, s| s.checked.elapsed() < OPEN_GRACE);
            if seen.len() >= SEEN_MAX {
                seen.clear();
            }
        }
        let key = key.clone();
        let checked = Instant::now();
        seen.insert(hash, Seen { key, checked });
    }

    fn forget(&self, hash: &str) {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.remove(hash);
    }

    /// Admits a request estimated at `tokens` (input plus `max_tokens`), reserving them in
    /// the key's window; refuses it past a rate or spend limit.
    /// With `on_error: open`, a key that passed authentication is served without limits
    /// when the store fails now.
    pub async fn admit(
        &self,
        developer: &Developer,
        tokens: u64,
    ) -> Result<Option<Ticket>, ProxyError> {
        if developer.unlimited {
            return Ok(None);
        }
        match self.reserve(developer, tokens).await {
            Err(ProxyError::StoreUnavailable { .. })
                if self.settings.store.on_error == OnError::Open =>
            {
                Ok(None)
            }
            result => result,
        }
    }

    async fn reserve(
        &self,
        developer: &Developer,
        tokens: u64,
    ) -> Result<Option<Ticket>, ProxyError> {
        let store = self.up()?;
        let key = &developer.key;
        let limits = self.spend_limits(store).await?;
        let now = clock::now_secs();
        let applying = spend::caps(key, &limits, now);
        let caps: Vec<_> = applying.iter().map(|(_, cap)| cap.clone()).collect();
        let id = crate::translate::random_id("rsv_");
        let request = Reserve {
            key: &key.name,
            rpm: key.rpm,
            tpm: key.tpm,
            tokens,
            id: &id,
            caps: &caps,
        };
        let admission = store.reserve(&request).await.map_err(|e| self.failed(&e))?;
        let retry = |ms: u64| Duration::from_millis(ms.max(1));
        match admission {
            Admission::Admitted => Ok(Some(Ticket {
                key: key.clone(),
                id,
                reserved: tokens,
            })),
            Admission::Requests { limit, retry_ms } => Err(ProxyError::KeyRateLimited {
                key: key.name.clone(),
                unit: "requests",
                limit,
                remaining: 0,
                retry_after: retry(retry_ms),
            }),
            Admission::Tokens {
                limit,
                remaining,
                retry_ms,
            } => Err(ProxyError::KeyRateLimited {
                key: key.name.clone(),
                unit: "tokens",
                limit,
                remaining,
                retry_after: retry(retry_ms),
            }),
            Admission::Spend { cap, spent } => match applying.get(cap) {
                Some((limit, _)) => Err(spend::exceeded(limit, spent, now)),
                None => Err(ProxyError::Internal {
                    message: format!("the store named spend cap {cap} of {}", applying.len()),
                }),
            },
        }
    }

    /// Settles a reservation with what the request used (tokens, and its cost when its
    /// model is priced). Runs in the background: the answer never waits for it.
    pub fn settle(self: &Arc<Self>, ticket: Ticket, tokens: Tokens, cost: Option<f64>) {
        let Some(store) = self.store.get().cloned() else {
            return;
        };
        let team = self.clone();
        tokio::spawn(async move {
            let now = clock::now_secs();
            let counters = spend::counters(&ticket.key, now);
            let settle = Settle {
                key: &ticket.key.name,
                id: &ticket.id,
                reserved: ticket.reserved,
                used: tokens.input + tokens.output,
                usage: Usage {
                    requests: 1,
                    input_tokens: tokens.input,
                    output_tokens: tokens.output,
                    cache_read_tokens: tokens.cache_read,
                    cost_micros: cost.map_or(0, |dollars| (dollars * 1e6).round() as u64),
                },
                counters: &counters,
            };
            if let Err(error) = store.settle(&settle).await {
                team.failed(&error);
            }
        });
    }

    /// The spend limits, read again at most once per [`LIMITS_FRESH`].
    async fn spend_limits(&self, store: &Store) -> Result<Arc<Vec<SpendLimit>>, ProxyError> {
        {
            let cached = self.limits.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((at, limits)) = cached.as_ref() {
                if at.elapsed() < LIMITS_FRESH {
                    return Ok(limits.clone());
                }
            }
        }
        let limits = Arc::new(store.spend_limits().await.map_err(|e| self.failed(&e))?);
        *self.limits.lock().unwrap_or_else(|e| e.into_inner()) =
            Some((Instant::now(), limits.clone()));
        Ok(limits)
    }

    /// The store for an admin change, opened now if needed (the first key creates the
    /// embedded file).
    async fn for_admin(&self) -> Result<&Store, ProxyError> {
        if self.health.is_down() {
            return Err(self.health.unavailable());
        }
        self.open().await.map_err(|e| self.failed(&e))
    }

    /// Creates a key; returns its record and the key itself (shown once).
    pub async fn create_key(
        &self,
        name: String,
        group: Option<String>,
        rpm: Option<u64>,
        tpm: Option<u64>,
    ) -> Result<(KeyRecord, String), ProxyError> {
        let store = self.for_admin().await?;
        let (hash, secret, hint) = keys::generate()?;
        let record = KeyRecord {
            name,
            group,
            rpm,
            tpm,
            hash,
            hint,
            created_at: clock::now_secs(),
        };
        if !store
            .create_key(&record)
            .await
            .map_err(|e| self.failed(&e))?
        {
            return Err(ProxyError::KeyExists { name: record.name });
        }
        self.active.store(true, Ordering::Relaxed);
        Ok((record, secret))
    }

    /// Revokes (removes) a key: refused everywhere within [`FRESH`].
    pub async fn revoke_key(&self, name: &str) -> Result<(), ProxyError> {
        let store = self.for_admin().await?;
        if store.revoke_key(name).await.map_err(|e| self.failed(&e))? {
            let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
            seen.retain(|_, s| s.key.name != name);
            Ok(())
        } else {
            Err(ProxyError::KeyNotFound { name: name.into() })
        }
    }

    /// Every key with its usage (empty before any store exists).
    pub async fn keys(&self) -> Result<Vec<KeyUsage>, ProxyError> {
        if self.store.get().is_none() && !self.wanted() {
            return Ok(Vec::new());
        }
        let store = self.for_admin().await?;
        usage::of_keys(store).await.map_err(|e| self.failed(&e))
    }

    pub async fn spend_limits_list(&self) -> Result<Vec<SpendLimit>, ProxyError> {
        if self.store.get().is_none() && !self.wanted() {
            return Ok(Vec::new());
        }
        let store = self.for_admin().await?;
        store.spend_limits().await.map_err(|e| self.failed(&e))
    }

    /// Sets the limit of a scope over a period (replacing the one there was).
    pub async fn set_spend_limit(&self, limit: SpendLimit) -> Result<SpendLimit, ProxyError> {
        let store = self.for_admin().await?;
        store
            .put_spend_limit(&limit)
            .await
            .map_err(|e| self.failed(&e))?;
        *self.limits.lock().unwrap_or_else(|e| e.into_inner()) = None;
        Ok(limit)
    }

    pub async fn delete_spend_limit(&self, id: &str) -> Result<(), ProxyError> {
        let store = self.for_admin().await?;
        if store
            .delete_spend_limit(id)
            .await
            .map_err(|e| self.failed(&e))?
        {
            *self.limits.lock().unwrap_or_else(|e| e.into_inner()) = None;
            Ok(())
        } else {
            Err(ProxyError::SpendLimitNotFound { id: id.into() })
        }
    }
}
