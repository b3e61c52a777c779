//! `providers[].models` entries written as objects with the model's limits, and the cached
//! input price of `prices`.

use super::{load_file, paths};
use crate::config::{show, ModelEntry};

#[test]
fn a_model_entry_may_state_its_limits() {
    let config = load_file(
        r#"{"providers": [{"name": "lab", "type": "openai", "base_url": "http://127.0.0.1:8000/v1",
            "models": [{"id": "qwen3", "context_window": 131072, "max_output_tokens": 8192},
                       "small", {"id": "mid", "context_window": 32768}]}]}"#,
        &[],
    )
    .expect("valid");
    let lab = config.provider("lab").expect("lab");
    assert_eq!(lab.default_model(), Some("qwen3"));
    let qwen = lab.model("qwen3").expect("listed");
    assert_eq!(
        (qwen.context_window, qwen.max_output_tokens),
        (Some(131_072), Some(8192))
    );
    assert_eq!(lab.model("small"), Some(&ModelEntry::id("small")));
    assert_eq!(lab.model("mid").and_then(|m| m.max_output_tokens), None);
    assert_eq!(config.routes.default[0].model, "qwen3");
    let shown = serde_json::to_value(show::masked(&config)).expect("JSON");
    assert_eq!(
        shown["providers"][0]["models"],
        serde_json::json!([{"id": "qwen3", "context_window": 131072, "max_output_tokens": 8192},
                           "small", {"id": "mid", "context_window": 32768}])
    );
}

#[test]
fn bad_model_entries_are_listed_with_their_paths() {
    let error = load_file(
        r#"{"providers": [{"name": "lab", "type": "openai", "base_url": "http://127.0.0.1:8000/v1",
            "models": [{"id": "a", "context_windw": 1}, {"id": "b", "context_window": 0},
                       {"id": "c", "max_output_tokens": -5}, {"context_window": 9}, 7, "ok"]}]}"#,
        &[],
    )
    .expect_err("invalid");
    assert_eq!(
        paths(&error),
        vec![
            "providers[0].models[0].context_windw",
            "providers[0].models[1].context_window",
            "providers[0].models[2].max_output_tokens",
            "providers[0].models[3]",
            "providers[0].models[4]",
        ]
    );
    let text = error.to_string();
    assert!(
        text.contains("models[0].context_windw: unknown field (did you mean 'context_window'?)"),
        "{text}"
    );
    assert!(text.contains("models[3]: missing field `id`"), "{text}");
}

#[test]
fn a_cached_input_price_is_read_and_shown() {
    let config = load_file(
        r#"{"providers": [{"name": "groq"}],
            "prices": {"groq,m": {"input_per_mtok": 1.0, "output_per_mtok": 3.0,
                                  "cached_input_per_mtok": 0.1}}}"#,
        &[],
    )
    .expect("valid");
    let price = config.prices.get("groq", "m").expect("priced");
    assert_eq!(price.cached_input_per_mtok, Some(0.1));
    let shown = serde_json::to_value(show::masked(&config)).expect("JSON");
    assert_eq!(shown["prices"]["groq,m"]["cached_input_per_mtok"], 0.1);
    let error = load_file(
        r#"{"providers": [{"name": "groq"}],
            "prices": {"groq,m": {"input_per_mtok": 1.0, "output_per_mtok": 3.0,
                                  "cached_input_per_mtok": -1}}}"#,
        &[],
    )
    .expect_err("negative");
    assert_eq!(paths(&error), vec!["prices.groq,m.cached_input_per_mtok"]);
}
