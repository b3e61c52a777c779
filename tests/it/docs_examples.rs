//! Every complete config example in README.md and docs/ (a ```json block that is a whole
//! configuration object) passes `ccproxy config check` as written, in a clean environment.

use crate::cli_support;

use cli_support::Home;
use serde_json::Value;

/// Keys only a configuration has at its top level (error bodies and Claude Code settings,
/// also shown as JSON, have none of them).
const CONFIG_KEYS: &[&str] = &[
    "providers",
    "routes",
    "retry",
    "timeouts",
    "circuit_breaker",
    "host",
    "port",
];

/// The ```json blocks of a Markdown text that parse as configuration objects.
fn config_examples(text: &str) -> Vec<String> {
    text.split("```json\n")
        .skip(1)
        .filter_map(|rest| rest.split("```").next())
        .filter(|block| {
            serde_json::from_str::<Value>(block)
                .ok()
                .and_then(|value| value.as_object().cloned())
                .is_some_and(|object| CONFIG_KEYS.iter().any(|key| object.contains_key(*key)))
        })
        .map(str::to_string)
        .collect()
}

#[test]
fn every_config_example_in_the_docs_passes_config_check() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut documents = vec![root.join("README.md")];
    for entry in std::fs::read_dir(root.join("docs")).expect("docs/") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "md") {
            documents.push(path);
        }
    }
    let mut home = Home::new();
    home.set("GROQ_API_KEY", None);
    let mut checked = 0;
    for document in documents {
        let text = std::fs::read_to_string(&document).expect("read");
        for (index, example) in config_examples(&text).iter().enumerate() {
            let file = home.path(&format!("example-{index}.json"));
            std::fs::write(&file, example).expect("write");
            let check = home.run(&["config", "check", "--config", &file.display().to_string()]);
            assert_eq!(
                check.code,
                Some(0),
                "{} example {index} fails `config check`:\n{example}\n{check:?}",
                document.display()
            );
            checked += 1;
        }
    }
    assert!(
        checked >= 2,
        "the README's config and the resilience example are found"
    );
}
