//! The call driver on a virtual clock: no sleeping, no network.
#![allow(clippy::unwrap_used, missing_docs)]

use std::time::{Duration, SystemTime};

use cloudbase_core::auth::SignInAnonymously;
use cloudbase_core::functions::CallFunction;
use cloudbase_core::{
    Call, ClientState, Config, Error, HttpRequest, Operation, RetryPolicy, ServerCode,
    SessionError, Step, TransportError, TransportErrorKind,
};
use rand::SeedableRng;

fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

fn state_with(config: cloudbase_core::ConfigBuilder) -> ClientState {
    ClientState::new(
        config.build().unwrap(),
        Box::new(rand::rngs::StdRng::seed_from_u64(42)),
    )
}

fn state() -> ClientState {
    state_with(Config::builder("demo-env").publishable_key("pk_demo"))
}

fn expect_send<T: std::fmt::Debug>(step: Step<T>) -> HttpRequest {
    match step {
        Step::Send(r) => r,
        other => panic!("expected Send, got {other:?}"),
    }
}

fn expect_sleep<T: std::fmt::Debug>(step: Step<T>) -> SystemTime {
    match step {
        Step::Sleep(t) => t,
        other => panic!("expected Sleep, got {other:?}"),
    }
}

fn expect_done<T: std::fmt::Debug>(step: Step<T>) -> Result<T, Error> {
    match step {
        Step::Done(r) => r,
        other => panic!("expected Done, got {other:?}"),
    }
}

fn response(status: u16, headers: &[(&str, &str)], body: &str) -> http::Response<Vec<u8>> {
    let mut b = http::Response::builder().status(status);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(body.as_bytes().to_vec()).unwrap()
}

const UNAVAILABLE: &str = r#"{"code":"RESOURCE_UNAVAILABLE","message":"busy","requestId":"srv"}"#;

#[test]
fn idempotent_call_waits_for_retry_after_and_reuses_the_request_id() {
    let mut st = state();
    let mut call = Call::new(CallFunction::new("echo").unwrap().idempotent());
    let first = expect_send(call.poll(&mut st, t0()));
    let rid = first.headers()["x-request-id"].clone();
    call.on_response(t0(), response(503, &[("retry-after", "2")], UNAVAILABLE));

    let until = expect_sleep(call.poll(&mut st, t0()));
    assert_eq!(until, t0() + Duration::from_secs(2));
    // Polling early changes nothing.
    assert_eq!(
        expect_sleep(call.poll(&mut st, t0() + Duration::from_secs(1))),
        until
    );

    let second = expect_send(call.poll(&mut st, until));
    assert_eq!(
        second.headers()["x-request-id"],
        rid,
        "a retry keeps the call's request id"
    );
    assert_eq!(second.body(), first.body());
    call.on_response(
        t0(),
        response(
            200,
            &[("content-type", "application/json")],
            "{\"ok\":true}",
        ),
    );
    let out = expect_done(call.poll(&mut st, until)).unwrap();
    assert_eq!(out.json::<serde_json::Value>().unwrap()["ok"], true);
    assert_eq!(call.attempts(), 2);
}

#[test]
fn non_idempotent_503_is_a_retryable_error_without_retry() {
    let mut st = state();
    let mut call = Call::new(CallFunction::new("echo").unwrap());
    let _ = expect_send(call.poll(&mut st, t0()));
    call.on_response(t0(), response(503, &[("retry-after", "1")], UNAVAILABLE));
    let err = expect_done(call.poll(&mut st, t0())).unwrap_err();
    assert!(err.is_retryable());
    match err {
        Error::Server(e) => {
            assert_eq!(
                e.code,
                ServerCode::Gateway(cloudbase_core::GatewayErrorCode::ResourceUnavailable)
            );
            assert_eq!(e.retry_after, Some(Duration::from_secs(1)));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(call.attempts(), 1);
}

#[test]
fn retries_stop_at_max_attempts_and_report_the_last_server_error() {
    let mut st = state_with(
        Config::builder("e")
            .publishable_key("k")
            .retry(RetryPolicy::default().max_attempts(2)),
    );
    let mut call = Call::new(CallFunction::new("echo").unwrap().idempotent());
    let mut now = t0();
    let _ = expect_send(call.poll(&mut st, now));
    call.on_response(t0(), response(502, &[], "bad gateway"));
    now = expect_sleep(call.poll(&mut st, now));
    let _ = expect_send(call.poll(&mut st, now));
    call.on_response(t0(), response(502, &[], "bad gateway"));
    let err = expect_done(call.poll(&mut st, now)).unwrap_err();
    assert!(matches!(err, Error::Server(ref e) if e.code == ServerCode::HttpStatus));
    assert_eq!(call.attempts(), 2);
}

#[test]
fn connect_failures_are_retried_even_for_non_idempotent_calls() {
    let mut st = state();
    let mut call = Call::new(SignInAnonymously::new());
    let mut now = t0();
    for _ in 0..2 {
        let _ = expect_send(call.poll(&mut st, now));
        call.on_failure(TransportError::without_source(TransportErrorKind::Connect));
        let until = expect_sleep(call.poll(&mut st, now));
        assert!(until > now, "backoff is positive");
        now = until;
    }
    let _ = expect_send(call.poll(&mut st, now));
    call.on_failure(TransportError::without_source(TransportErrorKind::Connect));
    match expect_done(call.poll(&mut st, now)).unwrap_err() {
        Error::Transport(t) => {
            assert_eq!(t.kind, TransportErrorKind::Connect);
            assert_eq!(t.attempts, 3);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_lost_connection_is_not_retried_for_non_idempotent_calls() {
    let mut st = state();
    let mut call = Call::new(SignInAnonymously::new());
    let _ = expect_send(call.poll(&mut st, t0()));
    call.on_failure(TransportError::without_source(
        TransportErrorKind::ConnectionLost,
    ));
    let err = expect_done(call.poll(&mut st, t0())).unwrap_err();
    assert!(matches!(err, Error::Transport(ref t) if t.attempts == 1));
    assert!(
        st.session().credentials().is_none(),
        "nothing stored on failure"
    );
}

#[test]
fn a_lost_connection_is_retried_for_idempotent_calls() {
    let mut st = state();
    let mut call = Call::new(CallFunction::new("echo").unwrap().idempotent());
    let _ = expect_send(call.poll(&mut st, t0()));
    call.on_failure(TransportError::without_source(
        TransportErrorKind::ConnectionLost,
    ));
    let until = expect_sleep(call.poll(&mut st, t0()));
    let _ = expect_send(call.poll(&mut st, until));
}

#[test]
fn sign_in_stores_credentials_and_later_calls_use_them() {
    let mut st = state();
    let mut sign_in = Call::new(SignInAnonymously::new());
    let req = expect_send(sign_in.poll(&mut st, t0()));
    assert_eq!(req.uri().query(), Some("client_id=demo-env"));
    assert!(req.headers().get("authorization").is_none());
    sign_in.on_response(t0(), response(
        200,
        &[],
        r#"{"token_type":"Bearer","access_token":"user-token","expires_in":7200,"scope":"anonymous","sub":"anon-1","groups":["anonymous"]}"#,
    ));
    let creds = expect_done(sign_in.poll(&mut st, t0())).unwrap();
    assert_eq!(creds.expires_at, t0() + Duration::from_secs(7200));

    let mut call = Call::new(CallFunction::new("echo").unwrap());
    let req = expect_send(call.poll(&mut st, t0()));
    assert_eq!(
        req.headers()["authorization"],
        "Bearer user-token",
        "user token beats the publishable key"
    );
}

#[test]
fn auth_error_in_a_200_body_is_a_server_error_and_stores_nothing() {
    let mut st = state();
    let mut call = Call::new(SignInAnonymously::new());
    let _ = expect_send(call.poll(&mut st, t0()));
    call.on_response(
        t0(),
        response(200, &[], r#"{"error":"permission_denied","error_code":7}"#),
    );
    let err = expect_done(call.poll(&mut st, t0())).unwrap_err();
    assert!(
        matches!(err, Error::Server(ref e) if e.code == ServerCode::Auth(cloudbase_core::AuthErrorCode::PermissionDenied))
    );
    assert!(st.session().credentials().is_none());
}

#[test]
fn a_malformed_token_response_is_a_decode_error_with_path() {
    let mut st = state();
    let mut call = Call::new(SignInAnonymously::new());
    let _ = expect_send(call.poll(&mut st, t0()));
    call.on_response(
        t0(),
        response(
            200,
            &[],
            r#"{"access_token":"secret-at","scope":"anonymous"}"#,
        ),
    );
    match expect_done(call.poll(&mut st, t0())).unwrap_err() {
        Error::Decode(cloudbase_core::DecodeError::Json {
            message, snippet, ..
        }) => {
            assert!(message.contains("expires_in"), "{message}");
            assert!(!snippet.contains("secret-at"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn no_credential_means_nothing_is_sent() {
    let mut st = state_with(Config::builder("e"));
    let mut call = Call::new(CallFunction::new("echo").unwrap());
    let err = expect_done(call.poll(&mut st, t0())).unwrap_err();
    assert!(matches!(
        err,
        Error::Session(SessionError::MissingCredential)
    ));
    assert_eq!(call.attempts(), 0);
}

#[test]
fn misuse_is_an_error_not_a_panic() {
    let mut st = state();
    let mut call = Call::new(CallFunction::new("echo").unwrap());
    let _ = expect_send(call.poll(&mut st, t0()));
    let err = expect_done(call.poll(&mut st, t0())).unwrap_err();
    assert!(matches!(err, Error::Internal(_)));
    let again = expect_done(call.poll(&mut st, t0())).unwrap_err();
    assert!(matches!(again, Error::Internal(_)));
}

#[test]
fn function_request_matches_the_transcript() {
    // functions.jsonl, label functions/callFunction/plain.
    let mut st = state();
    let data = serde_json::json!({"a": 1, "s": "x y", "nested": {"k": [1, 2]}});
    let mut call = Call::new(CallFunction::new("echo").unwrap().data(&data).unwrap());
    let req = expect_send(call.poll(&mut st, t0()));
    assert_eq!(req.method(), http::Method::POST);
    assert_eq!(req.uri().path(), "/v1/functions/echo");
    assert_eq!(req.uri().query(), None);
    assert_eq!(
        req.headers()["content-type"],
        "application/json; charset=utf-8"
    );
    assert_eq!(req.headers()["accept-language"], "zh-CN");
    let rid = req.headers()["x-request-id"].to_str().unwrap();
    assert_eq!(rid.len(), 36);
    assert!(req.headers().get("x-device-id").is_none());
    let sent: serde_json::Value = serde_json::from_slice(req.body()).unwrap();
    assert_eq!(sent, data);
    assert!(!CallFunction::new("echo").unwrap().is_idempotent());
}

#[test]
fn a_throttled_call_is_retried_even_when_it_is_not_idempotent() {
    let mut st = state();
    // A plain function call: not idempotent, so a 503 alone would not be retried.
    let mut call = Call::new(CallFunction::new("echo").unwrap());
    let _ = expect_send(call.poll(&mut st, t0()));
    let limited = r#"{"code":"EXCEED_REQUEST_LIMIT","message":"slow down","requestId":"r"}"#;
    call.on_response(t0(), response(422, &[("retry-after", "1")], limited));
    let until = expect_sleep(call.poll(&mut st, t0()));
    assert_eq!(until, t0() + Duration::from_secs(1));
    let _ = expect_send(call.poll(&mut st, until));
    call.on_response(until, response(200, &[], r#"{"ok":true}"#));
    assert!(expect_done(call.poll(&mut st, until)).is_ok());
}

#[test]
fn a_transaction_conflict_is_retried_then_reported_as_rate_limited() {
    let mut st = state_with(
        Config::builder("demo-env")
            .publishable_key("pk_demo")
            .retry(RetryPolicy::default().max_attempts(2)),
    );
    let mut call = Call::new(CallFunction::new("echo").unwrap());
    let conflict = r#"{"code":"DATABASE_TRANSACTION_CONFLICT","message":"retry","requestId":"r"}"#;
    let mut now = t0();
    for _ in 0..2 {
        loop {
            match call.poll(&mut st, now) {
                Step::Sleep(t) => now = t,
                Step::Send(_) => break,
                other => panic!("{other:?}"),
            }
        }
        call.on_response(now, response(503, &[], conflict));
    }
    let err = expect_done(call.poll(&mut st, now)).unwrap_err();
    assert!(err.is_rate_limited() && err.is_retryable(), "{err}");
    assert_eq!(
        err.gateway_code(),
        Some(&cloudbase_core::GatewayErrorCode::DatabaseTransactionConflict)
    );
}

#[test]
fn a_transport_error_names_the_operation_method_and_host() {
    let mut st = state_with(
        Config::builder("demo-env")
            .publishable_key("pk_demo")
            .retry(RetryPolicy::default().max_attempts(1)),
    );
    let mut call = Call::new(CallFunction::new("echo").unwrap());
    let _ = expect_send(call.poll(&mut st, t0()));
    call.on_failure(TransportError::without_source(TransportErrorKind::Connect));
    let err = expect_done(call.poll(&mut st, t0())).unwrap_err();
    assert_eq!(
        err.to_string(),
        "CallFunction POST demo-env.api.tcloudbasegateway.com: could not connect after 1 attempt(s)"
    );
}
