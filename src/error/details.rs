//! The `error.details` object of each error: which provider, what to do about it, how long
//! to wait, and the lists (models, providers, problems) the client can choose from.

use serde_json::{json, Map, Value};

use super::ProxyError;

impl ProxyError {
    /// The `error.details` object: provider, suggestion, retry_after, limit, remaining,
    /// available_models, as docs/errors.md documents them. `None` when there is nothing to add.
    pub fn details(&self) -> Option<Value> {
        let mut details = Map::new();
        if let Some(provider) = self.provider() {
            details.insert("provider".into(), json!(provider));
        }
        if let Some(suggestion) = self.suggestion() {
            details.insert("suggestion".into(), json!(suggestion));
        }
        if let Some(retry_after) = self.retry_after() {
            details.insert("retry_after".into(), json!(retry_after));
        }
        match self {
            Self::RateLimited {
                limit, remaining, ..
            } => {
                if let Some(limit) = limit {
                    details.insert("limit".into(), json!(limit));
                }
                if let Some(remaining) = remaining {
                    details.insert("remaining".into(), json!(remaining));
                }
            }
            Self::KeyRateLimited {
                limit, remaining, ..
            } => {
                details.insert("limit".into(), json!(limit));
                details.insert("remaining".into(), json!(remaining));
            }
            Self::SpendLimitExceeded {
                limit_cents,
                spent_cents,
                ..
            } => {
                details.insert("limit".into(), json!(limit_cents));
                details.insert("spent".into(), json!(spent_cents));
            }
            Self::ModelNotFound { available, .. } if !available.is_empty() => {
                details.insert("available_models".into(), json!(available));
            }
            Self::UnknownProvider { available, .. } | Self::ProviderNotFound { available, .. } => {
                details.insert("available_providers".into(), json!(available));
            }
            Self::InvalidConfig { problems } => {
                details.insert("problems".into(), json!(problems));
            }
            Self::Misconfigured { setting, .. } => {
                details.insert("setting".into(), json!(setting));
            }
            Self::RetryBudgetExhausted { tried, .. } => {
                let tried: Vec<Value> = tried.iter().map(|t| t.to_json()).collect();
                details.insert("tried".into(), json!(tried));
            }
            _ => {}
        }
        (!details.is_empty()).then_some(Value::Object(details))
    }

    fn provider(&self) -> Option<&str> {
        match self {
            Self::MissingApiKey { provider, .. }
            | Self::InvalidApiKey { provider, .. }
            | Self::PermissionDenied { provider, .. }
            | Self::RateLimited { provider, .. }
            | Self::ModelNotFound { provider, .. }
            | Self::ProviderUnavailable { provider, .. }
            | Self::ProviderFailed { provider, .. }
            | Self::ProviderTimeout { provider, .. }
            | Self::RetryBudgetExhausted { provider, .. }
            | Self::ProviderRejected { provider, .. }
            | Self::PromptTooLong { provider, .. }
            | Self::ProxyLoop { provider, .. } => Some(provider),
            _ => None,
        }
    }

    fn suggestion(&self) -> Option<String> {
        Some(match self {
            Self::MissingApiKey {
                provider,
                env_var,
                suggest_provider_choice: true,
            } => {
                let others: Vec<&str> = crate::config::catalog::names()
                    .into_iter()
                    .filter(|name| name != provider)
                    .collect();
                format!(
                    "Set the {env_var} environment variable, or choose another provider with \
                     PROVIDER={} and its key variable (<NAME>_API_KEY, e.g. OPENAI_API_KEY)",
                    others.join("|")
                )
            }
            Self::MissingApiKey { env_var, .. } => {
                format!("Set the {env_var} environment variable")
            }
            Self::InvalidApiKey { key_hint, .. } => format!("Check {key_hint}"),
            Self::ProxyAuth { .. } => "Send the proxy key (CCPROXY_API_KEY) as the x-api-key \
                 header or as Authorization: Bearer <key>"
                .to_string(),
            Self::RemoteClientForbidden => "Set CCPROXY_API_KEY (or api_key in the config) to \
                 serve other machines, and send it as x-api-key"
                .to_string(),
            Self::CrossOriginForbidden { .. } => "Web pages may not use this ccproxy: call it \
                 from a program (Claude Code, an SDK, curl) at http://127.0.0.1:PORT or \
                 http://localhost:PORT, or set CCPROXY_API_KEY and send it as x-api-key"
                .to_string(),
            Self::ProviderTimeout { phase, .. } => {
                format!("Raise {} if the provider is just slow", phase.setting())
            }
            Self::RetryBudgetExhausted { .. } => "Raise retry.total_ms in the config file if \
                 the providers are just slow, or add a fallback target to the route"
                .to_string(),
            Self::PermissionDenied { .. } => {
                "Check with the provider that the key may use this model".to_string()
            }
            Self::ProviderUnavailable { .. } => {
                "Retry later, or add a fallback target to the route".to_string()
            }
            Self::PromptTooLong { .. } => {
                "Shorten the conversation (or compact it), or route it to a model with a longer \
                 context"
                    .to_string()
            }
            Self::RateLimited { .. } => {
                "Wait retry_after seconds, or add a fallback target to the route".to_string()
            }
            Self::ModelNotFound { .. } => {
                "Use one of available_models in the route or the request's model".to_string()
            }
            Self::UnknownProvider { .. } => {
                "Use \"provider,model\" with one of available_providers".to_string()
            }
            Self::ProxyLoop {
                provider,
                base_url_var,
                ..
            } => format!(
                "Give provider '{provider}' its real API address (for Anthropic: \
                 https://api.anthropic.com) with {base_url_var} or base_url in the config; if \
                 the shell that starts ccproxy exports ANTHROPIC_BASE_URL for Claude Code, \
                 unset it for ccproxy"
            ),
            Self::Misconfigured { setting, .. } => {
                format!(
                    "Fix {setting} in the config file (or the environment variable that sets it)"
                )
            }
            Self::ProviderExists { name } => {
                format!("Change it with PUT /providers/{name}, or choose another name")
            }
            Self::DeveloperKey { .. } => "Send your developer key (from `ccproxy keys create`) \
                 as the x-api-key header or as Authorization: Bearer <key>"
                .to_string(),
            Self::KeyRateLimited { .. } => {
                "Wait retry_after seconds, or ask for a higher limit".to_string()
            }
            Self::SpendLimitExceeded { .. } => "Wait until the period resets (retry_after \
                 seconds), or ask the admin to raise the spend limit"
                .to_string(),
            Self::StoreUnavailable { .. } => "Check that the store (CCPROXY_REDIS_URL or \
                 store.redis_url) is reachable; requests resume by themselves once it is"
                .to_string(),
            _ => return None,
        })
    }
}
