//! The session machine on a virtual clock: refresh before expiry, single flight,
//! forced refresh and replay, sign-out rules, and a property test over arbitrary
//! interleavings of calls, answers, failures and time jumps.
#![allow(clippy::unwrap_used, missing_docs)]

use std::time::{Duration, SystemTime};

use cloudbase_core::auth::{GetUser, RefreshToken, SignOut};
use cloudbase_core::functions::CallFunction;
use cloudbase_core::{
    AuthEventKind, Call, ClientState, Config, Credentials, Error, HttpRequest, SharedState, Step,
    TransportError, TransportErrorKind,
};
use proptest::prelude::*;
use rand::SeedableRng;

fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

use entries::credentials as creds;

fn state_with(c: Option<Credentials>) -> ClientState {
    let config = Config::builder("demo-env").build().unwrap();
    let mut st = ClientState::new(config, Box::new(rand::rngs::StdRng::seed_from_u64(3)));
    if let Some(c) = c {
        st.session_mut().sign_in(c);
        let _ = st.session_mut().take_events();
    }
    st
}

fn token_answer(token: &str, refresh: &str, expires_in: u64) -> http::Response<Vec<u8>> {
    let body = serde_json::json!({
        "token_type": "Bearer", "access_token": token, "refresh_token": refresh,
        "expires_in": expires_in, "scope": "user", "sub": "u-1",
    });
    http::Response::new(body.to_string().into_bytes())
}

fn answer(status: u16, body: &str) -> http::Response<Vec<u8>> {
    http::Response::builder()
        .status(status)
        .body(body.as_bytes().to_vec())
        .unwrap()
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

fn bearer(req: &HttpRequest) -> &str {
    req.headers()["authorization"].to_str().unwrap()
}

fn events(st: &mut ClientState) -> Vec<AuthEventKind> {
    st.session_mut()
        .take_events()
        .into_iter()
        .map(|e| e.kind)
        .collect()
}

fn echo() -> CallFunction {
    CallFunction::new("echo").unwrap()
}

#[test]
fn a_token_within_the_margin_is_refreshed_before_the_call() {
    let mut st = state_with(Some(creds("old", Some("rt-1"), "user", 100, t0())));
    let now = t0() + Duration::from_secs(80); // 20 s left, margin 30 s
    let mut call = Call::new(echo());
    let refresh = sent(call.poll(&mut st, now));
    assert_eq!(refresh.uri().path(), "/auth/v1/token");
    assert_eq!(refresh.uri().query(), Some("client_id=demo-env"));
    assert!(refresh.headers().get("authorization").is_none());
    let body: serde_json::Value = serde_json::from_slice(refresh.body()).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"client_id": "demo-env", "client_secret": "", "grant_type": "refresh_token", "refresh_token": "rt-1"})
    );
    call.on_response(now, token_answer("new", "rt-2", 7200));
    let req = sent(call.poll(&mut st, now));
    assert_eq!(bearer(&req), "Bearer new");
    assert_eq!(events(&mut st), [AuthEventKind::TokenRefreshed]);
    call.on_response(now, answer(200, "{}"));
    assert!(done(call.poll(&mut st, now)).is_ok());
    assert_eq!(
        call.attempts(),
        1,
        "the refresh is not an attempt of the call"
    );
}

#[test]
fn tokens_shorter_lived_than_the_margin_do_not_loop() {
    let mut st = state_with(Some(creds("old", Some("rt-1"), "user", 10, t0())));
    let mut call = Call::new(echo());
    let _ = sent(call.poll(&mut st, t0()));
    // The server hands out 20 s tokens; the margin is 30 s.
    call.on_response(t0(), token_answer("short", "rt-2", 20));
    let req = sent(call.poll(&mut st, t0()));
    assert_eq!(
        req.uri().path(),
        "/v1/functions/echo",
        "no second refresh in the same call"
    );
    assert_eq!(bearer(&req), "Bearer short");
}

#[test]
fn a_fresh_token_is_used_without_refresh() {
    let mut st = state_with(Some(creds("tok", Some("rt"), "user", 7200, t0())));
    let mut call = Call::new(GetUser::new());
    let req = sent(call.poll(&mut st, t0()));
    assert_eq!(req.uri().path(), "/auth/v1/user/me");
    assert_eq!(bearer(&req), "Bearer tok");
}

#[test]
fn concurrent_calls_share_one_refresh() {
    let config = Config::builder("demo-env").build().unwrap();
    let mut st = ClientState::new(config, Box::new(rand::rngs::StdRng::seed_from_u64(1)));
    st.session_mut()
        .sign_in(creds("old", Some("rt-1"), "user", 10, t0()));
    let now = t0();
    let mut calls: Vec<Call<CallFunction>> = (0..5).map(|_| Call::new(echo())).collect();
    let first = sent(calls[0].poll(&mut st, now));
    assert_eq!(first.uri().path(), "/auth/v1/token");
    let mut waiting = Vec::new();
    for call in &mut calls[1..] {
        match call.poll(&mut st, now) {
            Step::Wait { generation, .. } => waiting.push(generation),
            other => panic!("expected Wait, got {other:?}"),
        }
    }
    assert!(st.refresh_in_flight());
    calls[0].on_response(t0(), token_answer("new", "rt-2", 7200));
    assert_eq!(bearer(&sent(calls[0].poll(&mut st, now))), "Bearer new");
    assert!(!st.refresh_in_flight());
    assert!(st.refresh_generation() > waiting[0]);
    for call in &mut calls[1..] {
        assert_eq!(bearer(&sent(call.poll(&mut st, now))), "Bearer new");
    }
}

#[test]
fn access_token_expired_forces_one_refresh_and_one_replay() {
    let mut st = state_with(Some(creds("old", Some("rt-1"), "user", 7200, t0())));
    let mut call = Call::new(echo().data(&1).unwrap());
    let first = sent(call.poll(&mut st, t0()));
    call.on_response(
        t0(),
        answer(
            401,
            r#"{"code":"ACCESS_TOKEN_EXPIRED","message":"expired"}"#,
        ),
    );
    let refresh = sent(call.poll(&mut st, t0()));
    assert_eq!(refresh.uri().path(), "/auth/v1/token");
    call.on_response(t0(), token_answer("new", "rt-2", 7200));
    let replay = sent(call.poll(&mut st, t0()));
    assert_eq!(bearer(&replay), "Bearer new");
    assert_eq!(
        replay.headers()["x-request-id"],
        first.headers()["x-request-id"]
    );
    assert_eq!(replay.body(), first.body());
    // A second rejection goes to the caller: one replay only.
    call.on_response(
        t0(),
        answer(
            401,
            r#"{"code":"ACCESS_TOKEN_EXPIRED","message":"expired"}"#,
        ),
    );
    assert!(matches!(
        done(call.poll(&mut st, t0())),
        Err(Error::Server(_))
    ));
}

#[test]
fn a_rejection_after_someone_else_refreshed_replays_without_another_refresh() {
    let mut st = state_with(Some(creds("old", Some("rt-1"), "user", 7200, t0())));
    let mut call = Call::new(echo());
    let _ = sent(call.poll(&mut st, t0()));
    st.session_mut()
        .sign_in(creds("newer", Some("rt-9"), "user", 7200, t0()));
    call.on_response(t0(), answer(401, r#"{"code":"ACCESS_TOKEN_EXPIRED"}"#));
    assert_eq!(bearer(&sent(call.poll(&mut st, t0()))), "Bearer newer");
}

#[test]
fn invalid_grant_ends_the_session_once() {
    let mut st = state_with(Some(creds("old", Some("rt-1"), "user", 10, t0())));
    let mut call = Call::new(echo());
    let _refresh = sent(call.poll(&mut st, t0()));
    call.on_response(
        t0(),
        answer(
            400,
            r#"{"error":"invalid_grant","error_description":"refresh token expired"}"#,
        ),
    );
    let err = done(call.poll(&mut st, t0())).unwrap_err();
    assert!(
        matches!(&err, Error::Server(e) if e.code.auth() == Some(&cloudbase_core::AuthErrorCode::InvalidGrant))
    );
    assert!(st.session().credentials().is_none());
    assert_eq!(events(&mut st), [AuthEventKind::SignedOut]);
    assert!(!st.refresh_in_flight());
}

#[test]
fn a_transport_failure_during_refresh_keeps_the_session_and_uses_the_valid_token() {
    let mut st = state_with(Some(creds("old", Some("rt-1"), "user", 20, t0())));
    let mut call = Call::new(echo());
    let _refresh = sent(call.poll(&mut st, t0()));
    call.on_failure(TransportError::without_source(
        TransportErrorKind::ConnectionLost,
    ));
    let req = sent(call.poll(&mut st, t0()));
    assert_eq!(req.uri().path(), "/v1/functions/echo");
    assert_eq!(bearer(&req), "Bearer old");
    assert!(st.session().credentials().is_some());
    assert!(events(&mut st).is_empty(), "no SIGNED_OUT");
}

#[test]
fn a_failed_refresh_of_an_expired_token_is_a_retryable_error_and_keeps_the_session() {
    let mut st = state_with(Some(creds("old", Some("rt-1"), "user", 20, t0())));
    let now = t0() + Duration::from_secs(60);
    let mut call = Call::new(echo());
    let _refresh = sent(call.poll(&mut st, now));
    call.on_response(now, answer(503, r#"{"error":"unavailable"}"#));
    let err = done(call.poll(&mut st, now)).unwrap_err();
    assert!(err.is_retryable(), "{err:?}");
    assert!(st.session().credentials().is_some());
    assert!(events(&mut st).is_empty());
}

#[test]
fn anonymous_sessions_without_a_refresh_token_sign_in_again() {
    let mut st = state_with(Some(creds("anon-old", None, "anonymous", 10, t0())));
    let mut call = Call::new(echo());
    let renew = sent(call.poll(&mut st, t0()));
    assert_eq!(renew.uri().path(), "/auth/v1/signin/anonymously");
    assert_eq!(bearer(&renew), "Basic ZGVtby1lbnY6");
    call.on_response(t0(), token_answer("anon-new", "rt-a", 7200));
    assert_eq!(bearer(&sent(call.poll(&mut st, t0()))), "Bearer anon-new");
    assert_eq!(events(&mut st), [AuthEventKind::TokenRefreshed]);
}

#[test]
fn a_rejected_anonymous_refresh_falls_back_to_anonymous_sign_in() {
    let mut st = state_with(Some(creds("anon-old", Some("rt-a"), "anonymous", 10, t0())));
    let mut call = Call::new(echo());
    assert_eq!(
        sent(call.poll(&mut st, t0())).uri().path(),
        "/auth/v1/token"
    );
    call.on_response(t0(), answer(400, r#"{"error":"invalid_grant"}"#));
    assert_eq!(
        sent(call.poll(&mut st, t0())).uri().path(),
        "/auth/v1/signin/anonymously"
    );
    call.on_response(t0(), token_answer("anon-new", "rt-b", 7200));
    assert_eq!(bearer(&sent(call.poll(&mut st, t0()))), "Bearer anon-new");
    assert_eq!(
        events(&mut st),
        [AuthEventKind::TokenRefreshed],
        "never signed out"
    );
}

#[test]
fn a_user_session_without_refresh_token_expires() {
    let mut st = state_with(Some(creds("old", None, "user", 10, t0())));
    // Within the margin but still valid: used as is.
    assert_eq!(
        bearer(&sent(Call::new(echo()).poll(&mut st, t0()))),
        "Bearer old"
    );
    let err = done(Call::new(echo()).poll(&mut st, t0() + Duration::from_secs(11))).unwrap_err();
    assert!(matches!(
        err,
        Error::Session(cloudbase_core::SessionError::SessionExpired)
    ));
}

#[test]
fn an_explicit_refresh_waits_for_an_automatic_one() {
    let mut st = state_with(Some(creds("old", Some("rt-1"), "user", 10, t0())));
    let mut auto = Call::new(echo());
    let _ = sent(auto.poll(&mut st, t0()));
    let mut explicit = Call::new(RefreshToken::of_session());
    assert!(matches!(explicit.poll(&mut st, t0()), Step::Wait { .. }));
    auto.on_response(t0(), token_answer("new", "rt-2", 7200));
    let _ = sent(auto.poll(&mut st, t0()));
    let req = sent(explicit.poll(&mut st, t0()));
    let body: serde_json::Value = serde_json::from_slice(req.body()).unwrap();
    assert_eq!(body["refresh_token"], "rt-2", "uses the rotated token");
    assert!(
        st.refresh_in_flight(),
        "the explicit refresh holds the slot"
    );
    explicit.on_response(t0(), token_answer("newest", "rt-3", 7200));
    assert!(done(explicit.poll(&mut st, t0())).is_ok());
    assert!(!st.refresh_in_flight());
}

#[test]
fn dropping_a_call_mid_refresh_releases_the_slot_and_wakes_waiters() {
    let woke = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = woke.clone();
    let shared = SharedState::new(
        state_with(Some(creds("old", Some("rt-1"), "user", 10, t0()))),
        move |g| seen.lock().unwrap().push(g),
    );
    {
        let mut call = shared.start(echo());
        assert_eq!(sent(call.poll(t0())).uri().path(), "/auth/v1/token");
        assert!(shared.lock().refresh_in_flight());
    }
    assert!(!shared.lock().refresh_in_flight());
    assert_eq!(
        woke.lock().unwrap().len(),
        2,
        "woken on start and on release"
    );
}

#[test]
fn listeners_get_initial_session_then_changes_and_may_call_back() {
    let shared = std::sync::Arc::new(SharedState::new(state_with(None), |_| {}));
    let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let (l, s) = (log.clone(), shared.clone());
    shared.subscribe(move |e| {
        // Calling back into the client from a listener must not deadlock.
        let signed_in = s.session().credentials().is_some();
        l.lock().unwrap().push((e.kind, signed_in));
    });
    shared.with_state(|st| st.session_mut().sign_in(creds("t", None, "user", 60, t0())));
    let mut sign_out = shared.start(SignOut::new());
    let req = sent(sign_out.poll(t0()));
    assert_eq!(req.uri().path(), "/auth/v1/revoke");
    sign_out.on_response(t0(), answer(200, "{}"));
    assert!(done(sign_out.poll(t0())).is_ok());
    assert_eq!(
        *log.lock().unwrap(),
        [
            (AuthEventKind::InitialSession, false),
            (AuthEventKind::SignedIn, true),
            (AuthEventKind::SignedOut, false)
        ]
    );
}

#[test]
fn sign_out_without_a_session_sends_nothing() {
    let mut st = state_with(None);
    let err = done(Call::new(SignOut::new()).poll(&mut st, t0())).unwrap_err();
    assert!(matches!(
        err,
        Error::Session(cloudbase_core::SessionError::NotSignedIn)
    ));
}

#[test]
fn an_expired_or_spent_otp_handle_sends_nothing() {
    use cloudbase_core::auth::{Contact, SendVerification, VerifyCode};
    let mut st = state_with(None);
    let mut send = Call::new(SendVerification::for_sign_in(
        Contact::parse("a@b.co").unwrap(),
    ));
    let _ = sent(send.poll(&mut st, t0()));
    send.on_response(
        t0(),
        answer(
            200,
            r#"{"verification_id":"v1","expires_in":600,"is_user":false}"#,
        ),
    );
    let handle = done(send.poll(&mut st, t0())).unwrap();
    assert_eq!(handle.expires_at, t0() + Duration::from_secs(600));

    let late = t0() + Duration::from_secs(600);
    let err = done(Call::new(VerifyCode::new(&handle, "123456")).poll(&mut st, late)).unwrap_err();
    assert!(matches!(
        err,
        Error::Build(cloudbase_core::BuildError::VerificationExpired)
    ));
    let err = done(Call::new(VerifyCode::new(&handle, "12a456")).poll(&mut st, t0())).unwrap_err();
    assert!(matches!(
        err,
        Error::Build(cloudbase_core::BuildError::InvalidInput { .. })
    ));

    let mut verify = Call::new(VerifyCode::new(&handle, "123456"));
    let _ = sent(verify.poll(&mut st, t0()));
    verify.on_response(
        t0(),
        answer(200, r#"{"verification_token":"vt","expires_in":600}"#),
    );
    assert!(done(verify.poll(&mut st, t0())).is_ok());
    let err = done(Call::new(VerifyCode::new(&handle, "123456")).poll(&mut st, t0())).unwrap_err();
    assert!(matches!(
        err,
        Error::Build(cloudbase_core::BuildError::VerificationUsed)
    ));
}

// ---- property test: arbitrary interleavings ----
// The exercise and its invariants are the `session_machine` fuzz target's.

#[path = "fuzz_entries/mod.rs"]
mod entries;

use entries::{Action, Reply};

fn action() -> impl Strategy<Value = Action> {
    let reply = prop_oneof![
        4 => Just(Reply::Ok),
        1 => Just(Reply::Lost),
        1 => Just(Reply::Rejected),
        1 => Just(Reply::InvalidGrant),
        1 => Just(Reply::Unavailable),
    ];
    prop_oneof![
        4 => (0usize..4).prop_map(Action::Poll),
        4 => ((0usize..4), reply).prop_map(|(i, r)| Action::Answer(i, r)),
        1 => (0u64..120).prop_map(Action::Advance),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Never a request with an expired token, at most one refresh in flight, no
    /// sign-out without `invalid_grant` (asserted inside `session_machine`).
    #[test]
    fn session_invariants_hold_for_any_interleaving(actions in prop::collection::vec(action(), 1..120), anonymous: bool) {
        entries::session_machine(&actions, anonymous);
    }
}
