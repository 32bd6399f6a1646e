//! Every end-to-end scenario, written once and run against both adapters
//! (see `tests/adapters.rs`).
#![allow(clippy::unwrap_used, dead_code)]

use std::time::Duration;

use cloudbase_core::functions::CallFunction;
use cloudbase_core::{
    AuthEventKind, BuildError, DecodeError, Error, GatewayErrorCode, ServerCode, TransportErrorKind,
};
use cloudbase_emulator::FaultRule;
use serde_json::json;
use std::sync::{Arc, Mutex};

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
        .idempotent(true);
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
        .idempotent(true);
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
        Error::Build(BuildError::MissingCredential)
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
        Err(Error::Build(BuildError::MissingCredential))
    ));
    assert!(matches!(
        c.get_user(),
        Err(Error::Build(BuildError::NotSignedIn))
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
        matches!(c.sign_out(), Err(Error::Build(BuildError::NotSignedIn))),
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
        Err(Error::Build(BuildError::NotSignedIn))
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
    let handle = c.sign_up("ada@example.com").unwrap();
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
    let handle = c.sign_up("+8613800138000").unwrap();
    let body: serde_json::Value =
        serde_json::from_slice(&emu.requests_to("/auth/v1/verification")[0].body).unwrap();
    assert_eq!(
        body,
        json!({"phone_number": "+86 13800138000"}),
        "normalised; no usage for phones"
    );
    let code = emu.last_code("+86 13800138000").unwrap();
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
    assert!(matches!(c.sign_up("not-an-email@"), Err(Error::Build(_))));
    assert!(matches!(c.sign_up("+86 12ab"), Err(Error::Build(_))));
    assert!(emu.requests().is_empty());

    // A wrong code is the server's typed error; the handle stays usable.
    let handle = c.sign_up("bob@example.com").unwrap();
    match c.verify_otp(&handle, "000000") {
        Err(Error::Server(e)) => {
            assert_eq!(e.code.auth().map(|c| c.as_str()), Some("invalid_argument"))
        }
        other => panic!("{other:?}"),
    }
    // A re-send invalidates the previous code.
    let newer = c.sign_up("bob@example.com").unwrap();
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
    match c.sign_up("bob@example.com") {
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
