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

fn serve(stream: TcpStream, answers: &[(&'static str, Vec<u8>)]) {
    let _ = stream.set_nodelay(true);
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    loop {
        line.clear();
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
