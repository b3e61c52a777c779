//! The stream state machine: Responses API events → Anthropic SSE events, one per response.
//!
//! The Responses stream is item by item: `response.output_item.added`, the item's deltas
//! (`output_text.delta`, `refusal.delta`, `reasoning_summary_text.delta`,
//! `function_call_arguments.delta/done`), `response.output_item.done`; then one of
//! `response.completed` / `response.incomplete` / `response.failed`, or an `error` event.
//! Each output item becomes one content block, in order:
//! - a `message` → a text block, opened at its first non-empty delta (never empty);
//! - a `function_call` → a `tool_use` block opened when the item is added (its name and
//!   `call_id` come with it); arguments go out as `input_json_delta`s as they arrive,
//!   repaired on the fly ([`Repair`]); the `.done` text stands in when no delta came;
//! - a `reasoning` item → a thinking block, opened at its first summary delta (summary
//!   parts one paragraph each) or, with no summary, when it is done; it closes with the
//!   signature that carries the encrypted reasoning ([`super::reasoning_signature`]).
//!
//! `message_start` goes out with the first output item: lifecycle events
//! (`response.created`, `response.in_progress`) are not content, so a `response.failed` or
//! `error` before any item is returned as the stream's first result, an error the server
//! still answers with a real HTTP status. After it, an error ends the stream (the caller
//! sends an `error` event and no `message_stop`). Usage arrives only with the final
//! response, so it is in the final `message_delta`; a stream that ends without a terminal
//! event is [`TranslateError::Truncated`].

use serde_json::Value;

use super::{failure, reasoning_signature, stop_reason, summary_text, usage, Context};
use crate::translate::arguments::Repair;
use crate::translate::cut::Cut;
use crate::translate::names::tool_id;
use crate::translate::{
    empty_block, message_start, text_delta, TranslateError, THINKING_SIGNATURE,
};
use crate::wire::anthropic::{BlockDelta, MessageDelta, ResponseBlock, StreamEvent, Usage};
use crate::wire::responses::{self, OutputContent, OutputItem};

/// What the current output item is, and its block once opened.
#[derive(Debug)]
enum Kind {
    Message,
    /// The summary part that last received text.
    Reasoning {
        part: Option<usize>,
    },
    Tool {
        repair: Repair,
        name: String,
        had_arguments: bool,
    },
    /// Built-in tool calls and newer items: no block.
    Skipped,
}

#[derive(Debug)]
struct Item {
    output_index: usize,
    kind: Kind,
    /// The content block, once started.
    block: Option<usize>,
}

/// Translates one streamed response.
#[derive(Debug)]
pub struct StreamTranslator {
    context: Context,
    id: String,
    started: bool,
    finished: bool,
    next_index: usize,
    item: Option<Item>,
    has_tools: bool,
    refused: bool,
    cut: Option<Cut>,
}

impl StreamTranslator {
    pub fn new(context: Context) -> Self {
        Self {
            cut: context.cut_to.map(Cut::new),
            context,
            id: crate::translate::message_id(),
            started: false,
            finished: false,
            next_index: 0,
            item: None,
            has_tools: false,
            refused: false,
        }
    }

    /// One SSE `data:` payload.
    pub fn on_data(&mut self, data: &str) -> Result<Vec<StreamEvent>, TranslateError> {
        if data.trim() == "[DONE]" {
            return Ok(Vec::new());
        }
        let event: responses::StreamEvent =
            serde_json::from_str(data).map_err(|e| TranslateError::BadChunk(e.to_string()))?;
        let events = self.on_event(event)?;
        Ok(match &mut self.cut {
            Some(cut) => cut.events(events),
            None => events,
        })
    }

    /// The upstream closed the stream: complete only after a terminal event.
    pub fn on_eof(&mut self) -> Result<Vec<StreamEvent>, TranslateError> {
        if self.finished {
            Ok(Vec::new())
        } else {
            Err(TranslateError::Truncated)
        }
    }

    pub fn on_event(
        &mut self,
        event: responses::StreamEvent,
    ) -> Result<Vec<StreamEvent>, TranslateError> {
        use responses::StreamEvent as E;
        let mut out = Vec::new();
        if self.finished {
            return Ok(out);
        }
        match event {
            E::OutputItemAdded { output_index, item } => {
                self.add(output_index, &item, &mut out)?;
            }
            E::OutputItemDone { output_index, item } => {
                self.done(output_index, &item, &mut out)?;
            }
            E::OutputTextDelta {
                output_index,
                delta,
            } => self.text(output_index, &delta, &mut out)?,
            E::RefusalDelta {
                output_index,
                delta,
            } => {
                self.refused = true;
                self.text(output_index, &delta, &mut out)?;
            }
            E::SummaryDelta {
                output_index,
                summary_index,
                delta,
            } => self.summary(output_index, summary_index, &delta, &mut out)?,
            E::ArgumentsDelta {
                output_index,
                delta,
            } => self.arguments(output_index, &delta, false, &mut out),
            E::ArgumentsDone {
                output_index,
                arguments,
            } => self.arguments(output_index, &arguments, true, &mut out),
            E::Completed { response } | E::Incomplete { response } => {
                if response.status.as_deref() == Some("failed") {
                    return Err(failure(response.error.as_ref()));
                }
                self.finish(&response, &mut out)?;
            }
            E::Failed { response } => return Err(failure(response.error.as_ref())),
            E::Error { code, message } => {
                return Err(failure(Some(&responses::ErrorObject { code, message })))
            }
            E::Other => {}
        }
        Ok(out)
    }

    fn start(&mut self, out: &mut Vec<StreamEvent>) {
        if !self.started {
            self.started = true;
            let model = self.context.model.clone();
            out.push(message_start(self.id.clone(), model, Usage::default()));
        }
    }

    fn begin(&mut self, block: ResponseBlock, out: &mut Vec<StreamEvent>) -> usize {
        crate::translate::start_block(&mut self.next_index, block, out)
    }

    /// A new output item: the previous one is closed; a function call opens its block.
    fn add(
        &mut self,
        output_index: usize,
        item: &OutputItem,
        out: &mut Vec<StreamEvent>,
    ) -> Result<(), TranslateError> {
        self.start(out);
        self.close(None, out)?;
        let kind = match item {
            OutputItem::Message { .. } => Kind::Message,
            OutputItem::Reasoning { .. } => Kind::Reasoning { part: None },
            OutputItem::FunctionCall { call_id, name, .. } => {
                self.has_tools = true;
                let block = ResponseBlock::ToolUse {
                    id: tool_id(call_id),
                    name: self.context.names.client_name(name),
                    input: Value::Object(Default::default()),
                };
                let index = self.begin(block, out);
                self.item = Some(Item {
                    output_index,
                    kind: Kind::Tool {
                        repair: Repair::new(),
                        name: name.clone(),
                        had_arguments: false,
                    },
                    block: Some(index),
                });
                return Ok(());
            }
            OutputItem::Other => Kind::Skipped,
        };
        self.item = Some(Item {
            output_index,
            kind,
            block: None,
        });
        Ok(())
    }

    /// The current item if it is `output_index`; a delta for an item never added opens it.
    fn current(
        &mut self,
        output_index: usize,
        item: &OutputItem,
        out: &mut Vec<StreamEvent>,
    ) -> Result<&mut Item, TranslateError> {
        if self.item.as_ref().map(|i| i.output_index) != Some(output_index) {
            self.add(output_index, item, out)?;
        }
        self.item
            .as_mut()
            .ok_or_else(|| TranslateError::BadChunk("no output item".into()))
    }

    fn text(
        &mut self,
        output_index: usize,
        delta: &str,
        out: &mut Vec<StreamEvent>,
    ) -> Result<(), TranslateError> {
        let placeholder = OutputItem::Message {
            content: Vec::new(),
        };
        self.current(output_index, &placeholder, out)?;
        self.append(delta, false, out);
        Ok(())
    }

    fn summary(
        &mut self,
        output_index: usize,
        summary_index: usize,
        delta: &str,
        out: &mut Vec<StreamEvent>,
    ) -> Result<(), TranslateError> {
        let placeholder = OutputItem::Reasoning {
            id: String::new(),
            summary: Vec::new(),
            encrypted_content: None,
        };
        let item = self.current(output_index, &placeholder, out)?;
        if delta.is_empty() {
            return Ok(());
        }
        let separate = match &mut item.kind {
            Kind::Reasoning { part } => {
                let separate = part.is_some_and(|p| p != summary_index);
                *part = Some(summary_index);
                separate
            }
            _ => false,
        };
        if separate {
            self.append("\n\n", true, out);
        }
        self.append(delta, true, out);
        Ok(())
    }

    /// Appends text (or thinking) to the current item's block, opening it if needed.
    fn append(&mut self, text: &str, thinking: bool, out: &mut Vec<StreamEvent>) {
        let Some(item) = self.item.as_ref() else {
            return;
        };
        if text.is_empty() || matches!(item.kind, Kind::Tool { .. } | Kind::Skipped) {
            return;
        }
        let index = match item.block {
            Some(index) => index,
            None => {
                let index = self.begin(empty_block(thinking), out);
                if let Some(item) = self.item.as_mut() {
                    item.block = Some(index);
                }
                index
            }
        };
        let delta = text_delta(thinking, text.to_string());
        out.push(StreamEvent::ContentBlockDelta { index, delta });
    }

    /// Arguments of the current function call: a delta, or the whole text from `.done`
    /// (used only when no delta came).
    fn arguments(
        &mut self,
        output_index: usize,
        text: &str,
        whole: bool,
        out: &mut Vec<StreamEvent>,
    ) {
        let Some(Item {
            output_index: current,
            kind:
                Kind::Tool {
                    repair,
                    had_arguments,
                    ..
                },
            block: Some(index),
        }) = self.item.as_mut()
        else {
            return;
        };
        if *current != output_index || (whole && *had_arguments) {
            return;
        }
        *had_arguments = true;
        let partial_json = repair.push(text);
        if !partial_json.is_empty() {
            let delta = BlockDelta::InputJsonDelta { partial_json };
            out.push(StreamEvent::ContentBlockDelta {
                index: *index,
                delta,
            });
        }
    }

    /// An item is done: what its deltas did not bring comes from the item itself, and its
    /// block closes (a reasoning item's with the signature carrying it).
    fn done(
        &mut self,
        output_index: usize,
        item: &OutputItem,
        out: &mut Vec<StreamEvent>,
    ) -> Result<(), TranslateError> {
        self.current(output_index, item, out)?;
        let mut signature = None;
        match item {
            OutputItem::Message { content } => {
                if self.item.as_ref().is_some_and(|i| i.block.is_none()) {
                    for part in content {
                        match part {
                            OutputContent::OutputText { text } => self.append(text, false, out),
                            OutputContent::Refusal { refusal } => {
                                self.refused = true;
                                self.append(refusal, false, out);
                            }
                            OutputContent::Other => {}
                        }
                    }
                }
            }
            OutputItem::Reasoning {
                id,
                summary,
                encrypted_content,
            } => {
                let carried = reasoning_signature(id, encrypted_content.as_deref());
                if self.item.as_ref().is_some_and(|i| i.block.is_none()) {
                    let text = summary_text(summary);
                    if text.is_empty() && carried != THINKING_SIGNATURE {
                        self.open_empty_thinking(out);
                    }
                    self.append(&text, true, out);
                }
                signature = Some(carried);
            }
            OutputItem::FunctionCall { arguments, .. } => {
                self.arguments(output_index, arguments, true, out);
            }
            OutputItem::Other => {}
        }
        self.close(signature, out)
    }

    /// A thinking block with no text, only there to carry the encrypted reasoning.
    fn open_empty_thinking(&mut self, out: &mut Vec<StreamEvent>) {
        let index = self.begin(empty_block(true), out);
        if let Some(item) = self.item.as_mut() {
            item.block = Some(index);
        }
    }

    /// Ends the current item: its block (if any) gets what closes it.
    fn close(
        &mut self,
        signature: Option<String>,
        out: &mut Vec<StreamEvent>,
    ) -> Result<(), TranslateError> {
        let Some(item) = self.item.take() else {
            return Ok(());
        };
        let Some(index) = item.block else {
            return Ok(());
        };
        match item.kind {
            Kind::Reasoning { .. } => {
                let signature = signature.unwrap_or_else(|| THINKING_SIGNATURE.to_string());
                let delta = BlockDelta::SignatureDelta { signature };
                out.push(StreamEvent::ContentBlockDelta { index, delta });
            }
            Kind::Tool {
                mut repair, name, ..
            } => {
                let (tail, _) = repair
                    .finish()
                    .map_err(|reason| TranslateError::Arguments {
                        tool: self.context.names.client_name(&name),
                        reason,
                    })?;
                if !tail.is_empty() {
                    let delta = BlockDelta::InputJsonDelta { partial_json: tail };
                    out.push(StreamEvent::ContentBlockDelta { index, delta });
                }
            }
            Kind::Message | Kind::Skipped => {}
        }
        out.push(StreamEvent::ContentBlockStop { index });
        Ok(())
    }

    fn finish(
        &mut self,
        response: &responses::Response,
        out: &mut Vec<StreamEvent>,
    ) -> Result<(), TranslateError> {
        self.start(out);
        self.close(None, out)?;
        self.finished = true;
        out.push(StreamEvent::MessageDelta {
            delta: MessageDelta {
                stop_reason: stop_reason(response, self.has_tools, self.refused),
                stop_sequence: None,
            },
            usage: usage(response.usage.as_ref()),
        });
        out.push(StreamEvent::MessageStop);
        Ok(())
    }
}

#[cfg(test)]
mod tests;
