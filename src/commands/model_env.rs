//! The variables that tell Claude Code about ccproxy's models, for `ccproxy code` and
//! `ccproxy env` (through `wiring`); a variable the user already set is never replaced.
//!
//! - `CLAUDE_CODE_ENABLE_GATEWAY_MODEL_DISCOVERY=1`: its `/model` picker lists the
//!   `claude-…` ids of `GET /v1/models`.
//! - `ANTHROPIC_DEFAULT_{OPUS,SONNET,HAIKU}_MODEL`, with `_NAME` and `_DESCRIPTION`: the
//!   picker's three tiers, as the Claude ids Claude Code itself uses for them (so they raise
//!   no "unrecognized model" warning) labelled with where ccproxy sends them. Opus and Sonnet
//!   go to the `default` route, Haiku to `background` (routing rule 5), else `default`.
//!   Left alone when that route keeps the client's model (`anthropic,*`): the ids then reach
//!   Anthropic as asked.
//! - `CLAUDE_CODE_AUTO_COMPACT_WINDOW`: the smallest known window the conversation routes
//!   reach, so compaction fits every model a turn can land on.

use crate::config::limits::short;
use crate::config::{Config, Env, RouteName, Target};

/// One tier of Claude Code's picker: its three variables, the Claude id it is set to (the
/// id Claude Code 2.1.331's built-in catalog has for the tier) and the route serving it.
struct Tier {
    model: &'static str,
    name: &'static str,
    description: &'static str,
    id: &'static str,
    route: RouteName,
}

const TIERS: [Tier; 3] = [
    Tier {
        model: "ANTHROPIC_DEFAULT_OPUS_MODEL",
        name: "ANTHROPIC_DEFAULT_OPUS_MODEL_NAME",
        description: "ANTHROPIC_DEFAULT_OPUS_MODEL_DESCRIPTION",
        id: "claude-opus-5-5",
        route: RouteName::Default,
    },
    Tier {
        model: "ANTHROPIC_DEFAULT_SONNET_MODEL",
        name: "ANTHROPIC_DEFAULT_SONNET_MODEL_NAME",
        description: "ANTHROPIC_DEFAULT_SONNET_MODEL_DESCRIPTION",
        id: "claude-sonnet-5-5",
        route: RouteName::Default,
    },
    Tier {
        model: "ANTHROPIC_DEFAULT_HAIKU_MODEL",
        name: "ANTHROPIC_DEFAULT_HAIKU_MODEL_NAME",
        description: "ANTHROPIC_DEFAULT_HAIKU_MODEL_DESCRIPTION",
        id: "claude-haiku-5-5",
        route: RouteName::Background,
    },
];

/// The variables to set for a Claude Code using `config`, minus those set in `env`.
pub fn model_env(config: &Config, env: &Env) -> Vec<(&'static str, String)> {
    let mut set: Vec<(&'static str, String)> =
        vec![("CLAUDE_CODE_ENABLE_GATEWAY_MODEL_DISCOVERY", "1".into())];
    // A tier whose model the user chose keeps their labels too (or none).
    for tier in TIERS
        .into_iter()
        .filter(|tier| env.get(tier.model).is_none())
    {
        let Some((route, target)) = serving(config, tier.route) else {
            continue;
        };
        let window = config
            .limits(target)
            .map(|limits| format!(", {} context", short(limits.context_window)))
            .unwrap_or_default();
        set.push((tier.model, tier.id.to_string()));
        set.push((tier.name, format!("{} ({})", target.model, target.provider)));
        set.push((
            tier.description,
            format!("ccproxy {route} route: {target}{window}"),
        ));
    }
    if let Some(window) = config.smallest_conversation_window() {
        set.push(("CLAUDE_CODE_AUTO_COMPACT_WINDOW", window.to_string()));
    }
    set.retain(|(name, _)| env.get(name).is_none());
    set
}

/// The route that serves `route`'s requests (`background` falls back to `default`) and its
/// first target, unless that target keeps the client's model.
fn serving(config: &Config, route: RouteName) -> Option<(RouteName, &Target)> {
    let chosen = [route, RouteName::Default]
        .into_iter()
        .find(|name| !config.routes.get(*name).is_empty())?;
    let first = config.routes.get(chosen).first()?;
    (first.model != Target::CLIENT_MODEL).then_some((chosen, first))
}
