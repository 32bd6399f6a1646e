//! An incremental server-sent-events decoder (the WHATWG `text/event-stream`
//! format): bytes in, in chunks cut anywhere — inside a UTF-8 sequence, between a CR
//! and its LF — and events out, the same for any split.

use std::collections::VecDeque;

/// A line as text: valid UTF-8 as is (the fast, common case), anything else with
/// U+FFFD for the bad bytes, as the standard's decoder does.
fn utf8(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// One event: the `data` lines joined with `\n`, and the last `event`, `id` and
/// `retry` fields seen.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SseEvent {
    /// `event:` (empty when none was given; the standard's default is `message`).
    pub event: String,
    /// The `data:` lines, joined with `\n`.
    pub data: String,
    /// The last `id:` seen in the stream so far (the standard's "last event id").
    pub id: Option<String>,
    /// `retry:` in milliseconds, when this event carried one.
    pub retry: Option<u64>,
}

/// An event as dispatched, borrowed from the decoder ([`SseDecoder::feed_with`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SseEventRef<'a> {
    /// `event:` (empty when none was given).
    pub event: &'a str,
    /// The `data:` lines, joined with `\n`.
    pub data: &'a str,
    /// The last `id:` seen so far.
    pub id: Option<&'a str>,
    /// `retry:` of this event.
    pub retry: Option<u64>,
}

impl SseEventRef<'_> {
    /// An owned copy.
    pub fn to_owned(self) -> SseEvent {
        SseEvent {
            event: self.event.to_owned(),
            data: self.data.to_owned(),
            id: self.id.map(str::to_owned),
            retry: self.retry,
        }
    }
}

/// Why the stream cannot be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SseError {
    /// One line, or one event's data, is larger than the limit.
    #[error("an event-stream line or event exceeds {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
}

/// Decodes an event stream incrementally. Memory is bounded: at most one
/// unfinished line, one event being assembled (each at most `max_event_bytes`) and
/// the events of the last chunk not yet taken.
///
/// ```
/// use cloudbase_core::sse::SseDecoder;
///
/// let mut sse = SseDecoder::new();
/// sse.feed(b"data: hel").unwrap();
/// assert!(sse.next_event().is_none());
/// sse.feed(b"lo\r\n\r\ndata: [DONE]\n\n").unwrap();
/// assert_eq!(sse.next_event().unwrap().data, "hello");
/// assert_eq!(sse.next_event().unwrap().data, "[DONE]");
/// ```
#[derive(Debug)]
pub struct SseDecoder {
    /// The unfinished line's bytes (decoded once whole: a line ending never falls
    /// inside a UTF-8 sequence).
    line: Vec<u8>,
    /// The last byte fed was a CR: an LF right after it ends nothing more.
    after_cr: bool,
    /// Whether the stream's first bytes were looked at for a BOM.
    started: bool,
    event: String,
    data: String,
    has_data: bool,
    last_id: Option<String>,
    retry: Option<u64>,
    ready: VecDeque<SseEvent>,
    max_event_bytes: usize,
    bytes_fed: u64,
}

/// The default bound on one line or one event's data (1 MiB): far above any model
/// chunk or agent record.
pub const DEFAULT_MAX_EVENT_BYTES: usize = 1024 * 1024;

impl Default for SseDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl SseDecoder {
    /// A decoder with the default bound ([`DEFAULT_MAX_EVENT_BYTES`]).
    pub fn new() -> Self {
        Self::with_limit(DEFAULT_MAX_EVENT_BYTES)
    }

    /// A decoder whose lines and events may be at most `max_event_bytes` long.
    pub fn with_limit(max_event_bytes: usize) -> Self {
        Self {
            line: Vec::new(),
            after_cr: false,
            started: false,
            event: String::new(),
            data: String::new(),
            has_data: false,
            last_id: None,
            retry: None,
            ready: VecDeque::new(),
            max_event_bytes,
            bytes_fed: 0,
        }
    }

    /// Bytes fed so far.
    pub fn bytes_fed(&self) -> u64 {
        self.bytes_fed
    }

    /// Feeds the next chunk; complete events become available from
    /// [`SseDecoder::next_event`].
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), SseError> {
        let mut ready = std::mem::take(&mut self.ready);
        let result = self.feed_with(chunk, &mut |e: SseEventRef<'_>| {
            ready.push_back(e.to_owned())
        });
        self.ready = ready;
        result
    }

    /// Feeds the next chunk, handing each complete event to `on_event` as it is
    /// dispatched, borrowed (no copy of its data): for decoders that read events
    /// straight into their own types. Events fed this way are not queued for
    /// [`SseDecoder::next_event`].
    pub fn feed_with(
        &mut self,
        mut chunk: &[u8],
        on_event: &mut dyn FnMut(SseEventRef<'_>),
    ) -> Result<(), SseError> {
        self.bytes_fed = self.bytes_fed.saturating_add(chunk.len() as u64);
        if !self.started {
            // A UTF-8 BOM may start the stream (and only the stream); it can be cut too.
            const BOM: &[u8] = b"\xEF\xBB\xBF";
            let have = self.line.len();
            let take = chunk.len().min(BOM.len() - have);
            if BOM[have..have + take] == chunk[..take] {
                self.line.extend_from_slice(&chunk[..take]);
                chunk = &chunk[take..];
                if self.line.len() < BOM.len() {
                    return Ok(());
                }
                self.line.clear();
            } else if have > 0 {
                // Not a BOM after all: those bytes are the line's.
                let kept = std::mem::take(&mut self.line);
                self.started = true;
                self.feed_bytes(&kept, on_event)?;
            }
            self.started = true;
        }
        self.feed_bytes(chunk, on_event)
    }

    fn feed_bytes(
        &mut self,
        chunk: &[u8],
        on_event: &mut dyn FnMut(SseEventRef<'_>),
    ) -> Result<(), SseError> {
        let mut rest = chunk;
        // An empty chunk says nothing about the byte after a CR.
        if self.after_cr && !rest.is_empty() {
            self.after_cr = false;
            if let [b'\n', tail @ ..] = rest {
                rest = tail;
            }
        }
        while let Some(at) = memchr::memchr2(b'\n', b'\r', rest) {
            let (head, tail) = rest.split_at(at);
            if self.line.is_empty() {
                // The whole line is in this chunk: read it in place.
                if head.len() > self.max_event_bytes {
                    return Err(SseError::TooLarge {
                        limit: self.max_event_bytes,
                    });
                }
                self.process_line(&utf8(head), on_event)?;
            } else {
                self.push_line_bytes(head)?;
                let line = std::mem::take(&mut self.line);
                self.process_line(&utf8(&line), on_event)?;
                // Keep the buffer's capacity for the next straddling line.
                self.line = line;
                self.line.clear();
            }
            let ended_by_cr = tail[0] == b'\r';
            rest = &tail[1..];
            if ended_by_cr {
                match rest {
                    [b'\n', after @ ..] => rest = after,
                    [] => self.after_cr = true,
                    _ => {}
                }
            }
        }
        self.push_line_bytes(rest)
    }

    fn push_line_bytes(&mut self, bytes: &[u8]) -> Result<(), SseError> {
        if self.line.len().saturating_add(bytes.len()) > self.max_event_bytes {
            return Err(SseError::TooLarge {
                limit: self.max_event_bytes,
            });
        }
        self.line.extend_from_slice(bytes);
        Ok(())
    }

    fn process_line(
        &mut self,
        line: &str,
        on_event: &mut dyn FnMut(SseEventRef<'_>),
    ) -> Result<(), SseError> {
        if line.is_empty() {
            self.dispatch(on_event);
            return Ok(());
        }
        if line.starts_with(':') {
            return Ok(());
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "data" => {
                let added = value.len() + usize::from(self.has_data);
                if self.data.len().saturating_add(added) > self.max_event_bytes {
                    return Err(SseError::TooLarge {
                        limit: self.max_event_bytes,
                    });
                }
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            "event" => value.clone_into(&mut self.event),
            // The standard ignores an id containing NUL.
            "id" if !value.contains('\0') => self.last_id = Some(value.to_owned()),
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                self.retry = value.parse().ok();
            }
            _ => {}
        }
        Ok(())
    }

    /// A blank line: the event assembled so far is complete (an event with no data
    /// is not dispatched, as the standard says). The buffers keep their capacity.
    fn dispatch(&mut self, on_event: &mut dyn FnMut(SseEventRef<'_>)) {
        let retry = self.retry.take();
        if std::mem::take(&mut self.has_data) {
            on_event(SseEventRef {
                event: &self.event,
                data: &self.data,
                id: self.last_id.as_deref(),
                retry,
            });
        }
        self.event.clear();
        self.data.clear();
    }

    /// The next complete event, if one is ready.
    pub fn next_event(&mut self) -> Option<SseEvent> {
        self.ready.pop_front()
    }

    /// Bytes held for unfinished lines and events (not counting ready events): what
    /// the decoder costs beyond the chunk being fed.
    pub fn buffered_bytes(&self) -> usize {
        self.line.len() + self.data.len() + self.event.len()
    }

    /// Whether an event is ready.
    pub fn has_event(&self) -> bool {
        !self.ready.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(bytes: &[u8]) -> Vec<SseEvent> {
        let mut d = SseDecoder::new();
        d.feed(bytes).unwrap();
        std::iter::from_fn(|| d.next_event()).collect()
    }

    #[test]
    fn fields_comments_line_endings_and_multiline_data() {
        let events = all(b"\xEF\xBB\xBF: comment\r\nevent: delta\rdata:a\ndata: b\r\nid: 7\nretry: 100\n\ndata\n\n: tail\nid\n\n");
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].event, "delta");
        assert_eq!(events[0].data, "a\nb");
        assert_eq!(events[0].id.as_deref(), Some("7"));
        assert_eq!(events[0].retry, Some(100));
        assert_eq!(events[1].data, "");
        assert_eq!(events[1].event, "");
        assert_eq!(events[1].id.as_deref(), Some("7"));
    }

    #[test]
    fn an_unterminated_last_event_is_not_dispatched() {
        assert!(all(b"data: x").is_empty());
        assert!(all(b"data: x\n").is_empty());
    }

    #[test]
    fn mixed_line_endings_in_one_write_lose_nothing() {
        // The official SDK's parser drops every event after this (ai.md §8).
        let events = all(b"data: 1\r\n\r\ndata: 2\n\ndata: 3\r\rdata: 4\n\n");
        let data: Vec<&str> = events.iter().map(|e| e.data.as_str()).collect();
        assert_eq!(data, ["1", "2", "3", "4"]);
    }

    #[test]
    fn an_empty_chunk_between_a_cr_and_its_lf_changes_nothing() {
        // Found by the sse_stream fuzz target: the empty chunk used to forget the CR,
        // so its LF ended a second (blank) line and split the event.
        let mut d = SseDecoder::new();
        for chunk in [&b"data: a\r"[..], b"", b"\ndata: b\n\n"] {
            d.feed(chunk).unwrap();
        }
        let e = d.next_event().unwrap();
        assert_eq!(e.data, "a\nb");
        assert!(d.next_event().is_none());
    }

    #[test]
    fn a_line_over_the_limit_is_an_error() {
        let mut d = SseDecoder::with_limit(8);
        assert!(d.feed(b"data: 1234").is_err());
        let mut d = SseDecoder::with_limit(9);
        d.feed(b"data:1234\ndata:5678\n").unwrap();
        assert!(
            d.feed(b"data:9\n").is_err(),
            "the event's data grew past the limit"
        );
    }
}
