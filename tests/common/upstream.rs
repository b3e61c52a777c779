//! A scripted upstream on `127.0.0.1:0`: answers each request with the next scripted
//! [`Reply`] and records every request it receives (method, path with query, headers, body).

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
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
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("upstream received JSON")
    }
}

#[derive(Default)]
struct Shared {
    script: Mutex<VecDeque<Reply>>,
    received: Mutex<Vec<Recorded>>,
    /// SSE bodies that ended, written out or dropped by a closed connection.
    streams_ended: AtomicUsize,
}

/// Counts an SSE body as ended when it is dropped.
struct StreamGuard(Arc<Shared>);

impl Drop for StreamGuard {
    fn drop(&mut self) {
        self.0.streams_ended.fetch_add(1, Ordering::SeqCst);
    }
}

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

    /// How many SSE replies have ended (completely written, or dropped by the peer).
    pub fn streams_ended(&self) -> usize {
        self.shared.streams_ended.load(Ordering::SeqCst)
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.received.lock().expect("received lock").clone()
    }
}

async fn answer(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    shared
        .received
        .lock()
        .expect("received lock")
        .push(Recorded {
            method: parts.method.to_string(),
            uri: parts.uri.to_string(),
            headers: parts.headers,
            body,
        });
    let reply = shared.script.lock().expect("script lock").pop_front();
    match reply {
        Some(reply) => respond(reply, shared.clone()).await,
        None => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "mock upstream: no scripted reply left",
        )
            .into_response(),
    }
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
        Reply::Delayed(..) => unreachable!("unwrapped above"),
    }
}

fn status_code(status: u16) -> StatusCode {
    StatusCode::from_u16(status).expect("valid status")
}
