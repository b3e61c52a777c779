//! A scripted upstream on `127.0.0.1:0`: answers each request with the next scripted
//! [`Reply`] and records every request it receives (method, path with query, headers, body),
//! and every request whose connection the caller closed before the reply was complete. It
//! can enforce a host's refusals ([`MockUpstream::refusing`]): a request its judge refuses
//! is answered 400, as the real host would.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::Value;

/// One scripted answer.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A JSON body with a status and extra headers.
    Json {
        status: u16,
        body: Value,
        headers: Vec<(String, String)>,
    },
    /// Raw bytes with a status and content type (HTML from a load balancer, truncated JSON).
    Raw {
        status: u16,
        content_type: String,
        body: Vec<u8>,
    },
    /// A 200 `text/event-stream` written chunk by chunk, exactly as given (so tests can split
    /// events mid-line or mid-UTF-8), with a pause between chunks.
    Sse {
        chunks: Vec<Vec<u8>>,
        pause: Duration,
    },
    /// Waits, then gives the inner reply.
    Delayed(Duration, Box<Reply>),
    /// A 200 whose body breaks off: these chunks, then the connection drops.
    Broken { chunks: Vec<Vec<u8>> },
    /// Closes the connection without answering.
    Hangup,
}

impl Reply {
    pub fn json(body: Value) -> Self {
        Self::Json {
            status: 200,
            body,
            headers: Vec::new(),
        }
    }

    pub fn status(status: u16, body: Value) -> Self {
        Self::Json {
            status,
            body,
            headers: Vec::new(),
        }
    }

    /// A JSON error with a status and headers.
    pub fn error(status: u16, body: Value, headers: &[(&str, &str)]) -> Self {
        Self::Json {
            status,
            body,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    /// Waits `pause` before answering with `self`.
    pub fn after(self, pause: Duration) -> Self {
        Self::Delayed(pause, Box::new(self))
    }

    /// An OpenAI stream: each chunk as its own `data:` event, then `data: [DONE]`.
    pub fn openai_stream(chunks: &[Value]) -> Self {
        let mut events: Vec<Vec<u8>> = chunks
            .iter()
            .map(|chunk| format!("data: {chunk}\n\n").into_bytes())
            .collect();
        events.push(b"data: [DONE]\n\n".to_vec());
        Self::Sse {
            chunks: events,
            pause: Duration::ZERO,
        }
    }

    /// An OpenAI chat completion whose message is `text`.
    pub fn completion(text: &str) -> Self {
        Self::json(serde_json::json!({
            "id": "chatcmpl-test", "object": "chat.completion", "created": 1, "model": "mock-model",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 11, "completion_tokens": 2, "total_tokens": 13}
        }))
    }

    /// A completion whose prompt had `cached` more tokens, read from the provider's cache
    /// (OpenAI's `prompt_tokens_details.cached_tokens`, counted inside `prompt_tokens`).
    pub fn cached_completion(text: &str, cached: u64) -> Self {
        Self::json(serde_json::json!({
            "id": "chatcmpl-test", "object": "chat.completion", "created": 1, "model": "mock-model",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 11 + cached, "completion_tokens": 2,
                      "total_tokens": 13 + cached,
                      "prompt_tokens_details": {"cached_tokens": cached}}
        }))
    }
}

/// What the upstream received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// Path and query.
    pub uri: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Recorded {
    /// The key the request carried: `Authorization: Bearer <key>`, else `x-api-key`.
    pub fn key(&self) -> Option<String> {
        let header = |name: &str| self.headers.get(name).and_then(|v| v.to_str().ok());
        let bearer = header("authorization").and_then(|v| v.strip_prefix("Bearer "));
        bearer.or_else(|| header("x-api-key")).map(str::to_string)
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("upstream received JSON")
    }
}

#[derive(Default)]
struct Shared {
    script: Mutex<VecDeque<Reply>>,
    received: Mutex<Vec<Recorded>>,
    /// Standing replies by the key a request carries (`Authorization: Bearer` or
    /// `x-api-key`), answered apart from the script, as often as asked.
    by_key: Mutex<std::collections::HashMap<String, Reply>>,
    /// Replies to `GET .../models` (answered apart from the script).
    models: Mutex<Option<Value>>,
    /// Requests whose connection closed before their reply was complete.
    cancelled: Mutex<usize>,
    /// SSE bodies that ended: written out, or dropped because the caller went away.
    streams_ended: Mutex<usize>,
    /// The host's refusals, checked before the script is.
    judge: Mutex<Option<Judge>>,
    changed: tokio::sync::Notify,
}

/// Says why a host would refuse a request, or `None` when it takes it.
pub type Judge = fn(&Recorded) -> Option<String>;

/// How long a test waits for the upstream to see something before failing.
const EXPECT_WITHIN: Duration = Duration::from_secs(10);

pub struct MockUpstream {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
}

impl MockUpstream {
    pub async fn start() -> Self {
        let shared = Arc::new(Shared::default());
        let app = Router::new().fallback(answer).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind upstream");
        let addr = listener.local_addr().expect("upstream address");
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { addr, shared }
    }

    /// The base URL a provider is configured with (`/chat/completions` is appended).
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    pub fn push(&self, reply: Reply) -> &Self {
        self.shared
            .script
            .lock()
            .expect("script lock")
            .push_back(reply);
        self
    }

    /// Answers every request that carries `key` with `reply` (before the script).
    pub fn answer_key(&self, key: &str, reply: Reply) -> &Self {
        let mut by_key = self.shared.by_key.lock().expect("by_key lock");
        by_key.insert(key.to_string(), reply);
        self
    }

    /// The key each request carried, in order.
    pub fn keys_used(&self) -> Vec<String> {
        self.requests().iter().filter_map(Recorded::key).collect()
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.received.lock().expect("received lock").clone()
    }

    /// The chat completion requests received (the attempts), leaving out model-list fetches.
    pub fn attempts(&self) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.uri.ends_with("/chat/completions"))
            .count()
    }

    /// Answers a request `judge` refuses with an Anthropic-shaped 400 naming the reason,
    /// without using up a scripted reply.
    pub fn refusing(&self, judge: Judge) -> &Self {
        *self.shared.judge.lock().expect("judge lock") = Some(judge);
        self
    }

    /// Answers `GET {base_url}/models` with this body (a 404 when not set).
    pub fn serve_models(&self, body: Value) -> &Self {
        *self.shared.models.lock().expect("models lock") = Some(body);
        self
    }

    /// Waits until `count` requests have arrived.
    pub async fn received(&self, count: usize) {
        self.wait_until(|shared| shared.received.lock().expect("lock").len() >= count)
            .await;
    }

    /// Waits until `count` requests were cancelled by the caller closing the connection.
    pub async fn cancelled(&self, count: usize) {
        self.wait_until(|shared| *shared.cancelled.lock().expect("lock") >= count)
            .await;
    }

    /// Waits until `count` SSE replies have ended (written out or dropped by the caller).
    pub async fn streams_ended(&self, count: usize) {
        self.wait_until(|shared| *shared.streams_ended.lock().expect("lock") >= count)
            .await;
    }

    async fn wait_until(&self, done: impl Fn(&Shared) -> bool) {
        let wait = async {
            loop {
                let changed = self.shared.changed.notified();
                if done(&self.shared) {
                    return;
                }
                changed.await;
            }
        };
        tokio::time::timeout(EXPECT_WITHIN, wait)
            .await
            .expect("the upstream did not see it in time");
    }
}

/// Counts a request as cancelled when its handler is dropped before the reply was given.
struct InFlight {
    shared: Arc<Shared>,
    finished: bool,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if !self.finished {
            *self.shared.cancelled.lock().expect("lock") += 1;
            self.shared.changed.notify_waiters();
        }
    }
}

/// Counts an SSE body as ended when it is dropped.
struct StreamGuard(Arc<Shared>);

impl Drop for StreamGuard {
    fn drop(&mut self) {
        *self.0.streams_ended.lock().expect("lock") += 1;
        self.0.changed.notify_waiters();
    }
}

/// An address where nothing listens: connecting is refused.
pub async fn refused_address() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    listener.local_addr().expect("address")
}

async fn answer(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let model_list =
        parts.method == axum::http::Method::GET && parts.uri.path().ends_with("/models");
    let recorded = Recorded {
        method: parts.method.to_string(),
        uri: parts.uri.to_string(),
        headers: parts.headers,
        body,
    };
    let keyed = recorded.key().and_then(|key| {
        shared
            .by_key
            .lock()
            .expect("by_key lock")
            .get(&key)
            .cloned()
    });
    let judge = *shared.judge.lock().expect("judge lock");
    let refusal = judge.and_then(|judge| judge(&recorded));
    shared
        .received
        .lock()
        .expect("received lock")
        .push(recorded);
    shared.changed.notify_waiters();
    if let Some(reason) = refusal {
        let body = serde_json::json!({"type": "error",
            "error": {"type": "invalid_request_error", "message": reason}});
        return (StatusCode::BAD_REQUEST, axum::Json(body)).into_response();
    }
    if model_list {
        let models = shared.models.lock().expect("models lock").clone();
        return match models {
            Some(body) => axum::Json(body).into_response(),
            None => StatusCode::NOT_FOUND.into_response(),
        };
    }
    let reply = keyed.or_else(|| shared.script.lock().expect("script lock").pop_front());
    let mut in_flight = InFlight {
        shared: shared.clone(),
        finished: false,
    };
    let response = match reply {
        Some(Reply::Hangup) => {
            in_flight.finished = true;
            hang_up()
        }
        Some(reply) => respond(reply, shared.clone()).await,
        None => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "mock upstream: no scripted reply left",
        )
            .into_response(),
    };
    in_flight.finished = true;
    response
}

/// Ends the connection task without a response: axum serves each connection in its own
/// task, and unwinding out of it drops the socket. `resume_unwind` skips the panic hook, so
/// nothing is printed.
fn hang_up() -> ! {
    std::panic::resume_unwind(Box::new("mock upstream hangs up"))
}

async fn respond(reply: Reply, shared: Arc<Shared>) -> Response {
    let mut reply = reply;
    while let Reply::Delayed(pause, inner) = reply {
        tokio::time::sleep(pause).await;
        reply = *inner;
    }
    match reply {
        Reply::Json {
            status,
            body,
            headers,
        } => {
            let mut response = (status_code(status), axum::Json(body)).into_response();
            for (name, value) in headers {
                let name = axum::http::HeaderName::try_from(name).expect("header name");
                response
                    .headers_mut()
                    .insert(name, value.parse().expect("header value"));
            }
            response
        }
        Reply::Raw {
            status,
            content_type,
            body,
        } => (status_code(status), [("content-type", content_type)], body).into_response(),
        Reply::Sse { chunks, pause } => {
            let state = (chunks.into_iter(), StreamGuard(shared));
            let stream = futures_util::stream::unfold(state, move |(mut rest, guard)| async move {
                let chunk = rest.next()?;
                if !pause.is_zero() {
                    tokio::time::sleep(pause).await;
                }
                Some((Ok::<_, Infallible>(Bytes::from(chunk)), (rest, guard)))
            });
            Response::builder()
                .header("content-type", "text/event-stream")
                .body(Body::from_stream(stream))
                .expect("sse response")
        }
        Reply::Broken { chunks } => {
            use futures_util::StreamExt;
            let chunks = futures_util::stream::iter(chunks.into_iter().map(|c| Ok(Bytes::from(c))));
            // Pending once before the error, so that the headers and chunks are flushed
            // first: the body breaks off after a 200.
            let broken = futures_util::stream::once(async {
                tokio::task::yield_now().await;
                Err(std::io::Error::other("dropped"))
            });
            Response::builder()
                .header("content-type", "application/json")
                .body(Body::from_stream(chunks.chain(broken)))
                .expect("broken response")
        }
        Reply::Hangup => hang_up(),
        Reply::Delayed(..) => unreachable!("unwrapped above"),
    }
}

fn status_code(status: u16) -> StatusCode {
    StatusCode::from_u16(status).expect("valid status")
}

/// A listener that never accepts and whose accept queue is full: connecting to it hangs
/// (the kernel drops the SYN), as with an unreachable host.
pub struct Unanswered {
    pub addr: SocketAddr,
    _listener: tokio::net::TcpListener,
    _queued: Vec<tokio::net::TcpStream>,
}

impl Unanswered {
    pub async fn start() -> Self {
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket
            .bind("127.0.0.1:0".parse().expect("address"))
            .expect("bind");
        let listener = socket.listen(0).expect("listen");
        let addr = listener.local_addr().expect("address");
        let mut queued = Vec::new();
        // Fill the accept queue: the first connection that does not complete shows it is full.
        for _ in 0..8 {
            let connect = tokio::net::TcpStream::connect(addr);
            match tokio::time::timeout(Duration::from_millis(200), connect).await {
                Ok(Ok(stream)) => queued.push(stream),
                _ => break,
            }
        }
        Self {
            addr,
            _listener: listener,
            _queued: queued,
        }
    }
}
