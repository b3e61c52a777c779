//! Anthropic Messages API types (https://docs.anthropic.com/en/api/messages, https://docs.anthropic.com/en/docs/build-with-claude/streaming): the request we accept and the
//! response we produce. Readers tolerate unknown fields; block types we do not translate
//! are read as `Other`. Tool schemas are kept as their text ([`super::RawJson`]); tool inputs
//! are `serde_json` values.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::string_or::{Long, StringOr};

/// A field written as a string or as a list of blocks (`system`, a message's `content`, a
/// `tool_result`'s `content`): the enum, read through [`crate::string_or`] (straight from
/// the input, where serde's `untagged` would first copy the whole value).
macro_rules! text_or_blocks {
    ($(#[$doc:meta])* $name:ident, $block:ty, $expecting:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub enum $name {
            Text(String),
            Blocks(Vec<$block>),
        }

        impl StringOr for $name {
            type Long = Vec<$block>;
            const SHAPE: Long = Long::List;
            const EXPECTING: &'static str = $expecting;

            fn from_text(text: &str) -> Self {
                Self::Text(text.to_string())
            }

            fn from_long(blocks: Vec<$block>) -> Self {
                Self::Blocks(blocks)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                crate::string_or::deserialize(deserializer)
            }
        }
    };
}

/// `POST /v1/messages` body.
#[derive(Debug, Clone, Deserialize)]
pub struct MessagesRequest {
    pub model: String,
    pub messages: Vec<Message>,
    #[serde(default)]
    pub system: Option<SystemPrompt>,
    #[serde(default)]
    pub max_tokens: Option<u64>,
    #[serde(default)]
    pub stream: bool,
    #[serde(default)]
    pub temperature: Option<f64>,
    #[serde(default)]
    pub top_p: Option<f64>,
    #[serde(default)]
    pub top_k: Option<u64>,
    #[serde(default)]
    pub stop_sequences: Vec<String>,
    #[serde(default)]
    pub tools: Vec<Tool>,
    #[serde(default)]
    pub tool_choice: Option<ToolChoice>,
    #[serde(default)]
    pub thinking: Option<Thinking>,
    #[serde(default)]
    pub metadata: Option<Metadata>,
    #[serde(default)]
    pub output_config: Option<OutputConfig>,
}

text_or_blocks!(
    /// `system`: a string or a list of text blocks.
    SystemPrompt,
    SystemBlock,
    "a string or a list of text blocks"
);

#[derive(Debug, Clone, Deserialize)]
pub struct SystemBlock {
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub cache_control: Option<CacheControl>,
}

/// A block's `cache_control`: a prompt-cache breakpoint after it (`{"type": "ephemeral"}`,
/// optionally with a `ttl`). Translators that have no such thing ignore it; OpenRouter's
/// Anthropic and Gemini models take it (docs/translation.md, "Prompt caching").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheControl {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Assistant,
    /// Claude Code sends per-turn guidance as role `system` inside `messages`
    /// (docs/claude-code-offline.md).
    System,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Message {
    pub role: Role,
    pub content: MessageContent,
}

text_or_blocks!(
    /// A message's `content`: a string (one text block) or a list of blocks.
    MessageContent,
    ContentBlock,
    "a string or a list of content blocks"
);

/// A request content block.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentBlock {
    Text {
        text: String,
        #[serde(default)]
        cache_control: Option<CacheControl>,
    },
    Image {
        source: MediaSource,
    },
    Document {
        source: MediaSource,
        #[serde(default)]
        title: Option<String>,
        #[serde(default)]
        context: Option<String>,
    },
    ToolUse {
        id: String,
        name: String,
        #[serde(default)]
        input: Value,
    },
    ToolResult {
        tool_use_id: String,
        #[serde(default)]
        content: Option<ToolResultContent>,
        #[serde(default)]
        is_error: bool,
        #[serde(default)]
        cache_control: Option<CacheControl>,
    },
    Thinking {
        #[serde(default)]
        thinking: String,
        #[serde(default)]
        signature: String,
    },
    RedactedThinking {
        #[serde(default)]
        data: String,
    },
    /// Inside a `tool_result` of a tool search: makes a deferred tool available.
    ToolReference {
        #[serde(default)]
        tool_name: String,
    },
    /// A search result given to the model as context.
    SearchResult {
        #[serde(default)]
        source: String,
        #[serde(default)]
        title: String,
        #[serde(default)]
        content: Vec<ContentBlock>,
    },
    /// Server tool history, search results, container uploads, blocks newer than this
    /// reader: dropped by translators, kept by the pass-through.
    #[serde(other)]
    Other,
}

/// The `source` of an image or document block.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum MediaSource {
    Base64 {
        media_type: String,
        data: String,
    },
    Url {
        url: String,
    },
    /// Plain-text documents.
    Text {
        #[serde(default)]
        media_type: Option<String>,
        data: String,
    },
    /// Documents given as content blocks.
    Content {
        content: ToolResultContent,
    },
    #[serde(other)]
    Other,
}

text_or_blocks!(
    /// A `tool_result`'s `content`: a string or a list of blocks (text, image, ...).
    ToolResultContent,
    ContentBlock,
    "a string or a list of content blocks"
);

/// A tool definition: a custom tool with a schema, or an Anthropic-defined tool
/// identified by `type` (`web_search_20250305`, `bash_20250124`, ...).
#[derive(Debug, Clone, Deserialize)]
pub struct Tool {
    #[serde(default)]
    pub name: String,
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub input_schema: Option<super::RawJson>,
    /// Loaded only once a tool search references it.
    #[serde(default)]
    pub defer_loading: bool,
}

/// `tool_choice`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToolChoice {
    Auto {
        #[serde(default)]
        disable_parallel_tool_use: bool,
    },
    Any {
        #[serde(default)]
        disable_parallel_tool_use: bool,
    },
    Tool {
        name: String,
        #[serde(default)]
        disable_parallel_tool_use: bool,
    },
    None,
}

/// `thinking`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Thinking {
    Enabled {
        #[serde(default)]
        budget_tokens: u64,
    },
    Disabled,
    Adaptive,
    #[serde(other)]
    Other,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Metadata {
    #[serde(default)]
    pub user_id: Option<String>,
}

/// `output_config` (2026): reasoning effort and structured output.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OutputConfig {
    #[serde(default)]
    pub effort: Option<String>,
    #[serde(default)]
    pub format: Option<Value>,
}

/// The non-streaming response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageResponse {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub role: Role,
    pub content: Vec<ResponseBlock>,
    pub model: String,
    pub stop_reason: StopReason,
    pub stop_sequence: Option<String>,
    pub usage: Usage,
}

/// A response content block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ResponseBlock {
    Thinking {
        thinking: String,
        signature: String,
    },
    RedactedThinking {
        data: String,
    },
    Text {
        text: String,
    },
    ToolUse {
        id: String,
        name: String,
        input: Value,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    EndTurn,
    MaxTokens,
    StopSequence,
    ToolUse,
    Refusal,
}

/// One streamed event; the SSE `event:` name is [`StreamEvent::name`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StreamEvent {
    MessageStart {
        message: StreamMessage,
    },
    ContentBlockStart {
        index: usize,
        content_block: ResponseBlock,
    },
    ContentBlockDelta {
        index: usize,
        delta: BlockDelta,
    },
    ContentBlockStop {
        index: usize,
    },
    MessageDelta {
        delta: MessageDelta,
        usage: Usage,
    },
    MessageStop,
    Ping,
}

impl StreamEvent {
    /// The SSE event name, equal to the JSON `type`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::MessageStart { .. } => "message_start",
            Self::ContentBlockStart { .. } => "content_block_start",
            Self::ContentBlockDelta { .. } => "content_block_delta",
            Self::ContentBlockStop { .. } => "content_block_stop",
            Self::MessageDelta { .. } => "message_delta",
            Self::MessageStop => "message_stop",
            Self::Ping => "ping",
        }
    }
}

/// The message in `message_start`: no content yet and a `null` stop reason.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StreamMessage {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub role: Role,
    pub content: [Value; 0],
    pub model: String,
    pub stop_reason: Option<StopReason>,
    pub stop_sequence: Option<String>,
    pub usage: Usage,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum BlockDelta {
    TextDelta { text: String },
    ThinkingDelta { thinking: String },
    SignatureDelta { signature: String },
    InputJsonDelta { partial_json: String },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MessageDelta {
    pub stop_reason: StopReason,
    pub stop_sequence: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_creation_input_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_read_input_tokens: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn thinking_disabled_is_read_with_extra_keys() {
        let thinking: Thinking = serde_json::from_value(
            json!({"type": "disabled", "display": "omitted", "budget_tokens": 0}),
        )
        .expect("readable");
        assert_eq!(thinking, Thinking::Disabled);
    }

    #[test]
    fn reads_a_claude_code_style_request() {
        let request: MessagesRequest = serde_json::from_value(json!({
            "model": "claude-opus-5-5", "max_tokens": 128000, "stream": true,
            "system": [{"type": "text", "text": "You are Claude Code.", "cache_control": {"type": "ephemeral"}}],
            "metadata": {"user_id": "{\"session\":\"x\"}"},
            "thinking": {"type": "adaptive", "display": "omitted"},
            "context_management": {"edits": [{"type": "clear_thinking_20251015", "keep": "all"}]},
            "output_config": {"effort": "medium"},
            "tools": [
                {"name": "Bash", "description": "Run", "input_schema": {"type": "object"}},
                {"name": "Later", "input_schema": {"type": "object"}, "defer_loading": true},
                {"type": "web_search_20250305", "name": "web_search", "max_uses": 5}
            ],
            "messages": [
                {"role": "user", "content": [{"type": "text", "text": "hi"}]},
                {"role": "system", "content": "guidance"},
                {"role": "assistant", "content": [
                    {"type": "thinking", "thinking": "hm", "signature": "sig"},
                    {"type": "tool_use", "id": "toolu_1", "name": "Bash", "input": {"command": "ls"}},
                    {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {}}
                ]},
                {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": "toolu_1", "content": "a\nb", "is_error": false},
                    {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAAA"}}
                ]}
            ]
        }))
        .expect("Claude Code's request is readable");
        assert!(request.stream);
        assert_eq!(request.thinking, Some(Thinking::Adaptive));
        assert_eq!(request.tools.len(), 3);
        assert_eq!(
            request.tools[2].kind.as_deref(),
            Some("web_search_20250305")
        );
        let MessageContent::Blocks(blocks) = &request.messages[2].content else {
            panic!("blocks expected");
        };
        assert!(matches!(blocks[2], ContentBlock::Other));
    }
}
