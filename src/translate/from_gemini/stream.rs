//! The streaming state machine: Gemini `streamGenerateContent?alt=sse` chunks → Anthropic
//! stream events (https://ai.google.dev/api/generate-content#method:-models.streamgeneratecontent), one per response, in the style of
//! `from_openai::StreamTranslator`: [`StreamTranslator::on_data`] per SSE payload and
//! [`StreamTranslator::on_eof`] at the end.
//!
//! Each chunk is a whole `GenerateContentResponse` carrying only the new parts. Thought and
//! text parts arrive in pieces and are appended to the open block of their kind (a change of
//! kind closes it); a `functionCall` arrives whole and becomes a complete `tool_use` block
//! (start, one `input_json_delta`, stop). A thinking block closes with one `signature_delta`:
//! Gemini's signature when a part carried one. `finishReason` and the cumulative
//! `usageMetadata` are kept until the end; a stream that ends without a finish reason was
//! cut off and is an error.

use crate::translate::{message_start, TranslateError};
use crate::wire::anthropic::{BlockDelta, MessageDelta, ResponseBlock, StreamEvent};
use crate::wire::gemini;

use super::{arguments, stop_reason, thinking_signature, tool_use_id, upstream_error, usage};

/// The block that is open now.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Open {
    None,
    /// A thinking block and the signature its parts carried.
    Thinking(usize, Option<String>),
    Text(usize),
}

/// Translates one streamed response.
#[derive(Debug)]
pub struct StreamTranslator {
    model: String,
    id: String,
    started: bool,
    finished: bool,
    next_index: usize,
    open: Open,
    has_calls: bool,
    blocked: bool,
    finish_reason: Option<String>,
    usage: Option<gemini::UsageMetadata>,
}

impl StreamTranslator {
    /// `model` is reported when Gemini names none.
    pub fn new(model: &str) -> Self {
        Self {
            model: model.to_string(),
            id: crate::translate::message_id(),
            started: false,
            finished: false,
            next_index: 0,
            open: Open::None,
            has_calls: false,
            blocked: false,
            finish_reason: None,
            usage: None,
        }
    }

    /// One SSE `data:` payload.
    pub fn on_data(&mut self, data: &str) -> Result<Vec<StreamEvent>, TranslateError> {
        let chunk: gemini::Response =
            serde_json::from_str(data).map_err(|e| TranslateError::BadChunk(e.to_string()))?;
        self.on_chunk(chunk)
    }

    pub fn on_chunk(
        &mut self,
        chunk: gemini::Response,
    ) -> Result<Vec<StreamEvent>, TranslateError> {
        if let Some(error) = &chunk.error {
            return Err(upstream_error(error));
        }
        let mut out = Vec::new();
        if self.finished {
            return Ok(out);
        }
        if chunk.usage_metadata.is_some() {
            self.usage = chunk.usage_metadata;
        }
        if chunk
            .prompt_feedback
            .is_some_and(|f| f.block_reason.is_some())
        {
            self.blocked = true;
        }
        if !self.started {
            self.start(chunk.model_version, &mut out);
        }
        let Some(candidate) = chunk.candidates.into_iter().next() else {
            return Ok(out);
        };
        for part in candidate.content.map(|c| c.parts).unwrap_or_default() {
            self.part(part, &mut out);
        }
        if let Some(reason) = candidate.finish_reason {
            self.finish_reason = Some(reason);
        }
        Ok(out)
    }

    /// The upstream closed the stream: the closing events, or an error if it was cut off.
    pub fn on_eof(&mut self) -> Result<Vec<StreamEvent>, TranslateError> {
        let mut out = Vec::new();
        if self.finished {
            return Ok(out);
        }
        if self.finish_reason.is_none() && !self.blocked {
            return Err(TranslateError::Truncated);
        }
        self.finished = true;
        if !self.started {
            self.start(None, &mut out);
        }
        self.close(&mut out);
        let stop_reason = stop_reason(self.finish_reason.as_deref(), self.has_calls, self.blocked)?;
        out.push(StreamEvent::MessageDelta {
            delta: MessageDelta {
                stop_reason,
                stop_sequence: None,
            },
            usage: usage(self.usage.as_ref()),
        });
        out.push(StreamEvent::MessageStop);
        Ok(out)
    }

    fn start(&mut self, model: Option<String>, out: &mut Vec<StreamEvent>) {
        self.started = true;
        let mut usage = usage(self.usage.as_ref());
        usage.output_tokens = 0;
        let model = model.unwrap_or_else(|| self.model.clone());
        out.push(message_start(self.id.clone(), model, usage));
    }

    fn part(&mut self, part: gemini::Part, out: &mut Vec<StreamEvent>) {
        if let Some(call) = part.function_call {
            self.close(out);
            self.has_calls = true;
            let index = self.begin(
                ResponseBlock::ToolUse {
                    id: tool_use_id(part.thought_signature.as_deref()),
                    name: call.name,
                    input: serde_json::Value::Object(Default::default()),
                },
                out,
            );
            let partial_json = arguments(call.args).to_string();
            let delta = BlockDelta::InputJsonDelta { partial_json };
            out.push(StreamEvent::ContentBlockDelta { index, delta });
            out.push(StreamEvent::ContentBlockStop { index });
            return;
        }
        let text = part.text.unwrap_or_default();
        let index = match (&mut self.open, part.thought) {
            (Open::Thinking(index, signature), true) => {
                if part.thought_signature.is_some() {
                    *signature = part.thought_signature;
                }
                *index
            }
            (Open::Text(index), false) => *index,
            // A signature alone (an empty text part after the text) cannot open a block.
            _ if text.is_empty() => return,
            (_, thought) => {
                self.close(out);
                let open: fn(usize, Option<String>) -> Open = if thought {
                    Open::Thinking
                } else {
                    |i, _| Open::Text(i)
                };
                let index = self.begin(crate::translate::empty_block(thought), out);
                self.open = open(index, part.thought_signature);
                index
            }
        };
        if text.is_empty() {
            return;
        }
        let delta = crate::translate::text_delta(part.thought, text);
        out.push(StreamEvent::ContentBlockDelta { index, delta });
    }

    fn begin(&mut self, block: ResponseBlock, out: &mut Vec<StreamEvent>) -> usize {
        crate::translate::start_block(&mut self.next_index, block, out)
    }

    /// Closes the open block; a thinking block gets its signature first.
    fn close(&mut self, out: &mut Vec<StreamEvent>) {
        let index = match std::mem::replace(&mut self.open, Open::None) {
            Open::None => return,
            Open::Thinking(index, signature) => {
                let signature = thinking_signature(signature.as_deref());
                let delta = BlockDelta::SignatureDelta { signature };
                out.push(StreamEvent::ContentBlockDelta { index, delta });
                index
            }
            Open::Text(index) => index,
        };
        out.push(StreamEvent::ContentBlockStop { index });
    }
}

#[cfg(test)]
mod tests;
