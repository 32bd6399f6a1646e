//! Every end-to-end scenario, written once and run against both adapters
//! (see `tests/adapters.rs`).
#![allow(clippy::unwrap_used, dead_code, unused_imports)]

use std::time::Duration;

use cloudbase_core::functions::CallFunction;
use cloudbase_core::{
    AuthEventKind, BuildError, DecodeError, Error, GatewayErrorCode, ServerCode, SessionError,
    TransportErrorKind,
};
use cloudbase_emulator::FaultRule;
use serde_json::json;
use std::sync::{Arc, Mutex};

pub use super::data_scenarios::*;
pub use super::service_scenarios::*;
use super::*;

/// An emulator and a client signed in anonymously against it.
fn signed_in<C: TestClient>() -> (cloudbase_emulator::Emulator, C) {
    let emu = emulator();
    let c = C::connect(config_for(emu.base_url()));
    c.sign_in_anonymously().unwrap();
    (emu, c)
}

pub fn anonymous_sign_in_then_echo<C: TestClient>() {
    let emu = emulator();
    let c = C::connect(config_for(emu.base_url()));
    let creds = c.sign_in_anonymously().unwrap();
    assert_eq!(creds.scope.as_deref(), Some("anonymous"));
    let claims = emu.verify_token(creds.access_token.expose()).unwrap();
    assert_eq!(Some(claims.sub.as_str()), creds.sub.as_deref());

    let data = json!({"a": 1, "s": "x y", "nested": {"k": [1, 2]}});
    let out = c.call_function("echo", &data).unwrap();
    assert!(out.is_json());
    assert_eq!(out.json::<serde_json::Value>().unwrap(), data);
    assert_eq!(out.request_id.len(), 36);

    let requests = emu.requests();
    assert_eq!(requests.len(), 2);
    assert_sign_in_request(&requests[0], &c.device_id());
    assert_function_request(&requests[1], creds.access_token.expose(), &data);
    assert_eq!(out.request_id, requests[1].header("x-request-id").unwrap());
}

pub fn the_same_device_gets_the_same_anonymous_user<C: TestClient>() {
    let emu = emulator();
    let c = C::connect(config_for(emu.base_url()));
    let first = c.sign_in_anonymously().unwrap();
    let second = c.sign_in_anonymously().unwrap();
    assert_eq!(first.sub, second.sub);
    let other = C::connect(config_for(emu.base_url()))
        .sign_in_anonymously()
        .unwrap();
    assert_ne!(first.sub, other.sub);
}

pub fn idempotent_503_with_retry_after_is_retried_after_the_delay<C: TestClient>() {
    let (emu, c) = signed_in::<C>();
    emu.inject(
        FaultRule::path("/v1/functions/echo")
            .status(503)
            .retry_after(1),
    );
    let call = CallFunction::new("echo")
        .unwrap()
        .data(&json!({"n": 1}))
        .unwrap()
        .idempotent();
    let out = c.execute(call).unwrap();
    assert_eq!(out.json::<serde_json::Value>().unwrap(), json!({"n": 1}));
    let sent = emu.requests_to("/v1/functions/echo");
    assert_eq!(sent.len(), 2);
    assert!(
        gap_between_first_two(&sent) >= Duration::from_secs(1),
        "waited {:?}",
        gap_between_first_two(&sent)
    );
    assert_eq!(
        sent[0].header("x-request-id"),
        sent[1].header("x-request-id")
    );
}

pub fn non_idempotent_503_is_a_typed_retryable_error_without_retry<C: TestClient>() {
    let (emu, c) = signed_in::<C>();
    emu.inject(
        FaultRule::path("/v1/functions/echo")
            .status(503)
            .retry_after(1),
    );
    let err = c.call_function("echo", &json!({})).unwrap_err();
    assert!(err.is_retryable());
    match &err {
        Error::Server(e) => {
            assert_eq!(
                e.code,
                ServerCode::Gateway(GatewayErrorCode::ResourceUnavailable)
            );
            assert_eq!(e.retry_after, Some(Duration::from_secs(1)));
            assert!(e.request_id.is_some());
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(emu.requests_to("/v1/functions/echo").len(), 1);
}

pub fn connection_refused_is_retried_even_for_non_idempotent_calls<C: TestClient>() {
    let c = C::connect(config_for(&refused_base_url()));
    match c.sign_in_anonymously().unwrap_err() {
        Error::Transport(t) => {
            assert_eq!(t.kind, TransportErrorKind::Connect);
            assert_eq!(t.attempts, 3, "all attempts used");
            assert!(
                std::error::Error::source(&t).is_some(),
                "the HTTP library's error is kept"
            );
        }
        other => panic!("{other:?}"),
    }
}

pub fn a_dropped_connection_is_not_retried_for_non_idempotent_calls<C: TestClient>() {
    let (emu, c) = signed_in::<C>();
    emu.inject(FaultRule::path("/v1/functions/echo").drop_connection());
    match c.call_function("echo", &json!({"once": true})).unwrap_err() {
        Error::Transport(t) => {
            assert_eq!(t.kind, TransportErrorKind::ConnectionLost);
            assert_eq!(t.attempts, 1);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(emu.requests_to("/v1/functions/echo").len(), 1);
}

pub fn a_dropped_connection_is_retried_for_idempotent_calls<C: TestClient>() {
    let (emu, c) = signed_in::<C>();
    emu.inject(FaultRule::path("/v1/functions/echo").drop_connection());
    let call = CallFunction::new("echo")
        .unwrap()
        .data(&1)
        .unwrap()
        .idempotent();
    assert_eq!(c.execute(call).unwrap().json::<i32>().unwrap(), 1);
    assert_eq!(emu.requests_to("/v1/functions/echo").len(), 2);
}

pub fn redirects_are_not_followed<C: TestClient>() {
    let (emu, c) = signed_in::<C>();
    match c.call_function("redirect", &json!({})).unwrap_err() {
        Error::Decode(DecodeError::Redirect { status, location }) => {
            assert_eq!(status.as_u16(), 302);
            assert_eq!(location.as_deref(), Some("/v1/functions/echo"));
        }
        other => panic!("{other:?}"),
    }
    assert!(emu.requests_to("/v1/functions/echo").is_empty());
}

pub fn an_oversized_response_is_a_typed_error<C: TestClient>() {
    let (_emu, c) = signed_in::<C>();
    match c.call_function("big", &json!({})).unwrap_err() {
        Error::Transport(t) => assert_eq!(
            t.kind,
            TransportErrorKind::ResponseTooLarge {
                limit: RESPONSE_LIMIT
            }
        ),
        other => panic!("{other:?}"),
    }
}

pub fn an_unknown_function_is_the_typed_server_error<C: TestClient>() {
    let (_emu, c) = signed_in::<C>();
    match c.call_function("no-such-fn", &json!({})).unwrap_err() {
        Error::Server(e) => {
            assert_eq!(e.status.as_u16(), 404);
            assert_eq!(
                e.code,
                ServerCode::Gateway(GatewayErrorCode::ResourceNotFound)
            );
            assert!(e.message.contains("no-such-fn"));
        }
        other => panic!("{other:?}"),
    }
}

pub fn an_invalid_name_is_refused_before_sending<C: TestClient>() {
    let emu = emulator();
    let c = C::connect(config_for(emu.base_url()).publishable_key(PUBLISHABLE_KEY));
    for bad in ["../admin", "a/b", "x", "a?b=1", "a\nb"] {
        let err = c.call_function(bad, &json!({})).unwrap_err();
        assert!(
            matches!(err, Error::Build(BuildError::InvalidName { .. })),
            "{bad:?}: {err:?}"
        );
    }
    assert!(emu.requests().is_empty());
}

pub fn keys_and_bad_tokens<C: TestClient>() {
    let emu = emulator();
    let with_key = C::connect(config_for(emu.base_url()).publishable_key(PUBLISHABLE_KEY));
    assert!(with_key.call_function("echo", &json!({})).is_ok());
    assert_eq!(
        emu.requests()[0].header("authorization"),
        Some(format!("Bearer {PUBLISHABLE_KEY}").as_str())
    );

    let wrong = C::connect(config_for(emu.base_url()).publishable_key("pk_wrong"));
    match wrong.call_function("echo", &json!({})).unwrap_err() {
        Error::Server(e) => assert_eq!(
            e.code,
            ServerCode::Gateway(GatewayErrorCode::InvalidAccessToken)
        ),
        other => panic!("{other:?}"),
    }

    let none = C::connect(config_for(emu.base_url()));
    assert!(matches!(
        none.call_function("echo", &json!({})).unwrap_err(),
        Error::Session(SessionError::MissingCredential)
    ));
}

pub fn an_expired_token_is_refreshed_and_the_call_replayed_once<C: TestClient>() {
    let (emu, c) = signed_in::<C>();
    let events = c.record_events();
    let before = c.session().credentials().unwrap().access_token.clone();
    // The server's clock moves past the token's expiry; the client's does not, so
    // the first attempt is rejected with ACCESS_TOKEN_EXPIRED.
    emu.set_clock_offset(3 * 3600);
    let out = c.call_function("echo", &json!({"n": 7})).unwrap();
    assert_eq!(out.json::<serde_json::Value>().unwrap(), json!({"n": 7}));
    let calls = emu.requests_to("/v1/functions/echo");
    assert_eq!(calls.len(), 2, "one rejected attempt, one replay");
    assert_eq!(
        calls[0].header("x-request-id"),
        calls[1].header("x-request-id")
    );
    assert_eq!(
        emu.requests_to("/auth/v1/token").len(),
        1,
        "exactly one refresh"
    );
    let after = c.session().credentials().unwrap().access_token.clone();
    assert_ne!(before, after);
    assert_eq!(
        *events.lock().unwrap(),
        [AuthEventKind::InitialSession, AuthEventKind::TokenRefreshed]
    );
}

pub fn a_token_near_expiry_is_refreshed_before_the_call<C: TestClient>() {
    let emu = emulator();
    emu.set_token_lifetime(Duration::from_secs(20)); // inside the 30 s margin
    let c = C::connect(config_for(emu.base_url()));
    c.sign_in_anonymously().unwrap();
    emu.set_token_lifetime(Duration::from_secs(7200));
    c.call_function("echo", &json!({})).unwrap();
    let log: Vec<String> = emu.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(
        log,
        [
            "/auth/v1/signin/anonymously",
            "/auth/v1/token",
            "/v1/functions/echo"
        ]
    );
    let refresh = &emu.requests_to("/auth/v1/token")[0];
    let body: serde_json::Value = serde_json::from_slice(&refresh.body).unwrap();
    assert_eq!(body["grant_type"], "refresh_token");
    assert_eq!(body["client_id"], ENV);
    assert_eq!(body["client_secret"], "");
    assert_eq!(refresh.query.as_deref(), Some("client_id=demo-env"));
    assert_eq!(refresh.header("authorization"), None);
    // The fresh token is used without another refresh.
    c.call_function("echo", &json!({})).unwrap();
    assert_eq!(emu.requests_to("/auth/v1/token").len(), 1);
}

pub fn short_lived_tokens_refresh_once_per_call_without_looping<C: TestClient>() {
    let emu = emulator();
    emu.set_token_lifetime(Duration::from_secs(20)); // always inside the 30 s margin
    let c = C::connect(config_for(emu.base_url()));
    c.sign_in_anonymously().unwrap();
    c.call_function("echo", &json!({})).unwrap();
    c.call_function("echo", &json!({})).unwrap();
    assert_eq!(
        emu.requests_to("/auth/v1/token").len(),
        2,
        "one refresh per call, never a loop"
    );
}

pub fn a_refresh_that_meets_a_dropped_connection_keeps_the_session<C: TestClient>() {
    let emu = emulator();
    emu.set_token_lifetime(Duration::from_secs(20));
    let c = C::connect(config_for(emu.base_url()));
    let creds = c.sign_in_anonymously().unwrap();
    let events = c.record_events();
    emu.inject(FaultRule::path("/auth/v1/token").drop_connection());
    // The refresh fails, but the token is still valid: the call goes through with it.
    c.call_function("echo", &json!({})).unwrap();
    assert_eq!(
        emu.requests_to("/auth/v1/token").len(),
        1,
        "a lost refresh is not retried"
    );
    assert_eq!(
        c.session().credentials().unwrap().access_token,
        creds.access_token
    );
    assert_eq!(
        *events.lock().unwrap(),
        [AuthEventKind::InitialSession],
        "no SIGNED_OUT"
    );
    // The next call tries the refresh again, and it works.
    c.call_function("echo", &json!({})).unwrap();
    assert_ne!(
        c.session().credentials().unwrap().access_token,
        creds.access_token
    );
}

pub fn an_anonymous_session_whose_refresh_token_was_revoked_signs_in_again<C: TestClient>() {
    let emu = emulator();
    emu.set_token_lifetime(Duration::from_secs(20));
    let c = C::connect(config_for(emu.base_url()));
    let first = c.sign_in_anonymously().unwrap();
    emu.set_token_lifetime(Duration::from_secs(7200));
    emu.revoke_refresh_tokens();
    let events = c.record_events();
    c.call_function("echo", &json!({})).unwrap();
    let renew = emu.requests_to("/auth/v1/signin/anonymously");
    assert_eq!(renew.len(), 2);
    assert!(
        renew[1]
            .header("authorization")
            .unwrap()
            .starts_with("Basic ")
    );
    assert_eq!(
        c.session().credentials().unwrap().sub,
        first.sub,
        "same device, same user"
    );
    assert_eq!(
        *events.lock().unwrap(),
        [AuthEventKind::InitialSession, AuthEventKind::TokenRefreshed]
    );
}

pub fn invalid_grant_signs_out_once<C: TestClient>() {
    let emu = emulator();
    emu.set_token_lifetime(Duration::from_secs(20));
    let c = C::connect(config_for(emu.base_url()));
    c.sign_in_anonymously().unwrap();
    emu.revoke_refresh_tokens();
    emu.inject(
        FaultRule::path("/auth/v1/signin/anonymously")
            .status(400)
            .body(json!({"error": "invalid_grant", "error_description": "no"})),
    );
    let events = c.record_events();
    let err = c.call_function("echo", &json!({})).unwrap_err();
    assert!(
        matches!(&err, Error::Server(e) if e.code.auth().is_some()),
        "{err:?}"
    );
    assert!(c.session().credentials().is_none());
    // Later calls do not sign out again.
    assert!(matches!(
        c.call_function("echo", &json!({})),
        Err(Error::Session(SessionError::MissingCredential))
    ));
    assert!(matches!(
        c.get_user(),
        Err(Error::Session(SessionError::NotSignedIn))
    ));
    assert_eq!(
        *events.lock().unwrap(),
        [AuthEventKind::InitialSession, AuthEventKind::SignedOut]
    );
}

pub fn get_user_refresh_session_and_sign_out<C: TestClient>() {
    let (emu, c) = signed_in::<C>();
    let events = c.record_events();
    let user = c.get_user().unwrap();
    assert!(user.is_anonymous());
    assert_eq!(
        Some(user.sub.as_str()),
        c.session().credentials().unwrap().sub.as_deref()
    );

    let old = c.session().credentials().unwrap().clone();
    let new = c.refresh_session().unwrap();
    assert_ne!(new.access_token, old.access_token);
    assert_ne!(
        new.refresh_token, old.refresh_token,
        "refresh tokens rotate"
    );

    c.sign_out().unwrap();
    assert!(c.session().credentials().is_none());
    assert!(
        emu.verify_token(new.access_token.expose()).is_none(),
        "the token was revoked"
    );
    let revoke = &emu.requests_to("/auth/v1/revoke")[0];
    let body: serde_json::Value = serde_json::from_slice(&revoke.body).unwrap();
    assert_eq!(body["token"], new.access_token.expose());
    assert!(
        matches!(c.sign_out(), Err(Error::Session(SessionError::NotSignedIn))),
        "nothing to sign out"
    );
    assert_eq!(
        *events.lock().unwrap(),
        [
            AuthEventKind::InitialSession,
            AuthEventKind::TokenRefreshed,
            AuthEventKind::SignedOut
        ]
    );
}

pub fn a_restart_restores_the_session_from_the_file_store<C: TestClient>() {
    let dir = std::env::temp_dir().join(format!(
        "cb-store-{}-{}",
        std::process::id(),
        std::any::type_name::<C>().len()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("session.json");
    let emu = emulator();

    let creds = {
        let first =
            C::connect_with_store(config_for(emu.base_url()), C::file_store(&path)).unwrap();
        first.sign_in_anonymously().unwrap()
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    let second = C::connect_with_store(config_for(emu.base_url()), C::file_store(&path)).unwrap();
    assert_eq!(second.session().credentials(), Some(&creds));
    let log = Arc::new(Mutex::new(Vec::new()));
    let sink = log.clone();
    second
        .on_auth_state_change(move |e| sink.lock().unwrap().push((e.kind, e.credentials.clone())));
    assert_eq!(
        *log.lock().unwrap(),
        [(AuthEventKind::InitialSession, Some(creds.clone()))]
    );
    second.call_function("echo", &json!({})).unwrap();
    assert_eq!(
        emu.requests_to("/auth/v1/signin/anonymously").len(),
        1,
        "no new sign-in"
    );
    let claims = second.get_claims().unwrap();
    assert_eq!(claims.sub(), creds.sub.as_deref());
    assert_eq!(claims.get_str("scope"), Some("anonymous"));

    second.sign_out().unwrap();
    let third = C::connect_with_store(config_for(emu.base_url()), C::file_store(&path)).unwrap();
    assert!(
        third.session().credentials().is_none(),
        "sign-out cleared the file"
    );
    assert!(matches!(
        third.get_claims(),
        Err(Error::Session(SessionError::NotSignedIn))
    ));

    std::fs::write(&path, b"{ definitely not json").unwrap();
    let err = C::connect_with_store(config_for(emu.base_url()), C::file_store(&path))
        .err()
        .unwrap();
    assert!(
        matches!(
            err,
            Error::Store(cloudbase_core::store::StoreError::Corrupt { .. })
        ),
        "{err:?}"
    );
    assert_eq!(
        std::fs::read(&path).unwrap(),
        b"{ definitely not json",
        "left untouched"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

pub fn otp_sign_up_then_password_sign_in<C: TestClient>() {
    let emu = emulator();
    let c = C::connect(config_for(emu.base_url()));
    let events = c.record_events();
    let handle = c.sign_in_with_otp("ada@example.com").unwrap();
    assert!(!handle.is_user);
    let sent = &emu.requests_to("/auth/v1/verification")[0];
    let body: serde_json::Value = serde_json::from_slice(&sent.body).unwrap();
    assert_eq!(
        body,
        json!({"email": "ada@example.com", "usage": "email"}),
        "as the JS SDK's signUp"
    );
    assert_eq!(sent.query.as_deref(), Some("client_id=demo-env"));

    let code = emu.last_code("ada@example.com").unwrap();
    assert_eq!(code.len(), 6);
    let details = cloudbase_core::auth::SignUpDetails::new()
        .password("Passw0rd!")
        .username("ada_l")
        .name("Ada");
    let creds = c.complete_sign_up(&handle, &code, details).unwrap();
    assert_eq!(creds.scope.as_deref(), Some("user"));
    let signup: serde_json::Value =
        serde_json::from_slice(&emu.requests_to("/auth/v1/signup")[0].body).unwrap();
    assert_eq!(signup["email"], "ada@example.com");
    assert_eq!(signup["verification_code"], code.as_str());
    assert!(
        signup["verification_token"]
            .as_str()
            .unwrap()
            .starts_with("vt-")
    );

    // The handle is spent: a second use fails before any request.
    let before = emu.requests().len();
    assert!(matches!(
        c.verify_otp(&handle, &code),
        Err(Error::Build(BuildError::VerificationUsed))
    ));
    assert_eq!(emu.requests().len(), before);

    let user = c.get_user().unwrap();
    assert_eq!(user.email.as_deref(), Some("ada@example.com"));
    assert_eq!(user.username.as_deref(), Some("ada_l"));
    assert_eq!(user.has_password, Some(true));
    assert_eq!(user.password_set(), Some(true));

    c.sign_out().unwrap();
    c.sign_in_with_password("ada@example.com", "Passw0rd!")
        .unwrap();
    c.sign_out().unwrap();
    c.sign_in_with_password("ada_l", "Passw0rd!").unwrap();
    let signin: serde_json::Value =
        serde_json::from_slice(&emu.requests_to("/auth/v1/signin")[1].body).unwrap();
    assert_eq!(
        signin,
        json!({"username": "ada_l", "password": "Passw0rd!"})
    );
    match c.sign_in_with_password("ada_l", "wrong") {
        Err(Error::Server(e)) => assert_eq!(
            e.code.auth().map(|c| c.as_str()),
            Some("invalid_username_or_password")
        ),
        other => panic!("{other:?}"),
    }
    assert!(
        c.session().credentials().is_some(),
        "a failed sign-in keeps the session"
    );
    let kinds = events.lock().unwrap().clone();
    assert_eq!(
        kinds,
        [
            AuthEventKind::InitialSession,
            AuthEventKind::SignedIn,
            AuthEventKind::SignedOut,
            AuthEventKind::SignedIn,
            AuthEventKind::SignedOut,
            AuthEventKind::SignedIn
        ]
    );
}

pub fn otp_sign_in_of_an_existing_user_by_phone<C: TestClient>() {
    let emu = emulator();
    let c = C::connect(config_for(emu.base_url()));
    let handle = c.sign_in_with_otp("+8613800138000").unwrap();
    let body: serde_json::Value =
        serde_json::from_slice(&emu.requests_to("/auth/v1/verification")[0].body).unwrap();
    assert_eq!(
        body,
        json!({"phone_number": "+86 13800138000"}),
        "normalised; no usage for phones"
    );
    let code = emu.last_code("+86 13800138000").unwrap();
    // The test hook accepts the phone forms the SDK accepts.
    assert_eq!(emu.last_code("+8613800138000"), Some(code.clone()));
    assert_eq!(emu.last_code("13800138000"), Some(code.clone()));
    c.complete_sign_up(&handle, &code, cloudbase_core::auth::SignUpDetails::new())
        .unwrap();
    c.sign_out().unwrap();

    let again = c.sign_in_with_otp("+86 138 0013 8000").unwrap();
    assert!(again.is_user);
    let creds = c
        .verify_otp(&again, &emu.last_code("+86 13800138000").unwrap())
        .unwrap();
    assert_eq!(creds.scope.as_deref(), Some("user"));
    let signin: serde_json::Value =
        serde_json::from_slice(&emu.requests_to("/auth/v1/signin")[0].body).unwrap();
    assert_eq!(
        signin["username"], "+86 13800138000",
        "as the JS SDK: the contact as username"
    );
    assert!(signin["verification_token"].is_string());
}

pub fn otp_error_paths<C: TestClient>() {
    let emu = emulator();
    let c = C::connect(config_for(emu.base_url()));
    // Bad input never leaves the machine.
    assert!(matches!(
        c.sign_in_with_otp("not-an-email@"),
        Err(Error::Build(_))
    ));
    assert!(matches!(
        c.sign_in_with_otp("+86 12ab"),
        Err(Error::Build(_))
    ));
    assert!(emu.requests().is_empty());

    // A wrong code is the server's typed error; the handle stays usable.
    let handle = c.sign_in_with_otp("bob@example.com").unwrap();
    match c.verify_otp(&handle, "000000") {
        Err(Error::Server(e)) => {
            assert_eq!(e.code.auth().map(|c| c.as_str()), Some("invalid_argument"))
        }
        other => panic!("{other:?}"),
    }
    // A re-send invalidates the previous code.
    let newer = c.sign_in_with_otp("bob@example.com").unwrap();
    let old_code = emu
        .outbox()
        .iter()
        .find(|m| m.verification_id == handle.verification_id)
        .unwrap()
        .code
        .clone();
    assert!(matches!(
        c.verify_otp(&handle, &old_code),
        Err(Error::Server(_))
    ));
    // An expired code is refused by the server.
    emu.set_clock_offset(601);
    assert!(matches!(
        c.verify_otp(&newer, &emu.last_code("bob@example.com").unwrap()),
        Err(Error::Server(_))
    ));
    emu.set_clock_offset(0);

    // The per-contact rate limit.
    emu.set_verification_rate_limit(2, Duration::from_secs(60));
    match c.sign_in_with_otp("bob@example.com") {
        Err(Error::Server(e)) => {
            assert_eq!(
                e.code.auth().map(|c| c.as_str()),
                Some("resource_exhausted")
            );
            assert_eq!(e.retry_after, Some(Duration::from_secs(60)));
            assert!(Error::Server(e).is_retryable());
        }
        other => panic!("{other:?}"),
    }
}

pub fn debug_output_never_shows_tokens_or_keys<C: TestClient>() {
    let emu = emulator();
    let c = C::connect(config_for(emu.base_url()).publishable_key(PUBLISHABLE_KEY));
    let creds = c.sign_in_anonymously().unwrap();
    let refresh = creds.refresh_token.clone().unwrap();
    let shown = format!("{} {creds:?} {:?}", c.debug(), c.session());
    for secret in [
        creds.access_token.expose(),
        refresh.expose(),
        PUBLISHABLE_KEY,
    ] {
        assert!(!shown.contains(secret), "leaked {secret} in {shown}");
    }
}

// ---- the rest of issue 3: account, recovery, identities, captcha, sessions ----

use cloudbase_core::auth::{Gender, OAuthCallback, QueryUser, UserUpdate, VerificationTarget};

/// The auth error code of a failed call.
fn auth_code<T: std::fmt::Debug>(result: Result<T, Error>) -> String {
    match result {
        Err(Error::Server(e)) => e
            .code
            .auth()
            .map(|c| c.as_str().to_owned())
            .unwrap_or_default(),
        other => panic!("expected an auth server error, got {other:?}"),
    }
}

fn body_of(r: &cloudbase_emulator::RecordedRequest) -> serde_json::Value {
    serde_json::from_slice(&r.body).unwrap()
}

/// A user signed up by email with a password, still signed in.
fn registered<C: TestClient>(
    emu: &cloudbase_emulator::Emulator,
    email: &str,
    username: &str,
    password: &str,
) -> C {
    let c = C::connect(config_for(emu.base_url()));
    let handle = c.sign_in_with_otp(email).unwrap();
    let details = cloudbase_core::auth::SignUpDetails::new()
        .password(password)
        .username(username);
    c.complete_sign_up(&handle, &emu.last_code(email).unwrap(), details)
        .unwrap();
    c
}

pub fn profile_update_and_contact_change<C: TestClient>() {
    let emu = emulator();
    let c = registered::<C>(&emu, "ann@example.com", "ann_a", "Passw0rd!");
    let events = c.record_events();
    let before = emu.requests().len();
    assert!(matches!(
        c.update_user(UserUpdate::new()),
        Err(Error::Build(BuildError::InvalidInput { .. }))
    ));
    assert_eq!(emu.requests().len(), before, "an empty update is not sent");

    let user = c
        .update_user(
            UserUpdate::new()
                .nickname("Ann")
                .description("likes engines")
                .avatar_url("https://img.example/ann.png")
                .gender(Gender::Female),
        )
        .unwrap();
    assert_eq!(user.name.as_deref(), Some("Ann"));
    assert_eq!(user.picture.as_deref(), Some("https://img.example/ann.png"));
    assert_eq!(user.gender.as_deref(), Some("FEMALE"));
    let edit = &emu.requests_to("/auth/v1/user/basic/edit")[0];
    assert_eq!(
        body_of(edit),
        json!({"nickname": "Ann", "description": "likes engines", "avatar_url": "https://img.example/ann.png", "gender": "FEMALE"})
    );
    assert!(edit.header("authorization").unwrap().starts_with("Bearer "));
    assert_eq!(edit.query, None, "credentialed calls carry no client_id");

    // A phone change goes through a code; the verification token is not forwarded.
    let handle = c.start_contact_change("+86 139 0000 1111").unwrap();
    assert_eq!(
        body_of(emu.requests_to("/auth/v1/verification").last().unwrap()),
        json!({"phone_number": "+86 13900001111"})
    );
    let user = c
        .confirm_contact_change(&handle, &emu.last_code("+86 13900001111").unwrap())
        .unwrap();
    assert_eq!(user.phone_number.as_deref(), Some("+86 13900001111"));
    assert_eq!(
        body_of(emu.requests_to("/auth/v1/user/basic/edit").last().unwrap()),
        json!({"phone": "+86 13900001111"})
    );
    // An email change asks for a code with usage `reauthentication`.
    let handle = c.start_contact_change("ann.new@example.com").unwrap();
    assert_eq!(
        body_of(emu.requests_to("/auth/v1/verification").last().unwrap()),
        json!({"email": "ann.new@example.com", "usage": "reauthentication"})
    );
    assert_eq!(
        auth_code(c.confirm_contact_change(&handle, "000000")),
        "invalid_argument"
    );
    c.confirm_contact_change(&handle, &emu.last_code("ann.new@example.com").unwrap())
        .unwrap();
    assert_eq!(
        c.get_user().unwrap().email.as_deref(),
        Some("ann.new@example.com")
    );
    assert_eq!(
        *events.lock().unwrap(),
        [
            AuthEventKind::InitialSession,
            AuthEventKind::UserUpdated,
            AuthEventKind::UserUpdated,
            AuthEventKind::UserUpdated
        ]
    );
}

pub fn passwords_sudo_queries_and_deletion<C: TestClient>() {
    let emu = emulator();
    let c = registered::<C>(&emu, "bo@example.com", "bo_b_b", "first-pass");
    assert!(c.is_username_registered("bo_b_b").unwrap());
    assert!(!c.is_username_registered("nobody_here").unwrap());
    let found = c.query_user(QueryUser::new().username("bo_b_b")).unwrap();
    assert_eq!(found.total, 1);
    assert_eq!(found.data[0].email.as_deref(), Some("bo@example.com"));
    assert!(matches!(
        c.query_user(QueryUser::new()),
        Err(Error::Build(_))
    ));
    assert!(matches!(
        c.query_user(QueryUser::new().phone("12ab")),
        Err(Error::Build(_))
    ));

    // resetPasswordForOld = sudo with the old password, then PATCH /user/password.
    assert_eq!(
        auth_code(c.reset_password_for_old("wrong", "second-pass")),
        "invalid_password"
    );
    c.reset_password_for_old("first-pass", "second-pass")
        .unwrap();
    let patch = emu.requests_to("/auth/v1/user/password");
    assert_eq!(patch[0].method, "PATCH");
    assert_eq!(body_of(&patch[0])["new_password"], "second-pass");
    assert!(
        body_of(&patch[0])["sudo_token"]
            .as_str()
            .unwrap()
            .starts_with("sudo-")
    );
    // sudo + set_password (the v2 names).
    let sudo = c.sudo("second-pass").unwrap();
    c.set_password(&sudo, "third-pass").unwrap();
    c.sign_out().unwrap();
    assert_eq!(
        auth_code(c.sign_in_with_password("bo_b_b", "second-pass")),
        "invalid_username_or_password"
    );
    c.sign_in_with_password("bo_b_b", "third-pass").unwrap();

    // deleteUser: sudo, then DELETE /user/me?sudo_token=; the session ends.
    let events = c.record_events();
    c.delete_user("third-pass").unwrap();
    let delete = &emu.requests_to("/auth/v1/user/me").last().unwrap().clone();
    assert_eq!(delete.method, "DELETE");
    assert!(
        delete
            .query
            .as_deref()
            .unwrap()
            .starts_with("sudo_token=sudo-")
    );
    assert!(c.session().credentials().is_none());
    assert_eq!(
        *events.lock().unwrap(),
        [AuthEventKind::InitialSession, AuthEventKind::SignedOut]
    );
    assert_eq!(
        auth_code(c.sign_in_with_password("bo_b_b", "third-pass")),
        "invalid_username_or_password"
    );

    // delete_me with an explicit sudo token.
    let d = registered::<C>(&emu, "dee@example.com", "dee_d", "pass-dee");
    let sudo = d.sudo("pass-dee").unwrap();
    d.delete_me(&sudo).unwrap();
    assert!(d.session().credentials().is_none());
}

pub fn password_recovery_flows<C: TestClient>() {
    let emu = emulator();
    let c = registered::<C>(&emu, "cy@example.com", "cy_c_c", "old-pass");
    c.sign_out().unwrap();
    let events = c.record_events();
    assert_eq!(
        auth_code(c.reset_password_for_email("ghost@example.com")),
        "failed_precondition"
    );

    let handle = c.reset_password_for_email("cy@example.com").unwrap();
    assert_eq!(
        body_of(emu.requests_to("/auth/v1/verification").last().unwrap()),
        json!({"email": "cy@example.com", "target": "USER", "usage": "recovery"})
    );
    assert_eq!(
        auth_code(c.complete_password_reset(&handle, "000000", "new-pass")),
        "invalid_argument"
    );
    let creds = c
        .complete_password_reset(
            &handle,
            &emu.last_code("cy@example.com").unwrap(),
            "new-pass",
        )
        .unwrap();
    assert_eq!(creds.scope.as_deref(), Some("user"));
    assert_eq!(
        body_of(&emu.requests_to("/auth/v1/reset")[0])
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect::<Vec<_>>(),
        ["email", "new_password", "verification_token"]
    );
    assert_eq!(
        *events.lock().unwrap(),
        [
            AuthEventKind::InitialSession,
            AuthEventKind::PasswordRecovery,
            AuthEventKind::SignedIn
        ]
    );
    // The v2 steps: getVerification + verify + resetPassword.
    let handle = c
        .get_verification("cy@example.com", VerificationTarget::User)
        .unwrap();
    let token = c
        .verify(&handle, &emu.last_code("cy@example.com").unwrap())
        .unwrap();
    c.reset_password(token, "newer-pass").unwrap();
    c.sign_in_with_password("cy@example.com", "newer-pass")
        .unwrap();
}

pub fn reauthentication_and_contact_binding<C: TestClient>() {
    let emu = emulator();
    let c = registered::<C>(&emu, "di@example.com", "di_d_d", "pass-1");
    let handle = c.reauthenticate().unwrap();
    assert_eq!(handle.contact.as_str(), "di@example.com");
    assert_eq!(
        body_of(emu.requests_to("/auth/v1/verification").last().unwrap()),
        json!({"email": "di@example.com", "usage": "reauthentication"})
    );
    let sudo = c
        .complete_reauthentication(
            &handle,
            &emu.last_code("di@example.com").unwrap(),
            Some("pass-2"),
        )
        .unwrap();
    assert_eq!(
        body_of(emu.requests_to("/auth/v1/user/sudo").last().unwrap())
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect::<Vec<_>>(),
        ["verification_token"]
    );
    c.sign_out().unwrap();
    c.sign_in_with_password("di@example.com", "pass-2").unwrap();

    // Binding a phone: code to the new phone, then PATCH /user/contact with sudo.
    let to_phone = c
        .get_verification("+86 137 0000 2222", VerificationTarget::NotUser)
        .unwrap();
    let proof = c
        .verify(&to_phone, &emu.last_code("+86 13700002222").unwrap())
        .unwrap();
    let before = emu.requests().len();
    assert!(matches!(
        c.bind_email(proof.clone(), &sudo),
        Err(Error::Build(_))
    ));
    assert_eq!(emu.requests().len(), before, "refused unsent");
    let sudo = c.sudo("pass-2").unwrap();
    c.bind_phone_number(proof, &sudo).unwrap();
    let patch = emu.requests_to("/auth/v1/user/contact");
    assert_eq!(patch[0].method, "PATCH");
    assert_eq!(body_of(&patch[0])["phone_number"], "+86 13700002222");
    assert_eq!(
        c.get_user().unwrap().phone_number.as_deref(),
        Some("+86 13700002222")
    );
    // A sudo token from a code of the user's own contact.
    let own = c
        .get_verification("di@example.com", VerificationTarget::User)
        .unwrap();
    let proof = c
        .verify(&own, &emu.last_code("di@example.com").unwrap())
        .unwrap();
    c.sudo_with_verification(&proof).unwrap();
}

pub fn oauth_sign_in_link_and_unlink<C: TestClient>() {
    let emu = emulator();
    let c = C::connect(config_for(emu.base_url()));
    let events = c.record_events();
    let flow = c
        .sign_in_with_oauth("github", "https://app.example/callback")
        .unwrap();
    assert!(flow.state.starts_with("prd-github-"));
    let uri_request = &emu.requests_to("/auth/v1/provider/uri")[0];
    let query = uri_request.query.clone().unwrap();
    assert!(
        query.starts_with(&format!(
            "provider_id=github&state={}&redirect_uri=https%3A%2F%2Fapp.example%2Fcallback",
            flow.state
        )),
        "{query}"
    );
    assert!(query.ends_with("client_id=demo-env"));

    // A forged callback is refused before any request.
    let before = emu.requests().len();
    let forged = OAuthCallback::new("code-x", "prd-github-forged");
    assert!(matches!(
        c.verify_oauth(&flow, forged),
        Err(Error::Build(_))
    ));
    assert_eq!(emu.requests().len(), before);

    let callback = OAuthCallback::from_url(&browse_to_callback(&flow.authorize_url)).unwrap();
    let creds = c.verify_oauth(&flow, callback.clone()).unwrap();
    assert_eq!(creds.scope.as_deref(), Some("user"));
    let grant = body_of(&emu.requests_to("/auth/v1/provider/token")[0]);
    assert_eq!(grant["provider_id"], "github");
    assert_eq!(
        grant["provider_redirect_uri"],
        "https://app.example/callback"
    );
    // A code works once.
    assert_eq!(auth_code(c.verify_oauth(&flow, callback)), "invalid_grant");
    let ids = c.get_user_identities().unwrap();
    assert_eq!(ids.len(), 1);
    assert_eq!(ids[0].id, "github");

    // Link a second identity, list, unlink.
    let link = c
        .link_identity("google", "https://app.example/callback")
        .unwrap();
    let callback = OAuthCallback::from_url(&browse_to_callback(&link.authorize_url)).unwrap();
    c.verify_oauth(&link, callback).unwrap();
    let all = c.get_providers().unwrap();
    assert!(all.iter().all(|p| p.bind), "{all:?}");
    c.unlink_identity("google").unwrap();
    assert_eq!(auth_code(c.unlink_identity("google")), "not_found");
    assert_eq!(c.get_user_identities().unwrap().len(), 1);
    assert_eq!(
        *events.lock().unwrap(),
        [
            AuthEventKind::InitialSession,
            AuthEventKind::SignedIn,
            AuthEventKind::BindIdentity
        ]
    );

    // The same GitHub user signs in again as the same CloudBase user (v2 steps).
    c.sign_out().unwrap();
    let redirect = c
        .gen_provider_redirect_uri("github", "https://app.example/cb", "st-1")
        .unwrap();
    let back = OAuthCallback::from_url(&browse_to_callback(&redirect.uri)).unwrap();
    assert_eq!(back.state, "st-1");
    let token = c
        .grant_provider_token("github", back.code.expose(), "https://app.example/cb")
        .unwrap();
    let again = c.sign_in_with_provider(token).unwrap();
    assert_eq!(again.sub, creds.sub);
    // bind_with_provider (v2): a fresh identity bound to a new anonymous user.
    c.sign_in_anonymously().unwrap();
    let url = c
        .gen_provider_redirect_uri("google", "https://app.example/cb", "st-2")
        .unwrap()
        .uri;
    let back =
        OAuthCallback::from_url(&browse_to_callback(&format!("{url}&login=someone"))).unwrap();
    let token = c
        .grant_provider_token("google", back.code.expose(), "https://app.example/cb")
        .unwrap();
    c.bind_with_provider(token).unwrap();
    assert_eq!(c.get_user_identities().unwrap()[0].id, "google");
    assert!(OAuthCallback::from_url("https://app.example/cb?error=access_denied").is_err());
}

pub fn id_token_and_custom_ticket_sign_in<C: TestClient>() {
    let emu = emulator();
    let c = C::connect(config_for(emu.base_url()));
    let first = c
        .sign_in_with_id_token("google", &emu.fake_id_token("google", "ann"))
        .unwrap();
    let second = c
        .sign_in_with_id_token("google", &emu.fake_id_token("google", "ann"))
        .unwrap();
    assert_eq!(first.sub, second.sub);
    assert_eq!(
        body_of(&emu.requests_to("/auth/v1/provider/token")[0])
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect::<Vec<_>>(),
        ["provider_id", "provider_id_token"]
    );
    assert_eq!(
        auth_code(c.sign_in_with_id_token("github", &emu.fake_id_token("google", "ann"))),
        "invalid_grant"
    );

    let ticket = emu.custom_ticket("user_0001");
    let a = c.sign_in_with_custom_ticket(ticket).unwrap();
    let b = c
        .sign_in_with_custom_ticket(emu.custom_ticket("user_0001"))
        .unwrap();
    assert_eq!(a.sub, b.sub);
    assert_ne!(a.sub, first.sub);
    assert_eq!(
        body_of(&emu.requests_to("/auth/v1/signin/custom")[0])["provider_id"],
        "custom"
    );
    let from_fn = c
        .sign_in_with_custom_ticket_from(Box::new({
            let t = emu.custom_ticket("user_0001");
            move || Ok(t)
        }))
        .unwrap();
    assert_eq!(from_fn.sub, a.sub);
    let before = emu.requests().len();
    assert!(matches!(
        c.sign_in_with_custom_ticket_from(Box::new(|| Err("ticket server down".to_owned()))),
        Err(Error::Build(_))
    ));
    assert_eq!(emu.requests().len(), before);
    assert_eq!(
        auth_code(c.sign_in_with_custom_ticket("bogus/@@/x.y.z".to_owned())),
        "invalid_argument"
    );
}

/// Signs `login` in with a wrong password `n` times.
fn fail_passwords<C: TestClient>(c: &C, login: &str, n: usize) {
    for _ in 0..n {
        assert_eq!(
            auth_code(c.sign_in_with_password(login, "wrong")),
            "invalid_username_or_password"
        );
    }
}

pub fn captcha_after_failed_passwords_with_a_solver<C: TestClient>() {
    let emu = Arc::new(emulator());
    emu.set_captcha_after_failures(2);
    let c = registered::<C>(&emu, "eve@example.com", "eve_e", "right-pass");
    c.sign_out().unwrap();
    fail_passwords(&c, "eve_e", 2);
    let solver_emu = emu.clone();
    c.set_captcha_solver(Box::new(
        move |challenge: &cloudbase_core::auth::CaptchaChallenge| {
            assert_eq!(challenge.image().unwrap().0, "image/gif");
            solver_emu.captcha_answer(challenge.token.expose())
        },
    ));
    let before = emu.requests().len();
    c.sign_in_with_password("eve_e", "right-pass").unwrap();
    let after: Vec<_> = emu.requests()[before..]
        .iter()
        .map(|r| r.path.clone())
        .collect();
    assert_eq!(
        after,
        [
            "/auth/v1/signin",
            "/auth/v1/captcha/data",
            "/auth/v1/captcha/data/verify",
            "/auth/v1/signin"
        ]
    );
    let requests = emu.requests();
    let create = body_of(&requests[before + 1]);
    assert_eq!(
        create,
        json!({"state": "POST:/v1/signin", "redirect_uri": ""})
    );
    let replay = &requests[before + 3];
    let token = replay.header("x-captcha-token").unwrap().to_owned();
    assert!(
        replay
            .query
            .as_deref()
            .unwrap()
            .starts_with(&format!("captcha_token={token}&"))
    );
    assert_eq!(
        replay.body, requests[before].body,
        "the same body is replayed"
    );
    // The solved token is cached until expiry.
    assert_eq!(c.get_captcha_token().unwrap().token.expose(), token);

    // A solver that gives up hands the challenge to the caller.
    c.sign_out().unwrap();
    fail_passwords(&c, "eve_e", 2);
    c.clear_captcha_token();
    c.set_captcha_solver(Box::new(|_: &cloudbase_core::auth::CaptchaChallenge| None));
    assert!(matches!(
        c.sign_in_with_password("eve_e", "right-pass"),
        Err(Error::Captcha(_))
    ));
    // A wrong answer is the server's typed error.
    c.set_captcha_solver(Box::new(|_: &cloudbase_core::auth::CaptchaChallenge| {
        Some("nope".into())
    }));
    assert_eq!(
        auth_code(c.sign_in_with_password("eve_e", "right-pass")),
        "invalid_captcha"
    );
}

pub fn captcha_without_a_solver_returns_the_challenge<C: TestClient>() {
    let emu = emulator();
    emu.set_captcha_after_failures(1);
    let c = registered::<C>(&emu, "fay@example.com", "fay_f", "right-pass");
    c.sign_out().unwrap();
    fail_passwords(&c, "fay_f", 1);
    let challenge = match c.sign_in_with_password("fay_f", "right-pass") {
        Err(Error::Captcha(ch)) => ch,
        other => panic!("{other:?}"),
    };
    assert!(challenge.data_url.starts_with("data:image/gif;base64,"));
    assert!(!format!("{challenge:?}").contains(challenge.token.expose()));
    let answer = emu.captcha_answer(challenge.token.expose()).unwrap();
    let token = c
        .verify_captcha_data(&challenge, &answer.to_lowercase())
        .unwrap();
    let before = emu.requests_to("/auth/v1/signin").len();
    c.sign_in_with_password("fay_f", "right-pass").unwrap();
    let signins = emu.requests_to("/auth/v1/signin");
    assert_eq!(
        signins.len() - before,
        2,
        "captcha_required, then the replay with the cached token"
    );
    assert_eq!(
        signins.last().unwrap().header("x-captcha-token"),
        Some(token.token.expose())
    );
    // get_captcha_token: cached; after clearing, without a solver, the challenge.
    assert_eq!(c.get_captcha_token().unwrap(), token);
    c.clear_captcha_token();
    assert!(matches!(c.get_captcha_token(), Err(Error::Captcha(_))));
    let fresh = c.create_captcha_data().unwrap();
    assert_eq!(
        auth_code(c.verify_captcha_data(&fresh, "zzzz")),
        "invalid_captcha"
    );
    assert_eq!(
        auth_code(c.verify_captcha_data(&fresh, "zzzz")),
        "invalid_captcha",
        "a challenge is answered once"
    );
}

pub fn set_session_get_session_and_scope<C: TestClient>() {
    let emu = emulator();
    let a = registered::<C>(&emu, "gus@example.com", "gus_g", "pass-g");
    let creds = a.session().credentials().cloned().unwrap();
    let b = C::connect(config_for(emu.base_url()));
    assert_eq!(b.get_session().unwrap(), None);
    assert_eq!(b.login_scope(), None);
    assert!(matches!(
        b.get_access_token(),
        Err(Error::Session(SessionError::NotSignedIn))
    ));
    let events = b.record_events();
    let adopted = b
        .set_session(creds.refresh_token.as_ref().unwrap().expose())
        .unwrap();
    assert_eq!(adopted.sub, creds.sub);
    let grant = body_of(emu.requests_to("/auth/v1/token").last().unwrap());
    assert_eq!(grant["grant_type"], "refresh_token");
    assert!(
        grant.get("access_token").is_none(),
        "the access token is not sent"
    );
    assert_eq!(b.get_user().unwrap().sub, creds.sub.clone().unwrap());
    assert_eq!(b.login_scope().as_deref(), Some("user"));
    // A rejected set_session goes to the caller and keeps the session.
    assert_eq!(auth_code(b.set_session("rt-unknown")), "invalid_grant");
    assert!(b.session().credentials().is_some());
    // get_session refreshes a session about to expire, and only then.
    let refreshes = emu.requests_to("/auth/v1/token").len();
    assert_eq!(
        b.get_session().unwrap().unwrap().access_token,
        adopted.access_token
    );
    emu.set_token_lifetime(Duration::from_secs(20));
    b.refresh_session().unwrap();
    emu.set_token_lifetime(Duration::from_secs(7200));
    let fresh = b.get_session().unwrap().unwrap();
    assert_eq!(emu.requests_to("/auth/v1/token").len(), refreshes + 2);
    assert_eq!(b.get_access_token().unwrap(), fresh.access_token);
    assert_eq!(
        *events.lock().unwrap(),
        [
            AuthEventKind::InitialSession,
            AuthEventKind::SignedIn,
            AuthEventKind::TokenRefreshed,
            AuthEventKind::TokenRefreshed
        ]
    );
}

pub fn resend_replaces_the_previous_code<C: TestClient>() {
    let emu = emulator();
    let c = C::connect(config_for(emu.base_url()));
    let first = c.sign_in_with_otp("hal@example.com").unwrap();
    let first_code = emu.last_code("hal@example.com").unwrap();
    let second = c
        .resend(
            "hal@example.com",
            cloudbase_core::auth::ResendPurpose::SignUp,
        )
        .unwrap();
    assert_eq!(
        body_of(emu.requests_to("/auth/v1/verification").last().unwrap()),
        json!({"email": "hal@example.com", "target": "ANY", "usage": "email"})
    );
    assert_eq!(
        auth_code(c.verify_otp(&first, &first_code)),
        "invalid_argument"
    );
    c.verify_otp(&second, &emu.last_code("hal@example.com").unwrap())
        .unwrap();
    c.sign_out().unwrap();
    c.resend(
        "hal@example.com",
        cloudbase_core::auth::ResendPurpose::SignIn,
    )
    .unwrap();
    assert_eq!(
        body_of(emu.requests_to("/auth/v1/verification").last().unwrap())["target"],
        "USER"
    );
    let handle = c
        .get_verification("hal@example.com", VerificationTarget::Any)
        .unwrap();
    let token = c
        .verify(&handle, &emu.last_code("hal@example.com").unwrap())
        .unwrap();
    c.sign_in_with_verification(token).unwrap();
}

/// The security history lists sign-ins with their devices; revoking one device ends
/// only its sessions; revoking everything ends every session, this client's included
/// (`SIGNED_OUT`); the security level is read from the profile.
pub fn account_security_history_and_revocation<C: TestClient>() {
    use cloudbase_core::auth::{
        GetSecurityHistory, RevokeAllSessions, RevokeDevice, SecurityEventKind,
    };
    let emu = emulator();
    let a = registered::<C>(&emu, "sec@example.com", "sec_user", "Passw0rd!");
    let b = C::connect(config_for(emu.base_url()));
    b.sign_in_with_password("sec@example.com", "Passw0rd!")
        .unwrap();
    assert_ne!(a.device_id(), b.device_id());

    let page = a
        .execute(GetSecurityHistory::new(SecurityEventKind::Login).limit(1))
        .unwrap();
    assert_eq!(page.events.len(), 1);
    assert_eq!(
        page.events[0].device_id.as_deref(),
        Some(b.device_id().as_str()),
        "newest first"
    );
    let token = page.next_page_token.clone().expect("a second page");
    let next = a
        .execute(
            GetSecurityHistory::new(SecurityEventKind::Login)
                .limit(10)
                .page_token(token),
        )
        .unwrap();
    assert_eq!(next.events.len(), 1, "{next:?}");
    assert_eq!(
        next.events[0].device_id.as_deref(),
        Some(a.device_id().as_str())
    );
    assert_eq!(next.next_page_token, None);
    let other = a
        .execute(GetSecurityHistory::new(SecurityEventKind::Other))
        .unwrap();
    assert!(
        other.events.is_empty(),
        "the emulator records sign-ins only"
    );
    let sent = emu.requests_to("/auth/v1/user/security/history");
    assert_eq!(
        sent[0].query.as_deref(),
        Some("query%5Baction%5D=USER_LOGIN&limit=1")
    );
    assert!(
        a.execute(GetSecurityHistory::new(SecurityEventKind::Login).limit(0))
            .is_err()
    );

    let level = a.get_user().unwrap().security_level();
    assert!(level.password_set && level.email_verified && !level.phone_bound);
    assert_eq!(level.score(), 2);

    // Revoking B's device ends B's session (its refresh token is gone too), not A's.
    let b_events = b.record_events();
    a.execute(RevokeDevice::new(b.device_id())).unwrap();
    assert!(b.get_user().is_err());
    assert!(b.session().credentials().is_none(), "B is signed out");
    assert!(b_events.lock().unwrap().contains(&AuthEventKind::SignedOut));
    a.get_user().unwrap();

    // Everywhere: B signs in again, A revokes all; both sessions end.
    b.sign_in_with_password("sec@example.com", "Passw0rd!")
        .unwrap();
    let a_events = a.record_events();
    a.execute(RevokeAllSessions::new()).unwrap();
    assert!(a.session().credentials().is_none());
    assert!(a_events.lock().unwrap().contains(&AuthEventKind::SignedOut));
    assert!(b.get_user().is_err());
    let revoke = emu.requests_to("/auth/v1/user/revoke/all");
    assert_eq!(revoke[0].method, "DELETE");
}

/// Official-SDK operations issue 14 listed as missing: HTTP-method function calls,
/// sign-out through a redirect, `emailRedirectTo` on a code request, and
/// `patchProviderToken`.
pub fn http_method_functions_redirect_sign_out_and_provider_patch<C: TestClient>() {
    use cloudbase_core::auth::{
        Contact, GrantProviderToken, PatchProviderToken, SendVerification, SignOutWithRedirect,
    };
    let emu = emulator();
    emu.register_function("http-fn", |req| {
        cloudbase_emulator::FunctionResponse::json(&json!({
            "method": req.method.as_str(),
            "query": req.query,
            "body": String::from_utf8_lossy(&req.body),
        }))
    });
    let c = C::connect(config_for(emu.base_url()));
    c.sign_in_anonymously().unwrap();

    // GET: the data as percent-encoded query parameters, no body (transcript
    // functions/callFunction/method-GET-with-data).
    let op = CallFunction::new("http-fn")
        .unwrap()
        .method(http::Method::GET)
        .data(&json!({"q": "a b", "c": null, "n": 1}))
        .unwrap();
    let seen: serde_json::Value = c.execute(op).unwrap().json().unwrap();
    assert_eq!(seen["method"], "GET");
    assert_eq!(seen["query"], "c=&n=1&q=a%20b");
    assert_eq!(seen["body"], "");
    let op = CallFunction::new("http-fn")
        .unwrap()
        .method(http::Method::PUT)
        .data(&json!({"x": 1}))
        .unwrap();
    let seen: serde_json::Value = c.execute(op).unwrap().json().unwrap();
    assert_eq!(
        (seen["method"].as_str(), seen["body"].as_str()),
        (Some("PUT"), Some(r#"{"x":1}"#))
    );

    // A code request with emailRedirectTo.
    let contact = Contact::parse("redirect@example.com").unwrap();
    let handle = c
        .execute(
            SendVerification::for_sign_in(contact)
                .email_redirect_to("https://app.example.com/welcome"),
        )
        .unwrap();
    assert!(!handle.verification_id.is_empty());
    let sent = emu.requests_to("/auth/v1/verification");
    assert_eq!(
        body_of(sent.last().unwrap())["email_redirect_to"],
        "https://app.example.com/welcome"
    );

    // patchProviderToken: the old token is spent, the new one signs in.
    let token = c
        .execute(GrantProviderToken::id_token(
            "google",
            emu.fake_id_token("google", "pat"),
        ))
        .unwrap();
    let patched = c
        .execute(PatchProviderToken::new(&token).param("provider_code_type", "phone"))
        .unwrap();
    assert_ne!(patched.token.expose(), token.token.expose());
    let patch = emu.requests_to("/auth/v1/provider/token");
    let last = patch.last().unwrap();
    assert_eq!(last.method, "PATCH");
    assert_eq!(
        body_of(last)["provider_params"],
        json!({"provider_code_type": "phone"})
    );
    assert!(
        c.execute(PatchProviderToken::new(&token)).is_err(),
        "the old token is spent"
    );
    c.execute(cloudbase_core::auth::SignInWithProvider::new(patched))
        .unwrap();

    // Sign-out through a redirect: the session ends, the URL comes back.
    let events = c.record_events();
    let back = c
        .execute(SignOutWithRedirect::new(
            "https://app.example.com/bye",
            "bye-1",
        ))
        .unwrap();
    assert_eq!(
        back.as_deref(),
        Some("https://app.example.com/bye?state=bye-1")
    );
    assert!(c.session().credentials().is_none());
    assert!(events.lock().unwrap().contains(&AuthEventKind::SignedOut));
    let out = emu.requests_to("/auth/v1/user/signout");
    assert_eq!(
        body_of(&out[0]),
        json!({"redirect_uri": "https://app.example.com/bye", "state": "bye-1"})
    );
}
