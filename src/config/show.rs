//! The effective configuration as JSON in the config file's own shape, with every key
//! masked: what `ccproxy config show` prints and `GET /status` reports, and a provider as
//! the admin API shows it. Never the raw keys.

use std::collections::BTreeMap;

use super::raw::{RawBreaker, RawRetry, RawTimeouts};
use super::{Config, Price, RouteName, Target};
use serde::{Deserialize, Serialize};

/// The effective configuration as shown: the config file's shape, keys masked, plus where
/// it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shown {
    /// Where the configuration came from (`environment`, or the file's path).
    pub source: String,
    pub host: String,
    pub port: u16,
    /// The proxy key, masked.
    pub api_key: Option<String>,
    pub log_level: String,
    /// `text` or `json`.
    pub log_format: String,
    pub max_request_bytes: usize,
    pub max_connections: usize,
    pub providers: Vec<ShownProvider>,
    pub routes: ShownRoutes,
    /// Each price by its `"provider,model"`.
    pub prices: BTreeMap<String, Price>,
    pub retry: RawRetry,
    pub timeouts: RawTimeouts,
    pub circuit_breaker: RawBreaker,
}

/// A provider as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShownProvider {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// Credentials in the URL are redacted.
    pub base_url: String,
    /// Masked.
    pub api_key: Option<String>,
    /// `config file`, or the environment variable the key comes from.
    pub api_key_from: String,
    pub models: Vec<super::ModelEntry>,
    pub enabled: bool,
    /// The key pool, masked: every key when it has several, else absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_keys: Option<Vec<String>>,
}

/// A provider as the admin API shows it (`GET /providers`, `GET /providers/{name}` and the
/// answer to each edit): the key and a pool's keys masked, credentials in the URL redacted,
/// and where the key comes from. A client may send it back as the provider (without
/// `api_key_source`): a masked key or a redacted URL keeps what the file holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProviderView {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub base_url: String,
    pub models: Vec<super::ModelEntry>,
    pub enabled: bool,
    pub profile: &'static str,
    /// Masked; `null` when no key is sent to this provider.
    pub api_key: Option<String>,
    /// `config file`, or `environment variable <NAME>`.
    pub api_key_source: String,
    /// The key pool, masked: every key when it has several, else absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_keys: Option<Vec<String>>,
}

impl ProviderView {
    pub fn of(provider: &super::ProviderConfig) -> Self {
        Self {
            name: provider.name.clone(),
            kind: provider.kind.as_str(),
            base_url: crate::secret::redact_url(&provider.base_url),
            models: provider.models.clone(),
            enabled: provider.enabled,
            profile: provider.profile.as_str(),
            api_key: provider.key().map(crate::secret::Secret::masked),
            api_key_source: match provider.key_in_file {
                true => "config file".to_string(),
                false => format!("environment variable {}", provider.key_var),
            },
            api_keys: pool(provider),
        }
    }
}

/// `GET /providers`: every provider, in the config's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProviderList {
    pub providers: Vec<ProviderView>,
}

/// The configured routes and the long-context threshold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShownRoutes {
    pub long_context_threshold: u64,
    #[serde(flatten)]
    pub targets: BTreeMap<RouteName, ShownTargets>,
}

/// One target as `"provider,model"`, or a list of them (the first, then the fallbacks).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ShownTargets {
    One(String),
    Many(Vec<String>),
}

impl ShownTargets {
    fn of(targets: &[Target]) -> Self {
        match targets {
            [one] => Self::One(one.to_string()),
            many => Self::Many(many.iter().map(ToString::to_string).collect()),
        }
    }

    /// The targets in order.
    pub fn texts(&self) -> Vec<&str> {
        match self {
            Self::One(one) => vec![one.as_str()],
            Self::Many(many) => many.iter().map(String::as_str).collect(),
        }
    }
}

/// A pool's keys, masked, when the provider has several.
pub fn pool(provider: &super::ProviderConfig) -> Option<Vec<String>> {
    let keys = provider.api_key.iter().chain(&provider.more_keys);
    (!provider.more_keys.is_empty()).then(|| keys.map(|k| k.masked()).collect())
}

/// The configuration in the file format, keys masked, plus where it came from.
pub fn masked(config: &Config) -> Shown {
    let providers = config
        .providers
        .iter()
        .map(|p| ShownProvider {
            name: p.name.clone(),
            kind: p.kind.as_str().to_string(),
            base_url: crate::secret::redact_url(&p.base_url),
            api_key: p.api_key.as_ref().map(|k| k.masked()),
            api_key_from: if p.key_in_file {
                "config file".to_string()
            } else {
                p.key_var.clone()
            },
            models: p.models.clone(),
            enabled: p.enabled,
            api_keys: pool(p),
        })
        .collect();
    let routes = ShownRoutes {
        long_context_threshold: config.routes.long_context_threshold,
        targets: config
            .routes
            .configured()
            .map(|(name, targets)| (name, ShownTargets::of(targets)))
            .collect(),
    };
    Shown {
        source: config.source.describe(),
        host: config.host.clone(),
        port: config.port,
        api_key: config.api_key.as_ref().map(|k| k.masked()),
        log_level: config.log.level.clone(),
        log_format: if config.log.json { "json" } else { "text" }.to_string(),
        max_request_bytes: config.max_request_bytes,
        max_connections: config.max_connections,
        providers,
        routes,
        prices: config.prices.shown(),
        retry: config.resilience.retry_shown(),
        timeouts: config.resilience.timeouts_shown(),
        circuit_breaker: config.resilience.breaker_shown(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{load, Env, Overrides};

    #[test]
    fn keys_are_masked_and_routes_listed() {
        let env = Env::from_pairs([
            ("GROQ_API_KEY", "gsk_abcdefghijklmnop3f9a"),
            ("CCPROXY_API_KEY", "proxy-secret-key-0000"),
        ]);
        let config = load(&Overrides::default(), &env).expect("valid");
        let shown = serde_json::to_value(masked(&config)).expect("JSON");
        let text = shown.to_string();
        assert!(!text.contains("abcdefghijklmnop"), "{text}");
        assert!(!text.contains("proxy-secret"), "{text}");
        assert_eq!(shown["providers"][0]["api_key"], "gsk_…3f9a");
        assert_eq!(shown["providers"][0]["api_key_from"], "GROQ_API_KEY");
        assert_eq!(shown["routes"]["default"], "groq,openai/gpt-oss-120b");
        assert_eq!(shown["source"], "environment");
    }

    #[test]
    fn the_admin_view_of_a_provider_masks_every_key_and_keeps_its_wire_shape() {
        let env = Env::from_pairs([(
            "GROQ_API_KEYS",
            "gsk_abcdefghijklmnop3f9a,gsk_qrstuvwxyzabcdef7c1b",
        )]);
        let config = load(&Overrides::default(), &env).expect("valid");
        let list = ProviderList {
            providers: config.providers.iter().map(ProviderView::of).collect(),
        };
        let shown = serde_json::to_value(&list).expect("JSON");
        let text = shown.to_string();
        assert!(!text.contains("abcdefghijklmnop"), "{text}");
        assert!(!text.contains("qrstuvwxyzabcdef"), "{text}");
        assert_eq!(
            shown,
            serde_json::json!({"providers": [{
                "name": "groq",
                "type": "openai",
                "base_url": "https://api.groq.com/openai/v1",
                "models": ["openai/gpt-oss-120b"],
                "enabled": true,
                "profile": "generic",
                "api_key": "gsk_…3f9a",
                "api_key_source": "environment variable GROQ_API_KEY",
                "api_keys": ["gsk_…3f9a", "gsk_…7c1b"]
            }]})
        );
    }
}
