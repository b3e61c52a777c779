//! OpenAI-compatible providers: `POST {base_url}/chat/completions` with the key as
//! `Authorization: Bearer`.

use crate::config::ProviderConfig;
use crate::error::ProxyError;
use crate::translate::{from_openai, to_openai};
use crate::wire::{anthropic, openai};

use super::errors;

/// Sends the translated request; a non-2xx answer is read and mapped to a [`ProxyError`].
pub async fn send(
    client: &reqwest::Client,
    provider: &ProviderConfig,
    model: &str,
    request: &anthropic::MessagesRequest,
) -> Result<reqwest::Response, ProxyError> {
    let body = to_openai::request(request, model);
    let mut builder = client
        .post(format!("{}/chat/completions", provider.base_url))
        .json(&body);
    if let Some(key) = &provider.api_key {
        builder = builder.bearer_auth(key.expose());
    }
    let response = builder
        .send()
        .await
        .map_err(|e| errors::from_transport(provider, &e))?;
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let headers = response.headers().clone();
    let bytes = response.bytes().await.unwrap_or_default();
    Err(errors::from_status(
        provider, model, status, &headers, &bytes,
    ))
}

/// Reads a non-streaming completion body as an Anthropic message.
pub fn read_message(
    provider: &ProviderConfig,
    model: &str,
    bytes: &[u8],
) -> Result<anthropic::MessageResponse, ProxyError> {
    let completion: openai::ChatResponse = serde_json::from_slice(bytes)
        .map_err(|e| errors::unreadable(provider, &format!("not a chat completion ({e})")))?;
    from_openai::response(completion, model)
        .map_err(|e| errors::unreadable(provider, &e.to_string()))
}
