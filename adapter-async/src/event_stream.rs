//! A response that arrives as server-sent events, as a [`Stream`] of typed items.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use cloudbase_core::stream::{DRAIN_LIMIT, Pull, StreamDecoder, StreamReader};
use cloudbase_core::{Error, TransportError, TransportErrorKind};
use futures_util::Stream;

type Body = Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>;

/// A streamed answer: each poll hands out the next item, reading from the
/// connection only when nothing decoded is waiting (a slow consumer holds the server
/// back). Each chunk must arrive within the idle timeout. Dropping it closes the
/// connection.
///
/// A stream that breaks after it started ends with an [`Error::Transport`] of kind
/// [`StreamBroken`](TransportErrorKind::StreamBroken) (how many bytes and items
/// arrived); it is not replayed, as the call may have run.
pub struct EventStream<D: StreamDecoder> {
    reader: StreamReader<D>,
    body: Body,
    idle: Duration,
    // One timer for the stream's life, re-armed when a wait begins after a chunk came
    // (rather than a timer allocated, registered and dropped at every wait).
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
    armed: bool,
    // Bytes still allowed to be read past the end (see DRAIN_LIMIT); 0 once drained.
    drain_left: usize,
}

impl<D: StreamDecoder> std::fmt::Debug for EventStream<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (bytes, items) = self.reader.received();
        f.debug_struct("EventStream")
            .field("received_bytes", &bytes)
            .field("received_items", &items)
            .finish_non_exhaustive()
    }
}

impl<D: StreamDecoder> EventStream<D> {
    pub(crate) fn new(response: reqwest::Response, decoder: D, idle: Duration) -> Self {
        Self {
            reader: StreamReader::new(decoder),
            body: Box::pin(response.bytes_stream()),
            idle,
            timer: None,
            armed: false,
            drain_left: DRAIN_LIMIT,
        }
    }

    /// Body bytes and items received so far.
    pub fn received(&self) -> (u64, u64) {
        self.reader.received()
    }
}

impl<D: StreamDecoder> EventStream<D> {
    /// After the end: reads to the body's end (at most [`DRAIN_LIMIT`], within the
    /// idle timeout) so the HTTP library can reuse the connection; then `None`.
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<D::Item, Error>>> {
        while self.drain_left > 0 {
            match self.body.as_mut().poll_next(cx) {
                Poll::Ready(Some(Ok(chunk))) => {
                    self.armed = false;
                    self.drain_left = self.drain_left.saturating_sub(chunk.len().max(1));
                }
                Poll::Ready(Some(Err(_)) | None) => self.drain_left = 0,
                Poll::Pending => {
                    if self.wait_timed_out(cx) {
                        self.drain_left = 0;
                    } else {
                        return Poll::Pending;
                    }
                }
            }
        }
        self.timer = None;
        Poll::Ready(None)
    }

    /// Arms (or keeps) the idle timer for a wait; whether it has run out.
    fn wait_timed_out(&mut self, cx: &mut Context<'_>) -> bool {
        let idle = self.idle;
        let timer = match &mut self.timer {
            Some(timer) => {
                if !self.armed {
                    match tokio::time::Instant::now().checked_add(idle) {
                        Some(deadline) => timer.as_mut().reset(deadline),
                        // Beyond the clock's range: as long as sleep allows.
                        None => *timer = Box::pin(tokio::time::sleep(idle)),
                    }
                }
                timer
            }
            None => self.timer.insert(Box::pin(tokio::time::sleep(idle))),
        };
        self.armed = true;
        if timer.as_mut().poll(cx).is_ready() {
            self.timer = None;
            self.armed = false;
            return true;
        }
        false
    }
}

// Nothing inside is pinned structurally (the body is boxed), so the stream can move.
impl<D: StreamDecoder> Unpin for EventStream<D> {}

impl<D: StreamDecoder> Stream for EventStream<D> {
    type Item = Result<D::Item, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            match this.reader.pull() {
                Pull::Item(item) => return Poll::Ready(Some(item)),
                Pull::End => return this.poll_drain(cx),
                Pull::NeedBytes => {}
            }
            match this.body.as_mut().poll_next(cx) {
                Poll::Ready(Some(Ok(chunk))) => {
                    this.armed = false;
                    this.reader.on_chunk(&chunk);
                }
                Poll::Ready(Some(Err(e))) => {
                    this.armed = false;
                    this.drain_left = 0;
                    return Poll::Ready(Some(Err(this.reader.on_failure(crate::classify(e)))));
                }
                Poll::Ready(None) => {
                    this.armed = false;
                    this.drain_left = 0;
                    this.reader.on_eof();
                }
                Poll::Pending => {
                    if this.wait_timed_out(cx) {
                        let failure = TransportError::new(
                            TransportErrorKind::Timeout,
                            "no stream data within the idle timeout",
                        );
                        return Poll::Ready(Some(Err(this.reader.on_failure(failure))));
                    }
                    return Poll::Pending;
                }
            }
        }
    }
}
