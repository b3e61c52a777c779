//! Translation between Anthropic Messages (the hub) and each provider's API: pure,
//! synchronous functions over `wire` types. No I/O, no HTTP client, no configuration
//! lookups: what a translation needs is passed in.

pub mod from_openai;
pub mod to_openai;

/// A fresh Anthropic-style message id (`msg_` + 24 base62 characters).
pub fn message_id() -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut id = String::with_capacity(28);
    id.push_str("msg_");
    for _ in 0..24 {
        id.push(ALPHABET[fastrand::usize(..ALPHABET.len())] as char);
    }
    id
}
