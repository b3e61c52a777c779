//! Translation between Anthropic Messages (the hub) and each provider's API: pure,
//! synchronous functions and stream state machines over `wire` types. No I/O, no HTTP
//! client, no configuration lookups: what a translation needs is passed in (the target
//! model and its [`quirks::Quirks`]). Choices the protocols leave open are documented in
//! docs/translation.md.

pub mod arguments;
pub mod from_gemini;
pub mod from_openai;
pub mod gemini_schema;
pub mod names;
pub mod passthrough;
pub mod quirks;
pub mod to_gemini;
pub mod to_openai;

/// The signature of thinking blocks synthesized from another provider's reasoning. Not an
/// Anthropic signature: a pass-through path can recognise and strip such blocks (§7.7-12).
pub const THINKING_SIGNATURE: &str = "ccproxy:reasoning";

/// Why a translation failed. The provider layer turns each into a `ProxyError`: the client
/// is at fault for [`TranslateError::Unsupported`], the upstream for the rest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TranslateError {
    /// The request uses something the target cannot take (a 400 naming the field).
    #[error("{reason}")]
    Unsupported { field: String, reason: String },
    #[error("the completion has no choices")]
    NoChoices,
    /// Tool-call arguments that could not be repaired into a JSON object.
    #[error("the arguments of tool call '{tool}' could not be read: {reason}")]
    Arguments { tool: String, reason: String },
    /// The upstream reported an error inside its answer (an `error` chunk, or
    /// `finish_reason: "error"`); `status` is its HTTP-like code when it gave one.
    #[error("{message}")]
    Upstream {
        message: String,
        status: Option<u16>,
    },
    /// The stream ended without `[DONE]` and without a finish reason.
    #[error("the stream ended before the answer was complete")]
    Truncated,
    #[error("unreadable stream chunk ({0})")]
    BadChunk(String),
}

/// What a `tool_reference` (a deferred tool made available by a tool search) says to a
/// model that has no such block.
pub fn tool_reference_text(tool_name: &str) -> String {
    format!("Tool {tool_name} is now available.")
}

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
