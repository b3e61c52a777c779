//! `POST /v1/messages/count_tokens`: `{"input_tokens": N}` for a Messages request, counted
//! as it would be forwarded (sub-agent tag removed). Never fails for routing reasons:
//! clients call it for context management (https://docs.anthropic.com/en/api/messages-count-tokens). A target whose provider has
//! its own counter (Anthropic's `count_tokens`, Gemini's `countTokens`) is asked first; the
//! local count is the fallback when it cannot answer.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::Json;
use serde_json::{json, Value};

use super::{body, routing, AppState};
use crate::config::{Config, Target};
use crate::error::ProxyError;
use crate::providers;
use crate::tokens::Basis;

pub async fn count(
    State(state): State<Arc<AppState>>,
    request: Request,
) -> Result<Json<Value>, ProxyError> {
    let config = state.config();
    let (parts, body) = request.into_parts();
    let bytes = body::read(&parts.headers, body, &config).await?;
    let mut request = body::messages_request(&bytes)?;
    let decision = routing::route(&config, &mut request).await;
    let inbound = providers::Inbound {
        request,
        body: bytes,
        headers: parts.headers,
        query: None,
    };
    let target = decision.as_ref().ok().and_then(|d| d.targets.first());
    if let Some(counted) = provider_count(&state, &config, target, &inbound).await {
        return Ok(Json(json!({"input_tokens": counted})));
    }
    let request = inbound.request;
    let input_tokens = match decision {
        Ok(decision) => match decision.size {
            Some(size) if size.basis == Basis::Exact => size.tokens,
            _ => routing::count(request).await?,
        },
        Err(error) => {
            tracing::debug!("count_tokens: counting locally, the request does not route: {error}");
            routing::count(request).await?
        }
    };
    Ok(Json(json!({"input_tokens": input_tokens})))
}

/// The count of `target`'s provider, when its kind has a counter and it answers.
async fn provider_count(
    state: &AppState,
    config: &Config,
    target: Option<&Target>,
    inbound: &providers::Inbound,
) -> Option<u64> {
    let target = target?;
    let provider = config.provider(&target.provider)?;
    match providers::count_tokens(&state.http, provider, &target.model, inbound).await {
        Ok(counted) => counted,
        Err(error) => {
            tracing::debug!(
                "count_tokens: provider '{}' did not count ({error}); counting locally",
                provider.name
            );
            None
        }
    }
}
