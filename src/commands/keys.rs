//! `ccproxy keys create|list|revoke`: developer keys, through the running proxy's admin API
//! (`/keys`) with the proxy key, so that the proxy that holds the store (the embedded file
//! is locked by it; Redis is shared) makes every change. The new key is printed once.

use reqwest::Method;
use serde_json::{json, Value};

use super::instance::{locate, Context, Found};
use super::probe::Endpoint;
use super::{exit, say};
use crate::cli::{KeyCreateArgs, KeyNameArgs, KeysListArgs, ServerArgs};

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
    super::conclude(ask(&args.server, Method::GET, "/keys", None).map(|answer| {
        if args.json {
            say(&answer.to_string());
        } else {
            say(&table(
                answer["keys"].as_array().map_or(&[][..], Vec::as_slice),
            ));
        }
        exit::SUCCESS
    }))
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

/// One line per key: name, group, limits, requests, tokens, cost and spend this month.
fn table(keys: &[Value]) -> String {
    if keys.is_empty() {
        return "no developer keys (create one with `ccproxy keys create NAME`)".into();
    }
    let limit = |v: &Value| v.as_u64().map_or("-".to_string(), |n| n.to_string());
    let mut lines = vec![format!(
        "{:<20} {:<12} {:>6} {:>9} {:>9} {:>12} {:>10} {:>12}  {}",
        "NAME", "GROUP", "RPM", "TPM", "REQUESTS", "TOKENS", "COST $", "MONTH ¢", "KEY"
    )];
    for key in keys {
        let tokens =
            key["input_tokens"].as_u64().unwrap_or(0) + key["output_tokens"].as_u64().unwrap_or(0);
        lines.push(format!(
            "{:<20} {:<12} {:>6} {:>9} {:>9} {:>12} {:>10.2} {:>12}  {}",
            key["name"].as_str().unwrap_or_default(),
            key["group"].as_str().unwrap_or("-"),
            limit(&key["rpm"]),
            limit(&key["tpm"]),
            key["requests"].as_u64().unwrap_or(0),
            tokens,
            key["cost_usd"].as_f64().unwrap_or(0.0),
            key["spend_cents"]["monthly"].as_u64().unwrap_or(0),
            key["key_hint"].as_str().unwrap_or_default(),
        ));
    }
    lines.join("\n")
}
