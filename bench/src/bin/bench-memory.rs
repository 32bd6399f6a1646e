//! The memory figure: peak heap while decoding a 100,000-row model list, ours vs
//! serde_json straight from the bytes. A separate binary because its counting
//! allocator would slow every allocation of the timing benchmarks. Prints one line:
//! `<ours bytes> <baseline bytes> <body bytes>`.

#[path = "../common.rs"]
mod common;

use cloudbase_core::models::{Model, Query};
use common::{Todo, drive, signed_in_state, todo_body};
use peak_alloc::PeakAlloc;
use serde::Deserialize;
use std::hint::black_box;

#[global_allocator]
static HEAP: PeakAlloc = PeakAlloc;

/// A 100 MB chat stream fed in 16 KiB chunks (made on the fly, never held whole)
/// through the core's stream reader vs a hand-written split: peak heap of each.
/// Prints `<ours bytes> <baseline bytes> <chunk bytes>`.
fn stream() {
    use cloudbase_core::stream::{Pull, StreamReader};
    const CHUNK: usize = 16 * 1024;
    const TOTAL: usize = 100 * 1024 * 1024;
    let event =
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a few words of text \"}}]}\n\n";
    let block: Vec<u8> = event.repeat(CHUNK / event.len() + 2).into_bytes();
    // The stream is `event` repeated; chunk i is its bytes [i·CHUNK, (i+1)·CHUNK), so
    // events straddle chunks at shifting offsets.
    let chunks = || {
        (0..TOTAL / CHUNK).map(|i| {
            let at = (i * CHUNK) % event.len();
            &block[at..at + CHUNK]
        })
    };
    let start = HEAP.current_usage();
    HEAP.reset_peak_usage();
    let mut reader = StreamReader::new(cloudbase_core::ai::ChatStreamDecoder::new(false));
    let mut source = chunks();
    let mut n = 0usize;
    loop {
        match reader.pull() {
            Pull::Item(d) => n += d.expect("delta").content.map_or(0, |c| c.len()),
            Pull::NeedBytes => match source.next() {
                Some(c) => reader.on_chunk(c),
                None => reader.on_eof(),
            },
            Pull::End => break,
        }
    }
    let ours = HEAP.peak_usage().saturating_sub(start);
    black_box(n);
    drop(reader);
    let start = HEAP.current_usage();
    HEAP.reset_peak_usage();
    let mut buf: Vec<u8> = Vec::new();
    let mut m = 0usize;
    for c in chunks() {
        buf.extend_from_slice(c);
        let mut at = 0;
        while let Some(p) = buf[at..].windows(2).position(|w| w == b"\n\n") {
            let e = &buf[at..at + p];
            at += p + 2;
            if let Some(data) = e.strip_prefix(b"data: ") {
                let v: serde_json::Value = serde_json::from_slice(data).expect("json");
                m += v["choices"][0]["delta"]["content"]
                    .as_str()
                    .map_or(0, str::len);
            }
        }
        buf.drain(..at);
    }
    let base = HEAP.peak_usage().saturating_sub(start);
    black_box(m);
    println!("{ours} {base} {CHUNK}");
}

fn main() {
    if std::env::args().any(|a| a == "stream") {
        return stream();
    }
    let mut st = signed_in_state();
    let model = Model::new("todo").expect("model");
    let query = Query::new();
    let body = todo_body(100_000);
    let len = body.len();
    // Ours: the body moves into the driver, as the adapters hand it over.
    let start = HEAP.current_usage();
    HEAP.reset_peak_usage();
    let page = drive(&mut st, model.list::<Todo>(&query).expect("op"), body);
    let ours = HEAP.peak_usage().saturating_sub(start) + len;
    assert_eq!(page.records.len(), 100_000);
    drop(page);
    // The hand-written reference: serde_json straight from the bytes.
    let body = todo_body(100_000);
    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct Envelope {
        data: PageRef,
    }
    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct PageRef {
        records: Vec<Todo>,
    }
    let start = HEAP.current_usage();
    HEAP.reset_peak_usage();
    let page: Envelope = serde_json::from_slice(&body).expect("page");
    let base = HEAP.peak_usage().saturating_sub(start) + len;
    black_box(page);
    println!("{ours} {base} {len}");
}
