//! `POST /v1/messages`: read and check the body, route it, send it to the chosen provider
//! and answer in Anthropic's shape, with headers saying who served it.
//!
//! Streaming (protocols.md §3.6, §7.5): our 200 and its headers go out only once the
//! upstream answered 2xx *and* its first chunk arrived, so an early failure is still a real
//! HTTP error the SDKs can retry. After that, each event is written as it is produced, a
//! `ping` fills every [`PING_INTERVAL`] of upstream silence, and a failure ends the stream
//! with an `error` event (no `message_stop`). The body stream owns the upstream connection:
//! when the client goes away, axum drops it and the upstream request with it.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures_util::stream::{self, Stream, StreamExt};

use super::{body, relay, AppState};
use crate::config::Target;
use crate::error::ProxyError;
use crate::wire::anthropic::StreamEvent;
use crate::{providers, router, sse};

/// Upstream silence after which the client gets a `ping` (§3.7).
const PING_INTERVAL: Duration = Duration::from_secs(10);

pub async fn create(State(state): State<Arc<AppState>>, request: Request) -> Response {
    match handle(&state, request).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

async fn handle(state: &AppState, request: Request) -> Result<Response, ProxyError> {
    let config = state.config();
    let (parts, body) = request.into_parts();
    let bytes = body::read(&parts.headers, body, config.max_request_bytes).await?;
    let mut request = body::messages_request(&bytes)?;
    let decision = router::route(&config, &mut request)?;
    tracing::debug!(model = %request.model, "{}", decision.explain());
    if let Some(first) = decision.targets.first() {
        state.sessions.record(&parts.headers, first, decision.rule);
    }
    let inbound = providers::Inbound {
        request,
        body: bytes,
        query: parts.uri.query().map(str::to_string),
        headers: parts.headers,
    };
    let upstream = state
        .dispatcher
        .send(&config, &decision.targets, &inbound)
        .await?;
    let served = Target {
        provider: upstream.provider.name.clone(),
        model: upstream.model.clone(),
    };
    let mut response = if upstream.passes_through() {
        let (headers, body) = upstream.into_relay();
        relay::response(headers, body, inbound.request.stream).await?
    } else if inbound.request.stream {
        let mut events = upstream.into_events();
        let first = events.next().await.ok_or_else(|| ProxyError::Internal {
            message: "the upstream stream produced nothing".into(),
        })??;
        sse_response(first, events, PING_INTERVAL)
    } else {
        Json(upstream.into_message().await?).into_response()
    };
    served_by(&mut response, &served, decision.rule);
    Ok(response)
}

/// Headers that say which provider, model and routing rule served the request, and the
/// request's log line.
fn served_by(response: &mut Response, target: &Target, rule: router::Rule) {
    tracing::info!(
        route = rule.as_str(),
        provider = %target.provider,
        model = %target.model,
        "served"
    );
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&target.provider) {
        headers.insert("x-ccproxy-provider", value);
    }
    if let Ok(value) = HeaderValue::from_str(&target.model) {
        headers.insert("x-ccproxy-model", value);
    }
    headers.insert("x-ccproxy-route", HeaderValue::from_static(rule.as_str()));
}

/// A `text/event-stream` response: `first`, then the rest of `events`.
fn sse_response(first: StreamEvent, events: providers::EventStream, ping: Duration) -> Response {
    let body =
        Body::from_stream(sse_body(first, events, ping).map(Ok::<_, std::convert::Infallible>));
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// The encoded events, with a `ping` after each `ping` interval of silence; an error
/// becomes the last event.
fn sse_body(
    first: StreamEvent,
    events: providers::EventStream,
    ping: Duration,
) -> impl Stream<Item = Bytes> + Send {
    let first = encode(&first);
    stream::once(async move { first }).chain(stream::unfold(
        Some(events),
        move |events| async move {
            let mut events = events?;
            let item = match tokio::time::timeout(ping, events.next()).await {
                Err(_silence) => (encode(&StreamEvent::Ping), Some(events)),
                Ok(None) => return None,
                Ok(Some(Ok(event))) => (encode(&event), Some(events)),
                Ok(Some(Err(error))) => {
                    tracing::warn!(
                        code = error.code(),
                        "stream ended by an upstream failure: {error}"
                    );
                    (sse::encode("error", &error.body()), None)
                }
            };
            Some(item)
        },
    ))
}

fn encode(event: &StreamEvent) -> Bytes {
    sse::encode(event.name(), event)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::anthropic::{MessageDelta, StopReason, Usage};

    fn text(body: Vec<Bytes>) -> String {
        body.iter()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .collect()
    }

    #[tokio::test(start_paused = true)]
    async fn silence_is_filled_with_pings() {
        let late = stream::once(async {
            tokio::time::sleep(Duration::from_secs(25)).await;
            Ok(StreamEvent::MessageStop)
        })
        .boxed();
        let body: Vec<Bytes> = sse_body(StreamEvent::Ping, late, Duration::from_secs(10))
            .collect()
            .await;
        let text = text(body);
        assert_eq!(text.matches("event: ping\n").count(), 3, "{text}");
        assert!(text.ends_with("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"));
    }

    #[tokio::test]
    async fn an_error_ends_the_stream_with_an_error_event() {
        let events = stream::iter([
            Ok(StreamEvent::MessageDelta {
                delta: MessageDelta {
                    stop_reason: StopReason::EndTurn,
                    stop_sequence: None,
                },
                usage: Usage::default(),
            }),
            Err(ProxyError::ProviderFailed {
                provider: "p".into(),
                code: "upstream_error",
                message: "boom".into(),
            }),
            Ok(StreamEvent::MessageStop),
        ])
        .boxed();
        let body = text(
            sse_body(StreamEvent::Ping, events, PING_INTERVAL)
                .collect()
                .await,
        );
        let last = body.trim_end().rsplit("\n\n").next().unwrap_or_default();
        assert!(last.starts_with("event: error\ndata: "), "{body}");
        let data: serde_json::Value =
            serde_json::from_str(last.trim_start_matches("event: error\ndata: ")).expect("json");
        assert_eq!(data["type"], "error");
        assert_eq!(data["error"]["type"], "provider_error");
        assert!(!body.contains("message_stop"));
    }
}
