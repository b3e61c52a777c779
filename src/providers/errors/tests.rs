use serde_json::json;

use super::*;

fn groq() -> ProviderConfig {
    ProviderConfig {
        name: "groq".into(),
        kind: crate::config::ProviderKind::OpenAi,
        base_url: "http://127.0.0.1:9".into(),
        api_key: None,
        more_keys: Vec::new(),
        key_host: None,
        key_var: "GROQ_API_KEY".into(),
        key_in_file: false,
        key_required: true,
        models: vec![],
        enabled: true,
        profile: crate::translate::compat::Profile::Generic,
    }
}

fn map(status: u16, body: serde_json::Value) -> ProxyError {
    map_with(status, &[], body)
}

fn map_with(status: u16, headers: &[(&'static str, &str)], body: serde_json::Value) -> ProxyError {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        map.insert(*name, value.parse().expect("header value"));
    }
    let status = StatusCode::from_u16(status).expect("status");
    from_status(&groq(), "kimi", status, &map, body.to_string().as_bytes())
}

fn openai_error(message: &str, code: &str) -> serde_json::Value {
    json!({"error": {"message": message, "type": "invalid_request_error", "code": code}})
}

fn gemini_error(code: u16, status: &str, message: &str) -> serde_json::Value {
    json!({"error": {"code": code, "message": message, "status": status}})
}

#[test]
fn unauthorized_names_the_key_variable() {
    let body = map(401, openai_error("Invalid API Key", "invalid_api_key")).body();
    assert_eq!(body["error"]["type"], "authentication_error");
    assert_eq!(body["error"]["code"], "invalid_api_key");
    assert_eq!(
        body["error"]["message"],
        "Invalid API key for provider 'groq': check your GROQ_API_KEY environment variable"
    );
    assert_eq!(
        body["error"]["details"]["suggestion"],
        "Check your GROQ_API_KEY environment variable"
    );
}

#[test]
fn forbidden_is_a_permission_error() {
    let error = map(
        403,
        openai_error("Project does not have access", "forbidden"),
    );
    assert_eq!(error.status(), StatusCode::FORBIDDEN);
    assert_eq!(error.error_type(), "permission_error");
    assert_eq!(error.code(), "insufficient_permissions");
    assert!(error.to_string().contains("Project does not have access"));
}

#[test]
fn rate_limit_reads_retry_after_and_limits() {
    let error = map_with(
        429,
        &[
            ("retry-after", "7"),
            ("x-ratelimit-limit-requests", "5000"),
            ("x-ratelimit-remaining-requests", "0"),
        ],
        openai_error("Rate limit reached", "rate_limit_exceeded"),
    );
    assert_eq!(
        error.details(),
        Some(
            json!({"provider": "groq", "retry_after": 7, "limit": 5000, "remaining": 0,
                    "suggestion": "Wait retry_after seconds, or add a fallback target to the route"})
        )
    );
    assert_eq!(error.code(), "rate_limit_exceeded");
    let error = map_with(429, &[("retry-after-ms", "1200")], json!({}));
    assert_eq!(error.retry_wait(), Some(Duration::from_millis(1200)));
    assert_eq!(error.retry_after(), Some(2), "rounded up for the client");
}

#[test]
fn not_found_and_missing_model_messages_are_model_not_found() {
    for error in [
        map(404, json!({"error": {"message": "Not Found"}})),
        map(
            400,
            openai_error("The model `kimi` does not exist", "model_not_found"),
        ),
        map(
            400,
            json!({"error": {"message": "kimi is not a valid model ID"}}),
        ),
        map(
            404,
            gemini_error(404, "NOT_FOUND", "models/kimi is not found"),
        ),
    ] {
        assert_eq!(error.status(), StatusCode::BAD_REQUEST, "{error}");
        assert_eq!(error.code(), "model_not_found");
        assert_eq!(error.error_type(), "provider_error");
        assert!(
            error
                .to_string()
                .starts_with("Model 'kimi' not found at provider 'groq'"),
            "{error}"
        );
    }
}

#[test]
fn overload_and_unavailability_are_provider_unavailable() {
    for error in [
        map_with(503, &[("retry-after", "30")], json!({"error": "down"})),
        map_with(
            529,
            &[("retry-after", "30")],
            json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
        ),
        map_with(
            500,
            &[("retry-after", "30")],
            openai_error("The engine is currently overloaded", "server_error"),
        ),
        map_with(
            503,
            &[("retry-after", "30")],
            gemini_error(503, "UNAVAILABLE", "The model is overloaded."),
        ),
    ] {
        assert_eq!(error.status(), StatusCode::SERVICE_UNAVAILABLE, "{error}");
        assert_eq!(error.code(), "provider_unavailable");
        assert_eq!(error.retry_after(), Some(30));
    }
}

#[test]
fn other_server_errors_are_bad_gateway_with_the_status() {
    let error = map(500, openai_error("Internal failure", "server_error"));
    assert_eq!(error.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(error.code(), "upstream_error");
    assert!(error.to_string().contains("HTTP 500: Internal failure"));
    let error = map(504, json!({}));
    assert_eq!(error.code(), "upstream_timeout");
}

#[test]
fn bad_requests_keep_the_provider_message_scrubbed() {
    let body = openai_error(
        "Bad value; key gsk_abcdefghijklmnopqrstuv12 has no access to `tools`",
        "invalid_value",
    );
    for status in [400, 422] {
        let error = map(status, body.clone());
        assert_eq!(error.status(), StatusCode::BAD_REQUEST);
        assert_eq!(error.code(), "provider_rejected_request");
        assert_eq!(error.error_type(), "invalid_request_error");
        let text = error.to_string();
        assert!(!text.contains("abcdefghijklmnop"), "{text}");
        assert!(text.contains("has no access to `tools`"), "{text}");
    }
}

#[test]
fn context_overflow_uses_anthropic_wording() {
    let error = map(
        400,
        openai_error(
            "This model's maximum context length is 128000 tokens. However, your messages \
             resulted in 215692 tokens. Please reduce the length of the messages.",
            "context_length_exceeded",
        ),
    );
    assert_eq!(error.error_type(), "invalid_request_error");
    assert_eq!(
        error.to_string(),
        "prompt is too long: 215692 tokens > 128000 maximum"
    );
    let error = map(
        400,
        gemini_error(
            400,
            "INVALID_ARGUMENT",
            "The input token count (1200000) exceeds the maximum number of tokens allowed \
             (1048576).",
        ),
    );
    assert_eq!(
        error.to_string(),
        "prompt is too long: 1200000 tokens > 1048576 maximum"
    );
    let error = map(
        400,
        openai_error("context too long", "context_length_exceeded"),
    );
    assert_eq!(error.to_string(), "prompt is too long: context too long");
    // The Responses API's wording, also in a failed stream (which carries no code here).
    let error = map(
        400,
        json!({"error": {"message": "Your input exceeds the context window of this model."}}),
    );
    assert_eq!(
        error.to_string(),
        "prompt is too long: Your input exceeds the context window of this model."
    );
}

#[test]
fn gemini_errors_map_by_their_status() {
    let key = json!({"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.",
        "status": "INVALID_ARGUMENT", "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": "API_KEY_INVALID"}]}});
    assert_eq!(map(400, key).code(), "invalid_api_key");
    let cases = [
        ("UNAUTHENTICATED", 401, "invalid_api_key"),
        ("PERMISSION_DENIED", 403, "insufficient_permissions"),
        ("RESOURCE_EXHAUSTED", 429, "rate_limit_exceeded"),
        ("INVALID_ARGUMENT", 400, "provider_rejected_request"),
        ("FAILED_PRECONDITION", 400, "provider_rejected_request"),
        ("DEADLINE_EXCEEDED", 504, "upstream_timeout"),
    ];
    for (status, code, expected) in cases {
        let error = map(code, gemini_error(code, status, "something"));
        assert_eq!(error.code(), expected, "{status}");
    }
    // Wrapped in a list, as the streaming endpoint sends it.
    let listed = json!([gemini_error(429, "RESOURCE_EXHAUSTED", "Quota exceeded")]);
    assert_eq!(map(429, listed).code(), "rate_limit_exceeded");
}

#[test]
fn unreadable_bodies_say_what_was_wrong() {
    let html = b"<html><body>502 Bad Gateway</body></html>";
    let error = not_protocol(&groq(), html, "expected value at line 1 column 1");
    assert_eq!(error.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(error.code(), "invalid_upstream_response");
    assert!(error.to_string().contains("HTML page"), "{error}");
    let truncated = br#"{"id":"chatcmpl-1","choices":[{"#;
    let error = not_protocol(&groq(), truncated, "EOF while parsing an object");
    assert!(error.to_string().contains("truncated JSON"), "{error}");
    let error = not_protocol(&groq(), b"", "EOF while parsing a value");
    assert!(error.to_string().contains("empty body"), "{error}");
    let error = not_protocol(&groq(), b"{\"x\":1}", "missing field `choices`");
    assert!(
        error.to_string().contains("missing field `choices`"),
        "{error}"
    );
}

#[test]
fn upstream_errors_inside_a_stream_are_scrubbed() {
    let key = "sk-proj-AbCdEfGhIjKlMnOpQrSt1234";
    let errors = [
        TranslateError::Upstream {
            message: format!("upstream said key={key}"),
            status: None,
        },
        TranslateError::Upstream {
            message: format!("odd status for {key}"),
            status: Some(1000),
        },
        TranslateError::BadChunk(format!("{{\"api_key\":\"{key}\"}}")),
    ];
    for error in errors {
        let text = from_translate(&groq(), "kimi", error).to_string();
        assert!(!text.contains("AbCdEfGhIjKl"), "{text}");
        assert!(text.contains("sk-…1234"), "{text}");
    }
}

#[test]
fn a_loop_names_the_base_url_without_credentials() {
    let mut provider = groq();
    provider.base_url = "http://user:hunter2@127.0.0.1:9/v1?token=abc".into();
    let body = json!({"type": "error", "error": {"type": "proxy_loop", "message": "loop"}});
    let error = from_status(
        &provider,
        "kimi",
        StatusCode::from_u16(508).expect("status"),
        &HeaderMap::new(),
        body.to_string().as_bytes(),
    );
    let text = error.to_string();
    assert!(!text.contains("hunter2") && !text.contains("abc"), "{text}");
    assert!(text.contains("http://127.0.0.1:9/v1?token=…"), "{text}");
}
