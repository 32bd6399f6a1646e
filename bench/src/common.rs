//! What the benchmark binaries share: the typed row, a signed-in core state, a
//! model-list body, and one driven call.
#![allow(dead_code)]

use std::hint::black_box;
use std::time::{Duration, SystemTime};

use cloudbase_core::session::TokenResponse;
use cloudbase_core::{Call, ClientState, Config, Credentials, Step};
use rand::SeedableRng;
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
pub struct Todo {
    #[serde(rename = "_id")]
    pub id: String,
    pub title: String,
    pub done: bool,
    #[serde(rename = "createdAt")]
    pub created_at: u64,
}

pub fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

pub fn signed_in_state() -> ClientState {
    let config = Config::builder("bench-env").build().expect("config");
    let mut st = ClientState::new(config, Box::new(rand::rngs::StdRng::seed_from_u64(1)));
    let token: TokenResponse = serde_json::from_value(json!({
        "access_token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1LTEifQ.c2ln", "refresh_token": "rt-1",
        "expires_in": 7200, "scope": "user", "sub": "u-1",
    }))
    .expect("token");
    st.session_mut()
        .sign_in(Credentials::from_response(token, now()).expect("a fixed lifetime"));
    let _ = st.session_mut().take_events();
    st
}

pub fn todo_body(rows: usize) -> Vec<u8> {
    let records: Vec<_> = (0..rows)
        .map(|i| json!({"_id": format!("id-{i:08}"), "title": format!("todo number {i}"), "done": i % 2 == 0, "createdAt": 1_700_000_000_000u64 + i as u64}))
        .collect();
    serde_json::to_vec(&json!({"data": {"records": records, "total": rows}, "requestId": "r"}))
        .expect("json")
}

/// Drives one call of ours: build, answer with `body`, parse.
pub fn drive<O: cloudbase_core::Operation>(st: &mut ClientState, op: O, body: Vec<u8>) -> O::Output
where
    O::Output: std::fmt::Debug,
{
    let mut call = Call::new(op);
    let Step::Send(request) = call.poll(st, now()) else {
        panic!("expected a request")
    };
    black_box(request);
    call.on_response(now(), http::Response::new(body));
    match call.poll(st, now()) {
        Step::Done(out) => out.expect("parsed"),
        other => panic!("expected the end, got {other:?}"),
    }
}
