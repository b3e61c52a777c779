//! `ccproxy config check | show | init`: validate the configuration and list every problem
//! with its path, print the effective configuration (file, environment and flags merged)
//! with keys masked, and write a commented starter file without overwriting one.

use std::path::PathBuf;

use super::files::Paths;
use super::{complain, exit, overrides, say};
use crate::cli::{InitArgs, ServerArgs};
use crate::config::{self, show, Config, ConfigSource, Env};

/// The starter file: valid as it stands (an unset key variable is not an error), with the
/// other choices explained in comments.
const STARTER: &str = r#"{
  // ccproxy configuration. Check it with `ccproxy config check`.
  // "${NAME}" is read from the environment, so keys can stay out of this file.
  "host": "127.0.0.1",
  "port": 3456,
  // "api_key": "${CCPROXY_API_KEY}",   // require this key from clients
  "log_level": "info",
  "providers": [
    // Built-in names (groq, openai, openrouter, deepseek, mistral, xai, gemini, anthropic,
    // cerebras, together, fireworks, moonshot, ollama) know their type, base_url and
    // default model. Kimi K2: {"name": "moonshot", "models": ["kimi-k2.6"]}.
    {"name": "groq", "api_key": "${GROQ_API_KEY}",
     "models": ["openai/gpt-oss-120b", "openai/gpt-oss-20b"]}
    // Any OpenAI-compatible server:
    // ,{"name": "lab", "type": "openai", "base_url": "http://127.0.0.1:8000/v1", "models": ["qwen3"]}
  ],
  "routes": {
    // "provider,model", or a list: the first is used, the rest are fallbacks.
    "default": "groq,openai/gpt-oss-120b",
    "background": "groq,openai/gpt-oss-20b"
    // "think": ..., "long_context": ..., "long_context_threshold": 60000,
    // "web_search": ..., "image": ...
  }
}
"#;

pub fn check(args: &ServerArgs) -> u8 {
    match load(args) {
        Ok(config) => {
            say(&format!(
                "configuration OK ({}): {} provider(s), default route {}",
                source(&config),
                config.providers.len(),
                config
                    .routes
                    .default
                    .first()
                    .map_or_else(|| "(none)".to_string(), ToString::to_string)
            ));
            for provider in &config.providers {
                if provider.key_required && provider.key().is_none() {
                    say(&format!(
                        "  note: provider '{}' has no key yet ({}); its requests will fail until it is set",
                        provider.name,
                        provider.key_hint()
                    ));
                }
            }
            exit::SUCCESS
        }
        Err(code) => code,
    }
}

pub fn show(args: &ServerArgs) -> u8 {
    match load(args) {
        // Through a JSON value, so the keys print sorted, as they always have.
        Ok(config) => match serde_json::to_value(show::masked(&config))
            .and_then(|shown| serde_json::to_string_pretty(&shown))
        {
            Ok(text) => {
                say(&text);
                exit::SUCCESS
            }
            Err(error) => {
                complain(&format!("ccproxy: {error}"));
                exit::FAILURE
            }
        },
        Err(code) => code,
    }
}

pub fn init(args: &InitArgs) -> u8 {
    super::conclude(target_path(args.config.clone()).and_then(|path| {
        write_new(&path, STARTER)?;
        say(&format!("wrote {}", path.display()));
        say("next: set GROQ_API_KEY (or edit the providers), then `ccproxy config check`");
        Ok(exit::SUCCESS)
    }))
}

/// `--config`, else `$CCPROXY_CONFIG`, else `~/.ccproxy/config.json`.
pub fn target_path(flag: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    let env = Env::from_process();
    if let Some(path) = flag.or_else(|| env.get("CCPROXY_CONFIG").map(PathBuf::from)) {
        return Ok(path);
    }
    Ok(Paths::new(&env)?.default_config())
}

/// Writes a new config file (creating its folder), readable by its owner alone (it may
/// hold keys); an existing file is never replaced.
pub fn write_new(path: &std::path::Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = crate::config::live::private_options()
        .create_new(true)
        .open(path)
        .map_err(|error| match error.kind() {
            std::io::ErrorKind::AlreadyExists => anyhow::anyhow!(
                "{} already exists; not overwritten (move it away first)",
                path.display()
            ),
            _ => anyhow::anyhow!("cannot write {}: {error}", path.display()),
        })?;
    file.write_all(text.as_bytes())?;
    Ok(())
}

fn load(args: &ServerArgs) -> Result<Config, u8> {
    config::load(&overrides(args), &Env::from_process()).map_err(|error| {
        complain(&format!("ccproxy: {error}"));
        exit::FAILURE
    })
}

fn source(config: &Config) -> String {
    match &config.source {
        ConfigSource::Environment => "from the environment".to_string(),
        ConfigSource::File(path) => path.display().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::STARTER;
    use crate::config::{jsonc, load, Env, Overrides};

    #[test]
    fn the_starter_file_is_valid_without_any_key_set() {
        let dir = std::env::temp_dir().join(format!("ccproxy-init-{}", fastrand::u64(..)));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("config.json");
        std::fs::write(&path, STARTER).expect("write");
        let overrides = Overrides {
            config_path: Some(path),
            ..Overrides::default()
        };
        let config = load(&overrides, &Env::default()).expect("starter config is valid");
        assert_eq!(config.routes.background.len(), 1);
        assert!(serde_json::from_str::<serde_json::Value>(&jsonc::strip_comments(STARTER)).is_ok());
        let _ = std::fs::remove_dir_all(dir);
    }
}
