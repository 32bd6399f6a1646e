//! Operations that may answer without a request (`Operation::finish_locally`):
//! the session read renews by the driver's one rule, and the captcha token is the
//! cached one or a challenge solved through the driver's captcha flow.
#![allow(clippy::unwrap_used, missing_docs)]

use std::time::{Duration, SystemTime};

use cloudbase_core::auth::{GetAccessToken, GetCaptchaToken, GetSession};
use cloudbase_core::{
    Call, ClientState, Config, Credentials, Error, HttpRequest, SessionError, SharedState, Step,
};
use rand::SeedableRng;

#[path = "fuzz_entries/mod.rs"]
mod entries;

fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

fn state_with(c: Option<Credentials>) -> ClientState {
    let config = Config::builder("demo-env").build().unwrap();
    let mut st = ClientState::new(config, Box::new(rand::rngs::StdRng::seed_from_u64(5)));
    if let Some(c) = c {
        st.session_mut().sign_in(c);
        let _ = st.session_mut().take_events();
    }
    st
}

fn json(body: serde_json::Value) -> http::Response<Vec<u8>> {
    http::Response::new(body.to_string().into_bytes())
}

fn sent<T: std::fmt::Debug>(step: Step<T>) -> HttpRequest {
    match step {
        Step::Send(r) => r,
        other => panic!("expected Send, got {other:?}"),
    }
}

fn done<T: std::fmt::Debug>(step: Step<T>) -> Result<T, Error> {
    match step {
        Step::Done(r) => r,
        other => panic!("expected Done, got {other:?}"),
    }
}

#[test]
fn a_fresh_session_is_read_without_a_request() {
    let creds = entries::credentials("tok", Some("rt"), "user", 7200, t0());
    let mut st = state_with(Some(creds.clone()));
    let mut call = Call::new(GetSession::new());
    let read = done(call.poll(&mut st, t0())).unwrap();
    assert_eq!(read, Some(creds));
    let mut call = Call::new(GetAccessToken::new());
    assert_eq!(done(call.poll(&mut st, t0())).unwrap().expose(), "tok");
}

#[test]
fn without_a_session_the_read_is_none_and_the_token_an_error() {
    let mut st = state_with(None);
    assert_eq!(
        done(Call::new(GetSession::new()).poll(&mut st, t0())).unwrap(),
        None
    );
    assert!(matches!(
        done(Call::new(GetAccessToken::new()).poll(&mut st, t0())),
        Err(Error::Session(SessionError::NotSignedIn))
    ));
}

#[test]
fn a_session_within_the_margin_is_refreshed_first_then_read() {
    let mut st = state_with(Some(entries::credentials(
        "old",
        Some("rt-1"),
        "user",
        10,
        t0(),
    )));
    let mut call = Call::new(GetSession::new());
    let refresh = sent(call.poll(&mut st, t0()));
    assert_eq!(refresh.uri().path(), "/auth/v1/token");
    call.on_response(
        t0(),
        json(serde_json::json!({
            "access_token": "new", "refresh_token": "rt-2", "expires_in": 7200,
            "scope": "user", "sub": "u-1",
        })),
    );
    let read = done(call.poll(&mut st, t0())).unwrap().unwrap();
    assert_eq!(read.access_token.expose(), "new");
}

#[test]
fn an_anonymous_session_without_a_refresh_token_signs_in_again_before_the_read() {
    let mut st = state_with(Some(entries::credentials(
        "anon-old",
        None,
        "anonymous",
        10,
        t0(),
    )));
    let mut call = Call::new(GetAccessToken::new());
    let again = sent(call.poll(&mut st, t0()));
    assert_eq!(again.uri().path(), "/auth/v1/signin/anonymously");
    call.on_response(
        t0(),
        json(serde_json::json!({
            "access_token": "anon-new", "expires_in": 7200, "scope": "anonymous", "sub": "a-1",
        })),
    );
    assert_eq!(done(call.poll(&mut st, t0())).unwrap().expose(), "anon-new");
}

fn challenge() -> http::Response<Vec<u8>> {
    json(
        serde_json::json!({"token": "ch-1", "data": "data:image/gif;base64,R0lG", "expires_in": 300}),
    )
}

#[test]
fn a_captcha_token_is_fetched_through_the_solver_then_served_from_the_cache() {
    let shared = SharedState::new(state_with(None), |_| {});
    shared.set_captcha_solver(Some(std::sync::Arc::new(
        |c: &cloudbase_core::auth::CaptchaChallenge| {
            assert_eq!(c.token.expose(), "ch-1");
            Some("ABCD".to_owned())
        },
    )));
    let mut call = shared.start(GetCaptchaToken::new("n1"));
    let create = sent(call.poll(t0()));
    assert_eq!(create.uri().path(), "/auth/v1/captcha/data");
    let body: serde_json::Value = serde_json::from_slice(create.body()).unwrap();
    assert_eq!(body["state"], "captcha-n1");
    call.on_response(t0(), challenge());
    let verify = sent(call.poll(t0()));
    assert_eq!(verify.uri().path(), "/auth/v1/captcha/data/verify");
    let body: serde_json::Value = serde_json::from_slice(verify.body()).unwrap();
    assert_eq!(body["key"], "ABCD");
    call.on_response(
        t0(),
        json(serde_json::json!({"captcha_token": "ct-1", "expires_in": 600})),
    );
    let token = done(call.poll(t0())).unwrap();
    assert_eq!(token.token.expose(), "ct-1");
    drop(call);
    // Cached: the next read sends nothing.
    let mut again = shared.start(GetCaptchaToken::new("n2"));
    assert_eq!(done(again.poll(t0())).unwrap(), token);
}

#[test]
fn without_a_solver_the_challenge_is_the_callers() {
    let shared = SharedState::new(state_with(None), |_| {});
    let mut call = shared.start(GetCaptchaToken::new("n1"));
    let _ = sent(call.poll(t0()));
    call.on_response(t0(), challenge());
    match done(call.poll(t0())) {
        Err(Error::Captcha(c)) => assert_eq!(c.token.expose(), "ch-1"),
        other => panic!("expected the challenge, got {other:?}"),
    }
}
