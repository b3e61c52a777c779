//! `ccproxy keys create|list|revoke`: developer keys, through the running proxy's admin API
//! (`/keys`) with the proxy key, so that the proxy that holds the store (the embedded file
//! is locked by it; Redis is shared) makes every change. The new key is printed once.

use axum::http::Method;
use serde_json::{json, Value};

use super::instance::{locate, Context, Found};
use super::probe::Endpoint;
use super::{exit, say};
use crate::cli::{KeyCreateArgs, KeyNameArgs, KeysListArgs, ServerArgs};
use crate::team::{KeyList, KeyUsage};

pub fn create(args: &KeyCreateArgs) -> u8 {
    let body = json!({"name": args.name, "group": args.group, "rpm": args.rpm, "tpm": args.tpm});
    let body = strip_nulls(body);
    super::conclude(
        ask(&args.server, Method::POST, "/keys", Some(&body)).map(|created| {
            say(&format!(
                "created developer key '{}'. It is shown this once:\n\n  {}\n\nThe developer sets \
             ANTHROPIC_AUTH_TOKEN to it (and ANTHROPIC_BASE_URL to this proxy) for Claude Code.",
                args.name,
                created["key"].as_str().unwrap_or_default()
            ));
            exit::SUCCESS
        }),
    )
}

pub fn list(args: &KeysListArgs) -> u8 {
    super::conclude(
        ask(&args.server, Method::GET, "/keys", None).and_then(|answer| {
            if args.json {
                say(&answer.to_string());
                return Ok(exit::SUCCESS);
            }
            let list: KeyList = serde_json::from_value(answer).map_err(|error| {
                anyhow::anyhow!("the proxy's /keys answer is not a key list: {error}")
            })?;
            say(&table(&list.keys));
            Ok(exit::SUCCESS)
        }),
    )
}

pub fn revoke(args: &KeyNameArgs) -> u8 {
    let path = format!("/keys/{}", args.name);
    super::conclude(ask(&args.server, Method::DELETE, &path, None).map(|_| {
        say(&format!("revoked developer key '{}'", args.name));
        exit::SUCCESS
    }))
}

/// Finds the running proxy and makes the call with the proxy key.
fn ask(
    server: &ServerArgs,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> anyhow::Result<Value> {
    let context = Context::new(server)?;
    let url = match locate(&context) {
        Found::Running { url, .. } => url,
        _ => anyhow::bail!(
            "no ccproxy answers at {}: start it first (`ccproxy start`)",
            context.endpoint.url
        ),
    };
    let endpoint = Endpoint {
        url,
        key: context.endpoint.key.clone(),
    };
    context.probe.call(&endpoint, method, path, body)
}

fn strip_nulls(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            Value::Object(map.into_iter().filter(|(_, v)| !v.is_null()).collect())
        }
        other => other,
    }
}

/// One line per key: name, group, limits, requests, tokens (input and output, then cache
/// reads apart), cost and spend this month.
fn table(keys: &[KeyUsage]) -> String {
    if keys.is_empty() {
        return "no developer keys (create one with `ccproxy keys create NAME`)".into();
    }
    let limit = |v: Option<u64>| v.map_or("-".to_string(), |n| n.to_string());
    let mut lines = vec![format!(
        "{:<20} {:<12} {:>6} {:>9} {:>9} {:>12} {:>12} {:>10} {:>12}  {}",
        "NAME",
        "GROUP",
        "RPM",
        "TPM",
        "REQUESTS",
        "TOKENS",
        "CACHE READ",
        "COST $",
        "MONTH ¢",
        "KEY"
    )];
    for key in keys {
        lines.push(format!(
            "{:<20} {:<12} {:>6} {:>9} {:>9} {:>12} {:>12} {:>10.2} {:>12}  {}",
            key.name,
            key.group.as_deref().unwrap_or("-"),
            limit(key.rpm),
            limit(key.tpm),
            key.requests,
            key.input_tokens + key.output_tokens,
            key.cache_read_input_tokens,
            key.cost_usd,
            key.spend_cents.monthly,
            key.key_hint,
        ));
    }
    lines.join("\n")
}
