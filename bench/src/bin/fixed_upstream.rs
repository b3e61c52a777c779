//! `fixed-upstream`: a tiny, fast OpenAI-compatible server with fixed answers.
//!
//! It is the upstream that ccproxy (and its peers) are benchmarked against, so it
//! must cost as little as possible per request:
//!
//! - `POST …/chat/completions` answers a fixed, valid `ChatCompletion` JSON, or,
//!   when the request body contains `"stream": true`, an SSE stream of `--chunks`
//!   content chunks, then a finish chunk, a usage chunk and `data: [DONE]`.
//!   Every answer is prebuilt at start-up; the body is only scanned (with
//!   `memchr`) for the `"stream"` key, never parsed as JSON.
//! - `POST …/v1/messages` (non-streaming) answers a fixed Anthropic message, to measure
//!   ccproxy's Anthropic pass-through against its translating path.
//! - `GET …/models` answers a fixed model list.
//! - `GET /stats` answers the number of completions served, so a benchmark can
//!   check that a proxy really forwarded its requests.
//!
//! `--chunk-delay-us` spaces the SSE chunks out in time (the first chunk is sent
//! at once), to measure per-event overhead of a proxy on a long stream.
//!
//! The chosen address (`127.0.0.1:PORT`) is printed as the first line on stdout.
//! Every accepted socket gets `TCP_NODELAY`.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use anyhow::Context as _;
use bytes::Bytes;
use clap::Parser;
use http_body_util::{BodyExt, Either, Full};
use hyper::body::{Body, Frame, Incoming};
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::time::{Instant, Sleep};

/// Command-line options.
#[derive(Parser, Debug)]
#[command(about = "Fixed-answer OpenAI-compatible upstream for benchmarks")]
struct Args {
    /// Port to listen on; 0 picks a free one (printed on stdout).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Number of content chunks in a streamed answer.
    #[arg(long, default_value_t = 20)]
    chunks: usize,
    /// Delay between streamed chunks, in microseconds (0 = send all at once).
    #[arg(long, default_value_t = 0)]
    chunk_delay_us: u64,
    /// Worker threads (1 = a current-thread runtime, the cheapest on one core).
    #[arg(long, default_value_t = 1)]
    threads: usize,
}

/// Prebuilt answers shared by all connections.
struct Answers {
    completion: Bytes,
    message: Bytes,
    models: Bytes,
    /// SSE frames, one per event, each ending in a blank line.
    sse_frames: Arc<[Bytes]>,
    /// All SSE frames concatenated, for the no-delay case.
    sse_all: Bytes,
    chunk_delay: Option<Duration>,
    served: AtomicU64,
}

const ID: &str = "chatcmpl-bench0000000000000001";
const MODEL: &str = "bench-model";
const CREATED: u64 = 1_700_000_000;

fn completion_json() -> String {
    format!(
        concat!(
            r#"{{"id":"{id}","object":"chat.completion","created":{created},"model":"{model}","#,
            r#""system_fingerprint":"fp_bench","choices":[{{"index":0,"message":{{"role":"assistant","#,
            r#""content":"Hello! This is a fixed answer from the benchmark upstream.","refusal":null}},"#,
            r#""logprobs":null,"finish_reason":"stop"}}],"usage":{{"prompt_tokens":42,"completion_tokens":12,"#,
            r#""total_tokens":54}}}}"#
        ),
        id = ID,
        created = CREATED,
        model = MODEL
    )
}

fn message_json() -> String {
    format!(
        concat!(
            r#"{{"id":"msg_bench0000000000000001","type":"message","role":"assistant","#,
            r#""content":[{{"type":"text","text":"Hello! This is a fixed answer from the benchmark upstream."}}],"#,
            r#""model":"{MODEL}","stop_reason":"end_turn","stop_sequence":null,"#,
            r#""usage":{{"input_tokens":42,"output_tokens":12}}}}"#
        ),
        MODEL = MODEL
    )
}

fn models_json() -> String {
    format!(
        r#"{{"object":"list","data":[{{"id":"{MODEL}","object":"model","created":{CREATED},"owned_by":"bench"}}]}}"#
    )
}

fn chunk_frame(delta: &str, finish: Option<&str>) -> Bytes {
    let finish = finish.map_or_else(|| "null".to_owned(), |f| format!("\"{f}\""));
    Bytes::from(format!(
        concat!(
            r#"data: {{"id":"{id}","object":"chat.completion.chunk","created":{created},"model":"{model}","#,
            r#""system_fingerprint":"fp_bench","choices":[{{"index":0,"delta":{delta},"logprobs":null,"#,
            r#""finish_reason":{finish}}}]}}"#,
            "\n\n"
        ),
        id = ID,
        created = CREATED,
        model = MODEL,
        delta = delta,
        finish = finish
    ))
}

fn sse_frames(chunks: usize) -> Vec<Bytes> {
    let mut frames = Vec::with_capacity(chunks + 3);
    for i in 0..chunks {
        let delta = if i == 0 {
            r#"{"role":"assistant","content":"tok0 "}"#.to_owned()
        } else {
            format!(r#"{{"content":"tok{i} "}}"#)
        };
        frames.push(chunk_frame(&delta, None));
    }
    frames.push(chunk_frame("{}", Some("stop")));
    frames.push(Bytes::from(format!(
        concat!(
            r#"data: {{"id":"{id}","object":"chat.completion.chunk","created":{created},"model":"{model}","#,
            r#""system_fingerprint":"fp_bench","choices":[],"usage":{{"prompt_tokens":42,"#,
            r#""completion_tokens":{n},"total_tokens":{t}}}}}"#,
            "\n\n"
        ),
        id = ID,
        created = CREATED,
        model = MODEL,
        n = chunks,
        t = 42 + chunks
    )));
    frames.push(Bytes::from_static(b"data: [DONE]\n\n"));
    frames
}

/// True when the JSON body has a `"stream"` key whose value is `true`.
///
/// `"stream"` followed by a colon can only be an object key (inside JSON strings
/// quotes are escaped), so this scan is exact for keys; a nested key named
/// `stream` set to `true` would also match, which no benchmark body has.
fn wants_stream(body: &[u8]) -> bool {
    for pos in memchr::memmem::find_iter(body, b"\"stream\"") {
        let rest = &body[pos + 8..];
        let rest = skip_ws(rest);
        if let Some(rest) = rest.strip_prefix(b":") {
            if skip_ws(rest).starts_with(b"true") {
                return true;
            }
        }
    }
    false
}

fn skip_ws(s: &[u8]) -> &[u8] {
    let n = s
        .iter()
        .take_while(|b| matches!(b, b' ' | b'\n' | b'\r' | b'\t'))
        .count();
    &s[n..]
}

/// A streamed SSE body that sends one prebuilt frame per `delay`.
///
/// Frame `i` is due at `start + i × delay` (not `delay` after the previous one), so
/// the stream's average rate is exact even though tokio's timer ticks in whole
/// milliseconds; single gaps jitter by up to a tick.
struct DelayedSse {
    frames: Arc<[Bytes]>,
    next: usize,
    delay: Duration,
    start: Instant,
    sleep: Option<Pin<Box<Sleep>>>,
}

impl Body for DelayedSse {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = &mut *self;
        if this.next >= this.frames.len() {
            return Poll::Ready(None);
        }
        if this.next > 0 {
            let due = this.start + this.delay * this.next as u32;
            let sleep = this
                .sleep
                .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(due)));
            if sleep.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            this.sleep = None;
        }
        let frame = this.frames[this.next].clone();
        this.next += 1;
        Poll::Ready(Some(Ok(Frame::data(frame))))
    }

    fn is_end_stream(&self) -> bool {
        self.next >= self.frames.len()
    }
}

type RespBody = Either<Full<Bytes>, DelayedSse>;

fn full(status: StatusCode, content_type: &'static str, body: Bytes) -> Response<RespBody> {
    let mut resp = Response::new(Either::Left(Full::new(body)));
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    resp
}

async fn handle(
    req: Request<Incoming>,
    answers: Arc<Answers>,
) -> Result<Response<RespBody>, hyper::Error> {
    let path = req.uri().path();
    if req.method() == Method::POST && path.ends_with("/chat/completions") {
        let body = req.into_body().collect().await?.to_bytes();
        answers.served.fetch_add(1, Ordering::Relaxed);
        if !wants_stream(&body) {
            return Ok(full(
                StatusCode::OK,
                "application/json",
                answers.completion.clone(),
            ));
        }
        let mut resp = match answers.chunk_delay {
            None => Response::new(Either::Left(Full::new(answers.sse_all.clone()))),
            Some(delay) => Response::new(Either::Right(DelayedSse {
                frames: answers.sse_frames.clone(),
                next: 0,
                delay,
                start: Instant::now(),
                sleep: None,
            })),
        };
        resp.headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
        resp.headers_mut()
            .insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        return Ok(resp);
    }
    if req.method() == Method::POST && path.ends_with("/v1/messages") {
        req.into_body().collect().await?;
        answers.served.fetch_add(1, Ordering::Relaxed);
        return Ok(full(
            StatusCode::OK,
            "application/json",
            answers.message.clone(),
        ));
    }
    if req.method() == Method::GET && path.ends_with("/models") {
        return Ok(full(
            StatusCode::OK,
            "application/json",
            answers.models.clone(),
        ));
    }
    if req.method() == Method::GET && path == "/stats" {
        let served = answers.served.load(Ordering::Relaxed);
        return Ok(full(
            StatusCode::OK,
            "application/json",
            Bytes::from(format!(r#"{{"served":{served}}}"#)),
        ));
    }
    // Unknown routes are rare and worth seeing (a peer calling another endpoint).
    eprintln!("fixed-upstream: 404 for {} {}", req.method(), req.uri());
    Ok(full(
        StatusCode::NOT_FOUND,
        "application/json",
        Bytes::from_static(br#"{"error":{"message":"not found","type":"invalid_request_error"}}"#),
    ))
}

async fn serve(listener: TcpListener, answers: Arc<Answers>) -> anyhow::Result<()> {
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(conn) => conn,
            Err(e) => {
                eprintln!("fixed-upstream: accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(1)).await;
                continue;
            }
        };
        // Nagle would add up to 40 ms to streamed chunks.
        if let Err(e) = stream.set_nodelay(true) {
            eprintln!("fixed-upstream: set_nodelay failed: {e}");
        }
        let answers = answers.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req| handle(req, answers.clone()));
            // Connection errors (client hung up) are expected under load; ignore.
            let _ = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let frames = sse_frames(args.chunks);
    let sse_all: Vec<u8> = frames.iter().flat_map(|f| f.iter().copied()).collect();
    let answers = Arc::new(Answers {
        completion: Bytes::from(completion_json()),
        message: Bytes::from(message_json()),
        models: Bytes::from(models_json()),
        sse_frames: frames.into(),
        sse_all: Bytes::from(sse_all),
        chunk_delay: (args.chunk_delay_us > 0).then(|| Duration::from_micros(args.chunk_delay_us)),
        served: AtomicU64::new(0),
    });

    let runtime = if args.threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(args.threads)
            .enable_all()
            .build()?
    };
    runtime.block_on(async move {
        let addr: SocketAddr = format!("{}:{}", args.host, args.port)
            .parse()
            .context("bad --host/--port")?;
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("binding {addr}"))?;
        let local = listener.local_addr()?;
        {
            use std::io::Write as _;
            let mut out = std::io::stdout().lock();
            writeln!(out, "{local}")?;
            out.flush()?;
        }
        serve(listener, answers).await
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn detects_stream_key() {
        assert!(wants_stream(br#"{"model":"m","stream":true}"#));
        assert!(wants_stream(b"{\"stream\" :\n true}"));
        assert!(!wants_stream(br#"{"model":"m","stream":false}"#));
        assert!(!wants_stream(br#"{"content":"say \"stream\": true"}"#));
        assert!(!wants_stream(br#"{"model":"m"}"#));
    }

    #[test]
    fn answers_are_valid_json() {
        let c: serde_json::Value = serde_json::from_str(&completion_json()).unwrap();
        assert_eq!(c["choices"][0]["finish_reason"], "stop");
        let m: serde_json::Value = serde_json::from_str(&models_json()).unwrap();
        assert_eq!(m["data"][0]["id"], MODEL);
        let frames = sse_frames(3);
        assert_eq!(frames.len(), 6);
        for f in &frames[..frames.len() - 1] {
            let s = std::str::from_utf8(f).unwrap();
            let json = s.strip_prefix("data: ").unwrap().trim_end();
            let _: serde_json::Value = serde_json::from_str(json).unwrap();
        }
    }
}
