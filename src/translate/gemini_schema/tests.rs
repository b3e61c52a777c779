use serde_json::json;

use super::*;

/// Every key at a schema position of `schema` that Gemini does not know, with its path.
pub(crate) fn unsupported_keys(schema: &Value, path: &str, found: &mut Vec<String>) {
    let Some(object) = schema.as_object() else {
        return;
    };
    for (key, value) in object {
        let here = format!("{path}.{key}");
        if !SUPPORTED.contains(&key.as_str()) {
            found.push(here.clone());
        }
        match key.as_str() {
            "properties" => {
                for (name, property) in value.as_object().into_iter().flatten() {
                    unsupported_keys(property, &format!("{here}.{name}"), found);
                }
            }
            "items" => unsupported_keys(value, &here, found),
            "anyOf" => {
                for branch in value.as_array().into_iter().flatten() {
                    unsupported_keys(branch, &here, found);
                }
            }
            _ => {}
        }
    }
    if object.get("type").is_some_and(|t| !t.is_string()) {
        found.push(format!("{path}.type is not one type"));
    }
    if object.contains_key("enum") && object.get("type") != Some(&json!("string")) {
        found.push(format!("{path}.enum without type string"));
    }
}

fn assert_clean(schema: &Value) {
    let mut found = Vec::new();
    unsupported_keys(schema, "", &mut found);
    assert!(
        found.is_empty(),
        "Gemini would reject: {found:?} in {schema}"
    );
}

#[test]
fn the_claude_code_tool_set_comes_out_clean() {
    let request: Value = serde_json::from_str(include_str!(
        "../../../tests/fixtures/claude-code-2.1.331-first-turn.json"
    ))
    .expect("fixture");
    let tools = request["tools"].as_array().expect("tools");
    assert!(tools.len() >= 10);
    for tool in tools {
        if let Some(parameters) = parameters(&tool["input_schema"]) {
            assert_clean(&parameters);
        }
    }
}

#[test]
fn json_schema_only_keywords_are_dropped_or_rewritten() {
    let schema = json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "additionalProperties": false,
        "propertyNames": {"pattern": "^[a-z]+$"},
        "properties": {
            "url": {"type": "string", "format": "uri"},
            "when": {"type": "string", "format": "date-time"},
            "mode": {"const": "fast"},
            "level": {"enum": [1, 2, 3]},
            "timeout": {"type": "number", "exclusiveMinimum": 0, "maximum": 600},
            "note": {"type": ["string", "null"], "description": "optional"},
            "tags": {"type": "array", "uniqueItems": true},
            "pick": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
            "maybe": {"anyOf": [{"type": "integer", "minimum": 1}, {"type": "null"}]}
        },
        "required": ["url", "ghost"]
    });
    let cleaned = parameters(&schema).expect("parameters");
    assert_clean(&cleaned);
    assert_eq!(
        cleaned,
        json!({
            "type": "object",
            "properties": {
                "url": {"type": "string"},
                "when": {"type": "string", "format": "date-time"},
                "mode": {"type": "string", "enum": ["fast"]},
                "level": {"type": "string", "enum": ["1", "2", "3"]},
                "timeout": {"type": "number", "maximum": 600},
                "note": {"type": "string", "nullable": true, "description": "optional"},
                "tags": {"type": "array", "items": {"type": "string"}},
                "pick": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                "maybe": {"type": "integer", "minimum": 1, "nullable": true}
            },
            "required": ["url"]
        })
    );
}

#[test]
fn references_are_inlined_and_recursion_stops() {
    let schema = json!({
        "type": "object",
        "$defs": {
            "Node": {"type": "object", "properties": {
                "name": {"type": "string"},
                "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}}}
        },
        "definitions": {"Kind": {"type": "string", "enum": ["a", "b"]}},
        "properties": {
            "root": {"$ref": "#/$defs/Node"},
            "kind": {"$ref": "#/definitions/Kind"},
            "both": {"allOf": [{"$ref": "#/definitions/Kind"}, {"description": "merged"}]}
        }
    });
    let cleaned = parameters(&schema).expect("parameters");
    assert_clean(&cleaned);
    let root = &cleaned["properties"]["root"];
    assert_eq!(root["properties"]["name"], json!({"type": "string"}));
    assert_eq!(
        root["properties"]["children"]["items"],
        json!({"type": "object"}),
        "the recursive reference stops at its second appearance"
    );
    assert_eq!(
        cleaned["properties"]["kind"],
        json!({"type": "string", "enum": ["a", "b"]})
    );
    assert_eq!(
        cleaned["properties"]["both"],
        json!({"type": "string", "enum": ["a", "b"], "description": "merged"})
    );
}

#[test]
fn a_tool_without_parameters_sends_none() {
    assert_eq!(
        parameters(&json!({"type": "object", "properties": {}})),
        None
    );
    assert_eq!(parameters(&json!({"type": "object"})), None);
}
