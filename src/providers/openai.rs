//! OpenAI-compatible providers: `POST {base_url}/chat/completions` with the key as
//! `Authorization: Bearer`.

use crate::config::ProviderConfig;
use crate::error::ProxyError;
use crate::translate::{from_openai, to_openai};
use crate::wire::{anthropic, openai};

use super::errors;

/// The request for `model`: the translated body, with the key as a bearer token.
pub fn request(
    client: &reqwest::Client,
    provider: &ProviderConfig,
    model: &str,
    request: &anthropic::MessagesRequest,
) -> reqwest::RequestBuilder {
    let body = to_openai::request(request, model);
    let builder = client
        .post(format!("{}/chat/completions", provider.base_url))
        .json(&body);
    match &provider.api_key {
        Some(key) => builder.bearer_auth(key.expose()),
        None => builder,
    }
}

/// Reads a non-streaming completion body as an Anthropic message.
pub fn read_message(
    provider: &ProviderConfig,
    model: &str,
    bytes: &[u8],
) -> Result<anthropic::MessageResponse, ProxyError> {
    let completion: openai::ChatResponse = serde_json::from_slice(bytes)
        .map_err(|e| errors::not_protocol(provider, bytes, &e.to_string()))?;
    from_openai::response(completion, model)
        .map_err(|e| errors::unreadable(provider, &e.to_string()))
}
