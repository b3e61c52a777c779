//! The admin API: `GET/POST /providers`, `GET/PUT/DELETE /providers/{name}`,
//! `PATCH /providers/{name}/toggle`, and a provider's key pool: `GET/POST
//! /providers/{name}/keys`, `DELETE /providers/{name}/keys/{key}` (the key as shown, masked,
//! or whole). Reachable like every non-public path (loopback clients, or the proxy key when
//! one is set). Keys are masked on every read; every change is validated like the config
//! file, written back to it, and applies to the next request.

use std::sync::Arc;

use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{body, AppState};
use crate::config::live::{Edit, EditError};
use crate::config::show::{ProviderList, ProviderView};
use crate::config::Config;
use crate::error::ProxyError;
use crate::report::PoolReport;

pub async fn list(State(state): State<Arc<AppState>>) -> Json<ProviderList> {
    let providers = state
        .config()
        .providers
        .iter()
        .map(ProviderView::of)
        .collect();
    Json(ProviderList { providers })
}

pub async fn show(State(state): State<Arc<AppState>>, Path(name): Path<String>) -> Response {
    respond(view(&state.config(), &name))
}

pub async fn add(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let result = async {
        let provider = provider_body(&state, request).await?;
        let name = provider
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let config = state.edit_config(Edit::Add(provider))?;
        view(&config, &name)
    };
    match result.await {
        Ok(body) => (StatusCode::CREATED, body).into_response(),
        Err(error) => error.into_response(),
    }
}

pub async fn replace(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    request: Request,
) -> Response {
    let result = async {
        let provider = provider_body(&state, request).await?;
        let config = state.edit_config(Edit::Replace(name.clone(), provider))?;
        view(&config, &name)
    };
    respond(result.await)
}

pub async fn delete(State(state): State<Arc<AppState>>, Path(name): Path<String>) -> Response {
    let result = state
        .edit_config(Edit::Delete(name.clone()))
        .map(|_| Json(Deleted { deleted: name }));
    respond(result)
}

pub async fn toggle(State(state): State<Arc<AppState>>, Path(name): Path<String>) -> Response {
    let result = state
        .edit_config(Edit::Toggle(name.clone()))
        .and_then(|config| view(&config, &name));
    respond(result)
}

/// The answer to `DELETE /providers/{name}`.
#[derive(Serialize)]
struct Deleted {
    deleted: String,
}

/// A key to add to a pool.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewKey {
    key: String,
}

pub async fn pool(State(state): State<Arc<AppState>>, Path(name): Path<String>) -> Response {
    respond_pool(&state, &state.config(), &name)
}

pub async fn add_key(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    request: Request,
) -> Response {
    let result = async {
        let (parts, body) = request.into_parts();
        let bytes = body::read(&parts.headers, body, &state.config()).await?;
        let new: NewKey = body::parse(&bytes)?;
        state.edit_config(Edit::AddKey(name.clone(), new.key))
    };
    match result.await {
        Ok(config) => {
            tracing::info!(provider = %name, "a key was added to the pool through the admin API");
            let mut response = respond_pool(&state, &config, &name);
            *response.status_mut() = StatusCode::CREATED;
            response
        }
        Err(error) => error.into_response(),
    }
}

pub async fn remove_key(
    State(state): State<Arc<AppState>>,
    Path((name, key)): Path<(String, String)>,
) -> Response {
    match state.edit_config(Edit::RemoveKey(name.clone(), key)) {
        Ok(config) => {
            tracing::info!(provider = %name, "a key was removed from the pool through the admin API");
            respond_pool(&state, &config, &name)
        }
        Err(error) => error.into_response(),
    }
}

/// The provider's keys as the dispatcher sees them: masked, with state and figures.
fn respond_pool(state: &AppState, config: &Config, name: &str) -> Response {
    match config.provider(name) {
        Some(provider) => Json(PoolReport {
            provider: name.to_string(),
            keys: state.dispatcher.key_status(provider),
        })
        .into_response(),
        None => ProxyError::ProviderNotFound {
            name: name.to_string(),
            available: config.provider_names(),
        }
        .into_response(),
    }
}

fn respond<T: Serialize>(result: Result<Json<T>, ProxyError>) -> Response {
    match result {
        Ok(body) => body.into_response(),
        Err(error) => error.into_response(),
    }
}

fn view(config: &Config, name: &str) -> Result<Json<ProviderView>, ProxyError> {
    config
        .provider(name)
        .map(|p| Json(ProviderView::of(p)))
        .ok_or_else(|| ProxyError::ProviderNotFound {
            name: name.to_string(),
            available: config.provider_names(),
        })
}

/// The response to an edit the configuration refused.
pub(super) fn refused(error: EditError) -> ProxyError {
    match error {
        EditError::NoSuchProvider { name, available } => {
            ProxyError::ProviderNotFound { name, available }
        }
        EditError::ProviderExists { name } => ProxyError::ProviderExists { name },
        EditError::Field { field, reason } => ProxyError::InvalidField { field, reason },
        EditError::Invalid(error) => ProxyError::InvalidConfig {
            problems: error.problems.iter().map(ToString::to_string).collect(),
        },
    }
}

async fn provider_body(state: &AppState, request: Request) -> Result<Value, ProxyError> {
    let (parts, body) = request.into_parts();
    let bytes = body::read(&parts.headers, body, &state.config()).await?;
    body::parse(&bytes)
}
