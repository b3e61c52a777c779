use super::*;

#[test]
fn missing_api_key_matches_the_documented_body() {
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
            "message": "API key not configured for provider 'groq': set GROQ_API_KEY and restart ccproxy",
            "code": "missing_api_key",
            "details": {"provider": "groq", "suggestion": "Set the GROQ_API_KEY environment variable"}
        }})
    );
}

#[test]
fn with_nothing_configured_missing_api_key_offers_every_other_catalog_provider() {
    let error = ProxyError::MissingApiKey {
        provider: "groq".into(),
        env_var: "GROQ_API_KEY".into(),
        suggest_provider_choice: true,
    };
    let body = error.body();
    let suggestion = body["error"]["details"]["suggestion"].as_str().unwrap();
    let offered = suggestion
        .split("PROVIDER=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap();
    let expected: Vec<&str> = crate::config::catalog::names()
        .into_iter()
        .filter(|name| *name != "groq")
        .collect();
    assert_eq!(offered, expected.join("|"), "{suggestion}");
    assert!(suggestion.starts_with("Set the GROQ_API_KEY environment variable"));
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
        available: vec!["openai/gpt-oss-120b".into()],
    };
    assert_eq!(error.status(), StatusCode::BAD_REQUEST);
    let body = error.body();
    assert_eq!(
        body["error"]["message"],
        "Model 'invalid-model' not found at provider 'groq': set GROQ_MODEL (or the route in \
         the config file) to a model it serves"
    );
    assert_eq!(body["error"]["type"], "provider_error");
    assert_eq!(
        body["error"]["details"]["available_models"],
        json!(["openai/gpt-oss-120b"])
    );
}

#[test]
fn upstream_failures_carry_their_code_and_decision() {
    let failed = |failure| ProxyError::ProviderFailed {
        provider: "groq".into(),
        failure,
        message: "HTTP 500".into(),
    };
    for (failure, code, recovery) in [
        (
            UpstreamFailure::ServerError,
            "upstream_error",
            Recovery::Retry,
        ),
        (
            UpstreamFailure::TimedOut,
            "upstream_timeout",
            Recovery::Retry,
        ),
        (
            UpstreamFailure::Unreadable,
            "invalid_upstream_response",
            Recovery::Final,
        ),
        (
            UpstreamFailure::Incomplete,
            "incomplete_upstream_response",
            Recovery::Final,
        ),
    ] {
        let meta = failed(failure).meta();
        assert_eq!(meta.code, code);
        assert_eq!(meta.recovery, recovery, "{code}");
        assert_eq!(meta.status, StatusCode::BAD_GATEWAY);
        assert_eq!(meta.fault, Fault::Provider);
        assert!(meta.provider_failed, "{code} counts against the provider");
    }
}

#[test]
fn a_timeout_switches_at_once_only_when_the_connection_failed() {
    let timeout = |phase| ProxyError::ProviderTimeout {
        provider: "groq".into(),
        phase,
        after: Duration::from_secs(1),
    };
    assert_eq!(timeout(TimeoutPhase::Connect).recovery(), Recovery::Switch);
    assert_eq!(
        timeout(TimeoutPhase::Response).recovery(),
        Recovery::NextTarget
    );
    assert_eq!(
        timeout(TimeoutPhase::StreamIdle).recovery(),
        Recovery::NextTarget
    );
}

#[test]
fn a_rate_limit_switches_without_counting_against_the_provider() {
    let meta = ProxyError::RateLimited {
        provider: "groq".into(),
        retry_after: None,
        limit: None,
        remaining: None,
    }
    .meta();
    assert_eq!(meta.recovery, Recovery::Switch);
    assert!(!meta.provider_failed);
    assert_eq!(meta.fault, Fault::Provider);
}

#[test]
fn a_misconfiguration_names_the_setting_and_is_not_retried() {
    let error = ProxyError::Misconfigured {
        setting: "routes.default".into(),
        problem: "no default route is configured".into(),
    };
    assert_eq!(error.fault(), Fault::Configuration);
    assert_eq!(error.code(), "misconfigured");
    assert_eq!(
        error.body()["error"]["details"]["setting"],
        "routes.default"
    );
    let response = error.into_response();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(response.headers()["x-should-retry"], "false");
    let bug = ProxyError::Internal {
        message: "bug".into(),
    };
    assert_eq!(bug.fault(), Fault::Proxy);
    assert!(bug
        .into_response()
        .headers()
        .get("x-should-retry")
        .is_none());
}
