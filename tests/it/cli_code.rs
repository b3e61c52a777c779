//! `ccproxy code` through the real binary with a stand-in `claude` that records its
//! arguments, environment and stdin: arguments pass untouched, the proxy is started and
//! wired in with ANTHROPIC_AUTH_TOKEN, the user's ANTHROPIC_API_KEY is hidden, the exit
//! code comes back, and Claude Code's settings files are left alone.

use crate::cli_support;

use std::collections::HashMap;

use cli_support::{script, Home};

/// A stand-in `claude`: records `args`, `env` and `stdin` under `dir`, exits with `code`.
fn stand_in(home: &Home, code: i32) -> std::path::PathBuf {
    let path = home.path("fake-claude");
    let record = home.path("record");
    script(
        &path,
        &format!(
            "mkdir -p {r}\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > {r}/args\nenv > {r}/env\ncat > {r}/stdin\nexit {code}\n",
            r = record.display()
        ),
    );
    path
}

fn recorded(home: &Home, name: &str) -> String {
    std::fs::read_to_string(home.path("record").join(name)).unwrap_or_default()
}

fn recorded_env(home: &Home) -> HashMap<String, String> {
    recorded(home, "env")
        .lines()
        .filter_map(|line| line.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn code_starts_the_proxy_and_runs_claude_wired_to_it() {
    let mut home = Home::new();
    let claude = stand_in(&home, 42);
    home.set("CLAUDE_PATH", Some(&claude.display().to_string()))
        .set("ANTHROPIC_API_KEY", Some("sk-ant-the-users-own-key"));
    let args = ["code", "-p", "hello world", "--model", "groq,x", "--", "-h"];
    let run = home.run_with_input(&args, "typed input\n");
    assert_eq!(run.code, Some(42), "Claude Code's exit code: {run:?}");
    assert_eq!(
        recorded(&home, "args"),
        "-p\nhello world\n--model\ngroq,x\n--\n-h\n"
    );
    assert_eq!(recorded(&home, "stdin"), "typed input\n");
    let env = recorded_env(&home);
    assert_eq!(env.get("ANTHROPIC_BASE_URL"), Some(&home.url()));
    assert_eq!(
        env.get("ANTHROPIC_AUTH_TOKEN").map(String::as_str),
        Some("ccproxy")
    );
    assert_eq!(
        env.get("API_TIMEOUT_MS").map(String::as_str),
        Some("3000000")
    );
    assert!(
        !env.contains_key("ANTHROPIC_API_KEY"),
        "the user's key would make Claude Code ask"
    );
    assert!(
        home.pid().is_some(),
        "the proxy was started in the background"
    );
    assert!(
        run.stdout.is_empty(),
        "stdout belongs to Claude Code: {run:?}"
    );
    assert!(run.stderr.contains("ccproxy started"), "{run:?}");

    // A second run finds the proxy running and starts nothing.
    let pid = home.pid();
    let again = home.run(&["code"]);
    assert_eq!(again.code, Some(42));
    assert!(!again.stderr.contains("started"), "{again:?}");
    assert_eq!(home.pid(), pid);
}

#[test]
fn the_proxy_key_is_the_auth_token() {
    let mut home = Home::new();
    let claude = stand_in(&home, 0);
    home.set("CLAUDE_PATH", Some(&claude.display().to_string()))
        .set("CCPROXY_API_KEY", Some("proxy-key-0123456789"));
    let run = home.run(&["code"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    let env = recorded_env(&home);
    assert_eq!(
        env.get("ANTHROPIC_AUTH_TOKEN").map(String::as_str),
        Some("proxy-key-0123456789")
    );
}

#[test]
fn settings_files_are_never_rewritten_but_overrides_are_pointed_out() {
    let mut home = Home::new();
    let claude = stand_in(&home, 0);
    home.set("CLAUDE_PATH", Some(&claude.display().to_string()));
    std::fs::create_dir_all(home.path(".claude")).expect("dir");
    let settings = r#"{"env": {"ANTHROPIC_BASE_URL": "https://elsewhere.example"}}"#;
    std::fs::write(home.path(".claude/settings.json"), settings).expect("settings");
    let run = home.run(&["code"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stderr.contains("env.ANTHROPIC_BASE_URL"), "{run:?}");
    let after = std::fs::read_to_string(home.path(".claude/settings.json")).expect("settings");
    assert_eq!(after, settings);
}

/// The model variables: discovery on, the picker's tiers labelled with where they go, and
/// the auto-compact window of the smallest model the conversation routes reach; a value
/// the user set is kept, and a tier the user chose keeps its own labels.
#[test]
fn code_tells_claude_code_about_the_models_without_overriding_the_user() {
    let mut home = Home::new();
    let claude = stand_in(&home, 0);
    let config = home.path("config.json");
    let routes = r#"{"providers": [{"name": "groq", "models": ["openai/gpt-oss-120b",
                                       {"id": "small-one", "context_window": 32768}]},
                                   {"name": "gemini", "api_key": "g-key"}],
        "routes": {"default": ["gemini,gemini-3.8-flash", "groq,openai/gpt-oss-120b"],
                   "background": "groq,openai/gpt-oss-20b",
                   "think": ["groq,unlisted-model", "groq,small-one"]}}"#;
    std::fs::write(&config, routes).expect("config");
    home.set("CLAUDE_PATH", Some(&claude.display().to_string()))
        .set("CCPROXY_CONFIG", Some(&config.display().to_string()))
        .set("ANTHROPIC_DEFAULT_SONNET_MODEL", Some("my-own-sonnet"));
    let run = home.run(&["code", "-p", "hi"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    let env = recorded_env(&home);
    let get = |name: &str| env.get(name).map(String::as_str);
    assert_eq!(get("CLAUDE_CODE_ENABLE_GATEWAY_MODEL_DISCOVERY"), Some("1"));
    assert_eq!(get("ANTHROPIC_DEFAULT_OPUS_MODEL"), Some("claude-opus-5-5"));
    assert_eq!(
        get("ANTHROPIC_DEFAULT_OPUS_MODEL_NAME"),
        Some("gemini-3.8-flash (gemini)")
    );
    assert_eq!(
        get("ANTHROPIC_DEFAULT_OPUS_MODEL_DESCRIPTION"),
        Some("ccproxy default route: gemini,gemini-3.8-flash, 1M context")
    );
    assert_eq!(
        get("ANTHROPIC_DEFAULT_HAIKU_MODEL"),
        Some("claude-haiku-5-5")
    );
    assert_eq!(
        get("ANTHROPIC_DEFAULT_HAIKU_MODEL_DESCRIPTION"),
        Some("ccproxy background route: groq,openai/gpt-oss-20b, 131k context")
    );
    assert_eq!(get("ANTHROPIC_DEFAULT_SONNET_MODEL"), Some("my-own-sonnet"));
    assert_eq!(get("ANTHROPIC_DEFAULT_SONNET_MODEL_NAME"), None);
    // gemini-3.8-flash (1M, the catalog's), its fallback gpt-oss-120b (131,072), the think
    // route's fallback (32,768, as the file states it; its first has no known window);
    // background does not count.
    assert_eq!(get("CLAUDE_CODE_AUTO_COMPACT_WINDOW"), Some("32768"));

    home.set("CLAUDE_CODE_AUTO_COMPACT_WINDOW", Some("50000"))
        .set("CLAUDE_CODE_ENABLE_GATEWAY_MODEL_DISCOVERY", Some("0"));
    let run = home.run(&["code"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    let env = recorded_env(&home);
    assert_eq!(env["CLAUDE_CODE_AUTO_COMPACT_WINDOW"], "50000");
    assert_eq!(env["CLAUDE_CODE_ENABLE_GATEWAY_MODEL_DISCOVERY"], "0");
}

#[test]
fn a_missing_claude_is_explained() {
    let mut home = Home::new();
    home.set("CLAUDE_PATH", Some("/nonexistent/claude"));
    let run = home.run(&["code"]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(run.stderr.contains("was not found"), "{run:?}");
    assert!(run.stderr.contains("CLAUDE_PATH"), "{run:?}");
}
