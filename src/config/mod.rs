//! Configuration: the validated [`Config`] every other module reads, and how it is loaded
//! (environment-only mode, or a JSON file with `${VAR}` references, then environment and
//! command-line overrides). Everything is checked once, at start-up; problems are reported
//! all together, each with its JSON path.

pub(crate) mod catalog;
pub(crate) mod env;
mod env_mode;
mod file;
pub(crate) mod gateway_ids;
pub(crate) mod jsonc;
pub(crate) mod key_hints;
pub(crate) mod limits;
pub(crate) mod live;
mod model_entry;
mod pool;
mod prices;
mod problems;
pub(crate) mod provider_choice;
pub(crate) mod raw;
pub(crate) mod resilience;
mod routes;
pub(crate) mod show;
mod string_or;
pub(crate) mod team;

use std::path::{Path, PathBuf};

pub use env::Env;
pub use model_entry::ModelEntry;
pub use prices::{Billed, Price, Prices};
pub use problems::{ConfigError, Problem};
pub use resilience::{BreakerSettings, Resilience, RetrySettings, Timeouts};
pub use routes::{RouteName, RouteTable, Routes};
pub use team::{OnError, StoreSettings, TeamSettings};

use crate::secret::Secret;
use crate::translate::compat::Profile;

pub const DEFAULT_HOST: &str = "127.0.0.1";
pub const DEFAULT_PORT: u16 = 3456;
pub const DEFAULT_MAX_REQUEST_BYTES: usize = 32 * 1024 * 1024;
/// Client connections served at once; more wait in the listen queue (see `server::listen`).
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;
pub const DEFAULT_LONG_CONTEXT_THRESHOLD: u64 = 60_000;

/// The wire protocol a provider speaks. What each kind does (URLs, auth, requests, model
/// lists, token counting, reading answers) lives in one module of `providers` per kind;
/// adding a kind is described there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    /// OpenAI Chat Completions (`POST {base_url}/chat/completions`).
    OpenAi,
    /// Anthropic Messages, passed through.
    Anthropic,
    /// Google Gemini `generateContent`.
    Gemini,
    /// OpenAI Responses API (`POST {base_url}/responses`).
    Responses,
}

impl ProviderKind {
    /// Every kind, in the order they are listed to users.
    pub const ALL: [Self; 4] = [Self::OpenAi, Self::Anthropic, Self::Gemini, Self::Responses];

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }

    /// The kinds as the config file's `type` spells them: `openai, anthropic, gemini`.
    pub fn listed() -> String {
        Self::ALL.map(Self::as_str).join(", ")
    }

    /// The kind's name in the config file's `type`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OpenAi => "openai",
            Self::Anthropic => "anthropic",
            Self::Gemini => "gemini",
            Self::Responses => "responses",
        }
    }
}

/// One upstream provider.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderConfig {
    pub name: String,
    pub kind: ProviderKind,
    /// Without a trailing slash.
    pub base_url: String,
    pub api_key: Option<Secret>,
    /// The other keys of the provider's pool (`api_keys`, `<NAME>_API_KEYS`), after
    /// `api_key`; empty for a single key. Bound to the same host as `api_key`.
    pub more_keys: Vec<Secret>,
    /// Where the key may be sent: the scheme and authority (`https://api.groq.com`) of the
    /// base URL it was configured with (see [`key_host`]). A key goes nowhere else, even if
    /// `base_url` is later moved: [`ProviderConfig::key`] withholds it then.
    pub key_host: Option<String>,
    /// The environment variable the key comes from (or would come from).
    pub key_var: String,
    /// True when the key is written literally in the config file.
    pub key_in_file: bool,
    pub key_required: bool,
    /// Models this provider serves, with the limits the file states; the first is its
    /// default.
    pub models: Vec<ModelEntry>,
    pub enabled: bool,
    /// What the Anthropic pass-through changes for this host (see `translate::compat`).
    pub profile: Profile,
}

impl ProviderConfig {
    /// Where the user should look when this provider's key is rejected.
    pub fn key_hint(&self) -> String {
        if self.key_in_file {
            format!("the api_key of provider '{}' in the config file", self.name)
        } else {
            format!("your {} environment variable", self.key_var)
        }
    }

    /// The key to send, if there is one and `base_url` is still on the host it was
    /// configured for (see [`ProviderConfig::key_host`]).
    pub fn key(&self) -> Option<&Secret> {
        let bound = self.key_host.as_deref()?;
        self.api_key
            .as_ref()
            .filter(|_| bound.eq_ignore_ascii_case(key_host(&self.base_url)))
    }

    /// Every key of the pool to send (`api_key` first), under the same rule as
    /// [`ProviderConfig::key`]: none once `base_url` has left the keys' host.
    pub fn keys(&self) -> impl Iterator<Item = &Secret> {
        let more = self.key().map(|_| self.more_keys.iter());
        self.key().into_iter().chain(more.into_iter().flatten())
    }

    /// Binds the key to the current `base_url`: for a key configured together with it (the
    /// file, the environment at start-up, an admin request that brings its key).
    pub fn bind_key(&mut self) {
        self.key_host = self
            .api_key
            .as_ref()
            .map(|_| key_host(&self.base_url).to_string());
    }

    /// The environment variable that sets this provider's base URL (`GROQ_BASE_URL`).
    pub fn base_url_var(&self) -> String {
        format!("{}_BASE_URL", catalog::env_prefix(&self.name))
    }

    pub fn default_model(&self) -> Option<&str> {
        self.models.first().map(|m| m.id.as_str())
    }

    /// The entry of a model this provider lists, with its stated limits.
    pub fn model(&self, id: &str) -> Option<&ModelEntry> {
        self.models.iter().find(|m| m.id == id)
    }
}

/// A `provider,model` pair a request can be sent to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub provider: String,
    pub model: String,
}

impl Target {
    /// The model of a target that keeps the client's model: `"anthropic,*"` sends each
    /// request on with the `model` it asked for (the router substitutes it).
    pub const CLIENT_MODEL: &'static str = "*";

    /// Parses `"provider,model"`; the model may itself contain commas-free slashes and colons.
    pub fn parse(text: &str) -> Option<Self> {
        let (provider, model) = text.split_once(',')?;
        let (provider, model) = (provider.trim(), model.trim());
        (!provider.is_empty() && !model.is_empty()).then(|| Self {
            provider: provider.to_string(),
            model: model.to_string(),
        })
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{},{}", self.provider, self.model)
    }
}

/// Log output settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogSettings {
    pub level: String,
    pub json: bool,
}

/// Where the configuration came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigSource {
    Environment,
    File(PathBuf),
}

/// The validated configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub host: String,
    pub port: u16,
    pub api_key: Option<Secret>,
    pub providers: Vec<ProviderConfig>,
    pub routes: Routes,
    pub max_request_bytes: usize,
    /// Client connections served at once (capped further by the descriptor limit).
    pub max_connections: usize,
    pub log: LogSettings,
    /// Model prices, for the cost figures of the statistics.
    pub prices: Prices,
    /// Retries, timeouts and the circuit breaker.
    pub resilience: Resilience,
    /// Developer keys and where team state lives.
    pub team: TeamSettings,
    pub source: ConfigSource,
    /// True when nothing at all was configured (no file, no provider key, no PROVIDER):
    /// errors then also explain how to choose a provider.
    pub unconfigured: bool,
}

impl Config {
    pub fn provider(&self, name: &str) -> Option<&ProviderConfig> {
        self.providers.iter().find(|p| p.name == name)
    }

    pub fn provider_names(&self) -> Vec<String> {
        self.providers.iter().map(|p| p.name.clone()).collect()
    }
}

/// What the command line adds to the environment and the file (flags win).
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub config_path: Option<PathBuf>,
    pub host: Option<String>,
    pub port: Option<u16>,
}

/// Loads and validates the configuration: the file named by `--config`, `CCPROXY_CONFIG` or
/// `~/.ccproxy/config.json` when it exists (never the current directory), else the
/// environment alone; then `CCPROXY_HOST`/`CCPROXY_PORT`/`CCPROXY_API_KEY`, then flags.
pub fn load(overrides: &Overrides, env: &Env) -> Result<Config, ConfigError> {
    let config = match config_path(overrides, env) {
        Some(path) => file::load(&path, env)?,
        None => env_mode::load(env)?,
    };
    finish(config, overrides, env)
}

/// Applies the environment and command-line overrides, then the checks that need them.
fn finish(mut config: Config, overrides: &Overrides, env: &Env) -> Result<Config, ConfigError> {
    let mut problems = Vec::new();
    apply_overrides(&mut config, overrides, env, &mut problems);
    provider_choice::apply(&mut config, env, &mut problems);
    if config.api_key.is_none() && !is_loopback(&config.host) {
        problems.push(Problem::new(
            "host",
            format!(
                "binding {} would expose the proxy to other machines without a key; \
                 set CCPROXY_API_KEY (or api_key) first, or use 127.0.0.1",
                config.host
            ),
        ));
    }
    if problems.is_empty() {
        Ok(config)
    } else {
        Err(ConfigError::new(config.source.describe(), problems))
    }
}

fn config_path(overrides: &Overrides, env: &Env) -> Option<PathBuf> {
    if let Some(path) = &overrides.config_path {
        return Some(path.clone());
    }
    if let Some(path) = env.get("CCPROXY_CONFIG") {
        return Some(PathBuf::from(path));
    }
    let home_file = Path::new(env.get("HOME")?).join(".ccproxy/config.json");
    home_file.is_file().then_some(home_file)
}

fn apply_overrides(
    config: &mut Config,
    overrides: &Overrides,
    env: &Env,
    problems: &mut Vec<Problem>,
) {
    if let Some(host) = env.get("CCPROXY_HOST") {
        config.host = host.to_string();
    }
    if let Some(port) = env.get("CCPROXY_PORT") {
        match port.parse() {
            Ok(port) => config.port = port,
            Err(_) => problems.push(Problem::new(
                "CCPROXY_PORT",
                format!("'{port}' is not a port number"),
            )),
        }
    }
    if let Some(ms) = env.get(resilience::RESPONSE_TIMEOUT_VAR) {
        match ms.parse::<u64>() {
            Ok(ms) if ms > 0 => {
                config.resilience.timeouts.response = std::time::Duration::from_millis(ms);
            }
            _ => problems.push(Problem::new(
                resilience::RESPONSE_TIMEOUT_VAR,
                format!("'{ms}' is not a number of milliseconds (≥ 1)"),
            )),
        }
    }
    apply_store_overrides(&mut config.team.store, env, problems);
    if let Some(key) = env.get("CCPROXY_API_KEY") {
        config.api_key = Some(Secret::new(key));
    }
    if let Some(host) = &overrides.host {
        config.host = host.clone();
    }
    if let Some(port) = overrides.port {
        config.port = port;
    }
    if let Some(level) = env.get("LOG_LEVEL") {
        match parse_log_level(level) {
            Some(level) => config.log.level = level,
            None => problems.push(Problem::new("LOG_LEVEL", log_level_problem(level))),
        }
    }
    if let Some(format) = env.get("LOG_FORMAT") {
        match parse_log_format(format) {
            Some(json) => config.log.json = json,
            None => problems.push(Problem::new("LOG_FORMAT", log_format_problem(format))),
        }
    }
}

/// `CCPROXY_REDIS_URL`, and the embedded store's default file under `~/.ccproxy`.
fn apply_store_overrides(store: &mut StoreSettings, env: &Env, problems: &mut Vec<Problem>) {
    if let Some(url) = env.get(team::REDIS_URL_VAR) {
        let shown = format!("the value of {}", team::REDIS_URL_VAR);
        match team::check_redis_url(url, &shown) {
            Ok(()) => store.redis_url = Some(Secret::new(url)),
            Err(problem) => problems.push(Problem::new(team::REDIS_URL_VAR, problem)),
        }
    }
    if store.path.is_none() {
        store.path = env
            .get("HOME")
            .map(|home| Path::new(home).join(".ccproxy").join(team::STORE_FILE));
    }
}

pub(crate) fn parse_log_level(text: &str) -> Option<String> {
    let level = text.to_ascii_lowercase();
    ["error", "warn", "info", "debug", "trace"]
        .contains(&level.as_str())
        .then_some(level)
}

pub(crate) fn log_level_problem(text: &str) -> String {
    format!("'{text}' is not a log level (error, warn, info, debug, trace)")
}

pub(crate) fn parse_log_format(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "text" => Some(false),
        "json" => Some(true),
        _ => None,
    }
}

pub(crate) fn log_format_problem(text: &str) -> String {
    format!("'{text}' is not a log format (text, json)")
}

pub fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl ConfigSource {
    /// `environment`, or the file's path.
    pub fn describe(&self) -> String {
        match self {
            Self::Environment => "environment".to_string(),
            Self::File(path) => path.display().to_string(),
        }
    }
}

/// The part of a URL a key is bound to: the scheme and authority (`https://api.groq.com`,
/// `http://127.0.0.1:8000`), as written; the whole text when it has no `://`.
pub fn key_host(url: &str) -> &str {
    let Some(start) = url.find("://").map(|at| at + 3) else {
        return url;
    };
    let end = url[start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |at| start + at);
    &url[..end]
}

/// Checks a base URL: absolute http(s), returned without a trailing slash. `shown` is how
/// a problem names the value (never the value itself when it came from a variable).
pub(crate) fn check_base_url(text: &str, shown: &str) -> Result<String, String> {
    let url = url::Url::parse(text).map_err(|e| format!("{shown} is not a valid URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("{shown} must start with http:// or https://"));
    }
    Ok(text.trim_end_matches('/').to_string())
}

fn default_log() -> LogSettings {
    LogSettings {
        level: "info".to_string(),
        json: false,
    }
}

#[cfg(test)]
mod tests;
