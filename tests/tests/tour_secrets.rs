//! The whole tour (the README's main command) runs in-process under a TRACE-level
//! `tracing` subscriber; the captured output must not contain any token, key,
//! password or code the tour used. "Used" is read off the emulator afterwards:
//! every bearer and COS credential the client sent, every secret-named field in a
//! request body or query, every code the emulator sent, and the tour's password.
#![allow(clippy::unwrap_used, missing_docs)]

#[path = "../../adapter-blocking/examples/tour.rs"]
#[allow(dead_code, clippy::unwrap_used)]
mod tour;

use std::io::Write;
use std::sync::{Arc, Mutex};

use tracing_subscriber::fmt::MakeWriter;

/// Where the subscriber writes: a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

const SECRET_FIELDS: &[&str] = &[
    "password",
    "new_password",
    "old_password",
    "refresh_token",
    "access_token",
    "verification_code",
    "verification_token",
    "sudo_token",
    "captcha_token",
    "provider_token",
    "id_token",
    "ticket",
    "token",
    "code",
];

fn collect(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                match v.as_str() {
                    Some(s) if SECRET_FIELDS.contains(&k.as_str()) => out.push(s.to_owned()),
                    _ => collect(v, out),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect(v, out)),
        _ => {}
    }
}

#[test]
fn a_full_tour_traces_no_secret() {
    if std::env::var_os("CLOUDBASE_ENV").is_some() {
        eprintln!("skipping: CLOUDBASE_ENV points the tour at a real environment");
        return;
    }
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(captured.clone())
        .finish();
    let emulator = tracing::subscriber::with_default(subscriber, tour::tour)
        .unwrap()
        .expect("the tour ran on its emulator");
    let trace = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();

    let mut secrets = vec![tour::TOUR_PASSWORD.to_owned()];
    for request in emulator.requests() {
        for (name, value) in &request.headers {
            match name.as_str() {
                "authorization" => secrets.push(
                    value
                        .strip_prefix("Bearer ")
                        .unwrap_or(value.as_str())
                        .to_owned(),
                ),
                "x-cos-security-token" => secrets.push(value.clone()),
                _ => {}
            }
        }
        if let Ok(body) = serde_json::from_slice::<serde_json::Value>(&request.body) {
            collect(&body, &mut secrets);
        }
        if let Some(query) = &request.query {
            for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
                if SECRET_FIELDS.contains(&k.as_ref()) {
                    secrets.push(v.into_owned());
                }
            }
        }
    }
    secrets.extend(emulator.outbox().into_iter().map(|m| m.code));
    secrets.retain(|s| s.len() >= 6);
    secrets.sort();
    secrets.dedup();

    // The scan means something: the tour sent many requests and used every kind.
    assert!(
        trace.lines().filter(|l| l.contains(": send ")).count() >= 30,
        "too few requests traced:\n{trace}"
    );
    assert!(secrets.iter().any(|s| s.starts_with("eyJ")), "no JWT seen");
    // Each operation has its span, with OpenTelemetry's HTTP-client field names.
    for field in [
        "cloudbase.operation=\"CallFunction\"",
        "http.request.method=\"POST\"",
        "url.path=\"/v1/functions/echo\"",
        "http.response.status_code=200",
        "http.request.resend_count=0",
        "cloudbase.env=tour-env",
    ] {
        assert!(trace.contains(field), "no {field} in the trace:\n{trace}");
    }
    assert!(
        secrets
            .iter()
            .any(|s| s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit()))
    );
    assert!(secrets.len() >= 10, "{} secrets", secrets.len());

    let hits: Vec<&String> = secrets
        .iter()
        .filter(|s| trace.contains(s.as_str()))
        .collect();
    assert!(hits.is_empty(), "secrets in the trace: {hits:?}");
    eprintln!(
        "scanned {} trace lines for {} secrets: no hits",
        trace.lines().count(),
        secrets.len()
    );
}
