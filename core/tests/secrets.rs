//! Every public type that can hold a secret keeps it out of `Debug` and `Display`:
//! the operations that carry one, the values the server hands back (through the
//! real driver, from canned answers), the session, the config, and the requests.
#![allow(clippy::unwrap_used, missing_docs)]

use std::time::SystemTime;

use cloudbase_core::Operation;
use cloudbase_core::auth::{
    ChangePassword, Contact, CreateCaptchaData, DeleteUser, GrantProviderToken, OAuthCallback,
    RefreshToken, SendVerification, SignInWithCustomTicket, SignInWithIdToken, SignInWithPassword,
    SignUpDetails, Sudo, VerifyCaptchaData, VerifyCode, VerifyOtp,
};
use cloudbase_core::functions::ServiceCall;
use cloudbase_core::{Call, ClientState, Config, Secret, Step};
use rand::SeedableRng;

const SECRET: &str = "S3CRET-VALUE";

fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000)
}

fn state() -> ClientState {
    let config = Config::builder("env").build().unwrap();
    ClientState::new(config, Box::new(rand::rngs::StdRng::seed_from_u64(5)))
}

/// Runs `op` through the driver, answering its request with `body`.
fn run<O: Operation>(st: &mut ClientState, op: O, body: serde_json::Value) -> O::Output
where
    O::Output: std::fmt::Debug,
{
    let mut call = Call::new(op);
    let Step::Send(_) = call.poll(st, now()) else {
        panic!("expected a request")
    };
    call.on_response(now(), http::Response::new(body.to_string().into_bytes()));
    match call.poll(st, now()) {
        Step::Done(out) => out.unwrap(),
        other => panic!("expected the end, got {other:?}"),
    }
}

fn assert_hidden(shown: &[String]) {
    for s in shown {
        assert!(!s.contains(SECRET), "leaked in {s}");
    }
}

#[test]
fn operations_holding_a_secret_hide_it() {
    let callback = OAuthCallback::new(SECRET, "state");
    let shown = [
        format!("{:?}", SignInWithPassword::username("ann", SECRET).unwrap()),
        format!("{:?}", SignInWithCustomTicket::new(SECRET)),
        format!("{:?}", SignInWithIdToken::new("google", SECRET)),
        format!(
            "{:?}",
            GrantProviderToken::code("github", SECRET, "https://x/cb")
        ),
        format!("{:?}", GrantProviderToken::access_token("github", SECRET)),
        format!("{:?}", Sudo::with_password(SECRET)),
        format!("{:?}", ChangePassword::new(SECRET, SECRET)),
        format!("{:?}", DeleteUser::new(SECRET)),
        format!("{:?}", RefreshToken::set_session(SECRET)),
        format!("{:?}", SignUpDetails::new().password(SECRET)),
        format!(
            "{:?}",
            ServiceCall::api("orders", http::Method::GET)
                .unwrap()
                .token(SECRET)
        ),
        format!("{callback:?}"),
        format!("{:?}", Secret::new(SECRET)),
        format!("{}", Secret::new(SECRET)),
    ];
    assert_hidden(&shown);
}

#[test]
fn config_and_session_hide_keys_and_tokens() {
    let with_key = Config::builder("env")
        .publishable_key(SECRET)
        .build()
        .unwrap();
    let with_api_key = Config::builder("env").api_key(SECRET).build().unwrap();
    let mut st = state();
    let answer = serde_json::json!({
        "token_type": "Bearer", "access_token": SECRET, "refresh_token": SECRET,
        "expires_in": 7200, "scope": "user", "sub": "u-1",
    });
    let credentials = run(
        &mut st,
        SignInWithPassword::username("ann", SECRET).unwrap(),
        answer,
    );
    assert_hidden(&[
        format!("{with_key:?}"),
        format!("{:?}", with_key.credential()),
        format!("{with_api_key:?}"),
        format!("{credentials:?}"),
        format!("{}", credentials.access_token),
        format!("{:?}", st.session()),
        format!("{:?}", st.session().credentials()),
    ]);
    // The bearer the next call carries is a sensitive header: `Debug` of the
    // request shows `Sensitive`, not the token.
    let mut call = Call::new(cloudbase_core::functions::CallFunction::new("echo").unwrap());
    let Step::Send(request) = call.poll(&mut st, now()) else {
        panic!("expected a request")
    };
    assert!(request.headers()["authorization"].is_sensitive());
    assert_hidden(&[format!("{request:?}"), format!("{:?}", request.headers())]);
}

#[test]
fn values_the_server_hands_back_hide_their_secrets() {
    let mut st = state();
    let handle = run(
        &mut st,
        SendVerification::for_sign_in(Contact::parse("a@b.co").unwrap()),
        serde_json::json!({"verification_id": "vid-1", "expires_in": 600, "is_user": true}),
    );
    let verified = run(
        &mut st,
        VerifyCode::new(&handle, "123456"),
        serde_json::json!({"verification_token": SECRET, "expires_in": 600}),
    );
    let challenge = run(
        &mut st,
        CreateCaptchaData::new("state-1"),
        serde_json::json!({"data": "data:image/gif;base64,R0lG", "type": "image", "token": SECRET, "expires_in": 300}),
    );
    let captcha = run(
        &mut st,
        VerifyCaptchaData::new(&challenge, "abcd"),
        serde_json::json!({"captcha_token": SECRET, "expires_in": 600}),
    );
    let provider = run(
        &mut st,
        GrantProviderToken::code("github", "code-1", "https://x/cb"),
        serde_json::json!({"provider_token": SECRET, "expires_in": 3600, "provider_profile": {}}),
    );
    assert_hidden(&[
        format!("{verified:?}"),
        format!("{challenge:?}"),
        format!("{captcha:?}"),
        format!("{provider:?}"),
        format!(
            "{:?}",
            VerifyOtp::new(&handle, SECRET, SignUpDetails::new())
        ),
    ]);
    let code_shown = format!("{:?}", VerifyCode::new(&handle, "654321"));
    assert!(!code_shown.contains("654321"), "{code_shown}");
}
