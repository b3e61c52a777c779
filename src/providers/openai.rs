//! OpenAI-compatible providers: `POST {base_url}/chat/completions` with the key as
//! `Authorization: Bearer`. Translation is `translate`'s; this module picks the target's
//! quirks, moves bytes, and turns translation failures into [`ProxyError`]s.

use crate::config::{catalog, ProviderConfig};
use crate::error::ProxyError;
use crate::translate::from_openai::{self, Context, StreamTranslator};
use crate::translate::quirks::Quirks;
use crate::translate::to_openai;
use crate::wire::{anthropic, openai};

use super::errors::from_translate as translate_error;
use super::{BodyStream, EventStream};

/// The request for `model`: the translated body, with the key as a bearer token; and what
/// reading the answer needs from the request. A request the target cannot take is a 400.
pub fn request(
    http: &super::HttpClient,
    provider: &ProviderConfig,
    model: &str,
    request: &anthropic::MessagesRequest,
) -> Result<(reqwest::RequestBuilder, Context), ProxyError> {
    let target = to_openai::Target {
        model,
        quirks: Quirks::for_target(&provider.name, model),
        max_output_tokens: catalog::max_output_tokens(model),
    };
    let (body, context) =
        to_openai::request(request, &target).map_err(|e| translate_error(provider, model, e))?;
    let builder = http
        .post(&format!("{}/chat/completions", provider.base_url))
        .json(&body);
    Ok((super::bearer(builder, provider), context))
}

/// Reads a non-streaming completion body as an Anthropic message.
pub fn read_message(
    provider: &ProviderConfig,
    context: &Context,
    bytes: &[u8],
) -> Result<anthropic::MessageResponse, ProxyError> {
    let completion: openai::ChatResponse = super::read_json(provider, bytes)?;
    from_openai::response(completion, context)
        .map_err(|e| translate_error(provider, &context.model, e))
}

/// The upstream's SSE body as Anthropic events (see [`super::reader::events`]).
pub fn events(provider: ProviderConfig, context: Context, body: BodyStream) -> EventStream {
    let model = context.model.clone();
    super::reader::events(provider, model, StreamTranslator::new(context), body)
}
