//! The Anthropic pass-through answer: Anthropic's body relayed as it arrives (a JSON message,
//! or SSE bytes chunk by chunk with its own events, pings and errors), with its `request-id`
//! and rate-limit headers. Nothing is parsed or re-encoded here.

use std::convert::Infallible;

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::Response;
use futures_util::stream::{self, StreamExt};

use crate::error::ProxyError;
use crate::providers::BodyStream;
use crate::sse;

/// The client's response. A stream is answered once its first chunk arrived (so an early
/// failure is still an HTTP error the SDKs retry); a failure after that ends the stream with
/// an Anthropic `error` event (protocols.md §3.6). A message is read whole first.
pub async fn response(
    headers: HeaderMap,
    mut body: BodyStream,
    stream: bool,
) -> Result<Response, ProxyError> {
    let content_type = if stream {
        "text/event-stream; charset=utf-8"
    } else {
        "application/json"
    };
    let body = if stream {
        let first = body.next().await.transpose()?.unwrap_or_default();
        let rest = body.scan(false, |failed, chunk| {
            let item = match (*failed, chunk) {
                (true, _) => None,
                (false, Ok(bytes)) => Some(bytes),
                (false, Err(error)) => {
                    *failed = true;
                    tracing::warn!(code = error.code(), "relayed stream ended: {error}");
                    Some(sse::encode("error", &error.body()))
                }
            };
            std::future::ready(item)
        });
        Body::from_stream(
            stream::once(async { first })
                .chain(rest)
                .map(Ok::<_, Infallible>),
        )
    } else {
        let mut whole = Vec::new();
        while let Some(chunk) = body.next().await {
            whole.extend_from_slice(&chunk?);
        }
        Body::from(whole)
    };
    let mut response = Response::new(body);
    *response.headers_mut() = headers;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    Ok(response)
}
