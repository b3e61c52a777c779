//! `POST /v1/messages`: read and check the body, route it, send it to the chosen provider
//! and answer in Anthropic's shape, with headers saying who served it.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::{body, AppState};
use crate::config::Target;
use crate::error::ProxyError;
use crate::router;

pub async fn create(State(state): State<Arc<AppState>>, request: Request) -> Response {
    match handle(&state, request).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

async fn handle(state: &AppState, request: Request) -> Result<Response, ProxyError> {
    let config = state.config();
    let (parts, body) = request.into_parts();
    let bytes = body::read(&parts.headers, body, config.max_request_bytes).await?;
    let mut request = body::messages_request(&bytes)?;
    let decision = router::route(&config, &mut request)?;
    tracing::debug!(model = %request.model, "{}", decision.explain());
    if let Some(first) = decision.targets.first() {
        state.sessions.record(&parts.headers, first, decision.rule);
    }
    if request.stream {
        return Err(ProxyError::InvalidField {
            field: "stream".into(),
            reason: "streaming is not available in this build yet".into(),
        });
    }
    let upstream = state
        .dispatcher
        .send(&config, &decision.targets, &request)
        .await?;
    let served = Target {
        provider: upstream.provider.name.clone(),
        model: upstream.model.clone(),
    };
    let message = upstream.into_message().await?;
    let mut response = Json(message).into_response();
    served_by(&mut response, &served, decision.rule);
    Ok(response)
}

/// Headers that say which provider, model and routing rule served the request, and the
/// request's log line.
fn served_by(response: &mut Response, target: &Target, rule: router::Rule) {
    tracing::info!(
        route = rule.as_str(),
        provider = %target.provider,
        model = %target.model,
        "served"
    );
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&target.provider) {
        headers.insert("x-ccproxy-provider", value);
    }
    if let Ok(value) = HeaderValue::from_str(&target.model) {
        headers.insert("x-ccproxy-model", value);
    }
    headers.insert("x-ccproxy-route", HeaderValue::from_static(rule.as_str()));
}
