//! What ccproxy knows of a model's size: its context window and output limit, as the
//! provider's `models` entry in the config file states them, else from the built-in
//! catalog (docs/providers.md, "Model limits"). `ccproxy code` and `ccproxy env`
//! derive Claude Code's auto-compact window from it, `GET /v1/models` and the status line
//! show it.

use super::{catalog, Config, ProviderConfig, RouteName, Target};

/// A model's size, in tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub context_window: u64,
    pub max_output: Option<u64>,
}

/// The routes whose models serve a Claude Code conversation's main turns: the window it
/// compacts against must fit each of them (fallbacks included).
pub const CONVERSATION_ROUTES: [RouteName; 3] =
    [RouteName::Default, RouteName::Think, RouteName::LongContext];

impl Config {
    /// The limits of `target`'s model, when known: each figure the config file states for
    /// it, else the catalog's.
    pub fn limits(&self, target: &Target) -> Option<Limits> {
        let stated = self
            .provider(&target.provider)
            .and_then(|provider| provider.model(&target.model));
        let known = catalog::known_model(&target.provider, &target.model);
        let context_window = stated
            .and_then(|entry| entry.context_window)
            .or(known.map(|known| known.context_window))?;
        let max_output = stated
            .and_then(|entry| entry.max_output_tokens)
            .or(known.and_then(|known| known.max_output));
        Some(Limits {
            context_window,
            max_output,
        })
    }

    /// The smallest context window among the targets the conversation routes can reach
    /// (each route's fallbacks included); `None` when none of them has a known window.
    pub fn smallest_conversation_window(&self) -> Option<u64> {
        CONVERSATION_ROUTES
            .into_iter()
            .flat_map(|route| self.routes.get(route))
            .filter_map(|target| self.limits(target))
            .map(|limits| limits.context_window)
            .min()
    }
}

impl ProviderConfig {
    /// The most output tokens `model` takes on this provider: its `models` entry's figure,
    /// else the catalog's. A request's `max_tokens` above it is clamped.
    pub fn max_output_tokens(&self, model: &str) -> Option<u64> {
        self.model(model)
            .and_then(|entry| entry.max_output_tokens)
            .or_else(|| catalog::max_output_tokens(model))
    }
}

/// `131072` → `131k`, `1048576` → `1M`: a window as people say it.
pub fn short(tokens: u64) -> String {
    if tokens >= 1_000_000 {
        let tenths = tokens / 100_000;
        match tenths % 10 {
            0 => format!("{}M", tenths / 10),
            rest => format!("{}.{rest}M", tenths / 10),
        }
    } else if tokens >= 1_000 {
        format!("{}k", tokens / 1_000)
    } else {
        tokens.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_read_as_people_say_them() {
        assert_eq!(short(131_072), "131k");
        assert_eq!(short(1_048_576), "1M");
        assert_eq!(short(1_050_000), "1M");
        assert_eq!(short(1_500_000), "1.5M");
        assert_eq!(short(262_144), "262k");
        assert_eq!(short(512), "512");
    }
}
