//! The deadlines of one exchange with a provider, and its body read under them: the answer
//! (a whole message, or a stream's first event) within `timeouts.response_ms` of sending,
//! the whole exchange within `timeouts.total_ms`, and no more than `timeouts.stream_idle_ms`
//! between chunks that carry data (SSE comments do not count: a stream of comments alone
//! cannot keep a request open). An upstream that trickles a valid answer a byte at a time
//! is held to the same deadlines as one that stalls. And the server's own last moment, the
//! [`Cutoff`] at the end of its shutdown grace period, ends every exchange still running.

use std::sync::Arc;

use std::time::Duration;

use futures_util::stream::{self, StreamExt};
use tokio::sync::watch;
use tokio::time::Instant;

use http_body_util::BodyDataStream;

use super::client::Response;
use super::{errors, BodyStream};
use crate::config::{ProviderConfig, Timeouts};
use crate::error::{ProxyError, TimeoutPhase};

/// The end of the server's shutdown grace period: once reached, every exchange with a
/// provider still running ends with [`ProxyError::ShuttingDown`] (so a stream ends with an
/// `error` event instead of being cut). Never reached while the server runs on.
#[derive(Debug, Clone)]
pub struct Cutoff(watch::Receiver<bool>);

impl Cutoff {
    /// A cutoff, and the switch that reaches it (`send(true)`).
    pub fn new() -> (watch::Sender<bool>, Self) {
        let (switch, cutoff) = watch::channel(false);
        (switch, Self(cutoff))
    }

    /// Completes once the cutoff is reached; never if its switch is dropped unused.
    pub async fn reached(&self) {
        let mut cutoff = self.0.clone();
        if cutoff.wait_for(|reached| *reached).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

impl Default for Cutoff {
    /// A cutoff that is never reached.
    fn default() -> Self {
        Self::new().1
    }
}

/// When each wait of one exchange runs out, counted from the moment it was sent.
#[derive(Debug, Clone)]
pub struct Deadlines {
    pub answer: Instant,
    pub total: Instant,
    timeouts: Timeouts,
    pub cutoff: Cutoff,
}

impl Deadlines {
    pub fn from_now(timeouts: Timeouts, cutoff: Cutoff) -> Self {
        let now = Instant::now();
        Self {
            answer: now + timeouts.response,
            total: now + timeouts.total,
            timeouts,
            cutoff,
        }
    }

    /// The error for a wait that ran out at `now`: the earliest deadline that passed.
    pub fn expired(&self, provider: &ProviderConfig, answered: bool) -> ProxyError {
        let now = Instant::now();
        let (phase, after) = if now >= self.total {
            (TimeoutPhase::Total, self.timeouts.total)
        } else if !answered && now >= self.answer {
            (TimeoutPhase::Response, self.timeouts.response)
        } else {
            (TimeoutPhase::StreamIdle, self.timeouts.stream_idle)
        };
        errors::timeout(provider, phase, after)
    }

    /// The answer deadline, capped by the total one.
    pub fn answer_by(&self) -> Instant {
        self.answer.min(self.total)
    }

    fn idle(&self) -> Duration {
        self.timeouts.stream_idle
    }
}

/// The body of `response` as chunks, each awaited until the earliest deadline that applies
/// (see the module documentation): an expiry ends the stream with a `provider_timeout`
/// error, a dropped connection with `incomplete_upstream_response`. Nothing follows an
/// error. Dropping the stream closes the upstream connection.
pub fn body(provider: Arc<ProviderConfig>, response: Response, deadlines: Deadlines) -> BodyStream {
    let state = Reading {
        chunks: BodyDataStream::new(response.into_body()).boxed(),
        provider,
        deadlines,
        progress: Progress::default(),
        last_data: Instant::now(),
    };
    stream::unfold(Some(state), |state| async move {
        let mut state = state?;
        let mut until = (state.last_data + state.deadlines.idle()).min(state.deadlines.total);
        if !state.progress.first_event {
            until = until.min(state.deadlines.answer);
        }
        let next = tokio::time::timeout_at(until, state.chunks.next());
        let outcome = tokio::select! {
            outcome = next => outcome,
            () = state.deadlines.cutoff.reached() => {
                return Some((Err(ProxyError::ShuttingDown), None));
            }
        };
        match outcome {
            Ok(None) => None,
            Ok(Some(Ok(bytes))) => {
                if state.progress.feed(&bytes) {
                    state.last_data = Instant::now();
                }
                Some((Ok(bytes), Some(state)))
            }
            Ok(Some(Err(error))) => {
                let error = errors::broken_body(&state.provider, &error);
                Some((Err(error), None))
            }
            Err(_) => {
                let answered = state.progress.first_event;
                let error = state.deadlines.expired(&state.provider, answered);
                Some((Err(error), None))
            }
        }
    })
    .boxed()
}

struct Reading {
    chunks: stream::BoxStream<'static, Result<bytes::Bytes, hyper::Error>>,
    provider: Arc<ProviderConfig>,
    deadlines: Deadlines,
    progress: Progress,
    /// When the last chunk carrying data arrived.
    last_data: Instant,
}

/// What the bytes so far amount to, read as SSE lines: whether a chunk carried data (a
/// byte of a line that is not a comment), and whether a first event is complete (a blank
/// line after a data line).
#[derive(Debug, Default)]
struct Progress {
    /// The current line has begun (the next byte does not start one).
    mid_line: bool,
    /// The current line is a comment (`: ...`).
    comment: bool,
    /// A line with data came since the last blank line.
    pending_event: bool,
    first_event: bool,
}

impl Progress {
    /// Reads `bytes`; true when they carried data. Works a line segment at a time (the
    /// bytes between line ends), since within one segment only its first byte matters.
    fn feed(&mut self, bytes: &[u8]) -> bool {
        let mut data = false;
        let mut rest = bytes;
        loop {
            let line_end = memchr::memchr2(b'\n', b'\r', rest);
            if let Some(&first) = rest[..line_end.unwrap_or(rest.len())].first() {
                if !self.mid_line {
                    self.comment = first == b':';
                    self.mid_line = true;
                }
                if !self.comment {
                    data = true;
                    self.pending_event = true;
                }
            }
            let Some(end) = line_end else {
                return data;
            };
            if !self.mid_line && self.pending_event {
                self.first_event = true;
                self.pending_event = false;
            }
            self.mid_line = false;
            rest = &rest[end + 1..];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_carry_no_data_and_a_blank_line_ends_the_first_event() {
        let mut progress = Progress::default();
        assert!(!progress.feed(b": OPENROUTER PROCESSING\n\n"));
        assert!(!progress.feed(b": keep-alive\r\n\r\n"));
        assert!(!progress.first_event);
        assert!(progress.feed(b"data: {\"a\""));
        assert!(progress.feed(b":1}\n"));
        assert!(!progress.first_event);
        assert!(!progress.feed(b"\n"));
        assert!(progress.first_event);
    }

    proptest::proptest! {
        /// However the bytes are split, the reading is the same as one byte at a time.
        #[test]
        fn chunking_does_not_change_the_reading(
            bytes in proptest::collection::vec(proptest::sample::select(b"\n\r:a ".to_vec()), 0..40),
            split in 0usize..40,
        ) {
            let split = split.min(bytes.len());
            let mut whole = Progress::default();
            let carried = whole.feed(&bytes[..split]) | whole.feed(&bytes[split..]);
            let mut single = Progress::default();
            let carried_single = bytes.iter().fold(false, |d, b| single.feed(&[*b]) | d);
            proptest::prop_assert_eq!(carried, carried_single);
            proptest::prop_assert_eq!(whole.first_event, single.first_event);
            proptest::prop_assert_eq!(whole.pending_event, single.pending_event);
        }
    }

    #[test]
    fn a_trickled_event_completes_only_at_its_blank_line() {
        let mut progress = Progress::default();
        for byte in b"event: ping\ndata: {}\n" {
            progress.feed(&[*byte]);
            assert!(!progress.first_event);
        }
        progress.feed(b"\n");
        assert!(progress.first_event);
    }
}
