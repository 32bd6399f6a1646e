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

pub(crate) fn random_hex(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub(crate) fn internal(e: impl std::fmt::Display) -> Response {
    auth_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        13,
        &e.to_string(),
    )
}

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
/// shape of auth.md §2.
pub(crate) fn issue_credentials(
    shared: &Shared,
    user: &User,
    scope: &str,
    client_id: &str,
    headers: &HeaderMap,
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
        exp: now.saturating_add(lifetime),
        groups: groups.clone(),
        project_id: shared.env_id.clone(),
        jti: random_hex(16),
    };
    let access_token = shared.keys.issue(&claims).map_err(internal)?;
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

/// The `client_id` of an auth call: the query's, else the environment id (auth.md §1).
pub(crate) fn client_id(shared: &Shared, query: &HashMap<String, String>) -> String {
    query
        .get("client_id")
        .cloned()
        .unwrap_or_else(|| shared.env_id.clone())
}

/// The body of an auth call as a JSON object; rejects anything else with the auth
/// envelope.
pub(crate) struct AuthBody(pub serde_json::Map<String, serde_json::Value>);

impl<S: Send + Sync> axum::extract::FromRequest<S> for AuthBody {
    type Rejection = Response;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Response> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(axum::response::IntoResponse::into_response)?;
        json_object(&bytes).map(AuthBody)
    }
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
    AuthBody(body): AuthBody,
) -> Response {
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
        .ok_or_else(|| {
            auth_error(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                16,
                "access token not correct or expired",
            )
        })?;
    match lock(&shared.store).user(&claims.sub) {
        Ok(Some(u)) => Ok(u),
        Ok(None) => Err(auth_error(
            StatusCode::NOT_FOUND,
            "user_not_found",
            5,
            "user does not exist",
        )),
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
        Ok(_) => Err(auth_error(
            StatusCode::BAD_REQUEST,
            "invalid_argument",
            3,
            "verification token is invalid, used, expired or for another contact",
        )),
        Err(e) => Err(internal(e)),
    }
}

/// The profile of auth.md §5.4 for `user`.
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
        // The JS SDK recognises anonymous users by this name (auth.md §5.4).
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

// ---- verification codes, password sign-in, sign-up ----

/// Codes live this long (auth.md §5.2: 600 s), and so do verification tokens.
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
        (None, Some(_)) => Err(auth_error(
            StatusCode::BAD_REQUEST,
            "invalid_argument",
            3,
            "phone_number must be \"+CC NNNN\" (country code, a space, the number)",
        )),
        _ => Err(auth_error(
            StatusCode::BAD_REQUEST,
            "invalid_argument",
            3,
            "send exactly one of email or phone_number",
        )),
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
            return auth_error(
                StatusCode::BAD_REQUEST,
                "failed_precondition",
                9,
                "no user has this contact",
            );
        }
        "NOT_USER" if existing.is_some() => {
            return auth_error(
                StatusCode::BAD_REQUEST,
                "failed_precondition",
                9,
                "a user already has this contact",
            );
        }
        "CUR_USER" => match bearer(&headers).map(|t| shared.authenticate(t)) {
            Some(Ok(claims)) if existing.as_ref().is_some_and(|u| u.id == claims.sub) => {}
            _ => {
                return auth_error(
                    StatusCode::UNAUTHORIZED,
                    "unauthenticated",
                    16,
                    "CUR_USER needs the bearer of the user with this contact",
                );
            }
        },
        "USER" | "NOT_USER" => {}
        other => {
            return auth_error(
                StatusCode::BAD_REQUEST,
                "invalid_argument",
                3,
                &format!("unknown target {other:?}"),
            );
        }
    }
    let (limit, window) = *lock(&shared.verification_limit);
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
/// SDK's error table (errors.md §3).
pub(crate) async fn verify(
    State(shared): State<Arc<Shared>>,
    AuthBody(body): AuthBody,
) -> Response {
    let text = |k: &str| body.get(k).and_then(|v| v.as_str());
    let (Some(id), Some(code)) = (text("verification_id"), text("verification_code")) else {
        return auth_error(
            StatusCode::BAD_REQUEST,
            "invalid_argument",
            3,
            "verification_id and verification_code are required",
        );
    };
    let now = shared.now() as i64;
    let found = match lock(&shared.store).verification(id) {
        Ok(v) => v,
        Err(e) => return internal(e),
    };
    let reject = |why: &str| auth_error(StatusCode::BAD_REQUEST, "invalid_argument", 3, why);
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
                        return auth_error(
                            StatusCode::BAD_REQUEST,
                            "invalid_argument",
                            3,
                            "verification token is invalid, used or expired",
                        );
                    }
                    Err(e) => return internal(e),
                };
            match lock(&shared.store).find_user(&contact) {
                Ok(Some(u)) => u,
                Ok(None) => {
                    return auth_error(
                        StatusCode::NOT_FOUND,
                        "user_not_found",
                        5,
                        "no user has this contact; sign up",
                    );
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
                    return auth_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_username_or_password",
                        3,
                        "wrong username or password",
                    );
                }
            }
        }
        _ => {
            return auth_error(
                StatusCode::BAD_REQUEST,
                "invalid_argument",
                3,
                "send {username, password} or {verification_token}",
            );
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
        return auth_error(
            StatusCode::BAD_REQUEST,
            "invalid_argument",
            3,
            "verification_token is required",
        );
    };
    if let Some(u) = text("username")
        && !(2..=48).contains(&u.chars().count())
    {
        return auth_error(
            StatusCode::BAD_REQUEST,
            "invalid_argument",
            3,
            "username must be 2 to 48 characters",
        );
    }
    let now = shared.now() as i64;
    let mut store = lock(&shared.store);
    match store.find_user(&contact) {
        Ok(Some(_)) => {
            return auth_error(
                StatusCode::BAD_REQUEST,
                "failed_precondition",
                9,
                "a user already has this contact; sign in",
            );
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
        return auth_error(
            StatusCode::BAD_REQUEST,
            "already_exists",
            6,
            &format!("could not create the user: {e}"),
        );
    }
    drop(store);
    let client_id = client_id(&shared, &query);
    match sign_in_credentials(&shared, &user, "user", &client_id, &headers) {
        Ok(creds) => json_response(StatusCode::OK, &creds),
        Err(r) => r,
    }
}
