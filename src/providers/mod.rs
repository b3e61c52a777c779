//! HTTP to the providers: one pooled client for the process, one module per provider kind
//! (URL, headers, auth, sending), and the mapping of upstream failures to [`ProxyError`].
//! Translation itself lives in `translate`; this module only moves bytes.

mod errors;
mod openai;

use std::time::Duration;

use crate::config::{ProviderConfig, ProviderKind};
use crate::error::ProxyError;
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

/// Sends a non-streaming request to `provider` for `model` and returns the Anthropic answer.
pub async fn complete(
    http: &HttpClient,
    provider: &ProviderConfig,
    model: &str,
    request: &anthropic::MessagesRequest,
) -> Result<anthropic::MessageResponse, ProxyError> {
    match provider.kind {
        ProviderKind::OpenAi => openai::complete(&http.0, provider, model, request).await,
        ProviderKind::Anthropic | ProviderKind::Gemini => Err(ProxyError::Internal {
            message: format!(
                "provider '{}' is of type {}, which this build cannot call yet",
                provider.name,
                provider.kind.as_str()
            ),
        }),
    }
}
