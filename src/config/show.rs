//! The effective configuration as JSON in the config file's own shape, with every key
//! masked: what `ccproxy config show` prints and `GET /status` reports. Never the raw keys.

use serde_json::{json, Map, Value};

use super::{Config, Target};

/// A provider's pool, masked: every key when it has several, else nothing.
fn pool(provider: &super::ProviderConfig) -> Option<Vec<String>> {
    let keys = provider.api_key.iter().chain(&provider.more_keys);
    (!provider.more_keys.is_empty()).then(|| keys.map(|k| k.masked()).collect())
}

/// The configuration in the file format, keys masked, plus where it came from.
pub fn masked(config: &Config) -> Value {
    let providers: Vec<Value> = config
        .providers
        .iter()
        .map(|p| {
            let mut shown = json!({
                "name": p.name,
                "type": p.kind.as_str(),
                "base_url": crate::secret::redact_url(&p.base_url),
                "api_key": p.api_key.as_ref().map(|k| k.masked()),
                "api_key_from": if p.key_in_file { "config file".to_string() } else { p.key_var.clone() },
                "models": p.models,
                "enabled": p.enabled,
            });
            if let Some(pool) = pool(p) {
                shown["api_keys"] = json!(pool);
            }
            shown
        })
        .collect();
    let routes = &config.routes;
    let mut route_map = Map::new();
    for (name, targets) in [
        ("default", &routes.default),
        ("background", &routes.background),
        ("think", &routes.think),
        ("long_context", &routes.long_context),
        ("web_search", &routes.web_search),
        ("image", &routes.image),
    ] {
        if !targets.is_empty() {
            route_map.insert(name.to_string(), targets_json(targets));
        }
    }
    route_map.insert(
        "long_context_threshold".to_string(),
        json!(routes.long_context_threshold),
    );
    let mut shown = json!({
        "source": config.source.describe(),
        "host": config.host,
        "port": config.port,
        "api_key": config.api_key.as_ref().map(|k| k.masked()),
        "log_level": config.log.level,
        "log_format": if config.log.json { "json" } else { "text" },
        "max_request_bytes": config.max_request_bytes,
        "providers": providers,
        "routes": route_map,
        "prices": config.prices.to_json(),
    });
    if let Value::Object(fields) = &mut shown {
        for (key, section) in config.resilience.file_sections() {
            fields.insert(key.to_string(), section);
        }
    }
    shown
}

fn targets_json(targets: &[Target]) -> Value {
    match targets {
        [one] => json!(one.to_string()),
        many => json!(many.iter().map(ToString::to_string).collect::<Vec<_>>()),
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
        let shown = masked(&config);
        let text = shown.to_string();
        assert!(!text.contains("abcdefghijklmnop"), "{text}");
        assert!(!text.contains("proxy-secret"), "{text}");
        assert_eq!(shown["providers"][0]["api_key"], "gsk_…3f9a");
        assert_eq!(shown["providers"][0]["api_key_from"], "GROQ_API_KEY");
        assert_eq!(shown["routes"]["default"], "groq,openai/gpt-oss-120b");
        assert_eq!(shown["source"], "environment");
    }
}
