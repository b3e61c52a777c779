//! OpenAI's Responses API: `POST {base_url}/responses` with the key as
//! `Authorization: Bearer`, `GET {base_url}/models` for the model list, and
//! `POST {base_url}/responses/input_tokens` as the token counter. The built-in
//! `openai-responses` and any config entry with `"type": "responses"` speak it; the `openai`
//! kind hands it the models OpenAI serves only here ([`responses_only`]). Translation is
//! `translate`'s (`to_responses`, `from_responses`); this module moves bytes.

use std::sync::Arc;

use axum::http::HeaderMap;
use serde_json::Value;

use crate::config::ProviderConfig;
use crate::error::ProxyError;
use crate::translate::from_responses::{self, Context};
use crate::translate::to_responses;
use crate::wire::{anthropic, responses};

use super::errors::from_translate;
use super::kind::{credentials, Counter, Kind, Prepared, Reading, Translation};
use super::openai::{listed_ids, OpenAi};
use super::{BodyStream, EventStream, HttpClient, Inbound, Outbound};

/// Models OpenAI serves on `/responses` and not on `/chat/completions`: the Codex family
/// (`gpt-5-codex`, `gpt-5.1-codex-max`, `codex-mini-latest`, ...; openai-cookbook
/// examples/gpt-5-codex_prompting_guide.ipynb: "only supported with the Responses API")
/// and the `-pro` models (`o1-pro`, `o3-pro`, `gpt-5-pro`; their model pages at
/// platform.openai.com/docs/models: available in the Responses API only).
pub fn responses_only(model: &str) -> bool {
    model.contains("codex") || model.ends_with("-pro")
}

/// The OpenAI Responses kind.
pub struct Responses;

impl Kind for Responses {
    fn authorize(&self, provider: &ProviderConfig, key: &str, headers: &mut HeaderMap) {
        OpenAi.authorize(provider, key, headers);
    }

    fn prepare(
        &self,
        http: &HttpClient,
        provider: &ProviderConfig,
        model: &str,
        inbound: &Inbound,
    ) -> Result<Prepared, ProxyError> {
        let (body, context) = translate(provider, model, inbound)?;
        let request = post(http, provider, "responses").json(&body);
        Ok(Prepared {
            request,
            reading: Reading::Translated(Box::new(Answer(context))),
        })
    }

    fn models_request(&self, provider: &ProviderConfig) -> (String, HeaderMap) {
        OpenAi.models_request(provider)
    }

    fn model_names<'a>(&self, body: &'a Value) -> Vec<&'a str> {
        listed_ids(body)
    }

    /// The whole request's input (instructions, items, tools) as OpenAI counts it.
    fn count_tokens(
        &self,
        http: &HttpClient,
        provider: &ProviderConfig,
        model: &str,
        inbound: &Inbound,
    ) -> Result<Option<Counter>, ProxyError> {
        let (body, _) = translate(provider, model, inbound)?;
        let count = responses::InputTokensRequest::from(&body);
        Ok(Some(Counter {
            request: post(http, provider, "responses/input_tokens").json(&count),
            read: read_count,
        }))
    }
}

/// The translated request for `model`; the session id, when the client sent one, keys the
/// prompt cache.
fn translate(
    provider: &ProviderConfig,
    model: &str,
    inbound: &Inbound,
) -> Result<(responses::Request, Context), ProxyError> {
    let target = to_responses::Target {
        model,
        max_output_tokens: provider.max_output_tokens(model),
        session: inbound.session(),
    };
    to_responses::request(&inbound.request, &target).map_err(|e| from_translate(provider, model, e))
}

fn post(http: &HttpClient, provider: &ProviderConfig, path: &str) -> Outbound {
    let mut headers = HeaderMap::new();
    credentials(&Responses, provider, &mut headers);
    http.post(&format!("{}/{path}", provider.base_url))
        .headers(headers)
}

/// Reads `{"object": "response.input_tokens", "input_tokens": N}`.
fn read_count(provider: &ProviderConfig, bytes: &[u8]) -> Result<u64, ProxyError> {
    super::read_json::<responses::InputTokens>(provider, bytes).map(|count| count.input_tokens)
}

/// Reading a response: tool names of the request.
#[derive(Debug)]
struct Answer(Context);

impl Translation for Answer {
    fn message(
        self: Box<Self>,
        provider: &ProviderConfig,
        bytes: &[u8],
    ) -> Result<anthropic::MessageResponse, ProxyError> {
        let response: responses::Response = super::read_json(provider, bytes)?;
        from_responses::response(response, &self.0)
            .map_err(|e| from_translate(provider, &self.0.model, e))
    }

    fn events(self: Box<Self>, provider: Arc<ProviderConfig>, body: BodyStream) -> EventStream {
        let model = self.0.model.clone();
        let translator = from_responses::StreamTranslator::new(self.0);
        super::reader::events(provider, model, translator, body)
    }
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
