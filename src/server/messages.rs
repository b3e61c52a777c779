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
use crate::dispatch::Tally;
use crate::error::ProxyError;
use crate::router;
use crate::stats::RequestRecord;

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

/// Serves the request, noting in `record` what it learns on the way (routing, attempts,
/// timings, tokens) for the statistics and the request log.
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
    if let Some(first) = decision.targets.first() {
        record.served_by(first);
        state.sessions.record(&parts.headers, first, decision.rule);
    }
    if request.stream {
        return Err(ProxyError::InvalidField {
            field: "stream".into(),
            reason: "streaming is not available in this build yet".into(),
        });
    }
    let mut tally = Tally::default();
    let sent = state
        .dispatcher
        .send(config, &decision.targets, &request, &mut tally)
        .await;
    record.dispatched(&tally);
    let upstream = sent?;
    let served = Target {
        provider: upstream.provider.name.clone(),
        model: upstream.model.clone(),
    };
    let message = upstream.into_message().await?;
    record.input_tokens = message.usage.input_tokens;
    record.output_tokens = message.usage.output_tokens;
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
