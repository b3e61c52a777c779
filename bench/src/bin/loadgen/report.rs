//! `loadgen report`: reads a run's JSON lines, takes medians across runs, subtracts the
//! direct figures from the proxied ones and prints the table against the budget (the
//! "budget" column of BENCHMARKS.md); with `--check`, fails past the budget × a factor.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Context as _;
use serde_json::Value;

/// The budget (BENCHMARKS.md, "budget" column), one row per figure.
struct Budget {
    /// Row name in the table.
    name: &'static str,
    /// Budget value, in the unit of the figure.
    limit: f64,
    /// true: the figure must stay at or below `limit`; false: at or above.
    upper: bool,
    unit: &'static str,
    /// Tail figures: on a shared 2-core VM a single scheduler hiccup moves them by
    /// milliseconds, so `--check` (the CI smoke) reports them but does not fail on them.
    tail: bool,
    /// Added-latency figures. The extra loopback hops and wake-ups cost any proxy on this
    /// VM more than the budget (the null proxy, which does no work, shows it), so when the
    /// run measured `null-proxy`, `--check` judges the checked target's own share:
    /// its figure minus null-proxy's.
    floor_relative: bool,
}

const BUDGETS: &[Budget] = &[
    Budget {
        name: "added p50, small, c=1",
        limit: 60.0,
        upper: true,
        unit: "µs",
        tail: false,
        floor_relative: true,
    },
    Budget {
        name: "added p99, small, c=1",
        limit: 250.0,
        upper: true,
        unit: "µs",
        tail: true,
        floor_relative: true,
    },
    Budget {
        name: "added p50, 50 KB Claude Code",
        limit: 1000.0,
        upper: true,
        unit: "µs",
        tail: false,
        floor_relative: true,
    },
    Budget {
        name: "throughput, 32 conns",
        limit: 10000.0,
        upper: false,
        unit: "req/s",
        tail: false,
        floor_relative: false,
    },
    Budget {
        name: "errors, 32 conns",
        limit: 0.0,
        upper: true,
        unit: "",
        tail: false,
        floor_relative: false,
    },
    Budget {
        name: "added first event p50",
        limit: 100.0,
        upper: true,
        unit: "µs",
        tail: false,
        floor_relative: true,
    },
    Budget {
        name: "added per event, long stream",
        limit: 10.0,
        upper: true,
        unit: "µs",
        tail: false,
        floor_relative: false,
    },
    Budget {
        name: "idle RSS",
        limit: 12.0,
        upper: true,
        unit: "MiB",
        tail: false,
        floor_relative: false,
    },
    Budget {
        name: "peak RSS",
        limit: 40.0,
        upper: true,
        unit: "MiB",
        tail: false,
        floor_relative: false,
    },
    Budget {
        name: "start-up to first answer",
        limit: 50.0,
        upper: true,
        unit: "ms",
        tail: false,
        floor_relative: false,
    },
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

/// For each proxy, its added latency minus null-proxy's: the share that is its own work
/// rather than the hops any proxy pays on this machine.
fn print_own_share(figures: &Figures, targets: &[String]) {
    let Some(floor) = figures.get(FLOOR) else {
        return;
    };
    println!();
    println!("== own share of the added latency (target − {FLOOR}, same run) ==");
    for b in BUDGETS.iter().filter(|b| b.floor_relative) {
        print!("{:<32}", b.name);
        for t in targets.iter().filter(|t| t.as_str() != FLOOR) {
            match (
                figures.get(t).and_then(|f| f.get(b.name)),
                floor.get(b.name),
            ) {
                (Some(x), Some(f)) => print!(" {t}: {:.1} {}", x - f, b.unit),
                _ => print!(" {t}: -"),
            }
        }
        println!();
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
    println!();
    println!("== against the budget (added = target − direct) ==");
    print!("{:<32} {:>12}", "figure", "budget");
    for t in &targets {
        print!(" {t:>12}");
    }
    println!();
    let mut failures = Vec::new();
    for b in BUDGETS {
        let sign = if b.upper { "≤" } else { "≥" };
        print!(
            "{:<32} {:>12}",
            b.name,
            format!("{sign}{} {}", b.limit, b.unit)
        );
        for t in &targets {
            match figures.get(t).and_then(|f| f.get(b.name)) {
                Some(&x) => {
                    let within = if b.upper { x <= b.limit } else { x >= b.limit };
                    let mark = if within { " " } else { "!" };
                    print!(" {:>11.1}{mark}", x);
                    if check && t == checked && !b.tail {
                        let floor = figures.get(FLOOR).and_then(|f| f.get(b.name));
                        let (x, share) = match floor {
                            Some(floor) if b.floor_relative => (x - floor, " over null-proxy"),
                            _ => (x, ""),
                        };
                        let gross = if b.upper {
                            x > (b.limit * factor).max(if b.limit == 0.0 { factor } else { 0.0 })
                        } else {
                            x < b.limit / factor
                        };
                        if gross {
                            failures.push(format!(
                                "{}: {x:.1} {}{share} is past {factor}× the budget ({sign}{} {})",
                                b.name, b.unit, b.limit, b.unit
                            ));
                        }
                    }
                }
                None => print!(" {:>12}", "-"),
            }
        }
        println!();
    }
    println!("('!' = outside the budget)");
    print_own_share(&figures, &targets);
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
