//! Verification codes (`/auth/v1/verification`, `/verification/verify`), password
//! sign-in (`/auth/v1/signin`) and sign-up (`/auth/v1/signup`).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::json;

use super::auth::{client_id, consume_proof, sign_in_credentials};
use super::auth_wire::AuthError;
use super::auth_wire::{AuthBody, internal};
use super::{bearer, json_response};
use crate::ids::random_hex;
use crate::store::User;
use crate::{Shared, lock};

/// Codes live this long (docs/protocol/auth.md §5.2: 600 s), and so do verification tokens.
pub(crate) const CODE_LIFETIME: i64 = 600;

fn is_phone(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('+') else {
        return false;
    };
    let Some((cc, national)) = rest.split_once(' ') else {
        return false;
    };
    (1..=3).contains(&cc.len())
        && cc.bytes().all(|b| b.is_ascii_digit())
        && (4..=14).contains(&national.len())
        && national.bytes().all(|b| b.is_ascii_digit())
}

/// The one contact in a body: `email` or `phone_number` (`+CC NNNN`).
pub(crate) fn contact_of(
    body: &serde_json::Map<String, serde_json::Value>,
) -> Result<String, Response> {
    let text = |k: &str| {
        body.get(k)
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
    };
    match (text("email"), text("phone_number")) {
        (Some(e), None) if e.contains('@') => Ok(e.to_owned()),
        (None, Some(p)) if is_phone(p) => Ok(p.to_owned()),
        (None, Some(_)) => Err(AuthError::InvalidArgument
            .answer("phone_number must be \"+CC NNNN\" (country code, a space, the number)")),
        _ => Err(AuthError::InvalidArgument.answer("send exactly one of email or phone_number")),
    }
}

pub(crate) fn hash_password(password: &str) -> Result<String, Response> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    // Small parameters: this is a local emulator, not a production credential store.
    let params = argon2::Params::new(4096, 1, 1, None).map_err(internal)?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut salt_bytes = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut salt_bytes);
    let salt = SaltString::encode_b64(&salt_bytes).map_err(internal)?;
    argon
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(internal)
}

pub(crate) fn password_matches(password: &str, hash: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(hash).is_ok_and(|parsed| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// `POST /auth/v1/verification`: sends a 6-digit code (to the outbox), valid 600 s.
/// A new code to the same contact invalidates the previous one; more than the
/// configured number of codes per contact and window answers `resource_exhausted`.
pub(crate) async fn send_verification(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    AuthBody(body): AuthBody,
) -> Response {
    let contact = match contact_of(&body) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let target = body.get("target").and_then(|v| v.as_str()).unwrap_or("ANY");
    let now = shared.now() as i64;
    let existing = match lock(&shared.store).find_user(&contact) {
        Ok(u) => u,
        Err(e) => return internal(e),
    };
    match target {
        "ANY" => {}
        "USER" if existing.is_none() => {
            return AuthError::FailedPrecondition.answer("no user has this contact");
        }
        "NOT_USER" if existing.is_some() => {
            return AuthError::FailedPrecondition.answer("a user already has this contact");
        }
        "CUR_USER" => match bearer(&headers).map(|t| shared.authenticate(t)) {
            Some(Ok(claims)) if existing.as_ref().is_some_and(|u| u.id == claims.sub) => {}
            _ => {
                return AuthError::Unauthenticated
                    .answer("CUR_USER needs the bearer of the user with this contact");
            }
        },
        "USER" | "NOT_USER" => {}
        other => {
            return AuthError::InvalidArgument.answer(&format!("unknown target {other:?}"));
        }
    }
    let (limit, window) = lock(&shared.settings).verification_limit;
    let sent = match lock(&shared.store).sent_since(&contact, now - window.as_secs() as i64) {
        Ok(n) => n,
        Err(e) => return internal(e),
    };
    if sent >= limit {
        let mut r = json_response(
            StatusCode::TOO_MANY_REQUESTS,
            &json!({"error": "resource_exhausted", "error_code": 8, "error_description": "too many codes sent to this contact; try again later", "retry_after": window.as_secs()}),
        );
        r.headers_mut().insert(
            axum::http::header::RETRY_AFTER,
            axum::http::HeaderValue::from(window.as_secs()),
        );
        return r;
    }
    let id = format!("ver-{}", random_hex(12));
    let code = format!(
        "{:06}",
        rand::Rng::random_range(&mut rand::rng(), 0..1_000_000u32)
    );
    if let Err(e) =
        lock(&shared.store).create_verification(&id, &contact, &code, now, now + CODE_LIFETIME)
    {
        return internal(e);
    }
    json_response(
        StatusCode::OK,
        &json!({"verification_id": id, "expires_in": CODE_LIFETIME, "is_user": existing.is_some()}),
    )
}

/// `POST /auth/v1/verification/verify`: a right, unexpired, unused, latest code gives
/// a verification token (600 s). Every failure is `invalid_argument` (3), as in the
/// SDK's error table (docs/protocol/errors.md §3).
pub(crate) async fn verify(
    State(shared): State<Arc<Shared>>,
    AuthBody(body): AuthBody,
) -> Response {
    let text = |k: &str| body.get(k).and_then(|v| v.as_str());
    let (Some(id), Some(code)) = (text("verification_id"), text("verification_code")) else {
        return AuthError::InvalidArgument
            .answer("verification_id and verification_code are required");
    };
    let now = shared.now() as i64;
    let found = match lock(&shared.store).verification(id) {
        Ok(v) => v,
        Err(e) => return internal(e),
    };
    let reject = |why: &str| AuthError::InvalidArgument.answer(why);
    let Some(v) = found else {
        return reject("unknown verification id");
    };
    if v.used {
        return reject("verification code already used");
    }
    if v.superseded {
        return reject("a newer code was sent; this one no longer works");
    }
    if now >= v.expires_at {
        return reject("verification code expired");
    }
    if v.code != code {
        return reject("verification code is wrong");
    }
    let token = format!("vt-{}", random_hex(16));
    if let Err(e) =
        lock(&shared.store).complete_verification(id, &token, &v.contact, now + CODE_LIFETIME)
    {
        return internal(e);
    }
    json_response(
        StatusCode::OK,
        &json!({"verification_token": token, "expires_in": CODE_LIFETIME}),
    )
}

/// `POST /auth/v1/signin`: `{username, password}` (username, email or phone) or
/// `{verification_token, username?}`.
pub(crate) async fn sign_in(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    AuthBody(body): AuthBody,
) -> Response {
    let text = |k: &str| {
        body.get(k)
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
    };
    let client_id = client_id(&shared, &query);
    let user = match (
        text("verification_token"),
        text("username"),
        text("password"),
    ) {
        (Some(token), _, _) => {
            let contact =
                match lock(&shared.store).consume_verification_token(token, shared.now() as i64) {
                    Ok(Some(c)) => c,
                    Ok(None) => {
                        return AuthError::InvalidArgument
                            .answer("verification token is invalid, used or expired");
                    }
                    Err(e) => return internal(e),
                };
            match lock(&shared.store).find_user(&contact) {
                Ok(Some(u)) => u,
                Ok(None) => {
                    return AuthError::UserNotFound.answer("no user has this contact; sign up");
                }
                Err(e) => return internal(e),
            }
        }
        (None, Some(login), Some(password)) => {
            if let Err(r) = super::captcha::check_password_captcha(&shared, login, &query, &headers)
            {
                return r;
            }
            let found = match lock(&shared.store).find_user(login) {
                Ok(u) => u,
                Err(e) => return internal(e),
            };
            // One answer for "no such user" and "wrong password": no account probing.
            match found {
                Some(u)
                    if u.password_hash
                        .as_deref()
                        .is_some_and(|h| password_matches(password, h)) =>
                {
                    super::captcha::password_succeeded(&shared, login);
                    u
                }
                _ => {
                    super::captcha::password_failed(&shared, login);
                    return AuthError::InvalidUsernameOrPassword
                        .answer("wrong username or password");
                }
            }
        }
        _ => {
            return AuthError::InvalidArgument
                .answer("send {username, password} or {verification_token}");
        }
    };
    match sign_in_credentials(&shared, &user, "user", &client_id, &headers) {
        Ok(creds) => json_response(StatusCode::OK, &creds),
        Err(r) => r,
    }
}

/// `POST /auth/v1/signup`: a verified contact becomes a user.
pub(crate) async fn sign_up(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    AuthBody(body): AuthBody,
) -> Response {
    let contact = match contact_of(&body) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let text = |k: &str| {
        body.get(k)
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
    };
    let Some(token) = text("verification_token") else {
        return AuthError::InvalidArgument.answer("verification_token is required");
    };
    if let Some(u) = text("username")
        && !(2..=48).contains(&u.chars().count())
    {
        return AuthError::InvalidArgument.answer("username must be 2 to 48 characters");
    }
    let now = shared.now() as i64;
    let mut store = lock(&shared.store);
    match store.find_user(&contact) {
        Ok(Some(_)) => {
            return AuthError::FailedPrecondition
                .answer("a user already has this contact; sign in");
        }
        Ok(None) => {}
        Err(e) => return internal(e),
    }
    if let Err(r) = consume_proof(&mut store, token, &contact, now) {
        return r;
    }
    let password_hash = match text("password").map(hash_password).transpose() {
        Ok(h) => h,
        Err(r) => return r,
    };
    let user = User {
        id: format!("u-{}", random_hex(8)),
        kind: "user".to_owned(),
        created_at: now,
        username: text("username").map(str::to_owned),
        email: contact.contains('@').then(|| contact.clone()),
        phone: (!contact.contains('@')).then(|| contact.clone()),
        name: text("name").map(str::to_owned),
        password_hash,
        picture: None,
        gender: None,
        description: None,
    };
    if let Err(e) = store.create_user(&user) {
        return AuthError::AlreadyExists.answer(&format!("could not create the user: {e}"));
    }
    drop(store);
    let client_id = client_id(&shared, &query);
    match sign_in_credentials(&shared, &user, "user", &client_id, &headers) {
        Ok(creds) => json_response(StatusCode::OK, &creds),
        Err(r) => r,
    }
}
