//! Bounded latency figures: a log-linear [`Histogram`] (percentiles within ~6 % from a
//! fixed 1.2 KiB of counters, however many samples), a [`Window`] of such histograms over
//! time slices (the recent window behind p50/p95/p99 and the dashboard's latency-over-time
//! plot), and the fixed cumulative [`Buckets`] that Prometheus histograms expose.
//!
//! Pure and clock-free: callers pass the time as a slice number, so tests control expiry.

use std::time::Duration;

/// Sub-buckets per power of two: bucket width is 1/8 of its lower bound, so a value read
/// back from a bucket's middle is off by at most 1/16 (6.25 %).
const SUB_BITS: u32 = 3;
const SUB: usize = 1 << SUB_BITS;
/// Values from 0 to 2^20 ms (about 17 minutes); longer ones count in the last bucket.
const MAX_POWER: u32 = 20;
const BUCKETS: usize = SUB + (MAX_POWER as usize - SUB_BITS as usize) * SUB;

/// How long one slice of the recent window lasts, and how many slices it keeps:
/// percentiles cover the last five minutes.
pub const SLICE: Duration = Duration::from_secs(10);
pub const SLICES: usize = 30;

/// Counts of millisecond values in log-linear buckets.
#[derive(Clone)]
pub struct Histogram {
    counts: Box<[u32; BUCKETS]>,
    total: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self {
            counts: Box::new([0; BUCKETS]),
            total: 0,
        }
    }
}

impl std::fmt::Debug for Histogram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Histogram")
            .field("total", &self.total)
            .finish_non_exhaustive()
    }
}

fn bucket_of(ms: u64) -> usize {
    if ms < SUB as u64 {
        return ms as usize;
    }
    let power = 63 - ms.leading_zeros();
    if power >= MAX_POWER {
        return BUCKETS - 1;
    }
    let shift = power - SUB_BITS;
    let sub = ((ms >> shift) as usize) & (SUB - 1);
    SUB + (shift as usize) * SUB + sub
}

/// The middle of a bucket, in milliseconds.
fn middle_of(bucket: usize) -> f64 {
    if bucket < SUB {
        return bucket as f64;
    }
    let shift = (bucket - SUB) / SUB;
    let sub = (bucket - SUB) % SUB;
    let low = ((SUB + sub) as u64) << shift;
    let width = 1u64 << shift;
    low as f64 + (width as f64 - 1.0) / 2.0
}

impl Histogram {
    pub fn record(&mut self, value: Duration) {
        let ms = u64::try_from(value.as_millis()).unwrap_or(u64::MAX);
        let bucket = &mut self.counts[bucket_of(ms)];
        *bucket = bucket.saturating_add(1);
        self.total += 1;
    }

    fn clear(&mut self) {
        self.counts.fill(0);
        self.total = 0;
    }

    pub fn merge(&mut self, other: &Histogram) {
        for (mine, theirs) in self.counts.iter_mut().zip(other.counts.iter()) {
            *mine = mine.saturating_add(*theirs);
        }
        self.total += other.total;
    }

    #[cfg(test)]
    pub fn count(&self) -> u64 {
        self.total
    }

    /// The value below which a fraction `q` (0..=1) of the samples fall, in milliseconds;
    /// `None` without samples.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        if self.total == 0 {
            return None;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.total as f64).ceil() as u64).max(1);
        let mut seen = 0u64;
        for (bucket, &count) in self.counts.iter().enumerate() {
            seen += u64::from(count);
            if seen >= rank {
                return Some(middle_of(bucket));
            }
        }
        Some(middle_of(BUCKETS - 1))
    }
}

/// One time slice: requests, failures and the latency and time-to-first-token histograms.
#[derive(Debug, Clone, Default)]
pub struct Slice {
    /// The slice number (time since start / [`SLICE`]) these counts belong to.
    pub number: u64,
    pub requests: u64,
    pub failures: u64,
    pub latency: Histogram,
    pub ttft: Histogram,
}

impl Slice {
    /// Empties the slice in place (no allocation) for slice number `number`.
    fn reset(&mut self, number: u64) {
        self.number = number;
        self.requests = 0;
        self.failures = 0;
        self.latency.clear();
        self.ttft.clear();
    }

    pub fn merge(&mut self, other: &Slice) {
        self.requests += other.requests;
        self.failures += other.failures;
        self.latency.merge(&other.latency);
        self.ttft.merge(&other.ttft);
    }
}

/// The last [`SLICES`] slices, in a ring reused as time moves on (fixed memory).
#[derive(Debug, Clone)]
pub struct Window {
    ring: Vec<Slice>,
}

impl Default for Window {
    fn default() -> Self {
        Self {
            ring: vec![Slice::default(); SLICES],
        }
    }
}

impl Window {
    /// The slice for slice number `now`, emptied first if it still holds an older one.
    pub fn slice_mut(&mut self, now: u64) -> &mut Slice {
        let slot = &mut self.ring[(now % SLICES as u64) as usize];
        if slot.number != now {
            slot.reset(now);
        }
        slot
    }

    /// The slice numbered `number` if it is still within the window seen from `now`.
    pub fn slice(&self, number: u64, now: u64) -> Option<&Slice> {
        let slot = &self.ring[(number % SLICES as u64) as usize];
        (slot.number == number && number <= now && now - number < SLICES as u64).then_some(slot)
    }

    /// Everything within the window seen from `now`, merged.
    pub fn merged(&self, now: u64, into: &mut Slice) {
        for slice in &self.ring {
            if slice.number <= now && now - slice.number < SLICES as u64 {
                into.merge(slice);
            }
        }
    }
}

/// The upper bounds (seconds) of the Prometheus histogram buckets: from fast local errors
/// to long streamed answers.
pub const BOUNDS: [f64; 14] = [
    0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0,
];

/// All-time counts per bucket of [`BOUNDS`] (not cumulative; the exposition adds them up),
/// with the sum and the count.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Buckets {
    pub counts: [u64; BOUNDS.len()],
    pub sum_seconds: f64,
    pub count: u64,
}

impl Buckets {
    pub fn record(&mut self, value: Duration) {
        let seconds = value.as_secs_f64();
        if let Some(i) = BOUNDS.iter().position(|&bound| seconds <= bound) {
            self.counts[i] += 1;
        }
        self.sum_seconds += seconds;
        self.count += 1;
    }

    pub fn merge(&mut self, other: &Buckets) {
        for (mine, theirs) in self.counts.iter_mut().zip(other.counts) {
            *mine += theirs;
        }
        self.sum_seconds += other.sum_seconds;
        self.count += other.count;
    }

    /// `(upper bound, cumulative count)` for each bound, then `+Inf` with the total.
    pub fn cumulative(&self) -> impl Iterator<Item = (Option<f64>, u64)> + '_ {
        let mut running = 0;
        BOUNDS
            .iter()
            .zip(self.counts)
            .map(move |(&bound, count)| {
                running += count;
                (Some(bound), running)
            })
            .chain(std::iter::once((None, self.count)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn close(actual: Option<f64>, expected: f64) -> bool {
        actual.is_some_and(|a| (a - expected).abs() <= expected * 0.07 + 0.5)
    }

    #[test]
    fn percentiles_of_one_to_a_thousand_ms() {
        let mut histogram = Histogram::default();
        for n in 1..=1000 {
            histogram.record(ms(n));
        }
        assert_eq!(histogram.count(), 1000);
        for (q, expected) in [(0.5, 500.0), (0.95, 950.0), (0.99, 990.0)] {
            let got = histogram.quantile(q);
            assert!(close(got, expected), "p{q}: {got:?}, expected ≈{expected}");
        }
        assert_eq!(histogram.quantile(0.0), Some(1.0));
    }

    #[test]
    fn small_values_are_exact_and_outliers_are_kept() {
        let mut histogram = Histogram::default();
        for value in [3, 3, 3, 7] {
            histogram.record(ms(value));
        }
        histogram.record(Duration::from_secs(3600));
        assert_eq!(histogram.quantile(0.5), Some(3.0));
        assert_eq!(histogram.quantile(0.8), Some(7.0));
        assert!(histogram.quantile(1.0).is_some_and(|v| v > 1_000_000.0));
        assert_eq!(Histogram::default().quantile(0.5), None);
    }

    #[test]
    fn every_value_lands_in_a_bucket_whose_middle_is_close() {
        for value in (0..1u64 << MAX_POWER).step_by(997) {
            let middle = middle_of(bucket_of(value));
            assert!(
                (middle - value as f64).abs() <= value as f64 / 16.0 + 0.5,
                "{value} read back as {middle}"
            );
        }
    }

    #[test]
    fn old_slices_leave_the_window() {
        let mut window = Window::default();
        window.slice_mut(0).latency.record(ms(100));
        window.slice_mut(5).latency.record(ms(200));
        let mut merged = Slice::default();
        window.merged(5, &mut merged);
        assert_eq!(merged.latency.count(), 2);

        let mut merged = Slice::default();
        window.merged(SLICES as u64, &mut merged);
        assert_eq!(merged.latency.count(), 1, "slice 0 expired");
        assert!(window.slice(0, SLICES as u64).is_none());
        assert!(window.slice(5, SLICES as u64).is_some());

        // Reusing slice 0's slot for slice SLICES empties it first.
        window.slice_mut(SLICES as u64).latency.record(ms(300));
        let mut merged = Slice::default();
        window.merged(SLICES as u64, &mut merged);
        assert_eq!(merged.latency.count(), 2);
        assert!(close(merged.latency.quantile(1.0), 300.0));
    }

    #[test]
    fn memory_is_fixed_however_many_samples() {
        let mut window = Window::default();
        for n in 0..100_000u64 {
            window.slice_mut(n / 100).latency.record(ms(n % 5000));
        }
        assert_eq!(window.ring.len(), SLICES);
        let mut merged = Slice::default();
        window.merged(999, &mut merged);
        assert_eq!(merged.latency.count(), 100 * SLICES as u64);
    }

    #[test]
    fn prometheus_buckets_are_cumulative() {
        let mut buckets = Buckets::default();
        for value in [ms(10), ms(40), ms(40), Duration::from_secs(400)] {
            buckets.record(value);
        }
        let cumulative: Vec<_> = buckets.cumulative().collect();
        assert_eq!(cumulative[0], (Some(0.025), 1));
        assert_eq!(cumulative[1], (Some(0.05), 3));
        assert_eq!(cumulative[BOUNDS.len() - 1], (Some(300.0), 3));
        assert_eq!(cumulative[BOUNDS.len()], (None, 4));
        assert!((buckets.sum_seconds - 400.09).abs() < 1e-9);
    }
}
