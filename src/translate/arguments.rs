//! Tool-call arguments → an Anthropic `input` object (docs/translation.md, "Tool-call arguments").
//!
//! Models behind OpenAI-compatible servers write arguments that are empty, single-quoted,
//! have trailing commas, raw newlines in strings, are cut short, are wrapped in a Markdown
//! code fence, or are not an object at all. [`Repair`] fixes these as a left-to-right
//! transducer: it is the identity on valid JSON, and it only ever emits text that no later
//! fragment can change (a comma is held back until the next token shows it is not
//! trailing). So the streaming translator can forward each fragment's output as an
//! `input_json_delta` at once, and the concatenation is the same however the upstream split
//! the arguments. Arguments that do not start with `{` are buffered and emitted whole at
//! the end (a fenced, scalar or array value), wrapped as `{"value": ...}` when not an object.
//! What still does not parse is an error for the caller to report, never a panic.

use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Only whitespace so far.
    Undecided,
    /// The arguments are an object: repaired text is emitted as it comes.
    Streaming,
    /// Anything else: kept until the end.
    Buffered,
    /// The top-level object is closed; whatever follows is ignored.
    Complete,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quote {
    Double,
    Single,
}

/// An incremental repairer for one tool call's arguments.
#[derive(Debug, Clone)]
pub struct Repair {
    mode: Mode,
    /// Open `{` / `[`.
    stack: Vec<char>,
    string: Option<Quote>,
    escaped: bool,
    /// A held-back comma and the whitespace after it.
    pending: String,
    /// Everything emitted so far (to validate the whole at the end).
    emitted: String,
    /// The raw text in buffered mode.
    raw: String,
}

impl Default for Repair {
    fn default() -> Self {
        Self {
            mode: Mode::Undecided,
            stack: Vec::new(),
            string: None,
            escaped: false,
            pending: String::new(),
            emitted: String::new(),
            raw: String::new(),
        }
    }
}

impl Repair {
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether the top-level object has been closed (the arguments are complete).
    pub fn is_complete(&self) -> bool {
        self.mode == Mode::Complete
    }

    /// Feeds a fragment; returns the repaired text that is now certain.
    pub fn push(&mut self, fragment: &str) -> String {
        let mut out = String::new();
        for c in fragment.chars() {
            match self.mode {
                Mode::Undecided if c.is_whitespace() => {}
                Mode::Undecided if c == '{' => {
                    self.mode = Mode::Streaming;
                    self.step(c, &mut out);
                }
                Mode::Undecided => {
                    self.mode = Mode::Buffered;
                    self.raw.push(c);
                }
                Mode::Streaming => self.step(c, &mut out),
                Mode::Buffered => self.raw.push(c),
                Mode::Complete => break,
            }
        }
        self.emitted.push_str(&out);
        out
    }

    /// Ends the arguments: returns the text still to emit and the parsed `input` object,
    /// or why the arguments could not be repaired.
    pub fn finish(&mut self) -> Result<(String, Value), String> {
        match self.mode {
            Mode::Undecided => Ok(("{}".to_string(), Value::Object(Default::default()))),
            Mode::Streaming | Mode::Complete => {
                let tail = self.close();
                let whole = format!("{}{tail}", self.emitted);
                match serde_json::from_str::<Value>(&whole) {
                    Ok(value @ Value::Object(_)) => Ok((tail, value)),
                    Ok(_) => Err("the arguments are not a JSON object".to_string()),
                    Err(error) => Err(format!("the arguments are not valid JSON ({error})")),
                }
            }
            Mode::Buffered => {
                let raw = std::mem::take(&mut self.raw);
                let value = buffered_value(&raw)?;
                let text = serde_json::to_string(&value).map_err(|e| e.to_string())?;
                Ok((text, value))
            }
        }
    }

    fn step(&mut self, c: char, out: &mut String) {
        match self.string {
            Some(quote) => self.in_string(quote, c, out),
            None => self.outside_string(c, out),
        }
    }

    fn in_string(&mut self, quote: Quote, c: char, out: &mut String) {
        if self.escaped {
            self.escaped = false;
            if !(quote == Quote::Single && c == '\'') {
                out.push('\\');
            }
            out.push(c);
            return;
        }
        match c {
            '\\' => self.escaped = true,
            '"' if quote == Quote::Double => {
                self.string = None;
                out.push('"');
            }
            '\'' if quote == Quote::Single => {
                self.string = None;
                out.push('"');
            }
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c < ' ' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }

    fn outside_string(&mut self, c: char, out: &mut String) {
        match c {
            c if c.is_whitespace() && !self.pending.is_empty() => self.pending.push(c),
            c if c.is_whitespace() => out.push(c),
            ',' if self.pending.is_empty() => self.pending.push(','),
            ',' => {}
            '}' | ']' => {
                self.pending.clear();
                self.stack.pop();
                out.push(c);
                if self.stack.is_empty() {
                    self.mode = Mode::Complete;
                }
            }
            _ => {
                out.push_str(&std::mem::take(&mut self.pending));
                match c {
                    '{' | '[' => self.stack.push(c),
                    '"' => self.string = Some(Quote::Double),
                    '\'' => self.string = Some(Quote::Single),
                    _ => {}
                }
                out.push(if c == '\'' { '"' } else { c });
            }
        }
    }

    /// Closes what a cut-short text left open.
    fn close(&mut self) -> String {
        let mut tail = String::new();
        if self.string.take().is_some() {
            tail.push('"');
        }
        self.pending.clear();
        while let Some(open) = self.stack.pop() {
            tail.push(if open == '{' { '}' } else { ']' });
        }
        self.mode = Mode::Complete;
        tail
    }
}

/// A value that did not start with `{`: strip a code fence, repair, wrap a non-object.
fn buffered_value(raw: &str) -> Result<Value, String> {
    let text = strip_fence(raw.trim());
    if text.is_empty() {
        return Ok(Value::Object(Default::default()));
    }
    let value = if text.starts_with('{') {
        repair(text)?
    } else {
        parse_scalar(text)?
    };
    Ok(match value {
        Value::Object(_) => value,
        other => serde_json::json!({ "value": other }),
    })
}

fn parse_scalar(text: &str) -> Result<Value, String> {
    serde_json::from_str(text)
        .or_else(|_| {
            // A single-quoted string or an array of them.
            let mut repair = Repair {
                mode: Mode::Streaming,
                ..Repair::default()
            };
            let mut out = repair.push(text);
            out.push_str(&repair.close());
            serde_json::from_str(&out)
        })
        .map_err(|error| format!("the arguments are not valid JSON ({error})"))
}

/// The content of a Markdown code fence (```` ```json ... ``` ````), or the text itself.
fn strip_fence(text: &str) -> &str {
    let Some(rest) = text.strip_prefix("```") else {
        return text;
    };
    let body = rest.split_once('\n').map_or("", |(_, body)| body);
    body.trim_end().trim_end_matches("```").trim()
}

/// Repairs complete arguments (non-streaming responses).
pub fn repair(arguments: &str) -> Result<Value, String> {
    let mut repair = Repair::new();
    repair.push(arguments);
    repair.finish().map(|(_, value)| value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn valid_arguments_pass_unchanged() {
        let text = r#"{"command": "ls -la", "n": [1, 2.5, true, null], "o": {"k": "\"q\" \\ é"}}"#;
        let mut repair = Repair::new();
        let out = repair.push(text);
        let (tail, value) = repair.finish().expect("valid");
        assert_eq!(format!("{out}{tail}"), text);
        assert_eq!(value, serde_json::from_str::<Value>(text).expect("json"));
    }

    #[test]
    fn empty_or_blank_arguments_are_an_empty_object() {
        assert_eq!(repair(""), Ok(json!({})));
        assert_eq!(repair("  \n"), Ok(json!({})));
    }

    #[test]
    fn single_quotes_become_double_quotes() {
        assert_eq!(
            repair(r#"{'path': 'it\'s "here"'}"#),
            Ok(json!({"path": "it's \"here\""}))
        );
    }

    #[test]
    fn trailing_commas_are_removed() {
        assert_eq!(
            repair(r#"{"a": [1, 2, ], "b": 3, }"#),
            Ok(json!({"a": [1, 2], "b": 3}))
        );
    }

    #[test]
    fn raw_newlines_in_strings_are_escaped() {
        assert_eq!(repair("{\"text\": \"a\nb\"}"), Ok(json!({"text": "a\nb"})));
    }

    #[test]
    fn cut_short_arguments_are_closed() {
        assert_eq!(
            repair(r#"{"cmd": "echo hi", "list": [1, 2"#),
            Ok(json!({"cmd": "echo hi", "list": [1, 2]}))
        );
    }

    #[test]
    fn code_fences_are_stripped() {
        assert_eq!(repair("```json\n{\"a\": 1}\n```"), Ok(json!({"a": 1})));
    }

    #[test]
    fn non_object_values_are_wrapped() {
        assert_eq!(repair("[1, 2]"), Ok(json!({"value": [1, 2]})));
        assert_eq!(repair("42"), Ok(json!({"value": 42})));
        assert_eq!(repair("'x'"), Ok(json!({"value": "x"})));
    }

    #[test]
    fn text_after_the_object_is_ignored() {
        assert_eq!(repair("{\"a\": 1}\n```"), Ok(json!({"a": 1})));
    }

    #[test]
    fn unrepairable_arguments_are_an_error() {
        assert!(repair("{command: ls}").is_err());
        assert!(repair("not json at all").is_err());
    }

    #[test]
    fn completion_is_detected_when_the_object_closes() {
        let mut repair = Repair::new();
        repair.push(r#"{"a": {"b": 1}"#);
        assert!(!repair.is_complete());
        repair.push("}");
        assert!(repair.is_complete());
    }

    fn assemble(fragments: &[&str]) -> Result<(String, Value), String> {
        let mut repair = Repair::new();
        let mut text: String = fragments.iter().map(|f| repair.push(f)).collect();
        let (tail, value) = repair.finish()?;
        text.push_str(&tail);
        Ok((text, value))
    }

    const CASES: &[&str] = &[
        r#"{"command": "echo 'hi' \"there\"", "timeout": 5}"#,
        r#"{'a': 'b\'c', "d": [1, 2, ], }"#,
        "{\"text\": \"line\nnext 😀 é\", \"n\": {\"x\": [true, false]",
        "```json\n{\"a\": 1}\n```",
        "  [1, 2]",
        "",
    ];

    proptest! {
        #[test]
        fn assembly_is_invariant_under_rechunking(
            case in 0..CASES.len(),
            cuts in proptest::collection::vec(0usize..200, 0..10),
        ) {
            let text = CASES[case];
            let mut bounds: Vec<usize> = cuts
                .into_iter()
                .map(|c| c % (text.len() + 1))
                .filter(|c| text.is_char_boundary(*c))
                .collect();
            bounds.sort_unstable();
            let mut fragments = Vec::new();
            let mut last = 0;
            for bound in bounds {
                fragments.push(&text[last..bound]);
                last = bound;
            }
            fragments.push(&text[last..]);
            let whole = assemble(&[text]);
            prop_assert_eq!(assemble(&fragments), whole.clone());
            let (streamed, value) = whole.expect("every case is repairable");
            prop_assert!(value.is_object());
            prop_assert_eq!(serde_json::from_str::<Value>(&streamed).ok(), Some(value));
        }
    }
}
