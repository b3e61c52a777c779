//! The streaming state machine: OpenAI chunks → Anthropic SSE events (docs/translation.md, "Streaming"),
//! one per response.
//!
//! Guarantees to the client: `message_start` first; blocks with indices 0, 1, 2, ... in
//! start order, one open at a time, each closed; thinking blocks start with `signature: ""`
//! and get one `signature_delta` right before they close; no empty text blocks; tool
//! arguments forwarded as `input_json_delta` as they arrive (repaired on the fly, so they
//! always concatenate to a JSON object); then `message_delta` (stop reason, usage) and
//! `message_stop`. Parallel tool calls that arrive interleaved are held back (per call)
//! until the open call's object is complete or the stream ends, then emitted in order.
//! Failures (an `error` chunk, `finish_reason: "error"`, unrepairable arguments, a stream
//! that ends without `[DONE]` or a finish reason, or with no content, finish reason or
//! usage at all) are returned as errors: the caller ends
//! the stream with an `error` event and no `message_stop`.

use serde_json::Value;

use super::{stop_reason, upstream_error, usage, Context};
use crate::translate::arguments::Repair;
use crate::translate::cut::Cut;
use crate::translate::names::tool_id;
use crate::translate::text_calls::{Piece, Scanner, TextCall};
use crate::translate::{message_start, random_id, TranslateError, THINKING_SIGNATURE};
use crate::wire::anthropic::{
    BlockDelta, MessageDelta, ResponseBlock, StopReason, StreamEvent, Usage,
};
use crate::wire::openai;

/// The block that is open now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Open {
    None,
    Thinking(usize),
    Text(usize),
    /// A tool call: its slot in `tools` and its block index.
    Tool(usize, usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ToolState {
    Waiting,
    Open,
    Closed,
}

#[derive(Debug)]
struct ToolCall {
    /// The upstream's `index` for this call.
    key: usize,
    id: String,
    name: String,
    repair: Repair,
    /// The arguments as received, to recognise a resent snapshot of them.
    raw: String,
    state: ToolState,
    /// Repaired argument text not yet emitted (the call is waiting).
    held: String,
}

/// Translates one streamed completion.
#[derive(Debug)]
pub struct StreamTranslator {
    context: Context,
    id: String,
    started: bool,
    finished: bool,
    next_index: usize,
    open: Open,
    tools: Vec<ToolCall>,
    /// Reads reasoning and tool calls written into the content.
    scanner: Scanner,
    /// Tool calls read from the text and emitted.
    text_calls: usize,
    finish_reason: Option<String>,
    matched_stop: Option<Value>,
    refused: bool,
    usage: Option<openai::CompletionUsage>,
    cut: Option<Cut>,
}

impl StreamTranslator {
    pub fn new(context: Context) -> Self {
        Self {
            cut: context.cut_to.map(Cut::new),
            scanner: Scanner::new(context.text_calls.clone()),
            text_calls: 0,
            context,
            id: crate::translate::message_id(),
            started: false,
            finished: false,
            next_index: 0,
            open: Open::None,
            tools: Vec::new(),
            finish_reason: None,
            matched_stop: None,
            refused: false,
            usage: None,
        }
    }

    /// One SSE `data:` payload: a chunk, or `[DONE]`.
    pub fn on_data(&mut self, data: &str) -> Result<Vec<StreamEvent>, TranslateError> {
        let events = if data.trim() == "[DONE]" {
            self.finish(true)?
        } else {
            let chunk: openai::ChatChunk =
                serde_json::from_str(data).map_err(|e| TranslateError::BadChunk(e.to_string()))?;
            self.on_chunk(chunk)?
        };
        Ok(self.cut(events))
    }

    /// The upstream closed the stream (after `[DONE]` this adds nothing).
    pub fn on_eof(&mut self) -> Result<Vec<StreamEvent>, TranslateError> {
        let events = self.finish(false)?;
        Ok(self.cut(events))
    }

    /// The events cut back to the client's limit when the upstream was sent more.
    fn cut(&mut self, events: Vec<StreamEvent>) -> Vec<StreamEvent> {
        match &mut self.cut {
            Some(cut) => cut.events(events),
            None => events,
        }
    }

    pub fn on_chunk(
        &mut self,
        mut chunk: openai::ChatChunk,
    ) -> Result<Vec<StreamEvent>, TranslateError> {
        if let Some(error) = &chunk.error {
            return Err(upstream_error(error));
        }
        let mut out = Vec::new();
        if self.finished {
            return Ok(out);
        }
        let in_choice = chunk.choices.first_mut().and_then(|c| c.usage.take());
        let usage = chunk.usage.or(chunk.x_groq.and_then(|x| x.usage));
        if let Some(usage) = usage.or(in_choice) {
            self.usage = Some(usage);
        }
        if !self.started {
            self.start(chunk.model, &mut out);
        }
        let Some(choice) = chunk.choices.into_iter().next() else {
            return Ok(out);
        };
        let mut delta = choice.delta;
        let reasoning = delta.take_reasoning();
        let (chunk_thinking, text) = delta
            .content
            .map(openai::TextContent::split)
            .unwrap_or_default();
        self.thinking(&reasoning, &mut out)?;
        self.thinking(&chunk_thinking, &mut out)?;
        let pieces = self.scanner.push(&text);
        self.pieces(pieces, &mut out)?;
        if let Some(refusal) = delta.refusal.filter(|r| !r.is_empty()) {
            self.refused = true;
            self.text(&refusal, &mut out)?;
        }
        for call in delta.tool_calls {
            self.tool_delta(call, &mut out)?;
        }
        if let Some(reason) = choice.finish_reason {
            if reason == "error" {
                return Err(TranslateError::Upstream {
                    message: "the provider stopped with finish_reason 'error'".into(),
                    status: None,
                });
            }
            self.finish_reason = Some(reason);
        }
        if choice.stop_reason.is_some() {
            self.matched_stop = choice.stop_reason;
        }
        Ok(out)
    }

    fn start(&mut self, model: Option<String>, out: &mut Vec<StreamEvent>) {
        self.started = true;
        let input_tokens = self.usage.as_ref().map_or(0, |u| usage(u).input_tokens);
        let model = model.unwrap_or_else(|| self.context.model.clone());
        let usage = Usage {
            input_tokens,
            ..Usage::default()
        };
        out.push(message_start(self.id.clone(), model, usage));
    }

    /// Emits what the scanner read from the content.
    fn pieces(
        &mut self,
        pieces: Vec<Piece>,
        out: &mut Vec<StreamEvent>,
    ) -> Result<(), TranslateError> {
        for piece in pieces {
            match piece {
                Piece::Thinking(text) => self.thinking(&text, out)?,
                Piece::Text(text) => self.text(&text, out)?,
                Piece::Call(call) => self.text_call(call, out)?,
            }
        }
        Ok(())
    }

    /// A tool call read from the text: one whole `tool_use` block.
    fn text_call(
        &mut self,
        call: TextCall,
        out: &mut Vec<StreamEvent>,
    ) -> Result<(), TranslateError> {
        if self.context.single_tool_call && (self.text_calls > 0 || !self.tools.is_empty()) {
            return Ok(());
        }
        self.close(out)?;
        let block = ResponseBlock::ToolUse {
            id: random_id("toolu_"),
            name: self.context.names.client_name(&call.name),
            input: Value::Object(Default::default()),
        };
        let index = self.begin(block, out);
        let partial_json = Value::Object(call.input).to_string();
        let delta = BlockDelta::InputJsonDelta { partial_json };
        out.push(StreamEvent::ContentBlockDelta { index, delta });
        out.push(StreamEvent::ContentBlockStop { index });
        self.text_calls += 1;
        Ok(())
    }

    fn begin(&mut self, block: ResponseBlock, out: &mut Vec<StreamEvent>) -> usize {
        crate::translate::start_block(&mut self.next_index, block, out)
    }

    fn thinking(&mut self, text: &str, out: &mut Vec<StreamEvent>) -> Result<(), TranslateError> {
        self.append(Open::Thinking, text, out)
    }

    fn text(&mut self, text: &str, out: &mut Vec<StreamEvent>) -> Result<(), TranslateError> {
        self.append(Open::Text, text, out)
    }

    /// Appends reasoning or text to the open block of that `kind`, opening one if needed;
    /// an empty fragment opens nothing.
    fn append(
        &mut self,
        kind: fn(usize) -> Open,
        text: &str,
        out: &mut Vec<StreamEvent>,
    ) -> Result<(), TranslateError> {
        if text.is_empty() {
            return Ok(());
        }
        let thinking = kind(0) == Open::Thinking(0);
        let index = match self.open {
            Open::Thinking(index) if thinking => index,
            Open::Text(index) if !thinking => index,
            _ => {
                self.close(out)?;
                let index = self.begin(crate::translate::empty_block(thinking), out);
                self.open = kind(index);
                index
            }
        };
        let delta = crate::translate::text_delta(thinking, text.to_string());
        out.push(StreamEvent::ContentBlockDelta { index, delta });
        Ok(())
    }

    fn tool_delta(
        &mut self,
        call: openai::ToolCallDelta,
        out: &mut Vec<StreamEvent>,
    ) -> Result<(), TranslateError> {
        let Some(slot) = self.slot(&call) else {
            return Ok(());
        };
        let tool = &mut self.tools[slot];
        let function = call.function.unwrap_or_default();
        if tool.id.is_empty() {
            tool.id = call.id.unwrap_or_default();
        }
        if tool.name.is_empty() {
            tool.name = function.name.unwrap_or_default();
        }
        if tool.state != ToolState::Closed {
            let fragment = function.arguments.unwrap_or_default();
            // A provider that resends the whole arguments so far: only the new end counts.
            let fragment = match fragment.strip_prefix(tool.raw.as_str()) {
                Some(new) if !tool.raw.is_empty() => new,
                _ => fragment.as_str(),
            };
            tool.raw.push_str(fragment);
            let text = tool.repair.push(fragment);
            match (tool.state, self.open) {
                (ToolState::Open, Open::Tool(_, index)) if !text.is_empty() => {
                    let delta = BlockDelta::InputJsonDelta { partial_json: text };
                    out.push(StreamEvent::ContentBlockDelta { index, delta });
                }
                _ => tool.held.push_str(&text),
            }
        }
        self.advance(out)
    }

    /// The call a delta belongs to: by `index`, else by `id`, else the last one (some providers
    /// omit `index`). `None` for a further call when the client asked for one call only (a
    /// text call counts): with `single_tool_call` only the first call of the answer is passed
    /// on.
    fn slot(&mut self, call: &openai::ToolCallDelta) -> Option<usize> {
        let found = match (call.index, call.id.as_deref().filter(|id| !id.is_empty())) {
            (Some(key), _) => self.tools.iter().position(|t| t.key == key),
            (None, Some(id)) => self.tools.iter().position(|t| t.id == id),
            (None, None) => self.tools.len().checked_sub(1),
        };
        if found.is_some() {
            return found;
        }
        if self.context.single_tool_call && (self.text_calls > 0 || !self.tools.is_empty()) {
            return None;
        }
        Some({
            self.tools.push(ToolCall {
                key: call.index.unwrap_or(self.tools.len()),
                id: String::new(),
                name: String::new(),
                repair: Repair::new(),
                raw: String::new(),
                state: ToolState::Waiting,
                held: String::new(),
            });
            self.tools.len() - 1
        })
    }

    /// Closes the open call once its object is complete, and starts waiting calls (in
    /// order of appearance) whenever no incomplete call is open.
    fn advance(&mut self, out: &mut Vec<StreamEvent>) -> Result<(), TranslateError> {
        loop {
            if let Open::Tool(slot, _) = self.open {
                if !self.tools[slot].repair.is_complete() {
                    return Ok(());
                }
                self.close(out)?;
            }
            let Some(slot) = self
                .tools
                .iter()
                .position(|t| t.state == ToolState::Waiting && !t.name.is_empty())
            else {
                return Ok(());
            };
            self.open_tool(slot, out)?;
        }
    }

    fn open_tool(&mut self, slot: usize, out: &mut Vec<StreamEvent>) -> Result<(), TranslateError> {
        self.close(out)?;
        let tool = &self.tools[slot];
        let block = ResponseBlock::ToolUse {
            id: tool_id(&tool.id),
            name: self.context.names.client_name(&tool.name),
            input: Value::Object(Default::default()),
        };
        let index = self.begin(block, out);
        let tool = &mut self.tools[slot];
        tool.state = ToolState::Open;
        self.open = Open::Tool(slot, index);
        let held = std::mem::take(&mut tool.held);
        if !held.is_empty() {
            let delta = BlockDelta::InputJsonDelta { partial_json: held };
            out.push(StreamEvent::ContentBlockDelta { index, delta });
        }
        Ok(())
    }

    /// Closes the open block (a thinking block gets its signature first; a tool call gets
    /// what closes its arguments).
    fn close(&mut self, out: &mut Vec<StreamEvent>) -> Result<(), TranslateError> {
        let index = match self.open {
            Open::None => return Ok(()),
            Open::Thinking(index) => {
                let delta = BlockDelta::SignatureDelta {
                    signature: THINKING_SIGNATURE.to_string(),
                };
                out.push(StreamEvent::ContentBlockDelta { index, delta });
                index
            }
            Open::Text(index) => index,
            Open::Tool(slot, index) => {
                let tool = &mut self.tools[slot];
                tool.state = ToolState::Closed;
                let (tail, _) =
                    tool.repair
                        .finish()
                        .map_err(|reason| TranslateError::Arguments {
                            tool: self.context.names.client_name(&tool.name),
                            reason,
                        })?;
                if !tail.is_empty() {
                    let delta = BlockDelta::InputJsonDelta { partial_json: tail };
                    out.push(StreamEvent::ContentBlockDelta { index, delta });
                }
                index
            }
        };
        out.push(StreamEvent::ContentBlockStop { index });
        self.open = Open::None;
        Ok(())
    }

    fn finish(&mut self, done: bool) -> Result<Vec<StreamEvent>, TranslateError> {
        let mut out = Vec::new();
        if self.finished {
            return Ok(out);
        }
        if !done && self.finish_reason.is_none() {
            return Err(TranslateError::Truncated);
        }
        self.finished = true;
        if !self.started {
            self.start(None, &mut out);
        }
        let pieces = self.scanner.finish();
        self.pieces(pieces, &mut out)?;
        self.close(&mut out)?;
        for slot in 0..self.tools.len() {
            if self.tools[slot].state == ToolState::Waiting {
                if self.tools[slot].name.is_empty() {
                    self.tools[slot].name = "unknown_tool".to_string();
                }
                self.open_tool(slot, &mut out)?;
                self.close(&mut out)?;
            }
        }
        if self.next_index == 0 && self.finish_reason.is_none() && self.usage.is_none() {
            // `[DONE]` after nothing at all: no answer, not an empty one.
            return Err(TranslateError::Truncated);
        }
        let (mut stop_reason, stop_sequence) = stop_reason(
            self.finish_reason.as_deref(),
            !self.tools.is_empty() || self.text_calls > 0,
            self.matched_stop.as_ref(),
            &self.context,
        )?;
        if self.refused {
            stop_reason = StopReason::Refusal;
        }
        out.push(StreamEvent::MessageDelta {
            delta: MessageDelta {
                stop_reason,
                stop_sequence,
            },
            usage: self.usage.as_ref().map(usage).unwrap_or_default(),
        });
        out.push(StreamEvent::MessageStop);
        Ok(out)
    }
}

#[cfg(test)]
mod quirk_tests;
#[cfg(test)]
mod tests;
