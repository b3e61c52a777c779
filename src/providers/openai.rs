//! OpenAI-compatible providers: `POST {base_url}/chat/completions` with the key as
//! `Authorization: Bearer`, `GET {base_url}/models` for the model list; no token counter.
//! On the built-in `openai` provider, the models OpenAI serves only on its Responses API go
//! to the `responses` kind.
//! Translation is `translate`'s; this module picks the target's quirks, moves bytes, and
//! turns translation failures into [`ProxyError`]s.

use std::sync::Arc;

use axum::http::{header, HeaderMap};
use serde_json::Value;

use crate::config::{catalog, ProviderConfig};
use crate::error::ProxyError;
use crate::translate::from_openai::{self, Context, StreamTranslator};
use crate::translate::to_openai;
use crate::wire::{anthropic, openai};

use super::errors::from_translate as translate_error;
use super::kind::{credentials, secret_value, Kind, Prepared, Reading, Translation};
use super::responses::{responses_only, Responses};
use super::{BodyStream, EventStream, HttpClient, Inbound};

/// The OpenAI Chat Completions kind.
pub struct OpenAi;

impl Kind for OpenAi {
    fn authorize(&self, _provider: &ProviderConfig, key: &str, headers: &mut HeaderMap) {
        if let Some(value) = secret_value(&format!("Bearer {key}")) {
            headers.insert(header::AUTHORIZATION, value);
        }
    }

    /// The translated body, with the target's quirks. A request the target cannot take is
    /// a 400.
    fn prepare(
        &self,
        http: &HttpClient,
        provider: &ProviderConfig,
        model: &str,
        inbound: &Inbound,
    ) -> Result<Prepared, ProxyError> {
        // The built-in `openai` provider serves the Responses-only models (the Codex family)
        // on /responses, so that any OpenAI model works there.
        if provider.name == "openai" && responses_only(model) {
            return Responses.prepare(http, provider, model, inbound);
        }
        let target = to_openai::Target {
            model,
            quirks: catalog::quirks(&provider.name).for_model(&provider.name, model),
            max_output_tokens: provider.max_output_tokens(model),
            session: inbound.session(),
        };
        let (body, context) = to_openai::request(&inbound.request, &target)
            .map_err(|e| translate_error(provider, model, e))?;
        let mut headers = HeaderMap::new();
        credentials(self, provider, &mut headers);
        let request = http
            .post(&format!("{}/chat/completions", provider.base_url))
            .headers(headers)
            .json(&body);
        Ok(Prepared {
            request,
            reading: Reading::Translated(Box::new(Answer(context))),
        })
    }

    fn models_request(&self, provider: &ProviderConfig) -> (String, HeaderMap) {
        let mut headers = HeaderMap::new();
        credentials(self, provider, &mut headers);
        (format!("{}/models", provider.base_url), headers)
    }

    fn model_names<'a>(&self, body: &'a Value) -> Vec<&'a str> {
        listed_ids(body)
    }
}

/// `{"data":[{"id":...}]}`, the list shape of OpenAI and Anthropic.
pub(super) fn listed_ids(body: &Value) -> Vec<&str> {
    body.get("data")
        .and_then(Value::as_array)
        .map(|items| items.iter().filter_map(|m| m.get("id")?.as_str()).collect())
        .unwrap_or_default()
}

/// Reading a completion: tool names and stop sequences of the request.
#[derive(Debug)]
struct Answer(Context);

impl Translation for Answer {
    fn message(
        self: Box<Self>,
        provider: &ProviderConfig,
        bytes: &[u8],
    ) -> Result<anthropic::MessageResponse, ProxyError> {
        let completion: openai::ChatResponse = super::read_json(provider, bytes)?;
        from_openai::response(completion, &self.0)
            .map_err(|e| translate_error(provider, &self.0.model, e))
    }

    fn events(self: Box<Self>, provider: Arc<ProviderConfig>, body: BodyStream) -> EventStream {
        let model = self.0.model.clone();
        super::reader::events(provider, model, StreamTranslator::new(self.0), body)
    }
}
