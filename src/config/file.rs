//! The JSON configuration file: read into the file's types ([`super::raw`]), then
//! validated strictly (wrong types, unknown keys, routes naming a missing provider and bad
//! URLs are all problems, each with its JSON path, all listed at once), with `${VAR}`
//! references read from the environment.

use std::path::Path;

use serde_json::Value;

use super::catalog::{self, CatalogEntry};
use super::env::{expand, Env};
use super::pool;
use super::prices;
use super::raw::{self, RawConfig, RawProvider, RawRoutes, RawTargets, Sink};
use super::{
    check_base_url, default_log, log_format_problem, log_level_problem, parse_log_format,
    parse_log_level, Config, ConfigError, ConfigSource, ModelEntry, ProviderConfig, ProviderKind,
    RouteName, Routes, Target, DEFAULT_HOST, DEFAULT_LONG_CONTEXT_THRESHOLD,
    DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_REQUEST_BYTES, DEFAULT_PORT,
};
use crate::secret::Secret;
use crate::translate::compat::Profile;

mod resilience;
mod team;

pub(super) fn load(path: &Path, env: &Env) -> Result<Config, ConfigError> {
    let (raw, sink) = read_raw(path)?;
    from_raw(&raw, sink, ConfigSource::File(path.to_path_buf()), env)
}

/// The file in its types, not yet validated; the problems found reading it are in the
/// sink. A file that cannot be read, is not JSON or not an object is an error.
pub(super) fn read_raw(path: &Path) -> Result<(RawConfig, Sink), ConfigError> {
    let value = read(path)?;
    if !value.is_object() {
        let problem = super::Problem::new("(file)", "expected an object");
        return Err(ConfigError::new(path.display().to_string(), vec![problem]));
    }
    Ok(raw::parse::<RawConfig>(value, ""))
}

/// The file's JSON (comments allowed), not yet validated.
fn read(path: &Path) -> Result<Value, ConfigError> {
    let source = path.display().to_string();
    let fail = |message: String| {
        let problem = super::Problem::new("(file)", message);
        ConfigError::new(&source, vec![problem])
    };
    let text = std::fs::read_to_string(path).map_err(|e| fail(format!("cannot read it: {e}")))?;
    serde_json::from_str(&super::jsonc::strip_comments(&text))
        .map_err(|e| fail(format!("not valid JSON: {e}")))
}

/// Validates the file's types; `sink` holds the problems found while reading them.
pub(super) fn from_raw(
    raw: &RawConfig,
    sink: Sink,
    source: ConfigSource,
    env: &Env,
) -> Result<Config, ConfigError> {
    let origin = source.describe();
    let mut reader = Reader { env, sink };
    let config = reader.config(raw, source);
    if reader.sink.is_empty() {
        Ok(config)
    } else {
        Err(ConfigError::new(origin, reader.sink.finish()))
    }
}

/// Validates a [`RawConfig`], collecting every problem instead of stopping at the first.
struct Reader<'a> {
    env: &'a Env,
    sink: Sink,
}

impl Reader<'_> {
    fn config(&mut self, raw: &RawConfig, source: ConfigSource) -> Config {
        self.sink.enter("");
        let mut log = default_log();
        if let Some(level) = self.string("log_level", raw.log_level.as_deref()) {
            match parse_log_level(&level) {
                Some(level) => log.level = level,
                None => self.problem("log_level", log_level_problem(&level)),
            }
        }
        if let Some(format) = self.string("log_format", raw.log_format.as_deref()) {
            match parse_log_format(&format) {
                Some(json) => log.json = json,
                None => self.problem("log_format", log_format_problem(&format)),
            }
        }
        let providers = self.providers(raw.providers.as_deref());
        let routes = self.routes(raw.routes.as_ref(), &providers);
        self.sink.at("prices");
        let prices = prices::read(raw.prices.as_ref(), &providers, &mut self.sink);
        let resilience = self.resilience(raw);
        let team = self.team(raw);
        Config {
            host: self
                .string("host", raw.host.as_deref())
                .unwrap_or_else(|| DEFAULT_HOST.to_string()),
            port: self.port(raw.port).unwrap_or(DEFAULT_PORT),
            api_key: self
                .string("api_key", raw.api_key.as_deref())
                .map(Secret::new),
            providers,
            routes,
            max_request_bytes: self
                .whole("max_request_bytes", raw.max_request_bytes, 1)
                .map_or(DEFAULT_MAX_REQUEST_BYTES, |n| n as usize),
            max_connections: self
                .whole("max_connections", raw.max_connections, 1)
                .map_or(DEFAULT_MAX_CONNECTIONS, |n| n as usize),
            log,
            prices,
            resilience,
            team,
            source,
            unconfigured: false,
        }
    }

    fn providers(&mut self, items: Option<&[Option<RawProvider>]>) -> Vec<ProviderConfig> {
        self.sink.at("providers");
        let items = items.unwrap_or_default();
        if items.is_empty() {
            self.problem("providers", "required: at least one provider");
        }
        let mut providers: Vec<ProviderConfig> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let path = format!("providers[{i}]");
            let Some(provider) = item.as_ref().and_then(|raw| self.provider(&path, raw)) else {
                self.sink.within(&path);
                if item.is_none() {
                    self.problem(&path, "expected an object");
                }
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

    fn provider(&mut self, path: &str, raw: &RawProvider) -> Option<ProviderConfig> {
        self.sink.enter(path);
        let name_path = format!("{path}.name");
        let Some(name) = self.string(&name_path, raw.name.as_deref()) else {
            if raw.name.is_none() {
                self.problem(name_path, "required");
            }
            return None;
        };
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        {
            self.problem(
                name_path,
                format!(
                    "{} must be lowercase letters, digits, '-' or '_'",
                    shown(raw.name.as_deref(), &name)
                ),
            );
        }
        let entry = catalog::lookup(&name);
        let kind = self.kind(path, raw, entry);
        let base_url = self.base_url(path, raw, entry);
        let (api_key, key_var, key_in_file) = self.api_key(path, raw, &name, entry);
        let models = self.models(path, raw.models.as_deref(), entry);
        let enabled = self
            .boolean(&format!("{path}.enabled"), raw.enabled)
            .unwrap_or(true);
        // A custom provider needs a key when one is written for it; `""` says "none".
        let written_key = raw.api_key.as_deref().is_some_and(|key| !key.is_empty());
        let mut provider = ProviderConfig {
            profile: self.profile(path, raw, entry),
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
        let keys_path = format!("{path}.api_keys");
        self.sink.at(&keys_path);
        if let Some(entries) = &raw.api_keys {
            let entries = entries
                .iter()
                .enumerate()
                .map(|(i, entry)| {
                    self.sink.at(&format!("{keys_path}[{i}]"));
                    let expanded = expand(entry.as_deref()?, self.env);
                    expanded.missing.is_empty().then_some(expanded.value)
                })
                .collect();
            let mut problems = Vec::new();
            pool::from_file(&mut provider, entries, &keys_path, &mut problems);
            for problem in problems {
                self.problem(problem.path, problem.message);
            }
        }
        Some(provider)
    }

    fn kind(
        &mut self,
        path: &str,
        raw: &RawProvider,
        entry: Option<&CatalogEntry>,
    ) -> Option<ProviderKind> {
        let at = format!("{path}.type");
        match (self.string(&at, raw.kind.as_deref()), entry) {
            (Some(text), _) => {
                let kind = ProviderKind::parse(&text);
                if kind.is_none() {
                    self.problem(
                        at,
                        format!(
                            "{} is not a provider type ({})",
                            shown(raw.kind.as_deref(), &text),
                            ProviderKind::listed()
                        ),
                    );
                }
                kind
            }
            (None, Some(entry)) => Some(entry.kind),
            (None, None) => {
                if raw.kind.is_none() {
                    self.problem(
                        at,
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
    fn profile(&mut self, path: &str, raw: &RawProvider, entry: Option<&CatalogEntry>) -> Profile {
        let default = catalog::profile(entry);
        let at = format!("{path}.profile");
        let Some(text) = self.string(&at, raw.profile.as_deref()) else {
            return default;
        };
        if let Some(profile) = Profile::parse(&text) {
            return profile;
        }
        let names = Profile::names();
        let near = raw::closest(&text, &names)
            .map(|near| format!(" (did you mean '{near}'?)"))
            .unwrap_or_default();
        self.problem(
            at,
            format!(
                "{} is not a profile{near}; profiles: {}",
                shown(raw.profile.as_deref(), &text),
                names.join(", ")
            ),
        );
        default
    }

    fn base_url(
        &mut self,
        path: &str,
        raw: &RawProvider,
        entry: Option<&CatalogEntry>,
    ) -> Option<String> {
        let at = format!("{path}.base_url");
        match (self.string(&at, raw.base_url.as_deref()), entry) {
            (Some(url), _) => check_base_url(&url, &shown(raw.base_url.as_deref(), &url))
                .map_err(|message| self.problem(at, message))
                .ok(),
            (None, Some(entry)) => Some(entry.base_url.to_string()),
            (None, None) => {
                if raw.base_url.is_none() {
                    self.problem(at, "required for a provider that is not built in");
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
        raw: &RawProvider,
        name: &str,
        entry: Option<&CatalogEntry>,
    ) -> (Option<Secret>, String, bool) {
        let at = format!("{path}.api_key");
        self.sink.at(&at);
        let default_var = entry.map_or_else(|| catalog::key_var(name), |e| e.key_var.to_string());
        let Some(text) = raw.api_key.as_deref() else {
            let key = match self.sink.is_refused(&at) {
                true => None,
                false => self.env.get(&default_var).map(Secret::new),
            };
            return (key, default_var, false);
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
        items: Option<&[Option<ModelEntry>]>,
        entry: Option<&CatalogEntry>,
    ) -> Vec<ModelEntry> {
        let at = format!("{path}.models");
        self.sink.at(&at);
        let Some(items) = items else {
            return entry
                .map(|e| vec![ModelEntry::id(e.default_model)])
                .unwrap_or_default();
        };
        let mut models = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let at = format!("{at}[{i}]");
            self.sink.within(&at);
            let Some(model) = item else {
                self.problem(at, "expected a model name");
                continue;
            };
            let problems = model.problems(&at);
            if problems.is_empty() {
                models.push(model.clone());
            }
            for problem in problems {
                self.problem(problem.path, problem.message);
            }
        }
        models
    }

    fn routes(&mut self, raw: Option<&RawRoutes>, providers: &[ProviderConfig]) -> Routes {
        self.sink.at("routes");
        let mut routes = Routes {
            long_context_threshold: DEFAULT_LONG_CONTEXT_THRESHOLD,
            ..Routes::default()
        };
        if let Some(raw) = raw {
            self.sink.enter("routes");
            for name in RouteName::ALL {
                *routes.get_mut(name) = self.route(raw.get(name).as_ref(), name, providers);
            }
            let threshold = raw.long_context_threshold;
            if let Some(n) = self.whole("routes.long_context_threshold", threshold, 1) {
                routes.long_context_threshold = n;
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
        raw: Option<&RawTargets>,
        name: RouteName,
        providers: &[ProviderConfig],
    ) -> Vec<Target> {
        let path = format!("routes.{name}");
        self.sink.within(&path);
        let items: Vec<(String, Option<&str>)> = match raw {
            None => return Vec::new(),
            Some(RawTargets::One(text)) => vec![(path, Some(text.as_str()))],
            Some(RawTargets::Many(items)) if !items.is_empty() => items
                .iter()
                .enumerate()
                .map(|(i, item)| (format!("{path}[{i}]"), item.as_deref()))
                .collect(),
            Some(RawTargets::Many(_)) => {
                self.problem(
                    path,
                    "expected \"provider,model\" or a non-empty list of them",
                );
                return Vec::new();
            }
        };
        let mut targets = Vec::new();
        for (item_path, text) in items {
            let text = text.map(|s| expand(s, self.env).value);
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

    fn port(&mut self, port: Option<u64>) -> Option<u16> {
        let port = self.whole("port", port, 0)?;
        match u16::try_from(port) {
            Ok(port) => Some(port),
            Err(_) => {
                self.problem("port", format!("{port} is not a port number (0-65535)"));
                None
            }
        }
    }

    /// A string field at `path`, with `${VAR}` expanded; an unset variable is a problem.
    fn string(&mut self, path: &str, raw: Option<&str>) -> Option<String> {
        self.sink.at(path);
        let expanded = expand(raw?, self.env);
        for var in &expanded.missing {
            self.problem(path, format!("environment variable {var} is not set"));
        }
        expanded.missing.is_empty().then_some(expanded.value)
    }

    /// A whole number at `path`, at least `min`.
    fn whole(&mut self, path: &str, value: Option<u64>, min: u64) -> Option<u64> {
        self.sink.at(path);
        match value? {
            n if n >= min => Some(n),
            _ => {
                self.problem(path, format!("expected a whole number ≥ {min}"));
                None
            }
        }
    }

    fn boolean(&mut self, path: &str, value: Option<bool>) -> Option<bool> {
        self.sink.at(path);
        value
    }

    fn problem(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.sink.problem(path, message);
    }
}

/// How a problem names a string field's value: quoted when written literally; by its
/// reference when it came from `${VAR}`, so no variable's value ever appears in a problem
/// (problems are shown by `/status` and the admin API).
fn shown(raw: Option<&str>, value: &str) -> String {
    match raw {
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
