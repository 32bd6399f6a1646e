//! Fuzz entry `sse_stream`: the event-stream decoder and the AI decoders on any
//! bytes, split anywhere. Invariant: any split into chunks yields the same events
//! (and the same items) as the whole stream; nothing panics; memory is bounded by the
//! decoder's limit.

use cloudbase_core::ai::{AgentDecoder, ChatStreamDecoder};
use cloudbase_core::sse::SseDecoder;
use cloudbase_core::stream::{Pull, StreamDecoder, StreamReader};

fn events(chunks: &[&[u8]]) -> Option<Vec<cloudbase_core::sse::SseEvent>> {
    let mut d = SseDecoder::with_limit(4096);
    let mut out = Vec::new();
    for c in chunks {
        d.feed(c).ok()?;
        out.extend(std::iter::from_fn(|| d.next_event()));
    }
    Some(out)
}

/// Every item a decoder yields for these chunks, as text (errors by their message).
fn items<D: StreamDecoder>(decoder: D, chunks: &[&[u8]]) -> Vec<String>
where
    D::Item: std::fmt::Debug,
{
    let mut reader = StreamReader::new(decoder);
    let mut out = Vec::new();
    let mut next = chunks.iter();
    loop {
        match reader.pull() {
            Pull::Item(item) => out.push(match item {
                Ok(v) => format!("{v:?}"),
                Err(e) => format!("error: {e}"),
            }),
            Pull::End => return out,
            Pull::NeedBytes => match next.next() {
                Some(c) => reader.on_chunk(c),
                None => reader.on_eof(),
            },
        }
    }
}

pub fn sse_stream(data: &[u8]) {
    let (cuts, body) = data.split_at(data.len().min(3));
    let mut at: Vec<usize> = cuts
        .iter()
        .map(|c| {
            if body.is_empty() {
                0
            } else {
                usize::from(*c) % (body.len() + 1)
            }
        })
        .collect();
    at.sort_unstable();
    let mut chunks = Vec::new();
    let mut start = 0;
    for cut in at {
        chunks.push(&body[start..cut]);
        start = cut;
    }
    chunks.push(&body[start..]);
    let whole = events(&[body]);
    assert_eq!(events(&chunks), whole, "a split changed the events");
    let singles: Vec<&[u8]> = body.chunks(1).collect();
    assert_eq!(events(&singles), whole, "byte by byte changed the events");
    assert_eq!(
        items(ChatStreamDecoder::new(false), &chunks),
        items(ChatStreamDecoder::new(false), &[body])
    );
    assert_eq!(
        items(ChatStreamDecoder::new(true), &chunks),
        items(ChatStreamDecoder::new(true), &[body])
    );
    assert_eq!(
        items(AgentDecoder::new(), &chunks),
        items(AgentDecoder::new(), &[body])
    );
}
