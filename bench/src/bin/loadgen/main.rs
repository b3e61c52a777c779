//! `loadgen`: an HTTP/1.1 keep-alive load client for the ccproxy benchmark.
//!
//! Modes (subcommands):
//!
//! - `latency`: one connection, requests one after another; after a warm-up,
//!   prints p50/p90/p99/max of the full request time (send to last body byte).
//! - `throughput`: `C` keep-alive connections for `D` seconds after a warm-up;
//!   prints requests/s, error count and latency percentiles under load.
//! - `ttfe`: streaming; one connection, one request at a time; prints the time to
//!   the first SSE `event:`/`data:` line, the time to the last byte, and the
//!   inter-arrival time of events (an event ends at a blank line).
//! - `startup`: spawns a server command, polls it with a request until it gets a
//!   200, prints the elapsed time and the server's pid, and leaves it running.
//! - `report`: reads the JSON lines of a run, subtracts direct from proxied
//!   figures, prints the table against the budget and, with `--check`, exits 1
//!   when a figure is past the budget times `--factor`.
//!
//! Every measuring mode prints one JSON line on stdout and a human line on stderr.
//! All clocks are `Instant` (monotonic). One current-thread runtime is used, so
//! the client costs one core at most (pin it with `taskset`).

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context as _};
use bytes::Bytes;
use clap::{Args as ClapArgs, Parser, Subcommand};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{HeaderName, HeaderValue, CONTENT_TYPE, HOST};
use hyper::{Method, Request, Uri};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio::net::TcpStream;

mod report;

#[derive(Parser, Debug)]
#[command(about = "Keep-alive HTTP/1.1 load client for ccproxy benchmarks")]
struct Cli {
    #[command(subcommand)]
    mode: Mode,
}

#[derive(Subcommand, Debug)]
enum Mode {
    /// Concurrency 1, sequential requests, latency percentiles.
    Latency {
        #[command(flatten)]
        target: TargetArgs,
        /// Measured requests.
        #[arg(long, short = 'n', default_value_t = 5000)]
        requests: usize,
        /// Warm-up requests (not measured).
        #[arg(long, default_value_t = 500)]
        warmup: usize,
    },
    /// C connections for D seconds: requests/s and errors.
    Throughput {
        #[command(flatten)]
        target: TargetArgs,
        /// Connections.
        #[arg(long, short = 'c', default_value_t = 32)]
        connections: usize,
        /// Measured seconds.
        #[arg(long, short = 'd', default_value_t = 5.0)]
        duration: f64,
        /// Warm-up seconds (requests run but are not counted).
        #[arg(long, default_value_t = 1.0)]
        warmup_secs: f64,
    },
    /// Streaming: time to first SSE event and inter-event times.
    Ttfe {
        #[command(flatten)]
        target: TargetArgs,
        /// Measured streams.
        #[arg(long, short = 'n', default_value_t = 500)]
        requests: usize,
        /// Warm-up streams.
        #[arg(long, default_value_t = 50)]
        warmup: usize,
    },
    /// Spawn a server, time start to first answered request, leave it running.
    Startup {
        #[command(flatten)]
        target: TargetArgs,
        /// Give up after this many milliseconds.
        #[arg(long, default_value_t = 5000)]
        timeout_ms: u64,
        /// File that receives the server's stdout and stderr.
        #[arg(long)]
        log: Option<PathBuf>,
        /// The server command and its arguments.
        #[arg(last = true, required = true)]
        command: Vec<String>,
    },
    /// Summarise a run's JSON lines against the budget.
    Report {
        /// JSON-lines file written by run.sh.
        file: PathBuf,
        /// Exit 1 when a ccproxy figure is past budget × factor.
        #[arg(long)]
        check: bool,
        /// Multiplier on the budget for --check (5 = gross regressions only).
        #[arg(long, default_value_t = 5.0)]
        factor: f64,
        /// Target whose figures are checked.
        #[arg(long, default_value = "ccproxy")]
        checked: String,
    },
}

#[derive(ClapArgs, Debug, Clone)]
struct TargetArgs {
    /// Full URL, e.g. http://127.0.0.1:8080/v1/messages.
    #[arg(long)]
    url: String,
    /// Request body file (POST); without it a GET is sent.
    #[arg(long)]
    body: Option<PathBuf>,
    /// Extra header, "name: value"; repeatable.
    #[arg(long = "header", short = 'H')]
    headers: Vec<String>,
    /// Scenario label copied into the JSON output.
    #[arg(long, default_value = "")]
    label: String,
    /// Target name copied into the JSON output (direct, ccproxy, litellm, ...).
    #[arg(long, default_value = "")]
    target: String,
}

/// A parsed request template, cheap to clone per request.
#[derive(Clone)]
struct Target {
    host: String,
    port: u16,
    path: String,
    authority: HeaderValue,
    method: Method,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Bytes,
    label: String,
    target: String,
}

impl Target {
    fn from_args(a: &TargetArgs) -> anyhow::Result<Self> {
        let uri: Uri = a
            .url
            .parse()
            .with_context(|| format!("bad URL {}", a.url))?;
        if uri.scheme_str() != Some("http") {
            bail!("only http:// URLs are supported: {}", a.url);
        }
        let host = uri.host().context("URL has no host")?.to_owned();
        let port = uri.port_u16().unwrap_or(80);
        let path = uri
            .path_and_query()
            .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
        let body = match &a.body {
            Some(p) => Bytes::from(
                std::fs::read(p).with_context(|| format!("reading body {}", p.display()))?,
            ),
            None => Bytes::new(),
        };
        let mut headers = Vec::new();
        for h in &a.headers {
            let (name, value) = h
                .split_once(':')
                .ok_or_else(|| anyhow!("header must be 'name: value': {h}"))?;
            headers.push((
                HeaderName::from_bytes(name.trim().as_bytes())?,
                HeaderValue::from_str(value.trim())?,
            ));
        }
        Ok(Self {
            authority: HeaderValue::from_str(&format!("{host}:{port}"))?,
            host,
            port,
            path,
            method: if a.body.is_some() {
                Method::POST
            } else {
                Method::GET
            },
            headers,
            body,
            label: a.label.clone(),
            target: a.target.clone(),
        })
    }

    fn request(&self) -> anyhow::Result<Request<Full<Bytes>>> {
        let mut b = Request::builder()
            .method(self.method.clone())
            .uri(self.path.as_str())
            .header(HOST, self.authority.clone());
        if self.method == Method::POST {
            b = b.header(CONTENT_TYPE, "application/json");
        }
        for (k, v) in &self.headers {
            b = b.header(k, v);
        }
        Ok(b.body(Full::new(self.body.clone()))?)
    }

    async fn connect(&self) -> anyhow::Result<SendRequest<Full<Bytes>>> {
        let stream = TcpStream::connect((self.host.as_str(), self.port)).await?;
        stream.set_nodelay(true)?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            // The connection ends when the sender is dropped or the peer closes.
            let _ = conn.await;
        });
        Ok(sender)
    }
}

/// One request on a kept-alive connection; returns the time to the last byte.
async fn one_request(
    sender: &mut SendRequest<Full<Bytes>>,
    t: &Target,
) -> anyhow::Result<Duration> {
    let req = t.request()?;
    sender.ready().await?;
    let start = Instant::now();
    let resp = sender.send_request(req).await?;
    let status = resp.status();
    let body = resp.into_body().collect().await?;
    let elapsed = start.elapsed();
    if !status.is_success() {
        let text = body.to_bytes();
        let snippet = String::from_utf8_lossy(&text[..text.len().min(200)]).into_owned();
        bail!("status {status}: {snippet}");
    }
    Ok(elapsed)
}

/// Percentile (nearest rank) of sorted nanosecond samples, in microseconds.
fn pct_us(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    let idx = rank.clamp(1, sorted.len()) - 1;
    sorted[idx] as f64 / 1000.0
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn summary(sorted: &[u64]) -> Value {
    let mean = if sorted.is_empty() {
        f64::NAN
    } else {
        sorted.iter().sum::<u64>() as f64 / sorted.len() as f64 / 1000.0
    };
    json!({
        "min_us": round1(pct_us(sorted, 0.0)),
        "p50_us": round1(pct_us(sorted, 50.0)),
        "p90_us": round1(pct_us(sorted, 90.0)),
        "p99_us": round1(pct_us(sorted, 99.0)),
        "max_us": round1(pct_us(sorted, 100.0)),
        "mean_us": round1(mean),
    })
}

fn emit(mut v: Value, t: &Target, mode: &str) {
    if let Some(obj) = v.as_object_mut() {
        obj.insert("mode".into(), json!(mode));
        obj.insert("label".into(), json!(t.label));
        obj.insert("target".into(), json!(t.target));
    }
    println!("{v}");
}

async fn run_latency(t: Target, requests: usize, warmup: usize) -> anyhow::Result<()> {
    let mut sender = t.connect().await?;
    let mut samples = Vec::with_capacity(requests);
    let mut errors = 0usize;
    let mut first_error = None;
    for i in 0..warmup + requests {
        match one_request(&mut sender, &t).await {
            Ok(d) if i >= warmup => samples.push(d.as_nanos() as u64),
            Ok(_) => {}
            Err(e) => {
                errors += 1;
                first_error.get_or_insert_with(|| format!("{e:#}"));
                if errors > 50 && samples.is_empty() {
                    bail!("{}: too many errors: {}", t.target, e);
                }
                sender = reconnect(&t).await?;
            }
        }
    }
    samples.sort_unstable();
    let mut v = summary(&samples);
    v["n"] = json!(samples.len());
    v["errors"] = json!(errors);
    if let Some(e) = first_error {
        v["first_error"] = json!(e);
    }
    eprintln!(
        "{:<10} {:<14} latency  n={} p50={}µs p90={}µs p99={}µs max={}µs errors={}",
        t.target,
        t.label,
        samples.len(),
        v["p50_us"],
        v["p90_us"],
        v["p99_us"],
        v["max_us"],
        errors
    );
    emit(v, &t, "latency");
    Ok(())
}

async fn reconnect(t: &Target) -> anyhow::Result<SendRequest<Full<Bytes>>> {
    let mut last = None;
    for _ in 0..100 {
        match t.connect().await {
            Ok(s) => return Ok(s),
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Err(last.unwrap_or_else(|| anyhow!("reconnect failed")))
}

#[derive(Default)]
struct WorkerResult {
    ok: usize,
    errors: usize,
    first_error: Option<String>,
    samples: Vec<u64>,
}

async fn throughput_worker(t: Target, measure_from: Instant, end: Instant) -> WorkerResult {
    let mut r = WorkerResult::default();
    let mut sender = None;
    while Instant::now() < end {
        let s = match sender.as_mut() {
            Some(s) => s,
            None => match t.connect().await {
                Ok(s) => sender.insert(s),
                Err(e) => {
                    if Instant::now() >= measure_from {
                        r.errors += 1;
                    }
                    r.first_error
                        .get_or_insert_with(|| format!("connect: {e:#}"));
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    continue;
                }
            },
        };
        let res = one_request(s, &t).await;
        let done = Instant::now();
        let counted = done >= measure_from && done <= end;
        match res {
            Ok(d) => {
                if counted {
                    r.ok += 1;
                    r.samples.push(d.as_nanos() as u64);
                }
            }
            Err(e) => {
                if counted {
                    r.errors += 1;
                }
                r.first_error.get_or_insert_with(|| format!("{e:#}"));
                sender = None;
            }
        }
    }
    r
}

async fn run_throughput(
    t: Target,
    connections: usize,
    duration: f64,
    warmup: f64,
) -> anyhow::Result<()> {
    let start = Instant::now();
    let measure_from = start + Duration::from_secs_f64(warmup);
    let end = measure_from + Duration::from_secs_f64(duration);
    let handles: Vec<_> = (0..connections)
        .map(|_| tokio::spawn(throughput_worker(t.clone(), measure_from, end)))
        .collect();
    let mut total = WorkerResult::default();
    for h in handles {
        let r = h.await?;
        total.ok += r.ok;
        total.errors += r.errors;
        if total.first_error.is_none() {
            total.first_error = r.first_error;
        }
        total.samples.extend(r.samples);
    }
    total.samples.sort_unstable();
    let rps = total.ok as f64 / duration;
    let mut v = summary(&total.samples);
    v["connections"] = json!(connections);
    v["duration_s"] = json!(duration);
    v["requests"] = json!(total.ok);
    v["errors"] = json!(total.errors);
    v["rps"] = json!(rps.round());
    if let Some(e) = total.first_error {
        v["first_error"] = json!(e);
    }
    eprintln!(
        "{:<10} {:<14} throughput c={} {:.0} req/s errors={} p50={}µs p99={}µs",
        t.target, t.label, connections, rps, total.errors, v["p50_us"], v["p99_us"]
    );
    emit(v, &t, "throughput");
    Ok(())
}

/// Timings of one SSE stream, in nanoseconds from the request being sent.
struct StreamTiming {
    headers: u64,
    first_event: u64,
    last_byte: u64,
    /// Completion time of each event (blank line after at least one field).
    events: Vec<u64>,
    complete: bool,
}

async fn one_stream(
    sender: &mut SendRequest<Full<Bytes>>,
    t: &Target,
) -> anyhow::Result<StreamTiming> {
    let req = t.request()?;
    sender.ready().await?;
    let start = Instant::now();
    let resp = sender.send_request(req).await?;
    let headers = start.elapsed().as_nanos() as u64;
    let status = resp.status();
    let mut body = resp.into_body();
    let mut buf: Vec<u8> = Vec::with_capacity(16 * 1024);
    let mut scan = 0usize; // start of the first line not yet scanned
    let mut first_event = None;
    let mut in_event = false;
    let mut events = Vec::new();
    let mut complete = false;
    while let Some(frame) = body.frame().await {
        let frame = frame?;
        let Some(data) = frame.data_ref() else {
            continue;
        };
        let now = start.elapsed().as_nanos() as u64;
        buf.extend_from_slice(data);
        while let Some(nl) = memchr::memchr(b'\n', &buf[scan..]) {
            let line = &buf[scan..scan + nl];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.is_empty() {
                if in_event {
                    events.push(now);
                    in_event = false;
                }
            } else if line.starts_with(b"data:") || line.starts_with(b"event:") {
                first_event.get_or_insert(now);
                in_event = true;
                if line.starts_with(b"data: [DONE]") || line == b"event: message_stop" {
                    complete = true;
                }
            }
            scan += nl + 1;
        }
    }
    let last_byte = start.elapsed().as_nanos() as u64;
    if !status.is_success() {
        let snippet = String::from_utf8_lossy(&buf[..buf.len().min(200)]).into_owned();
        bail!("status {status}: {snippet}");
    }
    Ok(StreamTiming {
        headers,
        first_event: first_event.ok_or_else(|| anyhow!("stream had no event"))?,
        last_byte,
        events,
        complete,
    })
}

async fn run_ttfe(t: Target, requests: usize, warmup: usize) -> anyhow::Result<()> {
    let mut sender = t.connect().await?;
    let mut ttfe = Vec::with_capacity(requests);
    let mut hdr = Vec::with_capacity(requests);
    let mut ttlb = Vec::with_capacity(requests);
    let mut gaps = Vec::new();
    let mut per_event = Vec::with_capacity(requests);
    let mut events_total = 0usize;
    let mut errors = 0usize;
    let mut incomplete = 0usize;
    let mut first_error = None;
    for i in 0..warmup + requests {
        match one_stream(&mut sender, &t).await {
            Ok(s) if i >= warmup => {
                ttfe.push(s.first_event);
                hdr.push(s.headers);
                ttlb.push(s.last_byte);
                events_total += s.events.len();
                if !s.complete {
                    incomplete += 1;
                }
                for w in s.events.windows(2) {
                    gaps.push(w[1] - w[0]);
                }
                if let (Some(first), Some(last)) = (s.events.first(), s.events.last()) {
                    if s.events.len() > 1 {
                        per_event.push((last - first) / (s.events.len() as u64 - 1));
                    }
                }
            }
            Ok(_) => {}
            Err(e) => {
                errors += 1;
                first_error.get_or_insert_with(|| format!("{e:#}"));
                if errors > 50 && ttfe.is_empty() {
                    bail!("{}: too many errors: {}", t.target, e);
                }
                sender = reconnect(&t).await?;
            }
        }
    }
    for v in [&mut ttfe, &mut hdr, &mut ttlb, &mut gaps, &mut per_event] {
        v.sort_unstable();
    }
    let n = ttfe.len();
    let v = json!({
        "n": n,
        "errors": errors,
        "incomplete": incomplete,
        "events_per_stream": if n > 0 { round1(events_total as f64 / n as f64) } else { f64::NAN },
        "ttfe": summary(&ttfe),
        "headers": summary(&hdr),
        "ttlb": summary(&ttlb),
        "gap": summary(&gaps),
        "per_event": summary(&per_event),
        "first_error": first_error,
    });
    eprintln!(
        "{:<10} {:<14} ttfe     n={} first-event p50={}µs p99={}µs | last byte p50={}µs | gap p50={}µs p99={}µs | {} events/stream errors={} incomplete={}",
        t.target, t.label, n, v["ttfe"]["p50_us"], v["ttfe"]["p99_us"], v["ttlb"]["p50_us"],
        v["gap"]["p50_us"], v["gap"]["p99_us"], v["events_per_stream"], errors, incomplete
    );
    emit(v, &t, "ttfe");
    Ok(())
}

async fn run_startup(
    t: Target,
    timeout: Duration,
    log: Option<PathBuf>,
    command: Vec<String>,
) -> anyhow::Result<()> {
    let (prog, args) = command.split_first().context("empty command")?;
    let mut cmd = Command::new(prog);
    cmd.args(args).stdin(Stdio::null());
    if let Some(path) = &log {
        let f = std::fs::File::create(path)?;
        cmd.stdout(f.try_clone()?).stderr(f);
    } else {
        cmd.stdout(Stdio::null()).stderr(Stdio::null());
    }
    let start = Instant::now();
    let mut child = cmd.spawn().with_context(|| format!("spawning {prog}"))?;
    let pid = child.id();
    let deadline = start + timeout;
    let mut attempts = 0usize;
    let mut last_error = String::new();
    loop {
        if let Some(status) = child.try_wait()? {
            let v = json!({"ok": false, "pid": pid, "error": format!("server exited: {status}")});
            emit(v, &t, "startup");
            bail!("{}: server exited before answering: {status}", t.target);
        }
        if Instant::now() > deadline {
            // Kill what we started so that no stray server is left behind.
            let _ = child.kill();
            let _ = child.wait();
            let v = json!({"ok": false, "pid": pid, "error": last_error, "attempts": attempts});
            emit(v, &t, "startup");
            bail!("{}: no answer within {:?}: {last_error}", t.target, timeout);
        }
        attempts += 1;
        match t.connect().await {
            Ok(mut s) => match one_request(&mut s, &t).await {
                Ok(_) => break,
                Err(e) => last_error = format!("{e:#}"),
            },
            Err(e) => last_error = format!("{e:#}"),
        }
        tokio::time::sleep(Duration::from_micros(500)).await;
    }
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    eprintln!(
        "{:<10} {:<14} startup  {:.1} ms to first answered request (pid {pid})",
        t.target, t.label, ms
    );
    emit(
        json!({"ok": true, "pid": pid, "ms": round1(ms), "attempts": attempts}),
        &t,
        "startup",
    );
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Mode::Report {
        file,
        check,
        factor,
        checked,
    } = &cli.mode
    {
        return report::report(file, *check, *factor, checked);
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        match cli.mode {
            Mode::Latency {
                target,
                requests,
                warmup,
            } => run_latency(Target::from_args(&target)?, requests, warmup).await,
            Mode::Throughput {
                target,
                connections,
                duration,
                warmup_secs,
            } => {
                run_throughput(
                    Target::from_args(&target)?,
                    connections,
                    duration,
                    warmup_secs,
                )
                .await
            }
            Mode::Ttfe {
                target,
                requests,
                warmup,
            } => run_ttfe(Target::from_args(&target)?, requests, warmup).await,
            Mode::Startup {
                target,
                timeout_ms,
                log,
                command,
            } => {
                run_startup(
                    Target::from_args(&target)?,
                    Duration::from_millis(timeout_ms),
                    log,
                    command,
                )
                .await
            }
            Mode::Report { .. } => Ok(()),
        }
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_nearest_rank() {
        let v: Vec<u64> = (1..=100).map(|x| x * 1000).collect();
        assert_eq!(pct_us(&v, 50.0), 50.0);
        assert_eq!(pct_us(&v, 99.0), 99.0);
        assert_eq!(pct_us(&v, 100.0), 100.0);
        assert_eq!(pct_us(&v, 0.0), 1.0);
    }
}
