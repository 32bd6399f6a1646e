//! The streams benchmark's body and its hand-written reader (shared with the
//! `stream-decode` profiling binary).
#![allow(dead_code)]

use serde::Deserialize;

pub(crate) const EVENTS: usize = 10_000;

/// The stream's body: `EVENTS` chunks of a few words, then `[DONE]`.
pub(crate) fn body() -> Vec<u8> {
    let mut out = String::new();
    for i in 0..EVENTS {
        out.push_str(&format!(
            "data: {{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{{\"index\":0,\"delta\":{{\"role\":\"assistant\",\"content\":\"word {i} \"}},\"finish_reason\":null}}]}}\n\n"
        ));
    }
    out.push_str("data: [DONE]\n\n");
    out.into_bytes()
}

#[derive(Deserialize)]
struct Chunk {
    choices: Vec<Choice>,
}
#[derive(Deserialize)]
struct Choice {
    delta: Delta,
}
#[derive(Deserialize)]
struct Delta {
    #[serde(default)]
    content: Option<String>,
}

/// The hand-written reference: split events at blank lines, parse each `data:`.
pub(crate) struct HandSplit {
    pub(crate) buf: Vec<u8>,
    pub(crate) bytes: usize,
    pub(crate) done: bool,
}

impl HandSplit {
    pub(crate) fn new() -> Self {
        Self {
            buf: Vec::new(),
            bytes: 0,
            done: false,
        }
    }

    pub(crate) fn feed(&mut self, chunk: &[u8]) {
        self.buf.extend_from_slice(chunk);
        let mut start = 0;
        while let Some(at) = self.buf[start..].windows(2).position(|w| w == b"\n\n") {
            let event = &self.buf[start..start + at];
            start += at + 2;
            let Some(data) = event.strip_prefix(b"data: ") else {
                continue;
            };
            if data == b"[DONE]" {
                self.done = true;
                break;
            }
            if let Ok(c) = serde_json::from_slice::<Chunk>(data) {
                self.bytes += c
                    .choices
                    .first()
                    .and_then(|c| c.delta.content.as_ref())
                    .map_or(0, String::len);
            }
        }
        self.buf.drain(..start);
    }
}

/// The body through the core's stream reader in 16 KiB chunks; the content bytes.
pub(crate) fn ours(body: &[u8]) -> usize {
    use cloudbase_core::stream::{Pull, StreamReader};
    let mut reader = StreamReader::new(cloudbase_core::ai::ChatStreamDecoder::new(false));
    let mut chunks = body.chunks(16 * 1024);
    let mut n = 0usize;
    loop {
        match reader.pull() {
            Pull::Item(d) => n += d.map(|d| d.content.map_or(0, |c| c.len())).unwrap_or(0),
            Pull::NeedBytes => match chunks.next() {
                Some(c) => reader.on_chunk(c),
                None => reader.on_eof(),
            },
            Pull::End => return n,
        }
    }
}

/// The body through the hand-written split in 16 KiB chunks; the content bytes.
pub(crate) fn hand(body: &[u8]) -> usize {
    let mut split = HandSplit::new();
    for c in body.chunks(16 * 1024) {
        split.feed(c);
    }
    split.bytes
}
