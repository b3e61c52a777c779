//! A provider's rate-limit headers: how long it asks us to wait (`retry-after-ms`,
//! `retry-after` in seconds or as an HTTP-date, or the reset headers) and the limit that was
//! hit. OpenAI-style providers send `x-ratelimit-{limit,remaining,reset}-{requests,tokens}`
//! with resets like `6m0s`; Anthropic sends `anthropic-ratelimit-*-{limit,remaining,reset}`
//! with RFC 3339 resets (https://platform.openai.com/docs/guides/rate-limits, https://docs.anthropic.com/en/api/rate-limits).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::HeaderMap;

/// What the headers of a 429 (or 503) say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RateLimit {
    pub wait: Option<Duration>,
    pub limit: Option<u64>,
    pub remaining: Option<u64>,
}

/// One limited resource (requests, tokens, ...).
struct Bucket {
    limit: Option<u64>,
    remaining: Option<u64>,
    reset: Option<Duration>,
}

const KINDS: &[&str] = &["requests", "tokens", "input-tokens", "output-tokens"];

/// Reads the headers at time `now` (reset dates are turned into waits from `now`).
pub fn read(headers: &HeaderMap, now: SystemTime) -> RateLimit {
    let buckets = buckets(headers, now);
    let exhausted = || buckets.iter().filter(|b| b.remaining == Some(0));
    let reported = exhausted()
        .chain(buckets.iter())
        .find(|b| b.limit.is_some() || b.remaining.is_some());
    let reset = exhausted()
        .filter_map(|b| b.reset)
        .max()
        .or_else(|| buckets.iter().filter_map(|b| b.reset).min());
    RateLimit {
        wait: retry_after(headers, now).or(reset),
        limit: reported.and_then(|b| b.limit),
        remaining: reported.and_then(|b| b.remaining),
    }
}

/// `retry-after-ms` (float milliseconds), else `retry-after` (float seconds or an HTTP-date).
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    if let Some(ms) = header(headers, "retry-after-ms").and_then(|v| v.parse::<f64>().ok()) {
        return Duration::try_from_secs_f64(ms / 1000.0).ok();
    }
    let value = header(headers, "retry-after")?;
    if let Ok(seconds) = value.parse::<f64>() {
        return Duration::try_from_secs_f64(seconds).ok();
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or_default())
}

fn buckets(headers: &HeaderMap, now: SystemTime) -> Vec<Bucket> {
    let mut buckets = Vec::new();
    for kind in KINDS {
        for (limit, remaining, reset) in [
            (
                format!("x-ratelimit-limit-{kind}"),
                format!("x-ratelimit-remaining-{kind}"),
                format!("x-ratelimit-reset-{kind}"),
            ),
            (
                format!("anthropic-ratelimit-{kind}-limit"),
                format!("anthropic-ratelimit-{kind}-remaining"),
                format!("anthropic-ratelimit-{kind}-reset"),
            ),
        ] {
            let bucket = Bucket {
                limit: number(headers, &limit),
                remaining: number(headers, &remaining),
                reset: header(headers, &reset).and_then(|v| reset_wait(v, now)),
            };
            if bucket.limit.is_some() || bucket.remaining.is_some() || bucket.reset.is_some() {
                buckets.push(bucket);
            }
        }
    }
    buckets
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    Some(headers.get(name)?.to_str().ok()?.trim())
}

fn number(headers: &HeaderMap, name: &str) -> Option<u64> {
    header(headers, name)?.parse().ok()
}

/// A reset header: a Go-style duration (`6m0s`, `1.5s`, `120ms`), an RFC 3339 time, or a
/// plain number of seconds.
fn reset_wait(value: &str, now: SystemTime) -> Option<Duration> {
    if let Ok(seconds) = value.parse::<f64>() {
        return Duration::try_from_secs_f64(seconds).ok();
    }
    if let Some(at) = rfc3339(value) {
        return Some(at.duration_since(now).unwrap_or_default());
    }
    go_duration(value)
}

/// `1h2m3.5s`, `6m0s`, `120ms`.
fn go_duration(text: &str) -> Option<Duration> {
    let mut total = 0.0_f64;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .filter(|&n| n > 0)?;
        let value: f64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 1e-3,
            "us" | "µs" => 1e-6,
            "ns" => 1e-9,
            _ => return None,
        };
        total += value * scale;
        rest = &rest[unit_len..];
    }
    Duration::try_from_secs_f64(total).ok()
}

/// `2025-01-01T00:00:30Z` or with a `±hh:mm` offset and fractional seconds.
fn rfc3339(text: &str) -> Option<SystemTime> {
    let bytes = text.as_bytes();
    if bytes.len() < 20 || bytes[4] != b'-' || bytes[7] != b'-' || bytes[13] != b':' {
        return None;
    }
    let field = |from: usize, to: usize| text.get(from..to)?.parse::<i64>().ok();
    let (year, month, day) = (field(0, 4)?, field(5, 7)?, field(8, 10)?);
    let (hour, minute, second) = (field(11, 13)?, field(14, 16)?, field(17, 19)?);
    let mut rest = &text[19..];
    let mut fraction = 0.0;
    if let Some(after_dot) = rest.strip_prefix('.') {
        let end = after_dot
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(after_dot.len());
        fraction = format!("0.{}", &after_dot[..end]).parse().ok()?;
        rest = &after_dot[end..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let hours: i64 = rest.get(1..3)?.parse().ok()?;
            let minutes: i64 = rest.get(4..6)?.parse().ok()?;
            sign * (hours * 3600 + minutes * 60)
        }
    };
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset;
    let seconds = u64::try_from(seconds).ok()?;
    Some(UNIX_EPOCH + Duration::from_secs(seconds) + Duration::from_secs_f64(fraction))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().expect("header value"));
        }
        map
    }

    fn at(seconds: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds)
    }

    #[test]
    fn retry_after_in_seconds_milliseconds_and_http_dates() {
        let now = at(1_700_000_000);
        let wait = |pairs| read(&headers(pairs), now).wait;
        assert_eq!(wait(&[("retry-after", "7")]), Some(Duration::from_secs(7)));
        assert_eq!(
            wait(&[("retry-after", "1.5")]),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            wait(&[("retry-after-ms", "250"), ("retry-after", "9")]),
            Some(Duration::from_millis(250))
        );
        // 1_700_000_000 is Tue, 14 Nov 2023 22:13:20 GMT.
        assert_eq!(
            wait(&[("retry-after", "Tue, 14 Nov 2023 22:14:20 GMT")]),
            Some(Duration::from_secs(60))
        );
        assert_eq!(wait(&[]), None);
    }

    #[test]
    fn openai_reset_headers_are_go_durations() {
        let limit = read(
            &headers(&[
                ("x-ratelimit-limit-requests", "5000"),
                ("x-ratelimit-remaining-requests", "0"),
                ("x-ratelimit-reset-requests", "6m0s"),
                ("x-ratelimit-limit-tokens", "100000"),
                ("x-ratelimit-remaining-tokens", "99000"),
                ("x-ratelimit-reset-tokens", "1.5s"),
            ]),
            at(0),
        );
        assert_eq!(
            limit,
            RateLimit {
                wait: Some(Duration::from_secs(360)),
                limit: Some(5000),
                remaining: Some(0)
            }
        );
        assert_eq!(go_duration("1m30.5s"), Some(Duration::from_millis(90_500)));
        assert_eq!(go_duration("120ms"), Some(Duration::from_millis(120)));
        assert_eq!(go_duration("soon"), None);
    }

    #[test]
    fn anthropic_reset_headers_are_rfc3339_times() {
        let now = at(1_700_000_000);
        let limit = read(
            &headers(&[
                ("anthropic-ratelimit-tokens-limit", "80000"),
                ("anthropic-ratelimit-tokens-remaining", "0"),
                ("anthropic-ratelimit-tokens-reset", "2023-11-14T22:13:50Z"),
                ("anthropic-ratelimit-requests-limit", "50"),
                ("anthropic-ratelimit-requests-remaining", "49"),
            ]),
            now,
        );
        assert_eq!(limit.wait, Some(Duration::from_secs(30)));
        assert_eq!((limit.limit, limit.remaining), (Some(80000), Some(0)));
        assert_eq!(
            rfc3339("2023-11-14T23:13:20.5+01:00"),
            Some(now + Duration::from_millis(500))
        );
    }

    #[test]
    fn a_reset_in_the_past_means_no_wait() {
        let limit = read(
            &headers(&[("anthropic-ratelimit-requests-reset", "2000-01-01T00:00:00Z")]),
            at(1_700_000_000),
        );
        assert_eq!(limit.wait, Some(Duration::ZERO));
    }
}
