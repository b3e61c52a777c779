//! The state of every provider's key pool: which key serves a request, which keys are
//! cooling down (a 429 or a quota/billing refusal, until the provider's `retry-after` or
//! reset headers say, else `retry.key_cooldown_ms`), which are invalid (401/403: set aside
//! until the provider's configuration changes), and each key's figures for `/status`.
//!
//! Choice: the requests of one Claude Code session stay on one key while it is healthy (its
//! prompt cache stays warm); a new session, or a request without one, gets the healthy key
//! that was assigned least recently. Least recently assigned rather than least used: it
//! spreads sessions evenly at once and needs no token counts, whereas "least used" would send
//! every new session to a key that just joined (or recovered) until it caught up.
//!
//! Keys are known by a fingerprint of provider and key, never stored or shown in clear:
//! every key leaves this module masked (`gsk_…3f9a`). One mutex over small records, never
//! held across an `await`; time is tokio's. The state is behind these few methods so that
//! it could live in a shared store.

use std::borrow::Cow;
use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::sync::Mutex;
use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;

use crate::config::ProviderConfig;
use crate::error::ProxyError;
use crate::providers::Inbound;
use crate::report::{KeyCondition, KeyReport};
use crate::secret::Secret;

/// How many sessions are remembered; the oldest is forgotten first.
const SESSIONS: usize = 4096;
/// Session ids longer than this are not Claude Code's and are not remembered.
const MAX_SESSION_LEN: usize = 128;
/// The header Claude Code sends with every request of a session.
const SESSION_HEADER: &str = "x-claude-code-session-id";

/// One key of one provider, by fingerprint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyId(u64);

impl KeyId {
    fn of(provider: &str, key: &Secret) -> Self {
        Self(fingerprint(&[provider, key.expose()]))
    }
}

fn fingerprint(parts: &[&str]) -> u64 {
    let mut hasher = DefaultHasher::new();
    parts.hash(&mut hasher);
    hasher.finish()
}

/// What a provider's configuration looks like to its keys: a change of it (a key added or
/// replaced, another base URL) gives invalid keys another chance.
fn generation(provider: &ProviderConfig) -> u64 {
    let mut parts = vec![provider.name.as_str(), provider.base_url.as_str()];
    parts.extend(provider.keys().map(Secret::expose));
    fingerprint(&parts)
}

#[derive(Debug)]
struct KeyState {
    masked: String,
    cooling_until: Option<Instant>,
    /// Invalid for this configuration generation of its provider.
    invalid_in: Option<u64>,
    /// When it was last assigned (a sequence number): the smallest goes next.
    assigned: u64,
    requests: u64,
    input_tokens: u64,
    output_tokens: u64,
    last_error: Option<String>,
}

#[derive(Debug, Default)]
struct Inner {
    keys: HashMap<KeyId, KeyState>,
    sessions: HashMap<String, KeyId>,
    session_order: VecDeque<String>,
    sequence: u64,
}

/// Every pool, shared by all requests.
#[derive(Debug, Default)]
pub struct KeyPools(Mutex<Inner>);

/// The key chosen for an attempt.
#[derive(Debug, Clone)]
pub struct Chosen {
    pub id: KeyId,
    pub key: Secret,
    pub masked: String,
}

/// Why no key could be chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exhausted {
    /// Every healthy key was already tried; the soonest cooling one recovers after this.
    Cooling(Duration),
    /// Every key is invalid, or was already tried by this request.
    NoneLeft,
}

impl KeyPools {
    /// The key for the next attempt on `provider`: the session's own key while it is
    /// healthy, else the healthy key assigned least recently; never one in `tried`.
    pub fn choose(
        &self,
        provider: &ProviderConfig,
        session: Option<&str>,
        tried: &[KeyId],
    ) -> Result<Chosen, Exhausted> {
        let now = Instant::now();
        let generation = generation(provider);
        let mut inner = self.lock();
        let candidates: Vec<(KeyId, &Secret)> = provider
            .keys()
            .map(|key| (KeyId::of(&provider.name, key), key))
            .collect();
        let mut soonest: Option<Duration> = None;
        let mut healthy = Vec::new();
        for (id, key) in &candidates {
            let state = inner.keys.entry(*id).or_insert_with(|| KeyState {
                masked: key.masked(),
                cooling_until: None,
                invalid_in: None,
                assigned: 0,
                requests: 0,
                input_tokens: 0,
                output_tokens: 0,
                last_error: None,
            });
            if state.invalid_in == Some(generation) {
                continue;
            }
            if let Some(until) = state.cooling_until.filter(|until| now < *until) {
                let wait = until - now;
                soonest = Some(soonest.map_or(wait, |s| s.min(wait)));
                continue;
            }
            if !tried.contains(id) {
                healthy.push((*id, *key, state.assigned));
            }
        }
        let sticky = session
            .and_then(|s| inner.sessions.get(s).copied())
            .and_then(|id| healthy.iter().find(|(h, ..)| *h == id).copied());
        let pick = sticky.or_else(|| healthy.iter().min_by_key(|(.., at)| *at).copied());
        let Some((id, key, _)) = pick else {
            return Err(soonest.map_or(Exhausted::NoneLeft, Exhausted::Cooling));
        };
        inner.sequence += 1;
        let sequence = inner.sequence;
        let mut masked = key.masked();
        if let Some(state) = inner.keys.get_mut(&id) {
            state.assigned = sequence;
            state.requests += 1;
            masked.clone_from(&state.masked);
        }
        if let Some(session) = session {
            inner.remember(session, id);
        }
        Ok(Chosen {
            id,
            key: key.clone(),
            masked,
        })
    }

    /// The key was refused for its quota or rate: set aside for `wait`.
    pub fn cool(&self, id: KeyId, wait: Duration, error: &str) {
        let until = Instant::now() + wait;
        self.update(id, |state| {
            state.cooling_until = Some(until);
            state.last_error = Some(error.to_string());
        });
    }

    /// The key was refused as invalid: set aside until `provider`'s configuration changes.
    /// True the first time (the caller warns once).
    pub fn invalidate(&self, provider: &ProviderConfig, id: KeyId, error: &str) -> bool {
        let generation = generation(provider);
        let mut first = false;
        self.update(id, |state| {
            first = state.invalid_in != Some(generation);
            state.invalid_in = Some(generation);
            state.last_error = Some(error.to_string());
        });
        first
    }

    /// Sets `chosen` aside when `error` refused the key itself: cooling for a rate or
    /// quota refusal (as long as the provider's headers say, else `cooldown`), invalid for
    /// a 401/403 (warned once, masked). True when it was set aside.
    pub fn set_aside(
        &self,
        provider: &ProviderConfig,
        chosen: &Chosen,
        error: &ProxyError,
        cooldown: Duration,
    ) -> bool {
        let summary = format!("{} {}", error.status().as_u16(), error.code());
        match error {
            ProxyError::RateLimited { .. } => {
                self.cool(chosen.id, error.retry_wait().unwrap_or(cooldown), &summary);
                true
            }
            ProxyError::InvalidApiKey { .. } | ProxyError::PermissionDenied { .. } => {
                if self.invalidate(provider, chosen.id, &summary) {
                    tracing::warn!(
                        "provider '{}' refused key {} ({summary}): it is set aside until the \
                         configuration changes",
                        provider.name,
                        chosen.masked
                    );
                }
                true
            }
            _ => false,
        }
    }

    /// The tokens of an answer served with `id`.
    pub fn count_tokens(&self, id: KeyId, input: u64, output: u64) {
        self.update(id, |state| {
            state.input_tokens += input;
            state.output_tokens += output;
        });
    }

    /// `provider`'s keys for `/status`: masked, with their state (`active`, `cooling` with
    /// the cool-down that remains, `invalid`), requests, tokens and last error.
    pub fn status(&self, provider: &ProviderConfig) -> Vec<KeyReport> {
        let now = Instant::now();
        let generation = generation(provider);
        let inner = self.lock();
        provider
            .keys()
            .map(|key| {
                let Some(state) = inner.keys.get(&KeyId::of(&provider.name, key)) else {
                    return KeyReport {
                        key: key.masked(),
                        state: KeyCondition::Active,
                        cooling_ms: None,
                        requests: 0,
                        input_tokens: 0,
                        output_tokens: 0,
                        last_error: None,
                    };
                };
                let cooling = state.cooling_until.filter(|until| now < *until);
                let (condition, cooling_ms) = if state.invalid_in == Some(generation) {
                    (KeyCondition::Invalid, None)
                } else if let Some(until) = cooling {
                    let millis = u64::try_from((until - now).as_millis()).unwrap_or(u64::MAX);
                    (KeyCondition::Cooling, Some(millis))
                } else {
                    (KeyCondition::Active, None)
                };
                KeyReport {
                    key: state.masked.clone(),
                    state: condition,
                    cooling_ms,
                    requests: state.requests,
                    input_tokens: state.input_tokens,
                    output_tokens: state.output_tokens,
                    last_error: state.last_error.clone(),
                }
            })
            .collect()
    }

    fn update(&self, id: KeyId, change: impl FnOnce(&mut KeyState)) {
        if let Some(state) = self.lock().keys.get_mut(&id) {
            change(state);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Inner {
    fn remember(&mut self, session: &str, id: KeyId) {
        if self.sessions.insert(session.to_string(), id).is_none() {
            self.session_order.push_back(session.to_string());
            if self.session_order.len() > SESSIONS {
                if let Some(oldest) = self.session_order.pop_front() {
                    self.sessions.remove(&oldest);
                }
            }
        }
    }
}

/// The error when no key of `provider` is left: while some are cooling, a rate limit that
/// lasts until the soonest recovers (with the limit figures of the last refusal); else the
/// last key's own refusal, or (every key was already invalid) an invalid key.
pub fn exhausted(
    provider: &ProviderConfig,
    none: Exhausted,
    last: Option<ProxyError>,
) -> ProxyError {
    match (none, last) {
        (
            Exhausted::Cooling(wait),
            Some(ProxyError::RateLimited {
                provider,
                limit,
                remaining,
                ..
            }),
        ) => ProxyError::RateLimited {
            provider,
            retry_after: Some(wait),
            limit,
            remaining,
        },
        (Exhausted::Cooling(wait), _) => ProxyError::RateLimited {
            provider: provider.name.clone(),
            retry_after: Some(wait),
            limit: None,
            remaining: None,
        },
        (Exhausted::NoneLeft, Some(error)) => error,
        (Exhausted::NoneLeft, None) => ProxyError::InvalidApiKey {
            provider: provider.name.clone(),
            key_hint: provider.key_hint(),
        },
    }
}

/// `provider` with `chosen` as its key, for one attempt (itself when it has one key).
pub fn with_key<'p>(
    provider: &'p ProviderConfig,
    chosen: Option<&Chosen>,
) -> Cow<'p, ProviderConfig> {
    match chosen {
        Some(chosen) if !provider.more_keys.is_empty() => Cow::Owned(ProviderConfig {
            api_key: Some(chosen.key.clone()),
            more_keys: Vec::new(),
            ..provider.clone()
        }),
        _ => Cow::Borrowed(provider),
    }
}

/// The Claude Code session a request belongs to: the `X-Claude-Code-Session-Id` header,
/// else the `session_id` inside `metadata.user_id` (a JSON string in current Claude Code;
/// older versions end the plain string with `_session_<uuid>`).
pub fn session_of(inbound: &Inbound) -> Option<String> {
    let header = inbound
        .headers
        .get(SESSION_HEADER)
        .and_then(|v| v.to_str().ok());
    let id = match header {
        Some(id) => id.to_string(),
        None => {
            let user = inbound.request.metadata.as_ref()?.user_id.as_deref()?;
            match serde_json::from_str::<Value>(user) {
                Ok(Value::Object(fields)) => fields.get("session_id")?.as_str()?.to_string(),
                _ => user.rsplit_once("_session_")?.1.to_string(),
            }
        }
    };
    (!id.is_empty() && id.len() <= MAX_SESSION_LEN).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(keys: &[&str]) -> ProviderConfig {
        let mut provider = ProviderConfig {
            name: "groq".into(),
            kind: crate::config::ProviderKind::OpenAi,
            base_url: "https://api.groq.com/openai/v1".into(),
            api_key: Some(Secret::new(keys[0])),
            more_keys: keys[1..].iter().map(|k| Secret::new(*k)).collect(),
            key_host: None,
            key_var: "GROQ_API_KEY".into(),
            key_in_file: false,
            key_required: true,
            models: vec![crate::config::ModelEntry::id("m")],
            enabled: true,
            profile: crate::config::catalog::profile(None),
        };
        provider.bind_key();
        provider
    }

    fn key(chosen: Result<Chosen, Exhausted>) -> String {
        chosen.expect("a key").key.expose().to_string()
    }

    #[tokio::test(start_paused = true)]
    async fn new_sessions_spread_and_each_session_stays_on_its_key() {
        let provider = pool(&["gsk_key_aaaa", "gsk_key_bbbb", "gsk_key_cccc"]);
        let pools = KeyPools::default();
        let first: Vec<String> = ["s1", "s2", "s3"]
            .iter()
            .map(|s| key(pools.choose(&provider, Some(s), &[])))
            .collect();
        assert_eq!(first, ["gsk_key_aaaa", "gsk_key_bbbb", "gsk_key_cccc"]);
        for _ in 0..3 {
            assert_eq!(
                key(pools.choose(&provider, Some("s2"), &[])),
                "gsk_key_bbbb"
            );
        }
        assert_eq!(key(pools.choose(&provider, None, &[])), "gsk_key_aaaa");
    }

    #[tokio::test(start_paused = true)]
    async fn cooling_and_invalid_keys_are_skipped_until_they_recover() {
        let provider = pool(&["gsk_key_aaaa", "gsk_key_bbbb"]);
        let pools = KeyPools::default();
        let a = pools.choose(&provider, Some("s"), &[]).expect("a");
        pools.cool(a.id, Duration::from_secs(10), "429");
        assert_eq!(key(pools.choose(&provider, Some("s"), &[])), "gsk_key_bbbb");
        let b = pools.choose(&provider, None, &[]).expect("b");
        assert!(pools.invalidate(&provider, b.id, "401"), "first time");
        assert!(!pools.invalidate(&provider, b.id, "401"), "warned once");
        let none = pools
            .choose(&provider, None, &[])
            .expect_err("none healthy");
        assert_eq!(none, Exhausted::Cooling(Duration::from_secs(10)));
        tokio::time::advance(Duration::from_secs(10)).await;
        assert_eq!(key(pools.choose(&provider, None, &[])), "gsk_key_aaaa");
        let status = pools.status(&provider);
        assert_eq!(status[1].state, KeyCondition::Invalid);
        assert_eq!(status[1].key, "gsk_…bbbb");
        let shown = serde_json::to_string(&status).expect("serializes");
        assert!(!shown.contains("gsk_key"), "{shown}");

        // A changed configuration gives the invalid key another chance.
        let changed = pool(&["gsk_key_aaaa", "gsk_key_bbbb", "gsk_key_cccc"]);
        assert_eq!(pools.status(&changed)[1].state, KeyCondition::Active);
    }

    #[tokio::test(start_paused = true)]
    async fn keys_tried_by_the_request_are_not_chosen_again() {
        let provider = pool(&["gsk_key_aaaa", "gsk_key_bbbb"]);
        let pools = KeyPools::default();
        let a = pools.choose(&provider, None, &[]).expect("a");
        let b = pools.choose(&provider, None, &[a.id]).expect("b");
        assert_eq!(b.key.expose(), "gsk_key_bbbb");
        let none = pools
            .choose(&provider, None, &[a.id, b.id])
            .expect_err("all tried");
        assert_eq!(none, Exhausted::NoneLeft);
    }
}
