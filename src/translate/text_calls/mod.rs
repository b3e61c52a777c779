//! Tool calls and reasoning that a model wrote into its answer's text (docs/translation.md,
//! "Tool calls and reasoning written as text").
//!
//! Open models served behind OpenAI-compatible endpoints often put their reasoning in the
//! content (`<think>…</think>`) and, when the server does not parse their tool-call syntax,
//! their tool calls too (`<tool_call>{…}</tool_call>` and the other formats in [`Formats`]).
//! [`Scanner`] splits such text into [`Piece`]s: thinking, text, and calls. It is a
//! character-level state machine, so the pieces (concatenated) are the same however the text
//! was split into chunks; the stream translator and the non-streaming one both use it.
//!
//! Rules: `<think>` counts only at the start of the content; a call block counts only
//! outside a Markdown code fence, only for the formats the target's quirks enable, and only
//! when every call in it names a tool the request offered and its arguments can be read.
//! Anything else stays text, exactly as written.

mod formats;

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use crate::wire::{openai, RawJson};

/// The text formats of tool calls to look for (a set).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Formats(u8);

impl Formats {
    pub const NONE: Self = Self(0);
    /// Hermes / Qwen 2.5 / Qwen 3: `<tool_call>{"name": …, "arguments": {…}}</tool_call>`.
    pub const HERMES: Self = Self(1);
    /// GLM-4.5 and later: `<tool_call>NAME<arg_key>K</arg_key><arg_value>V</arg_value></tool_call>`.
    pub const GLM: Self = Self(2);
    /// Qwen3-Coder: `<tool_call><function=NAME><parameter=K>V</parameter></function></tool_call>`.
    pub const QWEN_XML: Self = Self(4);
    /// DeepSeek V3.2 and later (DSML): `<｜DSML｜function_calls><｜DSML｜invoke name="N">…`.
    pub const DSML: Self = Self(8);
    /// Kimi K2: `<|tool_calls_section_begin|><|tool_call_begin|>functions.N:0…`.
    pub const KIMI: Self = Self(16);

    pub const fn with(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    pub const fn contains(self, other: Self) -> bool {
        other.0 != 0 && self.0 & other.0 == other.0
    }

    const fn intersects(self, other: Self) -> bool {
        self.0 & other.0 != 0
    }
}

/// What tool calls written as text may be: the formats to parse, and the tools the request
/// offered (by upstream name, each with its schema as the client wrote it: the schema is
/// read only when a call in the text needs it, which is rare, not on every request).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextCalls {
    pub formats: Formats,
    pub tools: HashMap<String, RawJson>,
}

/// The part of a tool's schema [`TextCalls::string_params`] reads: each property's `type`.
#[derive(serde::Deserialize)]
struct ObjectSchema {
    #[serde(default)]
    properties: HashMap<String, Property>,
}

#[derive(serde::Deserialize)]
struct Property {
    #[serde(rename = "type", default)]
    kind: Value,
}

impl ObjectSchema {
    /// The properties typed as strings (a plain `"type": "string"`).
    fn string_properties(self) -> HashSet<String> {
        self.properties
            .into_iter()
            .filter(|(_, property)| property.kind == "string")
            .map(|(name, _)| name)
            .collect()
    }
}

impl TextCalls {
    /// The calls a request with `tools` may see, in `formats`; none without tools.
    pub fn offered(formats: Formats, tools: &[openai::Tool]) -> Self {
        let tools: HashMap<String, RawJson> = tools
            .iter()
            .map(|tool| (tool.function.name.clone(), tool.function.parameters.clone()))
            .collect();
        let formats = if tools.is_empty() {
            Formats::NONE
        } else {
            formats
        };
        Self { formats, tools }
    }

    /// The parameters of offered tool `name` that its schema types as strings; `None` for a
    /// tool not offered.
    pub fn string_params(&self, name: &str) -> Option<HashSet<String>> {
        let schema = self.tools.get(name)?;
        Some(
            schema
                .read::<ObjectSchema>()
                .map(ObjectSchema::string_properties)
                .unwrap_or_default(),
        )
    }
}

/// A tool call read from the text: the upstream tool name and its input object.
#[derive(Debug, Clone, PartialEq)]
pub struct TextCall {
    pub name: String,
    pub input: Map<String, Value>,
}

/// A run of the answer, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    Thinking(String),
    Text(String),
    Call(TextCall),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    ToolCall,
    Dsml,
    Kimi,
}

/// A call block's delimiters, and the formats that use them.
#[derive(Debug)]
struct Marker {
    open: &'static str,
    close: &'static str,
    kind: Kind,
    formats: Formats,
}

const MARKERS: [Marker; 4] = [
    Marker {
        open: "<tool_call>",
        close: "</tool_call>",
        kind: Kind::ToolCall,
        formats: Formats::HERMES.with(Formats::GLM).with(Formats::QWEN_XML),
    },
    Marker {
        open: "<｜DSML｜function_calls>",
        close: "</｜DSML｜function_calls>",
        kind: Kind::Dsml,
        formats: Formats::DSML,
    },
    Marker {
        open: "<｜DSML｜tool_calls>",
        close: "</｜DSML｜tool_calls>",
        kind: Kind::Dsml,
        formats: Formats::DSML,
    },
    Marker {
        open: "<|tool_calls_section_begin|>",
        close: "<|tool_calls_section_end|>",
        kind: Kind::Kimi,
        formats: Formats::KIMI,
    },
];

const THINK_OPEN: &str = "<think>";
const THINK_CLOSE: &str = "</think>";
/// A call block longer than this is not a call: it is released as text.
const MAX_BLOCK: usize = 1 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Only whitespace so far: `<think>` may still open.
    Start,
    Think,
    /// Right after `</think>`: whitespace is dropped.
    AfterThink,
    Body,
}

/// Splits streamed content into [`Piece`]s; see the module documentation.
#[derive(Debug)]
pub struct Scanner {
    calls: TextCalls,
    markers: Vec<&'static Marker>,
    phase: Phase,
    /// Text that may be the start of a marker.
    held: String,
    /// Inside a call block: its marker and body so far.
    block: Option<(&'static Marker, String)>,
    fence: Fence,
    out: Vec<Piece>,
}

impl Scanner {
    pub fn new(calls: TextCalls) -> Self {
        let markers = MARKERS
            .iter()
            .filter(|m| calls.formats.intersects(m.formats))
            .collect();
        Self {
            calls,
            markers,
            phase: Phase::Start,
            held: String::new(),
            block: None,
            fence: Fence::default(),
            out: Vec::new(),
        }
    }

    /// The pieces `text` completes; text that may still become a marker is held.
    pub fn push(&mut self, text: &str) -> Vec<Piece> {
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            let plain = self.plain_run(rest);
            if plain > 0 {
                self.text_str(&rest[..plain]);
                rest = &rest[plain..];
            } else {
                self.step(c);
                rest = &rest[c.len_utf8()..];
            }
        }
        std::mem::take(&mut self.out)
    }

    /// How many leading bytes of `text` are plain text whatever follows: in the body, with
    /// nothing held, everything before the next `<` (every marker opens with one), or all
    /// of it when no marker applies. Read in one go rather than a character at a time.
    fn plain_run(&self, text: &str) -> usize {
        if self.phase != Phase::Body || self.block.is_some() || !self.held.is_empty() {
            return 0;
        }
        if self.markers.is_empty() {
            return text.len();
        }
        memchr::memchr(b'<', text.as_bytes()).unwrap_or(text.len())
    }

    /// The content ended: what was held, as what it turned out to be.
    pub fn finish(&mut self) -> Vec<Piece> {
        let held = std::mem::take(&mut self.held);
        match self.phase {
            Phase::Think => self.piece(Piece::Thinking(held)),
            Phase::Start | Phase::AfterThink | Phase::Body => {
                if let Some((marker, body)) = self.block.take() {
                    self.close_block(marker, body, false);
                }
                self.text_str(&held);
            }
        }
        self.phase = Phase::Body;
        std::mem::take(&mut self.out)
    }

    fn step(&mut self, c: char) {
        match self.phase {
            Phase::Start => {
                self.held.push(c);
                let rest = self.held.trim_start();
                if rest == THINK_OPEN {
                    self.held.clear();
                    self.phase = Phase::Think;
                } else if !THINK_OPEN.starts_with(rest) {
                    self.phase = Phase::Body;
                    let held = std::mem::take(&mut self.held);
                    held.chars().for_each(|c| self.body(c));
                }
            }
            Phase::Think => {
                self.held.push(c);
                if let Some(thinking) = self.held.strip_suffix(THINK_CLOSE) {
                    let thinking = thinking.to_string();
                    self.held.clear();
                    self.piece(Piece::Thinking(thinking));
                    self.phase = Phase::AfterThink;
                } else {
                    let keep = partial_suffix(&self.held, THINK_CLOSE);
                    let thinking: String = self.held.drain(..self.held.len() - keep).collect();
                    self.piece(Piece::Thinking(thinking));
                }
            }
            Phase::AfterThink if c.is_whitespace() => {}
            Phase::AfterThink | Phase::Body => {
                self.phase = Phase::Body;
                self.body(c);
            }
        }
    }

    fn body(&mut self, c: char) {
        if let Some((marker, mut body)) = self.block.take() {
            body.push(c);
            if let Some(inner) = body.strip_suffix(marker.close) {
                let inner = inner.to_string();
                self.close_block(marker, inner, true);
            } else if body.len() > MAX_BLOCK {
                self.text_str(marker.open);
                self.text_str(&body);
            } else {
                self.block = Some((marker, body));
            }
            return;
        }
        if self.markers.is_empty() || self.fence.open.is_some() {
            self.text(c);
            return;
        }
        self.held.push(c);
        if let Some(marker) = self.markers.iter().find(|m| m.open == self.held) {
            self.block = Some((marker, String::new()));
            self.held.clear();
            return;
        }
        if self.markers.iter().any(|m| m.open.starts_with(&self.held)) {
            return;
        }
        let held = std::mem::take(&mut self.held);
        let mut chars = held.chars();
        if let Some(first) = chars.next() {
            self.text(first);
        }
        chars.for_each(|c| self.body(c));
    }

    /// A block is complete (or the content ended inside it): its calls, or its text.
    fn close_block(&mut self, marker: &'static Marker, body: String, closed: bool) {
        match formats::parse(marker.kind, &body, &self.calls) {
            Some(calls) => calls
                .into_iter()
                .for_each(|call| self.piece(Piece::Call(call))),
            None => {
                self.text_str(marker.open);
                self.text_str(&body);
                if closed {
                    self.text_str(marker.close);
                }
            }
        }
    }

    fn text(&mut self, c: char) {
        self.fence.observe(c);
        match self.out.last_mut() {
            Some(Piece::Text(text)) => text.push(c),
            _ => self.out.push(Piece::Text(c.to_string())),
        }
    }

    fn text_str(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        self.fence.observe_str(text);
        match self.out.last_mut() {
            Some(Piece::Text(last)) => last.push_str(text),
            _ => self.out.push(Piece::Text(text.to_string())),
        }
    }

    /// Appends a piece, merged with the last one when both are thinking or both text.
    fn piece(&mut self, piece: Piece) {
        match (self.out.last_mut(), piece) {
            (_, Piece::Thinking(t) | Piece::Text(t)) if t.is_empty() => {}
            (Some(Piece::Thinking(last)), Piece::Thinking(t)) => last.push_str(&t),
            (Some(Piece::Text(last)), Piece::Text(t)) => last.push_str(&t),
            (_, piece) => self.out.push(piece),
        }
    }
}

/// The length of the longest proper prefix of `marker` that `text` ends with.
fn partial_suffix(text: &str, marker: &str) -> usize {
    (1..marker.len().min(text.len() + 1))
        .rev()
        .find(|&k| marker.is_char_boundary(k) && text.ends_with(&marker[..k]))
        .unwrap_or(0)
}

/// Tracks Markdown code fences in the text emitted so far: a line starting (after at most
/// three spaces) with three backticks or tildes opens one; the same again closes it.
#[derive(Debug, Clone)]
struct Fence {
    open: Option<char>,
    at_line_start: bool,
    indent: u8,
    run: u8,
    run_char: char,
}

impl Default for Fence {
    fn default() -> Self {
        Self {
            open: None,
            at_line_start: true,
            indent: 0,
            run: 0,
            run_char: '`',
        }
    }
}

impl Fence {
    /// [`Fence::observe`] for each character, skipping to the next line end wherever the
    /// rest of a line cannot matter.
    fn observe_str(&mut self, text: &str) {
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            if !self.at_line_start && c != '\n' {
                let Some(line_end) = memchr::memchr(b'\n', rest.as_bytes()) else {
                    return;
                };
                rest = &rest[line_end..];
                continue;
            }
            self.observe(c);
            rest = &rest[c.len_utf8()..];
        }
    }

    fn observe(&mut self, c: char) {
        if c == '\n' {
            self.at_line_start = true;
            self.indent = 0;
            self.run = 0;
            return;
        }
        if !self.at_line_start {
            return;
        }
        match c {
            ' ' if self.run == 0 && self.indent < 3 => self.indent += 1,
            '`' | '~' if self.run == 0 || c == self.run_char => {
                self.run_char = c;
                self.run += 1;
                if self.run == 3 {
                    self.at_line_start = false;
                    match self.open {
                        None => self.open = Some(c),
                        Some(open) if open == c => self.open = None,
                        Some(_) => {}
                    }
                }
            }
            _ => self.at_line_start = false,
        }
    }
}

#[cfg(test)]
mod tests;
