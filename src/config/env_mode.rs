//! Environment-only configuration: `PROVIDER=groq` and `GROQ_API_KEY=...` is a complete
//! setup. `<NAME>_API_KEY`, `<NAME>_BASE_URL` and `<NAME>_MODEL` configure a provider; any
//! name with a `<NAME>_BASE_URL` is an OpenAI-compatible server.

use super::catalog::{self, CatalogEntry, CATALOG};
use super::{
    check_base_url, default_log, Config, ConfigError, ConfigSource, Env, ModelEntry, Prices,
    Problem, ProviderConfig, ProviderKind, Resilience, Routes, Target, DEFAULT_HOST,
    DEFAULT_LONG_CONTEXT_THRESHOLD, DEFAULT_MAX_REQUEST_BYTES, DEFAULT_PORT,
};

pub(super) fn load(env: &Env) -> Result<Config, ConfigError> {
    let mut problems = Vec::new();
    let explicit = env.get("PROVIDER").map(|p| p.trim().to_ascii_lowercase());
    let keyed = catalog::keyed(env);
    let default_name = match (&explicit, keyed.as_slice()) {
        (Some(name), _) => name.clone(),
        (None, []) => "groq".to_string(),
        (None, [first, ..]) => first.name.to_string(),
    };
    let mut providers: Vec<ProviderConfig> = CATALOG
        .iter()
        .filter(|entry| keyed.contains(entry) || entry.name == default_name)
        .map(|entry| from_catalog(entry, env, &mut problems))
        .collect();
    if catalog::lookup(&default_name).is_none() {
        if let Some(custom) = custom_provider(&default_name, env, &mut problems) {
            providers.push(custom);
        }
    }
    let default_model = if keeps_client_model(&default_name, env) {
        Some(Target::CLIENT_MODEL.to_string())
    } else {
        providers
            .iter()
            .find(|p| p.name == default_name)
            .and_then(|p| p.default_model().map(str::to_string))
    };
    let routes = Routes {
        default: default_model
            .map(|model| {
                vec![Target {
                    provider: default_name.clone(),
                    model,
                }]
            })
            .unwrap_or_default(),
        long_context_threshold: DEFAULT_LONG_CONTEXT_THRESHOLD,
        ..Routes::default()
    };
    for provider in &mut providers {
        super::pool::from_env(provider, env, &mut problems);
    }
    if !problems.is_empty() {
        return Err(ConfigError::new("environment", problems));
    }
    Ok(Config {
        host: DEFAULT_HOST.to_string(),
        port: DEFAULT_PORT,
        api_key: None,
        providers,
        routes,
        max_request_bytes: DEFAULT_MAX_REQUEST_BYTES,
        max_connections: super::DEFAULT_MAX_CONNECTIONS,
        log: default_log(),
        prices: Prices::default(),
        resilience: Resilience::default(),
        team: super::TeamSettings::default(),
        source: ConfigSource::Environment,
        unconfigured: explicit.is_none() && keyed.is_empty(),
    })
}

/// `PROVIDER=anthropic` without `ANTHROPIC_MODEL`: Claude Code's requests already name a
/// Claude model, so the pass-through keeps it instead of rewriting it to a default.
fn keeps_client_model(default_name: &str, env: &Env) -> bool {
    let is_anthropic = catalog::lookup(default_name)
        .is_some_and(|entry| entry.kind == super::ProviderKind::Anthropic);
    is_anthropic
        && env
            .get(&format!("{}_MODEL", catalog::env_prefix(default_name)))
            .is_none()
}

pub(super) fn from_catalog(
    entry: &CatalogEntry,
    env: &Env,
    problems: &mut Vec<Problem>,
) -> ProviderConfig {
    let prefix = catalog::env_prefix(entry.name);
    let base_url_var = format!("{prefix}_BASE_URL");
    let base_url = match env.get(&base_url_var) {
        Some(url) => check_base_url(url, &format!("'{url}'")).unwrap_or_else(|message| {
            problems.push(Problem::new(base_url_var, message));
            entry.base_url.to_string()
        }),
        None => entry.base_url.to_string(),
    };
    let model = env
        .get(&format!("{prefix}_MODEL"))
        .unwrap_or(entry.default_model);
    let key_var = entry.key_var.to_string();
    ProviderConfig {
        profile: entry.profile,
        ..provider(
            entry.name,
            entry.kind,
            base_url,
            key_var,
            env,
            entry.key_required,
            model,
        )
    }
}

fn custom_provider(name: &str, env: &Env, problems: &mut Vec<Problem>) -> Option<ProviderConfig> {
    let prefix = catalog::env_prefix(name);
    let base_url_var = format!("{prefix}_BASE_URL");
    let Some(url) = env.get(&base_url_var) else {
        problems.push(Problem::new(
            "PROVIDER",
            format!(
                "'{name}' is not a built-in provider ({}); set {base_url_var} to use any \
                 OpenAI-compatible server under that name",
                catalog::names().join(", ")
            ),
        ));
        return None;
    };
    let base_url = check_base_url(url, &format!("'{url}'"))
        .map_err(|message| problems.push(Problem::new(&base_url_var, message)))
        .ok()?;
    let model_var = format!("{prefix}_MODEL");
    let Some(model) = env.get(&model_var) else {
        problems.push(Problem::new(
            model_var,
            format!("required for the custom provider '{name}': the model to use"),
        ));
        return None;
    };
    let key_var = catalog::key_var(name);
    let key_required = env.get(&key_var).is_some();
    Some(provider(
        name,
        ProviderKind::OpenAi,
        base_url,
        key_var,
        env,
        key_required,
        model,
    ))
}

fn provider(
    name: &str,
    kind: ProviderKind,
    base_url: String,
    key_var: String,
    env: &Env,
    key_required: bool,
    model: &str,
) -> ProviderConfig {
    let mut provider = ProviderConfig {
        name: name.to_string(),
        kind,
        base_url,
        api_key: env.get(&key_var).map(crate::secret::Secret::new),
        more_keys: Vec::new(),
        key_host: None,
        key_var,
        key_in_file: false,
        key_required,
        models: vec![ModelEntry::id(model)],
        enabled: true,
        profile: catalog::profile(None),
    };
    provider.bind_key();
    provider
}
