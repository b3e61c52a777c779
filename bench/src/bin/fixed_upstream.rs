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
//! - `POST …/responses` answers the same text as OpenAI's Responses API documents it
//!   (platform.openai.com/docs/api-reference/responses): a `response` object with one
//!   `message` output item and usage, or, with `"stream": true`, the event stream
//!   `response.created`, `response.in_progress`, `response.output_item.added`,
//!   `response.content_part.added`, one `response.output_text.delta` per chunk,
//!   `response.output_text.done`, `response.content_part.done`,
//!   `response.output_item.done`, `response.completed`, each as `event:` and `data:` lines.
//!   It measures ccproxy's Responses path beside its Chat Completions path.
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
#[command(
    about = "Fixed-answer OpenAI-compatible (Chat Completions and Responses) upstream for benchmarks"
)]
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

/// A prebuilt SSE answer.
struct Sse {
    /// One frame per event, each ending in a blank line.
    frames: Arc<[Bytes]>,
    /// All frames concatenated, for the no-delay case.
    all: Bytes,
}

impl Sse {
    fn new(frames: Vec<Bytes>) -> Self {
        let all: Vec<u8> = frames.iter().flat_map(|f| f.iter().copied()).collect();
        Self {
            frames: frames.into(),
            all: Bytes::from(all),
        }
    }
}

/// Prebuilt answers shared by all connections.
struct Answers {
    completion: Bytes,
    response: Bytes,
    message: Bytes,
    models: Bytes,
    chat_sse: Sse,
    responses_sse: Sse,
    chunk_delay: Option<Duration>,
    served: AtomicU64,
}

const ID: &str = "chatcmpl-bench0000000000000001";
const MODEL: &str = "bench-model";
const CREATED: u64 = 1_700_000_000;
const RESP_ID: &str = "resp_bench0000000000000001";
const ITEM_ID: &str = "msg_bench0000000000000001";
const TEXT: &str = "Hello! This is a fixed answer from the benchmark upstream.";

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

/// A Responses API `response` object: `status`, `output` and `usage` as given.
fn response_object(status: &str, output: &str, usage: &str) -> String {
    format!(
        concat!(
            r#"{{"id":"{RESP_ID}","object":"response","created_at":{CREATED},"status":"{status}","#,
            r#""error":null,"incomplete_details":null,"instructions":null,"max_output_tokens":null,"#,
            r#""model":"{MODEL}","output":{output},"parallel_tool_calls":true,"#,
            r#""previous_response_id":null,"store":false,"temperature":1.0,"tool_choice":"auto","#,
            r#""tools":[],"top_p":1.0,"truncation":"disabled","usage":{usage}}}"#
        ),
        RESP_ID = RESP_ID,
        CREATED = CREATED,
        MODEL = MODEL,
        status = status,
        output = output,
        usage = usage
    )
}

fn output_text_part(text: &str) -> String {
    format!(r#"{{"type":"output_text","text":"{text}","annotations":[],"logprobs":[]}}"#)
}

fn message_item(status: &str, content: &str) -> String {
    format!(
        r#"{{"id":"{ITEM_ID}","type":"message","status":"{status}","role":"assistant","content":[{content}]}}"#
    )
}

fn responses_usage(output_tokens: usize) -> String {
    format!(
        concat!(
            r#"{{"input_tokens":42,"input_tokens_details":{{"cached_tokens":0}},"#,
            r#""output_tokens":{n},"output_tokens_details":{{"reasoning_tokens":0}},"#,
            r#""total_tokens":{t}}}"#
        ),
        n = output_tokens,
        t = 42 + output_tokens
    )
}

/// The non-streamed Responses answer.
fn response_json() -> String {
    let item = message_item("completed", &output_text_part(TEXT));
    response_object("completed", &format!("[{item}]"), &responses_usage(12))
}

/// One Responses stream event: `event: TYPE`, then `data:` with `type` and
/// `sequence_number` first and `rest` (more JSON members) after them.
fn response_event(kind: &str, seq: usize, rest: &str) -> Bytes {
    Bytes::from(format!(
        "event: {kind}\ndata: {{\"type\":\"{kind}\",\"sequence_number\":{seq},{rest}}}\n\n"
    ))
}

/// The streamed Responses answer with `chunks` text deltas.
fn responses_frames(chunks: usize) -> Vec<Bytes> {
    let text: String = (0..chunks).map(|i| format!("tok{i} ")).collect();
    let at = format!(r#""item_id":"{ITEM_ID}","output_index":0,"content_index":0"#);
    let started = response_object("in_progress", "[]", "null");
    let mut events: Vec<(&str, String)> = vec![
        ("response.created", format!(r#""response":{started}"#)),
        ("response.in_progress", format!(r#""response":{started}"#)),
        (
            "response.output_item.added",
            format!(
                r#""output_index":0,"item":{}"#,
                message_item("in_progress", "")
            ),
        ),
        (
            "response.content_part.added",
            format!(r#"{at},"part":{}"#, output_text_part("")),
        ),
    ];
    for i in 0..chunks {
        events.push((
            "response.output_text.delta",
            format!(r#"{at},"delta":"tok{i} ","logprobs":[]"#),
        ));
    }
    let item = message_item("completed", &output_text_part(&text));
    let done = response_object("completed", &format!("[{item}]"), &responses_usage(chunks));
    events.extend([
        (
            "response.output_text.done",
            format!(r#"{at},"text":"{text}","logprobs":[]"#),
        ),
        (
            "response.content_part.done",
            format!(r#"{at},"part":{}"#, output_text_part(&text)),
        ),
        (
            "response.output_item.done",
            format!(r#""output_index":0,"item":{item}"#),
        ),
        ("response.completed", format!(r#""response":{done}"#)),
    ]);
    events
        .iter()
        .enumerate()
        .map(|(seq, (kind, rest))| response_event(kind, seq, rest))
        .collect()
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

fn streamed(sse: &Sse, chunk_delay: Option<Duration>) -> Response<RespBody> {
    let mut resp = match chunk_delay {
        None => Response::new(Either::Left(Full::new(sse.all.clone()))),
        Some(delay) => Response::new(Either::Right(DelayedSse {
            frames: sse.frames.clone(),
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
    resp
}

async fn handle(
    req: Request<Incoming>,
    answers: Arc<Answers>,
) -> Result<Response<RespBody>, hyper::Error> {
    let path = req.uri().path();
    let post = req.method() == Method::POST;
    let chat = post && path.ends_with("/chat/completions");
    if chat || (post && path.ends_with("/responses")) {
        let body = req.into_body().collect().await?.to_bytes();
        answers.served.fetch_add(1, Ordering::Relaxed);
        let (json, sse) = if chat {
            (&answers.completion, &answers.chat_sse)
        } else {
            (&answers.response, &answers.responses_sse)
        };
        if !wants_stream(&body) {
            return Ok(full(StatusCode::OK, "application/json", json.clone()));
        }
        return Ok(streamed(sse, answers.chunk_delay));
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
    let answers = Arc::new(Answers {
        completion: Bytes::from(completion_json()),
        response: Bytes::from(response_json()),
        message: Bytes::from(message_json()),
        models: Bytes::from(models_json()),
        chat_sse: Sse::new(sse_frames(args.chunks)),
        responses_sse: Sse::new(responses_frames(args.chunks)),
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

    #[test]
    fn responses_answers_follow_the_documented_shapes() {
        let r: serde_json::Value = serde_json::from_str(&response_json()).unwrap();
        assert_eq!(r["object"], "response");
        assert_eq!(r["output"][0]["content"][0]["text"], TEXT);
        assert_eq!(r["usage"]["total_tokens"], 54);
        let frames = responses_frames(3);
        let mut kinds = Vec::new();
        for (seq, f) in frames.iter().enumerate() {
            let s = std::str::from_utf8(f).unwrap();
            let (event, data) = s.trim_end().split_once('\n').unwrap();
            let kind = event.strip_prefix("event: ").unwrap();
            let v: serde_json::Value =
                serde_json::from_str(data.strip_prefix("data: ").unwrap()).unwrap();
            assert_eq!(v["type"], kind);
            assert_eq!(v["sequence_number"], seq);
            kinds.push(kind.to_owned());
        }
        assert_eq!(kinds.len(), 3 + 8);
        assert_eq!(kinds[0], "response.created");
        assert_eq!(kinds[4], "response.output_text.delta");
        let last: serde_json::Value = serde_json::from_str(
            std::str::from_utf8(&frames[10])
                .unwrap()
                .split_once("data: ")
                .unwrap()
                .1
                .trim_end(),
        )
        .unwrap();
        assert_eq!(last["response"]["status"], "completed");
        assert_eq!(
            last["response"]["output"][0]["content"][0]["text"],
            "tok0 tok1 tok2 "
        );
        assert_eq!(last["response"]["usage"]["output_tokens"], 3);
    }
}
