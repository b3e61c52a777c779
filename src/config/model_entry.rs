//! One entry of a provider's `models`: a model id, and what the config file states about
//! the model's limits. The file writes an entry as a plain id (`"qwen3"`) or as an object
//! (`{"id": "qwen3", "context_window": 131072, "max_output_tokens": 8192}`); both read into
//! [`ModelEntry`], which is written back the same way (a plain id when no limit is stated).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::string_or::{Long, StringOr};

/// A model a provider serves, with the limits the config file states for it (the catalog
/// knows the built-in models' own).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelEntry {
    /// The id sent upstream (`qwen3`, `openai/gpt-oss-120b`).
    pub id: String,
    /// The model's context window in tokens (input and output together).
    pub context_window: Option<u64>,
    /// The most tokens the model writes in one answer.
    pub max_output_tokens: Option<u64>,
}

impl ModelEntry {
    /// An entry that states no limits.
    pub fn id(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            context_window: None,
            max_output_tokens: None,
        }
    }

    /// The problems of an entry read from the file, each with its path under `path`
    /// (`providers[0].models[1]`): an empty id, a limit of zero.
    pub(crate) fn problems(&self, path: &str) -> Vec<super::Problem> {
        let mut problems = Vec::new();
        if self.id.trim().is_empty() {
            problems.push(super::Problem::new(
                self.field(path, "id"),
                "expected a model name",
            ));
        }
        let limits = [
            ("context_window", self.context_window),
            ("max_output_tokens", self.max_output_tokens),
        ];
        for (key, value) in limits {
            if value == Some(0) {
                let message = "expected a whole number of tokens ≥ 1";
                problems.push(super::Problem::new(format!("{path}.{key}"), message));
            }
        }
        problems
    }

    /// The path of the entry's id: the entry itself when it is written as a plain id.
    fn field(&self, path: &str, key: &str) -> String {
        if self.has_limits() {
            format!("{path}.{key}")
        } else {
            path.to_string()
        }
    }

    fn has_limits(&self) -> bool {
        self.context_window.is_some() || self.max_output_tokens.is_some()
    }
}

impl fmt::Display for ModelEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id)
    }
}

/// The object form, as the file writes it.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Written {
    id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    context_window: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_output_tokens: Option<u64>,
}

impl Serialize for ModelEntry {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if !self.has_limits() {
            return serializer.serialize_str(&self.id);
        }
        Written {
            id: self.id.clone(),
            context_window: self.context_window,
            max_output_tokens: self.max_output_tokens,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for ModelEntry {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        super::string_or::deserialize(deserializer)
    }
}

impl StringOr for ModelEntry {
    type Long = Written;
    const SHAPE: Long = Long::Object;
    const EXPECTING: &'static str =
        "a model name, or {\"id\": .., \"context_window\": .., \"max_output_tokens\": ..}";

    fn from_text(id: &str) -> Self {
        Self::id(id.trim())
    }

    fn from_long(written: Written) -> Self {
        Self {
            id: written.id.trim().to_string(),
            context_window: written.context_window,
            max_output_tokens: written.max_output_tokens,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_and_writes_both_forms() {
        let plain: ModelEntry = serde_json::from_value(json!("qwen3")).expect("plain");
        assert_eq!(plain, ModelEntry::id("qwen3"));
        assert_eq!(serde_json::to_value(&plain).expect("json"), json!("qwen3"));
        let written = json!({"id": "qwen3", "context_window": 131072, "max_output_tokens": 8192});
        let full: ModelEntry = serde_json::from_value(written.clone()).expect("object");
        assert_eq!(full.context_window, Some(131_072));
        assert_eq!(full.max_output_tokens, Some(8192));
        assert_eq!(serde_json::to_value(&full).expect("json"), written);
    }

    #[test]
    fn refuses_unknown_keys_and_bad_limits() {
        let unknown = json!({"id": "q", "context_windw": 1});
        let error = serde_json::from_value::<ModelEntry>(unknown).expect_err("unknown key");
        assert!(error.to_string().contains("context_windw"), "{error}");
        let negative = json!({"id": "q", "context_window": -1});
        assert!(serde_json::from_value::<ModelEntry>(negative).is_err());
        let zero: ModelEntry =
            serde_json::from_value(json!({"id": "q", "max_output_tokens": 0})).expect("zero");
        let problems = zero.problems("providers[0].models[1]");
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].path, "providers[0].models[1].max_output_tokens");
        assert_eq!(ModelEntry::id(" ").problems("m")[0].path, "m");
    }
}
