//! Answers that arrive as a stream (server-sent events): the adapter feeds body
//! chunks as they arrive and pulls typed items out; the core never reads a socket.
//!
//! ```text
//! let mut reader = StreamReader::new(decoder);
//! loop {
//!     match reader.pull() {
//!         Pull::Item(item) => hand it to the consumer (and wait until it asks again),
//!         Pull::NeedBytes => match read_chunk() {
//!             Ok(0) => reader.on_eof(),
//!             Ok(n) => reader.on_chunk(&buf[..n]),
//!             Err(e) => hand out reader.on_failure(e), then stop,
//!         },
//!         Pull::End => stop (drop the body: the connection closes),
//!     }
//! }
//! ```
//!
//! The adapter reads only when the consumer pulls and the decoder has nothing ready,
//! so a slow consumer holds the connection back (backpressure) and memory stays at one
//! chunk plus one event.

use http::StatusCode;

use crate::codes::GatewayErrorCode;
use crate::error::{
    DecodeError, Error, ServerCode, ServerError, TransportError, TransportErrorKind,
};
use crate::request::HttpResponse;

/// Implements [`Operation`](crate::operation::Operation) for a request that opens an
/// event stream: `Output = ()`, the given request (and idempotence, when set), and an
/// answer that is [`check_opened`] — every stream-opening operation answers the same way.
macro_rules! opens_event_stream {
    ($ty:ty, |$op:ident, $cx:ident| $request:expr $(, idempotent: |$iop:ident| $idem:expr)? $(,)?) => {
        impl $crate::operation::Operation for $ty {
            type Output = ();

            fn request(
                &self,
                $cx: &$crate::operation::RequestContext<'_>,
            ) -> Result<$crate::request::RequestSpec, $crate::Error> {
                let $op = self;
                $request
            }

            $(fn is_idempotent(&self) -> bool {
                let $iop = self;
                $idem
            })?

            fn on_response(
                &mut self,
                response: $crate::request::HttpResponse,
                _cx: &mut $crate::operation::ResponseContext<'_>,
            ) -> Result<$crate::operation::Progress<()>, $crate::Error> {
                $crate::stream::check_opened(&response).map($crate::operation::Progress::Done)
            }
        }
    };
}
pub(crate) use opens_event_stream;

/// Most bytes an adapter reads past a stream's end (an end marker, or an error event)
/// to reach the body's end, so the HTTP library can reuse the connection rather than
/// close it: a chunked body's last, empty chunk usually follows the marker at once.
/// Past it (a server that keeps talking), the connection is dropped.
pub const DRAIN_LIMIT: usize = 64 * 1024;

/// Request extension: the answer may be an event stream. The adapter keeps a 2xx
/// `text/event-stream` body for a [`StreamReader`] and hands the core the head with
/// [`EventStreamBody`]; any other answer is read whole as usual.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventStreamResponse;

/// Response extension: the adapter holds this answer's event-stream body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventStreamBody;

/// Whether the adapter should keep this answer's body as an event stream.
pub fn is_event_stream(status: StatusCode, headers: &http::HeaderMap) -> bool {
    status.is_success()
        && headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| {
                t.trim_start()
                    .to_ascii_lowercase()
                    .starts_with("text/event-stream")
            })
}

/// Turns a streamed body into items.
pub trait StreamDecoder: Send + 'static {
    /// What the stream yields.
    type Item: Send + 'static;
    /// Feeds the next chunk, as it arrived.
    fn feed(&mut self, chunk: &[u8]) -> Result<(), Error>;
    /// The next item, if one is ready.
    fn next_item(&mut self) -> Option<Result<Self::Item, Error>>;
    /// Whether the stream said it is over (an end marker or an error event): nothing
    /// more needs to be read.
    fn is_finished(&self) -> bool;
    /// The body ended; an error if that is premature for this kind of stream.
    fn finish(&mut self) -> Result<(), Error> {
        Ok(())
    }
}

/// What the adapter does next for a stream.
#[derive(Debug)]
#[must_use]
pub enum Pull<T> {
    /// Hand this to the consumer.
    Item(Result<T, Error>),
    /// Read the next chunk (then [`StreamReader::on_chunk`] or `on_eof` or `on_failure`).
    NeedBytes,
    /// The stream is over: drop the body.
    End,
}

/// A stream in progress: the decoder and how far it got.
#[derive(Debug)]
pub struct StreamReader<D> {
    decoder: D,
    bytes: u64,
    items: u64,
    eof: bool,
    done: bool,
    pending: Option<Error>,
}

impl<D: StreamDecoder> StreamReader<D> {
    /// Starts reading with `decoder`.
    pub fn new(decoder: D) -> Self {
        Self {
            decoder,
            bytes: 0,
            items: 0,
            eof: false,
            done: false,
            pending: None,
        }
    }

    /// The next thing to do.
    pub fn pull(&mut self) -> Pull<D::Item> {
        if let Some(e) = self.pending.take() {
            self.done = true;
            return Pull::Item(Err(e));
        }
        if self.done {
            return Pull::End;
        }
        if let Some(item) = self.decoder.next_item() {
            if item.is_err() {
                self.done = true;
            } else {
                self.items = self.items.saturating_add(1);
            }
            return Pull::Item(item);
        }
        if self.decoder.is_finished() {
            self.done = true;
            return Pull::End;
        }
        if self.eof {
            self.done = true;
            return match self.decoder.finish() {
                Ok(()) => Pull::End,
                Err(e) => Pull::Item(Err(e)),
            };
        }
        Pull::NeedBytes
    }

    /// A chunk arrived.
    pub fn on_chunk(&mut self, chunk: &[u8]) {
        self.bytes = self.bytes.saturating_add(chunk.len() as u64);
        if let Err(e) = self.decoder.feed(chunk) {
            self.pending = Some(e);
        }
    }

    /// The body ended.
    pub fn on_eof(&mut self) {
        self.eof = true;
    }

    /// Reading failed: the error to hand out (a broken stream says how far it got).
    pub fn on_failure(&mut self, failure: TransportError) -> Error {
        self.done = true;
        let kind = match failure.kind {
            TransportErrorKind::Timeout => TransportErrorKind::Timeout,
            _ => TransportErrorKind::StreamBroken {
                received_bytes: self.bytes,
                received_items: self.items,
            },
        };
        Error::Transport(failure.with_kind(kind))
    }

    /// Body bytes and items so far.
    pub fn received(&self) -> (u64, u64) {
        (self.bytes, self.items)
    }

    /// Whether the stream is over.
    pub fn is_done(&self) -> bool {
        self.done
    }
}

/// The answer to a streaming request: `Ok` when the adapter holds an event stream;
/// otherwise the body (read whole) says what went wrong — a gateway `{code,
/// message}` in any status (`NORMAL` is not an error), an OpenAI-style `{error}`, or
/// something that is not a stream at all.
pub fn check_opened(response: &HttpResponse) -> Result<(), Error> {
    if response.extensions().get::<EventStreamBody>().is_some() {
        return Ok(());
    }
    let status = response.status();
    let request_id = response
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok());
    if let Ok(body) = serde_json::from_slice::<serde_json::Value>(response.body())
        && let Some(e) = error_in(&body, status, request_id)
    {
        return Err(e);
    }
    crate::response::check_status(
        crate::request::Api::Gateway,
        response,
        std::time::SystemTime::UNIX_EPOCH,
    )?;
    Err(DecodeError::NotAnEventStream {
        status,
        content_type: response
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned(),
    }
    .into())
}

/// An AI answer read whole as JSON: an error envelope in it (any status) is the
/// typed error, else the value.
pub fn json_answer(response: &HttpResponse) -> Result<serde_json::Value, Error> {
    let status = response.status();
    let value: serde_json::Value = crate::response::decode_json(status, response.body())?;
    match error_in(&value, status, None) {
        Some(e) => Err(e),
        None => Ok(value),
    }
}

/// The error an answer or a stream event reports, if it reports one: a gateway
/// `{code, message, requestId}` with a code other than `NORMAL`, or an OpenAI-style
/// `{error: {message, code|type}}` / `{error: "text"}`.
pub fn error_in(
    value: &serde_json::Value,
    status: StatusCode,
    request_id: Option<&str>,
) -> Option<Error> {
    let text = |v: &serde_json::Value| v.as_str().map(str::to_owned);
    let own_request_id = value
        .get("requestId")
        .or_else(|| value.get("request_id"))
        .and_then(text)
        .or_else(|| request_id.map(str::to_owned));
    let (code, message) = if let Some(code) = value.get("code").and_then(text) {
        if code.is_empty() || code == "NORMAL" {
            return None;
        }
        (
            code,
            value.get("message").and_then(text).unwrap_or_default(),
        )
    } else {
        match value.get("error")? {
            serde_json::Value::String(s) => (s.clone(), String::new()),
            serde_json::Value::Object(e) => (
                e.get("code")
                    .and_then(text)
                    .or_else(|| e.get("type").and_then(text))
                    .unwrap_or_else(|| "error".to_owned()),
                e.get("message").and_then(text).unwrap_or_default(),
            ),
            _ => return None,
        }
    };
    Some(Error::Server(ServerError {
        status,
        code: ServerCode::Gateway(GatewayErrorCode::from(code.as_str())),
        message,
        request_id: own_request_id,
        numeric_code: None,
        retry_after: None,
        postgrest: None,
    }))
}

/// The plainest decoder: every server-sent event as it is (Cloud Run services that
/// stream). The stream ends when the body does.
#[derive(Debug, Default)]
pub struct SseEventDecoder {
    sse: crate::sse::SseDecoder,
}

impl StreamDecoder for SseEventDecoder {
    type Item = crate::sse::SseEvent;

    fn feed(&mut self, chunk: &[u8]) -> Result<(), Error> {
        self.sse
            .feed(chunk)
            .map_err(|e| DecodeError::EventStream(e.to_string()).into())
    }

    fn next_item(&mut self) -> Option<Result<crate::sse::SseEvent, Error>> {
        self.sse.next_event().map(Ok)
    }

    fn is_finished(&self) -> bool {
        false
    }
}
