//! Reading a translated stream: the provider's SSE bytes decoded into payloads, each fed to
//! the provider kind's stream translator (a `translate` state machine), the Anthropic events
//! it returns passed on in order. Shared by every translating provider kind.

use std::sync::Arc;

use std::collections::VecDeque;

use futures_util::stream::{self, StreamExt};

use crate::config::ProviderConfig;
use crate::error::ProxyError;
use crate::sse;
use crate::translate::{from_gemini, from_openai, from_responses, TranslateError};
use crate::wire::anthropic::StreamEvent;

use super::errors::{from_translate, unreadable};
use super::{BodyStream, EventStream};

/// A stream state machine: one SSE `data:` payload at a time, then the end of the stream.
pub trait Translator: Send + 'static {
    fn on_data(&mut self, data: &str) -> Result<Vec<StreamEvent>, TranslateError>;
    fn on_eof(&mut self) -> Result<Vec<StreamEvent>, TranslateError>;
}

impl Translator for from_openai::StreamTranslator {
    fn on_data(&mut self, data: &str) -> Result<Vec<StreamEvent>, TranslateError> {
        Self::on_data(self, data)
    }
    fn on_eof(&mut self) -> Result<Vec<StreamEvent>, TranslateError> {
        Self::on_eof(self)
    }
}

impl Translator for from_gemini::StreamTranslator {
    fn on_data(&mut self, data: &str) -> Result<Vec<StreamEvent>, TranslateError> {
        Self::on_data(self, data)
    }
    fn on_eof(&mut self) -> Result<Vec<StreamEvent>, TranslateError> {
        Self::on_eof(self)
    }
}

impl Translator for from_responses::StreamTranslator {
    fn on_data(&mut self, data: &str) -> Result<Vec<StreamEvent>, TranslateError> {
        Self::on_data(self, data)
    }
    fn on_eof(&mut self) -> Result<Vec<StreamEvent>, TranslateError> {
        Self::on_eof(self)
    }
}

/// The upstream's SSE body as Anthropic events. The body is read only as the events are
/// pulled, and dropping the stream drops the upstream connection. After the first error
/// nothing more is read.
pub fn events(
    provider: Arc<ProviderConfig>,
    model: String,
    translator: impl Translator,
    body: BodyStream,
) -> EventStream {
    let reader = Reader {
        model,
        translator,
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

struct Reader<T> {
    provider: Arc<ProviderConfig>,
    model: String,
    body: BodyStream,
    decoder: sse::Decoder,
    translator: T,
    queue: VecDeque<Result<StreamEvent, ProxyError>>,
    done: bool,
}

impl<T: Translator> Reader<T> {
    async fn next(&mut self) -> Option<Result<StreamEvent, ProxyError>> {
        loop {
            if let Some(item) = self.queue.pop_front() {
                return Some(item);
            }
            if self.done {
                return None;
            }
            match self.body.next().await {
                Some(Ok(bytes)) => match self.decoder.push(&bytes) {
                    Ok(events) => {
                        for event in events {
                            let result = self.translator.on_data(&event.data);
                            self.take(result);
                        }
                    }
                    Err(too_long) => {
                        self.done = true;
                        let what = too_long.to_string();
                        self.queue.push_back(Err(unreadable(&self.provider, &what)));
                    }
                },
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

    fn take(&mut self, result: Result<Vec<StreamEvent>, TranslateError>) {
        if self.done {
            return;
        }
        match result {
            Ok(events) => self.queue.extend(events.into_iter().map(Ok)),
            Err(error) => {
                self.done = true;
                let error = from_translate(&self.provider, &self.model, error);
                self.queue.push_back(Err(error));
            }
        }
    }
}
