//! Secrets (provider keys, the proxy key): a wrapper whose `Debug` never shows the value,
//! the masking used wherever a key must be shown (status, `config show`, debug logs), and
//! the scrubbing of upstream text: by the secrets held ([`held`]) and by their shape.

mod held;

use std::fmt;

pub use held::{Holding, Redactor};

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

/// Makes upstream text fit to show to the client, log and keep in the statistics: every
/// secret this process holds is replaced (whatever its shape, see [`held`]), then anything
/// else that looks like an API key or bearer token is masked. A token is a run of
/// `[A-Za-z0-9_-]`; everything between tokens (spaces, `=`, quotes, colons, newlines) is
/// kept as it is, so `key=sk-…` and `"api_key":"sk-…"` are caught.
pub fn scrub(text: &str) -> String {
    let text = held::redact(text);
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while !rest.is_empty() {
        let end = rest.find(|c: char| !is_token_char(c)).unwrap_or(rest.len());
        let (token, after) = rest.split_at(end);
        if looks_like_key(token) {
            out.push_str(&mask(token));
        } else {
            out.push_str(token);
        }
        let gap = after.find(is_token_char).unwrap_or(after.len());
        out.push_str(&after[..gap]);
        rest = &after[gap..];
    }
    out
}

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// A URL made fit to show (status, `config show`, the admin API, error messages, logs):
/// credentials in it (`user:password@`) are dropped, query values are masked
/// (`?key=…`) and anything else key-like is scrubbed.
pub fn redact_url(url: &str) -> String {
    let (scheme, rest) = match url.find("://") {
        Some(at) => url.split_at(at + 3),
        None => ("", url),
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, rest) = rest.split_at(authority_end);
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let (path, query) = match rest.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (rest, None),
    };
    let mut out = format!("{scheme}{host}{}", scrub(path));
    if let Some(query) = query {
        let (query, fragment) = match query.split_once('#') {
            Some((query, fragment)) => (query, Some(fragment)),
            None => (query, None),
        };
        let pairs: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((name, value)) if !value.is_empty() => format!("{name}=…"),
                _ => pair.to_string(),
            })
            .collect();
        out.push('?');
        out.push_str(&pairs.join("&"));
        if let Some(fragment) = fragment {
            out.push('#');
            out.push_str(&scrub(fragment));
        }
    }
    out
}

/// A key-like token: long, mostly alphanumeric, with digits and letters mixed, or a known
/// key prefix (`sk-`, `gsk_`, `xai-`, `AIza`, ...).
fn looks_like_key(token: &str) -> bool {
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

    #[test]
    fn scrub_masks_keys_between_any_separators() {
        let key = "sk-proj-AbCdEfGhIjKlMnOpQrSt1234";
        let cases = [
            (format!("key={key}&x=1"), "key=sk-…1234&x=1"),
            (
                format!(r#"{{"api_key":"{key}"}}"#),
                r#"{"api_key":"sk-…1234"}"#,
            ),
            (format!("bad key:{key}"), "bad key:sk-…1234"),
            (
                format!("line one\n{key}\nline three"),
                "line one\nsk-…1234\nline three",
            ),
            (format!("Bearer {key}."), "Bearer sk-…1234."),
        ];
        for (text, expected) in cases {
            assert_eq!(scrub(&text), expected);
        }
        let plain = "HTTP 400: 'model' is required (see https://x.example/docs?a=b)";
        assert_eq!(scrub(plain), plain);
    }

    #[test]
    fn redact_url_drops_credentials_and_masks_query_values() {
        assert_eq!(
            redact_url("https://user:hunter2@api.example.com/v1?key=abc&mode=x&flag"),
            "https://api.example.com/v1?key=…&mode=…&flag"
        );
        assert_eq!(
            redact_url("http://127.0.0.1:8000/v1"),
            "http://127.0.0.1:8000/v1"
        );
        assert_eq!(
            redact_url("https://h.example/k/sk-proj-AbCdEfGhIjKlMnOpQrSt1234/v1#frag"),
            "https://h.example/k/sk-…1234/v1#frag"
        );
        assert_eq!(
            redact_url("https://a@b@h.example?q=1#f"),
            "https://h.example?q=…#f"
        );
    }
}
