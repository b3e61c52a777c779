//! A snapshot of the environment, passed explicitly so configuration is testable without
//! touching the process environment, and `${VAR}` expansion for config file strings.

use std::collections::HashMap;

/// Environment variables as seen at start-up (or given by a test).
#[derive(Debug, Clone, Default)]
pub struct Env(HashMap<String, String>);

impl Env {
    pub fn from_process() -> Self {
        Self(std::env::vars().collect())
    }

    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self(
            pairs
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    /// Sets a variable in this snapshot (never in the process).
    pub fn set(&mut self, name: &str, value: &str) {
        self.0.insert(name.to_string(), value.to_string());
    }

    /// The names of the variables that have a value, in no particular order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0
            .iter()
            .filter(|(_, value)| !value.is_empty())
            .map(|(name, _)| name.as_str())
    }

    /// The value of a variable; an empty value counts as unset.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

/// The result of expanding `${VAR}` references in one string.
#[derive(Debug, PartialEq, Eq)]
pub struct Expanded {
    pub value: String,
    /// Variables referenced; an api_key's suggestion names its variable.
    pub referenced: Vec<String>,
    /// Referenced variables that are unset.
    pub missing: Vec<String>,
}

/// Expands every `${NAME}` in `text`. An unset variable expands to nothing and is reported.
pub fn expand(text: &str, env: &Env) -> Expanded {
    let mut value = String::with_capacity(text.len());
    let mut referenced = Vec::new();
    let mut missing = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        value.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            value.push_str(&rest[start..]);
            rest = "";
            break;
        };
        let name = &after[..end];
        match env.get(name) {
            Some(found) => value.push_str(found),
            None => missing.push(name.to_string()),
        }
        referenced.push(name.to_string());
        rest = &after[end + 1..];
    }
    value.push_str(rest);
    Expanded {
        value,
        referenced,
        missing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_set_and_reports_unset_variables() {
        let env = Env::from_pairs([("A", "alpha")]);
        let expanded = expand("x-${A}-${B}-y", &env);
        assert_eq!(expanded.value, "x-alpha--y");
        assert_eq!(expanded.referenced, vec!["A", "B"]);
        assert_eq!(expanded.missing, vec!["B"]);
    }

    #[test]
    fn text_without_references_is_unchanged() {
        let expanded = expand("plain $HOME {x}", &Env::default());
        assert_eq!(expanded.value, "plain $HOME {x}");
        assert!(expanded.referenced.is_empty());
    }

    #[test]
    fn empty_values_count_as_unset() {
        let env = Env::from_pairs([("K", "")]);
        assert_eq!(env.get("K"), None);
    }
}
