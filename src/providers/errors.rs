//! Upstream failures → [`ProxyError`], as the seed's catalog documents them
//! (protocols.md §4.5). Upstream messages are passed on for diagnosis, scrubbed of keys.

use axum::http::{HeaderMap, StatusCode};

use crate::config::ProviderConfig;
use crate::error::ProxyError;
use crate::secret::scrub;

/// A failure to reach the provider or read its answer.
pub fn from_transport(provider: &ProviderConfig, error: &reqwest::Error) -> ProxyError {
    let name = provider.name.clone();
    if error.is_timeout() {
        return ProxyError::ProviderTimeout {
            provider: name,
            what: "waiting for the response",
            seconds: 0,
            setting: "CCPROXY_UPSTREAM_TIMEOUT_MS",
        };
    }
    let reason = if error.is_connect() {
        format!("cannot connect to {}", provider.base_url)
    } else {
        format!("the connection failed ({})", scrub(&error.to_string()))
    };
    ProxyError::ProviderUnavailable {
        provider: name,
        reason,
        retry_after: None,
    }
}

/// A body that is not what the protocol promises (HTML from a load balancer, truncated JSON).
pub fn unreadable(provider: &ProviderConfig, what: &str) -> ProxyError {
    ProxyError::ProviderFailed {
        provider: provider.name.clone(),
        code: "invalid_upstream_response",
        message: format!("unreadable response: {what}"),
    }
}

/// A non-2xx answer.
pub fn from_status(
    provider: &ProviderConfig,
    model: &str,
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
) -> ProxyError {
    let name = provider.name.clone();
    let message = upstream_message(body);
    match status.as_u16() {
        401 => ProxyError::InvalidApiKey {
            provider: name,
            key_hint: provider.key_hint(),
        },
        403 => ProxyError::PermissionDenied {
            provider: name,
            message,
        },
        404 => ProxyError::ModelNotFound {
            provider: name,
            model: model.to_string(),
            available: Vec::new(),
        },
        429 => ProxyError::RateLimited {
            provider: name,
            retry_after: retry_after(headers),
            limit: None,
            remaining: None,
        },
        400 | 422 => ProxyError::ProviderRejected {
            provider: name,
            message,
        },
        503 | 529 => ProxyError::ProviderUnavailable {
            provider: name,
            reason: message,
            retry_after: retry_after(headers),
        },
        _ => ProxyError::ProviderFailed {
            provider: name,
            code: "upstream_error",
            message: format!("HTTP {}: {message}", status.as_u16()),
        },
    }
}

/// Whole seconds from `retry-after` (seconds form).
fn retry_after(headers: &HeaderMap) -> Option<u64> {
    let value = headers.get("retry-after")?.to_str().ok()?;
    value.trim().parse::<f64>().ok().map(|s| s.ceil() as u64)
}

/// The provider's own message: OpenAI's `error.message`, Gemini's `error.message`, a bare
/// string, or the start of the body; always scrubbed of key-like strings.
fn upstream_message(body: &[u8]) -> String {
    let parsed: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let message = parsed
        .as_ref()
        .and_then(|v| {
            v.pointer("/error/message")
                .or_else(|| v.get("message"))
                .or_else(|| v.get("error"))
        })
        .and_then(|v| v.as_str())
        .map(str::to_string)
        .unwrap_or_else(|| String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned());
    scrub(message.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn groq() -> ProviderConfig {
        ProviderConfig {
            name: "groq".into(),
            kind: crate::config::ProviderKind::OpenAi,
            base_url: "http://127.0.0.1:9".into(),
            api_key: None,
            key_var: "GROQ_API_KEY".into(),
            key_in_file: false,
            key_required: true,
            models: vec![],
            enabled: true,
        }
    }

    #[test]
    fn unauthorized_names_the_key_variable() {
        let error = from_status(
            &groq(),
            "m",
            StatusCode::UNAUTHORIZED,
            &HeaderMap::new(),
            b"{}",
        );
        let body = error.body();
        assert_eq!(body["error"]["code"], "invalid_api_key");
        assert_eq!(
            body["error"]["message"],
            "Invalid API key for provider 'groq'"
        );
        assert_eq!(
            body["error"]["details"]["suggestion"],
            "Check your GROQ_API_KEY environment variable"
        );
    }

    #[test]
    fn rate_limit_reads_retry_after() {
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", "7".parse().expect("header"));
        let error = from_status(&groq(), "m", StatusCode::TOO_MANY_REQUESTS, &headers, b"");
        assert_eq!(error.retry_after(), Some(7));
        assert_eq!(error.code(), "rate_limit_exceeded");
    }

    #[test]
    fn provider_messages_are_scrubbed() {
        let body =
            br#"{"error":{"message":"Incorrect API key provided: gsk_abcdefghijklmnopqrstuv12"}}"#;
        let error = from_status(
            &groq(),
            "m",
            StatusCode::BAD_REQUEST,
            &HeaderMap::new(),
            body,
        );
        assert!(!error.to_string().contains("abcdefghijklmnop"), "{error}");
        assert_eq!(error.code(), "provider_rejected_request");
    }
}
