//! HTTP to the providers: one pooled client for the process, one module per provider kind
//! (URL, headers, auth, sending), and the mapping of upstream failures to [`ProxyError`].
//! Translation itself lives in `translate`; this module only moves bytes.
//!
//! The seam every caller uses: [`send`] returns an [`Upstream`] once the provider has
//! answered 2xx with its headers (any failure before that is a [`ProxyError`], so retries
//! and fallbacks can wrap it); the body is then read as one message or as a stream.

mod errors;
mod models;
mod openai;
mod ratelimit;

pub use models::ModelCatalog;

use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::{self, BoxStream, StreamExt};

use crate::config::{ProviderConfig, ProviderKind, Timeouts};
use crate::error::{ProxyError, TimeoutPhase};
use crate::translate::from_openai;
use crate::wire::anthropic;

/// The pooled HTTP client (keep-alive, TCP_NODELAY; honours HTTPS_PROXY and NO_PROXY) and
/// the timeouts every exchange with a provider runs under.
#[derive(Debug, Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    timeouts: Timeouts,
}

impl HttpClient {
    pub fn new(timeouts: Timeouts) -> Self {
        let client = reqwest::Client::builder()
            .connect_timeout(timeouts.connect)
            .tcp_nodelay(true)
            .pool_idle_timeout(Duration::from_secs(90))
            .user_agent(concat!("ccproxy/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        Self { client, timeouts }
    }

    pub fn timeouts(&self) -> Timeouts {
        self.timeouts
    }

    pub(crate) fn reqwest(&self) -> &reqwest::Client {
        &self.client
    }
}

impl Default for HttpClient {
    fn default() -> Self {
        Self::new(Timeouts::default())
    }
}

/// A provider's body as it arrives: chunks, then the end; or an error (a stall longer than
/// the idle timeout, a broken connection) as the last item.
pub type BodyStream = BoxStream<'static, Result<Bytes, ProxyError>>;

/// A provider's successful (2xx) answer whose body has not been read yet.
#[derive(Debug)]
pub struct Upstream {
    pub provider: ProviderConfig,
    pub model: String,
    response: reqwest::Response,
    idle_timeout: Duration,
    /// What reading the answer needs from the request (tool names, stop sequences).
    context: from_openai::Context,
}

/// A streamed answer as Anthropic events; an `Err` ends it (nothing follows).
pub type EventStream = BoxStream<'static, Result<anthropic::StreamEvent, ProxyError>>;

/// Sends `request` to `provider` for `model`; returns once the provider answered 2xx.
/// Connecting and waiting for the response headers run under the client's timeouts.
pub async fn send(
    http: &HttpClient,
    provider: &ProviderConfig,
    model: &str,
    request: &anthropic::MessagesRequest,
) -> Result<Upstream, ProxyError> {
    let (builder, context) = match provider.kind {
        ProviderKind::OpenAi => openai::request(&http.client, provider, model, request)?,
        ProviderKind::Anthropic | ProviderKind::Gemini => {
            return Err(ProxyError::Internal {
                message: format!(
                    "provider '{}' is of type {}, which this build cannot call yet",
                    provider.name,
                    provider.kind.as_str()
                ),
            })
        }
    };
    let response = exchange(http, provider, model, builder).await?;
    Ok(Upstream {
        provider: provider.clone(),
        model: model.to_string(),
        response,
        idle_timeout: http.timeouts.stream_idle,
        context,
    })
}

/// Sends and waits for the response headers within the response timeout; a non-2xx answer
/// is read (within the same timeout) and mapped to a [`ProxyError`].
async fn exchange(
    http: &HttpClient,
    provider: &ProviderConfig,
    model: &str,
    builder: reqwest::RequestBuilder,
) -> Result<reqwest::Response, ProxyError> {
    let Timeouts {
        connect, response, ..
    } = http.timeouts;
    let attempt = async {
        let answer = builder
            .send()
            .await
            .map_err(|e| errors::from_transport(provider, connect, &e))?;
        let status = answer.status();
        if status.is_success() {
            return Ok(answer);
        }
        let headers = answer.headers().clone();
        let bytes = answer.bytes().await.unwrap_or_default();
        Err(errors::from_status(
            provider, model, status, &headers, &bytes,
        ))
    };
    tokio::time::timeout(response, attempt)
        .await
        .map_err(|_| errors::timeout(provider, TimeoutPhase::Response, response))?
}

impl Upstream {
    /// The body as a stream of chunks, each awaited at most the idle timeout
    /// (`timeouts.stream_idle_ms`): a stall ends the stream with a `provider_timeout`
    /// error, a dropped connection with `incomplete_upstream_response`. Nothing follows an
    /// error. Dropping the stream closes the upstream connection.
    pub fn bytes_stream(self) -> BodyStream {
        let Self {
            provider,
            response,
            idle_timeout,
            ..
        } = self;
        let chunks = response.bytes_stream();
        stream::unfold(Some((chunks, provider)), move |state| async move {
            let (mut chunks, provider) = state?;
            match tokio::time::timeout(idle_timeout, chunks.next()).await {
                Ok(None) => None,
                Ok(Some(Ok(bytes))) => Some((Ok(bytes), Some((chunks, provider)))),
                Ok(Some(Err(error))) => Some((Err(errors::broken_body(&provider, &error)), None)),
                Err(_) => {
                    let error = errors::timeout(&provider, TimeoutPhase::StreamIdle, idle_timeout);
                    Some((Err(error), None))
                }
            }
        })
        .boxed()
    }

    /// Reads the whole body (under the idle timeout) as one Anthropic message.
    pub async fn into_message(self) -> Result<anthropic::MessageResponse, ProxyError> {
        let (provider, context) = (self.provider.clone(), self.context.clone());
        let mut body = Vec::new();
        let mut chunks = self.bytes_stream();
        while let Some(chunk) = chunks.next().await {
            body.extend_from_slice(&chunk?);
        }
        match provider.kind {
            ProviderKind::OpenAi => openai::read_message(&provider, &context, &body),
            ProviderKind::Anthropic | ProviderKind::Gemini => Err(errors::unreadable(
                &provider,
                "this provider kind is not readable yet",
            )),
        }
    }

    /// Reads the body as a stream of Anthropic events, translated as the bytes arrive
    /// (each read under the idle timeout, as [`Upstream::bytes_stream`]).
    pub fn into_events(self) -> EventStream {
        let (provider, context) = (self.provider.clone(), self.context.clone());
        match provider.kind {
            ProviderKind::OpenAi => openai::events(provider, context, self.bytes_stream()),
            ProviderKind::Anthropic | ProviderKind::Gemini => {
                let error = errors::unreadable(&provider, "this provider kind is not readable yet");
                stream::iter([Err(error)]).boxed()
            }
        }
    }
}
