//! Secrets (provider keys, the proxy key): a wrapper whose `Debug` never shows the value,
//! and the masking used wherever a key must be shown (status, `config show`, debug logs).

use std::fmt;

/// A secret string. Only [`Secret::expose`] gives the value; everything else masks it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The raw value, for the one place it is needed: the outgoing request header.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The value masked for display: `gsk_…3f9a`.
    pub fn masked(&self) -> String {
        mask(&self.0)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", self.masked())
    }
}

/// Masks a key: keeps a short prefix (which names the kind of key, e.g. `gsk_`, `sk-`) and
/// the last four characters of long keys; short keys are hidden entirely.
pub fn mask(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() < 12 {
        return "…".to_string();
    }
    let prefix_len = chars
        .iter()
        .position(|c| *c == '_' || *c == '-')
        .map_or(3, |p| (p + 1).min(4));
    let prefix: String = chars[..prefix_len].iter().collect();
    let suffix: String = chars[chars.len() - 4..].iter().collect();
    format!("{prefix}…{suffix}")
}

/// Replaces anything in `text` that looks like an API key or bearer token with its mask,
/// so upstream messages can be shown to the client and logged without leaking secrets.
pub fn scrub(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, word) in text.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if looks_like_key(word) {
            out.push_str(&mask(word.trim_matches(|c: char| !c.is_alphanumeric())));
        } else {
            out.push_str(word);
        }
    }
    out
}

/// A key-like token: long, mostly alphanumeric, with digits and letters mixed, or a known
/// key prefix (`sk-`, `gsk_`, `xai-`, `AIza`, ...).
fn looks_like_key(word: &str) -> bool {
    let token = word.trim_matches(|c: char| !c.is_alphanumeric());
    if token.len() < 20 {
        return false;
    }
    let known_prefix = ["sk-", "gsk_", "xai-", "AIza", "sk_", "pk-", "or-"]
        .iter()
        .any(|p| token.starts_with(p));
    let keyish = token
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    let has_digit = token.chars().any(|c| c.is_ascii_digit());
    let has_alpha = token.chars().any(|c| c.is_ascii_alphabetic());
    keyish && (known_prefix || (has_digit && has_alpha && token.len() >= 32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_prefix_and_last_four() {
        assert_eq!(mask("gsk_abcdefghijklmnop3f9a"), "gsk_…3f9a");
        assert_eq!(mask("sk-proj-abcdefghijkl1234"), "sk-…1234");
        assert_eq!(mask("short"), "…");
    }

    #[test]
    fn debug_never_shows_the_value() {
        let secret = Secret::new("gsk_abcdefghijklmnop3f9a");
        assert!(!format!("{secret:?}").contains("abcdefghijklmnop"));
    }

    #[test]
    fn scrub_masks_keys_inside_messages() {
        let text = "Incorrect API key provided: sk-proj-AbCdEfGhIjKlMnOpQrSt1234. See docs.";
        let scrubbed = scrub(text);
        assert!(!scrubbed.contains("AbCdEfGhIjKlMnOpQrSt"), "{scrubbed}");
        assert!(scrubbed.starts_with("Incorrect API key provided: sk-…1234"));
        assert_eq!(scrub("model not found"), "model not found");
    }
}
