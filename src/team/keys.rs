//! Developer keys: making one (random, shown once), what is kept of it (its SHA-256 and
//! first characters), reading the one a request presents, and which names are allowed.

use axum::http::HeaderMap;
use sha2::{Digest, Sha256};

use crate::error::ProxyError;

/// What every developer key starts with.
pub const PREFIX: &str = "ccp_";
/// Random bytes in a key (shown as hex).
const RANDOM_BYTES: usize = 24;
/// Characters of a key kept to recognise it by.
const HINT_CHARS: usize = 10;

/// A new key, its hash and its hint. Fails only when the system has no randomness.
pub fn generate() -> Result<(String, String, String), ProxyError> {
    let mut bytes = [0u8; RANDOM_BYTES];
    getrandom::getrandom(&mut bytes).map_err(|error| ProxyError::Internal {
        message: format!("no randomness for a new key: {error}"),
    })?;
    let key = format!("{PREFIX}{}", hex(&bytes));
    let hint = format!("{}…", &key[..HINT_CHARS]);
    Ok((hash(&key), key, hint))
}

/// The SHA-256 of a key, in hex: what the store keeps and looks keys up by.
pub fn hash(key: &str) -> String {
    hex(&Sha256::digest(key.trim().as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The key a request presents: `x-api-key`, else `Authorization: Bearer` (what Claude Code
/// sends from `ANTHROPIC_AUTH_TOKEN`).
pub fn presented(headers: &HeaderMap) -> Option<&str> {
    headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .or_else(|| {
            headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| {
                    v.strip_prefix("Bearer ")
                        .or_else(|| v.strip_prefix("bearer "))
                })
        })
}

/// Key and group names: 1 to 64 letters, digits, `.`, `_`, `-` (they appear in store keys,
/// URLs and metric labels).
pub fn check_name(field: &str, name: &str) -> Result<(), ProxyError> {
    let valid = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if valid {
        Ok(())
    } else {
        Err(ProxyError::InvalidField {
            field: field.into(),
            reason: "use 1 to 64 letters, digits, '.', '_' or '-'".into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_random_and_only_their_hash_is_kept() {
        let (hash_a, key_a, hint) = generate().expect("key");
        let (_, key_b, _) = generate().expect("key");
        assert_ne!(key_a, key_b);
        assert!(key_a.starts_with(PREFIX) && key_a.len() == PREFIX.len() + 48);
        assert_eq!(hash_a, hash(&key_a));
        assert!(!hash_a.contains(&key_a[PREFIX.len()..]));
        assert!(key_a.starts_with(hint.trim_end_matches('…')));
    }

    #[test]
    fn names_are_checked() {
        assert!(check_name("name", "alice.dev-1_x").is_ok());
        for bad in ["", "a b", "a/b", "é", &"x".repeat(65)] {
            assert!(check_name("name", bad).is_err(), "{bad}");
        }
    }
}
