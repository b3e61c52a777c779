//! The models a provider offers, from its `GET {base_url}/models`: fetched only to fill
//! `details.available_models` of a `model_not_found` error, and cached per provider (with a
//! time to live, and a bound on the number of providers kept) so that a client repeating a
//! wrong model name does not hit the provider's catalogue every time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;

use super::HttpClient;
use crate::config::{ProviderConfig, ProviderKind};

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
    let mut request = http
        .reqwest()
        .get(models_url(provider))
        .timeout(FETCH_TIMEOUT.min(http.timeouts().response));
    if let Some(key) = provider.key() {
        request = match provider.kind {
            ProviderKind::OpenAi | ProviderKind::Responses => request.bearer_auth(key.expose()),
            ProviderKind::Anthropic => request
                .header("x-api-key", key.expose())
                .header("anthropic-version", "2023-06-01"),
            ProviderKind::Gemini => request.header("x-goog-api-key", key.expose()),
        };
    }
    let response = request.send().await.ok()?.error_for_status().ok()?;
    let (bytes, complete) = super::read_prefix(response, super::MAX_SMALL_BODY_BYTES)
        .await
        .ok()?;
    if !complete {
        tracing::debug!(provider = %provider.name, "the model list is over its size limit");
        return None;
    }
    let body: Value = serde_json::from_slice(&bytes).ok()?;
    let models = model_names(&body);
    if models.is_empty() {
        tracing::debug!(provider = %provider.name, "the models endpoint listed no models");
    }
    Some(models)
}

/// The list endpoint: `{base_url}/models` (OpenAI, Gemini), `{base_url}/v1/models`
/// (Anthropic, whose base URL has no `/v1`).
fn models_url(provider: &ProviderConfig) -> String {
    match provider.kind {
        ProviderKind::Anthropic => {
            format!("{}/models", super::anthropic::api_base(&provider.base_url))
        }
        ProviderKind::OpenAi | ProviderKind::Gemini | ProviderKind::Responses => {
            format!("{}/models", provider.base_url)
        }
    }
}

/// `{"data":[{"id":...}]}` (OpenAI, Anthropic) or `{"models":[{"name":"models/..."}]}`
/// (Gemini).
fn model_names(body: &Value) -> Vec<String> {
    let openai = body.get("data").and_then(Value::as_array).map(|items| {
        items
            .iter()
            .filter_map(|m| m.get("id")?.as_str())
            .collect::<Vec<_>>()
    });
    let gemini = || {
        body.get("models").and_then(Value::as_array).map(|items| {
            items
                .iter()
                .filter_map(|m| m.get("name")?.as_str())
                .map(|name| name.trim_start_matches("models/"))
                .collect::<Vec<_>>()
        })
    };
    openai
        .or_else(gemini)
        .unwrap_or_default()
        .into_iter()
        .take(MAX_MODELS)
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn reads_openai_and_gemini_model_lists() {
        let openai = json!({"object": "list", "data": [{"id": "kimi"}, {"id": "llama"}]});
        assert_eq!(model_names(&openai), vec!["kimi", "llama"]);
        let gemini = json!({"models": [{"name": "models/gemini-2.5-flash"}]});
        assert_eq!(model_names(&gemini), vec!["gemini-2.5-flash"]);
        assert!(model_names(&json!({"unexpected": true})).is_empty());
    }

    #[test]
    fn anthropic_lists_its_models_under_v1() {
        let provider = |kind, base_url: &str| ProviderConfig {
            name: "p".into(),
            kind,
            base_url: base_url.into(),
            api_key: None,
            key_host: None,
            key_var: "P_API_KEY".into(),
            key_in_file: false,
            key_required: false,
            models: Vec::new(),
            enabled: true,
        };
        let urls = [
            (ProviderKind::Anthropic, "https://api.anthropic.com"),
            (ProviderKind::Anthropic, "https://api.anthropic.com/v1"),
            (ProviderKind::OpenAi, "https://api.groq.com/openai/v1"),
            (
                ProviderKind::Gemini,
                "https://generativelanguage.googleapis.com/v1beta",
            ),
        ]
        .map(|(kind, base_url)| models_url(&provider(kind, base_url)));
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
