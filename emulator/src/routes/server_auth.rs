//! What a backend uses: `POST /auth/v1/token/clientCredential` (server credentials →
//! admin token), `GET /auth/v1/certs` (the JWKS of access tokens) and
//! `GET /auth/v1/token/introspect` (docs/protocol/auth.md §5.1; the last two are
//! marked unconfirmed there, and the emulator follows the project's choices in
//! docs/protocol/auth.md of this repository).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::json;

use super::auth_wire::{AuthBody, AuthError, internal};
use super::json_response;
use crate::ids::random_hex;
use crate::tokens::Claims;
use crate::{Shared, lock};

/// The `(user, password)` of a `Basic` Authorization header.
fn basic(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    use base64::Engine as _;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

/// `POST /auth/v1/token/clientCredential {"grant_type": "client_credentials"}` with
/// `Basic base64(SecretId:SecretKey)` → `{token_type, access_token, expires_in}`, an
/// admin token (scope `admin`, `sub` the SecretId) and no refresh token.
pub(crate) async fn client_credential(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    AuthBody(body): AuthBody,
) -> Response {
    let Some((id, key)) = basic(&headers) else {
        return AuthError::Unauthenticated
            .answer("Authorization: Basic base64(SecretId:SecretKey) is required");
    };
    let known = shared
        .site
        .server_secrets
        .iter()
        .any(|(i, k)| *i == id && *k == key);
    if !known {
        return AuthError::Unauthenticated.answer("the SecretId or SecretKey is not valid");
    }
    if body.get("grant_type").and_then(|v| v.as_str()) != Some("client_credentials") {
        return AuthError::UnsupportedGrantType.answer("grant_type must be client_credentials");
    }
    let now = shared.now();
    let lifetime = lock(&shared.settings).server_token_lifetime.as_secs();
    let env = &shared.site.env_id;
    let claims = Claims {
        iss: format!("https://{env}.api.tcloudbasegateway.com"),
        sub: id,
        aud: env.clone(),
        scope: "admin".to_owned(),
        iat: now,
        exp: now.saturating_add(lifetime),
        groups: vec!["admin".to_owned()],
        project_id: env.clone(),
        jti: random_hex(16),
    };
    match shared.keys.access.issue(&claims) {
        Ok(token) => json_response(
            StatusCode::OK,
            &json!({"token_type": "Bearer", "access_token": token, "expires_in": lifetime}),
        ),
        Err(e) => internal(e),
    }
}

/// `GET /auth/v1/certs`: the JWKS `{keys: [{kid, kty, alg, use, n, e}]}` of the keys
/// access tokens are signed with.
pub(crate) async fn certs(State(shared): State<Arc<Shared>>) -> Response {
    match shared.keys.access.jwks() {
        Ok(jwks) => json_response(StatusCode::OK, &jwks),
        Err(e) => internal(e),
    }
}

/// `GET /auth/v1/token/introspect?token=` → `{"active": true, …claims}` for a token
/// this emulator signed that is unexpired and not revoked, else `{"active": false}`
/// (the shape of RFC 7662, which the notes' only source suggests).
pub(crate) async fn introspect(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let Some(token) = query.get("token").filter(|t| !t.is_empty()) else {
        return AuthError::InvalidArgument.answer("token is required");
    };
    match shared.authenticate(token) {
        Ok(claims) => {
            let mut answer = serde_json::to_value(&claims).unwrap_or_else(|_| json!({}));
            if let Some(object) = answer.as_object_mut() {
                object.insert("active".to_owned(), json!(true));
            }
            json_response(StatusCode::OK, &answer)
        }
        Err(_) => json_response(StatusCode::OK, &json!({"active": false})),
    }
}
