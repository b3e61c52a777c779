//! OpenAI-compatible providers: `POST {base_url}/chat/completions` with the key as
//! `Authorization: Bearer`. Translation is `translate`'s; this module picks the target's
//! quirks, moves bytes, and turns translation failures into [`ProxyError`]s.

use std::collections::VecDeque;

use futures_util::stream::{self, BoxStream, StreamExt};

use crate::config::{catalog, ProviderConfig};
use crate::error::ProxyError;
use crate::sse;
use crate::translate::from_openai::{self, Context, StreamTranslator};
use crate::translate::quirks::Quirks;
use crate::translate::{to_openai, TranslateError};
use crate::wire::{anthropic, openai};

use super::{errors, BodyStream};

/// The request for `model`: the translated body, with the key as a bearer token; and what
/// reading the answer needs from the request. A request the target cannot take is a 400.
pub fn request(
    client: &reqwest::Client,
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
    let builder = client
        .post(format!("{}/chat/completions", provider.base_url))
        .json(&body);
    let builder = match &provider.api_key {
        Some(key) => builder.bearer_auth(key.expose()),
        None => builder,
    };
    Ok((builder, context))
}

/// Reads a non-streaming completion body as an Anthropic message.
pub fn read_message(
    provider: &ProviderConfig,
    context: &Context,
    bytes: &[u8],
) -> Result<anthropic::MessageResponse, ProxyError> {
    let completion: openai::ChatResponse = serde_json::from_slice(bytes)
        .map_err(|e| errors::not_protocol(provider, bytes, &e.to_string()))?;
    from_openai::response(completion, context)
        .map_err(|e| translate_error(provider, &context.model, e))
}

/// The upstream's SSE body as Anthropic events. The body is read only as the events are
/// pulled, and dropping the stream drops the upstream connection. After the first error
/// nothing more is read.
pub fn events(
    provider: ProviderConfig,
    context: Context,
    body: BodyStream,
) -> BoxStream<'static, Result<anthropic::StreamEvent, ProxyError>> {
    let reader = Reader {
        model: context.model.clone(),
        translator: StreamTranslator::new(context),
        provider,
        body,
        decoder: sse::Decoder::new(),
        queue: VecDeque::new(),
        done: false,
    };
    stream::unfold(reader, |mut reader| async move {
        let item = reader.next().await?;
        Some((item, reader))
    })
    .boxed()
}

struct Reader {
    provider: ProviderConfig,
    model: String,
    body: BodyStream,
    decoder: sse::Decoder,
    translator: StreamTranslator,
    queue: VecDeque<Result<anthropic::StreamEvent, ProxyError>>,
    done: bool,
}

impl Reader {
    async fn next(&mut self) -> Option<Result<anthropic::StreamEvent, ProxyError>> {
        loop {
            if let Some(item) = self.queue.pop_front() {
                return Some(item);
            }
            if self.done {
                return None;
            }
            match self.body.next().await {
                Some(Ok(bytes)) => {
                    for event in self.decoder.push(&bytes) {
                        let result = self.translator.on_data(&event.data);
                        self.take(result);
                    }
                }
                Some(Err(error)) => {
                    self.done = true;
                    self.queue.push_back(Err(error));
                }
                None => {
                    if let Some(event) = self.decoder.finish() {
                        let result = self.translator.on_data(&event.data);
                        self.take(result);
                    }
                    let result = self.translator.on_eof();
                    self.take(result);
                    self.done = true;
                }
            }
        }
    }

    fn take(&mut self, result: Result<Vec<anthropic::StreamEvent>, TranslateError>) {
        if self.done {
            return;
        }
        match result {
            Ok(events) => self.queue.extend(events.into_iter().map(Ok)),
            Err(error) => {
                self.done = true;
                let error = translate_error(&self.provider, &self.model, error);
                self.queue.push_back(Err(error));
            }
        }
    }
}

/// A translation failure as the error contract says: the client's fault for what the
/// target cannot take, the provider's for what it answered.
fn translate_error(provider: &ProviderConfig, model: &str, error: TranslateError) -> ProxyError {
    match error {
        TranslateError::Unsupported { field, reason } => ProxyError::InvalidField {
            field,
            reason: format!("{reason} (provider '{}')", provider.name),
        },
        TranslateError::Upstream {
            message,
            status: Some(status),
        } => match axum::http::StatusCode::from_u16(status) {
            Ok(status) => {
                let body = serde_json::json!({"error": {"message": message}}).to_string();
                errors::from_status(
                    provider,
                    model,
                    status,
                    &Default::default(),
                    body.as_bytes(),
                )
            }
            Err(_) => errors::unreadable(provider, &message),
        },
        TranslateError::Upstream { message, .. } => ProxyError::ProviderFailed {
            provider: provider.name.clone(),
            code: "upstream_error",
            message,
        },
        TranslateError::Truncated => ProxyError::ProviderFailed {
            provider: provider.name.clone(),
            code: "incomplete_upstream_response",
            message: TranslateError::Truncated.to_string(),
        },
        other => errors::unreadable(provider, &other.to_string()),
    }
}
