//! A backend against the emulator: server credentials, custom-login tickets,
//! verifying users' access tokens.

use std::time::Duration;

use cloudbase_core::TokenError;
use cloudbase_core::backend::{CustomLoginKey, KeySet};
use serde_json::json;

use super::*;

fn server_config(emu: &cloudbase_emulator::Emulator) -> ConfigBuilder {
    let (id, key) = emu.server_secret();
    config_for(emu.base_url()).server_secret(id, key)
}

/// Runs `calls` function calls on `threads` threads at once; every one must succeed.
fn concurrent_calls<C: TestClient + Sync>(c: &C, threads: usize, calls: usize) {
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                for _ in 0..calls / threads {
                    c.call_function("echo", &json!({"n": 1})).unwrap();
                }
            });
        }
    });
}

pub fn server_credentials_are_exchanged_once_and_renewed_once_under_load<C: TestClient + Sync>() {
    let emu = emulator();
    let c = C::connect(server_config(&emu));
    concurrent_calls(&c, 50, 200);
    let exchanges = emu.requests_to("/auth/v1/token/clientCredential");
    assert_eq!(exchanges.len(), 1, "one token for 200 concurrent calls");
    let (id, key) = emu.server_secret();
    use base64::Engine as _;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{id}:{key}"));
    assert_eq!(
        exchanges[0].header("authorization"),
        Some(format!("Basic {basic}").as_str())
    );
    let calls = emu.requests_to("/v1/functions/echo");
    assert_eq!(calls.len(), 200);
    let bearer = calls[0].header("authorization").unwrap().to_owned();
    assert!(
        calls
            .iter()
            .all(|r| r.header("authorization") == Some(bearer.as_str()))
    );

    // Proactive renewal: the next token lives 20 s, inside the 30 s margin, so the
    // first call after it renews it; the 200 calls beside that one wait and share it.
    emu.clear_requests();
    emu.set_server_token_lifetime(Duration::from_secs(20));
    let c = C::connect(server_config(&emu));
    c.call_function("echo", &json!({})).unwrap();
    emu.set_server_token_lifetime(Duration::from_secs(7200));
    concurrent_calls(&c, 50, 200);
    assert_eq!(
        emu.requests_to("/auth/v1/token/clientCredential").len(),
        2,
        "one exchange, then one renewal for all 200 calls"
    );

    // Rejection: the emulator's clock jumps past the token's expiry; every call is
    // answered ACCESS_TOKEN_EXPIRED once, and one new token serves all replays.
    emu.clear_requests();
    emu.set_clock_offset(7300);
    concurrent_calls(&c, 50, 200);
    assert_eq!(emu.requests_to("/auth/v1/token/clientCredential").len(), 1);
    emu.set_clock_offset(0);
}

pub fn a_wrong_server_secret_is_the_servers_error<C: TestClient>() {
    let emu = emulator();
    let c = C::connect(config_for(emu.base_url()).server_secret("AKIDwrong", "nope"));
    let e = c.call_function("echo", &json!({})).unwrap_err();
    assert_eq!(
        e.auth_code(),
        Some(&cloudbase_core::AuthErrorCode::Unauthenticated),
        "{e:?}"
    );
    assert!(
        emu.requests_to("/v1/functions/echo").is_empty(),
        "no call without a token"
    );
    assert!(!format!("{e:?} {e}").contains("nope"));
}

pub fn a_ticket_minted_with_the_sdk_signs_a_client_in_as_the_uid<C: TestClient>() {
    let emu = emulator();
    let backend = C::connect(server_config(&emu));
    let key = CustomLoginKey::from_json(&emu.custom_login_key()).unwrap();
    let ticket = backend.create_ticket(&key, "shop-user-42").unwrap();
    assert!(ticket.expose().starts_with(key.private_key_id()));
    assert!(emu.requests().is_empty(), "minting sends nothing");
    assert!(matches!(
        backend.create_ticket(&key, "x"),
        Err(Error::Token(TokenError::InvalidUid(_)))
    ));

    let app = C::connect(config_for(emu.base_url()));
    app.sign_in_with_custom_ticket(ticket.expose().to_owned())
        .unwrap();
    assert_eq!(app.get_claims().unwrap().sub(), Some("shop-user-42"));
    // The backend verifies the token the app now holds.
    let token = app.session().credentials().unwrap().access_token.clone();
    let verified = backend.verify_access_token(token.expose()).unwrap();
    assert_eq!(verified.sub, "shop-user-42");
    assert!(!verified.anonymous);
}

pub fn a_backend_verifies_ten_thousand_tokens_with_one_key_fetch<C: TestClient + Sync>() {
    let emu = emulator();
    let app = C::connect(config_for(emu.base_url()));
    app.sign_in_anonymously().unwrap();
    let token = app.session().credentials().unwrap().access_token.clone();
    let backend = C::connect(config_for(emu.base_url()));
    std::thread::scope(|s| {
        for _ in 0..20 {
            s.spawn(|| {
                for _ in 0..500 {
                    let claims = backend.verify_access_token(token.expose()).unwrap();
                    assert!(claims.anonymous);
                }
            });
        }
    });
    assert_eq!(emu.requests_to("/auth/v1/certs").len(), 1);

    // Rotation: a token from the new key refetches once; the old token still passes
    // while its key is listed, and fails once the key is retired. (The refetch
    // interval, 30 s by default, counts from the last fetch: this backend sets none.)
    let backend = C::connect(config_for(emu.base_url()).token_verification(
        cloudbase_core::config::VerificationOptions::new().refetch_interval(Duration::ZERO),
    ));
    backend.verify_access_token(token.expose()).unwrap();
    let new_kid = emu.rotate_signing_key();
    let fresh = C::connect(config_for(emu.base_url()));
    fresh.sign_in_anonymously().unwrap();
    let rotated = fresh.session().credentials().unwrap().access_token.clone();
    emu.clear_requests();
    let claims = backend.verify_access_token(rotated.expose()).unwrap();
    assert_eq!(claims.key_id, new_kid);
    assert_eq!(emu.requests_to("/auth/v1/certs").len(), 1, "one refetch");
    backend.verify_access_token(token.expose()).unwrap();
    assert_eq!(emu.requests_to("/auth/v1/certs").len(), 1);

    emu.retire_old_signing_keys();
    let refusing = C::connect(config_for(emu.base_url()));
    let e = refusing.verify_access_token(token.expose()).unwrap_err();
    assert!(
        matches!(e, Error::Token(TokenError::UnknownKey(_))),
        "{e:?}"
    );
    refusing.verify_access_token(rotated.expose()).unwrap();
}

pub fn verification_refuses_forgeries_and_works_offline<C: TestClient>() {
    let emu = emulator();
    let app = C::connect(config_for(emu.base_url()));
    app.sign_in_anonymously().unwrap();
    let token = app.session().credentials().unwrap().access_token.clone();
    let backend = C::connect(config_for(emu.base_url()));
    // A tampered payload.
    let parts: Vec<&str> = token.expose().split('.').collect();
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut claims: serde_json::Value =
        serde_json::from_slice(&b64.decode(parts[1]).unwrap()).unwrap();
    claims["scope"] = json!("admin");
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        b64.encode(claims.to_string()),
        parts[2]
    );
    assert!(matches!(
        backend.verify_access_token(&forged),
        Err(Error::Token(TokenError::Signature))
    ));
    // A token of another environment's emulator.
    let other = cloudbase_emulator::Emulator::builder()
        .env_id("other-env")
        .start()
        .unwrap();
    let stranger = C::connect(
        cloudbase_core::Config::builder("other-env")
            .base_url(other.base_url())
            .retry(fast_retry()),
    );
    stranger.sign_in_anonymously().unwrap();
    let foreign = stranger
        .session()
        .credentials()
        .unwrap()
        .access_token
        .clone();
    assert!(backend.verify_access_token(foreign.expose()).is_err());

    // Offline: the key set given by the caller; nothing is fetched.
    let jwks = emu.jwks();
    let offline = C::connect(config_for(&refused_base_url()));
    offline.use_key_set(KeySet::from_jwks(jwks.as_bytes()).unwrap());
    assert_eq!(
        offline.verify_access_token(token.expose()).unwrap().sub,
        app.get_claims().unwrap().sub().unwrap()
    );
}

pub fn introspection_says_active_then_inactive_after_sign_out<C: TestClient>() {
    let emu = emulator();
    let app = C::connect(config_for(emu.base_url()));
    app.sign_in_anonymously().unwrap();
    let token = app.session().credentials().unwrap().access_token.clone();
    let backend = C::connect(server_config(&emu));
    let answer = backend.introspect_token(token.expose()).unwrap();
    assert!(answer.active);
    assert_eq!(answer.sub.as_deref(), app.get_claims().unwrap().sub());
    let r = &emu.requests_to("/auth/v1/token/introspect")[0];
    assert!(
        r.header("authorization")
            .is_some_and(|a| a.starts_with("Basic "))
    );
    app.sign_out().unwrap();
    assert!(!backend.introspect_token(token.expose()).unwrap().active);
    assert!(backend.introspect_token("").is_err());
}
