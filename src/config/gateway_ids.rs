//! The `claude-…` ids under which `GET /v1/models` lists every target and route, and which
//! the router reads back. Claude Code's gateway model discovery keeps only ids containing
//! `claude` or `anthropic`, so the `provider,model` ids are invisible to its `/model` picker;
//! these are the same targets under a name it keeps:
//!
//! - a target: `claude-<provider>/<model>` (`claude-groq/openai/gpt-oss-120b`);
//! - a route: `claude-route-<route>`, `_` written `-` (`claude-route-think`,
//!   `claude-route-long-context`).
//!
//! Provider names never contain `/`, so the first `/` ends the provider; a route id has none.

use super::{RouteName, Target};

const PREFIX: &str = "claude-";
const ROUTE_PREFIX: &str = "claude-route-";

/// What a gateway id names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GatewayId {
    Target(Target),
    Route(RouteName),
}

/// The id of a target: `claude-groq/openai/gpt-oss-120b`.
pub fn target_id(target: &Target) -> String {
    format!("{PREFIX}{}/{}", target.provider, target.model)
}

/// The id of a route: `claude-route-long-context`.
pub fn route_id(route: RouteName) -> String {
    format!("{ROUTE_PREFIX}{}", route.as_str().replace('_', "-"))
}

/// Reads an id back; `None` for anything else (a real Claude model id, `provider,model`).
/// A target's provider is not checked here: the router does, and a target that keeps the
/// client's model (`*`) is never a gateway id.
pub fn parse(id: &str) -> Option<GatewayId> {
    if id.starts_with(ROUTE_PREFIX) {
        if let Some(route) = RouteName::ALL.into_iter().find(|r| route_id(*r) == id) {
            return Some(GatewayId::Route(route));
        }
    }
    let (provider, model) = id.strip_prefix(PREFIX)?.split_once('/')?;
    let named = !provider.is_empty() && !model.is_empty() && model != Target::CLIENT_MODEL;
    named.then(|| {
        GatewayId::Target(Target {
            provider: provider.to_string(),
            model: model.to_string(),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(provider: &str, model: &str) -> Target {
        Target {
            provider: provider.into(),
            model: model.into(),
        }
    }

    #[test]
    fn ids_read_back_as_what_they_name() {
        for target in [
            target("groq", "openai/gpt-oss-120b"),
            target("deepseek-anthropic", "deepseek-v4-pro"),
            target("route-lab", "qwen3:32b"),
        ] {
            let id = target_id(&target);
            assert!(id.starts_with("claude-"), "{id}");
            assert_eq!(parse(&id), Some(GatewayId::Target(target)));
        }
        for route in RouteName::ALL {
            assert_eq!(parse(&route_id(route)), Some(GatewayId::Route(route)));
        }
        assert_eq!(
            route_id(RouteName::LongContext),
            "claude-route-long-context"
        );
    }

    #[test]
    fn claude_ids_and_other_names_are_not_gateway_ids() {
        for id in [
            "claude-opus-5-5",
            "claude-haiku-4-5-20251001",
            "groq,openai/gpt-oss-120b",
            "claude-/model",
            "claude-groq/",
            "claude-anthropic/*",
            "claude-route-nowhere",
            "think",
        ] {
            assert_eq!(parse(id), None, "{id}");
        }
    }
}
