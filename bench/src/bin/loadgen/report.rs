//! `loadgen report`: reads a run's JSON lines, takes medians across runs, subtracts the
//! direct figures from the proxied ones and prints the table against the budget (the
//! "budget" column of BENCHMARKS.md); with `--check`, fails past the budget × a factor.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Context as _;
use serde_json::Value;

/// How a row's figure is judged when the run also measured the floor ([`FLOOR`]).
#[derive(Clone, Copy, PartialEq)]
enum Against {
    /// The figure itself.
    Itself,
    /// The target's own share: its figure minus the floor's (added-latency rows: the
    /// extra loopback hops and wake-ups cost any proxy on this VM more than the budget, as
    /// the null proxy, which does no work, shows).
    OwnShare,
    /// The target's figure as a multiple of the floor's (CPU per request, throughput).
    Ratio,
}

/// The budget (BENCHMARKS.md, "budget" column), one row per figure.
struct Budget {
    /// Row name in the table.
    name: &'static str,
    /// Budget value, in the unit of the judged figure.
    limit: f64,
    /// true: the figure must stay at or below `limit`; false: at or above.
    upper: bool,
    unit: &'static str,
    /// Tail figures: on a shared 2-core VM a single scheduler hiccup moves them by
    /// milliseconds, so `--check` (the CI smoke) reports them but does not fail on them.
    tail: bool,
    against: Against,
}

const fn row(name: &'static str, limit: f64, upper: bool, unit: &'static str) -> Budget {
    Budget {
        name,
        limit,
        upper,
        unit,
        tail: false,
        against: Against::Itself,
    }
}

const fn own_share(name: &'static str, limit: f64, tail: bool) -> Budget {
    Budget {
        tail,
        against: Against::OwnShare,
        ..row(name, limit, true, "µs")
    }
}

const fn ratio(name: &'static str, limit: f64, upper: bool) -> Budget {
    Budget {
        against: Against::Ratio,
        ..row(name, limit, upper, "× floor")
    }
}

const BUDGETS: &[Budget] = &[
    own_share("added p50, small, c=1", 30.0, false),
    own_share("added p99, small, c=1", 60.0, true),
    own_share("added p50, 50 KB Claude Code", 200.0, false),
    own_share("added first event p50", 30.0, false),
    row("added per event, long stream", 10.0, true, "µs"),
    ratio("CPU per request, 32 conns", 2.0, true),
    ratio("throughput, 32 conns", 0.5, false),
    row("errors, 32 conns", 0.0, true, ""),
    row("idle RSS", 8.0, true, "MiB"),
    row("peak RSS", 24.0, true, "MiB"),
    row("start-up to first answer", 50.0, true, "ms"),
];

fn num(v: &Value, path: &[&str]) -> Option<f64> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_f64()
}

/// Median of the values (mean of the middle two for an even count).
fn median(xs: &mut [f64]) -> Option<f64> {
    if xs.is_empty() {
        return None;
    }
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    Some(if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    })
}

/// The figures as the budget judges them: own shares and ratios against the floor where
/// the run measured it (the floor's own row stays as measured).
fn judged_figures(figures: &Figures) -> Figures {
    let floor = figures.get(FLOOR);
    let mut judged = Figures::new();
    for (target, f) in figures {
        let out = judged.entry(target.clone()).or_default();
        for b in BUDGETS {
            let Some(&x) = f.get(b.name) else { continue };
            let base = floor
                .filter(|_| target != FLOOR)
                .and_then(|fl| fl.get(b.name));
            let value = match (b.against, base) {
                (Against::OwnShare, Some(&fl)) => x - fl,
                (Against::Ratio, Some(&fl)) if fl > 0.0 => x / fl,
                (Against::Ratio, _) => continue,
                _ => x,
            };
            out.insert(b.name, value);
        }
    }
    judged
}

/// Past `factor` × the budget: a gross regression, which fails `--check`.
fn is_gross(b: &Budget, x: f64, factor: f64) -> bool {
    if b.upper {
        x > (b.limit * factor).max(if b.limit == 0.0 { factor } else { 0.0 })
    } else {
        x < b.limit / factor
    }
}

/// The target whose added latency is the floor any proxy pays here (src/bin/null_proxy.rs).
const FLOOR: &str = "null-proxy";

/// Figures per target: figure name → value.
type Figures = BTreeMap<String, BTreeMap<&'static str, f64>>;

pub fn report(file: &PathBuf, check: bool, factor: f64, checked: &str) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    // (target, label, mode) → records; figures are medians over repeated runs.
    let mut recs: BTreeMap<(String, String, String), Vec<Value>> = BTreeMap::new();
    for line in text.lines().filter(|l| l.starts_with('{')) {
        let v: Value = serde_json::from_str(line)?;
        let key = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
        if v.get("ok").and_then(Value::as_bool) == Some(false) {
            continue;
        }
        recs.entry((key("target"), key("label"), key("mode")))
            .or_default()
            .push(v);
    }
    let median_of = |target: &str, label: &str, mode: &str, path: &[&str]| -> Option<f64> {
        let rs = recs.get(&(target.to_owned(), label.to_owned(), mode.to_owned()))?;
        let mut xs: Vec<f64> = rs.iter().filter_map(|r| num(r, path)).collect();
        median(&mut xs)
    };
    let mut targets: Vec<String> = recs.keys().map(|k| k.0.clone()).collect();
    targets.dedup();
    targets.retain(|t| t != "direct" && !t.is_empty());

    let mut figures: Figures = BTreeMap::new();
    let mut raw: Vec<String> = Vec::new();
    for target in targets.iter().map(String::as_str).chain(["direct"]) {
        let f = figures.entry(target.to_owned()).or_default();
        let sub = |label: &str, mode: &str, path: &[&str]| -> Option<f64> {
            let a = median_of(target, label, mode, path)?;
            let d = median_of("direct", label, mode, path)?;
            Some(a - d)
        };
        if target != "direct" {
            if let Some(x) = sub("small", "latency", &["p50_us"]) {
                f.insert("added p50, small, c=1", x);
            }
            if let Some(x) = sub("small", "latency", &["p99_us"]) {
                f.insert("added p99, small, c=1", x);
            }
            if let Some(x) = sub("cc50k", "latency", &["p50_us"]) {
                f.insert("added p50, 50 KB Claude Code", x);
            }
            if let Some(x) = sub("stream-small", "ttfe", &["ttfe", "p50_us"]) {
                f.insert("added first event p50", x);
            }
            if let Some(x) = sub("stream-long", "ttfe", &["per_event", "p50_us"]) {
                f.insert("added per event, long stream", x);
            }
        }
        if let Some(x) = median_of(target, "tput-32", "throughput", &["rps"]) {
            f.insert("throughput, 32 conns", x);
        }
        if let Some(x) = median_of(target, "tput-32", "cpu", &["cpu_us_per_request"]) {
            f.insert("CPU per request, 32 conns", x);
        }
        if let Some(x) = median_of(target, "tput-32", "throughput", &["errors"]) {
            f.insert("errors, 32 conns", x);
        }
        if let Some(x) = median_of(target, "", "rss", &["idle_kib"]) {
            f.insert("idle RSS", x / 1024.0);
        }
        if let Some(x) = median_of(target, "", "rss", &["peak_kib"]) {
            f.insert("peak RSS", x / 1024.0);
        }
        if let Some(x) = median_of(target, "", "startup", &["ms"]) {
            f.insert("start-up to first answer", x);
        }
        // Raw figures, for the human table.
        for (label, mode, path, what) in [
            ("small", "latency", &["p50_us"][..], "latency small p50 µs"),
            ("small", "latency", &["p99_us"][..], "latency small p99 µs"),
            ("cc50k", "latency", &["p50_us"][..], "latency 50KB p50 µs"),
            ("cc50k", "latency", &["p99_us"][..], "latency 50KB p99 µs"),
            ("tput-32", "throughput", &["rps"][..], "req/s at 32 conns"),
            (
                "tput-32",
                "cpu",
                &["cpu_us_per_request"][..],
                "CPU µs/request at 32 conns",
            ),
            ("tput-64", "throughput", &["rps"][..], "req/s at 64 conns"),
            (
                "tput-64",
                "throughput",
                &["errors"][..],
                "errors at 64 conns",
            ),
            (
                "stream-small",
                "ttfe",
                &["ttfe", "p50_us"][..],
                "first event p50 µs",
            ),
            (
                "stream-small",
                "ttfe",
                &["ttfe", "p99_us"][..],
                "first event p99 µs",
            ),
            (
                "stream-long",
                "ttfe",
                &["per_event", "p50_us"][..],
                "long stream µs/event",
            ),
            (
                "stream-long",
                "ttfe",
                &["ttlb", "p50_us"][..],
                "long stream last byte µs",
            ),
        ] {
            if let Some(x) = median_of(target, label, mode, path) {
                raw.push(format!("{target:<17} {what:<28} {x:>12.1}"));
            }
        }
        if let Some(x) = median_of(target, "", "binary", &["bytes"]) {
            raw.push(format!(
                "{target:<17} {:<28} {:>12.1}",
                "binary size MiB",
                x / 1_048_576.0
            ));
        }
    }

    println!("== raw figures (same run, same client) ==");
    for line in &raw {
        println!("{line}");
    }
    let judged = judged_figures(&figures);
    println!();
    println!("== against the budget (added = target − direct; own share and ratios against {FLOOR}, same run) ==");
    print!("{:<32} {:>14}", "figure", "budget");
    for t in &targets {
        print!(" {t:>12}");
    }
    println!();
    let mut failures = Vec::new();
    for b in BUDGETS {
        let sign = if b.upper { "≤" } else { "≥" };
        print!(
            "{:<32} {:>14}",
            b.name,
            format!("{sign}{} {}", b.limit, b.unit)
        );
        for t in &targets {
            let Some(&x) = judged.get(t).and_then(|f| f.get(b.name)) else {
                print!(" {:>12}", "-");
                continue;
            };
            let within = if b.upper { x <= b.limit } else { x >= b.limit };
            print!(" {:>11.1}{}", x, if within { " " } else { "!" });
            if check && t == checked && !b.tail && is_gross(b, x, factor) {
                failures.push(format!(
                    "{}: {x:.1} {} is past {factor}× the budget ({sign}{} {})",
                    b.name, b.unit, b.limit, b.unit
                ));
            }
        }
        println!();
    }
    println!("('!' = outside the budget; without a {FLOOR} run, own-share rows show the whole added figure)");
    if check {
        if figures.get(checked).is_none_or(|f| f.is_empty()) {
            println!("check: no figures for {checked}; nothing checked");
        } else if failures.is_empty() {
            println!("check: {checked} is within {factor}× the budget on every measured row");
        } else {
            for f in &failures {
                println!("check FAILED: {f}");
            }
            std::process::exit(1);
        }
    }
    Ok(())
}
