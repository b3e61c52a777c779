//! The models a provider offers, from its model list (each kind says where and how it is
//! read, see [`kind::Kind::models_request`]): fetched only to fill
//! `details.available_models` of a `model_not_found` error, and cached per provider (with a
//! time to live, and a bound on the number of providers kept) so that a client repeating a
//! wrong model name does not hit the provider's catalogue every time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;

use super::{kind, HttpClient};
use crate::config::ProviderConfig;

/// How long a fetched list is trusted.
const TTL: Duration = Duration::from_secs(600);
/// Providers kept at most (the oldest entry goes first).
const MAX_PROVIDERS: usize = 64;
/// Model names kept per provider: enough to choose from, small enough for an error body.
const MAX_MODELS: usize = 200;
/// The longest the error path waits for the list.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// A fetched list and when it was fetched.
type Entry = (Instant, Arc<[String]>);

/// The per-provider cache of model lists.
#[derive(Debug, Default)]
pub struct ModelCatalog {
    entries: Mutex<HashMap<String, Entry>>,
}

impl ModelCatalog {
    /// The provider's models: from the cache when fresh, else fetched. Empty when the
    /// provider has no models endpoint or it fails: the error is reported without them.
    pub async fn available(&self, http: &HttpClient, provider: &ProviderConfig) -> Vec<String> {
        let key = format!("{}|{}", provider.name, provider.base_url);
        if let Some(models) = self.fresh(&key) {
            return models.to_vec();
        }
        let Some(models) = fetch(http, provider).await else {
            return Vec::new();
        };
        let models: Arc<[String]> = models.into();
        self.store(key, models.clone());
        models.to_vec()
    }

    fn fresh(&self, key: &str) -> Option<Arc<[String]>> {
        let entries = self.entries.lock().ok()?;
        let (fetched, models) = entries.get(key)?;
        (fetched.elapsed() < TTL).then(|| models.clone())
    }

    fn store(&self, key: String, models: Arc<[String]>) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        entries.retain(|_, (fetched, _)| fetched.elapsed() < TTL);
        if entries.len() >= MAX_PROVIDERS && !entries.contains_key(&key) {
            let oldest = entries
                .iter()
                .min_by_key(|(_, (fetched, _))| *fetched)
                .map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                entries.remove(&oldest);
            }
        }
        entries.insert(key, (Instant::now(), models));
    }
}

async fn fetch(http: &HttpClient, provider: &ProviderConfig) -> Option<Vec<String>> {
    let kind = kind::of(provider.kind);
    let (url, headers) = kind.models_request(provider);
    let request = http.get(&url).headers(headers);
    let read = async {
        let response = http.send(request).await.ok()?;
        if !response.status().is_success() {
            return None;
        }
        super::client::read_prefix(response, super::MAX_SMALL_BODY_BYTES)
            .await
            .ok()
    };
    let (bytes, complete) = tokio::time::timeout(FETCH_TIMEOUT.min(http.timeouts().response), read)
        .await
        .ok()??;
    if !complete {
        tracing::debug!(provider = %provider.name, "the model list is over its size limit");
        return None;
    }
    let body: Value = serde_json::from_slice(&bytes).ok()?;
    let models: Vec<String> = kind
        .model_names(&body)
        .into_iter()
        .take(MAX_MODELS)
        .map(str::to_string)
        .collect();
    if models.is_empty() {
        tracing::debug!(provider = %provider.name, "the models endpoint listed no models");
    }
    Some(models)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    use crate::config::ProviderKind;
    use crate::secret::Secret;

    fn provider(kind: ProviderKind, base_url: &str, key: Option<&str>) -> ProviderConfig {
        let mut provider = ProviderConfig {
            name: "p".into(),
            kind,
            base_url: base_url.into(),
            api_key: key.map(Secret::new),
            more_keys: Vec::new(),
            key_host: None,
            key_var: "P_API_KEY".into(),
            key_in_file: false,
            key_required: false,
            models: Vec::new(),
            enabled: true,
            profile: crate::translate::compat::Profile::Generic,
        };
        provider.bind_key();
        provider
    }

    #[test]
    fn each_kind_reads_its_own_model_list() {
        let openai = json!({"object": "list", "data": [{"id": "kimi"}, {"id": "llama"}]});
        let gemini = json!({"models": [{"name": "models/gemini-2.5-flash"}]});
        let names = |kind, body| kind::of(kind).model_names(body);
        assert_eq!(names(ProviderKind::OpenAi, &openai), ["kimi", "llama"]);
        assert_eq!(names(ProviderKind::Anthropic, &openai), ["kimi", "llama"]);
        assert_eq!(names(ProviderKind::Gemini, &gemini), ["gemini-2.5-flash"]);
        assert!(names(ProviderKind::OpenAi, &gemini).is_empty());
        assert!(names(ProviderKind::Gemini, &json!({"unexpected": true})).is_empty());
    }

    #[test]
    fn anthropic_lists_its_models_under_v1() {
        let urls = [
            (ProviderKind::Anthropic, "https://api.anthropic.com"),
            (ProviderKind::Anthropic, "https://api.anthropic.com/v1"),
            (ProviderKind::OpenAi, "https://api.groq.com/openai/v1"),
            (
                ProviderKind::Gemini,
                "https://generativelanguage.googleapis.com/v1beta",
            ),
        ]
        .map(|(kind, base_url)| {
            kind::of(kind)
                .models_request(&provider(kind, base_url, None))
                .0
        });
        assert_eq!(
            urls,
            [
                "https://api.anthropic.com/v1/models",
                "https://api.anthropic.com/v1/models",
                "https://api.groq.com/openai/v1/models",
                "https://generativelanguage.googleapis.com/v1beta/models",
            ]
        );
    }

    #[test]
    fn the_model_list_sends_the_key_as_the_messages_request_does() {
        let anthropic = |key| {
            let provider = provider(ProviderKind::Anthropic, "https://h", Some(key));
            kind::of(ProviderKind::Anthropic)
                .models_request(&provider)
                .1
        };
        let oauth = anthropic("sk-ant-oat01-token");
        assert_eq!(oauth["authorization"], "Bearer sk-ant-oat01-token");
        assert!(oauth.get("x-api-key").is_none());
        assert_eq!(oauth["anthropic-beta"], "oauth-2025-04-20");
        let api_key = anthropic("sk-ant-api03-key");
        assert_eq!(api_key["x-api-key"], "sk-ant-api03-key");
        assert!(api_key.get("authorization").is_none());
        let openai = provider(ProviderKind::OpenAi, "https://h", Some("k"));
        let headers = kind::of(ProviderKind::OpenAi).models_request(&openai).1;
        assert_eq!(headers["authorization"], "Bearer k");
        let gemini = provider(ProviderKind::Gemini, "https://h", Some("g"));
        let headers = kind::of(ProviderKind::Gemini).models_request(&gemini).1;
        assert_eq!(headers["x-goog-api-key"], "g");
    }

    #[tokio::test(start_paused = true)]
    async fn cached_lists_expire_and_the_cache_stays_bounded() {
        let catalog = ModelCatalog::default();
        catalog.store("a".into(), vec!["m".to_string()].into());
        assert!(catalog.fresh("a").is_some());
        tokio::time::advance(TTL).await;
        assert!(catalog.fresh("a").is_none(), "expired after the TTL");
        for i in 0..MAX_PROVIDERS + 5 {
            catalog.store(format!("p{i}"), Vec::new().into());
            tokio::time::advance(Duration::from_millis(1)).await;
        }
        let entries = catalog.entries.lock().expect("lock");
        assert_eq!(entries.len(), MAX_PROVIDERS);
        assert!(!entries.contains_key("p0"), "the oldest went first");
    }
}
