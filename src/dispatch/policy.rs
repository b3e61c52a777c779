//! What to do after a failed attempt: retry the same target (after how long), fall back to
//! the next one, or stop; and whether the failure counts against the provider's breaker.
//! Pure: the loop in `dispatch` does the waiting.

use std::time::Duration;

use crate::config::RetrySettings;
use crate::error::{Fault, ProxyError, Recovery};

/// The longest backoff step, whatever the attempt.
const MAX_BACKOFF: Duration = Duration::from_secs(8);

/// After a failed attempt on a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Try the same target again after this wait.
    Retry(Duration),
    /// Give up on this target; the next one may serve.
    FallBack,
    /// Answer the client with this error now.
    Stop,
}

/// What an attempt's failure says about the provider's health.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Down, overloaded, failing or too slow: counts towards opening its circuit.
    ProviderFailed,
    /// It answered (a refusal of this request is not a sign of ill health).
    ProviderAnswered,
    /// Nothing was sent.
    NotAttempted,
}

/// Read from the error's own fields: what failed on the provider's side counts against
/// it; what failed on ours (a bug, a setting) says nothing about it.
pub fn verdict(error: &ProxyError) -> Verdict {
    let meta = error.meta();
    if meta.provider_failed {
        return Verdict::ProviderFailed;
    }
    match meta.fault {
        Fault::Proxy | Fault::Configuration => Verdict::NotAttempted,
        Fault::Client | Fault::Provider => Verdict::ProviderAnswered,
    }
}

/// The decision after attempt number `attempt` (1-based) on a target failed with `error`;
/// `last` says whether a fallback target remains.
pub fn next(error: &ProxyError, attempt: u32, retry: &RetrySettings, last: bool) -> Next {
    let recovery = error.recovery();
    if recovery == Recovery::Final {
        return Next::Stop;
    }
    if (recovery == Recovery::Switch && !last)
        || recovery == Recovery::NextTarget
        || attempt >= retry.max_attempts
    {
        return Next::FallBack;
    }
    match error.retry_wait() {
        // The provider asks for longer than we sit out: the client decides.
        Some(wait) if wait > retry.max_retry_wait => Next::Stop,
        Some(wait) => Next::Retry(wait),
        None => Next::Retry(backoff(attempt, retry.base_delay)),
    }
}

/// Exponential backoff with full jitter: a random wait up to `base · 2^(attempt-1)`,
/// capped at [`MAX_BACKOFF`].
fn backoff(attempt: u32, base: Duration) -> Duration {
    let ceiling = base
        .saturating_mul(1 << attempt.saturating_sub(1).min(16))
        .min(MAX_BACKOFF);
    let millis = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(fastrand::u64(0..=millis))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{TimeoutPhase, UpstreamFailure};

    const RETRY: RetrySettings = RetrySettings {
        max_attempts: 3,
        max_retry_wait: Duration::from_secs(2),
        base_delay: Duration::from_millis(500),
        total: Duration::from_secs(60),
        key_cooldown: Duration::from_secs(60),
    };

    fn rate_limited(wait: u64) -> ProxyError {
        ProxyError::RateLimited {
            provider: "groq".into(),
            retry_after: Some(Duration::from_millis(wait)),
            limit: None,
            remaining: None,
        }
    }

    fn server_error() -> ProxyError {
        ProxyError::ProviderFailed {
            provider: "groq".into(),
            failure: UpstreamFailure::ServerError,
            message: "HTTP 500".into(),
        }
    }

    fn unavailable() -> ProxyError {
        ProxyError::ProviderUnavailable {
            provider: "groq".into(),
            reason: "connection refused".into(),
            retry_after: None,
        }
    }

    #[test]
    fn server_errors_are_retried_then_fall_back() {
        assert!(matches!(
            next(&server_error(), 1, &RETRY, false),
            Next::Retry(_)
        ));
        assert!(matches!(
            next(&server_error(), 2, &RETRY, true),
            Next::Retry(_)
        ));
        assert_eq!(next(&server_error(), 3, &RETRY, false), Next::FallBack);
        assert_eq!(next(&server_error(), 3, &RETRY, true), Next::FallBack);
    }

    #[test]
    fn rate_limits_and_outages_switch_at_once_but_retry_on_the_last_target() {
        for error in [rate_limited(300), unavailable()] {
            assert_eq!(next(&error, 1, &RETRY, false), Next::FallBack, "{error}");
            assert!(matches!(next(&error, 1, &RETRY, true), Next::Retry(_)));
        }
        assert_eq!(
            next(&rate_limited(300), 1, &RETRY, true),
            Next::Retry(Duration::from_millis(300)),
            "retry-after is honoured"
        );
    }

    #[test]
    fn a_wait_longer_than_the_cap_goes_to_the_client() {
        assert_eq!(next(&rate_limited(60_000), 1, &RETRY, true), Next::Stop);
    }

    #[test]
    fn client_and_key_errors_are_never_retried() {
        let errors = [
            ProxyError::InvalidApiKey {
                provider: "groq".into(),
                key_hint: "GROQ_API_KEY".into(),
            },
            ProxyError::ProviderRejected {
                provider: "groq".into(),
                message: "bad".into(),
            },
            ProxyError::ModelNotFound {
                provider: "groq".into(),
                model: "m".into(),
                available: vec![],
            },
            ProxyError::PermissionDenied {
                provider: "groq".into(),
                message: "no".into(),
            },
        ];
        for error in errors {
            assert_eq!(next(&error, 1, &RETRY, false), Next::Stop, "{error}");
            assert_eq!(verdict(&error), Verdict::ProviderAnswered);
        }
    }

    #[test]
    fn our_response_timeout_falls_back_without_retrying() {
        let error = ProxyError::ProviderTimeout {
            provider: "groq".into(),
            phase: TimeoutPhase::Response,
            after: Duration::from_secs(300),
        };
        assert_eq!(next(&error, 1, &RETRY, true), Next::FallBack);
        assert_eq!(verdict(&error), Verdict::ProviderFailed);
    }

    #[test]
    fn backoff_has_full_jitter_under_an_exponential_ceiling() {
        let base = Duration::from_millis(100);
        for attempt in 1..=5 {
            let ceiling = Duration::from_millis(100 << (attempt - 1));
            for _ in 0..50 {
                assert!(backoff(attempt, base) <= ceiling);
            }
        }
        assert!(backoff(30, Duration::from_secs(1)) <= MAX_BACKOFF);
        let spread: std::collections::HashSet<_> = (0..50).map(|_| backoff(3, base)).collect();
        assert!(spread.len() > 1, "jittered");
    }
}
