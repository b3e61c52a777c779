//! HTTP to the providers: one pooled client for the process, one module per provider kind
//! behind the [`kind::Kind`] seam (URLs, auth, requests, model lists, token counting; how
//! to add a kind is in `kind`'s doc), and the mapping of upstream failures to
//! [`ProxyError`]. Translation itself lives in `translate`; this module only moves bytes.
//!
//! The seam every caller uses: [`send`] returns an [`Upstream`] once the provider has
//! answered 2xx with its headers (any failure before that is a [`ProxyError`], so retries
//! and fallbacks can wrap it); the body is then read as a translated message or stream, or
//! relayed as it is, as the kind's [`Upstream`] variant allows.

pub mod anthropic;
mod client;
mod deadline;
mod errors;
mod gemini;
pub mod kind;
mod models;
mod openai;
mod ratelimit;
mod reader;
mod responses;
mod upstream;

pub use client::{ClientError, HttpClient, Outbound};
pub use models::ModelCatalog;
pub use upstream::{Relayed, Upstream};

use axum::http::HeaderMap;
use bytes::Bytes;
use futures_util::stream::{BoxStream, StreamExt};

use crate::config::ProviderConfig;
use crate::error::ProxyError;
use crate::wire;
pub use deadline::Cutoff;
use deadline::Deadlines;

/// A provider's body as it arrives: chunks, then the end; or an error (a stall longer than
/// the idle timeout, a broken connection) as the last item.
pub type BodyStream = BoxStream<'static, Result<Bytes, ProxyError>>;

/// The largest answer read whole (a message, translated or relayed): far above any real one;
/// above it the answer is refused (`invalid_upstream_response`) rather than held in memory.
pub const MAX_ANSWER_BYTES: usize = 64 << 20;
/// The most of an error body or a model list that is read.
pub const MAX_SMALL_BODY_BYTES: usize = 1 << 20;

/// Reads all of `body`; more than [`MAX_ANSWER_BYTES`] is an `invalid_upstream_response`.
pub async fn read_answer(
    provider: &ProviderConfig,
    mut body: BodyStream,
) -> Result<Vec<u8>, ProxyError> {
    let mut whole = Vec::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        if whole.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(too_large(provider, MAX_ANSWER_BYTES));
        }
        whole.extend_from_slice(&chunk);
    }
    Ok(whole)
}

fn too_large(provider: &ProviderConfig, limit: usize) -> ProxyError {
    errors::unreadable(
        provider,
        &format!("the body is larger than the {} MiB limit", limit >> 20),
    )
}

/// A 2xx body read as `T`; a body that is not is an `invalid_upstream_response`.
fn read_json<T: serde::de::DeserializeOwned>(
    provider: &ProviderConfig,
    bytes: &[u8],
) -> Result<T, ProxyError> {
    serde_json::from_slice(bytes).map_err(|e| errors::not_protocol(provider, bytes, &e.to_string()))
}

/// A client's request as the providers need it: parsed (routing and the translators read
/// it) and as received (the Anthropic pass-through forwards these bytes and headers).
#[derive(Debug, Clone)]
pub struct Inbound {
    pub request: wire::anthropic::MessagesRequest,
    pub body: Bytes,
    pub headers: HeaderMap,
    /// The query string of the client's URL (Claude Code sends `?beta=true`).
    pub query: Option<String>,
}

impl Inbound {
    /// The session Claude Code names in `X-Claude-Code-Session-Id`, when it names one.
    pub fn session(&self) -> Option<&str> {
        self.headers
            .get(crate::server::SESSION_HEADER)
            .and_then(|value| value.to_str().ok())
    }
}

/// A streamed answer as Anthropic events; an `Err` ends it (nothing follows).
pub type EventStream = BoxStream<'static, Result<wire::anthropic::StreamEvent, ProxyError>>;

/// Sends `request` to `provider` for `model`; returns once the provider answered 2xx.
/// Connecting and waiting for the response headers run under the client's timeouts; the
/// body is then read under the same exchange's deadlines (see [`deadline`]).
pub async fn send(
    http: &HttpClient,
    provider: &ProviderConfig,
    model: &str,
    inbound: &Inbound,
) -> Result<Upstream, ProxyError> {
    let prepared = kind::of(provider.kind).prepare(http, provider, model, inbound)?;
    let deadlines = Deadlines::from_now(http.timeouts(), http.cutoff.clone());
    let response = exchange(http, provider, model, prepared.request, &deadlines).await?;
    Ok(Upstream::new(
        provider,
        model,
        response,
        deadlines,
        prepared.reading,
    ))
}

/// Sends and waits for the response headers within the answer deadline; a non-2xx answer
/// is read (within the same deadline) and mapped to a [`ProxyError`].
async fn exchange(
    http: &HttpClient,
    provider: &ProviderConfig,
    model: &str,
    outbound: Outbound,
    deadlines: &Deadlines,
) -> Result<client::Response, ProxyError> {
    let connect = http.timeouts().connect;
    let attempt = async {
        let answer = http
            .send(outbound)
            .await
            .map_err(|e| errors::from_transport(provider, connect, &e))?;
        let status = answer.status();
        if status.is_success() {
            return Ok(answer);
        }
        let headers = answer.headers().clone();
        // The status decides the error; the body only adds the provider's words, and a
        // cut one still maps (its message is then not quoted).
        let (bytes, _complete) = client::read_prefix(answer, MAX_SMALL_BODY_BYTES)
            .await
            .unwrap_or_default();
        Err(errors::from_status(
            provider, model, status, &headers, &bytes,
        ))
    };
    tokio::select! {
        answer = tokio::time::timeout_at(deadlines.answer_by(), attempt) => {
            answer.map_err(|_| deadlines.expired(provider, false))?
        }
        () = deadlines.cutoff.reached() => Err(ProxyError::ShuttingDown),
    }
}

/// The input tokens of a request as the provider itself counts them, for the kinds that
/// have a counting endpoint (Anthropic `count_tokens`, Gemini `countTokens`); `None` for
/// the others (and a provider without its key), which are counted locally.
pub async fn count_tokens(
    http: &HttpClient,
    provider: &ProviderConfig,
    model: &str,
    inbound: &Inbound,
) -> Result<Option<u64>, ProxyError> {
    if provider.key_required && provider.key().is_none() {
        return Ok(None);
    }
    let counter = kind::of(provider.kind).count_tokens(http, provider, model, inbound)?;
    let Some(counter) = counter else {
        return Ok(None);
    };
    let deadlines = Deadlines::from_now(http.timeouts(), http.cutoff.clone());
    let response = exchange(http, provider, model, counter.request, &deadlines).await?;
    let read = client::read_prefix(response, MAX_SMALL_BODY_BYTES);
    let (body, complete) = tokio::time::timeout_at(deadlines.answer_by(), read)
        .await
        .map_err(|_| deadlines.expired(provider, false))?
        .map_err(|e| errors::broken_body(provider, &e))?;
    if !complete {
        return Err(too_large(provider, MAX_SMALL_BODY_BYTES));
    }
    (counter.read)(provider, &body).map(Some)
}
