//! `ccproxy config import-ccr [PATH]`: convert a claude-code-router `config.json`
//! (`Providers`, `Router`, `APIKEY`, `HOST`, `PORT`, `LOG_LEVEL`) into a ccproxy config
//! file, and say what could not be converted (transformers, custom router scripts, plugins,
//! proxy settings). The conversion is a pure function; the command only reads and writes.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::Serialize;
use serde_json::{Map, Value};

use super::config_cmd::{target_path, write_new};
use super::files::Paths;
use super::{complain, exit, say};
use crate::cli::ImportArgs;
use crate::config::{self, jsonc, Env, Overrides, RouteName, RouteTable};

/// A ccproxy config file, fields in the order the README documents them.
#[derive(Debug, Default, Serialize)]
pub struct File {
    #[serde(skip_serializing_if = "Option::is_none")]
    host: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    port: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    api_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    log_level: Option<String>,
    providers: Vec<Provider>,
    routes: Routes,
}

#[derive(Debug, Serialize)]
struct Provider {
    name: String,
    #[serde(rename = "type")]
    kind: &'static str,
    base_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    api_key: Option<String>,
    models: Vec<String>,
}

/// The routes, each `"provider,model"`.
type Routes = RouteTable<Option<String>, Option<u64>>;

/// The converted file and what could not be carried over.
#[derive(Debug)]
pub struct Conversion {
    pub file: File,
    pub notes: Vec<String>,
}

pub fn run(args: &ImportArgs) -> u8 {
    super::conclude(import(args).map(|()| exit::SUCCESS))
}

fn import(args: &ImportArgs) -> anyhow::Result<()> {
    let input = match &args.path {
        Some(path) => path.clone(),
        None => default_input()?,
    };
    let text = std::fs::read_to_string(&input)
        .with_context(|| format!("cannot read {}", input.display()))?;
    let ccr: Value = serde_json::from_str(&jsonc::strip_comments(&text))
        .with_context(|| format!("{} is not valid JSON", input.display()))?;
    let conversion = convert(&ccr)?;
    let output = serde_json::to_string_pretty(&conversion.file)? + "\n";
    for note in &conversion.notes {
        complain(&format!("not converted: {note}"));
    }
    let to_stdout = args.output.as_deref() == Some(Path::new("-"));
    if to_stdout {
        say(output.trim_end());
        return Ok(());
    }
    let path = target_path(args.output.clone())?;
    if args.force {
        crate::config::live::write_private(&path, output.as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))?;
    } else {
        write_new(&path, &output).context("use --force to replace it, or --output -")?;
    }
    say(&format!(
        "wrote {} from {}",
        path.display(),
        input.display()
    ));
    let overrides = Overrides {
        config_path: Some(path),
        ..Overrides::default()
    };
    match config::load(&overrides, &Env::from_process()) {
        Ok(_) => say("it is valid; start with `ccproxy start` or `ccproxy code`"),
        Err(error) => complain(&format!("ccproxy: the result needs fixing: {error}")),
    }
    Ok(())
}

fn default_input() -> anyhow::Result<PathBuf> {
    let paths = Paths::new(&Env::from_process())?;
    let home = paths
        .dir
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    Ok(home.join(".claude-code-router/config.json"))
}

/// Converts a parsed claude-code-router config.
pub fn convert(ccr: &Value) -> anyhow::Result<Conversion> {
    let Value::Object(top) = ccr else {
        anyhow::bail!("a claude-code-router config is a JSON object");
    };
    let mut notes = Vec::new();
    let mut file = File::default();
    let mut renamed: Vec<(String, String)> = Vec::new();
    for (key, value) in top {
        match key.as_str() {
            "Providers" | "providers" => {
                file.providers = providers(value, &mut renamed, &mut notes);
            }
            "Router" => {}
            "APIKEY" => file.api_key = value.as_str().map(env_reference),
            "HOST" => file.host = value.as_str().map(str::to_string),
            "PORT" => file.port = port(value),
            "LOG_LEVEL" => file.log_level = log_level(value, &mut notes),
            "LOG" => notes.push(
                "LOG: ccproxy always logs (to ~/.ccproxy/ccproxy-PORT.log when started with \
                 `ccproxy start`); LOG_LEVEL=debug shows more"
                    .into(),
            ),
            other => notes.push(unconverted(other)),
        }
    }
    if let Some(router) = top.get("Router") {
        file.routes = routes(router, &renamed, &mut notes);
    }
    let loopback = file.host.as_deref().is_none_or(config::is_loopback);
    if !loopback && file.api_key.is_none() {
        notes.push(format!(
            "HOST {}: without APIKEY ccproxy (like claude-code-router) serves only this \
             machine, so the host is 127.0.0.1",
            file.host.as_deref().unwrap_or_default()
        ));
        file.host = Some(config::DEFAULT_HOST.to_string());
    }
    Ok(Conversion { file, notes })
}

fn unconverted(key: &str) -> String {
    match key {
        "transformers" => "transformers (custom transformer plugins): ccproxy translates for \
                           each provider type itself and loads no plugins"
            .into(),
        "CUSTOM_ROUTER_PATH" => "CUSTOM_ROUTER_PATH (a custom router script): use routes, or a \
                                 \"provider,model\" model name"
            .into(),
        "PROXY_URL" => "PROXY_URL: set HTTPS_PROXY in ccproxy's environment instead".into(),
        "API_TIMEOUT_MS" => "API_TIMEOUT_MS: `ccproxy code` gives Claude Code a long timeout; \
                             set API_TIMEOUT_MS yourself to choose another"
            .into(),
        "StatusLine" => "StatusLine: use `ccproxy statusline` as Claude Code's statusLine \
                         command"
            .into(),
        other => format!("{other}: no ccproxy equivalent"),
    }
}

fn providers(
    value: &Value,
    renamed: &mut Vec<(String, String)>,
    notes: &mut Vec<String>,
) -> Vec<Provider> {
    let mut out: Vec<Provider> = Vec::new();
    for (i, item) in value.as_array().into_iter().flatten().enumerate() {
        let Some(original) = item["name"].as_str() else {
            notes.push(format!("Providers[{i}]: no name; skipped"));
            continue;
        };
        let name = provider_name(original);
        if out.iter().any(|p| p.name == name) {
            notes.push(format!(
                "Providers[{i}] ({original}): a second provider named '{name}'; skipped"
            ));
            continue;
        }
        if name != original {
            notes.push(format!(
                "provider '{original}' is named '{name}' (ccproxy names are lowercase)"
            ));
        }
        renamed.push((original.to_string(), name.clone()));
        let transformers = transformer_names(&item["transformer"]);
        let url = item["api_base_url"].as_str().unwrap_or_default();
        let (kind, base_url) = endpoint(url, &transformers);
        if kind == "openai" && !url.trim_end_matches('/').ends_with("/chat/completions") {
            notes.push(format!("provider '{name}': api_base_url '{url}' does not end in /chat/completions; used as the base URL as it is, check it"));
        }
        if !transformers.is_empty() {
            notes.push(format!(
                "provider '{name}': transformer {} (ccproxy adapts requests to each provider type itself)",
                transformers.join(", ")
            ));
        }
        let models = item["models"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|m| m.as_str().map(str::to_string))
            .collect();
        out.push(Provider {
            name,
            kind,
            base_url,
            api_key: item["api_key"].as_str().map(env_reference),
            models,
        });
    }
    out
}

/// Lowercase letters, digits, `-` and `_`, as ccproxy requires.
fn provider_name(name: &str) -> String {
    name.trim()
        .to_ascii_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// The provider type and base URL for a claude-code-router endpoint (a full URL).
fn endpoint(url: &str, transformers: &[String]) -> (&'static str, String) {
    let url = url.trim().trim_end_matches('/');
    let uses = |name: &str| transformers.iter().any(|t| t.eq_ignore_ascii_case(name));
    if url.contains("generativelanguage.googleapis.com") || uses("gemini") {
        return ("gemini", url.trim_end_matches("/models").to_string());
    }
    if url.ends_with("/messages") || uses("anthropic") {
        let base = url.trim_end_matches("/messages").trim_end_matches("/v1");
        return ("anthropic", base.to_string());
    }
    (
        "openai",
        url.trim_end_matches("/chat/completions").to_string(),
    )
}

/// The transformer names of a provider: `use` lists at the top and per model
/// (`{"use": ["deepseek"], "deepseek-chat": {"use": ["tooluse"]}}`); an entry is a name or
/// `[name, options]`.
fn transformer_names(value: &Value) -> Vec<String> {
    let Value::Object(map) = value else {
        return Vec::new();
    };
    let names = |list: &Value| -> Vec<String> {
        list.as_array()
            .into_iter()
            .flatten()
            .filter_map(|entry| entry.as_str().or_else(|| entry[0].as_str()))
            .map(str::to_string)
            .collect()
    };
    let mut all = names(&map.get("use").cloned().unwrap_or_default());
    for (model, inner) in map.iter().filter(|(k, _)| k.as_str() != "use") {
        all.extend(
            names(&inner["use"])
                .into_iter()
                .map(|n| format!("{n} (for {model})")),
        );
    }
    all
}

fn routes(router: &Value, renamed: &[(String, String)], notes: &mut Vec<String>) -> Routes {
    let mut routes = Routes::default();
    let empty = Map::new();
    for (key, value) in router.as_object().unwrap_or(&empty) {
        if key == "longContextThreshold" {
            routes.long_context_threshold = value.as_u64();
            continue;
        }
        // CCR spells the routes in camelCase.
        let name = match key.as_str() {
            "longContext" => Some(RouteName::LongContext),
            "webSearch" => Some(RouteName::WebSearch),
            "long_context" | "web_search" => None,
            other => RouteName::parse(other),
        };
        let slot = match name {
            Some(name) => routes.get_mut(name),
            None => {
                notes.push(format!("Router.{key}: no ccproxy route of that name"));
                continue;
            }
        };
        let Some(text) = value.as_str().filter(|t| !t.trim().is_empty()) else {
            continue;
        };
        match text.split_once(',') {
            Some((provider, model)) => {
                let provider = provider.trim();
                match renamed
                    .iter()
                    .find(|(from, _)| from.eq_ignore_ascii_case(provider))
                {
                    Some((_, to)) => *slot = Some(format!("{to},{}", model.trim())),
                    None => notes.push(format!(
                        "Router.{key} '{text}': provider '{provider}' is not among the Providers"
                    )),
                }
            }
            None => notes.push(format!("Router.{key} '{text}': not \"provider,model\"")),
        }
    }
    routes
}

/// claude-code-router reads `$VAR` and `${VAR}` from the environment; ccproxy `${VAR}`.
fn env_reference(text: &str) -> String {
    match text.strip_prefix('$') {
        Some(name)
            if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
        {
            format!("${{{name}}}")
        }
        _ => text.to_string(),
    }
}

fn port(value: &Value) -> Option<u16> {
    match value {
        Value::Number(n) => n.as_u64().and_then(|n| u16::try_from(n).ok()),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn log_level(value: &Value, notes: &mut Vec<String>) -> Option<String> {
    let text = value.as_str()?.to_ascii_lowercase();
    match text.as_str() {
        "fatal" | "error" => Some("error".into()),
        "warn" | "info" | "debug" | "trace" => Some(text),
        _ => {
            notes.push(format!("LOG_LEVEL '{text}': not a ccproxy log level"));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn endpoints_become_types_and_base_urls() {
        assert_eq!(
            endpoint("https://api.deepseek.com/chat/completions", &[]),
            ("openai", "https://api.deepseek.com".to_string())
        );
        assert_eq!(
            endpoint(
                "https://generativelanguage.googleapis.com/v1beta/models/",
                &[]
            ),
            (
                "gemini",
                "https://generativelanguage.googleapis.com/v1beta".to_string()
            )
        );
        assert_eq!(
            endpoint("https://api.anthropic.com/v1/messages", &[]),
            ("anthropic", "https://api.anthropic.com".to_string())
        );
    }

    #[test]
    fn transformers_are_named_with_their_model() {
        let names = transformer_names(&json!({
            "use": ["deepseek", ["maxtoken", {"max_tokens": 16384}]],
            "deepseek-chat": {"use": ["tooluse"]}
        }));
        assert_eq!(
            names,
            vec!["deepseek", "maxtoken", "tooluse (for deepseek-chat)"]
        );
    }

    #[test]
    fn renamed_providers_are_renamed_in_routes_and_env_references_kept() {
        let conversion = convert(&json!({
            "Providers": [{"name": "SiliconFlow", "api_base_url": "https://api.siliconflow.cn/v1/chat/completions",
                           "api_key": "$SF_KEY", "models": ["moonshotai/Kimi-K2-Instruct"]}],
            "Router": {"default": "siliconflow,moonshotai/Kimi-K2-Instruct", "think": "nobody,x"}
        }))
        .expect("converts");
        let file = serde_json::to_value(&conversion.file).expect("json");
        assert_eq!(file["providers"][0]["name"], "siliconflow");
        assert_eq!(file["providers"][0]["api_key"], "${SF_KEY}");
        assert_eq!(
            file["routes"]["default"],
            "siliconflow,moonshotai/Kimi-K2-Instruct"
        );
        assert!(conversion.notes.iter().any(|n| n.contains("Router.think")));
    }
}
