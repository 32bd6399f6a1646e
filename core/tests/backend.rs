//! Tickets, token verification and the key-set cache, on fixed keys and a virtual
//! clock: no network, no sleeping.
#![cfg(feature = "backend")]
#![allow(clippy::unwrap_used, missing_docs)]

use std::time::{Duration, SystemTime};

use base64::Engine as _;
use cloudbase_core::backend::{
    Audience, CustomLoginKey, KeyCache, KeyDecision, KeySet, TicketOptions, VerifyAccessToken,
    create_ticket, verify_token,
};
use cloudbase_core::config::VerificationOptions;
use cloudbase_core::{Call, ClientState, Config, Error, Step, TokenError, TransportError};
use rand::SeedableRng;
use serde_json::json;

const KEY_A: &str = include_str!("data/test_rsa_a.pem");
const KEY_B: &str = include_str!("data/test_rsa_b.pem");
const PUB_A: &str = include_str!("data/test_rsa_a.pub.pem");
const JWKS_A: &str = include_str!("data/jwks_a.json");
const JWKS_AB: &str = include_str!("data/jwks_ab.json");
const KEY_FILE: &str = include_str!("data/custom_login_key.json");

fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn unb64(part: &str) -> serde_json::Value {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// An access token as the service issues: RS256 with a kid.
fn token(pem: &str, kid: &str, claims: &serde_json::Value) -> String {
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some(kid.to_owned());
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap();
    jsonwebtoken::encode(&header, claims, &key).unwrap()
}

fn claims_at(now: SystemTime) -> serde_json::Value {
    let s = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    json!({
        "iss": "https://demo-env.api.tcloudbasegateway.com",
        "sub": "user-1", "aud": "demo-env", "scope": "user", "groups": ["user"],
        "project_id": "demo-env", "iat": s, "exp": s + 7200,
        "email": "a@example.com",
    })
}

fn audience() -> Audience<'static> {
    Audience {
        env_id: "demo-env",
        client_id: "demo-env",
    }
}

fn verify(token: &str, keys: &KeySet, now: SystemTime) -> Result<serde_json::Value, TokenError> {
    verify_token(token, keys, audience(), &VerificationOptions::new(), now)
        .map(|c| serde_json::Value::Object(c.raw))
}

// --- tickets -------------------------------------------------------------------

#[test]
fn a_ticket_for_fixed_inputs_decodes_to_exactly_the_documented_payload() {
    let key = CustomLoginKey::from_json(KEY_FILE).unwrap();
    let ticket = create_ticket(&key, "demo-env", "user-42", &TicketOptions::new(), t0()).unwrap();
    let (kid, jwt) = ticket.expose().split_once("/@@/").unwrap();
    assert_eq!(kid, "key-id-1");
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3);
    assert_eq!(unb64(parts[0]), json!({"typ": "JWT", "alg": "RS256"}));
    let iat: u64 = 1_700_000_000_000;
    assert_eq!(
        unb64(parts[1]),
        json!({
            "alg": "RS256", "env": "demo-env", "iat": iat, "exp": iat + 600_000,
            "uid": "user-42", "refresh": 3_600_000, "expire": iat + 7 * 24 * 3600 * 1000,
        })
    );
    // RS256 (PKCS#1 v1.5) is deterministic: the same inputs give the same bytes, and
    // the signature verifies with the public half.
    let again = create_ticket(&key, "demo-env", "user-42", &TicketOptions::new(), t0()).unwrap();
    assert_eq!(ticket.expose(), again.expose());
    let public = jsonwebtoken::DecodingKey::from_rsa_pem(PUB_A.as_bytes()).unwrap();
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    v.validate_exp = false;
    v.required_spec_claims.clear();
    jsonwebtoken::decode::<serde_json::Value>(jwt, &public, &v).unwrap();
}

#[test]
fn ticket_options_set_refresh_and_expire_in_milliseconds() {
    let key = CustomLoginKey::from_json(KEY_FILE).unwrap();
    let options = TicketOptions::new()
        .refresh(Duration::from_secs(60))
        .expire_at(t0() + Duration::from_secs(3600));
    let ticket = create_ticket(&key, "demo-env", "user-42", &options, t0()).unwrap();
    let jwt = ticket.expose().split_once("/@@/").unwrap().1;
    let payload = unb64(jwt.split('.').nth(1).unwrap());
    assert_eq!(payload["refresh"], 60_000);
    assert_eq!(payload["expire"], 1_700_003_600_000u64);
}

#[test]
fn tickets_outside_the_rules_are_refused_unsigned() {
    let key = CustomLoginKey::from_json(KEY_FILE).unwrap();
    let make = |uid: &str| create_ticket(&key, "demo-env", uid, &TicketOptions::new(), t0());
    for bad in [
        "abc",
        &"a".repeat(33),
        "has space",
        "semi;colon",
        "用户用户",
        "quote\"x",
    ] {
        assert!(
            matches!(make(bad), Err(TokenError::InvalidUid(_))),
            "{bad:?} accepted"
        );
    }
    for good in [
        "abcd",
        &"a".repeat(32),
        "a_b-c#d@e~f=g*h(i)",
        "j{k}l[m]n:o.p,q<r>s+t",
    ] {
        assert!(make(good).is_ok(), "{good:?} refused");
    }
    assert!(matches!(
        create_ticket(&key, "other-env", "user-42", &TicketOptions::new(), t0()),
        Err(TokenError::KeyForAnotherEnvironment { .. })
    ));
    let past = TicketOptions::new().expire_at(t0() - Duration::from_secs(1));
    assert!(matches!(
        create_ticket(&key, "demo-env", "user-42", &past, t0()),
        Err(TokenError::InvalidTime(_))
    ));
}

#[test]
fn a_key_file_that_is_not_one_is_an_error_and_debug_hides_the_key() {
    assert!(matches!(
        CustomLoginKey::from_json("{}"),
        Err(TokenError::InvalidKey(_))
    ));
    let no_pem = json!({"private_key_id": "k", "private_key": "nope", "env_id": "e"});
    assert!(matches!(
        CustomLoginKey::from_json(&no_pem.to_string()),
        Err(TokenError::InvalidKey(_))
    ));
    let key = CustomLoginKey::from_json(KEY_FILE).unwrap();
    let shown = format!("{key:?}");
    assert!(
        !shown.contains("PRIVATE KEY") && !shown.contains("MII"),
        "{shown}"
    );
}

// --- verification ----------------------------------------------------------------

#[test]
fn a_valid_token_yields_typed_claims() {
    let keys = KeySet::from_jwks(JWKS_A.as_bytes()).unwrap();
    let t = token(KEY_A, "key-a", &claims_at(t0()));
    let claims = verify_token(&t, &keys, audience(), &VerificationOptions::new(), t0()).unwrap();
    assert_eq!(claims.sub, "user-1");
    assert_eq!(claims.scope, ["user"]);
    assert_eq!(claims.groups, ["user"]);
    assert!(!claims.anonymous);
    assert_eq!(claims.email.as_deref(), Some("a@example.com"));
    assert_eq!(claims.key_id, "key-a");
    assert_eq!(claims.expires_at, t0() + Duration::from_secs(7200));
    // The same key given as PEM verifies the same token.
    let pem = KeySet::from_pem("key-a", PUB_A.as_bytes()).unwrap();
    assert!(verify(&t, &pem, t0()).is_ok());
}

#[test]
fn alg_none_is_refused() {
    let keys = KeySet::from_jwks(JWKS_A.as_bytes()).unwrap();
    let header = b64(br#"{"alg":"none","kid":"key-a"}"#);
    let payload = b64(claims_at(t0()).to_string().as_bytes());
    let t = format!("{header}.{payload}.");
    assert_eq!(
        verify(&t, &keys, t0()),
        Err(TokenError::Algorithm("none".into()))
    );
}

#[test]
fn hs256_signed_with_the_public_key_as_secret_is_refused() {
    let keys = KeySet::from_jwks(JWKS_A.as_bytes()).unwrap();
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    header.kid = Some("key-a".into());
    let forged = jsonwebtoken::encode(
        &header,
        &claims_at(t0()),
        &jsonwebtoken::EncodingKey::from_secret(PUB_A.as_bytes()),
    )
    .unwrap();
    assert_eq!(
        verify(&forged, &keys, t0()),
        Err(TokenError::Algorithm("HS256".into()))
    );
}

#[test]
fn a_wrong_kid_a_missing_kid_and_another_key_are_refused() {
    let keys = KeySet::from_jwks(JWKS_A.as_bytes()).unwrap();
    let unknown = token(KEY_A, "key-z", &claims_at(t0()));
    assert_eq!(
        verify(&unknown, &keys, t0()),
        Err(TokenError::UnknownKey("key-z".into()))
    );
    // Signed by key B but naming key A.
    let swapped = token(KEY_B, "key-a", &claims_at(t0()));
    assert_eq!(verify(&swapped, &keys, t0()), Err(TokenError::Signature));
    let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(KEY_A.as_bytes()).unwrap();
    let no_kid = jsonwebtoken::encode(&header, &claims_at(t0()), &key).unwrap();
    assert_eq!(verify(&no_kid, &keys, t0()), Err(TokenError::MissingKeyId));
}

#[test]
fn expiry_not_before_and_issued_at_honour_the_leeway() {
    let keys = KeySet::from_jwks(JWKS_A.as_bytes()).unwrap();
    let t = token(KEY_A, "key-a", &claims_at(t0()));
    let exp = t0() + Duration::from_secs(7200);
    assert!(
        verify(&t, &keys, exp + Duration::from_secs(59)).is_ok(),
        "within leeway"
    );
    assert_eq!(
        verify(&t, &keys, exp + Duration::from_secs(60)),
        Err(TokenError::Expired)
    );
    let mut future = claims_at(t0() + Duration::from_secs(120));
    let early = token(KEY_A, "key-a", &future);
    assert_eq!(verify(&early, &keys, t0()), Err(TokenError::IssuedInFuture));
    future["iat"] = json!(1_700_000_000u64);
    future["nbf"] = json!(1_700_000_120u64);
    let not_yet = token(KEY_A, "key-a", &future);
    assert_eq!(verify(&not_yet, &keys, t0()), Err(TokenError::NotYetValid));
}

#[test]
fn a_token_for_another_environment_is_refused() {
    let keys = KeySet::from_jwks(JWKS_A.as_bytes()).unwrap();
    for (claim, value) in [
        ("project_id", "other-env"),
        ("aud", "other-env"),
        ("iss", "https://other-env.api.tcloudbasegateway.com"),
    ] {
        let mut c = claims_at(t0());
        c[claim] = json!(value);
        let t = token(KEY_A, "key-a", &c);
        assert!(
            matches!(verify(&t, &keys, t0()), Err(TokenError::WrongEnvironment { claim: c, .. }) if c == claim),
            "{claim}"
        );
    }
}

#[test]
fn a_tampered_payload_is_refused() {
    let keys = KeySet::from_jwks(JWKS_A.as_bytes()).unwrap();
    let t = token(KEY_A, "key-a", &claims_at(t0()));
    let parts: Vec<&str> = t.split('.').collect();
    let mut c = claims_at(t0());
    c["sub"] = json!("admin");
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        b64(c.to_string().as_bytes()),
        parts[2]
    );
    assert_eq!(verify(&forged, &keys, t0()), Err(TokenError::Signature));
    assert!(matches!(
        verify("not.a-token", &keys, t0()),
        Err(TokenError::Malformed(_))
    ));
}

// --- the key-set cache -------------------------------------------------------------

#[test]
fn cache_decisions_follow_age_unknown_kids_and_failures() {
    let options = VerificationOptions::new();
    let mut cache = KeyCache::default();
    assert!(matches!(
        cache.decide(t0(), "key-a", &options),
        KeyDecision::Fetch
    ));
    cache.fetched(KeySet::from_jwks(JWKS_A.as_bytes()).unwrap(), t0());
    let at = |s: u64| t0() + Duration::from_secs(s);
    assert!(
        matches!(
            cache.decide(at(599), "key-a", &options),
            KeyDecision::Use(_)
        ),
        "fresh"
    );
    assert!(
        matches!(cache.decide(at(600), "key-a", &options), KeyDecision::Fetch),
        "stale"
    );
    // An unknown kid refetches, but at most once per refetch interval (30 s), counted
    // from the last fetch.
    assert!(
        matches!(cache.decide(at(10), "key-b", &options), KeyDecision::Use(_)),
        "rate-limited"
    );
    assert!(matches!(
        cache.decide(at(40), "key-b", &options),
        KeyDecision::Fetch
    ));
    cache.fetch_failed(at(40), "down".into(), &options);
    assert!(
        matches!(cache.decide(at(50), "key-b", &options), KeyDecision::Use(_)),
        "rate-limited"
    );
    assert!(matches!(
        cache.decide(at(70), "key-b", &options),
        KeyDecision::Fetch
    ));
    // A failed refetch of a stale set keeps verifying for `stale_for` (1 h) past its age.
    assert!(
        cache
            .fetch_failed(at(700), "down".into(), &options)
            .is_some()
    );
    assert!(matches!(
        cache.decide(at(710), "key-a", &options),
        KeyDecision::Use(_)
    ));
    assert!(
        cache
            .fetch_failed(at(600 + 3600), "down".into(), &options)
            .is_none()
    );
    assert!(matches!(
        cache.decide(at(600 + 3610), "key-a", &options),
        KeyDecision::Unavailable
    ));
}

fn state() -> ClientState {
    ClientState::new(
        Config::builder("demo-env").build().unwrap(),
        Box::new(rand::rngs::StdRng::seed_from_u64(1)),
    )
}

fn jwks_response(body: &str) -> http::Response<Vec<u8>> {
    http::Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(body.as_bytes().to_vec())
        .unwrap()
}

/// Drives one verification; `answer` is given each request the call sends.
fn drive(
    st: &mut ClientState,
    now: SystemTime,
    token: &str,
    mut answer: impl FnMut(&http::Request<Vec<u8>>) -> Result<http::Response<Vec<u8>>, TransportError>,
) -> (
    Result<cloudbase_core::backend::VerifiedClaims, Error>,
    usize,
) {
    let mut call = Call::new(VerifyAccessToken::new(token));
    let mut sent = 0;
    let mut clock = now;
    loop {
        match call.poll(st, clock) {
            Step::Send(req) => {
                sent += 1;
                assert_eq!(req.uri().path(), "/auth/v1/certs");
                match answer(&req) {
                    Ok(resp) => call.on_response(clock, resp),
                    Err(e) => call.on_failure(e),
                }
            }
            Step::Sleep(until) => clock = until,
            Step::Done(result) => return (result, sent),
            other => panic!("unexpected {other:?}"),
        }
    }
}

#[test]
fn the_driver_fetches_once_then_verifies_from_the_cache() {
    let mut st = state();
    let t = token(KEY_A, "key-a", &claims_at(t0()));
    let (first, sent) = drive(&mut st, t0(), &t, |_| Ok(jwks_response(JWKS_A)));
    assert_eq!(first.unwrap().sub, "user-1");
    assert_eq!(sent, 1);
    for _ in 0..100 {
        let (again, sent) = drive(&mut st, t0() + Duration::from_secs(5), &t, |_| {
            panic!("fetched with a fresh cache")
        });
        assert!(again.is_ok());
        assert_eq!(sent, 0);
    }
    // A rotation: a token with the new kid refetches once and verifies.
    let rotated = token(KEY_B, "key-b", &claims_at(t0()));
    let (r, sent) = drive(&mut st, t0() + Duration::from_secs(40), &rotated, |_| {
        Ok(jwks_response(JWKS_AB))
    });
    assert_eq!(r.unwrap().key_id, "key-b");
    assert_eq!(sent, 1);
    // Refused tokens send nothing.
    let (r, sent) = drive(&mut st, t0(), "a.b", |_| panic!("sent"));
    assert!(matches!(r, Err(Error::Token(TokenError::Malformed(_)))));
    assert_eq!(sent, 0);
}

#[test]
fn a_failed_refetch_keeps_verifying_with_the_cached_set() {
    let mut st = state();
    let t = token(KEY_A, "key-a", &claims_at(t0()));
    drive(&mut st, t0(), &t, |_| Ok(jwks_response(JWKS_A)))
        .0
        .unwrap();
    // Stale after 10 minutes; the refetch fails (a 500, retried, then given up).
    let later = t0() + Duration::from_secs(700);
    let (r, sent) = drive(&mut st, later, &t, |_| {
        Ok(http::Response::builder()
            .status(500)
            .body(br#"{"error":"internal","error_description":"down"}"#.to_vec())
            .unwrap())
    });
    assert!(r.is_ok(), "{r:?}");
    assert!(sent >= 1);
    // No key set at all and the fetch failing: a typed, retryable error.
    let mut empty = state();
    let (r, _) = drive(&mut empty, t0(), &t, |_| Ok(jwks_response("not json")));
    let e = r.unwrap_err();
    assert!(
        matches!(e, Error::Token(TokenError::KeysUnavailable(_))),
        "{e:?}"
    );
    assert!(e.is_retryable());
}
