//! Dropping a stream closes its connection, on both adapters: a loopback server sends
//! one event, then waits for the client to hang up (its read returning 0 says so).
#![allow(clippy::unwrap_used, missing_docs)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::time::Duration;

use cloudbase_core::ai::{ChatRequest, Message};

/// Far above anything the test needs: reaching it means the connection stayed open.
const SAFETY: Duration = Duration::from_secs(30);

/// Accepts one connection and reads its request (head and body); the connection's
/// write half and its reader.
fn accept_request(listener: &TcpListener) -> (TcpStream, BufReader<TcpStream>) {
    let (stream, _) = listener.accept().unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut length = 0usize;
    let mut line = String::new();
    loop {
        line.clear();
        reader.read_line(&mut line).unwrap();
        if line.trim_end().is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            length = v.trim().parse().unwrap();
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    (stream, reader)
}

/// Serves one streaming answer: the head, one event, then waits until the client
/// closes; sends `true` on the channel when it did.
fn one_event_server() -> (String, mpsc::Receiver<bool>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let (mut out, mut reader) = accept_request(&listener);
        out.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n")
            .unwrap();
        let event = b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"first\"}}]}\n\n";
        write!(out, "{:x}\r\n", event.len()).unwrap();
        out.write_all(event).unwrap();
        out.write_all(b"\r\n").unwrap();
        out.flush().unwrap();
        // The client read one event and dropped the stream: its side closes.
        let mut rest = [0u8; 64];
        let closed = matches!(reader.read(&mut rest), Ok(0) | Err(_));
        let _ = tx.send(closed);
    });
    (url, rx)
}

fn request() -> ChatRequest {
    ChatRequest::new("cloudbase", "m").message(Message::user("hi"))
}

fn config(url: &str) -> cloudbase_core::Config {
    cloudbase_core::Config::builder("demo-env")
        .base_url(url)
        .api_key("key")
        .build()
        .unwrap()
}

#[test]
fn blocking_dropping_the_stream_closes_the_connection() {
    let (url, closed) = one_event_server();
    let client = cloudbase_blocking::Client::new(config(&url)).unwrap();
    let mut stream = client.ai().stream_chat(request()).unwrap();
    let first = stream.next().unwrap().unwrap();
    assert_eq!(first.content.as_deref(), Some("first"));
    drop(stream);
    assert_eq!(closed.recv_timeout(SAFETY), Ok(true));
    drop(client);
}

#[test]
fn async_dropping_the_stream_closes_the_connection() {
    use futures_util::StreamExt;
    let (url, closed) = one_event_server();
    let rt = tokio::runtime::Runtime::new().unwrap();
    // The client (and its connection pool) outlives the stream: only the drop of the
    // stream can close the connection.
    let client = cloudbase_async::Client::new(config(&url)).unwrap();
    rt.block_on(async {
        let mut stream = client.ai().stream_chat(request()).await.unwrap();
        let first = stream.next().await.unwrap().unwrap();
        assert_eq!(first.content.as_deref(), Some("first"));
        drop(stream);
    });
    assert_eq!(closed.recv_timeout(SAFETY), Ok(true));
    drop(client);
}

/// Serves an endless stream of events until a write blocks for `stall` (the client
/// stopped reading and the socket buffers are full) or `limit` bytes went out; sends
/// the bytes written.
fn flooding_server(limit: usize, stall: Duration) -> (String, mpsc::Receiver<usize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let (mut out, _reader) = accept_request(&listener);
        out.set_write_timeout(Some(stall)).unwrap();
        out.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\r\n")
            .unwrap();
        let event =
            b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"more\"}}]}\n\n".repeat(256);
        let mut written = 0;
        while written < limit {
            if out.write_all(&event).is_err() {
                break;
            }
            written += event.len();
        }
        let _ = tx.send(written);
    });
    (url, rx)
}

/// 256 MiB offered; a consumer that stops after one item must hold the server back.
const FLOOD: usize = 256 * 1024 * 1024;

#[test]
fn blocking_a_paused_consumer_holds_the_server_back() {
    let (url, written) = flooding_server(FLOOD, Duration::from_secs(2));
    let client = cloudbase_blocking::Client::new(config(&url)).unwrap();
    let mut stream = client.ai().stream_chat(request()).unwrap();
    assert!(stream.next().unwrap().is_ok());
    assert_held_back(&written, stream.received().0);
}

/// The server could write only a little to a consumer that stopped pulling, and the
/// client read no more than `read` bytes of it.
fn assert_held_back(written: &mpsc::Receiver<usize>, read: u64) {
    let sent = written.recv_timeout(SAFETY).unwrap();
    assert!(
        sent < FLOOD / 4,
        "the server wrote {sent} bytes to a paused consumer"
    );
    assert!(read < 1024 * 1024, "the client read {read} bytes ahead");
}

#[test]
fn async_a_paused_consumer_holds_the_server_back() {
    use futures_util::StreamExt;
    let (url, written) = flooding_server(FLOOD, Duration::from_secs(2));
    let rt = tokio::runtime::Runtime::new().unwrap();
    let client = cloudbase_async::Client::new(config(&url)).unwrap();
    let stream = rt.block_on(async {
        let mut stream = client.ai().stream_chat(request()).await.unwrap();
        assert!(stream.next().await.unwrap().is_ok());
        stream
    });
    assert_held_back(&written, stream.received().0);
}
