//! The config values written two ways (`crate::string_or`): each type reads its own two
//! forms and refuses the other shapes with what it expects.

use serde_json::json;

use super::super::raw::RawTargets;
use super::super::ModelEntry;

fn refusal<T: serde::de::DeserializeOwned + std::fmt::Debug>(value: serde_json::Value) -> String {
    serde_json::from_value::<T>(value)
        .expect_err("refused")
        .to_string()
}

#[test]
fn each_type_reads_its_own_two_forms() {
    let targets: RawTargets = serde_json::from_value(json!(["p,m", null])).expect("list");
    assert_eq!(targets, RawTargets::Many(vec![Some("p,m".into()), None]));
    let one: RawTargets = serde_json::from_value(json!("p,m")).expect("text");
    assert_eq!(one, RawTargets::One("p,m".into()));
    let entry: ModelEntry = serde_json::from_value(json!({"id": " q "})).expect("object");
    assert_eq!(entry, ModelEntry::id("q"));
}

#[test]
fn the_other_long_form_is_refused_with_what_the_type_expects() {
    let targets = "\"provider,model\" or a non-empty list of them";
    assert_eq!(
        refusal::<RawTargets>(json!({"id": "p,m"})),
        format!("invalid type: map, expected {targets}")
    );
    assert_eq!(
        refusal::<RawTargets>(json!(5)),
        format!("invalid type: integer `5`, expected {targets}")
    );
    let entry = "a model name, or {\"id\": .., \"context_window\": .., \"max_output_tokens\": ..}";
    assert_eq!(
        refusal::<ModelEntry>(json!(["q", 5])),
        format!("invalid type: sequence, expected {entry}")
    );
    assert_eq!(
        refusal::<ModelEntry>(json!(true)),
        format!("invalid type: boolean `true`, expected {entry}")
    );
}
