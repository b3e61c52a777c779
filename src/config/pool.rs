//! Key pools: a provider may have several keys, `"api_keys": [...]` in the config file and
//! `<NAME>_API_KEYS=k1,k2` in environment-only mode. Checked as strictly as a single key:
//! an empty entry, a repeated entry, or an `api_key` given beside the pool without being one
//! of its keys is a problem with its path. No problem ever shows a key, only its place.

use super::{Env, Problem, ProviderConfig};
use crate::secret::Secret;

/// The keys of a pool, in order, once checked: the first becomes the provider's `api_key`.
fn checked(
    entries: Vec<Option<String>>,
    single: Option<&Secret>,
    entry_path: impl Fn(usize) -> String,
    single_path: &str,
    problems: &mut Vec<Problem>,
) -> Vec<Secret> {
    let before = problems.len();
    let mut keys: Vec<Secret> = Vec::new();
    for (index, entry) in entries.into_iter().enumerate() {
        let Some(value) = entry.filter(|value| !value.trim().is_empty()) else {
            problems.push(Problem::new(entry_path(index), "empty key"));
            continue;
        };
        if let Some(first) = keys.iter().position(|key| key.expose() == value) {
            let message = format!("repeats key {} of the list", first + 1);
            problems.push(Problem::new(entry_path(index), message));
            continue;
        }
        keys.push(Secret::new(value));
    }
    if keys.is_empty() && problems.len() == before {
        problems.push(Problem::new(entry_path(0), "the list has no key"));
    }
    if let Some(single) = single {
        if !keys.iter().any(|key| key.expose() == single.expose()) {
            let message = "is not one of the pool's keys: give it inside the list, or leave it out";
            problems.push(Problem::new(single_path, message));
        }
    }
    keys
}

/// Sets `provider`'s pool from `keys` (checked): the first is `api_key`, the rest follow.
fn install(provider: &mut ProviderConfig, mut keys: Vec<Secret>) {
    if keys.is_empty() {
        return;
    }
    let rest = keys.split_off(1);
    provider.api_key = keys.pop();
    provider.more_keys = rest;
    provider.bind_key();
}

/// The variable that holds a provider's pool in environment-only mode: `GROQ_API_KEYS`
/// beside `GROQ_API_KEY`.
pub fn pool_var(key_var: &str) -> String {
    format!("{key_var}S")
}

/// Reads `<NAME>_API_KEYS` (comma-separated) into `provider`, if it is set.
pub(super) fn from_env(provider: &mut ProviderConfig, env: &Env, problems: &mut Vec<Problem>) {
    let var = pool_var(&provider.key_var);
    let Some(list) = env.get(&var) else {
        return;
    };
    let entries = list
        .split(',')
        .map(|e| Some(e.trim().to_string()))
        .collect();
    let single = provider.api_key.clone();
    let single_var = provider.key_var.clone();
    let keys = checked(
        entries,
        single.as_ref(),
        |index| format!("{var} (entry {})", index + 1),
        &single_var,
        problems,
    );
    provider.key_required = true;
    install(provider, keys);
}

/// Sets the pool read from the file's `api_keys` (each entry already expanded; `None` when
/// it is not a string or names an unset variable) at `path` (`providers[0].api_keys`).
pub(super) fn from_file(
    provider: &mut ProviderConfig,
    entries: Vec<Option<String>>,
    path: &str,
    problems: &mut Vec<Problem>,
) {
    let single = provider.api_key.clone();
    let single_path = path.replace("api_keys", "api_key");
    let keys = checked(
        entries,
        single.as_ref(),
        |index| format!("{path}[{index}]"),
        &single_path,
        problems,
    );
    provider.key_required = true;
    install(provider, keys);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(entries: &[&str], single: Option<&str>) -> (Vec<String>, Vec<String>) {
        let mut problems = Vec::new();
        let entries = entries
            .iter()
            .map(|e| Some(e.to_string()).filter(|e| e != "<unset>"))
            .collect();
        let single = single.map(Secret::new);
        let keys = checked(
            entries,
            single.as_ref(),
            |i| format!("k[{i}]"),
            "k1",
            &mut problems,
        );
        let keys = keys.iter().map(|k| k.expose().to_string()).collect();
        (keys, problems.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn keys_keep_their_order() {
        let (keys, problems) = check(&["a-key-1", "a-key-2"], Some("a-key-2"));
        assert_eq!(keys, ["a-key-1", "a-key-2"]);
        assert!(problems.is_empty(), "{problems:?}");
    }

    #[test]
    fn empty_repeated_and_stray_keys_are_problems_without_their_values() {
        let (_, problems) = check(&["sk-one", "", "sk-one", "<unset>"], Some("sk-two"));
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(problems[0].starts_with("k[1]: empty key"), "{problems:?}");
        assert!(
            problems[1].starts_with("k[2]: repeats key 1"),
            "{problems:?}"
        );
        assert!(problems[2].starts_with("k[3]: empty key"), "{problems:?}");
        assert!(problems[3].starts_with("k1: is not one of"), "{problems:?}");
        let text = problems.join(" ");
        assert!(
            !text.contains("sk-one") && !text.contains("sk-two"),
            "{text}"
        );
    }
}
