use std::io::Write;
use std::time::Duration;

use super::*;

fn env(pairs: &[(&str, &str)]) -> Env {
    Env::from_pairs(pairs.iter().copied())
}

fn load_env(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
    load(&Overrides::default(), &env(pairs))
}

fn write_config(json: &str) -> tempfile_path::TempFile {
    tempfile_path::TempFile::with_contents(json)
}

fn load_file(json: &str, pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let file = write_config(json);
    let overrides = Overrides {
        config_path: Some(file.path().to_path_buf()),
        ..Overrides::default()
    };
    load(&overrides, &env(pairs))
}

fn paths(error: &ConfigError) -> Vec<&str> {
    error.problems.iter().map(|p| p.path.as_str()).collect()
}

/// A file in the system temp dir, removed on drop (no extra crate for one helper).
mod tempfile_path {
    use std::path::{Path, PathBuf};

    pub struct TempFile(PathBuf);

    impl TempFile {
        pub fn with_contents(text: &str) -> Self {
            let path = std::env::temp_dir().join(format!(
                "ccproxy-test-{}-{}.json",
                std::process::id(),
                fastrand::u64(..)
            ));
            let mut file = std::fs::File::create(&path).expect("create temp file");
            super::Write::write_all(&mut file, text.as_bytes()).expect("write temp file");
            Self(path)
        }

        pub fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
}

#[test]
fn nothing_configured_defaults_to_groq_without_a_key() {
    let config = load_env(&[]).expect("starts with no config");
    assert!(config.unconfigured);
    assert_eq!(config.host, "127.0.0.1");
    assert_eq!(config.port, 3456);
    let groq = config.provider("groq").expect("groq is the default");
    assert!(groq.api_key.is_none());
    assert_eq!(groq.key_var, "GROQ_API_KEY");
    assert_eq!(
        config.routes.default,
        vec![Target {
            provider: "groq".into(),
            model: "openai/gpt-oss-120b".into()
        }]
    );
}

#[test]
fn provider_and_key_from_environment() {
    let config = load_env(&[
        ("PROVIDER", "openai"),
        ("OPENAI_API_KEY", "sk-test"),
        ("OPENAI_BASE_URL", "http://127.0.0.1:9999/v1/"),
        ("OPENAI_MODEL", "gpt-test"),
    ])
    .expect("valid");
    assert!(!config.unconfigured);
    let openai = config.provider("openai").expect("configured");
    assert_eq!(openai.base_url, "http://127.0.0.1:9999/v1");
    assert_eq!(openai.api_key.as_ref().map(|k| k.expose()), Some("sk-test"));
    assert_eq!(config.routes.default[0].to_string(), "openai,gpt-test");
}

#[test]
fn single_key_without_provider_picks_that_provider() {
    let config = load_env(&[("DEEPSEEK_API_KEY", "sk-x")]).expect("valid");
    assert_eq!(config.routes.default[0].provider, "deepseek");
    assert!(!config.unconfigured);
}

#[test]
fn custom_openai_compatible_provider_needs_base_url_and_model() {
    let config = load_env(&[
        ("PROVIDER", "mylab"),
        ("MYLAB_BASE_URL", "http://127.0.0.1:8000/v1"),
        ("MYLAB_MODEL", "qwen"),
    ])
    .expect("valid");
    let lab = config.provider("mylab").expect("configured");
    assert_eq!(lab.kind, ProviderKind::OpenAi);
    assert!(!lab.key_required);
    let error = load_env(&[("PROVIDER", "nosuch")]).expect_err("unknown provider");
    assert_eq!(paths(&error), vec!["PROVIDER"]);
    assert!(error.to_string().contains("NOSUCH_BASE_URL"), "{error}");
}

#[test]
fn bad_environment_values_are_all_reported() {
    let error = load_env(&[
        ("GROQ_BASE_URL", "ftp://x"),
        ("CCPROXY_PORT", "eighty"),
        ("LOG_LEVEL", "loud"),
    ])
    .expect_err("invalid");
    assert_eq!(paths(&error), vec!["GROQ_BASE_URL"]);
    let error = load_env(&[("CCPROXY_PORT", "eighty"), ("LOG_LEVEL", "loud")]).expect_err("bad");
    assert_eq!(paths(&error), vec!["CCPROXY_PORT", "LOG_LEVEL"]);
}

#[test]
fn flags_win_over_environment() {
    let overrides = Overrides {
        port: Some(4000),
        host: Some("localhost".into()),
        ..Overrides::default()
    };
    let config = load(&overrides, &env(&[("CCPROXY_PORT", "5000")])).expect("valid");
    assert_eq!((config.host.as_str(), config.port), ("localhost", 4000));
}

#[test]
fn non_loopback_host_requires_a_proxy_key() {
    let error = load_env(&[("CCPROXY_HOST", "0.0.0.0")]).expect_err("exposed without a key");
    assert_eq!(paths(&error), vec!["host"]);
    let config = load_env(&[("CCPROXY_HOST", "0.0.0.0"), ("CCPROXY_API_KEY", "k")]);
    assert!(config.is_ok());
}

#[test]
fn file_with_providers_routes_and_env_references() {
    let config = load_file(
        r#"{
          "host": "127.0.0.1", "port": 4567, "api_key": "${PROXY_KEY}",
          "providers": [
            {"name": "groq", "type": "openai", "base_url": "https://api.groq.com/openai/v1",
             "api_key": "${GROQ_API_KEY}", "models": ["openai/gpt-oss-120b"]},
            {"name": "lab", "type": "openai", "base_url": "http://127.0.0.1:8000/v1"}
          ],
          "routes": {
            "default": "groq,openai/gpt-oss-120b",
            "background": ["groq,llama-3.1-8b-instant", "lab,small"],
            "long_context_threshold": 90000
          }
        }"#,
        &[("PROXY_KEY", "proxy-secret"), ("GROQ_API_KEY", "gsk_x")],
    )
    .expect("valid");
    assert_eq!(config.port, 4567);
    assert_eq!(
        config.api_key.as_ref().map(|k| k.expose()),
        Some("proxy-secret")
    );
    assert_eq!(config.routes.background.len(), 2);
    assert_eq!(config.routes.long_context_threshold, 90000);
    assert_eq!(
        config
            .provider("groq")
            .and_then(|p| p.api_key.clone())
            .map(|k| k.expose().to_string()),
        Some("gsk_x".into())
    );
    assert!(matches!(config.source, ConfigSource::File(_)));
}

#[test]
fn unset_key_variable_is_not_a_startup_error() {
    let config = load_file(
        r#"{"providers": [{"name": "groq", "api_key": "${GROQ_API_KEY}"}]}"#,
        &[],
    )
    .expect("valid without the key");
    let groq = config.provider("groq").expect("configured");
    assert!(groq.api_key.is_none());
    assert_eq!(groq.key_var, "GROQ_API_KEY");
    assert_eq!(config.routes.default[0].model, "openai/gpt-oss-120b");
}

#[test]
fn every_file_problem_is_listed_with_its_path() {
    let error = load_file(
        r#"{
          "prot": 1,
          "port": 70000,
          "log_level": "chatty",
          "providers": [
            {"name": "groq", "bsae_url": "https://x"},
            {"name": "lab", "type": "openai"},
            {"name": "odd", "type": "soap", "base_url": "not a url"},
            {"name": "groq"}
          ],
          "routes": {"default": "missing,model", "think": 5, "image": "nocomma", "web": "x"}
        }"#,
        &[],
    )
    .expect_err("invalid");
    assert_eq!(
        paths(&error),
        vec![
            "prot",
            "log_level",
            "providers[0].bsae_url",
            "providers[1].base_url",
            "providers[2].type",
            "providers[2].base_url",
            "providers[3].name",
            "routes.web",
            "routes.default",
            "routes.think",
            "routes.image",
            "port",
        ]
    );
    let text = error.to_string();
    assert!(
        text.contains("providers[0].bsae_url: unknown field (did you mean 'base_url'?)"),
        "{text}"
    );
    assert!(
        text.contains(
            "routes.web: unknown field (known: default, background, think, long_context, \
             long_context_threshold, web_search, image)"
        ),
        "{text}"
    );
    assert!(
        text.contains("provider 'missing' is not configured"),
        "{text}"
    );
}

#[test]
fn unknown_file_and_bad_json_are_reported() {
    let overrides = Overrides {
        config_path: Some("/nonexistent/ccproxy.json".into()),
        ..Overrides::default()
    };
    let error = load(&overrides, &Env::default()).expect_err("missing file");
    assert!(error.to_string().contains("cannot read it"), "{error}");
    let error = load_file("{ not json", &[]).expect_err("bad json");
    assert!(error.to_string().contains("not valid JSON"), "{error}");
}

#[test]
fn missing_env_reference_in_a_plain_field_is_a_problem() {
    let error = load_file(
        r#"{"host": "${NO_SUCH_HOST}", "providers": [{"name": "groq"}]}"#,
        &[],
    )
    .expect_err("unset variable");
    assert_eq!(paths(&error), vec!["host"]);
    assert!(error.to_string().contains("NO_SUCH_HOST is not set"));
}

#[test]
fn config_is_found_through_ccproxy_config_and_home_but_never_cwd() {
    let file = write_config(r#"{"providers": [{"name": "ollama"}]}"#);
    let path = file.path().to_str().expect("utf-8 path");
    let config = load(&Overrides::default(), &env(&[("CCPROXY_CONFIG", path)])).expect("valid");
    assert_eq!(config.routes.default[0].provider, "ollama");
    let config = load(
        &Overrides::default(),
        &env(&[("HOME", "/nonexistent-home")]),
    )
    .expect("env mode");
    assert_eq!(config.source, ConfigSource::Environment);
}

#[test]
fn log_settings_from_environment() {
    let config = load_env(&[("LOG_LEVEL", "DEBUG"), ("LOG_FORMAT", "json")]).expect("valid");
    assert_eq!(
        config.log,
        LogSettings {
            level: "debug".into(),
            json: true
        }
    );
}

#[test]
fn resilience_defaults_apply_without_settings() {
    let config = load_env(&[]).expect("valid");
    let r = config.resilience;
    assert_eq!(r.retry.max_attempts, 3);
    assert_eq!(r.retry.max_retry_wait, Duration::from_secs(2));
    assert_eq!(r.timeouts.connect, Duration::from_secs(10));
    assert_eq!(r.timeouts.response, Duration::from_secs(300));
    assert_eq!(r.timeouts.stream_idle, Duration::from_secs(120));
    assert_eq!(r.breaker.failure_threshold, 5);
    assert_eq!(r.breaker.cooldown, Duration::from_secs(30));
}

#[test]
fn resilience_settings_from_the_file_and_the_environment() {
    let config = load_file(
        r#"{
          "providers": [{"name": "groq"}],
          "retry": {"max_attempts": 5, "max_retry_wait_ms": 0, "base_delay_ms": 10, "total_ms": 900},
          "timeouts": {"connect_ms": 100, "response_ms": 200, "stream_idle_ms": 300},
          "circuit_breaker": {"failure_threshold": 2, "cooldown_ms": 400, "failure_rate": 0.25,
                              "min_requests": 4, "window_ms": 5000}
        }"#,
        &[],
    )
    .expect("valid");
    let r = config.resilience;
    assert_eq!(r.retry.max_attempts, 5);
    assert_eq!(r.retry.max_retry_wait, Duration::ZERO);
    assert_eq!(r.retry.base_delay, Duration::from_millis(10));
    assert_eq!(r.retry.total, Duration::from_millis(900));
    assert_eq!(r.timeouts.connect, Duration::from_millis(100));
    assert_eq!(r.timeouts.response, Duration::from_millis(200));
    assert_eq!(r.timeouts.stream_idle, Duration::from_millis(300));
    assert_eq!(r.breaker.failure_threshold, 2);
    assert_eq!(r.breaker.cooldown, Duration::from_millis(400));
    assert_eq!(r.breaker.failure_rate, 0.25);
    assert_eq!(r.breaker.min_requests, 4);
    assert_eq!(r.breaker.window, Duration::from_secs(5));

    let config = load_env(&[("CCPROXY_UPSTREAM_TIMEOUT_MS", "1500")]).expect("valid");
    assert_eq!(
        config.resilience.timeouts.response,
        Duration::from_millis(1500)
    );
}

#[test]
fn bad_resilience_settings_are_listed_with_their_paths() {
    let error = load_file(
        r#"{
          "providers": [{"name": "groq"}],
          "retry": {"max_attempts": 0, "max_wait_ms": 1, "total_ms": 0},
          "timeouts": {"connect_ms": "fast", "response_ms": 0},
          "circuit_breaker": {"failure_threshold": 1.5, "cooldown_ms": -1, "failure_rate": 1.5,
                              "min_requests": 0, "window_ms": "30s"}
        }"#,
        &[],
    )
    .expect_err("invalid");
    assert_eq!(
        paths(&error),
        vec![
            "retry.max_wait_ms",
            "retry.max_attempts",
            "retry.total_ms",
            "timeouts.connect_ms",
            "timeouts.response_ms",
            "circuit_breaker.failure_threshold",
            "circuit_breaker.cooldown_ms",
            "circuit_breaker.failure_rate",
            "circuit_breaker.min_requests",
            "circuit_breaker.window_ms",
        ]
    );
    let text = error.to_string();
    assert!(text.contains("retry.max_wait_ms: unknown field"), "{text}");
    let error = load_file(
        r#"{"providers": [{"name": "groq"}], "retry": {"max_attempts": 11}}"#,
        &[],
    )
    .expect_err("too many attempts");
    assert_eq!(paths(&error), vec!["retry.max_attempts"]);
    let error = load_env(&[("CCPROXY_UPSTREAM_TIMEOUT_MS", "soon")]).expect_err("not a number");
    assert_eq!(paths(&error), vec!["CCPROXY_UPSTREAM_TIMEOUT_MS"]);
}

#[test]
fn config_show_lists_the_resilience_sections_in_the_file_shape() {
    let config = load_env(&[("CCPROXY_UPSTREAM_TIMEOUT_MS", "1500")]).expect("valid");
    let shown = serde_json::to_value(show::masked(&config)).expect("JSON");
    assert_eq!(
        shown["retry"],
        serde_json::json!({"max_attempts": 3, "max_retry_wait_ms": 2000, "base_delay_ms": 500,
                           "total_ms": 60000, "key_cooldown_ms": 60000})
    );
    assert_eq!(
        shown["timeouts"],
        serde_json::json!({"connect_ms": 10000, "response_ms": 1500, "stream_idle_ms": 120000,
                           "total_ms": 2_700_000, "client_body_ms": 10_000,
                           "client_header_ms": 10_000, "shutdown_grace_ms": 10_000})
    );
    assert_eq!(
        shown["circuit_breaker"],
        serde_json::json!({"failure_threshold": 5, "cooldown_ms": 30000, "failure_rate": 0.5,
                           "min_requests": 10, "window_ms": 30000})
    );
}

#[test]
fn anthropic_without_a_model_keeps_the_clients_model() {
    let config =
        load_env(&[("PROVIDER", "anthropic"), ("ANTHROPIC_API_KEY", "sk-ant-x")]).expect("valid");
    assert_eq!(config.routes.default[0].to_string(), "anthropic,*");
    let config = load_env(&[
        ("PROVIDER", "anthropic"),
        ("ANTHROPIC_API_KEY", "sk-ant-x"),
        ("ANTHROPIC_MODEL", "claude-haiku-5-5"),
    ])
    .expect("valid");
    assert_eq!(
        config.routes.default[0].to_string(),
        "anthropic,claude-haiku-5-5"
    );
}

#[test]
fn a_key_pool_from_the_file_is_checked_and_shown_masked() {
    let config = load_file(
        r#"{"providers": [{"name": "groq", "api_key": "${KEY_B}",
                          "api_keys": ["${KEY_A}", "${KEY_B}"]}]}"#,
        &[
            ("KEY_A", "gsk_pool_key_aaaa"),
            ("KEY_B", "gsk_pool_key_bbbb"),
        ],
    )
    .expect("valid");
    let groq = &config.providers[0];
    let keys: Vec<&str> = groq.keys().map(|k| k.expose()).collect();
    assert_eq!(keys, ["gsk_pool_key_aaaa", "gsk_pool_key_bbbb"]);
    let shown = show::masked(&config);
    assert_eq!(
        shown.providers[0].api_keys,
        Some(vec!["gsk_…aaaa".to_string(), "gsk_…bbbb".to_string()])
    );

    let error = load_file(
        r#"{"providers": [{"name": "groq", "api_key": "gsk_stray_key_0000",
                          "api_keys": ["gsk_pool_key_aaaa", "", "gsk_pool_key_aaaa", "${UNSET}"]}]}"#,
        &[],
    )
    .expect_err("invalid pool");
    assert_eq!(
        paths(&error),
        vec![
            "providers[0].api_keys[1]",
            "providers[0].api_keys[2]",
            "providers[0].api_keys[3]",
            "providers[0].api_key",
        ]
    );
    assert!(!error.to_string().contains("gsk_"), "{error}");
}

#[test]
fn a_provider_names_its_profile_or_gets_its_default() {
    let config = load_file(
        r#"{"providers": [
            {"name": "anthropic", "base_url": "https://gateway.example"},
            {"name": "lab", "type": "anthropic", "base_url": "https://lab.example"},
            {"name": "kimi-gw", "type": "anthropic", "base_url": "https://k.example", "profile": "kimi"},
            {"name": "zhipu-anthropic"}
        ]}"#,
        &[],
    )
    .expect("valid");
    let profile = |name: &str| config.provider(name).expect("configured").profile;
    assert_eq!(
        profile("anthropic"),
        Profile::Anthropic,
        "whatever its base URL"
    );
    assert_eq!(profile("lab"), Profile::Generic);
    assert_eq!(profile("kimi-gw"), Profile::Kimi);
    assert_eq!(profile("zhipu-anthropic"), Profile::Glm);
    assert_eq!(
        config
            .provider("zhipu-anthropic")
            .map(|p| p.key_var.as_str()),
        Some("ZHIPU_API_KEY")
    );
}

#[test]
fn an_unknown_profile_is_a_problem_with_a_suggestion() {
    let error = load_file(
        r#"{"providers": [{"name": "lab", "type": "anthropic", "base_url": "https://l.example", "profile": "kmi"}]}"#,
        &[],
    )
    .expect_err("invalid");
    let text = error.to_string();
    assert!(
        text.contains("providers[0].profile: 'kmi' is not a profile (did you mean 'kimi'?)"),
        "{text}"
    );
}

#[test]
fn a_model_two_endpoints_of_one_host_serve_routes_to_the_chosen_one() {
    let config = load_env(&[
        ("PROVIDER", "deepseek-anthropic"),
        ("DEEPSEEK_API_KEY", "k"),
    ])
    .expect("valid");
    let names: Vec<&str> = config.providers.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        ["deepseek", "deepseek-anthropic"],
        "one key, both endpoints"
    );
    assert_eq!(config.routes.default[0].provider, "deepseek-anthropic");
}

#[test]
fn openai_responses_shares_openais_key_and_moves_like_every_built_in() {
    let config = load_env(&[
        ("OPENAI_API_KEY", "sk-x"),
        ("OPENAI_RESPONSES_BASE_URL", "http://127.0.0.1:9/v1"),
    ])
    .expect("valid");
    assert_eq!(config.routes.default[0].provider, "openai");
    assert_eq!(
        catalog::implicit_default(&env(&[("OPENAI_API_KEY", "k")])),
        None
    );
    let responses = config
        .provider("openai-responses")
        .expect("keyed by OPENAI_API_KEY");
    assert_eq!(responses.kind, ProviderKind::Responses);
    assert_eq!(responses.key_var, "OPENAI_API_KEY");
    assert!(responses.api_key.is_some());
    assert_eq!(responses.base_url, "http://127.0.0.1:9/v1");
    assert_eq!(responses.default_model(), Some("gpt-5.3-codex"));
}

#[test]
fn a_file_entry_can_be_of_type_responses() {
    let config = load_file(
        r#"{"providers": [
             {"name": "lab", "type": "responses", "base_url": "http://127.0.0.1:9/v1",
              "models": ["m1"]},
             {"name": "openai-responses", "base_url": "http://127.0.0.1:8/v1"}],
           "routes": {"default": "lab,m1"}}"#,
        &[("OPENAI_API_KEY", "sk-x")],
    )
    .expect("valid");
    assert_eq!(
        config.provider("lab").expect("lab").kind,
        ProviderKind::Responses
    );
    let builtin = config.provider("openai-responses").expect("built in");
    assert_eq!(builtin.kind, ProviderKind::Responses);
    assert_eq!(builtin.base_url, "http://127.0.0.1:8/v1");
    assert_eq!(builtin.key_var, "OPENAI_API_KEY");
}

mod models;
mod raw;
mod team;
