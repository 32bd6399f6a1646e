//! A fixed-response HTTP/1.1 server on loopback: one thread per connection,
//! keep-alive, the answer chosen by path prefix. It does as little as possible, so
//! what the benchmarks measure is the client.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

static CONNECTIONS: AtomicUsize = AtomicUsize::new(0);

/// Connections accepted so far (a client that reconnects shows here).
pub fn connections() -> usize {
    CONNECTIONS.load(Ordering::Relaxed)
}

/// `(path prefix, content type, extra header lines, body)`.
pub type Route = (&'static str, &'static str, &'static str, Vec<u8>);

/// Starts serving `routes` on `127.0.0.1:0`; returns the base URL. The server lives
/// as long as the process.
pub fn start(routes: Vec<Route>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    let answers: Arc<Vec<(&'static str, Vec<u8>)>> = Arc::new(
        routes
            .into_iter()
            .map(|(prefix, content_type, extra, body)| {
                let mut answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nx-request-id: bench\r\n{extra}\r\n",
                    body.len()
                )
                .into_bytes();
                answer.extend_from_slice(&body);
                (prefix, answer)
            })
            .collect(),
    );
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            CONNECTIONS.fetch_add(1, Ordering::Relaxed);
            let answers = answers.clone();
            std::thread::spawn(move || serve(stream, &answers));
        }
    });
    format!("http://{addr}")
}

/// One request's head, read from a keep-alive connection (its body is read and
/// dropped): the path, and whether it accepts gzip. `None` when the peer is gone.
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<(String, bool)> {
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return None;
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
    let mut length = 0usize;
    let mut gzip = false;
    loop {
        line.clear();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return None;
        }
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            } else if name.eq_ignore_ascii_case("accept-encoding") {
                gzip = value.contains("gzip");
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some((path, gzip))
}

fn serve(stream: TcpStream, answers: &[(&'static str, Vec<u8>)]) {
    let _ = stream.set_nodelay(true);
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    while let Some((path, _)) = read_request(&mut reader) {
        let answer = answers
            .iter()
            .find(|(prefix, _)| path.starts_with(prefix))
            .map(|(_, a)| a.as_slice())
            .unwrap_or(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n");
        if writer.write_all(answer).is_err() {
            return;
        }
    }
}

/// A constrained link: every answer waits `latency`, then leaves at most
/// `bytes_per_second`. The body is `identity`, or `gzipped` (with
/// `Content-Encoding: gzip`) when the request accepts gzip and `compress` is set.
pub struct Link {
    pub latency: std::time::Duration,
    pub bytes_per_second: u64,
    pub compress: bool,
}

/// Serves `identity` (or its `gzipped` form) on every path over a [`Link`]; returns
/// the base URL.
pub fn start_shaped(link: Link, identity: Vec<u8>, gzipped: Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    let link = Arc::new((link, identity, gzipped));
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            CONNECTIONS.fetch_add(1, Ordering::Relaxed);
            let link = link.clone();
            std::thread::spawn(move || {
                let (link, identity, gzipped) = &*link;
                let _ = stream.set_nodelay(true);
                let Ok(mut writer) = stream.try_clone() else {
                    return;
                };
                let mut reader = BufReader::new(stream);
                while let Some((_, gzip)) = read_request(&mut reader) {
                    let (body, encoding) = if gzip && link.compress {
                        (gzipped, "content-encoding: gzip\r\n")
                    } else {
                        (identity, "")
                    };
                    let head = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n{encoding}\r\n",
                        body.len()
                    );
                    std::thread::sleep(link.latency);
                    let start = std::time::Instant::now();
                    let mut sent = 0u64;
                    let mut pieces = std::iter::once(head.as_bytes()).chain(body.chunks(4096));
                    let ok = pieces.all(|piece| {
                        sent += piece.len() as u64;
                        // Paced: the bytes so far may not have left before now.
                        let due = std::time::Duration::from_secs_f64(
                            sent as f64 / link.bytes_per_second as f64,
                        );
                        if let Some(wait) = due.checked_sub(start.elapsed()) {
                            std::thread::sleep(wait);
                        }
                        writer.write_all(piece).is_ok()
                    });
                    if !ok {
                        return;
                    }
                }
            });
        }
    });
    format!("http://{addr}")
}
