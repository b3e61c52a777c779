//! Google Gemini: `POST {base_url}/models/{model}:generateContent`, or
//! `:streamGenerateContent?alt=sse` for a stream, with the key in `x-goog-api-key`
//! (https://ai.google.dev/api/generate-content); `:countTokens` for `count_tokens`;
//! `GET {base_url}/models` for the model list. Translation is `translate`'s (`to_gemini`,
//! `from_gemini`); this module moves bytes.

use std::sync::Arc;

use axum::http::HeaderMap;
use serde_json::{json, Value};

use crate::config::ProviderConfig;
use crate::error::ProxyError;
use crate::translate::{from_gemini, to_gemini};
use crate::wire::{anthropic, gemini};

use super::errors::from_translate;
use super::kind::{credentials, secret_value, Counter, Kind, Prepared, Reading, Translation};
use super::{BodyStream, EventStream, HttpClient, Inbound, Outbound};

/// The Gemini `generateContent` kind.
pub struct Gemini;

impl Kind for Gemini {
    fn authorize(&self, _provider: &ProviderConfig, key: &str, headers: &mut HeaderMap) {
        if let Some(value) = secret_value(key) {
            headers.insert("x-goog-api-key", value);
        }
    }

    fn prepare(
        &self,
        http: &HttpClient,
        provider: &ProviderConfig,
        model: &str,
        inbound: &Inbound,
    ) -> Result<Prepared, ProxyError> {
        let body = body(provider, model, &inbound.request)?;
        let method = if inbound.request.stream {
            "streamGenerateContent?alt=sse"
        } else {
            "generateContent"
        };
        Ok(Prepared {
            request: self.post(http, provider, model, method).json(&body),
            reading: Reading::Translated(Box::new(Answer(model.to_string()))),
        })
    }

    fn models_request(&self, provider: &ProviderConfig) -> (String, HeaderMap) {
        let mut headers = HeaderMap::new();
        credentials(self, provider, &mut headers);
        (format!("{}/models", provider.base_url), headers)
    }

    /// `{"models":[{"name":"models/..."}]}`.
    fn model_names<'a>(&self, body: &'a Value) -> Vec<&'a str> {
        body.get("models")
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(|m| m.get("name")?.as_str())
                    .map(bare)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The `countTokens` request for `model`: the whole generate request (system
    /// instruction and tools count too).
    fn count_tokens(
        &self,
        http: &HttpClient,
        provider: &ProviderConfig,
        model: &str,
        inbound: &Inbound,
    ) -> Result<Option<Counter>, ProxyError> {
        let mut generate =
            serde_json::to_value(body(provider, model, &inbound.request)?).map_err(|e| {
                ProxyError::Internal {
                    message: format!("cannot write the Gemini request: {e}"),
                }
            })?;
        if let Value::Object(fields) = &mut generate {
            fields.insert("model".into(), json!(format!("models/{}", bare(model))));
        }
        let body = json!({"generateContentRequest": generate});
        Ok(Some(Counter {
            request: self.post(http, provider, model, "countTokens").json(&body),
            read: read_count,
        }))
    }
}

impl Gemini {
    fn post(
        &self,
        http: &HttpClient,
        provider: &ProviderConfig,
        model: &str,
        method: &str,
    ) -> Outbound {
        let url = format!("{}/models/{}:{method}", provider.base_url, bare(model));
        let mut headers = HeaderMap::new();
        credentials(self, provider, &mut headers);
        http.post(&url).headers(headers)
    }
}

fn body(
    provider: &ProviderConfig,
    model: &str,
    request: &anthropic::MessagesRequest,
) -> Result<gemini::Request, ProxyError> {
    to_gemini::request(request, provider.max_output_tokens(model))
        .map_err(|e| from_translate(provider, model, e))
}

/// A model name without the `models/` prefix Gemini's own listings use.
fn bare(model: &str) -> &str {
    model.strip_prefix("models/").unwrap_or(model)
}

/// Reading an answer: the model the request was sent to.
#[derive(Debug)]
struct Answer(String);

impl Translation for Answer {
    fn message(
        self: Box<Self>,
        provider: &ProviderConfig,
        bytes: &[u8],
    ) -> Result<anthropic::MessageResponse, ProxyError> {
        let response: gemini::Response = super::read_json(provider, bytes)?;
        from_gemini::response(response, &self.0).map_err(|e| from_translate(provider, &self.0, e))
    }

    fn events(self: Box<Self>, provider: Arc<ProviderConfig>, body: BodyStream) -> EventStream {
        let translator = from_gemini::StreamTranslator::new(&self.0);
        super::reader::events(provider, self.0, translator, body)
    }
}

/// Reads `{"totalTokens": N}`.
fn read_count(provider: &ProviderConfig, bytes: &[u8]) -> Result<u64, ProxyError> {
    super::read_json::<gemini::CountTokensResponse>(provider, bytes).map(|count| count.total_tokens)
}
