//! Upstream failures → [`ProxyError`], as docs/errors.md documents them: OpenAI-shaped (`{"error":{"message","type","code"}}`),
//! Anthropic-shaped (`{"type":"error","error":{"type","message"}}`) and Gemini-shaped
//! (`{"error":{"code","message","status"}}`, https://ai.google.dev/gemini-api/docs/troubleshooting) bodies alike. Upstream messages are passed
//! on for diagnosis, scrubbed of keys.

use std::time::{Duration, SystemTime};

use axum::http::{HeaderMap, StatusCode};
use serde_json::Value;

use super::client::TransportError;
use super::ratelimit;
use crate::config::ProviderConfig;
use crate::error::{ProxyError, TimeoutPhase, UpstreamFailure};
use crate::secret::{redact_url, scrub};
use crate::translate::TranslateError;

/// A failure to reach the provider (connect, DNS, TLS) or to get its response headers.
pub fn from_transport(
    provider: &ProviderConfig,
    connect_timeout: Duration,
    error: &TransportError,
) -> ProxyError {
    let name = provider.name.clone();
    if error.is_connect_timeout() {
        return timeout(provider, TimeoutPhase::Connect, connect_timeout);
    }
    let reason = if error.is_connect() {
        format!(
            "cannot connect to {} ({})",
            redact_url(&provider.base_url),
            root_cause(error)
        )
    } else {
        format!("the connection failed ({})", root_cause(error))
    };
    ProxyError::ProviderUnavailable {
        provider: name,
        reason,
        retry_after: None,
    }
}

/// A wait on the provider that ran out.
pub fn timeout(provider: &ProviderConfig, phase: TimeoutPhase, after: Duration) -> ProxyError {
    ProxyError::ProviderTimeout {
        provider: provider.name.clone(),
        phase,
        after,
    }
}

/// The body broke off after a 2xx (the connection dropped mid-response).
pub fn broken_body(provider: &ProviderConfig, error: &hyper::Error) -> ProxyError {
    ProxyError::ProviderFailed {
        provider: provider.name.clone(),
        failure: UpstreamFailure::Incomplete,
        message: format!(
            "the response broke off before it was complete ({})",
            root_cause(error)
        ),
    }
}

/// A 2xx body that is not what the protocol promises: HTML from a load balancer, truncated
/// or otherwise unexpected JSON. `problem` is what the reader said.
pub fn not_protocol(provider: &ProviderConfig, body: &[u8], problem: &str) -> ProxyError {
    let text = String::from_utf8_lossy(body);
    let start = text.trim_start();
    let what = if start.is_empty() {
        "an empty body".to_string()
    } else if start.starts_with('<') {
        "an HTML page instead of JSON (is base_url right? a proxy or load balancer answered)"
            .to_string()
    } else if serde_json::from_slice::<Value>(body).is_err() && looks_truncated(problem) {
        format!("truncated JSON: the body ends after {} bytes", body.len())
    } else {
        format!(
            "JSON that is not what the protocol says ({})",
            scrub(problem)
        )
    };
    unreadable(provider, &what)
}

/// A body that is not what the protocol promises.
pub fn unreadable(provider: &ProviderConfig, what: &str) -> ProxyError {
    ProxyError::ProviderFailed {
        provider: provider.name.clone(),
        failure: UpstreamFailure::Unreadable,
        message: format!("unreadable response: {what}"),
    }
}

fn looks_truncated(problem: &str) -> bool {
    problem.contains("EOF while parsing")
}

/// A non-2xx answer.
/// A 429 with what its headers say about the wait and the limit.
fn rate_limited(provider: String, headers: &HeaderMap) -> ProxyError {
    let limit = ratelimit::read(headers, SystemTime::now());
    ProxyError::RateLimited {
        provider,
        retry_after: limit.wait,
        limit: limit.limit,
        remaining: limit.remaining,
    }
}

pub fn from_status(
    provider: &ProviderConfig,
    model: &str,
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
) -> ProxyError {
    let name = provider.name.clone();
    let found = Found::parse(body);
    let status = found.gemini_status().unwrap_or(status.as_u16());
    if let Some(detail) = found.context_overflow() {
        return ProxyError::PromptTooLong {
            provider: name,
            detail,
        };
    }
    if found.code == "proxy_loop" {
        return ProxyError::ProxyLoop {
            provider: name,
            base_url: redact_url(&provider.base_url),
            base_url_var: provider.base_url_var(),
        };
    }
    if found.key_invalid() {
        return invalid_key(provider);
    }
    if found.model_missing() && matches!(status, 400 | 404 | 422) {
        return model_not_found(provider, model);
    }
    let quota = status == 402 || found.quota_refused();
    let message = found.message;
    match status {
        // A quota or billing refusal sets the key aside like a rate limit (its pool moves
        // on to the next key), so it is one.
        429 => rate_limited(name, headers),
        _ if quota => rate_limited(name, headers),
        401 => invalid_key(provider),
        403 => ProxyError::PermissionDenied {
            provider: name,
            message,
        },
        404 => model_not_found(provider, model),
        400 | 422 => ProxyError::ProviderRejected {
            provider: name,
            message,
        },
        503 | 529 => unavailable(name, message, headers),
        _ if found.overloaded => unavailable(name, message, headers),
        408 | 504 => ProxyError::ProviderFailed {
            provider: name,
            failure: UpstreamFailure::TimedOut,
            message: format!("the provider itself timed out (HTTP {status}): {message}"),
        },
        _ => ProxyError::ProviderFailed {
            provider: name,
            failure: UpstreamFailure::ServerError,
            message: format!("HTTP {status}: {message}"),
        },
    }
}

fn invalid_key(provider: &ProviderConfig) -> ProxyError {
    ProxyError::InvalidApiKey {
        provider: provider.name.clone(),
        key_hint: provider.key_hint(),
    }
}

fn model_not_found(provider: &ProviderConfig, model: &str) -> ProxyError {
    ProxyError::ModelNotFound {
        provider: provider.name.clone(),
        model: model.to_string(),
        available: Vec::new(),
    }
}

fn unavailable(provider: String, reason: String, headers: &HeaderMap) -> ProxyError {
    ProxyError::ProviderUnavailable {
        provider,
        reason,
        retry_after: ratelimit::retry_after(headers, SystemTime::now()),
    }
}

/// What an error body says, whatever its shape.
#[derive(Debug, Default)]
struct Found {
    /// The provider's message, scrubbed.
    message: String,
    /// OpenAI `error.code` or Anthropic `error.type`, lowercased.
    code: String,
    /// Gemini `error.status` (`INVALID_ARGUMENT`, ...).
    status: String,
    /// Gemini `error.details[].reason` (`API_KEY_INVALID`, ...).
    reasons: Vec<String>,
    overloaded: bool,
}

impl Found {
    fn parse(body: &[u8]) -> Self {
        let parsed: Option<Value> = serde_json::from_slice(body).ok();
        // Gemini's streaming endpoint wraps its error in a list.
        let root = match parsed {
            Some(Value::Array(mut items)) if !items.is_empty() => items.swap_remove(0),
            Some(value) => value,
            None => Value::Null,
        };
        let error = root.get("error").filter(|e| e.is_object()).unwrap_or(&root);
        let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
        let message = text(error.get("message"))
            .or_else(|| text(root.get("error")))
            .or_else(|| text(root.get("detail")))
            .unwrap_or_else(|| String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned());
        let code = text(error.get("code"))
            .or_else(|| text(error.get("type")))
            .unwrap_or_default()
            .to_ascii_lowercase();
        let reasons = error
            .get("details")
            .and_then(Value::as_array)
            .map(|details| {
                let reasons = details.iter().filter_map(|d| text(d.get("reason")));
                reasons.collect()
            })
            .unwrap_or_default();
        let lower = message.to_ascii_lowercase();
        Self {
            overloaded: code == "overloaded_error" || lower.contains("overloaded"),
            message: scrub(message.trim()),
            code,
            status: text(error.get("status")).unwrap_or_default(),
            reasons,
        }
    }

    /// The HTTP status a Gemini `status` stands for.
    fn gemini_status(&self) -> Option<u16> {
        Some(match self.status.as_str() {
            "INVALID_ARGUMENT" | "FAILED_PRECONDITION" | "OUT_OF_RANGE" => 400,
            "UNAUTHENTICATED" => 401,
            "PERMISSION_DENIED" => 403,
            "NOT_FOUND" => 404,
            "RESOURCE_EXHAUSTED" => 429,
            "INTERNAL" => 500,
            "UNAVAILABLE" => 503,
            "DEADLINE_EXCEEDED" => 504,
            _ => return None,
        })
    }

    /// The key's quota or billing refused the request (OpenAI's `insufficient_quota`,
    /// `billing_hard_limit_reached`, Anthropic's `billing_error`).
    fn quota_refused(&self) -> bool {
        self.code.contains("insufficient_quota") || self.code.contains("billing")
    }

    /// Gemini answers a bad key with 400 `INVALID_ARGUMENT`, reason `API_KEY_INVALID`.
    fn key_invalid(&self) -> bool {
        self.reasons.iter().any(|r| r == "API_KEY_INVALID") || self.code == "invalid_api_key"
    }

    fn model_missing(&self) -> bool {
        let lower = self.message.to_ascii_lowercase();
        self.code == "model_not_found"
            || (lower.contains("model")
                && [
                    "does not exist",
                    "not found",
                    "not a valid model",
                    "unknown model",
                ]
                .iter()
                .any(|phrase| lower.contains(phrase)))
    }

    /// Anthropic's wording for an overflowing context: `N tokens > M maximum` when the
    /// provider's message has the numbers, else the provider's message.
    fn context_overflow(&self) -> Option<String> {
        let lower = self.message.to_ascii_lowercase();
        let overflow = self.code == "context_length_exceeded"
            || lower.contains("maximum context length")
            || lower.contains("prompt is too long")
            || lower.contains("exceeds the context window")
            || (lower.contains("input token count") && lower.contains("exceeds the maximum"));
        if !overflow {
            return None;
        }
        let maximum = number_after(&lower, "maximum context length is")
            .or_else(|| number_after(&lower, "maximum number of tokens allowed ("));
        let actual = number_after(&lower, "resulted in")
            .or_else(|| number_after(&lower, "you requested"))
            .or_else(|| number_after(&lower, "input token count ("));
        Some(match (actual, maximum) {
            (Some(actual), Some(maximum)) => format!("{actual} tokens > {maximum} maximum"),
            _ => self
                .message
                .trim_start_matches("prompt is too long: ")
                .to_string(),
        })
    }
}

/// The first whole number after `marker` in `text`.
fn number_after(text: &str, marker: &str) -> Option<u64> {
    let rest = &text[text.find(marker)? + marker.len()..];
    let start = rest.find(|c: char| c.is_ascii_digit())?;
    let digits: String = rest[start..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == ',')
        .filter(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// The innermost cause of a transport error ("Connection refused (os error 111)", "dns
/// error: ..."), which says more than the client's outer "client error (Connect)".
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    scrub(&cause.to_string())
}

/// A translation failure as the error contract says: the client's fault for what the
/// target cannot take, the provider's for what it answered.
pub fn from_translate(provider: &ProviderConfig, model: &str, error: TranslateError) -> ProxyError {
    match error {
        TranslateError::Unsupported { field, reason } => ProxyError::InvalidField {
            field,
            reason: format!("{reason} (provider '{}')", provider.name),
        },
        TranslateError::Upstream {
            message,
            status: Some(status),
        } => match axum::http::StatusCode::from_u16(status) {
            Ok(status) => {
                let body = serde_json::json!({"error": {"message": message}}).to_string();
                from_status(
                    provider,
                    model,
                    status,
                    &Default::default(),
                    body.as_bytes(),
                )
            }
            Err(_) => unreadable(provider, &scrub(&message)),
        },
        TranslateError::Upstream { message, .. } => ProxyError::ProviderFailed {
            provider: provider.name.clone(),
            failure: UpstreamFailure::ServerError,
            message: scrub(&message),
        },
        TranslateError::Truncated => ProxyError::ProviderFailed {
            provider: provider.name.clone(),
            failure: UpstreamFailure::Incomplete,
            message: TranslateError::Truncated.to_string(),
        },
        other => unreadable(provider, &scrub(&other.to_string())),
    }
}

#[cfg(test)]
mod tests;
