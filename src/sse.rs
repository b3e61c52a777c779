//! Server-sent events: a decoder for upstream streams that is correct however the bytes
//! are split (mid-line, mid-UTF-8, `\r\n` / `\n` / `\r` line ends, comments), and the
//! encoder for the Anthropic events we write (`event:` line, one-line `data:`, blank line;
//! https://html.spec.whatwg.org/multipage/server-sent-events.html). No I/O: callers feed bytes and write what comes out.

use bytes::Bytes;
use serde::Serialize;

/// One decoded event: its `event:` name (if any) and its `data:` lines joined by `\n`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub event: Option<String>,
    pub data: String,
}

/// The longest line, and the longest event's data, the [`Decoder`] holds: no real event
/// comes near it, and without a bound a provider that never ends a line would grow memory.
pub const MAX_LINE_BYTES: usize = 16 << 20;

/// A line (or an event's data) longer than [`MAX_LINE_BYTES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an SSE line longer than {} MiB", MAX_LINE_BYTES >> 20)]
pub struct LineTooLong;

/// An incremental SSE decoder. Lines are read in place from the bytes fed; only a line
/// still incomplete at the end of a read is kept (so a multi-byte character split across
/// reads is decoded whole), and each byte is scanned once.
#[derive(Debug, Default)]
pub struct Decoder {
    /// The start of a line whose end has not arrived yet (it holds no line end).
    partial: Vec<u8>,
    /// The last read ended with `\r`: a `\n` opening the next one belongs to that line end.
    skip_lf: bool,
    event: Option<String>,
    data: Option<String>,
}

impl Decoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds bytes; returns the events they complete, or [`LineTooLong`] (after which the
    /// decoder should not be fed again).
    pub fn push(&mut self, bytes: &[u8]) -> Result<Vec<Event>, LineTooLong> {
        let mut events = Vec::new();
        let mut rest = bytes;
        if self.skip_lf && !rest.is_empty() {
            self.skip_lf = false;
            rest = rest.strip_prefix(b"\n").unwrap_or(rest);
        }
        while let Some(end) = memchr::memchr2(b'\n', b'\r', rest) {
            let line = &rest[..end];
            let line_end = rest[end];
            rest = &rest[end + 1..];
            if line_end == b'\r' {
                match rest.first() {
                    Some(b'\n') => rest = &rest[1..],
                    Some(_) => {}
                    None => self.skip_lf = true,
                }
            }
            let event = if self.partial.is_empty() {
                self.line(&text(line))
            } else {
                let mut whole = std::mem::take(&mut self.partial);
                whole.extend_from_slice(line);
                let event = self.line(&text(&whole));
                whole.clear();
                self.partial = whole;
                event
            };
            events.extend(event);
        }
        self.partial.extend_from_slice(rest);
        let data = self.data.as_ref().map_or(0, String::len);
        if self.partial.len() > MAX_LINE_BYTES || data > MAX_LINE_BYTES {
            return Err(LineTooLong);
        }
        Ok(events)
    }

    /// The end of the stream: a last event not followed by a blank line still counts.
    pub fn finish(&mut self) -> Option<Event> {
        let rest = std::mem::take(&mut self.partial);
        self.skip_lf = false;
        if !rest.is_empty() {
            if let Some(event) = self.line(&text(&rest)) {
                return Some(event);
            }
        }
        self.dispatch()
    }

    fn line(&mut self, line: &str) -> Option<Event> {
        if line.is_empty() {
            return self.dispatch();
        }
        if line.starts_with(':') {
            return None;
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line, ""),
        };
        match field {
            "data" => match &mut self.data {
                Some(data) => {
                    data.push('\n');
                    data.push_str(value);
                }
                None => self.data = Some(value.to_string()),
            },
            "event" => self.event = Some(value.to_string()),
            _ => {}
        }
        None
    }

    fn dispatch(&mut self) -> Option<Event> {
        let event = self.event.take();
        self.data.take().map(|data| Event { event, data })
    }
}

/// A line as text, invalid UTF-8 replaced. Checked with `from_utf8` first: its ASCII fast
/// path is several times quicker than the lossy decoder, which is needed only for bad bytes.
fn text(line: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(line) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(line),
    }
}

/// One Anthropic SSE event: `event: <name>\ndata: <compact json>\n\n`, written into one
/// buffer.
pub fn encode(name: &str, data: &impl Serialize) -> Bytes {
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(b"event: ");
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\ndata: ");
    let head = out.len();
    if serde_json::to_writer(&mut out, data).is_err() {
        out.truncate(head);
        out.extend_from_slice(b"{}");
    }
    out.extend_from_slice(b"\n\n");
    Bytes::from(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn decode_all(chunks: &[&[u8]]) -> Vec<Event> {
        let mut decoder = Decoder::new();
        let mut events: Vec<Event> = chunks
            .iter()
            .flat_map(|c| decoder.push(c).expect("within the limit"))
            .collect();
        events.extend(decoder.finish());
        events
    }

    fn data(text: &str) -> Event {
        Event {
            event: None,
            data: text.to_string(),
        }
    }

    #[test]
    fn data_lines_separated_by_blank_lines_are_events() {
        let events = decode_all(&[b"data: {\"a\":1}\n\ndata: [DONE]\n\n"]);
        assert_eq!(events, vec![data("{\"a\":1}"), data("[DONE]")]);
    }

    #[test]
    fn crlf_and_lone_cr_end_lines() {
        let events = decode_all(&[b"data: one\r\n\r\ndata: two\r\rdata: three\n\n"]);
        assert_eq!(events, vec![data("one"), data("two"), data("three")]);
    }

    #[test]
    fn comments_and_unknown_fields_are_ignored() {
        let events = decode_all(&[b": OPENROUTER PROCESSING\n\nid: 7\nretry: 10\ndata: x\n\n"]);
        assert_eq!(events, vec![data("x")]);
    }

    #[test]
    fn event_names_and_multi_line_data_are_kept() {
        let events = decode_all(&[b"event: ping\ndata: a\ndata:b\n\n"]);
        assert_eq!(
            events,
            vec![Event {
                event: Some("ping".into()),
                data: "a\nb".into()
            }]
        );
    }

    #[test]
    fn a_last_event_without_blank_line_is_kept_at_the_end() {
        assert_eq!(decode_all(&[b"data: tail"]), vec![data("tail")]);
    }

    #[test]
    fn invalid_utf8_is_replaced_not_refused() {
        let events = decode_all(&[b"data: a\xffb\n\n"]);
        assert_eq!(events, vec![data("a\u{fffd}b")]);
    }

    #[test]
    fn a_character_split_across_reads_is_decoded_whole() {
        let bytes = "data: é€😀\n\n".as_bytes();
        let events = decode_all(&[&bytes[..7], &bytes[7..10], &bytes[10..]]);
        assert_eq!(events, vec![data("é€😀")]);
    }

    #[test]
    fn a_line_or_data_over_the_limit_is_refused() {
        let mut decoder = Decoder::new();
        let half = vec![b'x'; MAX_LINE_BYTES / 2 + 1];
        assert_eq!(decoder.push(b"data: "), Ok(vec![]));
        assert_eq!(decoder.push(&half), Ok(vec![]));
        assert_eq!(decoder.push(&half), Err(LineTooLong));

        let mut decoder = Decoder::new();
        let mut line = b"data: ".to_vec();
        line.extend_from_slice(&half);
        line.push(b'\n');
        assert_eq!(decoder.push(&line), Ok(vec![]));
        assert_eq!(
            decoder.push(&line),
            Err(LineTooLong),
            "data lines of one event add up"
        );
    }

    #[test]
    fn encoded_events_have_an_event_line_and_one_data_line() {
        let bytes = encode("ping", &serde_json::json!({"type": "ping", "t": "a\nb"}));
        assert_eq!(
            &bytes[..],
            b"event: ping\ndata: {\"t\":\"a\\nb\",\"type\":\"ping\"}\n\n"
        );
    }

    const STREAM: &str =
        ": keep-alive\r\ndata: {\"choices\":[{\"delta\":{\"content\":\"héllo 😀\"}}]}\r\n\r\n\
        data: {\"choices\":[],\"usage\":{\"prompt_tokens\":3}}\n\nevent: x\ndata: a\ndata: b\r\r\
        data: [DONE]\n\n";

    proptest! {
        #[test]
        fn decoding_is_invariant_under_rechunking(cuts in proptest::collection::vec(0..STREAM.len(), 0..12)) {
            let bytes = STREAM.as_bytes();
            let mut cuts = cuts;
            cuts.sort_unstable();
            let mut chunks = Vec::new();
            let mut last = 0;
            for cut in cuts {
                chunks.push(&bytes[last..cut]);
                last = cut;
            }
            chunks.push(&bytes[last..]);
            prop_assert_eq!(decode_all(&chunks), decode_all(&[bytes]));
        }
    }

    #[test]
    fn the_reference_stream_decodes_to_four_events() {
        let events = decode_all(&[STREAM.as_bytes()]);
        assert_eq!(events.len(), 4);
        assert_eq!(events[3], data("[DONE]"));
    }
}
