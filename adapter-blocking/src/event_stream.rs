//! A response that arrives as server-sent events, as an [`Iterator`] of typed items.

use std::io::Read;

use cloudbase_core::stream::{DRAIN_LIMIT, Pull, StreamDecoder, StreamReader};
use cloudbase_core::{Error, TransportError, TransportErrorKind};

/// Bytes read at a time: one chunk is the most a stream holds beyond its decoder.
const CHUNK: usize = 16 * 1024;

/// A streamed answer: each `next` hands out the next item, reading from the
/// connection only when nothing decoded is waiting (a slow consumer holds the server
/// back). Dropping it closes the connection.
///
/// A stream that breaks after it started ends with an
/// [`Error::Transport`] of kind
/// [`StreamBroken`](TransportErrorKind::StreamBroken) (how many bytes and items
/// arrived); it is not replayed, as the call may have run.
pub struct EventStream<D: StreamDecoder> {
    reader: StreamReader<D>,
    body: Box<dyn Read + Send>,
    buf: Vec<u8>,
    drained: bool,
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
    pub(crate) fn new(body: ureq::Body, decoder: D) -> Self {
        Self {
            reader: StreamReader::new(decoder),
            body: Box::new(body.into_with_config().limit(u64::MAX).reader()),
            buf: vec![0; CHUNK],
            drained: false,
        }
    }

    /// Body bytes and items received so far.
    pub fn received(&self) -> (u64, u64) {
        self.reader.received()
    }
}

impl<D: StreamDecoder> EventStream<D> {
    /// After the end: reads to the body's end (at most [`DRAIN_LIMIT`], each read
    /// within the idle timeout) so the HTTP library can reuse the connection.
    fn drain(&mut self) {
        if std::mem::replace(&mut self.drained, true) {
            return;
        }
        let mut left = DRAIN_LIMIT;
        while left > 0 {
            match self.body.read(&mut self.buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => left = left.saturating_sub(n),
            }
        }
    }
}

fn classify(e: std::io::Error) -> TransportError {
    let kind = match e.kind() {
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => {
            TransportErrorKind::Timeout
        }
        _ => TransportErrorKind::ConnectionLost,
    };
    // ureq reports its own timeouts wrapped in an io::Error.
    let kind = if e.to_string().contains("timeout") || e.to_string().contains("Timeout") {
        TransportErrorKind::Timeout
    } else {
        kind
    };
    TransportError::new(kind, e)
}

impl<D: StreamDecoder> Iterator for EventStream<D> {
    type Item = Result<D::Item, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            match self.reader.pull() {
                Pull::Item(item) => return Some(item),
                Pull::End => {
                    self.drain();
                    return None;
                }
                Pull::NeedBytes => match self.body.read(&mut self.buf) {
                    Ok(0) => {
                        self.drained = true;
                        self.reader.on_eof();
                    }
                    Ok(n) => self.reader.on_chunk(&self.buf[..n]),
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        self.drained = true;
                        return Some(Err(self.reader.on_failure(classify(e))));
                    }
                },
            }
        }
    }
}
