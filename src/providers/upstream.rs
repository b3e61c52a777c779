//! A provider's successful (2xx) answer whose body has not been read yet: [`Upstream`], one
//! of two kinds of answer. A [`Translated`] answer is read into Anthropic's shape (a
//! message, or events); a [`Relayed`] one goes to the client as the provider wrote it. Each
//! has only the ways of reading that make sense for it.

use std::sync::Arc;

use axum::http::HeaderMap;

use crate::config::ProviderConfig;
use crate::error::ProxyError;
use crate::wire;

use super::client::Response;
use super::deadline::{self, Deadlines};
use super::kind::{Reading, Translation};
use super::{read_answer, BodyStream, EventStream};

/// A provider's 2xx answer, before its body is read.
#[derive(Debug)]
pub enum Upstream {
    Translated(Translated),
    Relayed(Relayed),
}

/// An answer to translate into Anthropic's shape.
#[derive(Debug)]
pub struct Translated {
    provider: Arc<ProviderConfig>,
    model: String,
    body: Body,
    translation: Box<dyn Translation>,
}

/// An answer relayed as it is (the Anthropic pass-through).
#[derive(Debug)]
pub struct Relayed {
    provider: Arc<ProviderConfig>,
    model: String,
    /// The answer's headers that go back to the client.
    headers: HeaderMap,
    body: Body,
}

/// The body of the answer, read under the exchange's deadlines.
#[derive(Debug)]
struct Body {
    response: Response,
    deadlines: Deadlines,
}

impl Upstream {
    /// The answer `response` to a request read as `reading`.
    pub(super) fn new(
        provider: &ProviderConfig,
        model: &str,
        response: Response,
        deadlines: Deadlines,
        reading: Reading,
    ) -> Self {
        let (provider, model) = (Arc::new(provider.clone()), model.to_string());
        match reading {
            Reading::Translated(translation) => Self::Translated(Translated {
                provider,
                model,
                body: Body {
                    response,
                    deadlines,
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
                        deadlines,
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
    /// Reads the whole body (by the answer deadline, at most [`super::MAX_ANSWER_BYTES`])
    /// as one Anthropic message.
    pub async fn into_message(self) -> Result<wire::anthropic::MessageResponse, ProxyError> {
        let deadlines = self.body.deadlines.clone();
        let read = read_answer(&self.provider, self.body.stream(self.provider.clone()));
        let body = tokio::time::timeout_at(deadlines.answer_by(), read)
            .await
            .map_err(|_| deadlines.expired(&self.provider, false))??;
        self.translation.message(&self.provider, &body)
    }

    /// Reads the body as a stream of Anthropic events, translated as the bytes arrive
    /// (under the exchange's deadlines).
    pub fn into_events(self) -> EventStream {
        let body = self.body.stream(self.provider.clone());
        self.translation.events(self.provider, body)
    }
}

impl Relayed {
    pub fn provider(&self) -> &ProviderConfig {
        &self.provider
    }

    /// The headers to pass back to the client, and the body as it arrives (under the
    /// exchange's deadlines).
    pub fn into_parts(self) -> (HeaderMap, BodyStream) {
        (self.headers, self.body.stream(self.provider))
    }
}

impl Body {
    /// The body as a stream of chunks, read under the exchange's deadlines (see
    /// [`deadline::body`]).
    fn stream(self, provider: Arc<ProviderConfig>) -> BodyStream {
        deadline::body(provider, self.response, self.deadlines)
    }
}
