//! The memory figure: peak heap while decoding a 100,000-row model list, ours vs
//! serde_json straight from the bytes. A separate binary because its counting
//! allocator would slow every allocation of the timing benchmarks. Prints one line:
//! `<ours bytes> <baseline bytes> <body bytes>`.

#[path = "../common.rs"]
mod common;
#[path = "../server.rs"]
#[allow(dead_code)]
mod server;

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

/// Every record of a model through the blocking adapter's pager: the loopback
/// server answers each page with the same 200 records and a total of `records`.
/// Prints `<peak heap bytes above the start> <one page's body bytes> <records seen>`.
fn pager(records: u64) {
    let page = todo_page(200, records);
    let page_len = page.len();
    let url = server::start(vec![("/v1/model/", "application/json", "", page)]);
    let client = cloudbase_blocking::Client::new(
        cloudbase_core::Config::builder("bench-env")
            .base_url(url.as_str())
            .api_key("bench-api-key")
            .build()
            .expect("config"),
    )
    .expect("client");
    let start = HEAP.current_usage();
    HEAP.reset_peak_usage();
    let mut seen = 0u64;
    for todo in client
        .models()
        .records::<Todo>("todo", Query::new())
        .expect("pager")
    {
        black_box(todo.expect("record"));
        seen += 1;
    }
    let peak = HEAP.peak_usage().saturating_sub(start);
    println!("{peak} {page_len} {seen}");
}

/// A page of `rows` records claiming `total` in all.
fn todo_page(rows: usize, total: u64) -> Vec<u8> {
    let mut body: serde_json::Value = serde_json::from_slice(&todo_body(rows)).expect("json");
    body["data"]["total"] = total.into();
    serde_json::to_vec(&body).expect("json")
}

/// `calls` function calls started at once on one async client (one connection
/// pool). Prints `<peak heap bytes above the start> <connections opened> <calls ok>`.
fn concurrent(calls: usize) {
    let url = server::start(vec![(
        "/v1/functions/",
        "application/json",
        "",
        br#"{"ok":1}"#.to_vec(),
    )]);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let client = std::sync::Arc::new(
        cloudbase_async::Client::new(
            cloudbase_core::Config::builder("bench-env")
                .base_url(url.as_str())
                .api_key("bench-api-key")
                .build()
                .expect("config"),
        )
        .expect("client"),
    );
    let input = serde_json::json!({"n": 1});
    let start = HEAP.current_usage();
    HEAP.reset_peak_usage();
    let before = server::connections();
    let ok = rt.block_on(async {
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..calls {
            let client = client.clone();
            let input = input.clone();
            set.spawn(async move { client.call_function("echo", &input).await.is_ok() });
        }
        let mut ok = 0usize;
        while let Some(done) = set.join_next().await {
            ok += usize::from(done.unwrap_or(false));
        }
        ok
    });
    let peak = HEAP.peak_usage().saturating_sub(start);
    println!("{peak} {} {ok}", server::connections() - before);
}

fn main() {
    if std::env::args().any(|a| a == "stream") {
        return stream();
    }
    if let Some(n) = std::env::args()
        .skip_while(|a| a != "concurrent")
        .nth(1)
        .and_then(|n| n.parse().ok())
    {
        return concurrent(n);
    }
    if let Some(n) = std::env::args()
        .skip_while(|a| a != "pager")
        .nth(1)
        .and_then(|n| n.parse().ok())
    {
        return pager(n);
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
