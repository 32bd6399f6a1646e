//! Plain-HTTP helpers shared by the emulator's wire tests.
#![allow(clippy::unwrap_used, dead_code)]

use cloudbase_emulator::{ADMIN_TOKEN_HEADER, Emulator};
use serde_json::Value;

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

/// Status, body (JSON, else the text as a JSON string) and headers of an answer.
pub fn answer(mut resp: http::Response<ureq::Body>) -> (u16, Value, http::HeaderMap) {
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp
        .body_mut()
        .with_config()
        .limit(256 * 1024 * 1024)
        .read_to_string()
        .unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
        headers,
    )
}

pub fn post(
    emu: &Emulator,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, Value, http::HeaderMap) {
    let mut req = agent().post(format!("{}{path}", emu.base_url()));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    answer(req.send(body).unwrap())
}

pub fn get(emu: &Emulator, path: &str, headers: &[(&str, &str)]) -> (u16, Value, http::HeaderMap) {
    let mut req = agent().get(format!("{}{path}", emu.base_url()));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    answer(req.call().unwrap())
}

/// An admin call with the emulator's admin token.
pub fn admin_post(emu: &Emulator, path: &str, body: &str) -> (u16, Value, http::HeaderMap) {
    post(
        emu,
        &format!("/__emulator/{path}"),
        &[(ADMIN_TOKEN_HEADER, emu.admin_token())],
        body,
    )
}

pub fn admin_get(emu: &Emulator, path: &str) -> (u16, Value, http::HeaderMap) {
    get(
        emu,
        &format!("/__emulator/{path}"),
        &[(ADMIN_TOKEN_HEADER, emu.admin_token())],
    )
}

pub fn sign_in(emu: &Emulator) -> String {
    let (status, body, _) = post(
        emu,
        "/auth/v1/signin/anonymously?client_id=e",
        &[("x-device-id", "0123456789abcdef0123")],
        "{}",
    );
    assert_eq!(status, 200, "{body}");
    body["access_token"].as_str().unwrap().to_owned()
}
