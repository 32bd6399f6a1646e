//! The blocking equivalent of `cloudbase-async`'s `verify_bearer_axum` example: a
//! plain `std::net` server that verifies each request's `Authorization: Bearer …`
//! with this SDK and answers 401 with the reason when the token fails.
//!
//! ```text
//! cargo run -p cloudbase-blocking --features backend --example verify_bearer
//! ```

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};

use cloudbase_blocking::backend::VerifiedClaims;
use cloudbase_blocking::{Client, Config, Error};

/// The verified caller, or `(status, reason)`.
fn caller(client: &Client, authorization: Option<&str>) -> Result<VerifiedClaims, (u16, String)> {
    let token = authorization
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or((401, "missing bearer token".to_owned()))?;
    client.verify_access_token(token).map_err(|e| match e {
        Error::Token(_) if !e.is_retryable() => (401, e.to_string()),
        other => (503, other.to_string()),
    })
}

/// Reads one request's head, answers it, closes the connection.
fn serve_one(client: &Client, stream: TcpStream) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut authorization = None;
    let mut line = String::new();
    while reader.read_line(&mut line)? > 2 {
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("authorization")
        {
            authorization = Some(value.trim().to_owned());
        }
        line.clear();
    }
    let (status, body) = match caller(client, authorization.as_deref()) {
        Ok(claims) => (200, format!("hello {}", claims.sub)),
        Err(refusal) => refusal,
    };
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 {status} {}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        if status == 200 { "OK" } else { "Refused" },
        body.len()
    )
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let emulator = cloudbase_emulator::Emulator::builder()
        .env_id("demo-env")
        .start()?;
    let config = || Config::builder("demo-env").base_url(emulator.base_url());
    let backend = Client::new(config().build()?)?;
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            if let Err(e) = serve_one(&backend, stream) {
                eprintln!("connection failed: {e}");
            }
        }
    });

    let user = Client::new(config().build()?)?;
    user.sign_in_anonymously()?;
    let token = user.get_access_token()?;
    for (what, header) in [
        (
            "the user's token",
            format!("Authorization: Bearer {}\r\n", token.expose()),
        ),
        (
            "an expired-looking forgery",
            "Authorization: Bearer e30.e30.sig\r\n".to_owned(),
        ),
        ("no token", String::new()),
    ] {
        let mut stream = TcpStream::connect(addr)?;
        write!(stream, "GET /me HTTP/1.1\r\nhost: {addr}\r\n{header}\r\n")?;
        let mut answer = String::new();
        std::io::Read::read_to_string(&mut stream, &mut answer)?;
        let status = answer.lines().next().unwrap_or_default();
        let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
        println!("{what}: {status} — {body}");
    }
    Ok(())
}
