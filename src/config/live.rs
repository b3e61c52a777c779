//! Live configuration: the document behind the running [`Config`], in the file's types
//! ([`RawConfig`]: the config file as written, `${VAR}` references kept; or, in
//! environment-only mode, a document built from the running config), the admin API's edits of its providers, re-reading the file, and
//! writing it back atomically with mode 0600.
//!
//! Every candidate goes through the file's own strict reader, so an edit is accepted
//! exactly when the same text in the file would be, with one exception: a provider sent to
//! the admin API may not hold `${VAR}` references (they would be expanded from this
//! process's environment, which a client must not read). Keys are bound to hosts (see
//! [`ProviderConfig::key_host`]): a replacement that moves a provider to another host must
//! bring its key, a provider added without a key gets none (not even `<NAME>_API_KEY`), and
//! no edit moves a key the configuration already held. `host` and `port` keep their running
//! values (changing them needs a restart, as do the log settings).

use std::path::Path;

use serde_json::Value;

use super::raw::{self, RawConfig, RawProvider, RawRoutes, RawTargets, Sink};
use super::{catalog, file, finish, Config, ConfigError, ConfigSource, Env, Overrides, RouteName};
use super::{key_host, ProviderConfig, Target, DEFAULT_MAX_REQUEST_BYTES};

/// The character [`crate::secret::mask`] puts in every masked key: a key sent back as read
/// (masked) means "keep the key I have".
const MASK_MARK: char = '…';

/// The document of the running configuration, in the file's types.
#[derive(Debug, Clone, PartialEq)]
pub struct Document(Box<RawConfig>);

/// One change the admin API asks for.
#[derive(Debug, Clone)]
pub enum Edit {
    Add(Value),
    Replace(String, Value),
    Delete(String),
    Toggle(String),
    /// Adds a key (the second field) to a provider's pool.
    AddKey(String, String),
    /// Removes a key, named as shown (masked) or whole, from a provider's pool.
    RemoveKey(String, String),
}

/// Why the admin API's edit was refused. The server turns it into its error response.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EditError {
    #[error("no provider named '{name}' is configured")]
    NoSuchProvider {
        name: String,
        available: Vec<String>,
    },
    #[error("a provider named '{name}' already exists")]
    ProviderExists { name: String },
    /// A field of the request itself is unacceptable (not a configuration problem).
    #[error("invalid field `{field}`: {reason}")]
    Field { field: String, reason: String },
    /// The configuration the edit would make is invalid: every problem, with its path.
    #[error("{0}")]
    Invalid(ConfigError),
}

impl EditError {
    fn field(field: &str, reason: impl Into<String>) -> Self {
        Self::Field {
            field: field.to_string(),
            reason: reason.into(),
        }
    }
}

/// What re-reading the config file found.
#[derive(Debug)]
pub enum Reload {
    /// The file says what the running configuration already says.
    Unchanged,
    Applied(Document, Box<Config>),
    Refused(ConfigError),
}

impl Document {
    /// The document behind `config`: the file as written, or one built from an environment
    /// configuration (keys as `${VAR}` references, never literally).
    pub fn of(config: &Config) -> Result<Self, ConfigError> {
        match &config.source {
            ConfigSource::File(path) => {
                let (raw, sink) = file::read_raw(path)?;
                match sink.is_empty() {
                    true => Ok(Self(Box::new(raw))),
                    false => Err(ConfigError::new(config.source.describe(), sink.finish())),
                }
            }
            ConfigSource::Environment => Ok(Self(Box::new(from_config(config)))),
        }
    }

    /// The providers as written, as JSON.
    #[cfg(test)]
    pub fn providers(&self) -> Vec<Value> {
        let providers = self.0.providers.iter().flatten().flatten();
        providers
            .map(|p| serde_json::to_value(p).unwrap_or_default())
            .collect()
    }

    /// Applies `edit` and validates the result like the file; returns the new document and
    /// configuration, or why not.
    pub fn edit(&self, running: &Config, edit: Edit) -> Result<(Self, Config), EditError> {
        let mut next = self.0.clone();
        // The provider whose request brought its own key, if any.
        let mut keyed = None;
        // The problems of a provider sent in the request, placed by the validator.
        let mut sink = Sink::default();
        match edit {
            Edit::Add(provider) => (keyed, sink) = add(&mut next, running, provider)?,
            Edit::Replace(name, provider) => {
                let brought;
                (brought, sink) = replace(&mut next, running, &name, provider)?;
                if brought {
                    keyed = Some(name);
                }
            }
            Edit::Delete(name) => {
                let i = position(&next, running, &name)?;
                providers_mut(&mut next).remove(i);
                remove_from_routes(&mut next, &name);
            }
            Edit::AddKey(name, key) => {
                pools::add(entry(&mut next, running, &name)?, running, &name, &key)?;
                keyed = Some(name);
            }
            Edit::RemoveKey(name, key) => {
                pools::remove(entry(&mut next, running, &name)?, running, &name, &key)?;
                keyed = Some(name);
            }
            Edit::Toggle(name) => {
                let i = position(&next, running, &name)?;
                let enabled = running.provider(&name).is_none_or(|p| p.enabled);
                if let Some(provider) = &mut providers_mut(&mut next)[i] {
                    provider.enabled = Some(!enabled);
                }
            }
        }
        let mut config = validate(&next, sink, running).map_err(EditError::Invalid)?;
        keep_key_hosts(&mut config, running, keyed.as_deref());
        Ok((Self(next), config))
    }

    /// Writes the document to `path` (see [`write_private`]).
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let text = serde_json::to_string_pretty(&self.0).map_err(std::io::Error::other)?;
        write_private(path, text.as_bytes())
    }

    /// Re-reads the config file of `running`; a new valid file replaces the configuration,
    /// an invalid one is refused with its problems.
    pub fn reload(&self, running: &Config) -> Reload {
        let ConfigSource::File(path) = &running.source else {
            return Reload::Unchanged;
        };
        let (raw, sink) = match file::read_raw(path) {
            Ok(read) => read,
            Err(error) => return Reload::Refused(error),
        };
        if sink.is_empty() && raw == *self.0 {
            return Reload::Unchanged;
        }
        match validate(&raw, sink, running) {
            Ok(config) => Reload::Applied(Self(Box::new(raw)), Box::new(config)),
            Err(error) => Reload::Refused(error),
        }
    }
}

/// Validates a candidate document with the running host and port, and the environment the
/// running configuration read (the process environment, plus the provider keys it took
/// from variables, so a test's or an embedder's environment carries over). A pool written
/// in the file took its keys from its `api_keys` list, not from `<NAME>_API_KEY`. `sink`
/// holds the problems found while reading the document.
fn validate(raw: &RawConfig, sink: Sink, running: &Config) -> Result<Config, ConfigError> {
    let mut env = Env::from_process();
    let from_file = matches!(running.source, ConfigSource::File(_));
    for provider in &running.providers {
        if from_file && !provider.more_keys.is_empty() {
            continue;
        }
        if let (Some(key), false) = (&provider.api_key, provider.key_in_file) {
            if env.get(&provider.key_var).is_none() {
                env.set(&provider.key_var, key.expose());
            }
        }
    }
    let config = file::from_raw(raw, sink, running.source.clone(), &env)?;
    let overrides = Overrides {
        config_path: None,
        host: Some(running.host.clone()),
        port: Some(running.port),
    };
    finish(config, &overrides, &env)
}

/// The document of an environment-only configuration.
fn from_config(config: &Config) -> RawConfig {
    let providers = config
        .providers
        .iter()
        .map(|p| {
            let key = p.api_key.is_some() || p.key_required;
            Some(RawProvider {
                name: Some(p.name.clone()),
                kind: Some(p.kind.as_str().to_string()),
                base_url: Some(p.base_url.clone()),
                api_key: key.then(|| format!("${{{}}}", p.key_var)),
                models: Some(p.models.iter().cloned().map(Some).collect()),
                enabled: Some(p.enabled),
                ..RawProvider::default()
            })
        })
        .collect();
    let mut routes = RawRoutes {
        long_context_threshold: Some(config.routes.long_context_threshold),
        ..RawRoutes::default()
    };
    for (name, targets) in config.routes.configured() {
        let texts = targets.iter().map(|t| Some(t.to_string())).collect();
        *routes.get_mut(name) = Some(RawTargets::Many(texts));
    }
    let limit = |value: usize, default: usize| (value != default).then_some(value as u64);
    RawConfig {
        providers: Some(providers),
        routes: Some(routes),
        max_request_bytes: limit(config.max_request_bytes, DEFAULT_MAX_REQUEST_BYTES),
        max_connections: limit(config.max_connections, super::DEFAULT_MAX_CONNECTIONS),
        ..RawConfig::default()
    }
}

/// The `providers` list of a document.
fn providers_mut(document: &mut RawConfig) -> &mut Vec<Option<RawProvider>> {
    document.providers.get_or_insert_default()
}

/// The document entry of provider `name`.
fn entry<'d>(
    document: &'d mut RawConfig,
    running: &Config,
    name: &str,
) -> Result<&'d mut RawProvider, EditError> {
    let i = position(document, running, name)?;
    providers_mut(document)[i]
        .as_mut()
        .ok_or_else(|| EditError::field("providers", "expected a provider object"))
}

fn position(document: &RawConfig, running: &Config, name: &str) -> Result<usize, EditError> {
    let named = |p: &Option<RawProvider>| p.as_ref().and_then(|p| p.name.as_deref()) == Some(name);
    document
        .providers
        .iter()
        .flatten()
        .position(named)
        .ok_or_else(|| EditError::NoSuchProvider {
            name: name.to_string(),
            available: running.provider_names(),
        })
}

/// A provider sent to the admin API, read like the file's `providers[i]`; its problems
/// are in the sink.
fn parse_provider(body: Value, i: usize) -> Result<(RawProvider, Sink), EditError> {
    if !body.is_object() {
        return Err(EditError::field("body", "expected a provider object"));
    }
    Ok(raw::parse(body, &format!("providers[{i}]")))
}

/// After an admin edit, each key keeps the host it was bound to when it was configured
/// (a document re-read does not move it): only the key an admin request brought itself
/// (`keyed`) is bound to that request's `base_url`. A key the reader found anywhere else
/// for a new or re-created name (`<NAME>_API_KEY` in this process's environment) is bound
/// to no host, so it is never sent.
fn keep_key_hosts(config: &mut Config, running: &Config, keyed: Option<&str>) {
    for provider in &mut config.providers {
        if keyed == Some(provider.name.as_str()) {
            continue;
        }
        let held = running
            .provider(&provider.name)
            .filter(|before| before.api_key.is_some() && before.api_key == provider.api_key);
        provider.key_host = held.and_then(|before| before.key_host.clone());
    }
}

/// Adds a provider; returns its name when the request brought a key for it. Without one it
/// is written with `"api_key": ""` so that no environment key is picked up for it, now or
/// after a restart.
fn add(
    document: &mut RawConfig,
    running: &Config,
    body: Value,
) -> Result<(Option<String>, Sink), EditError> {
    let (mut provider, sink) = parse_provider(body, providers_mut(document).len())?;
    refuse_references(&provider)?;
    let name = provider.name.clone();
    if let Some(name) = &name {
        if position(document, running, name).is_ok() {
            return Err(EditError::ProviderExists { name: name.clone() });
        }
    }
    refuse_metadata_host(provider.base_url.as_deref())?;
    let brought = brings_key(&provider);
    if !brought {
        provider.api_key = Some(String::new());
    }
    providers_mut(document).push(Some(provider));
    Ok((name.filter(|_| brought), sink))
}

/// True when a provider sent to the admin API carries its own key (not a masked one).
fn brings_key(provider: &RawProvider) -> bool {
    provider
        .api_key
        .as_deref()
        .is_some_and(|key| !key.contains(MASK_MARK))
}

/// Replaces a provider; returns true when the request brought a key for it.
fn replace(
    document: &mut RawConfig,
    running: &Config,
    name: &str,
    body: Value,
) -> Result<(bool, Sink), EditError> {
    let i = position(document, running, name)?;
    let (mut provider, sink) = parse_provider(body, i)?;
    refuse_references(&provider)?;
    let brought = brings_key(&provider);
    match provider.name.as_deref() {
        None => provider.name = Some(name.to_string()),
        Some(given) if given == name => {}
        Some(_) => {
            return Err(EditError::field(
                "name",
                format!("must be '{name}', as in the path (to rename, DELETE then POST)"),
            ))
        }
    }
    let written = providers_mut(document)[i].clone().unwrap_or_default();
    let old = running.provider(name);
    let shown_url = old.map(|p| crate::secret::redact_url(&p.base_url));
    let url_as_shown = provider.base_url == shown_url;
    if url_as_shown && old.is_some_and(|p| Some(&p.base_url) != shown_url.as_ref()) {
        // The redacted URL sent back as read: keep the URL (and its credentials) as written.
        if written.base_url.is_some() {
            provider.base_url = written.base_url.clone();
        }
    }
    refuse_metadata_host(provider.base_url.as_deref())?;
    if !brought {
        let moves = old.is_some_and(|p| moves_host(p, name, &provider));
        if moves && old.is_some_and(|p| p.api_key.is_some()) {
            return Err(EditError::field(
                "api_key",
                "base_url now points at another host, and the stored key is never sent to a \
                 new host: send the api_key for it (\"\" for none)",
            ));
        }
        provider.api_key = match moves {
            true => Some(String::new()),
            false => written.api_key,
        };
    }
    providers_mut(document)[i] = Some(provider);
    Ok((brought, sink))
}

/// Refuses `${VAR}` in a provider sent by a client: expanded, it would put this process's
/// environment into a URL the client reads back, a problem message, or a key sent to a
/// host of the client's choosing. References belong in the config file, edited by hand.
fn refuse_references(provider: &RawProvider) -> Result<(), EditError> {
    let refers = |text: &Option<String>| text.as_deref().is_some_and(|t| t.contains("${"));
    let listed = |items: &Option<Vec<Option<String>>>| items.iter().flatten().any(refers);
    let models = provider.models.iter().flatten().flatten();
    let fields = [
        ("api_key", refers(&provider.api_key)),
        ("api_keys", listed(&provider.api_keys)),
        ("base_url", refers(&provider.base_url)),
        ("models", models.clone().any(|m| m.id.contains("${"))),
        ("name", refers(&provider.name)),
        ("profile", refers(&provider.profile)),
        ("type", refers(&provider.kind)),
    ];
    match fields.into_iter().find(|(_, refers)| *refers) {
        Some((key, _)) => Err(EditError::field(
            key,
            "${VAR} references are not expanded in admin API requests (they would expose \
             this process's environment): send the value itself, or write the reference in \
             the config file",
        )),
        None => Ok(()),
    }
}

/// Host names of cloud metadata services (instance credentials live there).
const METADATA_NAMES: [&str; 6] = [
    "metadata",
    "metadata.google.internal",
    "metadata.goog",
    "instance-data",
    "instance-data.ec2.internal",
    "metadata.azure.internal",
];

/// Refuses a `base_url` sent to the admin API on a link-local or cloud-metadata address
/// (169.254.0.0/16, fe80::/10, AWS's fd00:ec2::254, Alibaba's 100.100.100.200,
/// `metadata.google.internal`, ...): a client must not turn the proxy into a way to read
/// this machine's cloud credentials. Loopback and private addresses stay allowed (Ollama,
/// vLLM). A URL that does not parse is left to the validator.
fn refuse_metadata_host(base_url: Option<&str>) -> Result<(), EditError> {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    let Some(url) = base_url else {
        return Ok(());
    };
    let Ok(url) = url::Url::parse(url) else {
        return Ok(());
    };
    let Some(host) = url.host_str() else {
        return Ok(());
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let link_local_v4 =
        |ip: Ipv4Addr| ip.is_link_local() || ip == Ipv4Addr::new(100, 100, 100, 200);
    let why = match host.parse::<IpAddr>().map(|ip| ip.to_canonical()) {
        Ok(IpAddr::V4(ip)) => link_local_v4(ip).then_some("a link-local address"),
        Ok(IpAddr::V6(ip)) => {
            let link_local = (ip.segments()[0] & 0xffc0) == 0xfe80;
            let aws = ip == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254);
            (link_local || aws).then_some("a link-local address")
        }
        Err(_) => {
            let name = host.trim_end_matches('.').to_ascii_lowercase();
            METADATA_NAMES
                .contains(&name.as_str())
                .then_some("a cloud metadata service")
        }
    };
    match why {
        Some(why) => Err(EditError::field(
            "base_url",
            format!(
                "{} is {why}, where cloud machines keep their credentials: the admin API \
                 does not point providers there (loopback and private addresses are allowed)",
                crate::secret::redact_url(url.as_str())
            ),
        )),
        None => Ok(()),
    }
}

/// Does the replacement `provider` point provider `old` at another host than its key's
/// (see [`super::key_host`])? Without a `base_url`, a built-in name goes back to the
/// catalog's; a custom one is left to the validator (which requires one).
fn moves_host(old: &ProviderConfig, name: &str, provider: &RawProvider) -> bool {
    let new = match provider.base_url.as_deref() {
        Some(url) => url,
        None => match catalog::lookup(name) {
            Some(entry) => entry.base_url,
            None => return false,
        },
    };
    let bound = old
        .key_host
        .as_deref()
        .unwrap_or_else(|| key_host(&old.base_url));
    !bound.eq_ignore_ascii_case(key_host(new))
}

/// Deleting a provider also takes its targets out of the routes (a route left empty is
/// removed, so it falls through as unconfigured).
fn remove_from_routes(document: &mut RawConfig, name: &str) {
    let Some(routes) = &mut document.routes else {
        return;
    };
    let names_provider = |text: &str| Target::parse(text).is_some_and(|t| t.provider == name);
    for route in RouteName::ALL {
        let slot = routes.get_mut(route);
        let keep = match slot {
            Some(RawTargets::Many(items)) => {
                items.retain(|item| !item.as_deref().is_some_and(names_provider));
                !items.is_empty()
            }
            Some(RawTargets::One(text)) => !names_provider(text),
            None => true,
        };
        if !keep {
            *slot = None;
        }
    }
}

/// Writes a file that may hold keys, atomically and readable by its owner alone: a 0600
/// temporary file in the same folder, synced, then renamed over the old one (whose mode
/// does not carry over), so a reader never sees half a file.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("config");
    let temp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let result = private_options()
        .create(true)
        .truncate(true)
        .open(&temp)
        .and_then(|mut file| {
            file.write_all(bytes)?;
            file.sync_all()
        })
        .and_then(|()| std::fs::rename(&temp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// Options that open a file for writing which, when created, only its owner can read.
pub fn private_options() -> std::fs::OpenOptions {
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

mod pools;
#[cfg(test)]
mod tests;
