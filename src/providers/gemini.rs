//! Google Gemini: `POST {base_url}/models/{model}:generateContent`, or
//! `:streamGenerateContent?alt=sse` for a stream, with the key in `x-goog-api-key`
//! (https://ai.google.dev/api/generate-content); `:countTokens` for `count_tokens`. Translation is `translate`'s
//! (`to_gemini`, `from_gemini`); this module moves bytes.

use serde_json::{json, Value};

use crate::config::{catalog, ProviderConfig};
use crate::error::ProxyError;
use crate::translate::{from_gemini, to_gemini};
use crate::wire::{anthropic, gemini};

use super::errors::{self, from_translate};
use super::{BodyStream, EventStream, HttpClient};

/// The generate request for `model`.
pub fn request(
    http: &HttpClient,
    provider: &ProviderConfig,
    model: &str,
    request: &anthropic::MessagesRequest,
) -> Result<reqwest::RequestBuilder, ProxyError> {
    let body = body(provider, model, request)?;
    let method = if request.stream {
        "streamGenerateContent?alt=sse"
    } else {
        "generateContent"
    };
    Ok(post(http, provider, model, method).json(&body))
}

/// The `countTokens` request for `model`: the whole generate request (system instruction
/// and tools count too).
pub fn count_tokens_request(
    http: &HttpClient,
    provider: &ProviderConfig,
    model: &str,
    request: &anthropic::MessagesRequest,
) -> Result<reqwest::RequestBuilder, ProxyError> {
    let mut generate = serde_json::to_value(body(provider, model, request)?).map_err(|e| {
        ProxyError::Internal {
            message: format!("cannot write the Gemini request: {e}"),
        }
    })?;
    if let Value::Object(fields) = &mut generate {
        fields.insert("model".into(), json!(format!("models/{}", bare(model))));
    }
    let body = json!({"generateContentRequest": generate});
    Ok(post(http, provider, model, "countTokens").json(&body))
}

fn body(
    provider: &ProviderConfig,
    model: &str,
    request: &anthropic::MessagesRequest,
) -> Result<gemini::Request, ProxyError> {
    to_gemini::request(request, catalog::max_output_tokens(model))
        .map_err(|e| from_translate(provider, model, e))
}

fn post(
    http: &HttpClient,
    provider: &ProviderConfig,
    model: &str,
    method: &str,
) -> reqwest::RequestBuilder {
    let url = format!("{}/models/{}:{method}", provider.base_url, bare(model));
    let builder = http.post(&url);
    match provider.key() {
        Some(key) => builder.header("x-goog-api-key", key.expose()),
        None => builder,
    }
}

/// A model name without the `models/` prefix Gemini's own listings use.
fn bare(model: &str) -> &str {
    model.strip_prefix("models/").unwrap_or(model)
}

/// Reads a non-streaming answer as an Anthropic message.
pub fn read_message(
    provider: &ProviderConfig,
    model: &str,
    bytes: &[u8],
) -> Result<anthropic::MessageResponse, ProxyError> {
    let response: gemini::Response = super::read_json(provider, bytes)?;
    from_gemini::response(response, model).map_err(|e| from_translate(provider, model, e))
}

/// The SSE answer as Anthropic events.
pub fn events(provider: ProviderConfig, model: String, body: BodyStream) -> EventStream {
    let translator = from_gemini::StreamTranslator::new(&model);
    super::reader::events(provider, model, translator, body)
}

/// Reads `{"totalTokens": N}`.
pub fn read_count(provider: &ProviderConfig, bytes: &[u8]) -> Result<u64, ProxyError> {
    serde_json::from_slice::<gemini::CountTokensResponse>(bytes)
        .map(|count| count.total_tokens)
        .map_err(|e| errors::not_protocol(provider, bytes, &e.to_string()))
}
