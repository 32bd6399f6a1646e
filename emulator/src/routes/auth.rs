//! `/auth/v1/*`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::json;

use super::auth_wire::{AuthBody, AuthError, internal};
use super::{bearer, json_response};
use crate::ids::random_hex;
use crate::store::{Consumed, User};
use crate::tokens::Claims;
use crate::{Shared, lock};

fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// A sign-in: recorded in the user's security history (`USER_LOGIN`), then
/// [`issue_credentials`]. Refreshes are not sign-ins.
pub(crate) fn sign_in_credentials(
    shared: &Shared,
    user: &User,
    scope: &str,
    client_id: &str,
    headers: &HeaderMap,
) -> Result<serde_json::Value, Response> {
    let source = crate::store::EventSource {
        ip: header_text(headers, "x-forwarded-for").or(header_text(headers, "x-real-ip")),
        user_agent: header_text(headers, "user-agent"),
        client_id,
        device_id: header_text(headers, "x-device-id"),
    };
    lock(&shared.store)
        .record_event(
            &random_hex(8),
            &user.id,
            "USER_LOGIN",
            &source,
            shared.now() as i64,
        )
        .map_err(internal)?;
    issue_credentials(shared, user, scope, client_id, headers)
}

/// Issues an access token (JWT) and a refresh token for `user`: the Credentials
/// shape of docs/protocol/auth.md §2.
pub(crate) fn issue_credentials(
    shared: &Shared,
    user: &User,
    scope: &str,
    client_id: &str,
    headers: &HeaderMap,
) -> Result<serde_json::Value, Response> {
    let now = shared.now();
    let lifetime = lock(&shared.settings).token_lifetime.as_secs();
    let groups = vec![scope.to_owned()];
    let claims = Claims {
        iss: format!("https://{}.api.tcloudbasegateway.com", shared.site.env_id),
        sub: user.id.clone(),
        aud: client_id.to_owned(),
        scope: scope.to_owned(),
        iat: now,
        exp: now.saturating_add(lifetime),
        groups: groups.clone(),
        project_id: shared.site.env_id.clone(),
        jti: random_hex(16),
    };
    let access_token = shared.keys.access.issue(&claims).map_err(internal)?;
    let refresh_token = format!("rt-{}", random_hex(16));
    {
        // Both tokens are remembered per device, for revoke-all and revoke-device.
        let device = header_text(headers, "x-device-id");
        let expires = now.saturating_add(lifetime) as i64;
        let mut store = lock(&shared.store);
        store
            .save_refresh_token(&refresh_token, &user.id, scope, now as i64)
            .map_err(internal)?;
        store
            .record_issued(
                &access_token,
                "access",
                &user.id,
                device,
                expires,
                now as i64,
            )
            .map_err(internal)?;
        store
            .record_issued(
                &refresh_token,
                "refresh",
                &user.id,
                device,
                i64::MAX,
                now as i64,
            )
            .map_err(internal)?;
    }
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

/// The `client_id` of an auth call: the query's, else the environment id (docs/protocol/auth.md §1).
pub(crate) fn client_id(shared: &Shared, query: &HashMap<String, String>) -> String {
    query
        .get("client_id")
        .cloned()
        .unwrap_or_else(|| shared.site.env_id.clone())
}

/// `POST /auth/v1/signin/anonymously`: `x-device-id` is required (documented); the
/// same device gets the same anonymous user back.
pub(crate) async fn sign_in_anonymously(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    AuthBody(body): AuthBody,
) -> Response {
    if body.contains_key("provider_token") {
        return AuthError::Unimplemented.answer(
            "anonymous sign-in with a provider token is not implemented by cloudbase-emulator",
        );
    }
    let Some(device_id) = headers
        .get("x-device-id")
        .and_then(|v| v.to_str().ok())
        .filter(|d| !d.is_empty())
    else {
        return AuthError::InvalidArgument.answer("x-device-id header is required");
    };
    let client_id = client_id(&shared, &query);
    let user = {
        let new_id = format!("anon-{}", random_hex(8));
        match lock(&shared.store).anonymous_user(device_id, new_id, shared.now() as i64) {
            Ok(u) => u,
            Err(e) => return internal(e),
        }
    };
    match sign_in_credentials(&shared, &user, "anonymous", &client_id, &headers) {
        Ok(creds) => json_response(StatusCode::OK, &creds),
        Err(r) => r,
    }
}

/// The user of the bearer token of an auth call: `unauthenticated` (16) without a
/// valid token, `user_not_found` (5) if the user was deleted.
fn current_user(shared: &Shared, headers: &HeaderMap) -> Result<User, Response> {
    let claims = bearer(headers)
        .and_then(|t| shared.authenticate(t).ok())
        .ok_or_else(|| AuthError::Unauthenticated.answer("access token not correct or expired"))?;
    match lock(&shared.store).user(&claims.sub) {
        Ok(Some(u)) => Ok(u),
        Ok(None) => Err(AuthError::UserNotFound.answer("user does not exist")),
        Err(e) => Err(internal(e)),
    }
}

/// The signed-in user of an auth call, as an extractor: a handler taking it answers
/// `unauthenticated` / `user_not_found` before it runs (see [`current_user`]).
pub(crate) struct CurrentUser(pub User);

impl axum::extract::FromRequestParts<Arc<Shared>> for CurrentUser {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        shared: &Arc<Shared>,
    ) -> Result<Self, Response> {
        current_user(shared, &parts.headers).map(CurrentUser)
    }
}

/// Consumes a verification token that must prove `contact`: `invalid_argument` (3)
/// if it is unknown, used, expired or for another contact.
pub(crate) fn consume_proof(
    store: &mut crate::store::Store,
    token: &str,
    contact: &str,
    now: i64,
) -> Result<(), Response> {
    match store.consume_verification_token(token, now) {
        Ok(Some(proved)) if proved == contact => Ok(()),
        Ok(_) => Err(AuthError::InvalidArgument
            .answer("verification token is invalid, used, expired or for another contact")),
        Err(e) => Err(internal(e)),
    }
}

/// The profile of docs/protocol/auth.md §5.4 for `user`.
pub(crate) fn profile(shared: &Shared, user: &User) -> serde_json::Value {
    let anonymous = user.kind == "anonymous";
    let providers: Vec<serde_json::Value> = lock(&shared.store)
        .identities_of(&user.id)
        .unwrap_or_default()
        .into_iter()
        .map(|(id, provider_user_id, name)| json!({"id": id, "provider_user_id": provider_user_id, "name": name}))
        .collect();
    json!({
        "sub": user.id,
        "user_id": user.id,
        // The JS SDK recognises anonymous users by this name (docs/protocol/auth.md §5.4).
        "name": if anonymous { Some("anonymous") } else { user.name.as_deref() },
        "username": user.username,
        "email": user.email,
        "email_verified": user.email.is_some(),
        "phone_number": user.phone,
        "picture": user.picture,
        "gender": user.gender,
        "user_desc": user.description,
        "status": "ACTIVE",
        "groups": [{"id": if anonymous { "anonymous" } else { "user" }}],
        "providers": providers,
        // The documented field, and the camel-case one the JS SDK reads (it never
        // reads `has_password`; docs/protocol/limits.md).
        "has_password": user.password_hash.is_some(),
        "hasPassword": user.password_hash.is_some(),
        "created_from": user.kind,
        "created_at": user.created_at,
    })
}

/// `GET /auth/v1/user/me`: the signed-in user's profile.
pub(crate) async fn user_me(
    State(shared): State<Arc<Shared>>,
    CurrentUser(user): CurrentUser,
) -> Response {
    json_response(StatusCode::OK, &profile(&shared, &user))
}

/// `POST /auth/v1/token`: the refresh grant, with rotation (every refresh token works
/// once) and reuse detection (presenting a used one revokes all of the user's refresh
/// tokens). Other grant types answer `unsupported_grant_type`.
pub(crate) async fn token(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    AuthBody(body): AuthBody,
) -> Response {
    let text = |k: &str| body.get(k).and_then(|v| v.as_str());
    match text("grant_type") {
        Some("refresh_token") => {}
        Some(_) => {
            return AuthError::UnsupportedGrantType
                .answer("only refresh_token is supported by cloudbase-emulator");
        }
        None => {
            return AuthError::InvalidArgument.answer("grant_type is required");
        }
    }
    let Some(refresh_token) = text("refresh_token").filter(|t| !t.is_empty()) else {
        return AuthError::InvalidArgument.answer("refresh_token is required");
    };
    let client_id = query
        .get("client_id")
        .cloned()
        .or_else(|| text("client_id").map(str::to_owned))
        .unwrap_or_else(|| shared.site.env_id.clone());
    let consumed = lock(&shared.store).consume_refresh_token(refresh_token);
    let (user_id, scope) = match consumed {
        Ok(Consumed::Valid { user_id, scope }) => (user_id, scope),
        Ok(Consumed::Unknown) => {
            return AuthError::InvalidGrant.answer("refresh token is invalid or expired");
        }
        Ok(Consumed::Reused) => {
            return AuthError::InvalidGrant.answer(
                "refresh token was already used; all refresh tokens of this user are revoked",
            );
        }
        Err(e) => return internal(e),
    };
    let user = match lock(&shared.store).user(&user_id) {
        Ok(Some(u)) => u,
        Ok(None) => {
            return AuthError::InvalidGrant.answer("user no longer exists");
        }
        Err(e) => return internal(e),
    };
    match issue_credentials(&shared, &user, &scope, &client_id, &headers) {
        Ok(creds) => json_response(StatusCode::OK, &creds),
        Err(r) => r,
    }
}

/// `POST /auth/v1/revoke` `{token}`: revokes the access token and every refresh token
/// of its user (sign-out). An unknown token is still a success (RFC 7009 §2.2).
pub(crate) async fn revoke(
    State(shared): State<Arc<Shared>>,
    AuthBody(body): AuthBody,
) -> Response {
    let Some(token) = body.get("token").and_then(|v| v.as_str()) else {
        return AuthError::InvalidArgument.answer("token is required");
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

/// `POST /auth/v1/user/signout {redirect_uri?, state?}` (user bearer): revokes the
/// session as `/revoke` does and answers `{redirect_uri}` — the given one, with
/// `state` added (the emulator has no provider sign-out page of its own).
pub(crate) async fn sign_out_with_redirect(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    AuthBody(body): AuthBody,
) -> Response {
    let user = match current_user(&shared, &headers) {
        Ok(u) => u,
        Err(r) => return r,
    };
    if let Some(token) = super::bearer(&headers) {
        let mut store = lock(&shared.store);
        if let Err(e) = store
            .revoke_access_token(token)
            .and_then(|()| store.revoke_refresh_tokens(&user.id).map(|_| ()))
        {
            return internal(e);
        }
    }
    let text = |k: &str| {
        body.get(k)
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
    };
    let redirect = text("redirect_uri").and_then(|uri| {
        let mut url = url::Url::parse(uri).ok()?;
        if let Some(state) = text("state") {
            url.query_pairs_mut().append_pair("state", state);
        }
        Some(url.to_string())
    });
    json_response(StatusCode::OK, &json!({ "redirect_uri": redirect }))
}
