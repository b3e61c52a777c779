use super::figures::Point;
use super::*;

fn record(provider: &str, status: u16, code: Option<&'static str>) -> RequestRecord {
    RequestRecord {
        rule: Some("default"),
        provider: Some(provider.to_string()),
        model: Some("m".to_string()),
        status,
        code,
        input_tokens: 100,
        output_tokens: 10,
        attempts: 1,
        ..RequestRecord::new("req_test".into(), Instant::now())
    }
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn counts_successes_failures_by_code_and_tokens() {
    let mut inner = Inner::default();
    inner.add(
        record("groq", 200, None),
        ms(100),
        Money {
            cost: Some(0.5),
            saved: None,
        },
        0,
    );
    inner.add(
        record("groq", 200, None),
        ms(300),
        Money {
            cost: Some(0.5),
            saved: None,
        },
        0,
    );
    let mut limited = record("groq", 429, Some("rate_limit_exceeded"));
    limited.attempts = 3;
    inner.add(limited, ms(50), Money::default(), 0);
    inner.add(
        record("lab", 502, Some("upstream_error")),
        ms(20),
        Money::default(),
        0,
    );

    let snapshot = figures::snapshot(&inner.series, 0);
    let groq = &snapshot.providers["groq"];
    assert_eq!((groq.requests, groq.successes, groq.failures), (3, 2, 1));
    assert_eq!(groq.errors.get("rate_limit_exceeded"), Some(&1));
    assert_eq!((groq.input_tokens, groq.output_tokens), (300, 30));
    assert_eq!(groq.retries, 2);
    assert!((groq.cost - 1.0).abs() < 1e-12);
    assert_eq!(snapshot.totals.requests, 4);
    assert_eq!(snapshot.totals.errors.len(), 2);
    assert_eq!(snapshot.routes["default"].requests, 4);
    assert_eq!(snapshot.models["lab,m"].failures, 1);
    assert!((snapshot.totals.recent.error_rate - 0.5).abs() < 1e-12);
}

#[test]
fn window_percentiles_forget_old_requests() {
    let mut inner = Inner::default();
    for n in 1..=100 {
        inner.add(record("groq", 200, None), ms(n * 10), Money::default(), 0);
    }
    let recent = figures::snapshot(&inner.series, 0).totals.recent;
    let p50 = recent.latency_ms.p50.expect("p50");
    assert!((470.0..=530.0).contains(&p50), "p50 {p50}");
    let p99 = recent.latency_ms.p99.expect("p99");
    assert!((930.0..=1050.0).contains(&p99), "p99 {p99}");

    inner.add(
        record("groq", 200, None),
        ms(5),
        Money::default(),
        window::SLICES as u64,
    );
    let snapshot = figures::snapshot(&inner.series, window::SLICES as u64);
    assert_eq!(snapshot.totals.requests, 101, "totals are all-time");
    assert_eq!(snapshot.totals.recent.requests, 1, "the window moved on");
    assert_eq!(snapshot.totals.recent.latency_ms.p50, Some(5.0));
}

#[test]
fn series_and_recent_list_are_bounded() {
    let mut inner = Inner::default();
    let requests = RECENT + MAX_SERIES + 10;
    for n in 0..requests {
        inner.add(
            record(&format!("p{n}"), 200, None),
            ms(1),
            Money::default(),
            0,
        );
    }
    assert_eq!(inner.series.len(), MAX_SERIES + 1);
    assert_eq!(inner.series[MAX_SERIES].provider, OTHER);
    assert_eq!(
        inner.series[MAX_SERIES].totals.requests,
        (requests - MAX_SERIES) as u64
    );
    assert_eq!(inner.recent.len(), RECENT);
    assert_eq!(
        inner.recent.back().map(|r| r.provider.as_str()),
        Some(format!("p{}", requests - 1).as_str())
    );
}

#[test]
fn timeline_has_a_point_per_slice() {
    let mut inner = Inner::default();
    inner.add(record("groq", 200, None), ms(100), Money::default(), 3);
    inner.add(
        record("groq", 500, Some("upstream_error")),
        ms(300),
        Money::default(),
        5,
    );
    let timeline = figures::timeline(&inner.series, 5, 1_000_000);
    assert_eq!(timeline.starts_ms.len(), 6, "slices 0..=5 since start");
    assert_eq!(timeline.starts_ms[5], 1_000_000 + 5 * 10_000);
    let points = &timeline.providers["groq"];
    assert_eq!(points[3].requests, 1);
    assert_eq!(points[4], Point::default());
    assert_eq!(points[5].failures, 1);
    assert!(points[5]
        .p50_ms
        .is_some_and(|p| (280.0..=320.0).contains(&p)));
    assert_eq!(timeline.routes["default"].len(), 6);
}

#[test]
fn record_prices_the_tokens_and_in_flight_is_counted() {
    let stats = Stats::default();
    let guard = stats.enter();
    assert_eq!(stats.in_flight(), 1);
    let prices = crate::config::Prices::default();
    stats.record(record("groq", 200, None), &prices);
    drop(guard);
    assert_eq!(stats.in_flight(), 0);
    let recent = stats.recent();
    assert_eq!(recent.len(), 1);
    assert_eq!(recent[0].cost, None, "no price configured");
}

#[test]
fn token_totals_saturate_instead_of_overflowing() {
    let mut inner = Inner::default();
    let huge = RequestRecord {
        input_tokens: u64::MAX,
        output_tokens: u64::MAX,
        ..record("groq", 200, None)
    };
    inner.add(huge.clone(), ms(10), Money::default(), 0);
    inner.add(huge, ms(10), Money::default(), 0);
    let snapshot = figures::snapshot(&inner.series, 0);
    let groq = &snapshot.providers["groq"];
    assert_eq!(
        (groq.input_tokens, groq.output_tokens),
        (u64::MAX, u64::MAX)
    );
}

#[test]
fn cache_reads_are_billed_at_the_cached_price() {
    let prices: crate::config::Prices = {
        let env = crate::config::Env::from_pairs([("HOME", "/nonexistent")]);
        let dir = std::env::temp_dir().join(format!("ccproxy-stats-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("config.json");
        let file = r#"{"providers": [{"name": "groq", "models": ["m"]}],
            "prices": {"groq,m": {"input_per_mtok": 2.0, "output_per_mtok": 8.0,
                                  "cached_input_per_mtok": 0.5}}}"#;
        std::fs::write(&path, file).expect("write");
        let overrides = crate::config::Overrides {
            config_path: Some(path),
            ..Default::default()
        };
        crate::config::load(&overrides, &env).expect("valid").prices
    };
    let mut cached = record("groq", 200, None);
    cached.input_tokens = 1_000;
    cached.cache_read_tokens = 1_000_000;
    cached.output_tokens = 0;
    // 1k input at 2.0 and 1 M cache reads at 0.5 per million.
    let cost = cached.cost(&prices).expect("priced");
    assert!((cost - (0.002 + 0.5)).abs() < 1e-12, "{cost}");
}
