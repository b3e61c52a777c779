//! `POST /v1/messages`: read and check the body, route it, send it to the chosen provider
//! and answer in Anthropic's shape, with headers saying who served it.
//!
//! Streaming (docs/translation.md, "Streaming"): our 200 and its headers go out only once the
//! upstream answered 2xx *and* its first chunk arrived, so an early failure is still a real
//! HTTP error the SDKs can retry. After that, each event is written as it is produced, a
//! `ping` fills every [`PING_INTERVAL`] of upstream silence, and a failure ends the stream
//! with an `error` event (no `message_stop`). The body stream owns the upstream connection:
//! when the client goes away, axum drops it and the upstream request with it.
//!
//! Each request ends in one [`RequestRecord`] handed to the statistics (which also write
//! the request log line) by a [`Finish`] guard: when the answer is built, or, for a stream,
//! when the stream (translated or relayed) ends or the client leaves.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, Stream, StreamExt};

use super::middleware::RequestId;
use super::{body, relay, AppState};
use crate::config::{Config, Target};
use crate::dispatch::Tally;
use crate::error::ProxyError;
use crate::stats::{InFlight, RequestRecord};
use crate::team::{Developer, Ticket, Tokens};
use crate::wire::anthropic::{self, StreamEvent};
use crate::{providers, router, sse, tokens};

/// The output reserved for a request that states no `max_tokens`.
const UNSTATED_MAX_TOKENS: u64 = 4096;

/// Upstream silence after which the client gets a `ping` (Anthropic streams send `ping`
/// events: https://docs.anthropic.com/en/docs/build-with-claude/streaming).
const PING_INTERVAL: Duration = Duration::from_secs(10);

pub async fn create(State(state): State<Arc<AppState>>, mut request: Request) -> Response {
    let mut finish = Finish::start(state.clone(), &mut request);
    let config = finish.config.clone();
    let developer = request.extensions().get::<Developer>().cloned();
    let team = (&state, developer.as_ref(), &mut finish.ticket);
    match handle(&state, &config, request, &mut finish.record, team).await {
        Ok((answer, served, rule)) => {
            let mut response = match answer {
                Answer::Message(message) => message_response(&message),
                Answer::Relay(response) => response,
                Answer::RelayStream(stream) => stream.respond(finish),
                Answer::Stream(first, events) => {
                    sse_response(first, events, PING_INTERVAL, Some(finish))
                }
            };
            served_by(&mut response, &served, rule);
            response
        }
        Err(error) => {
            finish.record.failed(&error);
            error.into_response()
        }
    }
}

/// What the provider answered: a whole message, the first event and the rest, or (the
/// Anthropic pass-through) the provider's own message or stream relayed.
enum Answer {
    Message(anthropic::MessageResponse),
    Relay(Response),
    RelayStream(relay::Stream),
    Stream(StreamEvent, providers::EventStream),
}

/// Serves the request up to the answer, noting in `record` what it learns on the way
/// (routing, attempts, timings, tokens) for the statistics and the request log.
async fn handle(
    state: &AppState,
    config: &Config,
    request: Request,
    record: &mut RequestRecord,
    team: (&Arc<AppState>, Option<&Developer>, &mut Option<Ticket>),
) -> Result<(Answer, Target, router::Rule), ProxyError> {
    let (parts, body) = request.into_parts();
    let bytes = body::read(&parts.headers, body, config).await?;
    let mut request = body::messages_request(&bytes)?;
    record.stream = request.stream;
    if let (owner, Some(developer), ticket) = team {
        let output = request.max_tokens.unwrap_or(UNSTATED_MAX_TOKENS);
        // The body's bytes as tokens, settled with the real count afterwards.
        let estimate = bytes.len() as u64 / tokens::ESTIMATE_BYTES_PER_TOKEN + output;
        *ticket = owner.team.admit(developer, estimate).await?;
    }
    let decision = super::routing::route(config, &mut request).await?;
    tracing::debug!(model = %request.model, "{}", decision.explain());
    record.rule = Some(decision.rule.as_str());
    if let Some(first) = decision.targets.first() {
        record.served_by(first);
        state.sessions.record(&parts.headers, first, decision.rule);
        if let Some(answer) = prewarm(config, first, &request, record).await? {
            return Ok((answer, first.clone(), decision.rule));
        }
    }
    let inbound = providers::Inbound {
        request,
        body: bytes,
        query: parts.uri.query().map(str::to_string),
        headers: parts.headers,
    };
    let mut tally = Tally::default();
    let sent = state
        .dispatcher
        .send(config, &decision.targets, &inbound, &mut tally)
        .await;
    record.dispatched(&tally);
    let upstream = sent?;
    let served = Target {
        provider: upstream.provider().name.clone(),
        model: upstream.model().to_string(),
    };
    let answer = match upstream {
        providers::Upstream::Relayed(relayed) if inbound.request.stream => {
            Answer::RelayStream(relay::stream(relayed).await?)
        }
        providers::Upstream::Relayed(relayed) => {
            Answer::Relay(relay::message(relayed, record).await?)
        }
        providers::Upstream::Translated(translated) if inbound.request.stream => {
            let mut events = translated.into_events();
            let first = events.next().await.ok_or_else(|| ProxyError::Internal {
                message: "the upstream stream produced nothing".into(),
            })??;
            let first = with_input_estimate(first, &inbound.request);
            record.observe(&first);
            Answer::Stream(first, events)
        }
        providers::Upstream::Translated(translated) => {
            let message = translated.into_message().await?;
            record.usage(&message.usage);
            Answer::Message(message)
        }
    };
    Ok((answer, served, decision.rule))
}

/// `max_tokens: 0` (Claude Code's cache pre-warm) for a translated route: nothing to
/// generate and no cache to warm upstream, so it is answered here with the input count
/// (docs/translation.md, "Small limits"). The Anthropic pass-through forwards it: there
/// it warms Anthropic's cache.
async fn prewarm(
    config: &Config,
    target: &Target,
    request: &anthropic::MessagesRequest,
    record: &mut RequestRecord,
) -> Result<Option<Answer>, ProxyError> {
    let translated = config
        .provider(&target.provider)
        .is_some_and(|provider| provider.kind != crate::config::ProviderKind::Anthropic);
    if request.max_tokens != Some(0) || !translated {
        return Ok(None);
    }
    let input_tokens = super::routing::count(request.clone()).await?;
    record.input_tokens = input_tokens;
    let usage = anthropic::Usage {
        input_tokens,
        ..Default::default()
    };
    let id = crate::translate::message_id();
    let model = target.model.clone();
    if !request.stream {
        return Ok(Some(Answer::Message(anthropic::MessageResponse {
            id,
            kind: "message".into(),
            role: anthropic::Role::Assistant,
            content: Vec::new(),
            model,
            stop_reason: anthropic::StopReason::MaxTokens,
            stop_sequence: None,
            usage,
        })));
    }
    let first = crate::translate::message_start(id, model, usage.clone());
    let end = StreamEvent::MessageDelta {
        delta: anthropic::MessageDelta {
            stop_reason: anthropic::StopReason::MaxTokens,
            stop_sequence: None,
        },
        usage,
    };
    let rest = stream::iter([Ok(end), Ok(StreamEvent::MessageStop)]).boxed();
    Ok(Some(Answer::Stream(first, rest)))
}

/// A translated stream's `message_start` with the local estimate of the input tokens when
/// the provider had not counted them yet (Anthropic's own `message_start` carries them;
/// the provider's figures follow in `message_delta`).
fn with_input_estimate(
    mut first: StreamEvent,
    request: &anthropic::MessagesRequest,
) -> StreamEvent {
    if let StreamEvent::MessageStart { message } = &mut first {
        if message.usage.input_tokens == 0 {
            message.usage.input_tokens = tokens::estimate(request);
        }
    }
    first
}

/// Hands the request's record to the statistics when dropped, and counts the request in
/// flight until then: it travels inside a streamed body, so a stream counts until it ends.
struct Finish {
    state: Arc<AppState>,
    config: Arc<Config>,
    record: RequestRecord,
    /// The developer's reservation (team mode), settled with the record.
    ticket: Option<Ticket>,
    _in_flight: InFlight,
}

impl Finish {
    fn start(state: Arc<AppState>, request: &mut Request) -> Self {
        let id = request
            .extensions_mut()
            .remove::<RequestId>()
            .map(|id| id.0)
            .unwrap_or_default();
        Self {
            config: state.config(),
            _in_flight: state.stats.enter(),
            record: RequestRecord::new(id, Instant::now()),
            ticket: None,
            state,
        }
    }
}

impl AsMut<RequestRecord> for Finish {
    fn as_mut(&mut self) -> &mut RequestRecord {
        &mut self.record
    }
}

impl Drop for Finish {
    fn drop(&mut self) {
        let started = self.record.started;
        let record =
            std::mem::replace(&mut self.record, RequestRecord::new(String::new(), started));
        if let Some(ticket) = self.ticket.take() {
            let cost = record.cost(&self.config.prices);
            let tokens = Tokens {
                input: record.input_tokens,
                output: record.output_tokens,
                cache_read: record.cache_read_tokens,
            };
            self.state.team.settle(ticket, tokens, cost);
        }
        if let Some(key) = record.key {
            let dispatcher = &self.state.dispatcher;
            dispatcher.count_tokens(key, record.input_tokens, record.output_tokens);
        }
        self.state.stats.record(record, &self.config.prices);
    }
}

/// The headers a message answer carries: its content type, who served it (three) and the
/// request id (two, added by the middleware), so the map is sized once.
const MESSAGE_HEADERS: usize = 6;

/// A whole message as a JSON response. Written into a buffer sized for a typical answer
/// and with a header map sized for every header it will carry: axum's `Json` starts from
/// 128 bytes and an empty map, and grows both several times per request (BENCHMARKS.md).
fn message_response(message: &anthropic::MessageResponse) -> Response {
    let mut body = Vec::with_capacity(512);
    if let Err(error) = serde_json::to_writer(&mut body, message) {
        return ProxyError::Internal {
            message: format!("cannot write the answer: {error}"),
        }
        .into_response();
    }
    let mut headers = axum::http::HeaderMap::with_capacity(MESSAGE_HEADERS);
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let mut response = Response::new(Body::from(body));
    *response.headers_mut() = headers;
    response
}

/// Headers that say which provider, model and routing rule served the request (the
/// request's log line is written by the statistics, with the outcome).
fn served_by(response: &mut Response, target: &Target, rule: router::Rule) {
    const PROVIDER: HeaderName = HeaderName::from_static("x-ccproxy-provider");
    const MODEL: HeaderName = HeaderName::from_static("x-ccproxy-model");
    const ROUTE: HeaderName = HeaderName::from_static("x-ccproxy-route");
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&target.provider) {
        headers.insert(PROVIDER, value);
    }
    if let Ok(value) = HeaderValue::from_str(&target.model) {
        headers.insert(MODEL, value);
    }
    headers.insert(ROUTE, HeaderValue::from_static(rule.as_str()));
}

/// A `text/event-stream` response: `first`, then the rest of `events`; `finish` (if any)
/// sees every event and records the request when the stream is over.
fn sse_response(
    first: StreamEvent,
    events: providers::EventStream,
    ping: Duration,
    finish: Option<Finish>,
) -> Response {
    let body = sse_body(first, events, ping, finish).map(Ok::<_, std::convert::Infallible>);
    let body = Body::from_stream(body);
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// The encoded events, with a `ping` after each `ping` interval of silence; an error
/// becomes the last event. `finish` rides along, noting tokens, the first token's time
/// and a failure, and is dropped (recording the request) with the stream.
fn sse_body(
    first: StreamEvent,
    events: providers::EventStream,
    ping: Duration,
    finish: Option<Finish>,
) -> impl Stream<Item = Bytes> + Send {
    let first = encode(&first);
    stream::once(async move { first }).chain(stream::unfold(
        (Some(events), finish),
        move |(events, mut finish)| async move {
            let mut events = events?;
            let item = match tokio::time::timeout(ping, events.next()).await {
                Err(_silence) => (encode(&StreamEvent::Ping), Some(events)),
                Ok(None) => return None,
                Ok(Some(Ok(event))) => {
                    if let Some(finish) = &mut finish {
                        finish.record.observe(&event);
                    }
                    (encode(&event), Some(events))
                }
                Ok(Some(Err(error))) => {
                    tracing::warn!(
                        code = error.code(),
                        "stream ended by an upstream failure: {error}"
                    );
                    if let Some(finish) = &mut finish {
                        finish.record.ended_by(&error);
                    }
                    (sse::encode("error", &error.body()), None)
                }
            };
            Some((item.0, (item.1, finish)))
        },
    ))
}

fn encode(event: &StreamEvent) -> Bytes {
    sse::encode(event.name(), event)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::anthropic::{MessageDelta, StopReason, Usage};

    fn text(body: Vec<Bytes>) -> String {
        body.iter()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .collect()
    }

    #[tokio::test(start_paused = true)]
    async fn silence_is_filled_with_pings() {
        let late = stream::once(async {
            tokio::time::sleep(Duration::from_secs(25)).await;
            Ok(StreamEvent::MessageStop)
        })
        .boxed();
        let body: Vec<Bytes> = sse_body(StreamEvent::Ping, late, Duration::from_secs(10), None)
            .collect()
            .await;
        let text = text(body);
        assert_eq!(text.matches("event: ping\n").count(), 3, "{text}");
        assert!(text.ends_with("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"));
    }

    #[tokio::test]
    async fn an_error_ends_the_stream_with_an_error_event() {
        let events = stream::iter([
            Ok(StreamEvent::MessageDelta {
                delta: MessageDelta {
                    stop_reason: StopReason::EndTurn,
                    stop_sequence: None,
                },
                usage: Usage::default(),
            }),
            Err(ProxyError::ProviderFailed {
                provider: "p".into(),
                failure: crate::error::UpstreamFailure::ServerError,
                message: "boom".into(),
            }),
            Ok(StreamEvent::MessageStop),
        ])
        .boxed();
        let body = text(
            sse_body(StreamEvent::Ping, events, PING_INTERVAL, None)
                .collect()
                .await,
        );
        let last = body.trim_end().rsplit("\n\n").next().unwrap_or_default();
        assert!(last.starts_with("event: error\ndata: "), "{body}");
        let data: serde_json::Value =
            serde_json::from_str(last.trim_start_matches("event: error\ndata: ")).expect("json");
        assert_eq!(data["type"], "error");
        assert_eq!(data["error"]["type"], "provider_error");
        assert!(!body.contains("message_stop"));
    }
}
