//! A process sharing a session file with others, for `tests/cross_process.rs`.
//!
//! `session-worker <base-url> <session-file> <blocking|async> [margin-ms] [env-id]`
//! prints `ready`, then answers one JSON line per command read from stdin:
//! `calls N` (N profile reads), `for MS` (profile reads for MS milliseconds),
//! `sign_out`, `sign_in_anonymously`, `events` (the auth events seen so far), `quit`.

use std::io::BufRead as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cloudbase_blocking::{AuthEventKind, Config, Error, FileStore, TransportOptions};

enum Client {
    Blocking(cloudbase_blocking::Client),
    Async(cloudbase_async::Client, tokio::runtime::Runtime),
}

impl Client {
    fn get_user(&self) -> Result<(), Error> {
        match self {
            Client::Blocking(c) => c.get_user().map(drop),
            Client::Async(c, rt) => rt.block_on(c.get_user()).map(drop),
        }
    }

    fn sign_out(&self) -> Result<(), Error> {
        match self {
            Client::Blocking(c) => c.sign_out(),
            Client::Async(c, rt) => rt.block_on(c.sign_out()),
        }
    }

    fn sign_in_anonymously(&self) -> Result<(), Error> {
        match self {
            Client::Blocking(c) => c.sign_in_anonymously().map(drop),
            Client::Async(c, rt) => rt.block_on(c.sign_in_anonymously()).map(drop),
        }
    }
}

fn describe(e: &Error) -> String {
    match e {
        Error::Server(s) => s.code.to_string(),
        Error::Session(s) => format!("session: {s}"),
        other => other.to_string(),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(base_url), Some(file), Some(kind)) = (args.get(1), args.get(2), args.get(3)) else {
        eprintln!(
            "usage: session-worker <base-url> <session-file> <blocking|async> [margin-ms] [env-id]"
        );
        std::process::exit(2);
    };
    let margin = args
        .get(4)
        .and_then(|m| m.parse().ok())
        .map(Duration::from_millis)
        .unwrap_or(Duration::from_secs(30));
    let env = args.get(5).map(String::as_str).unwrap_or("emulator-env");
    let mut transport = TransportOptions::default();
    transport.store_lock_timeout = Duration::from_secs(10);
    let config = Config::builder(env)
        .base_url(base_url)
        .refresh_margin(margin)
        .transport(transport)
        .build()
        .expect("config");
    let store = FileStore::new(file);
    let events = Arc::new(Mutex::new(Vec::<String>::new()));
    let seen = events.clone();
    let record = move |e: &cloudbase_blocking::AuthEvent| {
        if e.kind != AuthEventKind::InitialSession {
            seen.lock().expect("events").push(format!("{:?}", e.kind));
        }
    };
    let client = match kind.as_str() {
        "async" => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            let c = cloudbase_async::Client::with_store(config, store).expect("client");
            c.on_auth_state_change(record);
            Client::Async(c, rt)
        }
        _ => {
            let c = cloudbase_blocking::Client::with_store(config, store).expect("client");
            c.on_auth_state_change(record);
            Client::Blocking(c)
        }
    };
    println!("ready");
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let mut words = line.split_whitespace();
        let answer = match (
            words.next(),
            words.next().and_then(|n| n.parse::<u64>().ok()),
        ) {
            (Some("calls"), Some(n)) => {
                let mut ok = 0;
                let mut errors = Vec::new();
                for _ in 0..n {
                    match client.get_user() {
                        Ok(()) => ok += 1,
                        Err(e) => errors.push(describe(&e)),
                    }
                }
                serde_json::json!({"ok": ok, "errors": errors})
            }
            (Some("for"), Some(ms)) => {
                let until = Instant::now() + Duration::from_millis(ms);
                let mut ok = 0;
                let mut errors = Vec::new();
                while Instant::now() < until {
                    match client.get_user() {
                        Ok(()) => ok += 1,
                        Err(e) => errors.push(describe(&e)),
                    }
                }
                serde_json::json!({"ok": ok, "errors": errors})
            }
            (Some("sign_out"), _) => {
                serde_json::json!({"ok": client.sign_out().is_ok()})
            }
            (Some("sign_in_anonymously"), _) => {
                let r = client.sign_in_anonymously();
                serde_json::json!({"ok": r.is_ok(), "error": r.err().map(|e| describe(&e))})
            }
            (Some("events"), _) => {
                serde_json::json!({"events": *events.lock().expect("events")})
            }
            (Some("quit"), _) | (None, _) => break,
            _ => serde_json::json!({"error": format!("unknown command {line:?}")}),
        };
        println!("{answer}");
    }
}
