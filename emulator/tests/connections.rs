//! Slow and silent clients cannot hold the emulator's sockets: header, body, idle and
//! upload timeouts close them, and a connection cap bounds how many are served.
//! Timeouts here are set short; each read has a generous bound only so that a broken
//! build fails instead of hanging.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use cloudbase_emulator::{Emulator, Timeouts};

/// Far above every timeout set below: reaching it means the server never closed.
const SAFETY: Duration = Duration::from_secs(30);

fn short() -> Emulator {
    Emulator::builder()
        .timeouts(
            Timeouts::default()
                .headers(Duration::from_millis(300))
                .body(Duration::from_millis(300))
                .upload_idle(Duration::from_millis(300)),
        )
        .start()
        .unwrap()
}

fn connect(emu: &Emulator) -> TcpStream {
    let s = TcpStream::connect(emu.addr()).unwrap();
    s.set_read_timeout(Some(SAFETY)).unwrap();
    s
}

/// Everything the server sends until it closes the connection.
fn read_until_closed(s: &mut TcpStream) -> String {
    let mut out = Vec::new();
    match s.read_to_end(&mut out) {
        Ok(_) => {}
        Err(e) if e.kind() == ErrorKind::ConnectionReset => {}
        Err(e) => panic!("the server did not close the connection: {e}"),
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn a_client_that_sends_no_headers_or_half_of_them_is_closed() {
    let emu = short();
    let mut silent = connect(&emu);
    assert_eq!(read_until_closed(&mut silent), "");
    let mut partial = connect(&emu);
    partial
        .write_all(b"POST /v1/functions/echo HTTP/1.1\r\nhost: 127.0.0.1\r\n")
        .unwrap();
    let answer = read_until_closed(&mut partial);
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
}

#[test]
fn an_idle_keep_alive_connection_is_closed_after_its_answer() {
    let emu = short();
    let mut s = connect(&emu);
    s.write_all(b"GET /auth/v1/user/me HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n")
        .unwrap();
    let answer = read_until_closed(&mut s);
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
}

#[test]
fn a_body_that_does_not_arrive_in_time_is_answered_408() {
    let emu = short();
    let mut s = connect(&emu);
    s.write_all(
        b"POST /v1/functions/echo HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: 10\r\n\r\n{\"a\"",
    )
    .unwrap();
    let answer = read_until_closed(&mut s);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
}

#[test]
fn an_upload_with_no_bytes_for_its_idle_timeout_is_closed_and_not_stored() {
    let emu = short();
    let token = common::sign_in(&emu);
    let mut s = connect(&emu);
    write!(
        s,
        "POST /v1/storages/object/b/slow.bin HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer {token}\r\n\
         content-type: application/octet-stream\r\ncontent-length: 100\r\n\r\n0123456789"
    )
    .unwrap();
    let answer = read_until_closed(&mut s);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(!emu.storage_dir().join("b/slow.bin").exists());
}

#[test]
fn connections_beyond_the_cap_wait_until_one_closes() {
    let emu = Emulator::builder().max_connections(1).start().unwrap();
    let holder = connect(&emu);
    let mut waiting = connect(&emu);
    waiting
        .write_all(b"GET /auth/v1/user/me HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n")
        .unwrap();
    // Not served while the one slot is taken (a bound, not a speed claim: were the
    // cap missing, the answer would come at once).
    waiting
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let mut byte = [0u8; 1];
    let early = waiting.read(&mut byte);
    assert!(
        matches!(&early, Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)),
        "served past the cap: {early:?}"
    );
    drop(holder);
    waiting.set_read_timeout(Some(SAFETY)).unwrap();
    let answer = read_until_closed(&mut waiting);
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
}
