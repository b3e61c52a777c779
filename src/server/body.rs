//! Reading and validating a request body: the size limit (413), a body that stalls (408)
//! or breaks off (400), JSON syntax (one object, nothing after it), the shape of an
//! Anthropic Messages request, each failure mapped to an error that names the field.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::HeaderMap;
use http_body_util::BodyExt;
use serde::de::DeserializeOwned;

use crate::config::Config;
use crate::error::ProxyError;
use crate::wire::anthropic;

/// Reads the whole body: anything above `max_request_bytes` is refused (by its declared
/// length first, so an oversized upload is refused before it is read); a body that sends
/// nothing for `timeouts.client_body_ms` is a 408; one that breaks off (cut short, badly
/// chunked, shorter than its `Content-Length`: the HTTP layer reports each as a broken
/// body) is a 400 saying so.
pub async fn read(headers: &HeaderMap, body: Body, config: &Config) -> Result<Bytes, ProxyError> {
    let stall = config.resilience.timeouts.client_body;
    read_within(headers, body, config.max_request_bytes, stall).await
}

/// [`read`] with an explicit size limit (admin endpoints cap their bodies lower than
/// `max_request_bytes`) and stall deadline.
pub async fn read_within(
    headers: &HeaderMap,
    mut body: Body,
    limit: usize,
    stall: Duration,
) -> Result<Bytes, ProxyError> {
    let declared = headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit) {
        return Err(ProxyError::RequestTooLarge { limit });
    }
    let mut bytes = Vec::with_capacity(declared.unwrap_or(0));
    loop {
        let frame = match tokio::time::timeout(stall, body.frame()).await {
            Err(_) => return Err(ProxyError::RequestTimeout { after: stall }),
            Ok(None) => break,
            Ok(Some(Err(error))) => return Err(incomplete(&error.to_string())),
            Ok(Some(Ok(frame))) => frame,
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        if bytes.len() + data.len() > limit {
            return Err(ProxyError::RequestTooLarge { limit });
        }
        bytes.extend_from_slice(&data);
    }
    Ok(Bytes::from(bytes))
}

fn incomplete(why: &str) -> ProxyError {
    ProxyError::InvalidField {
        field: "body".into(),
        reason: format!("the request body was incomplete ({why})"),
    }
}

/// The longest `model` accepted, in characters: the model string is kept in the statistics
/// and the sessions map, so an unbounded one would let a client grow memory.
pub const MAX_MODEL_CHARS: usize = 256;

/// Parses and checks a `POST /v1/messages` (or `count_tokens`) body.
pub fn messages_request(bytes: &[u8]) -> Result<anthropic::MessagesRequest, ProxyError> {
    let request: anthropic::MessagesRequest = parse(bytes)?;
    if request.model.chars().count() > MAX_MODEL_CHARS {
        return Err(ProxyError::InvalidField {
            field: "model".into(),
            reason: format!("must be at most {MAX_MODEL_CHARS} characters"),
        });
    }
    if request.messages.is_empty() {
        return Err(ProxyError::InvalidField {
            field: "messages".into(),
            reason: "must contain at least one message".into(),
        });
    }
    Ok(request)
}

/// Deserialises JSON, turning serde's error into the error contract: syntax → `invalid_json`,
/// a missing field → `missing_field`, anything else → `invalid_field`, each with its path.
///
/// A body is read once as it is; only one that fails is read again with its path tracked
/// (tracking the path of every value costs a valid body a good part of its parse).
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ProxyError> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first.is_some_and(|b| *b != b'{') {
        return Err(ProxyError::InvalidJson {
            message: "request body must be a JSON object".into(),
        });
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    if let Ok(value) = T::deserialize(&mut deserializer) {
        return deserializer
            .end()
            .map(|()| value)
            .map_err(|_| trailing_bytes());
    }
    parse_tracked(bytes)
}

/// [`parse`] for a body that failed: read again, tracking the path to the failing value.
fn parse_tracked<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ProxyError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            return ProxyError::InvalidJson {
                message: format!("request body is not valid JSON: {inner}"),
            };
        }
        let text = inner.to_string();
        let text = text.split(" at line ").next().unwrap_or(&text);
        match missing_field_name(text) {
            Some(field) => ProxyError::MissingField {
                field: join_path(&path, field),
            },
            None => ProxyError::InvalidField {
                field: if path == "." { "body".into() } else { path },
                reason: text.to_string(),
            },
        }
    })?;
    deserializer.end().map_err(|_| trailing_bytes())?;
    Ok(value)
}

fn trailing_bytes() -> ProxyError {
    ProxyError::InvalidJson {
        message: "request body is not valid JSON: bytes follow the JSON object".into(),
    }
}

fn missing_field_name(message: &str) -> Option<&str> {
    message.strip_prefix("missing field `")?.strip_suffix('`')
}

fn join_path(path: &str, field: &str) -> String {
    if path == "." || path.is_empty() {
        field.to_string()
    } else {
        format!("{path}.{field}")
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn error_of(body: &str) -> ProxyError {
        messages_request(body.as_bytes()).expect_err("should be rejected")
    }

    #[test]
    fn not_json_is_invalid_json() {
        assert_eq!(error_of("{\"model\": ").code(), "invalid_json");
        assert_eq!(error_of("hello").code(), "invalid_json");
    }

    #[test]
    fn not_an_object_is_invalid_json() {
        let error = error_of("[1, 2]");
        assert_eq!(error.code(), "invalid_json");
        assert!(error.to_string().contains("JSON object"));
    }

    #[test]
    fn missing_model_names_the_field() {
        let error = error_of(r#"{"messages": [{"role": "user", "content": "hi"}]}"#);
        assert_eq!(
            error,
            ProxyError::MissingField {
                field: "model".into()
            }
        );
    }

    #[test]
    fn an_overlong_model_is_invalid() {
        let model = format!("groq,{}", "m".repeat(MAX_MODEL_CHARS));
        let body = json!({"model": model, "messages": [{"role": "user", "content": "hi"}]});
        let error = error_of(&body.to_string());
        assert_eq!(error.code(), "invalid_field");
        assert!(error.to_string().contains("`model`"), "{error}");
        let longest = "m".repeat(MAX_MODEL_CHARS);
        let body = json!({"model": longest, "messages": [{"role": "user", "content": "hi"}]});
        assert!(messages_request(body.to_string().as_bytes()).is_ok());
    }

    #[test]
    fn empty_messages_is_invalid() {
        let error = error_of(r#"{"model": "m", "messages": []}"#);
        assert_eq!(error.code(), "invalid_field");
        assert!(error.to_string().contains("messages"));
    }

    #[test]
    fn message_without_role_or_content_names_its_path() {
        let error = error_of(r#"{"model": "m", "messages": [{"content": "hi"}]}"#);
        assert_eq!(
            error,
            ProxyError::MissingField {
                field: "messages[0].role".into()
            }
        );
        let error = error_of(r#"{"model": "m", "messages": [{"role": "user"}]}"#);
        assert_eq!(
            error,
            ProxyError::MissingField {
                field: "messages[0].content".into()
            }
        );
    }

    #[test]
    fn wrong_type_is_invalid_field_with_path() {
        let error = error_of(r#"{"model": 5, "messages": [{"role": "user", "content": "hi"}]}"#);
        assert_eq!(error.code(), "invalid_field");
        assert!(error.to_string().contains("`model`"), "{error}");
    }

    #[test]
    fn unknown_fields_are_tolerated() {
        let body = r#"{"model": "m", "max_tokens": 5, "brand_new_field": {"x": 1},
            "messages": [{"role": "user", "content": "hi", "extra": true}]}"#;
        assert!(messages_request(body.as_bytes()).is_ok());
    }
}
