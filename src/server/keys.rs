//! The team admin API: developer keys (`POST/GET /keys`, `GET/DELETE /keys/{name}`) and
//! spend limits in the shape of Anthropic's Admin API (`GET/POST
//! /v1/organizations/spend_limits`, `DELETE /v1/organizations/spend_limits/{id}`). Reached
//! like `/providers`: the proxy key (CCPROXY_API_KEY), never a developer key. A key is
//! shown once, in the 201 answer to its creation; every read shows its hint only.

use std::sync::Arc;

use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{body, AppState};
use crate::error::ProxyError;
use crate::store::{Period, Scope, SpendLimit};
use crate::team::{clock, keys, spend, KeyList, KeyUsage};

/// Admin bodies are small.
const ADMIN_BODY_BYTES: usize = 64 * 1024;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewKey {
    name: String,
    #[serde(default)]
    group: Option<String>,
    #[serde(default)]
    rpm: Option<u64>,
    #[serde(default)]
    tpm: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewSpendLimit {
    scope: Scope,
    amount: String,
    period: Period,
}

pub async fn create(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let result = async {
        let new: NewKey = read(&state, request).await?;
        keys::check_name("name", &new.name)?;
        if let Some(group) = &new.group {
            keys::check_name("group", group)?;
        }
        for (field, value) in [("rpm", new.rpm), ("tpm", new.tpm)] {
            if value == Some(0) {
                return Err(ProxyError::InvalidField {
                    field: field.into(),
                    reason: "must be at least 1 (leave it out for no limit)".into(),
                });
            }
        }
        let (record, secret) = state
            .team
            .create_key(new.name, new.group, new.rpm, new.tpm)
            .await?;
        tracing::info!(key = %record.name, "developer key created");
        Ok(json!({
            "name": record.name,
            "group": record.group,
            "rpm": record.rpm,
            "tpm": record.tpm,
            "key_hint": record.hint,
            "created_at": clock::rfc3339(record.created_at),
            "key": secret,
        }))
    };
    match result.await {
        Ok(body) => (StatusCode::CREATED, Json(body)).into_response(),
        Err(error) => error.into_response(),
    }
}

pub async fn list(State(state): State<Arc<AppState>>) -> Response {
    respond(state.team.keys().await.map(|keys| {
        json!(KeyList {
            keys,
            team_mode: state.team.active()
        })
    }))
}

pub async fn show(State(state): State<Arc<AppState>>, Path(name): Path<String>) -> Response {
    let result = async {
        let keys: Vec<KeyUsage> = state.team.keys().await?;
        let key = keys.into_iter().find(|k| k.name == name);
        key.map(|k| json!(k))
            .ok_or(ProxyError::KeyNotFound { name })
    };
    respond(result.await)
}

pub async fn revoke(State(state): State<Arc<AppState>>, Path(name): Path<String>) -> Response {
    let result = state.team.revoke_key(&name).await;
    if result.is_ok() {
        tracing::info!(key = %name, "developer key revoked");
    }
    respond(result.map(|()| json!({"revoked": name})))
}

pub async fn spend_limits(State(state): State<Arc<AppState>>) -> Response {
    respond(state.team.spend_limits_list().await.map(|limits| {
        let data: Vec<Value> = limits.iter().map(spend::to_json).collect();
        json!({"data": data, "next_page": null})
    }))
}

pub async fn set_spend_limit(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let result = async {
        let new: NewSpendLimit = read(&state, request).await?;
        match &new.scope {
            Scope::Organization => {}
            Scope::User { user_id } => keys::check_name("scope.user_id", user_id)?,
            Scope::RbacGroup { rbac_group_id } => {
                keys::check_name("scope.rbac_group_id", rbac_group_id)?;
            }
        }
        let amount_cents = cents(&new.amount)?;
        let limit = SpendLimit {
            id: spend::limit_id(&new.scope, new.period),
            scope: new.scope,
            period: new.period,
            amount_cents,
            created_at: clock::now_secs(),
        };
        let limit = state.team.set_spend_limit(limit).await?;
        Ok(spend::to_json(&limit))
    };
    respond(result.await)
}

pub async fn delete_spend_limit(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Response {
    let result = state.team.delete_spend_limit(&id).await;
    respond(result.map(|()| json!({"id": id, "type": "spend_limit_deleted"})))
}

/// An amount in cents, as the Admin API writes it: a non-negative whole number in a string.
fn cents(amount: &str) -> Result<u64, ProxyError> {
    let valid =
        !amount.is_empty() && amount.len() <= 15 && amount.bytes().all(|b| b.is_ascii_digit());
    match amount.parse::<u64>() {
        Ok(cents) if valid => Ok(cents),
        _ => Err(ProxyError::InvalidField {
            field: "amount".into(),
            reason: "a whole number of cents in a string, e.g. \"500\" for $5.00".into(),
        }),
    }
}

async fn read<T: serde::de::DeserializeOwned>(
    state: &AppState,
    request: Request,
) -> Result<T, ProxyError> {
    let stall = state.config().resilience.timeouts.client_body;
    let (parts, body) = request.into_parts();
    let bytes = body::read_within(&parts.headers, body, ADMIN_BODY_BYTES, stall).await?;
    body::parse(&bytes)
}

fn respond(result: Result<Value, ProxyError>) -> Response {
    match result {
        Ok(body) => Json(body).into_response(),
        Err(error) => error.into_response(),
    }
}
