//! Cutting an answer back to the client's `max_tokens` when the upstream was sent a larger
//! limit: a model that reasons before it answers gets at least its workable minimum
//! (`Quirks::min_output_tokens`), and the client still gets no more than it asked for
//! (docs/translation.md, "Small limits"). Text and thinking are cut at about
//! [`CHARS_PER_TOKEN`] characters a token; a tool call is kept whole or dropped whole (half
//! a JSON object is no call); `output_tokens` never exceeds the limit, and the stop reason is
//! `max_tokens` when something was cut.

use crate::wire::anthropic::{
    BlockDelta, MessageResponse, ResponseBlock, StopReason, StreamEvent, Usage,
};

/// Characters counted as one token when cutting (English and code run near 4).
pub const CHARS_PER_TOKEN: u64 = 4;

/// What is left of the client's limit, in characters.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Budget {
    limit: u64,
    chars: u64,
    cut: bool,
}

impl Budget {
    fn new(limit: u64) -> Self {
        Self {
            limit,
            chars: limit.saturating_mul(CHARS_PER_TOKEN),
            cut: false,
        }
    }

    /// The part of `text` that fits; notes a cut when some did not.
    fn take(&mut self, text: &str) -> String {
        let fits = usize::try_from(self.chars).unwrap_or(usize::MAX);
        let kept: String = text.chars().take(fits).collect();
        let taken = kept.chars().count() as u64;
        self.chars -= taken.min(self.chars);
        if kept.len() < text.len() {
            self.cut = true;
        }
        kept
    }

    /// Charges a whole piece (a tool call's input) against the budget.
    fn charge(&mut self, chars: usize) {
        self.chars = self.chars.saturating_sub(chars as u64);
    }

    fn exhausted(&self) -> bool {
        self.chars == 0
    }

    /// The final stop reason and usage: `max_tokens` after a cut, output within the limit.
    fn settle(&self, stop_reason: &mut StopReason, usage: &mut Usage) {
        if self.cut {
            *stop_reason = StopReason::MaxTokens;
        }
        usage.output_tokens = usage.output_tokens.min(self.limit);
    }
}

/// Cuts a whole message back to `limit` output tokens.
pub fn message(message: &mut MessageResponse, limit: u64) {
    let mut budget = Budget::new(limit);
    let blocks = std::mem::take(&mut message.content);
    for block in blocks {
        if budget.exhausted() {
            budget.cut = true;
            break;
        }
        let kept = match block {
            ResponseBlock::Text { text } => {
                let text = budget.take(&text);
                (!text.is_empty()).then_some(ResponseBlock::Text { text })
            }
            ResponseBlock::Thinking {
                thinking,
                signature,
            } => Some(ResponseBlock::Thinking {
                thinking: budget.take(&thinking),
                signature,
            }),
            ResponseBlock::ToolUse { id, name, input } => {
                budget.charge(input.to_string().len());
                Some(ResponseBlock::ToolUse { id, name, input })
            }
            other => Some(other),
        };
        message.content.extend(kept);
    }
    budget.settle(&mut message.stop_reason, &mut message.usage);
}

/// Cuts a translated stream back to a limit, event by event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cut {
    budget: Budget,
    /// Blocks from this index on are dropped (they started after the budget ran out).
    dropped_from: Option<usize>,
}

impl Cut {
    pub fn new(limit: u64) -> Self {
        Self {
            budget: Budget::new(limit),
            dropped_from: None,
        }
    }

    /// `events` as the client may see them.
    pub fn events(&mut self, events: Vec<StreamEvent>) -> Vec<StreamEvent> {
        events
            .into_iter()
            .filter_map(|event| self.event(event))
            .collect()
    }

    fn dropped(&self, index: usize) -> bool {
        self.dropped_from.is_some_and(|from| index >= from)
    }

    fn event(&mut self, event: StreamEvent) -> Option<StreamEvent> {
        match event {
            StreamEvent::ContentBlockStart { index, .. } if self.budget.exhausted() => {
                self.budget.cut = true;
                self.dropped_from.get_or_insert(index);
                None
            }
            StreamEvent::ContentBlockDelta { index, .. }
            | StreamEvent::ContentBlockStop { index }
                if self.dropped(index) =>
            {
                None
            }
            StreamEvent::ContentBlockDelta { index, delta } => {
                let delta = match delta {
                    BlockDelta::TextDelta { text } => BlockDelta::TextDelta {
                        text: self.budget.take(&text),
                    },
                    BlockDelta::ThinkingDelta { thinking } => BlockDelta::ThinkingDelta {
                        thinking: self.budget.take(&thinking),
                    },
                    BlockDelta::InputJsonDelta { partial_json } => {
                        self.budget.charge(partial_json.len());
                        BlockDelta::InputJsonDelta { partial_json }
                    }
                    signature @ BlockDelta::SignatureDelta { .. } => signature,
                };
                let empty = matches!(&delta, BlockDelta::TextDelta { text } | BlockDelta::ThinkingDelta { thinking: text } if text.is_empty());
                (!empty).then_some(StreamEvent::ContentBlockDelta { index, delta })
            }
            StreamEvent::MessageDelta {
                mut delta,
                mut usage,
            } => {
                self.budget.settle(&mut delta.stop_reason, &mut usage);
                Some(StreamEvent::MessageDelta { delta, usage })
            }
            other => Some(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::wire::anthropic::{MessageDelta, Role};

    fn answer(content: Vec<ResponseBlock>, output_tokens: u64) -> MessageResponse {
        MessageResponse {
            id: "msg_1".into(),
            kind: "message".into(),
            role: Role::Assistant,
            content,
            model: "m".into(),
            stop_reason: StopReason::EndTurn,
            stop_sequence: None,
            usage: Usage {
                input_tokens: 10,
                output_tokens,
                ..Usage::default()
            },
        }
    }

    fn text(text: &str) -> ResponseBlock {
        ResponseBlock::Text { text: text.into() }
    }

    #[test]
    fn a_message_is_cut_to_the_limit() {
        let thinking = ResponseBlock::Thinking {
            thinking: "ok".into(),
            signature: "s".into(),
        };
        let call = ResponseBlock::ToolUse {
            id: "t".into(),
            name: "Bash".into(),
            input: json!({}),
        };
        let mut message = answer(vec![thinking, text("Hello there, friend."), call], 90);
        super::message(&mut message, 2);
        assert_eq!(message.content.len(), 2, "{message:?}");
        assert_eq!(message.content[1], text("Hello "));
        assert_eq!(message.stop_reason, StopReason::MaxTokens);
        assert_eq!(message.usage.output_tokens, 2);
    }

    #[test]
    fn a_message_within_the_limit_keeps_its_stop_reason() {
        let mut message = answer(vec![text("Hi.")], 40);
        super::message(&mut message, 1);
        assert_eq!(message.content, vec![text("Hi.")]);
        assert_eq!(message.stop_reason, StopReason::EndTurn);
        assert_eq!(
            message.usage.output_tokens, 1,
            "hidden reasoning is not reported"
        );
    }

    #[test]
    fn a_stream_is_cut_and_later_blocks_are_dropped() {
        let start = |index, block| StreamEvent::ContentBlockStart {
            index,
            content_block: block,
        };
        let delta = |index, text: &str| StreamEvent::ContentBlockDelta {
            index,
            delta: BlockDelta::TextDelta { text: text.into() },
        };
        let mut cut = Cut::new(1);
        let events = cut.events(vec![
            start(0, text("")),
            delta(0, "Hel"),
            delta(0, "lo!"),
            delta(0, " More"),
            StreamEvent::ContentBlockStop { index: 0 },
            start(1, text("")),
            delta(1, "x"),
            StreamEvent::ContentBlockStop { index: 1 },
            StreamEvent::MessageDelta {
                delta: MessageDelta {
                    stop_reason: StopReason::EndTurn,
                    stop_sequence: None,
                },
                usage: Usage {
                    output_tokens: 30,
                    ..Usage::default()
                },
            },
            StreamEvent::MessageStop,
        ]);
        assert_eq!(
            events,
            vec![
                start(0, text("")),
                delta(0, "Hel"),
                delta(0, "l"),
                StreamEvent::ContentBlockStop { index: 0 },
                StreamEvent::MessageDelta {
                    delta: MessageDelta {
                        stop_reason: StopReason::MaxTokens,
                        stop_sequence: None,
                    },
                    usage: Usage {
                        output_tokens: 1,
                        ..Usage::default()
                    },
                },
                StreamEvent::MessageStop,
            ]
        );
    }
}
