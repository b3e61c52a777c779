//! OpenAI's Responses API: `POST {base_url}/responses` with the key as
//! `Authorization: Bearer`. A provider of kind `responses` (the built-in `openai-responses`,
//! or any config entry with `"type": "responses"`) always speaks it; the built-in `openai`
//! provider speaks it for the models OpenAI serves only there ([`responses_only`]).
//! Translation is `translate`'s (`to_responses`, `from_responses`); this module moves bytes.

use crate::config::{catalog, ProviderConfig};
use crate::error::ProxyError;
use crate::server::SESSION_HEADER;
use crate::translate::from_openai::Context;
use crate::translate::{from_responses, to_responses};
use crate::wire::{anthropic, responses};

use super::errors::from_translate;
use super::{BodyStream, EventStream, HttpClient, Inbound};

/// Session ids longer than this are not Claude Code's and are not used as a cache key.
const MAX_SESSION_LEN: usize = 128;

/// Models OpenAI serves on `/responses` and not on `/chat/completions`: the Codex family
/// (`gpt-5-codex`, `gpt-5.1-codex-max`, `codex-mini-latest`, ...; openai-cookbook
/// gpt-5-codex_prompting_guide: "only supported with the Responses API") and the `-pro`
/// models (`o1-pro`, `o3-pro`, `gpt-5-pro`; their model pages: "available in the Responses
/// API only").
pub fn responses_only(model: &str) -> bool {
    model.contains("codex") || model.ends_with("-pro")
}

/// The request for `model`, and what reading the answer needs.
pub fn request(
    http: &HttpClient,
    provider: &ProviderConfig,
    model: &str,
    inbound: &Inbound,
) -> Result<(reqwest::RequestBuilder, Context), ProxyError> {
    let session = inbound
        .headers
        .get(SESSION_HEADER)
        .and_then(|value| value.to_str().ok())
        .filter(|id| !id.is_empty() && id.len() <= MAX_SESSION_LEN);
    let target = to_responses::Target {
        model,
        max_output_tokens: catalog::max_output_tokens(model),
        session,
    };
    let (body, context) = to_responses::request(&inbound.request, &target)
        .map_err(|e| from_translate(provider, model, e))?;
    let builder = http
        .post(&format!("{}/responses", provider.base_url))
        .json(&body);
    Ok((super::bearer(builder, provider), context))
}

/// Reads a non-streamed response body as an Anthropic message.
pub fn read_message(
    provider: &ProviderConfig,
    context: &Context,
    bytes: &[u8],
) -> Result<anthropic::MessageResponse, ProxyError> {
    let response: responses::Response = super::read_json(provider, bytes)?;
    from_responses::response(response, context)
        .map_err(|e| from_translate(provider, &context.model, e))
}

/// The upstream's event stream as Anthropic events (see [`super::reader::events`]).
pub fn events(provider: ProviderConfig, context: Context, body: BodyStream) -> EventStream {
    let model = context.model.clone();
    let translator = from_responses::StreamTranslator::new(context);
    super::reader::events(provider, model, translator, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codex_and_pro_models_are_responses_only() {
        for model in [
            "gpt-5-codex",
            "gpt-5.3-codex",
            "gpt-5.1-codex-max",
            "codex-mini-latest",
            "o3-pro",
            "gpt-5-pro",
        ] {
            assert!(responses_only(model), "{model}");
        }
        for model in ["gpt-5.6-terra", "gpt-4.1", "o4-mini", "gpt-5-promo"] {
            assert!(!responses_only(model), "{model}");
        }
    }
}
