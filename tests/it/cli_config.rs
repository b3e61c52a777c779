//! The configuration and shell commands through the real binary: `env` (bash and fish),
//! `config check | show | init | import-ccr` (with a claude-code-router config written the
//! way its documentation shows one), `statusline`, `--help` for every command, exit codes.

use crate::cli_support;

use cli_support::{Home, GROQ_KEY};

#[test]
fn env_prints_exports_for_posix_shells_and_fish() {
    let mut home = Home::new();
    home.set("ANTHROPIC_API_KEY", Some("sk-ant-users-key"));
    let posix = home.run(&["env"]);
    assert_eq!(posix.code, Some(0), "{posix:?}");
    let mut expected = format!(
        "export ANTHROPIC_BASE_URL='{}'\nexport ANTHROPIC_AUTH_TOKEN='ccproxy'\n\
         export API_TIMEOUT_MS='3000000'\nexport CLAUDE_CODE_ENABLE_GATEWAY_MODEL_DISCOVERY='1'\n",
        home.url()
    );
    // No background route in environment-only mode: every tier goes to the default one.
    for (tier, id) in [
        ("OPUS", "claude-opus-5-5"),
        ("SONNET", "claude-sonnet-5-5"),
        ("HAIKU", "claude-haiku-5-5"),
    ] {
        expected.push_str(&format!(
            "export ANTHROPIC_DEFAULT_{tier}_MODEL='{id}'\n\
             export ANTHROPIC_DEFAULT_{tier}_MODEL_NAME='openai/gpt-oss-120b (groq)'\n\
             export ANTHROPIC_DEFAULT_{tier}_MODEL_DESCRIPTION=\
             'ccproxy default route: groq,openai/gpt-oss-120b, 131k context'\n"
        ));
    }
    expected.push_str("export CLAUDE_CODE_AUTO_COMPACT_WINDOW='131072'\nunset ANTHROPIC_API_KEY\n");
    assert_eq!(posix.stdout, expected);
    let fish = home.run(&["env", "--shell", "fish"]);
    assert!(fish
        .stdout
        .contains(&format!("set -gx ANTHROPIC_BASE_URL '{}'", home.url())));
    assert!(fish.stdout.contains("set -e ANTHROPIC_API_KEY"), "{fish:?}");
    let bad = home.run(&["env", "--shell", "tcsh"]);
    assert_eq!(bad.code, Some(2), "{bad:?}");
}

#[test]
fn env_output_really_works_in_sh() {
    let home = Home::new();
    let exports = home.run(&["env", "--port", "4999"]).stdout;
    let output = std::process::Command::new("sh")
        .args(["-c", &format!("{exports}\necho \"$ANTHROPIC_BASE_URL\"")])
        .output()
        .expect("sh");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "http://127.0.0.1:4999\n"
    );
}

#[test]
fn config_check_lists_every_problem_with_its_path() {
    let home = Home::new();
    let good = home.run(&["config", "check"]);
    assert_eq!(good.code, Some(0), "{good:?}");
    assert!(good.stdout.contains("configuration OK"), "{good:?}");
    let file = home.path("bad.json");
    std::fs::write(
        &file,
        r#"{"prot": 1, "providers": [{"name": "groq", "bsae_url": "x"}]}"#,
    )
    .expect("write");
    let bad = home.run(&["config", "check", "--config", &file.display().to_string()]);
    assert_eq!(bad.code, Some(1), "{bad:?}");
    assert!(bad.stderr.contains("prot: unknown field"), "{bad:?}");
    assert!(bad.stderr.contains("providers[0].bsae_url"), "{bad:?}");
}

#[test]
fn config_show_masks_keys_and_applies_the_environment() {
    let mut home = Home::new();
    home.set("CCPROXY_API_KEY", Some("proxy-secret-0123456789"));
    let shown = home.run(&["config", "show"]);
    assert_eq!(shown.code, Some(0), "{shown:?}");
    let value: serde_json::Value = serde_json::from_str(&shown.stdout).expect("JSON");
    assert_eq!(value["port"], home.port);
    assert_eq!(value["providers"][0]["api_key"], "gsk_…3f9a");
    assert!(!shown.stdout.contains(GROQ_KEY));
    assert!(!shown.stdout.contains("proxy-secret"));
}

#[test]
fn config_init_writes_a_valid_starter_once() {
    let home = Home::new();
    let first = home.run(&["config", "init"]);
    assert_eq!(first.code, Some(0), "{first:?}");
    let path = home.path(".ccproxy/config.json");
    let written = std::fs::read_to_string(&path).expect("written");
    assert!(written.contains("//"), "commented");
    std::fs::write(&path, format!("{written}\n// edited")).expect("edit");
    let second = home.run(&["config", "init"]);
    assert_eq!(second.code, Some(1), "{second:?}");
    assert!(second.stderr.contains("already exists"), "{second:?}");
    assert!(std::fs::read_to_string(&path)
        .expect("kept")
        .ends_with("// edited"));
    let check = home.run(&["config", "check"]);
    assert_eq!(check.code, Some(0), "{check:?}");
    assert!(
        check.stdout.contains(&path.display().to_string()),
        "{check:?}"
    );
}

/// A claude-code-router config in the shape its README documents: comments, full
/// `api_base_url`s, transformers (global, per model, with options), a Router section.
const CCR_CONFIG: &str = r#"{
  "APIKEY": "my-router-secret",
  "PROXY_URL": "http://127.0.0.1:7890",
  "LOG": true,
  "LOG_LEVEL": "debug",
  "HOST": "127.0.0.1",
  "PORT": 3456,
  "API_TIMEOUT_MS": 600000,
  "Providers": [
    {
      "name": "openrouter",
      // must be the complete URL
      "api_base_url": "https://openrouter.ai/api/v1/chat/completions",
      "api_key": "$OPENROUTER_API_KEY",
      "models": ["google/gemini-2.5-pro-preview", "anthropic/claude-sonnet-4"],
      "transformer": {"use": ["openrouter"]}
    },
    {
      "name": "deepseek",
      "api_base_url": "https://api.deepseek.com/chat/completions",
      "api_key": "sk-deepseek-literal-key-000",
      "models": ["deepseek-chat", "deepseek-reasoner"],
      "transformer": {"use": ["deepseek"], "deepseek-chat": {"use": ["tooluse"]}}
    },
    {
      "name": "ollama",
      "api_base_url": "http://localhost:11434/v1/chat/completions",
      "api_key": "ollama",
      "models": ["qwen2.5-coder:latest"]
    },
    {
      "name": "gemini",
      "api_base_url": "https://generativelanguage.googleapis.com/v1beta/models/",
      "api_key": "${GEMINI_API_KEY}",
      "models": ["gemini-2.5-flash", "gemini-2.5-pro"],
      "transformer": {"use": ["gemini"]}
    },
    {
      "name": "SiliconFlow",
      "api_base_url": "https://api.siliconflow.cn/v1/chat/completions",
      "api_key": "sk-xxx",
      "models": ["moonshotai/Kimi-K2-Instruct"],
      "transformer": {"use": [["maxtoken", {"max_tokens": 16384}]]}
    }
  ],
  "Router": {
    "default": "deepseek,deepseek-chat",
    "background": "ollama,qwen2.5-coder:latest",
    "think": "deepseek,deepseek-reasoner",
    "longContext": "openrouter,google/gemini-2.5-pro-preview",
    "longContextThreshold": 60000,
    "webSearch": "gemini,gemini-2.5-flash",
    "image": "SiliconFlow,moonshotai/Kimi-K2-Instruct"
  },
  "CUSTOM_ROUTER_PATH": "$HOME/.claude-code-router/custom-router.js",
  "transformers": [{"path": "$HOME/.claude-code-router/plugins/gemini-cli.js"}]
}"#;

#[test]
fn import_ccr_converts_a_claude_code_router_config() {
    let home = Home::new();
    std::fs::create_dir_all(home.path(".claude-code-router")).expect("dir");
    std::fs::write(home.path(".claude-code-router/config.json"), CCR_CONFIG).expect("ccr");
    let run = home.run(&["config", "import-ccr"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    for unconverted in [
        "PROXY_URL",
        "CUSTOM_ROUTER_PATH",
        "transformers",
        "transformer deepseek, tooluse (for deepseek-chat)",
        "maxtoken",
        "API_TIMEOUT_MS",
    ] {
        assert!(run.stderr.contains(unconverted), "{unconverted}: {run:?}");
    }
    assert!(run.stdout.contains("it is valid"), "{run:?}");
    let text = std::fs::read_to_string(home.path(".ccproxy/config.json")).expect("written");
    let ours: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(ours["api_key"], "my-router-secret");
    assert_eq!(ours["log_level"], "debug");
    assert_eq!(
        ours["providers"][0]["base_url"],
        "https://openrouter.ai/api/v1"
    );
    assert_eq!(ours["providers"][0]["api_key"], "${OPENROUTER_API_KEY}");
    assert_eq!(ours["providers"][1]["base_url"], "https://api.deepseek.com");
    assert_eq!(ours["providers"][3]["type"], "gemini");
    assert_eq!(
        ours["providers"][3]["base_url"],
        "https://generativelanguage.googleapis.com/v1beta"
    );
    assert_eq!(ours["providers"][4]["name"], "siliconflow");
    let routes = &ours["routes"];
    assert_eq!(routes["default"], "deepseek,deepseek-chat");
    assert_eq!(
        routes["long_context"],
        "openrouter,google/gemini-2.5-pro-preview"
    );
    assert_eq!(routes["long_context_threshold"], 60000);
    assert_eq!(routes["web_search"], "gemini,gemini-2.5-flash");
    assert_eq!(routes["image"], "siliconflow,moonshotai/Kimi-K2-Instruct");
    assert_eq!(home.run(&["config", "check"]).code, Some(0));

    let again = home.run(&["config", "import-ccr"]);
    assert_eq!(again.code, Some(1), "never overwrites: {again:?}");
    let printed = home.run(&["config", "import-ccr", "--output", "-"]);
    assert_eq!(printed.code, Some(0), "{printed:?}");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&printed.stdout).expect("JSON"),
        ours
    );
}

#[test]
fn import_ccr_of_a_missing_file_fails_clearly() {
    let home = Home::new();
    let run = home.run(&["config", "import-ccr", "/nonexistent/config.json"]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        run.stderr.contains("cannot read /nonexistent/config.json"),
        "{run:?}"
    );
}

#[test]
fn statusline_shows_the_sessions_last_route() {
    let mut home = Home::new();
    let dead = cli_support::free_port();
    home.set("PROVIDER", Some("mock"))
        .set(
            "MOCK_BASE_URL",
            Some(&format!("http://127.0.0.1:{dead}/v1")),
        )
        .set("MOCK_MODEL", Some("mock-model"));
    let input = r#"{"session_id": "7f1c-session", "model": {"id": "claude-opus", "display_name": "Opus"}, "workspace": {"current_dir": "/tmp"}}"#;
    let down = home.run_with_input(&["statusline"], input);
    assert_eq!(down.code, Some(0), "{down:?}");
    assert!(
        down.stdout.starts_with("ccproxy ○ not answering"),
        "{down:?}"
    );

    assert_eq!(home.run(&["start"]).code, Some(0));
    let idle = home.run_with_input(&["statusline"], input);
    assert_eq!(
        idle.stdout, "ccproxy ● default → mock,mock-model\n",
        "{idle:?}"
    );
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    // A request of the session (its upstream is down: the route is recorded all the same).
    let ask = |model: &str| {
        let sent = runtime.block_on(
            reqwest::Client::new()
                .post(format!("{}/v1/messages", home.url()))
                .header("x-claude-code-session-id", "7f1c-session")
                .json(&serde_json::json!({"model": model, "max_tokens": 5,
                                          "messages": [{"role": "user", "content": "hi"}]}))
                .send(),
        );
        assert!(sent.is_ok(), "{sent:?}");
    };
    ask("mock,other-model");
    let routed = home.run_with_input(&["statusline"], input);
    assert_eq!(
        routed.stdout, "ccproxy ● explicit → mock,other-model\n",
        "{routed:?}"
    );
    // A model whose window the catalog knows shows it.
    ask("mock,openai/gpt-oss-20b");
    let sized = home.run_with_input(&["statusline"], input);
    assert_eq!(
        sized.stdout, "ccproxy ● explicit → mock,openai/gpt-oss-20b · 131k context\n",
        "{sized:?}"
    );
    let garbage = home.run_with_input(&["statusline"], "not json");
    assert_eq!(garbage.code, Some(0));
    assert!(garbage.stdout.starts_with("ccproxy ●"), "{garbage:?}");
}

#[test]
fn every_command_has_help_with_examples() {
    let home = Home::new();
    for command in [
        vec!["serve"],
        vec!["start"],
        vec!["stop"],
        vec!["restart"],
        vec!["status"],
        vec!["code"],
        vec!["env"],
        vec!["config"],
        vec!["config", "check"],
        vec!["config", "show"],
        vec!["config", "init"],
        vec!["config", "import-ccr"],
        vec!["statusline"],
        vec!["version"],
    ] {
        let mut args = command.clone();
        args.push("--help");
        let run = home.run(&args);
        assert_eq!(run.code, Some(0), "{args:?}: {run:?}");
        assert!(run.stdout.contains("Example"), "{args:?}: {run:?}");
    }
}

#[test]
fn usage_errors_exit_2_and_version_exits_0() {
    let home = Home::new();
    for args in [
        vec!["frobnicate"],
        vec!["start", "--port", "not-a-port"],
        vec!["config"],
        vec!["config", "nope"],
        vec![],
    ] {
        let run = home.run(&args);
        assert_eq!(run.code, Some(2), "{args:?}: {run:?}");
    }
    let version = home.run(&["--version"]);
    assert_eq!(version.code, Some(0));
    assert_eq!(
        version.stdout,
        format!("ccproxy {}\n", env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(home.run(&["version"]).stdout, version.stdout);
}
