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
