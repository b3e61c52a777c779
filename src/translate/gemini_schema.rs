//! A tool's JSON Schema → the OpenAPI 3.0 subset Gemini accepts in
//! `functionDeclarations[].parameters` (https://ai.google.dev/api/caching#Schema). Gemini
//! answers 400 "Unknown name ... Cannot find field" for `$schema`, `additionalProperties`,
//! `const`, `propertyNames`, `exclusiveMinimum`, ...; "Proto field is not repeating" for a
//! `type` list; "only 'enum' and 'date-time' are supported for STRING type" for other
//! formats; "enum only allowed for STRING type" for an untyped or non-string enum; a missing
//! `items` for an ARRAY. The steps mirror google-genai's `process_schema`:
//!
//! 1. `$ref` into `$defs`/`definitions` is inlined (a reference met again inside its own
//!    expansion becomes a plain `{"type": "object"}`, so recursive schemas terminate);
//! 2. `type: [T, "null"]` and `anyOf` with a `{"type": "null"}` branch become `nullable`;
//! 3. `const` becomes a one-value `enum`; `oneOf` becomes `anyOf`; `allOf` is merged;
//! 4. enum values become strings, with `type: "string"`;
//! 5. string formats other than `enum`/`date-time` are dropped;
//! 6. an array gets `items` when it has none;
//! 7. every key outside the supported list is dropped, at every level.

use serde_json::{Map, Value};

/// The `Schema` fields Gemini knows (G-PY `types.py Schema`).
const SUPPORTED: &[&str] = &[
    "type",
    "format",
    "title",
    "description",
    "nullable",
    "enum",
    "items",
    "minItems",
    "maxItems",
    "properties",
    "required",
    "minProperties",
    "maxProperties",
    "minLength",
    "maxLength",
    "pattern",
    "minimum",
    "maximum",
    "anyOf",
    "propertyOrdering",
    "default",
    "example",
];

/// How deep `$ref` expansion may nest before it stops (guards against cycles through
/// several definitions and against absurdly deep schemas).
const MAX_DEPTH: usize = 32;

/// The cleaned `parameters` for a tool's `input_schema`; `None` when the tool takes no
/// parameters (Gemini rejects an OBJECT with empty `properties` in some models).
pub fn parameters(schema: &Value) -> Option<Value> {
    let definitions = definitions(schema);
    let mut seen = Vec::new();
    let cleaned = clean(schema, &definitions, &mut seen);
    let has_properties = cleaned
        .get("properties")
        .and_then(Value::as_object)
        .is_some_and(|p| !p.is_empty());
    has_properties.then_some(cleaned)
}

/// `$defs` and `definitions` of the root schema, by reference text (`#/$defs/Name`).
fn definitions(schema: &Value) -> Map<String, Value> {
    let mut found = Map::new();
    for key in ["$defs", "definitions"] {
        if let Some(defs) = schema.get(key).and_then(Value::as_object) {
            for (name, def) in defs {
                found.insert(format!("#/{key}/{name}"), def.clone());
            }
        }
    }
    found
}

fn clean(schema: &Value, definitions: &Map<String, Value>, seen: &mut Vec<String>) -> Value {
    let Some(object) = schema.as_object() else {
        // `true`/`false` schemas and garbage: accept anything.
        return Value::Object(Map::new());
    };
    if let Some(reference) = object.get("$ref").and_then(Value::as_str) {
        return inline(reference, definitions, seen);
    }
    let mut object = object.clone();
    merge_all_of(&mut object, definitions, seen);
    let mut out = Map::new();
    for (key, value) in object {
        match key.as_str() {
            "type" => set_type(&mut out, &value),
            "const" => {
                out.insert("enum".into(), Value::Array(vec![value]));
            }
            "anyOf" | "oneOf" => any_of(&mut out, &value, definitions, seen),
            "properties" => {
                let properties = value.as_object().map(|properties| {
                    let cleaned = properties
                        .iter()
                        .map(|(name, schema)| (name.clone(), clean(schema, definitions, seen)));
                    cleaned.collect::<Map<_, _>>()
                });
                out.insert(key, Value::Object(properties.unwrap_or_default()));
            }
            "items" => {
                // A list of item schemas (tuple form) is not supported: take the first.
                let item = value.as_array().and_then(|a| a.first()).unwrap_or(&value);
                out.insert(key, clean(item, definitions, seen));
            }
            other if SUPPORTED.contains(&other) => {
                out.insert(key, value);
            }
            _ => {}
        }
    }
    finish(&mut out);
    Value::Object(out)
}

fn inline(reference: &str, definitions: &Map<String, Value>, seen: &mut Vec<String>) -> Value {
    let Some(definition) = definitions.get(reference) else {
        return serde_json::json!({"type": "object"});
    };
    if seen.iter().any(|r| r == reference) || seen.len() >= MAX_DEPTH {
        return serde_json::json!({"type": "object"});
    }
    seen.push(reference.to_string());
    let cleaned = clean(definition, definitions, seen);
    seen.pop();
    cleaned
}

/// `type` as one type: a list with `"null"` becomes that type plus `nullable`; a list of
/// several other types keeps the first (Gemini has no type unions outside `anyOf`).
fn set_type(out: &mut Map<String, Value>, value: &Value) {
    let types: Vec<&str> = match value {
        Value::String(one) => vec![one.as_str()],
        Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if types.contains(&"null") {
        out.insert("nullable".into(), Value::Bool(true));
    }
    if let Some(first) = types.iter().find(|t| **t != "null") {
        out.insert("type".into(), Value::String((*first).to_string()));
    }
}

/// `anyOf`/`oneOf`: `null` branches become `nullable`; a single remaining branch replaces
/// the union.
fn any_of(
    out: &mut Map<String, Value>,
    value: &Value,
    definitions: &Map<String, Value>,
    seen: &mut Vec<String>,
) {
    let Some(branches) = value.as_array() else {
        return;
    };
    let is_null = |b: &&Value| b.get("type").and_then(Value::as_str) == Some("null");
    if branches.iter().any(|b| is_null(&b)) {
        out.insert("nullable".into(), Value::Bool(true));
    }
    let mut kept: Vec<Value> = branches
        .iter()
        .filter(|b| !is_null(b))
        .map(|b| clean(b, definitions, seen))
        .collect();
    match kept.len() {
        0 => {}
        1 => {
            if let Value::Object(only) = kept.remove(0) {
                for (key, value) in only {
                    out.entry(key).or_insert(value);
                }
            }
        }
        _ => {
            out.insert("anyOf".into(), Value::Array(kept));
        }
    }
}

/// `allOf`: the branches' keys merged into the schema (properties and `required` unioned).
fn merge_all_of(
    object: &mut Map<String, Value>,
    definitions: &Map<String, Value>,
    seen: &mut Vec<String>,
) {
    let Some(Value::Array(branches)) = object.remove("allOf") else {
        return;
    };
    for branch in branches {
        let branch = match branch.get("$ref").and_then(Value::as_str) {
            Some(reference) => inline(reference, definitions, seen),
            None => branch,
        };
        let Value::Object(branch) = branch else {
            continue;
        };
        for (key, value) in branch {
            match (object.get_mut(&key), value) {
                (Some(Value::Object(mine)), Value::Object(theirs)) if key == "properties" => {
                    mine.extend(theirs);
                }
                (Some(Value::Array(mine)), Value::Array(theirs)) if key == "required" => {
                    mine.extend(theirs);
                }
                (None, value) => {
                    object.insert(key, value);
                }
                _ => {}
            }
        }
    }
}

/// The rules that look at the schema as a whole.
fn finish(out: &mut Map<String, Value>) {
    if let Some(Value::Array(values)) = out.get_mut("enum") {
        for value in values.iter_mut() {
            let text = match &*value {
                Value::String(_) => continue,
                Value::Null => "null".to_string(),
                other => other.to_string(),
            };
            *value = Value::String(text);
        }
        out.insert("type".into(), Value::String("string".into()));
    }
    let kind = out
        .get("type")
        .and_then(Value::as_str)
        .map(str::to_ascii_lowercase);
    let format_ok = match (kind.as_deref(), out.get("format").and_then(Value::as_str)) {
        (_, None) => true,
        (Some("string"), Some(format)) => matches!(format, "enum" | "date-time"),
        (Some("number"), Some(format)) => matches!(format, "float" | "double"),
        (Some("integer"), Some(format)) => matches!(format, "int32" | "int64"),
        _ => false,
    };
    if !format_ok {
        out.remove("format");
    }
    if kind.as_deref() == Some("array") && !out.contains_key("items") {
        out.insert("items".into(), serde_json::json!({"type": "string"}));
    }
    if kind.as_deref() == Some("object") {
        // `required` may only name properties that exist.
        let names: Vec<String> = out
            .get("properties")
            .and_then(Value::as_object)
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default();
        if let Some(Value::Array(required)) = out.get_mut("required") {
            required.retain(|r| r.as_str().is_some_and(|r| names.iter().any(|n| n == r)));
        }
    }
}

#[cfg(test)]
mod tests;
