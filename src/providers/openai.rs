//! OpenAI-compatible providers: `POST {base_url}/chat/completions` with the key as
//! `Authorization: Bearer`.

use crate::config::ProviderConfig;
use crate::error::ProxyError;
use crate::translate::{from_openai, to_openai};
use crate::wire::{anthropic, openai};

use super::errors;

pub async fn complete(
    client: &reqwest::Client,
    provider: &ProviderConfig,
    model: &str,
    request: &anthropic::MessagesRequest,
) -> Result<anthropic::MessageResponse, ProxyError> {
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
    let headers = response.headers().clone();
    let bytes = response
        .bytes()
        .await
        .map_err(|e| errors::from_transport(provider, &e))?;
    if !status.is_success() {
        return Err(errors::from_status(
            provider, model, status, &headers, &bytes,
        ));
    }
    let completion: openai::ChatResponse = serde_json::from_slice(&bytes)
        .map_err(|e| errors::unreadable(provider, &format!("not a chat completion ({e})")))?;
    from_openai::response(completion, model)
        .map_err(|e| errors::unreadable(provider, &e.to_string()))
}
