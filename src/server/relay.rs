//! The pass-through answer ([`Relayed`]): the host's body relayed as it arrives (a JSON message,
//! or SSE bytes chunk by chunk with its own events, pings and errors), with its `request-id`
//! and rate-limit headers. Nothing is re-encoded; the statistics read what they need (token
//! counts, the first content, an error) from the bytes as they pass, via [`Scan`]. The
//! one change: every secret this process holds is redacted from the bytes ([`Redactor`]),
//! so an upstream that echoes a key (in an error event, say) never gets it to the client.

use std::convert::Infallible;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::Response;
use futures_util::stream::{self, StreamExt};
use serde::Deserialize;

use crate::error::{ProxyError, UpstreamFailure};
use crate::providers::{self, BodyStream, Relayed};
use crate::secret::Redactor;
use crate::sse;
use crate::stats::RequestRecord;

/// A relayed message, read whole first (at most [`providers::MAX_ANSWER_BYTES`]); its
/// `usage` goes to `record`.
pub async fn message(relayed: Relayed, record: &mut RequestRecord) -> Result<Response, ProxyError> {
    let provider = relayed.provider().clone();
    let (headers, body) = relayed.into_parts();
    let whole = providers::read_answer(&provider, body).await?;
    if let Ok(Counted { usage }) = serde_json::from_slice::<Counted>(&whole) {
        record.input_tokens = usage.input_tokens;
        record.output_tokens = usage.output_tokens;
        record.cached(usage.cache_read_input_tokens);
    }
    let mut redactor = Redactor::new();
    let mut whole = redactor.feed(&whole);
    whole.extend(redactor.finish());
    Ok(with_headers(Body::from(whole), headers, "application/json"))
}

/// A relayed stream whose first chunk arrived: answered only then, so an early failure is
/// still an HTTP error the SDKs retry.
pub struct Stream {
    headers: HeaderMap,
    first: Bytes,
    rest: BodyStream,
}

/// Waits for the first chunk of a relayed stream.
pub async fn stream(relayed: Relayed) -> Result<Stream, ProxyError> {
    let (headers, mut body) = relayed.into_parts();
    let first = body.next().await.transpose()?.unwrap_or_default();
    Ok(Stream {
        headers,
        first,
        rest: body,
    })
}

impl Stream {
    /// The client's response. `finish` rides along in the body, noting what the bytes tell
    /// (see [`Scan`]) and a failure, and is dropped with the stream (when it ends or the
    /// client leaves). A failure after the first chunk ends the stream with an Anthropic
    /// `error` event (https://docs.anthropic.com/en/docs/build-with-claude/streaming, "Error events"), after a blank line if the relayed bytes stopped
    /// inside an event.
    pub fn respond<F>(self, mut finish: F) -> Response
    where
        F: AsMut<RequestRecord> + Send + 'static,
    {
        let Self {
            headers,
            first,
            rest,
        } = self;
        let mut scan = Scan::default();
        scan.feed(&first, finish.as_mut());
        let mut redactor = Redactor::new();
        let first = Bytes::from(redactor.feed(&first));
        let state = Some((rest, scan, finish, redactor));
        let rest = stream::unfold(state, |state| async move {
            let (mut rest, mut scan, mut finish, mut redactor) = state?;
            match rest.next().await {
                Some(Ok(bytes)) => {
                    scan.feed(&bytes, finish.as_mut());
                    let bytes = Bytes::from(redactor.feed(&bytes));
                    Some((bytes, Some((rest, scan, finish, redactor))))
                }
                Some(Err(error)) => {
                    tracing::warn!(code = error.code(), "relayed stream ended: {error}");
                    finish.as_mut().ended_by(&error);
                    let mut bytes = redactor.finish();
                    bytes.extend_from_slice(&scan.error_event(&error));
                    Some((Bytes::from(bytes), None))
                }
                None => Some((Bytes::from(redactor.finish()), None)),
            }
        });
        let body = stream::once(async { first })
            .chain(rest)
            .filter(|bytes| std::future::ready(!bytes.is_empty()))
            .map(Ok::<_, Infallible>);
        with_headers(
            Body::from_stream(body),
            headers,
            "text/event-stream; charset=utf-8",
        )
    }
}

fn with_headers(body: Body, headers: HeaderMap, content_type: &'static str) -> Response {
    let mut response = Response::new(body);
    *response.headers_mut() = headers;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// The `usage` of a message (`message_start.message`, a whole answer) or a `message_delta`.
#[derive(Deserialize)]
struct Counted {
    #[serde(default)]
    usage: Counts,
}

#[derive(Deserialize)]
struct Started {
    message: Counted,
}

#[derive(Default, Deserialize)]
struct Counts {
    #[serde(default)]
    input_tokens: u64,
    #[serde(default)]
    output_tokens: u64,
    #[serde(default)]
    cache_read_input_tokens: Option<u64>,
}

/// Which event the `data:` line to come belongs to, when it is one worth parsing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Counting {
    Start,
    Delta,
}

/// The longest `event:` line kept (longer ones name no event we look for).
const NAME_LINE_BYTES: usize = 64;
/// The longest `data:` line of a `message_start` or `message_delta` kept.
const USAGE_LINE_BYTES: usize = 1 << 20;

/// Reads relayed SSE bytes as they pass, however they are split: the token counts of
/// `message_start` and `message_delta` (only those `data:` lines are parsed), the first
/// `content_block_delta` (the time to first token), an `error` event, and whether the bytes
/// so far end between events.
#[derive(Debug, Default)]
struct Scan {
    /// The current line, while it may matter; empty once it went past its bound.
    line: Vec<u8>,
    /// The current line has bytes.
    partial: bool,
    /// The current line went past its bound: it is ignored.
    skipped: bool,
    /// The last byte was a `\r` (a `\n` right after it ends no second line).
    after_cr: bool,
    /// Bytes came since the last blank line: the bytes stop inside an event.
    mid_event: bool,
    counting: Option<Counting>,
}

impl Scan {
    fn feed(&mut self, mut bytes: &[u8], record: &mut RequestRecord) {
        while let Some((&byte, rest)) = bytes.split_first() {
            if self.after_cr && byte == b'\n' {
                self.after_cr = false;
                bytes = rest;
                continue;
            }
            self.after_cr = false;
            match bytes.iter().position(|b| *b == b'\n' || *b == b'\r') {
                None => return self.extend(bytes),
                Some(end) => {
                    self.extend(&bytes[..end]);
                    self.after_cr = bytes[end] == b'\r';
                    self.end_line(record);
                    bytes = &bytes[end + 1..];
                }
            }
        }
    }

    fn extend(&mut self, text: &[u8]) {
        if text.is_empty() {
            return;
        }
        self.partial = true;
        self.mid_event = true;
        if self.skipped {
            return;
        }
        let bound = match self.counting {
            Some(_) => USAGE_LINE_BYTES,
            None => NAME_LINE_BYTES,
        };
        if self.line.len() + text.len() > bound {
            self.skipped = true;
            self.line = Vec::new();
        } else {
            self.line.extend_from_slice(text);
        }
    }

    fn end_line(&mut self, record: &mut RequestRecord) {
        if !self.partial {
            self.mid_event = false;
            self.counting = None;
        } else if !self.skipped {
            self.line_read(record);
        }
        self.line.clear();
        self.partial = false;
        self.skipped = false;
    }

    fn line_read(&mut self, record: &mut RequestRecord) {
        let Ok(line) = std::str::from_utf8(&self.line) else {
            return;
        };
        if let Some(name) = field(line, "event") {
            self.counting = match name {
                "message_start" => Some(Counting::Start),
                "message_delta" => Some(Counting::Delta),
                "content_block_delta" => {
                    record.first_token();
                    None
                }
                "error" => {
                    record.code = Some(UpstreamFailure::ServerError.code());
                    record.error_type = Some(UpstreamFailure::ServerError.error_type());
                    None
                }
                _ => None,
            };
            return;
        }
        let Some(data) = field(line, "data") else {
            return;
        };
        let counts = match self.counting {
            Some(Counting::Start) => serde_json::from_str::<Started>(data).map(|s| s.message.usage),
            Some(Counting::Delta) => serde_json::from_str::<Counted>(data).map(|c| c.usage),
            None => return,
        };
        if let Ok(counts) = counts {
            record.tokens(counts.input_tokens, counts.output_tokens);
            record.cached(counts.cache_read_input_tokens);
        }
    }

    /// The `error` event ending the stream, after a blank line when the bytes relayed so far
    /// stopped inside an event (so the partial one ends and this one reads cleanly).
    fn error_event(&self, error: &ProxyError) -> Bytes {
        let event = sse::encode("error", &error.body());
        if !self.mid_event {
            return event;
        }
        let mut bytes = Vec::with_capacity(event.len() + 2);
        bytes.extend_from_slice(b"\n\n");
        bytes.extend_from_slice(&event);
        Bytes::from(bytes)
    }
}

/// The value of `line` if it is the field `name` (`name: value`, one leading space dropped).
fn field<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let value = line.strip_prefix(name)?.strip_prefix(':')?;
    Some(value.strip_prefix(' ').unwrap_or(value))
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    fn record() -> RequestRecord {
        RequestRecord::new("req_test".into(), Instant::now())
    }

    const STREAM: &str = "event: message_start\r\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"usage\":{\"input_tokens\":25,\"cache_read_input_tokens\":40,\"output_tokens\":1}}}\r\n\r\n\
        event: ping\ndata: {\"type\":\"ping\"}\n\n\
        event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}\n\n\
        event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":12}}\n\n\
        event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";

    #[test]
    fn usage_and_first_token_are_read_however_the_bytes_are_split() {
        for size in [1, 2, 3, 7, 64, STREAM.len()] {
            let mut scan = Scan::default();
            let mut record = record();
            for chunk in STREAM.as_bytes().chunks(size) {
                scan.feed(chunk, &mut record);
            }
            assert_eq!(
                (
                    record.input_tokens,
                    record.output_tokens,
                    record.cache_read_tokens
                ),
                (25, 12, 40),
                "chunks of {size}"
            );
            assert!(record.time_to_first_token.is_some());
            assert_eq!(record.code, None);
            assert!(!scan.mid_event && !scan.partial, "ends between events");
        }
    }

    #[test]
    fn an_upstream_error_event_is_counted() {
        let mut scan = Scan::default();
        let mut record = record();
        let error = "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n";
        scan.feed(error.as_bytes(), &mut record);
        assert_eq!(record.code, Some("upstream_error"));
        assert_eq!(record.error_type, Some("provider_error"));
    }

    #[test]
    fn an_error_after_a_partial_event_starts_on_a_fresh_event() {
        let error = ProxyError::ProviderFailed {
            provider: "anthropic".into(),
            failure: crate::error::UpstreamFailure::Incomplete,
            message: "broke off".into(),
        };
        let clean = sse::encode("error", &error.body());
        for (relayed, separated) in [
            ("", false),
            ("event: ping\ndata: {}\n\n", false),
            ("event: ping\r\ndata: {}\r\n\r\n", false),
            ("event: content_block_delta\ndata: {\"ty", true),
            ("event: ping\n", true),
            ("event: ping\ndata: {}\r", true),
        ] {
            let mut scan = Scan::default();
            scan.feed(relayed.as_bytes(), &mut record());
            let event = scan.error_event(&error);
            let expected = if separated {
                [b"\n\n".as_slice(), &clean].concat()
            } else {
                clean.to_vec()
            };
            assert_eq!(event.as_ref(), expected.as_slice(), "after {relayed:?}");
        }
    }
}
