//! The admin API's edits of a provider's key pool: a key added, or one removed (named as
//! `GET /providers/{name}/keys` shows it, masked, or whole). The document's entry becomes
//! an `api_keys` list; the running configuration's order is the list's order.
//!
//! The host binding of keys holds as for every admin edit (see
//! [`ProviderConfig::key_host`]): the pool's keys stay bound to the host they were
//! configured for, which must be the provider's current one, and a key added to a provider
//! with none is bound to its current `base_url`. A pool bound to another host than the
//! provider's (its keys are not sent) is not edited: replace the provider with its keys.

use super::EditError;
use crate::config::raw::RawProvider;
use crate::config::{Config, ConfigSource, ProviderConfig};

/// Adds `key` to provider `name`'s pool in `written` (its document entry).
pub(super) fn add(
    written: &mut RawProvider,
    running: &Config,
    name: &str,
    key: &str,
) -> Result<(), EditError> {
    let provider = editable(running, name)?;
    if key.trim().is_empty() || key.contains(super::MASK_MARK) || key.contains("${") {
        return Err(EditError::field(
            "key",
            "send the whole key (not empty, not masked, no ${VAR} reference)",
        ));
    }
    if provider.keys().any(|held| held.expose() == key) {
        return Err(EditError::field("key", "is already one of the pool's keys"));
    }
    let mut list = written_pool(written, provider);
    list.push(Some(key.to_string()));
    written.api_key = None;
    written.api_keys = Some(list);
    Ok(())
}

/// Removes the key `which` (as shown, masked, or whole) from provider `name`'s pool.
pub(super) fn remove(
    written: &mut RawProvider,
    running: &Config,
    name: &str,
    which: &str,
) -> Result<(), EditError> {
    let provider = editable(running, name)?;
    let matching: Vec<usize> = provider
        .keys()
        .enumerate()
        .filter(|(_, key)| key.expose() == which || key.masked() == which)
        .map(|(i, _)| i)
        .collect();
    let index = match matching[..] {
        [index] => index,
        [] => {
            let shown: Vec<String> = provider.keys().map(|k| k.masked()).collect();
            let message = format!("no key of the pool shows as '{which}' (it has {shown:?})");
            return Err(EditError::field("key", message));
        }
        _ => {
            let message = format!("several keys show as '{which}': name it by the whole key");
            return Err(EditError::field("key", message));
        }
    };
    if provider.keys().count() == 1 {
        return Err(EditError::field(
            "key",
            "is the provider's last key: to leave it without one, replace the provider \
             (PUT /providers/{name}) with \"api_key\": \"\"",
        ));
    }
    let mut list = written_pool(written, provider);
    list.remove(index);
    written.api_key = None;
    written.api_keys = Some(list);
    Ok(())
}

/// The provider, when its pool may be edited: a configuration from a file (in
/// environment-only mode the pool is `<NAME>_API_KEYS`, which the document cannot
/// hold), and keys bound to the provider's current host.
fn editable<'c>(running: &'c Config, name: &str) -> Result<&'c ProviderConfig, EditError> {
    let provider = running
        .provider(name)
        .ok_or_else(|| EditError::NoSuchProvider {
            name: name.to_string(),
            available: running.provider_names(),
        })?;
    if running.source == ConfigSource::Environment {
        return Err(EditError::field(
            "key",
            "the configuration comes from the environment: set the pool in \
             <NAME>_API_KEYS and restart, or use a config file",
        ));
    }
    if provider.api_key.is_some() && provider.key().is_none() {
        return Err(EditError::field(
            "key",
            "the provider's keys are bound to another host than its base_url, so they are \
             never sent: replace the provider (PUT) with the keys for its host",
        ));
    }
    Ok(provider)
}

/// The pool as the document writes it, in the running order: its `api_keys` list, else its
/// single `api_key`, else the variable the running key came from, else nothing.
fn written_pool(written: &RawProvider, provider: &ProviderConfig) -> Vec<Option<String>> {
    if let Some(list) = &written.api_keys {
        return list.clone();
    }
    match written.api_key.as_deref() {
        Some(key) if !key.is_empty() => vec![Some(key.to_string())],
        Some(_) => Vec::new(),
        None if provider.api_key.is_some() => vec![Some(format!("${{{}}}", provider.key_var))],
        None => Vec::new(),
    }
}
