use serde_json::json;

use super::*;

#[test]
fn a_closed_breaker_has_no_wait_and_an_open_one_says_how_long() {
    let closed = CircuitReport {
        state: BreakerState::Closed,
        consecutive_failures: 2,
        retry_after_ms: None,
    };
    let value = serde_json::to_value(&closed).expect("JSON");
    assert_eq!(value, json!({"state": "closed", "consecutive_failures": 2}));
    assert_eq!(
        serde_json::from_value::<CircuitReport>(value).ok(),
        Some(closed)
    );
    let open: CircuitReport = serde_json::from_value(
        json!({"state": "half_open", "consecutive_failures": 5, "retry_after_ms": 10}),
    )
    .expect("a breaker");
    assert_eq!(open.state, BreakerState::HalfOpen);
    assert_eq!(open.retry_after_ms, Some(10));
}

#[test]
fn the_worst_state_is_the_greatest() {
    assert!(BreakerState::Open > BreakerState::HalfOpen);
    assert!(BreakerState::HalfOpen > BreakerState::Closed);
}

#[test]
fn statuses_are_written_in_snake_case() {
    let statuses = [
        (ProviderStatus::NoKey, "no_key"),
        (ProviderStatus::Unhealthy, "unhealthy"),
        (ProviderStatus::Idle, "idle"),
    ];
    for (status, text) in statuses {
        assert_eq!(serde_json::to_value(status).ok(), Some(json!(text)));
    }
    let reload = ReloadReport {
        changes: 1,
        last: Some(ReloadOutcome::Refused),
        problems: vec!["routes.default: unknown provider".into()],
        applied_at: 1_764_500_000,
    };
    let value = serde_json::to_value(&reload).expect("JSON");
    assert_eq!(value["last"], "refused");
    assert_eq!(
        serde_json::from_value::<ReloadReport>(value).ok(),
        Some(reload)
    );
}
