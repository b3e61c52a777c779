//! Compatibility profiles: what a host that speaks Anthropic's Messages API, but is not
//! Anthropic, rejects, and what the pass-through makes of it before sending. Each built-in
//! provider's row in the catalog names its [`Profile`]; a provider in the config file can name
//! one (`"profile": "kimi"`). The rules ([`rules`]) are pure edits of the request body and
//! of the `anthropic-beta` header; each is listed with its source in docs/providers.md.

mod rules;
#[cfg(test)]
mod tests;

pub use rules::{apply, betas};

/// A host's compatibility profile. On an Anthropic-compatible route it picks the rules the
/// pass-through applies; it also names the model family a built-in provider serves, which
/// the answer quirks of OpenAI-compatible routes may read from the catalog row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// Anthropic itself (or a gateway in front of it): the body is left as it is.
    Anthropic,
    /// Any other Anthropic-compatible host: the rules every non-Anthropic host gets.
    Generic,
    DeepSeek,
    Kimi,
    Glm,
    MiniMax,
    Qwen,
    OpenRouter,
}

impl Profile {
    /// Every profile, in the order they are listed to users.
    pub const ALL: [Self; 8] = [
        Self::Generic,
        Self::Anthropic,
        Self::DeepSeek,
        Self::Kimi,
        Self::Glm,
        Self::MiniMax,
        Self::Qwen,
        Self::OpenRouter,
    ];

    /// The profile's name in the config file.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Anthropic => "anthropic",
            Self::Generic => "generic",
            Self::DeepSeek => "deepseek",
            Self::Kimi => "kimi",
            Self::Glm => "glm",
            Self::MiniMax => "minimax",
            Self::Qwen => "qwen",
            Self::OpenRouter => "openrouter",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|profile| profile.as_str() == text)
    }

    /// The names, for error messages and did-you-mean suggestions.
    pub fn names() -> [&'static str; 8] {
        Self::ALL.map(Self::as_str)
    }

    /// Whether the host takes the key as `Authorization: Bearer` (its Claude Code guide sets
    /// `ANTHROPIC_AUTH_TOKEN`) rather than Anthropic's `x-api-key`.
    pub fn bearer_auth(self) -> bool {
        matches!(self, Self::Kimi | Self::Glm | Self::OpenRouter)
    }
}
