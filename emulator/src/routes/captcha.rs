//! Image captcha (docs/protocol/auth.md §5.3), and the rule that asks for one after repeated
//! failed password sign-ins.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::json;

use super::auth_wire::AuthBody;
use super::auth_wire::AuthError;
use super::json_response;
use crate::ids::random_hex;
use crate::{Shared, lock};

/// A 1×1 GIF: the emulator's "image" (the answer is read through a test hook).
const PIXEL_GIF: &str = "R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7";
const CHALLENGE_LIFETIME: i64 = 300;
const TOKEN_LIFETIME: i64 = 600;

/// `POST /auth/v1/captcha/data {state, redirect_uri}` → `{data, type, token, expires_in}`.
pub(crate) async fn create(
    State(shared): State<Arc<Shared>>,
    AuthBody(_body): AuthBody,
) -> Response {
    let token = format!("cc-{}", random_hex(12));
    let answer: String = random_hex(3)
        .chars()
        .take(4)
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let expires_at = shared.now() as i64 + CHALLENGE_LIFETIME;
    lock(&shared.auth)
        .captcha_challenges
        .insert(token.clone(), (answer, expires_at));
    json_response(
        StatusCode::OK,
        &json!({"data": format!("data:image/gif;base64,{PIXEL_GIF}"), "type": "image", "token": token, "expires_in": CHALLENGE_LIFETIME}),
    )
}

/// `POST /auth/v1/captcha/data/verify {token, key}` → `{captcha_token, expires_in}`.
/// A challenge is answered once, right or wrong (the SDK dialog then fetches a new
/// image); the answer is case-insensitive.
pub(crate) async fn verify(
    State(shared): State<Arc<Shared>>,
    AuthBody(body): AuthBody,
) -> Response {
    let text = |k: &str| body.get(k).and_then(|v| v.as_str()).unwrap_or_default();
    let now = shared.now() as i64;
    let mut auth = lock(&shared.auth);
    let Some((answer, expires_at)) = auth.captcha_challenges.remove(text("token")) else {
        return AuthError::InvalidCaptcha.answer("unknown or already answered captcha");
    };
    if expires_at <= now {
        return AuthError::CaptchaExpired.answer("the captcha expired");
    }
    if !answer.eq_ignore_ascii_case(text("key").trim()) {
        return AuthError::InvalidCaptcha.answer("wrong captcha answer");
    }
    let token = format!("ct-{}", random_hex(16));
    auth.captcha_tokens
        .insert(token.clone(), now + TOKEN_LIFETIME);
    json_response(
        StatusCode::OK,
        &json!({"captcha_token": token, "expires_in": TOKEN_LIFETIME}),
    )
}

/// Before a password sign-in: once `login` failed the configured number of times,
/// a valid captcha token must come with the call (`captcha_token` query parameter,
/// as the JS SDK sends it, or the `x-captcha-token` header, as the docs say).
pub(crate) fn check_password_captcha(
    shared: &Shared,
    login: &str,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
) -> Result<(), Response> {
    let auth = lock(&shared.auth);
    let failures = auth.failed_passwords.get(login).copied().unwrap_or(0);
    if failures < auth.captcha_after_failures {
        return Ok(());
    }
    let token = query
        .get("captcha_token")
        .map(String::as_str)
        .or_else(|| headers.get("x-captcha-token").and_then(|v| v.to_str().ok()));
    let now = shared.now() as i64;
    match token {
        None => Err(AuthError::CaptchaRequired.answer("too many failed attempts: solve a captcha")),
        Some(t) if auth.captcha_tokens.get(t).is_some_and(|exp| *exp > now) => Ok(()),
        Some(_) => Err(AuthError::CaptchaInvalid.answer("the captcha token is invalid or expired")),
    }
}

/// Counts a failed password for `login`.
pub(crate) fn password_failed(shared: &Shared, login: &str) {
    *lock(&shared.auth)
        .failed_passwords
        .entry(login.to_owned())
        .or_insert(0) += 1;
}

/// A successful sign-in clears the count.
pub(crate) fn password_succeeded(shared: &Shared, login: &str) {
    lock(&shared.auth).failed_passwords.remove(login);
}

/// `GET /__emulator/captcha?token=`: the answer of a challenge (for tests in other
/// languages).
pub(crate) async fn answer(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let answer = query.get("token").and_then(|t| {
        lock(&shared.auth)
            .captcha_challenges
            .get(t)
            .map(|(a, _)| a.clone())
    });
    match answer {
        Some(a) => json_response(StatusCode::OK, &json!({"answer": a})),
        None => json_response(
            StatusCode::NOT_FOUND,
            &json!({"message": "no such challenge"}),
        ),
    }
}
