//! Time for team state: now, the UTC periods spend limits reset over (days, ISO weeks from
//! Monday, calendar months), and RFC 3339 timestamps for the admin API.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::store::Period;

const DAY: u64 = 86_400;

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

pub fn now_secs() -> u64 {
    now_ms() / 1000
}

/// The period containing `now` (seconds): its name (unique among periods of its kind) and
/// when it ends (seconds).
pub fn period(period: Period, now: u64) -> (String, u64) {
    let day = now / DAY;
    match period {
        Period::Daily => (format!("d{day}"), (day + 1) * DAY),
        Period::Weekly => {
            // 1970-01-01 was a Thursday: weeks from Monday start 3 days before day 0's week.
            let week = (day + 3) / 7;
            (format!("w{week}"), ((week + 1) * 7 - 3) * DAY)
        }
        Period::Monthly => {
            let (year, month, _) = civil(day as i64);
            let (next_year, next_month) = if month == 12 {
                (year + 1, 1)
            } else {
                (year, month + 1)
            };
            let end = days_from_civil(next_year, next_month, 1) as u64 * DAY;
            (format!("m{year}-{month:02}"), end)
        }
    }
}

/// `2026-11-30T15:12:11Z`.
pub fn rfc3339(secs: u64) -> String {
    let (year, month, day) = civil((secs / DAY) as i64);
    let rest = secs % DAY;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// (year, month, day) of a day number since 1970-01-01 (H. Hinnant's civil_from_days).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The day number of a date (H. Hinnant's days_from_civil).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year - era * 400;
    let month = i64::from(month);
    let doy = (153 * if month > 2 { month - 3 } else { month + 9 } + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_periods() {
        // 2026-11-30 (a Monday) 15:12:11 UTC.
        let now = 1_796_051_531;
        assert_eq!(rfc3339(now), "2026-11-30T15:12:11Z");
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        let (_, day_end) = period(Period::Daily, now);
        assert_eq!(rfc3339(day_end), "2026-12-01T00:00:00Z");
        let (week, week_end) = period(Period::Weekly, now);
        assert_eq!(rfc3339(week_end), "2026-12-07T00:00:00Z");
        let monday = now - (15 * 3600 + 12 * 60 + 11);
        assert_eq!(
            period(Period::Weekly, monday).0,
            week,
            "Monday 00:00 starts it"
        );
        assert_ne!(period(Period::Weekly, monday - 1).0, week);
        let (month, month_end) = period(Period::Monthly, now);
        assert_eq!(month, "m2026-11");
        assert_eq!(rfc3339(month_end), "2026-12-01T00:00:00Z");
        let december = period(Period::Monthly, month_end + 31 * DAY - 1);
        assert_eq!(rfc3339(december.1), "2027-01-01T00:00:00Z");
        assert_eq!(
            rfc3339(period(Period::Monthly, 951_825_600).1),
            "2000-03-01T00:00:00Z"
        );
    }
}
