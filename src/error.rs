//! The one error type of the request path, and the one place where a failure becomes an
//! HTTP status, an error `type`, a `code` and `details`: the contract of
//! `shared/seed/error-handling.md`, inside Anthropic's envelope
//! (`{"type":"error","error":{...}}`, protocols.md §4.1) so the official SDKs classify it.
//!
//! Who is at fault decides the status: the client (4xx), the provider (401/403/429 about the
//! provider key or quota, 502/503/504 for provider failures), or ccproxy itself (500).

use std::time::Duration;

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

/// Every way a request can fail. Variants carry what the message and details need.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProxyError {
    #[error("{message}")]
    InvalidJson { message: String },
    #[error("missing required field `{field}`")]
    MissingField { field: String },
    #[error("invalid field `{field}`: {reason}")]
    InvalidField { field: String, reason: String },
    #[error("request body is larger than the limit of {limit} bytes")]
    RequestTooLarge { limit: usize },
    #[error("no route for {method} {path}")]
    NotFound { method: String, path: String },
    #[error("method {method} is not allowed on {path}")]
    MethodNotAllowed { method: String, path: String },
    #[error("{reason}")]
    ProxyAuth { reason: &'static str },
    #[error("this ccproxy has no api_key configured, so it serves only clients on this machine")]
    RemoteClientForbidden,
    /// A request that looks like it comes from a web page (a foreign `Origin`, or a `Host`
    /// that is not a loopback name) while loopback alone is what lets it in.
    #[error("{reason}")]
    CrossOriginForbidden { reason: &'static str },
    #[error("unknown provider '{provider}' in model '{model}'")]
    UnknownProvider {
        provider: String,
        model: String,
        available: Vec<String>,
    },
    #[error("API key not configured for provider '{provider}'")]
    MissingApiKey {
        provider: String,
        env_var: String,
        /// True when nothing was configured at all: the suggestion then also says how to
        /// pick another provider.
        suggest_provider_choice: bool,
    },
    #[error("Invalid API key for provider '{provider}'")]
    InvalidApiKey {
        provider: String,
        /// Where the key comes from, e.g. "your GROQ_API_KEY environment variable".
        key_hint: String,
    },
    #[error("The API key for provider '{provider}' lacks permission: {message}")]
    PermissionDenied { provider: String, message: String },
    #[error("Rate limit exceeded for provider '{provider}'")]
    RateLimited {
        provider: String,
        retry_after: Option<Duration>,
        limit: Option<u64>,
        remaining: Option<u64>,
    },
    #[error("Model '{model}' not found")]
    ModelNotFound {
        provider: String,
        model: String,
        available: Vec<String>,
    },
    #[error("Provider '{provider}' is temporarily unavailable: {reason}")]
    ProviderUnavailable {
        provider: String,
        reason: String,
        retry_after: Option<Duration>,
    },
    #[error("Provider '{provider}' returned an error: {message}")]
    ProviderFailed {
        provider: String,
        /// `upstream_error` (a 5xx), `invalid_upstream_response` (a body we cannot read) or
        /// `incomplete_upstream_response` (the body broke off).
        code: &'static str,
        message: String,
    },
    #[error(
        "Provider '{provider}' timed out: no answer within {} while {}",
        show_duration(*after),
        phase.describe()
    )]
    ProviderTimeout {
        provider: String,
        phase: TimeoutPhase,
        after: Duration,
    },
    /// The request's whole attempt chain (retries, key switches, fallbacks) ran out of its
    /// budget, `retry.total_ms`, before any answer started.
    #[error(
        "no answer within the retry budget of {} (retry.total_ms); tried: {}",
        show_duration(*budget),
        show_tried(tried)
    )]
    RetryBudgetExhausted {
        /// The provider of the last attempt.
        provider: String,
        budget: Duration,
        tried: Vec<TriedAttempt>,
    },
    #[error("Provider '{provider}' rejected the request: {message}")]
    ProviderRejected { provider: String, message: String },
    #[error("no provider named '{name}' is configured")]
    ProviderNotFound {
        name: String,
        available: Vec<String>,
    },
    #[error("a provider named '{name}' already exists")]
    ProviderExists { name: String },
    #[error("the configuration change is invalid: {}", problems.join("; "))]
    InvalidConfig { problems: Vec<String> },
    /// The provider's context window overflowed, in Anthropic's words (protocols.md §4.2) so
    /// that Claude-style clients react (compact the conversation).
    #[error("prompt is too long: {detail}")]
    PromptTooLong { provider: String, detail: String },
    /// A provider's base URL leads back to this proxy (protocols.md §9, the loop guard).
    #[error(
        "provider '{provider}' points back at this ccproxy ({base_url}): the request would loop"
    )]
    ProxyLoop { provider: String, base_url: String },
    #[error("internal error: {message}")]
    Internal { message: String },
}

impl ProxyError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::InvalidJson { .. }
            | Self::MissingField { .. }
            | Self::InvalidField { .. }
            | Self::UnknownProvider { .. }
            | Self::InvalidConfig { .. }
            | Self::ProviderRejected { .. }
            | Self::PromptTooLong { .. } => StatusCode::BAD_REQUEST,
            Self::ProviderExists { .. } => StatusCode::CONFLICT,
            Self::RequestTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::NotFound { .. } | Self::ModelNotFound { .. } | Self::ProviderNotFound { .. } => {
                StatusCode::NOT_FOUND
            }
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::ProxyAuth { .. } | Self::MissingApiKey { .. } | Self::InvalidApiKey { .. } => {
                StatusCode::UNAUTHORIZED
            }
            Self::RemoteClientForbidden
            | Self::CrossOriginForbidden { .. }
            | Self::PermissionDenied { .. } => StatusCode::FORBIDDEN,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::ProviderUnavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::ProviderFailed { .. } => StatusCode::BAD_GATEWAY,
            Self::ProviderTimeout { .. } | Self::RetryBudgetExhausted { .. } => {
                StatusCode::GATEWAY_TIMEOUT
            }
            Self::ProxyLoop { .. } => StatusCode::LOOP_DETECTED,
            Self::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The `error.type` field.
    pub fn error_type(&self) -> &'static str {
        match self {
            Self::InvalidJson { .. }
            | Self::MissingField { .. }
            | Self::InvalidField { .. }
            | Self::MethodNotAllowed { .. }
            | Self::UnknownProvider { .. }
            | Self::InvalidConfig { .. }
            | Self::ProviderExists { .. }
            | Self::ProviderRejected { .. }
            | Self::PromptTooLong { .. } => "invalid_request_error",
            Self::RequestTooLarge { .. } => "request_too_large",
            Self::NotFound { .. } | Self::ProviderNotFound { .. } => "not_found_error",
            Self::ProxyAuth { .. } | Self::MissingApiKey { .. } | Self::InvalidApiKey { .. } => {
                "authentication_error"
            }
            Self::RemoteClientForbidden
            | Self::CrossOriginForbidden { .. }
            | Self::PermissionDenied { .. } => "permission_error",
            Self::RateLimited { .. } => "rate_limit_error",
            Self::ModelNotFound { .. }
            | Self::ProviderUnavailable { .. }
            | Self::ProviderFailed { .. }
            | Self::ProviderTimeout { .. }
            | Self::RetryBudgetExhausted { .. } => "provider_error",
            Self::ProxyLoop { .. } | Self::Internal { .. } => "api_error",
        }
    }

    /// The `error.code` field.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidJson { .. } => "invalid_json",
            Self::MissingField { .. } => "missing_field",
            Self::InvalidField { .. } => "invalid_field",
            Self::RequestTooLarge { .. } => "request_too_large",
            Self::NotFound { .. } => "not_found",
            Self::MethodNotAllowed { .. } => "method_not_allowed",
            Self::ProxyAuth { .. } | Self::InvalidApiKey { .. } => "invalid_api_key",
            Self::RemoteClientForbidden => "remote_client_forbidden",
            Self::CrossOriginForbidden { .. } => "cross_origin_forbidden",
            Self::UnknownProvider { .. } => "unknown_provider",
            Self::MissingApiKey { .. } => "missing_api_key",
            Self::PermissionDenied { .. } => "insufficient_permissions",
            Self::RateLimited { .. } => "rate_limit_exceeded",
            Self::ModelNotFound { .. } => "model_not_found",
            Self::ProviderUnavailable { .. } => "provider_unavailable",
            Self::ProviderFailed { code, .. } => code,
            Self::ProviderTimeout { .. } | Self::RetryBudgetExhausted { .. } => "provider_timeout",
            Self::ProviderRejected { .. } => "provider_rejected_request",
            Self::ProviderNotFound { .. } => "provider_not_found",
            Self::ProviderExists { .. } => "provider_exists",
            Self::InvalidConfig { .. } => "invalid_config",
            Self::PromptTooLong { .. } => "prompt_too_long",
            Self::ProxyLoop { .. } => "proxy_loop",
            Self::Internal { .. } => "internal_error",
        }
    }

    /// How long the provider asked us to wait, when known (429 and 503).
    pub fn retry_wait(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after, .. }
            | Self::ProviderUnavailable { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Whole seconds the client should wait (rounded up), when known.
    pub fn retry_after(&self) -> Option<u64> {
        self.retry_wait().map(|wait| {
            let seconds = wait.as_secs();
            if wait.subsec_nanos() > 0 {
                seconds + 1
            } else {
                seconds
            }
        })
    }

    /// The `error.details` object: provider, suggestion, retry_after, limit, remaining,
    /// available_models, as the seed documents them. `None` when there is nothing to add.
    pub fn details(&self) -> Option<Value> {
        let mut details = Map::new();
        if let Some(provider) = self.provider() {
            details.insert("provider".into(), json!(provider));
        }
        if let Some(suggestion) = self.suggestion() {
            details.insert("suggestion".into(), json!(suggestion));
        }
        if let Some(retry_after) = self.retry_after() {
            details.insert("retry_after".into(), json!(retry_after));
        }
        match self {
            Self::RateLimited {
                limit, remaining, ..
            } => {
                if let Some(limit) = limit {
                    details.insert("limit".into(), json!(limit));
                }
                if let Some(remaining) = remaining {
                    details.insert("remaining".into(), json!(remaining));
                }
            }
            Self::ModelNotFound { available, .. } if !available.is_empty() => {
                details.insert("available_models".into(), json!(available));
            }
            Self::UnknownProvider { available, .. } | Self::ProviderNotFound { available, .. } => {
                details.insert("available_providers".into(), json!(available));
            }
            Self::InvalidConfig { problems } => {
                details.insert("problems".into(), json!(problems));
            }
            Self::RetryBudgetExhausted { tried, .. } => {
                let tried: Vec<Value> = tried.iter().map(TriedAttempt::to_json).collect();
                details.insert("tried".into(), json!(tried));
            }
            _ => {}
        }
        (!details.is_empty()).then_some(Value::Object(details))
    }

    fn provider(&self) -> Option<&str> {
        match self {
            Self::MissingApiKey { provider, .. }
            | Self::InvalidApiKey { provider, .. }
            | Self::PermissionDenied { provider, .. }
            | Self::RateLimited { provider, .. }
            | Self::ModelNotFound { provider, .. }
            | Self::ProviderUnavailable { provider, .. }
            | Self::ProviderFailed { provider, .. }
            | Self::ProviderTimeout { provider, .. }
            | Self::RetryBudgetExhausted { provider, .. }
            | Self::ProviderRejected { provider, .. }
            | Self::PromptTooLong { provider, .. }
            | Self::ProxyLoop { provider, .. } => Some(provider),
            _ => None,
        }
    }

    fn suggestion(&self) -> Option<String> {
        Some(match self {
            Self::MissingApiKey {
                env_var,
                suggest_provider_choice: true,
                ..
            } => format!(
                "Set the {env_var} environment variable, or choose another provider with \
                 PROVIDER=openai (or anthropic, gemini, openrouter, deepseek, mistral, xai, \
                 cerebras, together, fireworks, moonshot, ollama) and its key variable, e.g. \
                 OPENAI_API_KEY"
            ),
            Self::MissingApiKey { env_var, .. } => {
                format!("Set the {env_var} environment variable")
            }
            Self::InvalidApiKey { key_hint, .. } => format!("Check {key_hint}"),
            Self::ProxyAuth { .. } => "Send the proxy key (CCPROXY_API_KEY) as the x-api-key \
                 header or as Authorization: Bearer <key>"
                .to_string(),
            Self::RemoteClientForbidden => "Set CCPROXY_API_KEY (or api_key in the config) to \
                 serve other machines, and send it as x-api-key"
                .to_string(),
            Self::CrossOriginForbidden { .. } => "Web pages may not use this ccproxy: call it \
                 from a program (Claude Code, an SDK, curl) at http://127.0.0.1:PORT or \
                 http://localhost:PORT, or set CCPROXY_API_KEY and send it as x-api-key"
                .to_string(),
            Self::ProviderTimeout { phase, .. } => {
                format!("Raise {} if the provider is just slow", phase.setting())
            }
            Self::RetryBudgetExhausted { .. } => "Raise retry.total_ms in the config file if \
                 the providers are just slow, or add a fallback target to the route"
                .to_string(),
            Self::PermissionDenied { .. } => {
                "Check with the provider that the key may use this model".to_string()
            }
            Self::ProviderUnavailable { .. } => {
                "Retry later, or add a fallback target to the route".to_string()
            }
            Self::PromptTooLong { .. } => {
                "Shorten the conversation (or compact it), or route it to a model with a longer \
                 context"
                    .to_string()
            }
            Self::RateLimited { .. } => {
                "Wait retry_after seconds, or add a fallback target to the route".to_string()
            }
            Self::ModelNotFound { .. } => {
                "Use one of available_models in the route or the request's model".to_string()
            }
            Self::UnknownProvider { .. } => {
                "Use \"provider,model\" with one of available_providers".to_string()
            }
            Self::ProxyLoop { provider, .. } => format!(
                "Give provider '{provider}' its real API address (for Anthropic: \
                 https://api.anthropic.com) with {}_BASE_URL or base_url in the config; if \
                 the shell that starts ccproxy exports ANTHROPIC_BASE_URL for Claude Code, \
                 unset it for ccproxy",
                crate::config::catalog::env_prefix(provider)
            ),
            Self::ProviderExists { name } => {
                format!("Change it with PUT /providers/{name}, or choose another name")
            }
            _ => return None,
        })
    }

    /// Errors that retrying cannot fix tell the SDKs so (protocols.md §4.4).
    fn should_retry(&self) -> Option<bool> {
        let status = self.status();
        if (status.is_client_error() && status != StatusCode::TOO_MANY_REQUESTS)
            || matches!(self, Self::ProxyLoop { .. })
        {
            Some(false)
        } else {
            None
        }
    }

    /// The error body: Anthropic's envelope around the seed's error object.
    pub fn body(&self) -> Value {
        let mut error = Map::new();
        error.insert("type".into(), json!(self.error_type()));
        error.insert("message".into(), json!(self.to_string()));
        error.insert("code".into(), json!(self.code()));
        if let Some(details) = self.details() {
            error.insert("details".into(), details);
        }
        json!({"type": "error", "error": error})
    }
}

impl IntoResponse for ProxyError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::warn!(code = self.code(), status = status.as_u16(), "{self}");
        } else {
            tracing::debug!(code = self.code(), status = status.as_u16(), "{self}");
        }
        let mut response = (status, axum::Json(self.body())).into_response();
        let headers = response.headers_mut();
        if let Some(retry) = self.should_retry() {
            headers.insert("x-should-retry", HeaderValue::from_static(bool_str(retry)));
        }
        if let Some(seconds) = self.retry_after() {
            headers.insert("retry-after", HeaderValue::from(seconds));
        }
        response
    }
}

/// One attempt of a request's chain, as the client is told about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriedAttempt {
    /// `provider,model`.
    pub target: String,
    /// The key it was sent with, masked (`gsk_…3f9a`); `None` for a provider without keys.
    pub key: Option<String>,
    /// What it answered: `502 upstream_error`, or that the budget cut it.
    pub answer: String,
}

impl TriedAttempt {
    fn to_json(&self) -> Value {
        json!({"target": self.target, "key": self.key, "answer": self.answer})
    }
}

impl std::fmt::Display for TriedAttempt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.key {
            Some(key) => write!(f, "{} with key {}: {}", self.target, key, self.answer),
            None => write!(f, "{}: {}", self.target, self.answer),
        }
    }
}

fn show_tried(tried: &[TriedAttempt]) -> String {
    if tried.is_empty() {
        return "nothing".to_string();
    }
    let shown: Vec<String> = tried.iter().map(ToString::to_string).collect();
    shown.join("; ")
}

/// Which wait ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutPhase {
    /// Establishing the connection.
    Connect,
    /// Waiting for the response headers.
    Response,
    /// Waiting for the next chunk of the body.
    StreamIdle,
}

impl TimeoutPhase {
    fn describe(self) -> &'static str {
        match self {
            Self::Connect => "connecting",
            Self::Response => "waiting for the response headers",
            Self::StreamIdle => "waiting for the next chunk of the response",
        }
    }

    /// The setting that changes this timeout.
    pub fn setting(self) -> &'static str {
        match self {
            Self::Connect => "timeouts.connect_ms in the config file",
            Self::Response => {
                "timeouts.response_ms in the config file (or CCPROXY_UPSTREAM_TIMEOUT_MS)"
            }
            Self::StreamIdle => "timeouts.stream_idle_ms in the config file",
        }
    }
}

/// `300s`, `1.5s` or `50ms`.
fn show_duration(duration: Duration) -> String {
    let millis = duration.as_millis();
    if millis >= 1000 && millis % 100 == 0 {
        format!("{}s", duration.as_secs_f64())
    } else {
        format!("{millis}ms")
    }
}

fn bool_str(value: bool) -> &'static str {
    if value {
        "true"
    } else {
        "false"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_api_key_matches_the_seed() {
        let error = ProxyError::MissingApiKey {
            provider: "groq".into(),
            env_var: "GROQ_API_KEY".into(),
            suggest_provider_choice: false,
        };
        assert_eq!(error.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            error.body(),
            json!({"type": "error", "error": {
                "type": "authentication_error",
                "message": "API key not configured for provider 'groq'",
                "code": "missing_api_key",
                "details": {"provider": "groq", "suggestion": "Set the GROQ_API_KEY environment variable"}
            }})
        );
    }

    #[test]
    fn rate_limit_carries_retry_after_limit_and_remaining() {
        let error = ProxyError::RateLimited {
            provider: "groq".into(),
            retry_after: Some(Duration::from_secs(60)),
            limit: Some(5000),
            remaining: Some(0),
        };
        let body = error.body();
        assert_eq!(body["error"]["code"], "rate_limit_exceeded");
        assert_eq!(body["error"]["type"], "rate_limit_error");
        assert_eq!(body["error"]["details"]["retry_after"], 60);
        assert_eq!(body["error"]["details"]["limit"], 5000);
        assert_eq!(body["error"]["details"]["remaining"], 0);
        let response = error.into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()["retry-after"], "60");
        assert!(response.headers().get("x-should-retry").is_none());
    }

    #[test]
    fn client_errors_tell_sdks_not_to_retry() {
        let response = ProxyError::MissingField {
            field: "model".into(),
        }
        .into_response();
        assert_eq!(response.headers()["x-should-retry"], "false");
        let response = ProxyError::ProviderUnavailable {
            provider: "groq".into(),
            reason: "connection refused".into(),
            retry_after: None,
        }
        .into_response();
        assert!(response.headers().get("x-should-retry").is_none());
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    }

    #[test]
    fn model_not_found_lists_available_models() {
        let error = ProxyError::ModelNotFound {
            provider: "groq".into(),
            model: "invalid-model".into(),
            available: vec!["moonshotai/kimi-k2-instruct".into()],
        };
        let body = error.body();
        assert_eq!(body["error"]["message"], "Model 'invalid-model' not found");
        assert_eq!(body["error"]["type"], "provider_error");
        assert_eq!(
            body["error"]["details"]["available_models"],
            json!(["moonshotai/kimi-k2-instruct"])
        );
    }
}
