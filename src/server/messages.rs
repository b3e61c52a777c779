//! `POST /v1/messages`: read and check the body, route it, send it to the chosen provider
//! and answer in Anthropic's shape, with headers saying who served it.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::{body, relay, AppState};
use crate::config::Target;
use crate::error::ProxyError;
use crate::{providers, router};

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
    let request = body::messages_request(&bytes)?;
    let decision = router::route(&config, &request)?;
    if let Some(first) = decision.targets.first() {
        state.sessions.record(&parts.headers, first, decision.rule);
    }
    let inbound = providers::Inbound {
        request,
        body: bytes,
        query: parts.uri.query().map(str::to_string),
        headers: parts.headers,
    };
    let upstream = state
        .dispatcher
        .send(&config, &decision.targets, &inbound)
        .await?;
    let served = Target {
        provider: upstream.provider.name.clone(),
        model: upstream.model.clone(),
    };
    if upstream.passes_through() {
        let (headers, body) = upstream.into_relay();
        let mut response = relay::response(headers, body, inbound.request.stream).await?;
        served_by(&mut response, &served, decision.rule);
        return Ok(response);
    }
    if inbound.request.stream {
        return Err(ProxyError::InvalidField {
            field: "stream".into(),
            reason: "streaming is not available in this build yet".into(),
        });
    }
    let message = upstream.into_message().await?;
    let mut response = Json(message).into_response();
    served_by(&mut response, &served, decision.rule);
    Ok(response)
}

/// Headers that say which provider, model and routing rule served the request.
fn served_by(response: &mut Response, target: &Target, rule: router::Rule) {
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&target.provider) {
        headers.insert("x-ccproxy-provider", value);
    }
    if let Ok(value) = HeaderValue::from_str(&target.model) {
        headers.insert("x-ccproxy-model", value);
    }
    headers.insert("x-ccproxy-route", HeaderValue::from_static(rule.as_str()));
}
