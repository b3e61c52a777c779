//! A provider's successful (2xx) answer whose body has not been read yet: [`Upstream`], one
//! of two kinds of answer. A [`Translated`] answer is read into Anthropic's shape (a
//! message, or events); a [`Relayed`] one goes to the client as the provider wrote it. Each
//! has only the ways of reading that make sense for it.

use std::time::Duration;

use axum::http::HeaderMap;
use futures_util::stream::{self, StreamExt};

use crate::config::ProviderConfig;
use crate::error::{ProxyError, TimeoutPhase};
use crate::wire;

use super::kind::{Reading, Translation};
use super::{errors, read_answer, BodyStream, EventStream};

/// A provider's 2xx answer, before its body is read.
#[derive(Debug)]
pub enum Upstream {
    Translated(Translated),
    Relayed(Relayed),
}

/// An answer to translate into Anthropic's shape.
#[derive(Debug)]
pub struct Translated {
    provider: ProviderConfig,
    model: String,
    body: Body,
    translation: Box<dyn Translation>,
}

/// An answer relayed as it is (the Anthropic pass-through).
#[derive(Debug)]
pub struct Relayed {
    provider: ProviderConfig,
    model: String,
    /// The answer's headers that go back to the client.
    headers: HeaderMap,
    body: Body,
}

/// The body of the answer, each chunk awaited at most the idle timeout.
#[derive(Debug)]
struct Body {
    response: reqwest::Response,
    idle_timeout: Duration,
}

impl Upstream {
    /// The answer `response` to a request read as `reading`.
    pub(super) fn new(
        provider: &ProviderConfig,
        model: &str,
        response: reqwest::Response,
        idle_timeout: Duration,
        reading: Reading,
    ) -> Self {
        let (provider, model) = (provider.clone(), model.to_string());
        match reading {
            Reading::Translated(translation) => Self::Translated(Translated {
                provider,
                model,
                body: Body {
                    response,
                    idle_timeout,
                },
                translation,
            }),
            Reading::Relayed { relayed_header } => {
                let mut headers = HeaderMap::new();
                for (name, value) in response.headers() {
                    if relayed_header(name.as_str()) {
                        headers.append(name.clone(), value.clone());
                    }
                }
                Self::Relayed(Relayed {
                    provider,
                    model,
                    headers,
                    body: Body {
                        response,
                        idle_timeout,
                    },
                })
            }
        }
    }

    /// The provider that answered.
    pub fn provider(&self) -> &ProviderConfig {
        match self {
            Self::Translated(answer) => &answer.provider,
            Self::Relayed(answer) => &answer.provider,
        }
    }

    /// The model the request was sent to.
    pub fn model(&self) -> &str {
        match self {
            Self::Translated(answer) => &answer.model,
            Self::Relayed(answer) => &answer.model,
        }
    }
}

impl Translated {
    /// Reads the whole body (under the idle timeout, at most [`super::MAX_ANSWER_BYTES`])
    /// as one Anthropic message.
    pub async fn into_message(self) -> Result<wire::anthropic::MessageResponse, ProxyError> {
        let body = read_answer(&self.provider, self.body.stream(self.provider.clone())).await?;
        self.translation.message(&self.provider, &body)
    }

    /// Reads the body as a stream of Anthropic events, translated as the bytes arrive
    /// (each read under the idle timeout).
    pub fn into_events(self) -> EventStream {
        let body = self.body.stream(self.provider.clone());
        self.translation.events(self.provider, body)
    }
}

impl Relayed {
    pub fn provider(&self) -> &ProviderConfig {
        &self.provider
    }

    /// The headers to pass back to the client, and the body as it arrives (under the idle
    /// timeout).
    pub fn into_parts(self) -> (HeaderMap, BodyStream) {
        (self.headers, self.body.stream(self.provider))
    }
}

impl Body {
    /// The body as a stream of chunks, each awaited at most the idle timeout
    /// (`timeouts.stream_idle_ms`): a stall ends the stream with a `provider_timeout`
    /// error, a dropped connection with `incomplete_upstream_response`. Nothing follows an
    /// error. Dropping the stream closes the upstream connection.
    fn stream(self, provider: ProviderConfig) -> BodyStream {
        let Self {
            response,
            idle_timeout,
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
}
