//! Server credentials on a virtual clock: the admin token is obtained before the
//! first gateway call, reused, renewed within the margin, never sent expired.
#![allow(clippy::unwrap_used, missing_docs)]

use std::time::{Duration, SystemTime};

use cloudbase_core::functions::CallFunction;
use cloudbase_core::{Call, ClientState, Config, Error, HttpRequest, Step};
use rand::SeedableRng;

fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

fn state() -> ClientState {
    ClientState::new(
        Config::builder("demo-env")
            .server_secret("AKIDexample", "s3cret-key")
            .build()
            .unwrap(),
        Box::new(rand::rngs::StdRng::seed_from_u64(3)),
    )
}

fn ok(body: &str) -> http::Response<Vec<u8>> {
    http::Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(body.as_bytes().to_vec())
        .unwrap()
}

fn token_answer(n: u32, expires_in: u64) -> http::Response<Vec<u8>> {
    ok(&format!(
        r#"{{"token_type":"Bearer","access_token":"admin-{n}","expires_in":{expires_in}}}"#
    ))
}

/// Runs one function call; returns the requests it sent.
fn call_function(
    st: &mut ClientState,
    now: SystemTime,
    tokens: &mut u32,
) -> (Result<(), Error>, Vec<HttpRequest>) {
    let mut call = Call::new(CallFunction::new("echo").unwrap());
    let mut sent = Vec::new();
    loop {
        match call.poll(st, now) {
            Step::Send(req) => {
                let resp = if req.uri().path() == "/auth/v1/token/clientCredential" {
                    *tokens += 1;
                    token_answer(*tokens, 7200)
                } else {
                    ok(r#"{"result":1}"#)
                };
                sent.push(req);
                call.on_response(now, resp);
            }
            Step::Done(r) => return (r.map(|_| ()), sent),
            other => panic!("unexpected {other:?}"),
        }
    }
}

#[test]
fn the_admin_token_is_obtained_once_and_carried_by_gateway_calls() {
    let mut st = state();
    let mut tokens = 0;
    let (r, sent) = call_function(&mut st, t0(), &mut tokens);
    r.unwrap();
    assert_eq!(sent.len(), 2);
    let exchange = &sent[0];
    assert_eq!(exchange.method(), http::Method::POST);
    assert_eq!(exchange.uri().path(), "/auth/v1/token/clientCredential");
    use base64::Engine as _;
    let basic = base64::engine::general_purpose::STANDARD.encode("AKIDexample:s3cret-key");
    assert_eq!(
        exchange.headers()["authorization"],
        format!("Basic {basic}").as_str()
    );
    assert!(exchange.headers()["authorization"].is_sensitive());
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(exchange.body()).unwrap(),
        serde_json::json!({"grant_type": "client_credentials"})
    );
    assert_eq!(sent[1].headers()["authorization"], "Bearer admin-1");

    for _ in 0..10 {
        let (r, sent) = call_function(&mut st, t0() + Duration::from_secs(60), &mut tokens);
        r.unwrap();
        assert_eq!(sent.len(), 1, "the token is reused");
    }
    // Within the 30 s margin of expiry: renewed first.
    let near = t0() + Duration::from_secs(7200 - 20);
    let (r, sent) = call_function(&mut st, near, &mut tokens);
    r.unwrap();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[1].headers()["authorization"], "Bearer admin-2");
    assert_eq!(tokens, 2);
}

#[test]
fn a_rejected_admin_token_is_renewed_and_the_call_replayed_once() {
    let mut st = state();
    let mut tokens = 0;
    call_function(&mut st, t0(), &mut tokens).0.unwrap();
    let mut call = Call::new(CallFunction::new("echo").unwrap());
    let first = match call.poll(&mut st, t0()) {
        Step::Send(r) => r,
        other => panic!("{other:?}"),
    };
    assert_eq!(first.headers()["authorization"], "Bearer admin-1");
    call.on_response(
        t0(),
        http::Response::builder()
            .status(401)
            .body(
                br#"{"code":"ACCESS_TOKEN_EXPIRED","message":"expired","requestId":"x"}"#.to_vec(),
            )
            .unwrap(),
    );
    let exchange = match call.poll(&mut st, t0()) {
        Step::Send(r) => r,
        other => panic!("{other:?}"),
    };
    assert_eq!(exchange.uri().path(), "/auth/v1/token/clientCredential");
    call.on_response(t0(), token_answer(2, 7200));
    let replay = match call.poll(&mut st, t0()) {
        Step::Send(r) => r,
        other => panic!("{other:?}"),
    };
    assert_eq!(replay.headers()["authorization"], "Bearer admin-2");
    call.on_response(t0(), ok(r#"{"result":1}"#));
    assert!(matches!(call.poll(&mut st, t0()), Step::Done(Ok(_))));
}

#[test]
fn a_failed_exchange_with_no_token_is_the_callers_error_and_nothing_else_is_sent() {
    let mut st = state();
    let mut call = Call::new(CallFunction::new("echo").unwrap());
    let mut paths = Vec::new();
    let result = loop {
        match call.poll(&mut st, t0()) {
            Step::Send(req) => {
                paths.push(req.uri().path().to_owned());
                call.on_response(
                    t0(),
                    http::Response::builder()
                        .status(401)
                        .body(
                            br#"{"error":"unauthenticated","error_description":"bad secret"}"#
                                .to_vec(),
                        )
                        .unwrap(),
                );
            }
            Step::Done(r) => break r,
            other => panic!("{other:?}"),
        }
    };
    assert!(matches!(result, Err(Error::Server(_))), "{result:?}");
    assert_eq!(paths, ["/auth/v1/token/clientCredential"]);
}

#[test]
fn the_secret_key_is_never_printed() {
    let config = Config::builder("demo-env")
        .server_secret("AKIDexample", "s3cret-key")
        .build()
        .unwrap();
    let shown = format!("{config:?} {:?}", config.credential());
    assert!(!shown.contains("s3cret-key"), "{shown}");
    assert!(matches!(
        Config::builder("e").server_secret("id:colon", "k").build(),
        Err(cloudbase_core::ConfigError::InvalidServerSecret)
    ));
    assert!(matches!(
        Config::builder("e").server_secret("id", "").build(),
        Err(cloudbase_core::ConfigError::InvalidServerSecret)
    ));
}
