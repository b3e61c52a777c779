//! Whether a JSON schema meets the rules of OpenAI's strict mode (Structured Outputs,
//! platform.openai.com/docs/guides/structured-outputs, "Supported schemas"): the root is an
//! object; every object sets `additionalProperties: false` and lists all its properties in
//! `required`; only the supported keywords appear; at most 10 levels of nesting. The
//! Responses API treats a function tool without `strict` as strict, so ccproxy always says
//! which: `true` only for a schema that passes this check (a schema that fails would be a
//! 400), `false` otherwise. Unknown keywords fail the check: `false` is always safe.

use serde_json::{Map, Value};

/// The keywords strict mode accepts.
const KEYWORDS: &[&str] = &[
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "anyOf",
    "enum",
    "const",
    "description",
    "title",
    "$defs",
    "definitions",
    "$ref",
    "pattern",
    "format",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minItems",
    "maxItems",
];

const MAX_DEPTH: usize = 10;

/// True when `schema` can be sent with `strict: true`.
pub fn fits_strict_mode(schema: &Value) -> bool {
    let Value::Object(root) = schema else {
        return false;
    };
    root.get("type").and_then(Value::as_str) == Some("object") && node(root, 0)
}

fn node(schema: &Map<String, Value>, depth: usize) -> bool {
    if depth > MAX_DEPTH || schema.keys().any(|k| !KEYWORDS.contains(&k.as_str())) {
        return false;
    }
    let is_object = match schema.get("type") {
        Some(Value::String(kind)) => kind == "object",
        Some(Value::Array(kinds)) => kinds.iter().any(|k| k == "object"),
        _ => schema.contains_key("properties"),
    };
    if is_object && !object_is_closed(schema) {
        return false;
    }
    let children = |key: &str| -> Vec<&Value> {
        match schema.get(key) {
            Some(Value::Object(map)) if key != "items" => map.values().collect(),
            Some(Value::Array(list)) if key == "anyOf" => list.iter().collect(),
            Some(item @ Value::Object(_)) => vec![item],
            _ => Vec::new(),
        }
    };
    if matches!(schema.get("items"), Some(Value::Array(_) | Value::Bool(_))) {
        return false;
    }
    ["properties", "$defs", "definitions", "anyOf"]
        .into_iter()
        .flat_map(children)
        .chain(schema.get("items"))
        .all(|child| matches!(child, Value::Object(map) if node(map, depth + 1)))
}

/// `additionalProperties: false` and every property required.
fn object_is_closed(schema: &Map<String, Value>) -> bool {
    if schema.get("additionalProperties") != Some(&Value::Bool(false)) {
        return false;
    }
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|list| list.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    match schema.get("properties") {
        None => true,
        Some(Value::Object(properties)) => {
            properties.keys().all(|k| required.contains(&k.as_str()))
        }
        Some(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_closed_schema_with_every_property_required_is_strict() {
        let schema = json!({
            "type": "object",
            "properties": {
                "command": {"type": "string", "description": "what to run"},
                "options": {"type": "object", "properties": {"cwd": {"type": ["string", "null"]}},
                            "required": ["cwd"], "additionalProperties": false},
                "tags": {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}}
            },
            "required": ["command", "options", "tags"],
            "additionalProperties": false
        });
        assert!(fits_strict_mode(&schema));
    }

    #[test]
    fn schemas_outside_the_rules_are_not_strict() {
        let base = json!({
            "type": "object",
            "properties": {"a": {"type": "string"}},
            "required": ["a"],
            "additionalProperties": false
        });
        assert!(fits_strict_mode(&base));
        let mut optional = base.clone();
        optional["required"] = json!([]);
        let mut open = base.clone();
        open.as_object_mut()
            .expect("object")
            .remove("additionalProperties");
        let mut unknown_keyword = base.clone();
        unknown_keyword["properties"]["a"]["minLength"] = json!(1);
        let mut schema_uri = base.clone();
        schema_uri["$schema"] = json!("http://json-schema.org/draft-07/schema#");
        let mut open_nested = base.clone();
        open_nested["properties"]["a"] = json!({"type": "object", "properties": {}});
        let mut tuple = base.clone();
        tuple["properties"]["a"] = json!({"type": "array", "items": [{"type": "string"}]});
        for (what, schema) in [
            ("optional property", optional),
            ("open object", open),
            ("unsupported keyword", unknown_keyword),
            ("$schema", schema_uri),
            ("open nested object", open_nested),
            ("tuple items", tuple),
            ("root not an object", json!({"anyOf": [base.clone()]})),
            ("not a schema", json!(true)),
        ] {
            assert!(!fits_strict_mode(&schema), "{what}");
        }
    }

    #[test]
    fn nesting_deeper_than_ten_levels_is_not_strict() {
        let mut schema = json!({"type": "string"});
        for _ in 0..11 {
            schema = json!({"type": "object", "properties": {"x": schema},
                            "required": ["x"], "additionalProperties": false});
        }
        assert!(!fits_strict_mode(&schema));
    }
}
