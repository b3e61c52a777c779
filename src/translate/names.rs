//! Tool ids and tool names that both sides accept (docs/translation.md, "Tool ids and names").
//!
//! Ids: Anthropic requires `^[a-zA-Z0-9_-]+$`; OpenAI-compatible servers emit ids such as
//! `functions.Bash:0` or `call_x|fc_y`. [`tool_id`] replaces every other character with `_`;
//! it is applied to ids in both directions, so a `tool_use.id` we produced and the
//! `tool_result.tool_use_id` the client sends back stay paired without any stored map.
//!
//! Names: OpenAI allows `[a-zA-Z0-9_-]{1,64}`, Anthropic up to 128 characters. A name that
//! does not fit is shortened to a 55-character prefix, `_` and 8 hex digits of a stable
//! hash (the LiteLLM scheme); [`ToolNames`] is built from the request's tools and maps the
//! shortened names in a response back to the client's names.

use std::collections::HashMap;

/// The longest tool name OpenAI-compatible servers accept.
const MAX_NAME: usize = 64;
const PREFIX: usize = 55;

/// A tool id that matches `^[a-zA-Z0-9_-]+$`; an empty id gets a fresh `toolu_` id.
pub fn tool_id(id: &str) -> String {
    if id.is_empty() {
        return super::random_id("toolu_");
    }
    id.chars()
        .map(|c| if valid_char(c) { c } else { '_' })
        .collect()
}

/// Is `text` a legal tool id (or tool name, length aside): non-empty, `[a-zA-Z0-9_-]` only?
pub fn is_legal(text: &str) -> bool {
    !text.is_empty() && text.chars().all(valid_char)
}

fn valid_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// The name sent upstream for a client tool name.
pub fn upstream_name(name: &str) -> String {
    if name.len() <= MAX_NAME && is_legal(name) {
        return name.to_string();
    }
    let prefix: String = name
        .chars()
        .map(|c| if valid_char(c) { c } else { '_' })
        .take(PREFIX)
        .collect();
    format!("{prefix}_{:08x}", fnv1a(name.as_bytes()) as u32)
}

/// Mistral's tool-call id format, `^[a-zA-Z0-9]{9}$`: an id already in that form is kept,
/// any other is replaced by 9 base62 digits of its hash, so a call and its result keep
/// matching ids.
pub fn nine_alphanumeric_id(id: &str) -> String {
    if id.len() == 9 && id.chars().all(|c| c.is_ascii_alphanumeric()) {
        return id.to_string();
    }
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut hash = fnv1a(id.as_bytes());
    (0..9)
        .map(|_| {
            let digit = ALPHABET[(hash % 62) as usize] as char;
            hash /= 62;
            digit
        })
        .collect()
}

/// 64-bit FNV-1a: small, stable across builds and platforms.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Upstream tool names that differ from the client's, mapped back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ToolNames {
    renamed: HashMap<String, String>,
}

impl ToolNames {
    /// Records the upstream name of each client tool name; returns the upstream names.
    pub fn register(&mut self, name: &str) -> String {
        let upstream = upstream_name(name);
        if upstream != name {
            self.renamed.insert(upstream.clone(), name.to_string());
        }
        upstream
    }

    /// The client's name for a name the upstream used.
    pub fn client_name(&self, upstream: &str) -> String {
        self.renamed
            .get(upstream)
            .cloned()
            .unwrap_or_else(|| upstream.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn illegal_id_characters_become_underscores() {
        assert_eq!(tool_id("functions.Bash:0"), "functions_Bash_0");
        assert_eq!(tool_id("call_x|fc_y"), "call_x_fc_y");
        assert_eq!(tool_id("toolu_01AbC-d"), "toolu_01AbC-d");
    }

    #[test]
    fn missing_ids_get_a_fresh_valid_id() {
        let id = tool_id("");
        assert!(id.starts_with("toolu_") && id.len() > 10, "{id}");
        assert_eq!(tool_id(&id), id);
    }

    #[test]
    fn mistral_ids_are_nine_alphanumerics_and_stable() {
        assert_eq!(nine_alphanumeric_id("aB3dE6gH9"), "aB3dE6gH9");
        let id = nine_alphanumeric_id("toolu_01ABC");
        assert_eq!(id.len(), 9);
        assert!(id.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_eq!(nine_alphanumeric_id("toolu_01ABC"), id);
        assert_ne!(nine_alphanumeric_id("toolu_01ABD"), id);
    }

    #[test]
    fn short_valid_names_are_unchanged() {
        assert_eq!(upstream_name("Bash"), "Bash");
        assert_eq!(upstream_name(&"a".repeat(64)), "a".repeat(64));
    }

    #[test]
    fn long_names_are_shortened_deterministically_and_mapped_back() {
        let long = format!("mcp__server__{}", "x".repeat(100));
        let mut names = ToolNames::default();
        let upstream = names.register(&long);
        assert_eq!(upstream.len(), 64);
        assert_eq!(upstream, upstream_name(&long));
        assert!(upstream.starts_with("mcp__server__xxx"));
        assert_eq!(names.client_name(&upstream), long);
        assert_eq!(names.client_name("Bash"), "Bash");
    }

    #[test]
    fn names_with_illegal_characters_are_mapped_too() {
        let mut names = ToolNames::default();
        let upstream = names.register("mcp.server/tool");
        assert!(upstream.starts_with("mcp_server_tool_"), "{upstream}");
        assert_eq!(names.client_name(&upstream), "mcp.server/tool");
    }
}
