//! `GET /v1/models` in Anthropic's list shape: every configured target as
//! `provider,model`, then the configured route names (usable as a model: `"think"`), so
//! tools that list models show something that works; then each of them again under its
//! `claude-…` gateway id (`config::gateway_ids`), the only ids Claude Code's gateway model
//! discovery keeps, with a `display_name` naming the real provider and model and a
//! `description` (which Claude Code's `/model` picker shows) with its context window.

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use super::AppState;
use crate::config::gateway_ids::{route_id, target_id};
use crate::config::limits::short;
use crate::config::{Config, RouteName, Target};

/// Models have no release date here; a fixed one keeps the shape exact.
const CREATED_AT: &str = "1970-01-01T00:00:00Z";

pub async fn list(State(state): State<Arc<AppState>>) -> Json<Value> {
    let data = entries(&state.config());
    let first = data.first().map(|e| e["id"].clone());
    let last = data.last().map(|e| e["id"].clone());
    Json(json!({"data": data, "has_more": false, "first_id": first, "last_id": last}))
}

/// Something a client can name as its model.
enum Listed {
    Target(Target),
    Route(RouteName, Target),
}

fn entries(config: &Config) -> Vec<Value> {
    let listed = listed(config);
    let classic = listed.iter().map(|item| match item {
        Listed::Target(target) => json!({
            "type": "model", "id": target.to_string(),
            "display_name": format!("{} ({})", target.model, target.provider),
            "created_at": CREATED_AT,
        }),
        Listed::Route(name, first) => json!({
            "type": "model", "id": name.as_str(),
            "display_name": format!("{name} route ({first})"), "created_at": CREATED_AT,
        }),
    });
    let gateway = listed.iter().map(|item| {
        let (id, display, first) = match item {
            Listed::Target(target) => (
                target_id(target),
                format!("{} ({})", target.model, target.provider),
                target,
            ),
            Listed::Route(name, first) => {
                (route_id(*name), format!("{name} route: {first}"), first)
            }
        };
        let window = config
            .limits(first)
            .map(|limits| format!(", {} context", short(limits.context_window)))
            .unwrap_or_default();
        json!({
            "type": "model", "id": id, "display_name": display,
            "description": format!("via ccproxy: {first}{window}"), "created_at": CREATED_AT,
        })
    });
    classic.chain(gateway).collect()
}

/// Every enabled provider's models, then the concrete targets of the routes, then the
/// routes (each once, in that order).
fn listed(config: &Config) -> Vec<Listed> {
    let mut targets: Vec<Target> = Vec::new();
    let mut push = |target: Target| {
        if !targets.contains(&target) {
            targets.push(target);
        }
    };
    let enabled = |name: &str| config.provider(name).is_some_and(|p| p.enabled);
    for provider in config.providers.iter().filter(|p| p.enabled) {
        for model in provider.models.iter().map(|m| &m.id) {
            push(Target {
                provider: provider.name.clone(),
                model: model.clone(),
            });
        }
    }
    for (_, route) in config.routes.configured() {
        // A target that keeps the client's model names no model a client could pick.
        route
            .iter()
            .filter(|t| t.model != Target::CLIENT_MODEL && enabled(&t.provider))
            .for_each(|t| push(t.clone()));
    }
    let routes = config.routes.configured().filter_map(|(name, route)| {
        let first = route.first()?;
        Some(Listed::Route(name, first.clone()))
    });
    targets
        .into_iter()
        .map(Listed::Target)
        .chain(routes)
        .collect()
}
