//! `/auth/v1/*`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::json;

use super::{auth_error, bearer, json_response};
use crate::store::{Consumed, User};
use crate::tokens::Claims;
use crate::{Shared, lock};

fn random_hex(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn internal(e: impl std::fmt::Display) -> Response {
    auth_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        13,
        &e.to_string(),
    )
}

/// Issues an access token (JWT) and a refresh token for `user`: the Credentials
/// shape of auth.md §2.
fn issue_credentials(
    shared: &Shared,
    user: &User,
    scope: &str,
    client_id: &str,
) -> Result<serde_json::Value, Response> {
    let now = shared.now();
    let lifetime = lock(&shared.token_lifetime).as_secs();
    let groups = vec![scope.to_owned()];
    let claims = Claims {
        iss: format!("https://{}.api.tcloudbasegateway.com", shared.env_id),
        sub: user.id.clone(),
        aud: client_id.to_owned(),
        scope: scope.to_owned(),
        iat: now,
        exp: now + lifetime,
        groups: groups.clone(),
        project_id: shared.env_id.clone(),
        jti: random_hex(16),
    };
    let access_token = shared.keys.issue(&claims).map_err(internal)?;
    let refresh_token = format!("rt-{}", random_hex(16));
    lock(&shared.store)
        .save_refresh_token(&refresh_token, &user.id, scope, now as i64)
        .map_err(internal)?;
    Ok(json!({
        "token_type": "Bearer",
        "access_token": access_token,
        "refresh_token": refresh_token,
        "expires_in": lifetime,
        "scope": scope,
        "sub": user.id,
        "groups": groups,
    }))
}

/// The body of an auth call: JSON whatever the `Content-Type` (the JS web SDK sends
/// `text/plain`), an empty body counting as `{}`.
fn json_object(body: &Bytes) -> Result<serde_json::Map<String, serde_json::Value>, Response> {
    if body.is_empty() {
        return Ok(serde_json::Map::new());
    }
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        _ => Err(auth_error(
            StatusCode::BAD_REQUEST,
            "invalid_argument",
            3,
            "request body must be a JSON object",
        )),
    }
}

/// `POST /auth/v1/signin/anonymously`: `x-device-id` is required (documented); the
/// same device gets the same anonymous user back.
pub(crate) async fn sign_in_anonymously(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body = match json_object(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    if body.contains_key("provider_token") {
        return auth_error(
            StatusCode::NOT_IMPLEMENTED,
            "unimplemented",
            12,
            "anonymous sign-in with a provider token is not implemented by cloudbase-emulator",
        );
    }
    let Some(device_id) = headers
        .get("x-device-id")
        .and_then(|v| v.to_str().ok())
        .filter(|d| !d.is_empty())
    else {
        return auth_error(
            StatusCode::BAD_REQUEST,
            "invalid_argument",
            3,
            "x-device-id header is required",
        );
    };
    let client_id = query
        .get("client_id")
        .cloned()
        .unwrap_or_else(|| shared.env_id.clone());
    let user = {
        let new_id = format!("anon-{}", random_hex(8));
        match lock(&shared.store).anonymous_user(device_id, new_id, shared.now() as i64) {
            Ok(u) => u,
            Err(e) => return internal(e),
        }
    };
    match issue_credentials(&shared, &user, "anonymous", &client_id) {
        Ok(creds) => json_response(StatusCode::OK, &creds),
        Err(r) => r,
    }
}

/// `GET /auth/v1/user/me`: the signed-in user's profile.
pub(crate) async fn user_me(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let unauthenticated = || {
        auth_error(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            16,
            "access token not correct or expired",
        )
    };
    let Some(token) = bearer(&headers) else {
        return unauthenticated();
    };
    let Ok(claims) = shared.authenticate(token) else {
        return unauthenticated();
    };
    let user = match lock(&shared.store).user(&claims.sub) {
        Ok(Some(u)) => u,
        Ok(None) => {
            return auth_error(
                StatusCode::NOT_FOUND,
                "user_not_found",
                5,
                "user does not exist",
            );
        }
        Err(e) => return internal(e),
    };
    let anonymous = user.kind == "anonymous";
    json_response(
        StatusCode::OK,
        &json!({
            "sub": user.id,
            "user_id": user.id,
            // The JS SDK recognises anonymous users by this name (auth.md §5.4).
            "name": if anonymous { "anonymous" } else { "" },
            "status": "ACTIVE",
            "groups": [{"id": claims.scope}],
            "providers": [],
            "has_password": false,
            "created_from": user.kind,
            "created_at": user.created_at,
        }),
    )
}

/// `POST /auth/v1/token`: the refresh grant, with rotation (every refresh token works
/// once) and reuse detection (presenting a used one revokes all of the user's refresh
/// tokens). Other grant types answer `unsupported_grant_type`.
pub(crate) async fn token(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let body = match json_object(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let text = |k: &str| body.get(k).and_then(|v| v.as_str());
    match text("grant_type") {
        Some("refresh_token") => {}
        Some(_) => {
            return auth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                3,
                "only refresh_token is supported by cloudbase-emulator",
            );
        }
        None => {
            return auth_error(
                StatusCode::BAD_REQUEST,
                "invalid_argument",
                3,
                "grant_type is required",
            );
        }
    }
    let Some(refresh_token) = text("refresh_token").filter(|t| !t.is_empty()) else {
        return auth_error(
            StatusCode::BAD_REQUEST,
            "invalid_argument",
            3,
            "refresh_token is required",
        );
    };
    let client_id = query
        .get("client_id")
        .cloned()
        .or_else(|| text("client_id").map(str::to_owned))
        .unwrap_or_else(|| shared.env_id.clone());
    let consumed = lock(&shared.store).consume_refresh_token(refresh_token);
    let (user_id, scope) = match consumed {
        Ok(Consumed::Valid { user_id, scope }) => (user_id, scope),
        Ok(Consumed::Unknown) => {
            return auth_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                3,
                "refresh token is invalid or expired",
            );
        }
        Ok(Consumed::Reused) => {
            return auth_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                3,
                "refresh token was already used; all refresh tokens of this user are revoked",
            );
        }
        Err(e) => return internal(e),
    };
    let user = match lock(&shared.store).user(&user_id) {
        Ok(Some(u)) => u,
        Ok(None) => {
            return auth_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                3,
                "user no longer exists",
            );
        }
        Err(e) => return internal(e),
    };
    match issue_credentials(&shared, &user, &scope, &client_id) {
        Ok(creds) => json_response(StatusCode::OK, &creds),
        Err(r) => r,
    }
}

/// `POST /auth/v1/revoke` `{token}`: revokes the access token and every refresh token
/// of its user (sign-out). An unknown token is still a success (RFC 7009 §2.2).
pub(crate) async fn revoke(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let body = match json_object(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Some(token) = body.get("token").and_then(|v| v.as_str()) else {
        return auth_error(
            StatusCode::BAD_REQUEST,
            "invalid_argument",
            3,
            "token is required",
        );
    };
    if let Ok(claims) = shared.authenticate(token) {
        let mut store = lock(&shared.store);
        if let Err(e) = store
            .revoke_access_token(token)
            .and_then(|()| store.revoke_refresh_tokens(&claims.sub).map(|_| ()))
        {
            return internal(e);
        }
    }
    json_response(StatusCode::OK, &json!({}))
}
