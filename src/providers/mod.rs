//! HTTP to the providers: one pooled client for the process, one module per provider kind
//! (URL, headers, auth, sending), and the mapping of upstream failures to [`ProxyError`].
//! Translation itself lives in `translate`; this module only moves bytes.
//!
//! The seam every caller uses: [`send`] returns an [`Upstream`] once the provider has
//! answered 2xx with its headers (any failure before that is a [`ProxyError`], so retries
//! and fallbacks can wrap it); the body is then read as one message or as a stream.

mod errors;
mod openai;

use std::time::Duration;

use futures_util::stream::{BoxStream, StreamExt};

use crate::config::{ProviderConfig, ProviderKind};
use crate::error::ProxyError;
use crate::translate::from_openai;
use crate::wire::anthropic;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The pooled HTTP client (keep-alive, TCP_NODELAY; honours HTTPS_PROXY and NO_PROXY).
#[derive(Debug, Clone)]
pub struct HttpClient(reqwest::Client);

impl HttpClient {
    pub fn new() -> Self {
        let client = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .tcp_nodelay(true)
            .pool_idle_timeout(Duration::from_secs(90))
            .user_agent(concat!("ccproxy/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        Self(client)
    }
}

impl Default for HttpClient {
    fn default() -> Self {
        Self::new()
    }
}

/// A provider's successful (2xx) answer whose body has not been read yet.
#[derive(Debug)]
pub struct Upstream {
    pub provider: ProviderConfig,
    pub model: String,
    response: reqwest::Response,
    /// What reading the answer needs from the request (tool names, stop sequences).
    context: from_openai::Context,
}

/// A streamed answer as Anthropic events; an `Err` ends it (nothing follows).
pub type EventStream = BoxStream<'static, Result<anthropic::StreamEvent, ProxyError>>;

/// Sends `request` to `provider` for `model`; returns once the provider answered 2xx.
pub async fn send(
    http: &HttpClient,
    provider: &ProviderConfig,
    model: &str,
    request: &anthropic::MessagesRequest,
) -> Result<Upstream, ProxyError> {
    let (response, context) = match provider.kind {
        ProviderKind::OpenAi => openai::send(&http.0, provider, model, request).await?,
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
    Ok(Upstream {
        provider: provider.clone(),
        model: model.to_string(),
        response,
        context,
    })
}

impl Upstream {
    /// Reads the whole body as one Anthropic message.
    pub async fn into_message(self) -> Result<anthropic::MessageResponse, ProxyError> {
        let bytes = self
            .response
            .bytes()
            .await
            .map_err(|e| errors::from_transport(&self.provider, &e))?;
        match self.provider.kind {
            ProviderKind::OpenAi => openai::read_message(&self.provider, &self.context, &bytes),
            ProviderKind::Anthropic | ProviderKind::Gemini => Err(errors::unreadable(
                &self.provider,
                "this provider kind is not readable yet",
            )),
        }
    }

    /// Reads the body as a stream of Anthropic events, translated as the bytes arrive.
    pub fn into_events(self) -> EventStream {
        match self.provider.kind {
            ProviderKind::OpenAi => {
                let body = self.response.bytes_stream().boxed();
                openai::events(self.provider, self.context, body)
            }
            ProviderKind::Anthropic | ProviderKind::Gemini => {
                let error =
                    errors::unreadable(&self.provider, "this provider kind is not readable yet");
                futures_util::stream::iter([Err(error)]).boxed()
            }
        }
    }
}
