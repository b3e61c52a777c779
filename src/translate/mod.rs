//! Translation between Anthropic Messages (the hub) and each provider's API: pure,
//! synchronous functions over `wire` types. No I/O, no HTTP client, no configuration
//! lookups: what a translation needs is passed in.

pub mod from_openai;
pub mod passthrough;
pub mod to_openai;

/// A fresh Anthropic-style message id (`msg_` + 24 base62 characters).
pub fn message_id() -> String {
    random_id("msg_")
}

/// `prefix` + 24 random base62 characters.
pub fn random_id(prefix: &str) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut id = String::with_capacity(prefix.len() + 24);
    id.push_str(prefix);
    for _ in 0..24 {
        id.push(ALPHABET[fastrand::usize(..ALPHABET.len())] as char);
    }
    id
}
