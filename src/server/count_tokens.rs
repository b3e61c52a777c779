//! `POST /v1/messages/count_tokens`: `{"input_tokens": N}` for a Messages request, counted
//! as it would be forwarded (sub-agent tag removed). Never fails for routing reasons:
//! clients call it for context management (protocols.md §5).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::Json;
use serde_json::{json, Value};

use super::{body, AppState};
use crate::config::{Config, Target};
use crate::error::ProxyError;
use crate::router;
use crate::tokens::{self, Basis};
use crate::wire::anthropic;

pub async fn count(
    State(state): State<Arc<AppState>>,
    request: Request,
) -> Result<Json<Value>, ProxyError> {
    let config = state.config();
    let mut request = body::messages_body(request, config.max_request_bytes).await?;
    let decision = router::route(&config, &mut request);
    let input_tokens = match decision {
        Ok(decision) => match decision.size {
            Some(size) if size.basis == Basis::Exact => size.tokens,
            _ => input_tokens(&config, decision.targets.first(), request).await?,
        },
        Err(error) => {
            tracing::debug!("count_tokens: counting locally, the request does not route: {error}");
            input_tokens(&config, None, request).await?
        }
    };
    Ok(Json(json!({"input_tokens": input_tokens})))
}

/// The input tokens of `request` as `target` would count them. This is the seam for the
/// providers' own counters: Anthropic's `count_tokens` and Gemini's `countTokens` belong
/// here once those providers are callable (the native-provider work), falling back to the
/// local count when they do not answer. Today every target is counted locally, on the
/// blocking pool: a 50 KB request takes milliseconds, the first one also loads the tokenizer.
async fn input_tokens(
    _config: &Config,
    _target: Option<&Target>,
    request: anthropic::MessagesRequest,
) -> Result<u64, ProxyError> {
    tokio::task::spawn_blocking(move || tokens::count(&request))
        .await
        .map_err(|e| ProxyError::Internal {
            message: format!("token counting failed: {e}"),
        })
}
