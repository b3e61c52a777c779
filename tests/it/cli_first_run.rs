//! What a new user meets first, through the real binary: the default model Groq serves
//! today in everything they read (`config show`, `config init`'s starter, `--help`).

use crate::cli_support;

use cli_support::Home;

/// The retired Groq model that must appear nowhere a user copies from.
const RETIRED: &str = "moonshotai/kimi-k2-instruct";

#[test]
fn the_default_groq_model_is_one_groq_serves() {
    let home = Home::new();
    let shown = home.run(&["config", "show"]);
    assert_eq!(shown.code, Some(0), "{shown:?}");
    let value: serde_json::Value = serde_json::from_str(&shown.stdout).expect("JSON");
    assert_eq!(value["routes"]["default"], "groq,openai/gpt-oss-120b");

    let init = home.run(&["config", "init"]);
    assert_eq!(init.code, Some(0), "{init:?}");
    let starter = std::fs::read_to_string(home.path(".ccproxy/config.json")).expect("starter");
    assert!(
        starter.contains("\"groq,openai/gpt-oss-120b\""),
        "{starter}"
    );
    assert!(!starter.contains(RETIRED), "{starter}");

    for command in ["code", "start", "serve", "config"] {
        let help = home.run(&[command, "--help"]);
        assert_eq!(help.code, Some(0), "{help:?}");
        assert!(!help.stdout.contains(RETIRED), "{command} --help: {help:?}");
    }
}

/// `start` runs the server in the background, its log in a file: the start-up warnings are
/// printed by `start` itself too. A key under a near-miss name gets a did-you-mean.
#[test]
fn start_prints_the_startup_warnings() {
    let mut home = Home::new();
    home.set("GROQ_API_KEY", None)
        .set("GROQ_KEY", Some("gsk_misplaced_0123456789"));
    let started = home.run(&["start"]);
    assert_eq!(started.code, Some(0), "{started:?}");
    assert!(
        started.stderr.contains(
            "ccproxy: warning: GROQ_KEY is set, but provider 'groq' reads its key from \
             GROQ_API_KEY: did you mean GROQ_API_KEY?"
        ),
        "{started:?}"
    );
    assert!(!started.all().contains("gsk_misplaced"), "{started:?}");
    assert!(
        started
            .stderr
            .contains("ccproxy: warning: no API key for provider 'groq'"),
        "{started:?}"
    );
    assert!(started.stderr.contains("GROQ_API_KEY"), "{started:?}");
    let stopped = home.run(&["stop"]);
    assert_eq!(stopped.code, Some(0), "{stopped:?}");
}

/// `PROVIDER` applies with a config file too (the environment overrides the file), and
/// `start` says so; a name that is nowhere is an error naming `PROVIDER`.
#[test]
fn provider_variable_applies_over_a_config_file() {
    let mut home = Home::new();
    std::fs::create_dir_all(home.path(".ccproxy")).expect("dir");
    std::fs::write(
        home.path(".ccproxy/config.json"),
        r#"{"providers": [{"name": "groq"}], "routes": {"default": "groq,openai/gpt-oss-120b"}}"#,
    )
    .expect("config");
    home.set("PROVIDER", Some("openai"))
        .set("OPENAI_API_KEY", Some("sk-test-0123456789abcdef"));
    let shown = home.run(&["config", "show"]);
    assert_eq!(shown.code, Some(0), "{shown:?}");
    let value: serde_json::Value = serde_json::from_str(&shown.stdout).expect("JSON");
    assert_eq!(value["routes"]["default"], "openai,gpt-5.6-terra");

    let started = home.run(&["start"]);
    assert_eq!(started.code, Some(0), "{started:?}");
    assert!(
        started
            .stderr
            .contains("PROVIDER=openai: the default route is openai,gpt-5.6-terra"),
        "{started:?}"
    );
    assert_eq!(home.run(&["stop"]).code, Some(0));

    home.set("PROVIDER", Some("nowhere"));
    let check = home.run(&["config", "check"]);
    assert_eq!(check.code, Some(1), "{check:?}");
    assert!(check.stderr.contains("PROVIDER: 'nowhere'"), "{check:?}");
}

/// Behind a corporate proxy, `ccproxy env` adds loopback to the user's own `NO_PROXY`
/// entries (from either spelling) instead of replacing them.
#[test]
fn env_keeps_the_users_no_proxy_entries() {
    let mut home = Home::new();
    home.set("HTTPS_PROXY", Some("http://corp.example:8080"))
        .set("no_proxy", Some(".corp.example"));
    let exports = home.run(&["env"]);
    assert_eq!(exports.code, Some(0), "{exports:?}");
    for name in ["NO_PROXY", "no_proxy"] {
        assert!(
            exports.stdout.contains(&format!(
                "export {name}='.corp.example,127.0.0.1,localhost,::1'"
            )),
            "{exports:?}"
        );
    }
}
