//! Every end-to-end scenario, written once and run against both adapters
//! (see `tests/adapters.rs`).
#![allow(clippy::unwrap_used, dead_code)]

use std::time::Duration;

use cloudbase_core::functions::CallFunction;
use cloudbase_core::{
    BuildError, DecodeError, Error, GatewayErrorCode, ServerCode, TransportErrorKind,
};
use cloudbase_emulator::FaultRule;
use serde_json::json;

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

pub fn an_expired_token_is_reported_as_access_token_expired<C: TestClient>() {
    let (emu, c) = signed_in::<C>();
    emu.set_clock_offset(3 * 3600);
    match c.call_function("echo", &json!({})).unwrap_err() {
        Error::Server(e) => {
            assert_eq!(
                e.code,
                ServerCode::Gateway(GatewayErrorCode::AccessTokenExpired)
            );
            assert_eq!(e.status.as_u16(), 401);
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
