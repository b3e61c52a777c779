//! `GET /v1/models` in Anthropic's list shape: every configured target as
//! `provider,model`, then the configured route names (usable as a model: `"think"`), so
//! tools that list models show something that works.

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use super::AppState;
use crate::config::{Config, Target};

/// Models have no release date here; a fixed one keeps the shape exact.
const CREATED_AT: &str = "1970-01-01T00:00:00Z";

pub async fn list(State(state): State<Arc<AppState>>) -> Json<Value> {
    let data = entries(&state.config());
    let first = data.first().map(|e| e["id"].clone());
    let last = data.last().map(|e| e["id"].clone());
    Json(json!({"data": data, "has_more": false, "first_id": first, "last_id": last}))
}

fn entries(config: &Config) -> Vec<Value> {
    let mut ids: Vec<(String, String)> = Vec::new();
    let mut push = |id: String, display: String| {
        if !ids.iter().any(|(known, _)| *known == id) {
            ids.push((id, display));
        }
    };
    for provider in config.providers.iter().filter(|p| p.enabled) {
        for model in provider.models.iter().map(|m| &m.id) {
            push(
                format!("{},{model}", provider.name),
                format!("{model} ({})", provider.name),
            );
        }
    }
    for (_, targets) in config.routes.configured() {
        for target in targets {
            // A target that keeps the client's model names no model a client could pick.
            let concrete = target.model != Target::CLIENT_MODEL;
            if concrete && config.provider(&target.provider).is_some_and(|p| p.enabled) {
                push(
                    target.to_string(),
                    format!("{} ({})", target.model, target.provider),
                );
            }
        }
    }
    for (name, targets) in config.routes.configured() {
        if let Some(first) = targets.first() {
            push(name.to_string(), format!("{name} route ({first})"));
        }
    }
    ids.into_iter()
        .map(|(id, display)| {
            json!({"type": "model", "id": id, "display_name": display, "created_at": CREATED_AT})
        })
        .collect()
}
