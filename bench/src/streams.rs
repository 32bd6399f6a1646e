//! Streams: a 10,000-event chat stream through each adapter vs the raw HTTP client
//! plus a hand-written SSE split (`\n\n`, `data: `, serde_json of the delta).

use std::time::Instant;

use futures_util::StreamExt;

use crate::{Row, server};

#[path = "streams_body.rs"]
mod streams_body;
use streams_body::{EVENTS, HandSplit, body};

fn request_body() -> Vec<u8> {
    br#"{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true}"#.to_vec()
}

/// Core alone: the body through the stream reader in 16 KiB chunks vs the hand split
/// (the same two passes `stream-decode` profiles).
fn decode_row(rounds: usize) -> Row {
    let body = body();
    let timed = |pass: fn(&[u8]) -> usize| {
        let start = Instant::now();
        assert!(pass(&body) > 0);
        EVENTS as f64 / start.elapsed().as_secs_f64()
    };
    let ours = || timed(streams_body::ours);
    let hand = || timed(streams_body::hand);
    let m = crate::throughput(rounds, ours, hand);
    crate::throughput_row(
        "stream decode (core): 10,000 events vs hand SSE split",
        &m,
        "≥ 0.95×",
        0.95,
    )
}

pub(crate) fn stream_rows(rounds: usize) -> Vec<Row> {
    let url = server::start(vec![("/v1/ai/", "text/event-stream", "", body())]);
    let config = || {
        cloudbase_core::Config::builder("bench-env")
            .base_url(url.as_str())
            .api_key("bench-api-key")
            .build()
            .expect("config")
    };
    let request = || {
        cloudbase_core::ai::ChatRequest::new("cloudbase", "m")
            .message(cloudbase_core::ai::Message::user("hi"))
    };
    let chat_url = format!("{url}/v1/ai/cloudbase/chat/completions");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let mut rows = vec![decode_row(rounds)];

    // Async: ours vs reqwest + hand split; events per second of one stream, medians.
    let ours = cloudbase_async::Client::new(config()).expect("client");
    let raw = reqwest::Client::new();
    let ours_async = || {
        rt.block_on(async {
            let start = Instant::now();
            let mut stream = ours.ai().stream_chat(request()).await.expect("stream");
            let mut n = 0usize;
            while let Some(d) = stream.next().await {
                n += d.expect("delta").content.map_or(0, |c| c.len());
            }
            assert!(n > 0);
            EVENTS as f64 / start.elapsed().as_secs_f64()
        })
    };
    let raw_async = || {
        rt.block_on(async {
            let start = Instant::now();
            let response = raw
                .post(&chat_url)
                .header("authorization", "Bearer bench-api-key")
                .header("content-type", "application/json")
                .header("accept", "text/event-stream")
                .body(request_body())
                .send()
                .await
                .expect("send");
            let mut body = response.bytes_stream();
            let mut split = HandSplit::new();
            while let Some(chunk) = body.next().await {
                split.feed(&chunk.expect("chunk"));
                if split.done {
                    break;
                }
            }
            assert!(split.bytes > 0);
            EVENTS as f64 / start.elapsed().as_secs_f64()
        })
    };
    let m = crate::throughput(rounds, ours_async, raw_async);
    rows.push(crate::throughput_row(
        "stream: async, 10,000 events vs reqwest + hand SSE",
        &m,
        "≥ 0.95×",
        0.95,
    ));
    rows.push(crate::connections_row(
        "connections, async streams",
        &m,
        rounds + 1,
    ));

    // Blocking: ours vs ureq + hand split.
    let ours = cloudbase_blocking::Client::new(config()).expect("client");
    let agent: ureq::Agent = ureq::Agent::config_builder().build().into();
    let ours_blocking = || {
        let start = Instant::now();
        let mut n = 0usize;
        for d in ours.ai().stream_chat(request()).expect("stream") {
            n += d.expect("delta").content.map_or(0, |c| c.len());
        }
        assert!(n > 0);
        EVENTS as f64 / start.elapsed().as_secs_f64()
    };
    let raw_blocking = || {
        use std::io::Read;
        let start = Instant::now();
        let response = agent
            .post(&chat_url)
            .header("authorization", "Bearer bench-api-key")
            .header("content-type", "application/json")
            .header("accept", "text/event-stream")
            .send(&request_body()[..])
            .expect("send");
        let mut reader = response.into_body().into_reader();
        let mut buf = vec![0u8; 16 * 1024];
        let mut split = HandSplit::new();
        while !split.done {
            let n = reader.read(&mut buf).expect("read");
            if n == 0 {
                break;
            }
            split.feed(&buf[..n]);
        }
        assert!(split.bytes > 0);
        EVENTS as f64 / start.elapsed().as_secs_f64()
    };
    let m = crate::throughput(rounds, ours_blocking, raw_blocking);
    rows.push(crate::throughput_row(
        "stream: blocking, 10,000 events vs ureq + hand SSE",
        &m,
        "≥ 0.95×",
        0.95,
    ));
    rows.push(crate::connections_row(
        "connections, blocking streams",
        &m,
        rounds + 1,
    ));
    rows
}
