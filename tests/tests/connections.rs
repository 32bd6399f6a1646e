//! Connection reuse, counted at a local keep-alive server: sequential calls share one
//! connection, concurrent ones no more than run at once, error answers and streams
//! read to their end give their connection back — on both adapters.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use cloudbase_core::ai::{ChatRequest, Message};
use common::{AsyncClient, TestClient, config_for};
use serde_json::json;

/// A keep-alive HTTP/1.1 server that counts the connections it accepts.
struct CountingServer {
    url: String,
    connections: Arc<AtomicUsize>,
    /// The most `/v1/functions/slow` requests the server held at once.
    max_in_flight: Arc<AtomicUsize>,
}

const LAST_CHUNK: &[u8] = b"0\r\n\r\n";

fn answer(path: &str) -> Vec<u8> {
    let (status, kind, body, chunked) = if path.starts_with("/v1/functions/missing") {
        (
            "404 Not Found",
            "application/json",
            r#"{"code":"FUNCTION_NOT_FOUND","message":"no such function"}"#.to_owned(),
            false,
        )
    } else if path.starts_with("/v1/functions/") {
        (
            "200 OK",
            "application/json",
            r#"{"ok":1}"#.to_owned(),
            false,
        )
    } else if path.starts_with("/v1/ai/") {
        let mut events = String::new();
        for word in ["one ", "two "] {
            events.push_str(&format!(
                "data: {{\"choices\":[{{\"delta\":{{\"content\":\"{word}\"}}}}]}}\n\n"
            ));
        }
        events.push_str("data: [DONE]\n\n");
        // Chunked, as a streaming server sends it: the end is a separate zero chunk.
        ("200 OK", "text/event-stream", events, true)
    } else {
        ("404 Not Found", "text/plain", String::new(), false)
    };
    if chunked {
        format!(
            "HTTP/1.1 {status}\r\ncontent-type: {kind}\r\ntransfer-encoding: chunked\r\n\r\n{:x}\r\n{body}\r\n0\r\n\r\n",
            body.len()
        )
        .into_bytes()
    } else {
        format!(
            "HTTP/1.1 {status}\r\ncontent-type: {kind}\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes()
    }
}

impl CountingServer {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let connections = Arc::new(AtomicUsize::new(0));
        let counter = connections.clone();
        let max_in_flight = Arc::new(AtomicUsize::new(0));
        let most = max_in_flight.clone();
        let in_flight = Arc::new(AtomicUsize::new(0));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                counter.fetch_add(1, Ordering::SeqCst);
                let (most, in_flight) = (most.clone(), in_flight.clone());
                std::thread::spawn(move || {
                    let mut writer = stream.try_clone().unwrap();
                    let mut reader = BufReader::new(stream);
                    loop {
                        let mut line = String::new();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        let path = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
                        let mut length = 0usize;
                        loop {
                            line.clear();
                            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                                return;
                            }
                            let header = line.trim_end();
                            if header.is_empty() {
                                break;
                            }
                            if let Some((name, value)) = header.split_once(':')
                                && name.eq_ignore_ascii_case("content-length")
                            {
                                length = value.trim().parse().unwrap_or(0);
                            }
                        }
                        let mut body = vec![0; length];
                        if reader.read_exact(&mut body).is_err() {
                            return;
                        }
                        // A chunked body's last chunk in a write of its own, a moment
                        // later, as a streaming server finishing its answer sends it:
                        // a client that stops at the end marker never sees it.
                        if path.starts_with("/v1/functions/slow") {
                            // Held a moment, so calls a client lets out together overlap.
                            let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                            most.fetch_max(now, Ordering::SeqCst);
                            std::thread::sleep(std::time::Duration::from_millis(30));
                            in_flight.fetch_sub(1, Ordering::SeqCst);
                        }
                        let answer = answer(&path);
                        let (head, last) = match answer.strip_suffix(LAST_CHUNK) {
                            Some(head) => (head, LAST_CHUNK),
                            None => (&answer[..], &[][..]),
                        };
                        if writer.write_all(head).is_err() {
                            return;
                        }
                        if !last.is_empty() {
                            std::thread::sleep(std::time::Duration::from_millis(20));
                            if writer.write_all(last).is_err() {
                                return;
                            }
                        }
                    }
                });
            }
        });
        Self {
            url,
            connections,
            max_in_flight,
        }
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

fn client<C: TestClient>(server: &CountingServer) -> C {
    C::connect(config_for(&server.url).api_key("test-api-key"))
}

/// The most connections `calls` sequential calls may open. The blocking adapter's
/// HTTP library has its connection back in the pool when the body ends: exactly one.
/// The async one's (hyper's pool) gets it back a task later, and a call that finds
/// none in between starts a connection in a race (which is then pooled and reused),
/// so a few, however many calls — not one per call.
fn at_most<C: TestClient>() -> usize {
    if std::any::type_name::<C>().contains("blocking") {
        1
    } else {
        3
    }
}

fn sequential_calls_share_one_connection<C: TestClient>() {
    let server = CountingServer::start();
    let c = client::<C>(&server);
    for _ in 0..100 {
        c.call_function("echo", &json!({"n": 1})).unwrap();
    }
    assert!(
        server.connections() <= at_most::<C>(),
        "{}",
        server.connections()
    );
}

fn error_answers_give_their_connection_back<C: TestClient>() {
    let server = CountingServer::start();
    let c = client::<C>(&server);
    for _ in 0..20 {
        c.call_function("missing", &json!({})).unwrap_err();
        c.call_function("echo", &json!({})).unwrap();
    }
    assert!(
        server.connections() <= at_most::<C>(),
        "{}",
        server.connections()
    );
}

fn streams_read_to_their_end_give_their_connection_back<C: TestClient>() {
    let server = CountingServer::start();
    let c = client::<C>(&server);
    for _ in 0..10 {
        let items = c
            .ai_stream(ChatRequest::new("cloudbase", "m").message(Message::user("x")))
            .unwrap();
        assert_eq!(items.len(), 2);
        c.call_function("echo", &json!({})).unwrap();
    }
    assert!(
        server.connections() <= at_most::<C>(),
        "{}",
        server.connections()
    );
}

macro_rules! for_both_adapters {
    ($($name:ident),* $(,)?) => {
        mod blocking {
            $(#[test] fn $name() { super::$name::<cloudbase_blocking::Client>() })*
        }
        mod async_reqwest {
            $(#[test] fn $name() { super::$name::<super::AsyncClient>() })*
        }
    };
}

for_both_adapters!(
    sequential_calls_share_one_connection,
    error_answers_give_their_connection_back,
    streams_read_to_their_end_give_their_connection_back,
);

/// Eight threads, 50 calls each: never more connections than calls in flight.
#[test]
fn blocking_concurrent_calls_open_no_more_connections_than_run_at_once() {
    let server = CountingServer::start();
    let c = client::<cloudbase_blocking::Client>(&server);
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| {
                for _ in 0..50 {
                    c.call_function("echo", &json!({})).unwrap();
                }
            });
        }
    });
    assert!(server.connections() <= 8, "{}", server.connections());
}

/// `tasks` tasks on a two-worker runtime, each making `calls` calls to function
/// `name` through one async client with `transport`.
fn run_async_callers(
    server: &CountingServer,
    transport: cloudbase_core::TransportOptions,
    tasks: usize,
    calls: usize,
    name: &'static str,
) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let c = Arc::new(
        cloudbase_async::Client::new(
            config_for(&server.url)
                .api_key("test-api-key")
                .transport(transport)
                .build()
                .unwrap(),
        )
        .unwrap(),
    );
    rt.block_on(async {
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..tasks {
            let c = c.clone();
            set.spawn(async move {
                for _ in 0..calls {
                    c.call_function(name, &json!({})).await.unwrap();
                }
            });
        }
        while set.join_next().await.is_some() {}
    });
}

/// Eight tasks, 50 calls each: never more connections than calls in flight.
#[test]
fn async_concurrent_calls_open_no_more_connections_than_run_at_once() {
    let server = CountingServer::start();
    run_async_callers(
        &server,
        cloudbase_core::TransportOptions::default(),
        8,
        50,
        "echo",
    );
    // Eight in flight, plus at most one each opened in hyper's race (see `at_most`)
    // while its previous connection was on its way back to the pool.
    assert!(server.connections() <= 2 * 8, "{}", server.connections());
}

fn limited<C: TestClient>(server: &CountingServer, max: usize) -> C {
    let transport = cloudbase_core::TransportOptions::default().max_concurrent_requests(max);
    C::connect(
        config_for(&server.url)
            .api_key("test-api-key")
            .transport(transport),
    )
}

/// Sixteen threads calling at once through a client that lets out 4: the server
/// never holds more than 4 (and does hold several, so the limit is what stopped
/// more).
#[test]
fn blocking_requests_in_flight_stay_within_the_limit() {
    let server = CountingServer::start();
    let c = limited::<cloudbase_blocking::Client>(&server, 4);
    std::thread::scope(|s| {
        for _ in 0..16 {
            s.spawn(|| {
                for _ in 0..2 {
                    c.call_function("slow", &json!({})).unwrap();
                }
            });
        }
    });
    let most = server.max_in_flight.load(Ordering::SeqCst);
    assert!((2..=4).contains(&most), "{most}");
}

/// The same through the async client's tasks.
#[test]
fn async_requests_in_flight_stay_within_the_limit() {
    let server = CountingServer::start();
    let transport = cloudbase_core::TransportOptions::default().max_concurrent_requests(4);
    run_async_callers(&server, transport, 16, 2, "slow");
    let most = server.max_in_flight.load(Ordering::SeqCst);
    assert!((2..=4).contains(&most), "{most}");
}
