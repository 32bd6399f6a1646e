//! Streamed downloads against servers that misbehave, through both adapters alike:
//! one that stops sending mid-body (idle timeout), one that never stops (size cap),
//! one that closes early (Content-Length enforced), one that announces too much.
//! Nothing is left under the target name, and no `.part` file stays behind.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use cloudbase_core::{Error, TransportErrorKind};
use common::{AsyncClient, PUBLISHABLE_KEY, TestClient, config_for};

/// How the fake storage server answers every request.
#[derive(Clone, Copy)]
enum Misbehaviour {
    /// `Content-Length: 1000`, one byte, then silence (the socket stays open).
    Stall,
    /// A chunked body that never ends.
    Endless,
    /// `Content-Length: 100`, 50 bytes, then the connection closes.
    Short,
    /// `Content-Length` of 2 MiB (over the cap), then the bytes.
    Announced,
}

/// A loopback server answering each connection on its own thread.
fn serve(how: Misbehaviour) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || answer(stream, how));
        }
    });
    format!("http://{addr}")
}

fn answer(mut s: TcpStream, how: Misbehaviour) {
    // Read the request head (a GET: no body).
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match s.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    let ok = "HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\n";
    let _ = match how {
        Misbehaviour::Stall => {
            let _ = write!(s, "{ok}content-length: 1000\r\n\r\nx");
            let _ = s.flush();
            // Hold the socket open, silent, until the client gives up.
            let _ = s.read(&mut byte);
            Ok(())
        }
        Misbehaviour::Endless => {
            let _ = write!(s, "{ok}transfer-encoding: chunked\r\n\r\n");
            let chunk = vec![b'y'; 64 * 1024];
            loop {
                let sent = write!(s, "{:x}\r\n", chunk.len())
                    .and_then(|()| s.write_all(&chunk))
                    .and_then(|()| s.write_all(b"\r\n"));
                if sent.is_err() {
                    break Ok(());
                }
            }
        }
        Misbehaviour::Short => write!(s, "{ok}content-length: 100\r\n\r\n{}", "z".repeat(50)),
        Misbehaviour::Announced => {
            let _ = write!(s, "{ok}content-length: {}\r\n\r\n", 2 * 1024 * 1024);
            s.write_all(&vec![b'a'; 2 * 1024 * 1024])
        }
    };
}

fn download<C: TestClient>(how: Misbehaviour, dir: &std::path::Path) -> Error {
    let base = serve(how);
    let mut config = config_for(&base).publishable_key(PUBLISHABLE_KEY);
    let mut transport = cloudbase_core::TransportOptions::default();
    transport.download_idle_timeout = Duration::from_millis(300);
    transport.max_download_bytes = Some(1024 * 1024);
    config = config.transport(transport);
    let c = C::connect(config);
    let target = dir.join("file.bin");
    let err = c
        .bucket_download("bucket-a", "file.bin", &target, None)
        .unwrap_err();
    assert!(!target.exists(), "nothing under the target name");
    let leftovers: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
    assert!(leftovers.is_empty(), "no .part file left: {leftovers:?}");
    err
}

fn kind(e: &Error) -> Option<TransportErrorKind> {
    match e {
        Error::Transport(t) => Some(t.kind),
        _ => None,
    }
}

fn check<C: TestClient>(label: &str) {
    let dir = tempfile::tempdir().unwrap();
    let e = download::<C>(Misbehaviour::Stall, dir.path());
    assert_eq!(
        kind(&e),
        Some(TransportErrorKind::Timeout),
        "{label} stall: {e}"
    );
    let e = download::<C>(Misbehaviour::Endless, dir.path());
    assert_eq!(
        kind(&e),
        Some(TransportErrorKind::ResponseTooLarge { limit: 1024 * 1024 }),
        "{label} endless: {e}"
    );
    let e = download::<C>(Misbehaviour::Short, dir.path());
    assert_eq!(
        kind(&e),
        Some(TransportErrorKind::ConnectionLost),
        "{label} short: {e}"
    );
    let e = download::<C>(Misbehaviour::Announced, dir.path());
    assert_eq!(
        kind(&e),
        Some(TransportErrorKind::ResponseTooLarge { limit: 1024 * 1024 }),
        "{label} announced: {e}"
    );
}

#[test]
fn blocking_downloads_stall_out_are_capped_and_held_to_their_length() {
    check::<cloudbase_blocking::Client>("blocking");
}

#[test]
fn async_downloads_stall_out_are_capped_and_held_to_their_length() {
    check::<AsyncClient>("async");
}
