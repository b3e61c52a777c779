//! The environment that points Claude Code at the proxy, shared by `ccproxy code` (for the
//! child it starts) and `ccproxy env` (as shell commands). Claude Code prefers
//! `ANTHROPIC_AUTH_TOKEN` (sent as `Authorization: Bearer`); an `ANTHROPIC_API_KEY` makes
//! the interactive UI ask whether to use it and can end in "Invalid API key · Please run
//! /login" (docs/claude-code-offline.md), and Bedrock/Vertex switches make it bypass the base URL.
//! With the configuration at hand, the model variables of `model_env` come too.

use super::model_env::model_env;
use crate::config::{Config, Env};
use crate::secret::Secret;

/// Sent when the proxy has no key: Claude Code needs some token to send, the proxy ignores it.
pub const PLACEHOLDER_TOKEN: &str = "ccproxy";
/// Long, so slow local models and long generations are not cut off (Claude Code's own
/// default is 10 minutes). A value the user set is kept.
pub const API_TIMEOUT_MS: &str = "3000000";
/// Variables that would make Claude Code bypass or fight the proxy; removed.
pub const REMOVED: &[&str] = &[
    "ANTHROPIC_API_KEY",
    "CLAUDE_CODE_USE_BEDROCK",
    "CLAUDE_CODE_USE_VERTEX",
];

/// Variables to set and variables to remove.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientEnv {
    pub set: Vec<(&'static str, String)>,
    pub unset: Vec<&'static str>,
}

/// The environment for a Claude Code that talks to the proxy at `url`, configured by
/// `config` when it could be read.
pub fn client_env(
    url: &str,
    key: Option<&Secret>,
    env: &Env,
    config: Option<&Config>,
) -> ClientEnv {
    let token = key.map_or(PLACEHOLDER_TOKEN, Secret::expose);
    let mut set = vec![
        ("ANTHROPIC_BASE_URL", url.to_string()),
        ("ANTHROPIC_AUTH_TOKEN", token.to_string()),
    ];
    if env.get("API_TIMEOUT_MS").is_none() {
        set.push(("API_TIMEOUT_MS", API_TIMEOUT_MS.to_string()));
    }
    // With a corporate HTTP(S) proxy configured, calls to the local proxy must bypass it.
    let behind_proxy = ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"]
        .iter()
        .any(|name| env.get(name).is_some());
    if behind_proxy {
        // Both spellings get the user's entries from both, plus loopback: tools differ in
        // which one they read, and neither may lose what the user had.
        let merged = no_proxy([env.get("NO_PROXY"), env.get("no_proxy")]);
        for name in ["NO_PROXY", "no_proxy"] {
            set.push((name, merged.clone()));
        }
    }
    if let Some(config) = config {
        set.extend(model_env(config, env));
    }
    let unset = REMOVED
        .iter()
        .copied()
        .filter(|name| env.get(name).is_some())
        .collect();
    ClientEnv { set, unset }
}

/// The user's `NO_PROXY` lists (both spellings) merged, with the loopback names added.
fn no_proxy(existing: [Option<&str>; 2]) -> String {
    let mut hosts: Vec<&str> = Vec::new();
    let listed = existing
        .into_iter()
        .flatten()
        .flat_map(|list| list.split(','))
        .map(str::trim);
    for host in listed.chain(["127.0.0.1", "localhost", "::1"]) {
        if !host.is_empty() && !hosts.contains(&host) {
            hosts.push(host);
        }
    }
    hosts.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_token_is_the_proxy_key_or_a_placeholder() {
        let env = Env::from_pairs([("ANTHROPIC_API_KEY", "sk-ant-user")]);
        let wired = client_env("http://127.0.0.1:3456", None, &env, None);
        assert!(wired
            .set
            .contains(&("ANTHROPIC_AUTH_TOKEN", PLACEHOLDER_TOKEN.to_string())));
        assert_eq!(wired.unset, vec!["ANTHROPIC_API_KEY"]);
        let key = Secret::new("proxy-key-123456");
        let wired = client_env("http://x:1", Some(&key), &Env::default(), None);
        assert!(wired
            .set
            .contains(&("ANTHROPIC_AUTH_TOKEN", "proxy-key-123456".to_string())));
        assert!(wired.unset.is_empty());
    }

    #[test]
    fn a_users_timeout_is_kept_and_loopback_bypasses_a_corporate_proxy() {
        let env = Env::from_pairs([
            ("API_TIMEOUT_MS", "5"),
            ("HTTPS_PROXY", "http://corp:8080"),
            ("NO_PROXY", "internal.example,localhost"),
            ("no_proxy", ".corp.example"),
        ]);
        let wired = client_env("http://127.0.0.1:3456", None, &env, None);
        assert!(!wired.set.iter().any(|(name, _)| *name == "API_TIMEOUT_MS"));
        for name in ["NO_PROXY", "no_proxy"] {
            assert!(wired.set.contains(&(
                name,
                "internal.example,localhost,.corp.example,127.0.0.1,::1".to_string()
            )));
        }
    }
}
