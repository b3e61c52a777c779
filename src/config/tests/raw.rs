//! The file read through its types: wrong types and unknown keys anywhere are listed with
//! their paths, beside the validator's own problems, and nothing else is lost.

use super::{load_file, paths};

#[test]
fn wrong_types_are_listed_with_their_paths_and_no_second_problem() {
    let error = load_file(
        r#"{
          "host": 5,
          "providers": [
            {"name": 7, "type": "openai"},
            {"name": "lab", "type": "openai", "base_url": "http://127.0.0.1:1/v1",
             "enabled": "yes", "models": ["m", 3, null], "api_keys": ["k", 9]},
            null
          ],
          "routes": {"default": ["lab,m", 4]},
          "timeouts": {"conect_ms": 1, "total_ms": "long"},
          "store": {"on_error": true}
        }"#,
        &[],
    )
    .expect_err("invalid");
    assert_eq!(
        paths(&error),
        vec![
            "providers[0].name",
            "providers[1].models[1]",
            "providers[1].models[2]",
            "providers[1].enabled",
            "providers[1].api_keys[1]",
            "providers[2]",
            "routes.default[1]",
            "timeouts.conect_ms",
            "timeouts.total_ms",
            "store.on_error",
            "host",
        ]
    );
    let text = error.to_string();
    for expected in [
        "host: expected a string",
        "providers[1].enabled: expected true or false",
        "providers[1].models[1]: expected a model name",
        "routes.default[1]: expected a string",
        "timeouts.conect_ms: unknown field (did you mean 'connect_ms'?)",
        "timeouts.total_ms: expected a whole number",
        "providers[2]: expected an object",
    ] {
        assert!(text.contains(expected), "{expected} in {text}");
    }
    // A value of the wrong type is not also "required".
    assert!(!text.contains("required"), "{text}");
}

#[test]
fn a_file_that_is_not_an_object_is_one_problem() {
    let error = load_file("[1, 2]", &[]).expect_err("not an object");
    assert_eq!(paths(&error), vec!["(file)"]);
    assert!(error.to_string().contains("expected an object"), "{error}");
}

#[test]
fn references_stay_as_written_in_the_raw_layer() {
    let value = serde_json::json!({"providers": [{"name": "groq", "api_key": "${GROQ_API_KEY}"}]});
    let (raw, sink) = crate::config::raw::parse::<crate::config::raw::RawConfig>(value.clone(), "");
    assert!(sink.is_empty());
    assert_eq!(serde_json::to_value(&raw).expect("JSON"), value);
}
