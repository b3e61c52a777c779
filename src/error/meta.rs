//! The metadata table: for every kind of [`ProxyError`], its HTTP status, `error.type`,
//! `error.code`, who is at fault and what another attempt may do. One row per variant, so
//! a new error is one new row, and the status, the code and the retry decision cannot
//! drift apart.

use axum::http::StatusCode;

use super::ProxyError;

/// Who is at fault for an error: it decides the status class (docs/errors.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The request (or the admin edit) is wrong: a 4xx.
    Client,
    /// The provider refused the key or the quota (401/403/429), or failed (502/503/504).
    Provider,
    /// ccproxy itself: a bug (500).
    Proxy,
    /// The running configuration cannot serve this: fixed by changing a setting, not by
    /// retrying.
    Configuration,
}

/// What another attempt may do about an error, as the retry policy reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recovery {
    /// Nothing: another attempt or target would not fix it (or must not hide it).
    Final,
    /// Retry the same target with backoff, then move on to the next target (500, 502,
    /// 408, 504 from the provider).
    Retry,
    /// Move on to the next target at once; the last target retries (429, 503, 529, a
    /// connection that could not be made).
    Switch,
    /// Move on to the next target without retrying this one (our own response timeout:
    /// the wait was already long).
    NextTarget,
}

/// One row of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    pub status: StatusCode,
    /// The `error.type` field.
    pub error_type: &'static str,
    /// The `error.code` field.
    pub code: &'static str,
    pub fault: Fault,
    pub recovery: Recovery,
    /// The provider is down, failing or too slow: counts towards opening its circuit
    /// (a refusal of one request is no sign of ill health).
    pub provider_failed: bool,
}

const INVALID_REQUEST: &str = "invalid_request_error";
pub(super) const PROVIDER_ERROR: &str = "provider_error";

impl Meta {
    const fn row(
        status: StatusCode,
        error_type: &'static str,
        code: &'static str,
        fault: Fault,
    ) -> Self {
        Self {
            status,
            error_type,
            code,
            fault,
            recovery: Recovery::Final,
            provider_failed: false,
        }
    }

    const fn recover(mut self, recovery: Recovery) -> Self {
        self.recovery = recovery;
        self
    }

    /// The provider failed (see [`Meta::provider_failed`]).
    const fn failing(mut self) -> Self {
        self.provider_failed = true;
        self
    }
}

impl ProxyError {
    /// This error's row of the metadata table.
    pub fn meta(&self) -> Meta {
        use Fault::{Client, Configuration, Provider, Proxy};
        use StatusCode as S;
        match self {
            Self::InvalidJson { .. } => {
                Meta::row(S::BAD_REQUEST, INVALID_REQUEST, "invalid_json", Client)
            }
            Self::MissingField { .. } => {
                Meta::row(S::BAD_REQUEST, INVALID_REQUEST, "missing_field", Client)
            }
            Self::InvalidField { .. } => {
                Meta::row(S::BAD_REQUEST, INVALID_REQUEST, "invalid_field", Client)
            }
            Self::RequestTooLarge { .. } => Meta::row(
                S::PAYLOAD_TOO_LARGE,
                "request_too_large",
                "request_too_large",
                Client,
            ),
            Self::RequestTimeout { .. } | Self::HeadTimeout { .. } => Meta::row(
                S::REQUEST_TIMEOUT,
                INVALID_REQUEST,
                "request_timeout",
                Client,
            ),
            Self::NotFound { .. } => {
                Meta::row(S::NOT_FOUND, "not_found_error", "not_found", Client)
            }
            Self::MethodNotAllowed { .. } => Meta::row(
                S::METHOD_NOT_ALLOWED,
                INVALID_REQUEST,
                "method_not_allowed",
                Client,
            ),
            Self::ProxyAuth { .. } => Meta::row(
                S::UNAUTHORIZED,
                "authentication_error",
                "invalid_api_key",
                Client,
            ),
            Self::RemoteClientForbidden => Meta::row(
                S::FORBIDDEN,
                "permission_error",
                "remote_client_forbidden",
                Client,
            ),
            Self::CrossOriginForbidden { .. } => Meta::row(
                S::FORBIDDEN,
                "permission_error",
                "cross_origin_forbidden",
                Client,
            ),
            Self::UnknownProvider { .. } => {
                Meta::row(S::BAD_REQUEST, INVALID_REQUEST, "unknown_provider", Client)
            }
            Self::MissingApiKey { .. } => Meta::row(
                S::UNAUTHORIZED,
                "authentication_error",
                "missing_api_key",
                Configuration,
            ),
            Self::InvalidApiKey { .. } => Meta::row(
                S::UNAUTHORIZED,
                "authentication_error",
                "invalid_api_key",
                Provider,
            ),
            Self::PermissionDenied { .. } => Meta::row(
                S::FORBIDDEN,
                "permission_error",
                "insufficient_permissions",
                Provider,
            ),
            Self::RateLimited { .. } => Meta::row(
                S::TOO_MANY_REQUESTS,
                "rate_limit_error",
                "rate_limit_exceeded",
                Provider,
            )
            .recover(Recovery::Switch),
            // 400, not the provider's 404: Claude Code replaces the message of any 404 with
            // its own words about "the selected model" (docs/errors.md, model_not_found).
            Self::ModelNotFound { .. } => {
                Meta::row(S::BAD_REQUEST, PROVIDER_ERROR, "model_not_found", Provider)
            }
            Self::ProviderUnavailable { .. } => Meta::row(
                S::SERVICE_UNAVAILABLE,
                PROVIDER_ERROR,
                "provider_unavailable",
                Provider,
            )
            .recover(Recovery::Switch)
            .failing(),
            Self::ProviderFailed { failure, .. } => {
                Meta::row(S::BAD_GATEWAY, PROVIDER_ERROR, failure.code(), Provider)
                    .recover(failure.recovery())
                    .failing()
            }
            Self::ProviderTimeout { phase, .. } => Meta::row(
                S::GATEWAY_TIMEOUT,
                PROVIDER_ERROR,
                "provider_timeout",
                Provider,
            )
            .recover(phase.recovery())
            .failing(),
            // Nothing is left to try within the budget: final, and no verdict on a provider.
            Self::RetryBudgetExhausted { .. } => Meta::row(
                S::GATEWAY_TIMEOUT,
                PROVIDER_ERROR,
                "provider_timeout",
                Provider,
            ),
            Self::ProviderRejected { .. } => Meta::row(
                S::BAD_REQUEST,
                INVALID_REQUEST,
                "provider_rejected_request",
                Client,
            ),
            Self::ProviderNotFound { .. } => Meta::row(
                S::NOT_FOUND,
                "not_found_error",
                "provider_not_found",
                Client,
            ),
            Self::ProviderExists { .. } => {
                Meta::row(S::CONFLICT, INVALID_REQUEST, "provider_exists", Client)
            }
            Self::InvalidConfig { .. } => {
                Meta::row(S::BAD_REQUEST, INVALID_REQUEST, "invalid_config", Client)
            }
            Self::PromptTooLong { .. } => {
                Meta::row(S::BAD_REQUEST, INVALID_REQUEST, "prompt_too_long", Client)
            }
            Self::ProxyLoop { .. } => {
                Meta::row(S::LOOP_DETECTED, "api_error", "proxy_loop", Configuration)
            }
            Self::Misconfigured { .. } => Meta::row(
                S::INTERNAL_SERVER_ERROR,
                "api_error",
                "misconfigured",
                Configuration,
            ),
            Self::Internal { .. } => Meta::row(
                S::INTERNAL_SERVER_ERROR,
                "api_error",
                "internal_error",
                Proxy,
            ),
            Self::DeveloperKey { .. } => Meta::row(
                S::UNAUTHORIZED,
                "authentication_error",
                "invalid_api_key",
                Client,
            ),
            Self::KeyRateLimited { .. } => Meta::row(
                S::TOO_MANY_REQUESTS,
                "rate_limit_error",
                "rate_limit_exceeded",
                Client,
            ),
            Self::SpendLimitExceeded { .. } => Meta::row(
                S::TOO_MANY_REQUESTS,
                "rate_limit_error",
                "spend_limit_exceeded",
                Client,
            ),
            Self::ShuttingDown => Meta::row(
                S::SERVICE_UNAVAILABLE,
                "overloaded_error",
                "shutting_down",
                Proxy,
            ),
            Self::StoreUnavailable { .. } => Meta::row(
                S::SERVICE_UNAVAILABLE,
                "api_error",
                "store_unavailable",
                Proxy,
            ),
            Self::KeyNotFound { .. } => {
                Meta::row(S::NOT_FOUND, "not_found_error", "key_not_found", Client)
            }
            Self::KeyExists { .. } => Meta::row(S::CONFLICT, INVALID_REQUEST, "key_exists", Client),
            Self::SpendLimitNotFound { .. } => Meta::row(
                S::NOT_FOUND,
                "not_found_error",
                "spend_limit_not_found",
                Client,
            ),
        }
    }
}
