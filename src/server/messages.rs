//! `POST /v1/messages`: read and check the body, route it, send it to the chosen provider
//! and answer in Anthropic's shape, with headers saying who served it. Each request ends in
//! one [`RequestRecord`] handed to the statistics (which also write the request log line).

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::middleware::RequestId;
use super::{body, AppState};
use crate::config::{Config, Target};
use crate::error::ProxyError;
use crate::stats::RequestRecord;
use crate::{providers, router};

pub async fn create(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let _in_flight = state.stats.enter();
    let id = request
        .extensions()
        .get::<RequestId>()
        .map(|id| id.0.clone())
        .unwrap_or_default();
    let mut record = RequestRecord::new(id, Instant::now());
    let config = state.config();
    let response = match handle(&state, &config, request, &mut record).await {
        Ok(response) => response,
        Err(error) => {
            record.status = error.status().as_u16();
            record.code = Some(error.code());
            error.into_response()
        }
    };
    state.stats.record(record, &config.prices);
    response
}

/// Serves the request, noting in `record` what it learns on the way (routing, timings,
/// tokens) for the statistics and the request log.
async fn handle(
    state: &AppState,
    config: &Config,
    request: Request,
    record: &mut RequestRecord,
) -> Result<Response, ProxyError> {
    let (parts, body) = request.into_parts();
    let bytes = body::read(&parts.headers, body, config.max_request_bytes).await?;
    let request = body::messages_request(&bytes)?;
    record.stream = request.stream;
    let decision = router::route(config, &request)?;
    record.rule = Some(decision.rule.as_str());
    let target = decision
        .targets
        .first()
        .ok_or_else(|| ProxyError::Internal {
            message: "the route has no target".into(),
        })?;
    record.provider = Some(target.provider.clone());
    record.model = Some(target.model.clone());
    state.sessions.record(&parts.headers, target, decision.rule);
    let provider = config
        .provider(&target.provider)
        .ok_or_else(|| ProxyError::Internal {
            message: format!("route names unknown provider '{}'", target.provider),
        })?;
    if provider.key_required && provider.api_key.is_none() {
        return Err(ProxyError::MissingApiKey {
            provider: provider.name.clone(),
            env_var: provider.key_var.clone(),
            suggest_provider_choice: config.unconfigured,
        });
    }
    if request.stream {
        return Err(ProxyError::InvalidField {
            field: "stream".into(),
            reason: "streaming is not available in this build yet".into(),
        });
    }
    let sent = Instant::now();
    record.attempts = 1;
    let upstream = providers::send(&state.http, provider, &target.model, &request).await?;
    record.upstream_latency = Some(sent.elapsed());
    let message = upstream.into_message().await?;
    record.input_tokens = message.usage.input_tokens;
    record.output_tokens = message.usage.output_tokens;
    let mut response = Json(message).into_response();
    served_by(&mut response, target, decision.rule);
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
