//! The JSON configuration file: read strictly (unknown keys, wrong types, routes naming a
//! missing provider and bad URLs are all problems, each with its JSON path), with `${VAR}`
//! references read from the environment.

use std::path::Path;

use serde_json::{Map, Value};

use super::catalog::{self, CatalogEntry};
use super::env::{expand, Env};
use super::pool;
use super::prices;
use super::resilience::{Resilience, BREAKER_KEYS, MAX_ATTEMPTS_LIMIT, RETRY_KEYS, TIMEOUT_KEYS};
use super::{
    check_base_url, default_log, log_format_problem, log_level_problem, parse_log_format,
    parse_log_level, Config, ConfigError, ConfigSource, ModelEntry, Problem, ProviderConfig,
    ProviderKind, RouteName, Routes, Target, DEFAULT_HOST, DEFAULT_LONG_CONTEXT_THRESHOLD,
    DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_REQUEST_BYTES, DEFAULT_PORT,
};
use crate::secret::Secret;
use crate::translate::compat::Profile;

mod team;

const TOP_KEYS: &[&str] = &[
    "host",
    "port",
    "api_key",
    "log_level",
    "log_format",
    "max_request_bytes",
    "max_connections",
    "providers",
    "routes",
    "prices",
    "retry",
    "timeouts",
    "circuit_breaker",
    "team",
    "store",
];
const PROVIDER_KEYS: &[&str] = &[
    "name", "type", "base_url", "api_key", "api_keys", "models", "enabled", "profile",
];
/// The route names, then `long_context_threshold`.
const ROUTE_KEYS: [&str; RouteName::ALL.len() + 1] = {
    let mut keys = ["long_context_threshold"; RouteName::ALL.len() + 1];
    let mut i = 0;
    while i < RouteName::ALL.len() {
        keys[i] = RouteName::ALL[i].as_str();
        i += 1;
    }
    keys
};

pub(super) fn load(path: &Path, env: &Env) -> Result<Config, ConfigError> {
    let value = read(path)?;
    from_value(&value, ConfigSource::File(path.to_path_buf()), env)
}

/// The file's JSON (comments allowed), not yet validated.
pub(super) fn read(path: &Path) -> Result<Value, ConfigError> {
    let source = path.display().to_string();
    let fail = |message: String| ConfigError::new(&source, vec![Problem::new("(file)", message)]);
    let text = std::fs::read_to_string(path).map_err(|e| fail(format!("cannot read it: {e}")))?;
    serde_json::from_str(&super::jsonc::strip_comments(&text))
        .map_err(|e| fail(format!("not valid JSON: {e}")))
}

/// Validates a config document (the file's JSON, or an edit of it from the admin API).
pub(super) fn from_value(
    value: &Value,
    source: ConfigSource,
    env: &Env,
) -> Result<Config, ConfigError> {
    let origin = source.describe();
    let mut reader = Reader {
        env,
        problems: Vec::new(),
    };
    let config = reader.config(value, source);
    match config {
        Some(config) if reader.problems.is_empty() => Ok(config),
        _ => Err(ConfigError::new(origin, reader.problems)),
    }
}

/// Walks the JSON tree, collecting every problem instead of stopping at the first.
struct Reader<'a> {
    env: &'a Env,
    problems: Vec<Problem>,
}

impl Reader<'_> {
    fn config(&mut self, value: &Value, source: ConfigSource) -> Option<Config> {
        let top = self.object("", value, TOP_KEYS)?;
        let mut log = default_log();
        if let Some(level) = self.string("", top, "log_level") {
            match parse_log_level(&level) {
                Some(level) => log.level = level,
                None => self.problem("log_level", log_level_problem(&level)),
            }
        }
        if let Some(format) = self.string("", top, "log_format") {
            match parse_log_format(&format) {
                Some(json) => log.json = json,
                None => self.problem("log_format", log_format_problem(&format)),
            }
        }
        let providers = self.providers(top.get("providers"));
        let routes = self.routes(top.get("routes"), &providers);
        let prices = prices::read(top.get("prices"), &providers, &mut self.problems);
        let resilience = self.resilience(top);
        let team = self.team(top);
        Some(Config {
            host: self
                .string("", top, "host")
                .unwrap_or_else(|| DEFAULT_HOST.to_string()),
            port: self.port(top).unwrap_or(DEFAULT_PORT),
            api_key: self.string("", top, "api_key").map(Secret::new),
            providers,
            routes,
            max_request_bytes: self
                .integer("", top, "max_request_bytes", 1)
                .map_or(DEFAULT_MAX_REQUEST_BYTES, |n| n as usize),
            max_connections: self
                .integer("", top, "max_connections", 1)
                .map_or(DEFAULT_MAX_CONNECTIONS, |n| n as usize),
            log,
            prices,
            resilience,
            team,
            source,
            unconfigured: false,
        })
    }

    fn providers(&mut self, value: Option<&Value>) -> Vec<ProviderConfig> {
        let Some(Value::Array(items)) = value else {
            let message = match value {
                None => "required: at least one provider",
                Some(_) => "expected a list of providers",
            };
            self.problem("providers", message);
            return Vec::new();
        };
        if items.is_empty() {
            self.problem("providers", "required: at least one provider");
        }
        let mut providers: Vec<ProviderConfig> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let path = format!("providers[{i}]");
            let Some(provider) = self.provider(&path, item) else {
                continue;
            };
            if providers.iter().any(|p| p.name == provider.name) {
                self.problem(
                    format!("{path}.name"),
                    format!("'{}' is used by an earlier provider", provider.name),
                );
                continue;
            }
            providers.push(provider);
        }
        providers
    }

    fn provider(&mut self, path: &str, value: &Value) -> Option<ProviderConfig> {
        let object = self.object(path, value, PROVIDER_KEYS)?;
        let Some(name) = self.string(path, object, "name") else {
            if !object.contains_key("name") {
                self.problem(format!("{path}.name"), "required");
            }
            return None;
        };
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        {
            self.problem(
                format!("{path}.name"),
                format!(
                    "{} must be lowercase letters, digits, '-' or '_'",
                    shown(object, "name", &name)
                ),
            );
        }
        let entry = catalog::lookup(&name);
        let kind = self.kind(path, object, entry);
        let base_url = self.base_url(path, object, entry);
        let (api_key, key_var, key_in_file) = self.api_key(path, object, &name, entry);
        let models = self.models(path, object, entry);
        let enabled = self.boolean(path, object, "enabled").unwrap_or(true);
        // A custom provider needs a key when one is written for it; `""` says "none".
        let written_key = object
            .get("api_key")
            .is_some_and(|key| key.as_str() != Some(""));
        let mut provider = ProviderConfig {
            profile: self.profile(path, object, entry),
            key_required: entry.map_or(written_key, |e| e.key_required),
            name,
            kind: kind?,
            base_url: base_url?,
            api_key,
            more_keys: Vec::new(),
            key_host: None,
            key_var,
            key_in_file,
            models,
            enabled,
        };
        provider.bind_key();
        if let Some(entries) = self.api_keys(path, object) {
            pool::from_file(
                &mut provider,
                entries,
                &format!("{path}.api_keys"),
                &mut self.problems,
            );
        }
        Some(provider)
    }

    /// The `api_keys` list, each entry expanded (`None` for one that is not a string, or
    /// names an unset variable); `None` when there is no list.
    fn api_keys(&mut self, path: &str, object: &Map<String, Value>) -> Option<Vec<Option<String>>> {
        let value = object.get("api_keys")?;
        let Value::Array(items) = value else {
            self.problem(format!("{path}.api_keys"), "expected a list of strings");
            return None;
        };
        let entries = items
            .iter()
            .map(|item| {
                let text = item.as_str()?;
                let expanded = expand(text, self.env);
                expanded.missing.is_empty().then_some(expanded.value)
            })
            .collect();
        Some(entries)
    }

    fn kind(
        &mut self,
        path: &str,
        object: &Map<String, Value>,
        entry: Option<&CatalogEntry>,
    ) -> Option<ProviderKind> {
        match (self.string(path, object, "type"), entry) {
            (Some(text), _) => {
                let kind = ProviderKind::parse(&text);
                if kind.is_none() {
                    self.problem(
                        format!("{path}.type"),
                        format!(
                            "{} is not a provider type ({})",
                            shown(object, "type", &text),
                            ProviderKind::listed()
                        ),
                    );
                }
                kind
            }
            (None, Some(entry)) => Some(entry.kind),
            (None, None) => {
                if !object.contains_key("type") {
                    self.problem(
                        format!("{path}.type"),
                        format!(
                            "required for a provider that is not built in ({})",
                            ProviderKind::listed()
                        ),
                    );
                }
                None
            }
        }
    }

    /// `profile`: one of the compatibility profiles (see `translate::compat`); the built-in
    /// provider's own, or `generic`, when not given.
    fn profile(
        &mut self,
        path: &str,
        object: &Map<String, Value>,
        entry: Option<&CatalogEntry>,
    ) -> Profile {
        let default = catalog::profile(entry);
        let Some(text) = self.string(path, object, "profile") else {
            return default;
        };
        if let Some(profile) = Profile::parse(&text) {
            return profile;
        }
        let names = Profile::names();
        let near = closest(&text, &names)
            .map(|near| format!(" (did you mean '{near}'?)"))
            .unwrap_or_default();
        self.problem(
            format!("{path}.profile"),
            format!(
                "{} is not a profile{near}; profiles: {}",
                shown(object, "profile", &text),
                names.join(", ")
            ),
        );
        default
    }

    fn base_url(
        &mut self,
        path: &str,
        object: &Map<String, Value>,
        entry: Option<&CatalogEntry>,
    ) -> Option<String> {
        match (self.string(path, object, "base_url"), entry) {
            (Some(url), _) => check_base_url(&url, &shown(object, "base_url", &url))
                .map_err(|message| self.problem(format!("{path}.base_url"), message))
                .ok(),
            (None, Some(entry)) => Some(entry.base_url.to_string()),
            (None, None) => {
                if !object.contains_key("base_url") {
                    self.problem(
                        format!("{path}.base_url"),
                        "required for a provider that is not built in",
                    );
                }
                None
            }
        }
    }

    /// The key, the variable it comes from, and whether it is written in the file. A key
    /// whose variable is unset is not a problem: requests to that provider say so.
    fn api_key(
        &mut self,
        path: &str,
        object: &Map<String, Value>,
        name: &str,
        entry: Option<&CatalogEntry>,
    ) -> (Option<Secret>, String, bool) {
        let default_var = entry.map_or_else(|| catalog::key_var(name), |e| e.key_var.to_string());
        let Some(value) = object.get("api_key") else {
            let key = self.env.get(&default_var).map(Secret::new);
            return (key, default_var, false);
        };
        let Value::String(text) = value else {
            self.problem(format!("{path}.api_key"), "expected a string");
            return (None, default_var, false);
        };
        let expanded = expand(text, self.env);
        let key = (!expanded.value.is_empty() && expanded.missing.is_empty())
            .then(|| Secret::new(expanded.value));
        match expanded.referenced.into_iter().next() {
            Some(var) => (key, var, false),
            None => (key, default_var, true),
        }
    }

    fn models(
        &mut self,
        path: &str,
        object: &Map<String, Value>,
        entry: Option<&CatalogEntry>,
    ) -> Vec<ModelEntry> {
        let fallback = || {
            entry
                .map(|e| vec![ModelEntry::id(e.default_model)])
                .unwrap_or_default()
        };
        let Some(value) = object.get("models") else {
            return fallback();
        };
        let Value::Array(items) = value else {
            self.problem(format!("{path}.models"), "expected a list of model names");
            return fallback();
        };
        let mut models = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let at = format!("{path}.models[{i}]");
            match serde_path_to_error::deserialize::<_, ModelEntry>(item) {
                Ok(model) => {
                    let problems = model.problems(&at);
                    if problems.is_empty() {
                        models.push(model);
                    }
                    self.problems.extend(problems);
                }
                Err(error) => self.problems.push(serde_problem(&at, &error)),
            }
        }
        models
    }

    fn routes(&mut self, value: Option<&Value>, providers: &[ProviderConfig]) -> Routes {
        let mut routes = Routes {
            long_context_threshold: DEFAULT_LONG_CONTEXT_THRESHOLD,
            ..Routes::default()
        };
        if let Some(value) = value {
            if let Some(object) = self.object("routes", value, &ROUTE_KEYS) {
                for name in RouteName::ALL {
                    *routes.get_mut(name) = self.route(object, name.as_str(), providers);
                }
                if let Some(n) = self.integer("routes", object, "long_context_threshold", 1) {
                    routes.long_context_threshold = n;
                }
            }
        }
        if routes.default.is_empty() {
            let first = providers.iter().find_map(|p| Some((p, p.default_model()?)));
            match first {
                Some((provider, model)) => routes.default.push(Target {
                    provider: provider.name.clone(),
                    model: model.to_string(),
                }),
                None if !providers.is_empty() => self.problem(
                    "routes.default",
                    "required: no provider lists a model to use by default",
                ),
                None => {}
            }
        }
        routes
    }

    fn route(
        &mut self,
        object: &Map<String, Value>,
        key: &str,
        providers: &[ProviderConfig],
    ) -> Vec<Target> {
        let path = format!("routes.{key}");
        let items: Vec<(String, &Value)> = match object.get(key) {
            None => return Vec::new(),
            Some(Value::Array(items)) if !items.is_empty() => items
                .iter()
                .enumerate()
                .map(|(i, v)| (format!("{path}[{i}]"), v))
                .collect(),
            Some(value @ Value::String(_)) => vec![(path.clone(), value)],
            Some(_) => {
                self.problem(
                    path,
                    "expected \"provider,model\" or a non-empty list of them",
                );
                return Vec::new();
            }
        };
        let mut targets = Vec::new();
        for (item_path, value) in items {
            let text = value.as_str().map(|s| expand(s, self.env).value);
            let Some(target) = text.as_deref().and_then(Target::parse) else {
                self.problem(item_path, "expected \"provider,model\"");
                continue;
            };
            if providers.iter().all(|p| p.name != target.provider) {
                let names: Vec<&str> = providers.iter().map(|p| p.name.as_str()).collect();
                self.problem(
                    item_path,
                    format!(
                        "provider '{}' is not configured (configured: {})",
                        target.provider,
                        names.join(", ")
                    ),
                );
                continue;
            }
            targets.push(target);
        }
        targets
    }

    /// The `retry`, `timeouts` and `circuit_breaker` sections; absent keys keep defaults.
    fn resilience(&mut self, top: &Map<String, Value>) -> Resilience {
        let mut settings = Resilience::default();
        if let Some(retry) = self.section(top, "retry", RETRY_KEYS) {
            if let Some(n) = self.integer("retry", retry, "max_attempts", 1) {
                if n > MAX_ATTEMPTS_LIMIT {
                    let message = format!("at most {MAX_ATTEMPTS_LIMIT}");
                    self.problem("retry.max_attempts", message);
                } else {
                    settings.retry.max_attempts = n as u32;
                }
            }
            let wait = self.millis("retry", retry, "max_retry_wait_ms", 0);
            settings.retry.max_retry_wait = wait.unwrap_or(settings.retry.max_retry_wait);
            let base = self.millis("retry", retry, "base_delay_ms", 0);
            settings.retry.base_delay = base.unwrap_or(settings.retry.base_delay);
            let total = self.millis("retry", retry, "total_ms", 1);
            settings.retry.total = total.unwrap_or(settings.retry.total);
            let cooldown = self.millis("retry", retry, "key_cooldown_ms", 1);
            settings.retry.key_cooldown = cooldown.unwrap_or(settings.retry.key_cooldown);
        }
        if let Some(timeouts) = self.section(top, "timeouts", TIMEOUT_KEYS) {
            let t = &mut settings.timeouts;
            t.connect = self
                .millis("timeouts", timeouts, "connect_ms", 1)
                .unwrap_or(t.connect);
            t.response = self
                .millis("timeouts", timeouts, "response_ms", 1)
                .unwrap_or(t.response);
            let idle = self.millis("timeouts", timeouts, "stream_idle_ms", 1);
            t.stream_idle = idle.unwrap_or(t.stream_idle);
            let total = self.millis("timeouts", timeouts, "total_ms", 1);
            t.total = total.unwrap_or(t.total);
            let body = self.millis("timeouts", timeouts, "client_body_ms", 1);
            t.client_body = body.unwrap_or(t.client_body);
            let head = self.millis("timeouts", timeouts, "client_header_ms", 1);
            t.client_header = head.unwrap_or(t.client_header);
            let grace = self.millis("timeouts", timeouts, "shutdown_grace_ms", 1);
            t.shutdown_grace = grace.unwrap_or(t.shutdown_grace);
        }
        if let Some(breaker) = self.section(top, "circuit_breaker", BREAKER_KEYS) {
            let b = &mut settings.breaker;
            let threshold = self.integer("circuit_breaker", breaker, "failure_threshold", 1);
            b.failure_threshold =
                threshold.map_or(b.failure_threshold, |n| n.min(u32::MAX.into()) as u32);
            let cooldown = self.millis("circuit_breaker", breaker, "cooldown_ms", 1);
            b.cooldown = cooldown.unwrap_or(b.cooldown);
            let rate = self.fraction("circuit_breaker", breaker, "failure_rate");
            b.failure_rate = rate.unwrap_or(b.failure_rate);
            let min = self.integer("circuit_breaker", breaker, "min_requests", 1);
            b.min_requests = min.map_or(b.min_requests, |n| n.min(u32::MAX.into()) as u32);
            let window = self.millis("circuit_breaker", breaker, "window_ms", 1);
            b.window = window.unwrap_or(b.window);
        }
        settings
    }

    fn section<'v>(
        &mut self,
        top: &'v Map<String, Value>,
        key: &str,
        known: &[&str],
    ) -> Option<&'v Map<String, Value>> {
        let value = top.get(key)?;
        self.object(key, value, known)
    }

    fn millis(
        &mut self,
        path: &str,
        object: &Map<String, Value>,
        key: &str,
        min: u64,
    ) -> Option<std::time::Duration> {
        self.integer(path, object, key, min)
            .map(std::time::Duration::from_millis)
    }

    fn port(&mut self, top: &Map<String, Value>) -> Option<u16> {
        let port = self.integer("", top, "port", 0)?;
        match u16::try_from(port) {
            Ok(port) => Some(port),
            Err(_) => {
                self.problem("port", format!("{port} is not a port number (0-65535)"));
                None
            }
        }
    }

    /// An object at `path`; unknown keys are reported (with a close known key, if any).
    fn object<'v>(
        &mut self,
        path: &str,
        value: &'v Value,
        known: &[&str],
    ) -> Option<&'v Map<String, Value>> {
        let Value::Object(object) = value else {
            let at = if path.is_empty() { "(file)" } else { path };
            self.problem(at, "expected an object");
            return None;
        };
        for key in object.keys().filter(|k| !known.contains(&k.as_str())) {
            let message = match closest(key, known) {
                Some(near) => format!("unknown field (did you mean '{near}'?)"),
                None => format!("unknown field (known: {})", known.join(", ")),
            };
            self.problem(join(path, key), message);
        }
        Some(object)
    }

    /// A string field, with `${VAR}` expanded; an unset variable is a problem.
    fn string(&mut self, path: &str, object: &Map<String, Value>, key: &str) -> Option<String> {
        match object.get(key)? {
            Value::String(text) => {
                let expanded = expand(text, self.env);
                for var in &expanded.missing {
                    self.problem(
                        join(path, key),
                        format!("environment variable {var} is not set"),
                    );
                }
                expanded.missing.is_empty().then_some(expanded.value)
            }
            _ => {
                self.problem(join(path, key), "expected a string");
                None
            }
        }
    }

    fn integer(
        &mut self,
        path: &str,
        object: &Map<String, Value>,
        key: &str,
        min: u64,
    ) -> Option<u64> {
        match object.get(key)?.as_u64() {
            Some(n) if n >= min => Some(n),
            _ => {
                self.problem(join(path, key), format!("expected a whole number ≥ {min}"));
                None
            }
        }
    }

    /// A number from 0 to 1.
    fn fraction(&mut self, path: &str, object: &Map<String, Value>, key: &str) -> Option<f64> {
        match object.get(key)?.as_f64() {
            Some(n) if (0.0..=1.0).contains(&n) => Some(n),
            _ => {
                self.problem(join(path, key), "expected a number from 0 to 1");
                None
            }
        }
    }

    fn boolean(&mut self, path: &str, object: &Map<String, Value>, key: &str) -> Option<bool> {
        let value = object.get(key)?;
        let flag = value.as_bool();
        if flag.is_none() {
            self.problem(join(path, key), "expected true or false");
        }
        flag
    }

    fn problem(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem::new(path, message));
    }
}

/// How a problem names a string field's value: quoted when written literally; by its
/// reference when it came from `${VAR}`, so no variable's value ever appears in a problem
/// (problems are shown by `/status` and the admin API).
fn shown(object: &Map<String, Value>, key: &str, value: &str) -> String {
    match object.get(key).and_then(Value::as_str) {
        Some(raw) if raw.contains("${") => {
            let whole = raw.strip_prefix("${").and_then(|r| r.strip_suffix('}'));
            match whole {
                Some(var) if !var.contains('}') => format!("the value of ${{{var}}}"),
                _ => format!("'{raw}' (with its variables expanded)"),
            }
        }
        _ => format!("'{value}'"),
    }
}

/// A serde error as a problem at its JSON path under `base` (an unknown key's path ends in
/// that key), with the closest known key for an unknown one ("unknown field (did you mean 'id'?)"); any other
/// error keeps serde's text ("invalid type: string \"x\", expected u64").
fn serde_problem(base: &str, error: &serde_path_to_error::Error<serde_json::Error>) -> Problem {
    let inner = error.path().to_string();
    let path = match inner.as_str() {
        "." => base.to_string(),
        _ if base.is_empty() => inner,
        _ => format!("{base}.{inner}"),
    };
    let text = error.inner().to_string();
    let text = text.split(" at line ").next().unwrap_or(&text);
    let Some(rest) = text.strip_prefix("unknown field `") else {
        return Problem::new(path, text);
    };
    let (key, known) = rest.split_once('`').unwrap_or((rest, ""));
    let known: Vec<&str> = known.split('`').skip(1).step_by(2).collect();
    let message = match closest(key, &known) {
        Some(near) => format!("unknown field (did you mean '{near}'?)"),
        None => format!("unknown field (known: {})", known.join(", ")),
    };
    Problem::new(path, message)
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// The known key closest to a misspelt one (edit distance ≤ 2).
fn closest<'k>(key: &str, known: &[&'k str]) -> Option<&'k str> {
    known
        .iter()
        .map(|k| (edit_distance(key, k), *k))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}
