//! Third-party identities: a built-in fake OAuth provider, provider tokens, provider
//! and custom-ticket sign-in, identity binding (docs/protocol/auth.md §5.5).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::auth::{CurrentUser, client_id, sign_in_credentials};
use super::auth_wire::AuthError;
use super::auth_wire::{AuthBody, internal};
use super::json_response;
use crate::ids::random_hex;
use crate::shared::ProviderIdentity;
use crate::store::User;
use crate::{Shared, lock};

/// Providers the environment offers (all served by the fake provider; any other id
/// works too, but only these are listed by `GET /user/provider`).
const LISTED_PROVIDERS: [(&str, &str); 2] = [("github", "GitHub"), ("google", "Google")];

/// Provider tokens and OAuth codes live this long.
const PROVIDER_TOKEN_LIFETIME: i64 = 3600;
const OAUTH_CODE_LIFETIME: i64 = 600;

fn bad(what: &str) -> Response {
    AuthError::InvalidArgument.answer(what)
}

/// `GET /auth/v1/provider/uri?provider_id=&redirect_uri=&state=`: the fake provider's
/// authorize page, on this emulator's bound address.
pub(crate) async fn provider_uri(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let (Some(provider), Some(redirect)) = (query.get("provider_id"), query.get("redirect_uri"))
    else {
        return bad("provider_id and redirect_uri are required");
    };
    let origin = shared.origin(&headers);
    let mut url = match url::Url::parse(&format!("{origin}{PROVIDER_AUTHORIZE_PATH}")) {
        Ok(u) => u,
        Err(e) => return internal(e),
    };
    url.query_pairs_mut()
        .append_pair("provider_id", provider)
        .append_pair("redirect_uri", redirect)
        .append_pair(
            "state",
            query.get("state").map(String::as_str).unwrap_or(""),
        );
    json_response(StatusCode::OK, &json!({ "uri": url.as_str() }))
}

/// The fake OAuth provider's authorize page. Not under the admin prefix: a browser
/// navigates there during a provider sign-in (it cannot send the admin header), and it
/// plays the third-party provider, only handing a code to the redirect URI it is given.
pub(crate) const PROVIDER_AUTHORIZE_PATH: &str = "/__provider/oauth/authorize";

/// `GET /__provider/oauth/authorize?provider_id=&redirect_uri=&state=[&login=]`: the
/// fake provider "signs the user in" as `login` (default `octocat`) and redirects
/// straight back with `code` and `state`.
pub(crate) async fn authorize(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let (Some(provider), Some(redirect)) = (query.get("provider_id"), query.get("redirect_uri"))
    else {
        return (
            StatusCode::BAD_REQUEST,
            "provider_id and redirect_uri are required",
        )
            .into_response();
    };
    let Ok(mut back) = url::Url::parse(redirect) else {
        return (StatusCode::BAD_REQUEST, "redirect_uri is not a URL").into_response();
    };
    let login = query.get("login").map(String::as_str).unwrap_or("octocat");
    let code = format!("code-{}", random_hex(12));
    let identity = ProviderIdentity {
        provider_id: provider.clone(),
        provider_user_id: format!("{provider}-{login}"),
        name: login.to_owned(),
        expires_at: shared.now() as i64 + OAUTH_CODE_LIFETIME,
    };
    lock(&shared.auth)
        .oauth_codes
        .insert(code.clone(), (identity, redirect.clone()));
    back.query_pairs_mut()
        .append_pair("code", &code)
        .append_pair(
            "state",
            query.get("state").map(String::as_str).unwrap_or(""),
        );
    (
        StatusCode::FOUND,
        [(axum::http::header::LOCATION, back.as_str().to_owned())],
    )
        .into_response()
}

/// An ID token from the fake provider (see `Emulator::fake_id_token`).
pub(crate) fn mint_id_token(shared: &Shared, provider_id: &str, login: &str) -> String {
    let now = shared.now();
    let claims = json!({
        "iss": "https://fake-provider.cloudbase-emulator",
        "aud": provider_id,
        "sub": format!("{provider_id}-{login}"),
        "name": login,
        "iat": now,
        "exp": now + 3600,
    });
    shared
        .keys
        .provider
        .issue_value(&claims)
        .unwrap_or_default()
}

/// `POST /auth/v1/provider/token {provider_id, provider_code, provider_redirect_uri}`
/// or `{provider_id, provider_id_token}` → a provider token.
pub(crate) async fn provider_token(
    State(shared): State<Arc<Shared>>,
    AuthBody(body): AuthBody,
) -> Response {
    let text = |k: &str| {
        body.get(k)
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
    };
    let Some(provider) = text("provider_id") else {
        return bad("provider_id is required");
    };
    let now = shared.now() as i64;
    let identity = if let Some(code) = text("provider_code") {
        let found = lock(&shared.auth).oauth_codes.remove(code);
        match found {
            Some((identity, redirect))
                if identity.provider_id == provider
                    && identity.expires_at > now
                    && text("provider_redirect_uri").is_none_or(|r| r == redirect) =>
            {
                identity
            }
            _ => {
                return AuthError::InvalidGrant
                    .answer("the provider code is invalid, used, expired or for another redirect");
            }
        }
    } else if let Some(id_token) = text("provider_id_token") {
        let claims = shared.keys.provider.verify_value(id_token);
        match claims {
            Some(c) if c["aud"] == provider && c["exp"].as_i64().is_some_and(|exp| exp > now) => {
                ProviderIdentity {
                    provider_id: provider.to_owned(),
                    provider_user_id: c["sub"].as_str().unwrap_or_default().to_owned(),
                    name: c["name"].as_str().unwrap_or_default().to_owned(),
                    expires_at: 0,
                }
            }
            _ => {
                return AuthError::InvalidGrant
                    .answer("the ID token is not valid for this provider");
            }
        }
    } else {
        return bad("send provider_code or provider_id_token");
    };
    answer_provider_token(&shared, identity, now)
}

/// A fresh provider token for `identity`, and the answer naming it.
fn answer_provider_token(shared: &Shared, identity: ProviderIdentity, now: i64) -> Response {
    let token = format!("pt-{}", random_hex(16));
    let identity = ProviderIdentity {
        expires_at: now.saturating_add(PROVIDER_TOKEN_LIFETIME),
        ..identity
    };
    let profile = json!({
        "provider_id": identity.provider_id,
        "sub": identity.provider_user_id,
        "name": identity.name,
    });
    lock(&shared.auth)
        .provider_tokens
        .insert(token.clone(), identity);
    json_response(
        StatusCode::OK,
        &json!({"provider_token": token, "expires_in": PROVIDER_TOKEN_LIFETIME, "provider_profile": profile}),
    )
}

/// `PATCH /auth/v1/provider/token {provider_token, provider_id?, provider_params}`:
/// the token's identity under a fresh token (the old one is spent). The emulator's
/// fake provider has nothing to add from `provider_params`, which must be an object.
pub(crate) async fn patch_provider_token(
    State(shared): State<Arc<Shared>>,
    AuthBody(body): AuthBody,
) -> Response {
    if !body.get("provider_params").is_none_or(|p| p.is_object()) {
        return bad("provider_params must be an object");
    }
    let identity =
        match take_provider_token(&shared, body.get("provider_token").and_then(|v| v.as_str())) {
            Ok(i) => i,
            Err(r) => return r,
        };
    if let Some(id) = body.get("provider_id").and_then(|v| v.as_str())
        && id != identity.provider_id
    {
        return bad("provider_id is not the token's provider");
    }
    answer_provider_token(&shared, identity, shared.now() as i64)
}

fn take_provider_token(shared: &Shared, token: Option<&str>) -> Result<ProviderIdentity, Response> {
    let now = shared.now() as i64;
    let found = token.and_then(|t| lock(&shared.auth).provider_tokens.remove(t));
    match found {
        Some(identity) if identity.expires_at > now => Ok(identity),
        _ => Err(AuthError::InvalidGrant.answer("the provider token is invalid, used or expired")),
    }
}

/// The user an identity belongs to, created (and bound) unless sign-up is disabled.
fn user_for_identity(
    shared: &Shared,
    identity: &ProviderIdentity,
    kind: &str,
    allow_sign_up: bool,
) -> Result<User, Response> {
    let mut store = lock(&shared.store);
    let bound = store
        .identity_user(&identity.provider_id, &identity.provider_user_id)
        .map_err(internal)?;
    if let Some(id) = bound
        && let Some(user) = store.user(&id).map_err(internal)?
    {
        return Ok(user);
    }
    if !allow_sign_up {
        return Err(
            AuthError::UserNotFound.answer("no user has this identity and sign-up is disabled")
        );
    }
    // A custom-login user's id is the uid the app's server chose (the token's `sub`),
    // unless another user already has that id.
    let id = if kind == "custom"
        && store
            .user(&identity.provider_user_id)
            .map_err(internal)?
            .is_none()
    {
        identity.provider_user_id.clone()
    } else {
        format!("u-{}", random_hex(8))
    };
    let user = User {
        id,
        kind: kind.to_owned(),
        created_at: shared.now() as i64,
        username: None,
        email: None,
        phone: None,
        name: Some(identity.name.clone()),
        password_hash: None,
        picture: None,
        gender: None,
        description: None,
    };
    store.create_user(&user).map_err(internal)?;
    store
        .bind_identity(
            &identity.provider_id,
            &identity.provider_user_id,
            &user.id,
            &identity.name,
        )
        .map_err(internal)?;
    Ok(user)
}

/// `POST /auth/v1/signin/with/provider {provider_token, force_disable_sign_up?}`.
pub(crate) async fn sign_in_with_provider(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
    headers: axum::http::HeaderMap,
    AuthBody(body): AuthBody,
) -> Response {
    let identity =
        match take_provider_token(&shared, body.get("provider_token").and_then(|v| v.as_str())) {
            Ok(i) => i,
            Err(r) => return r,
        };
    let allow = !body
        .get("force_disable_sign_up")
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    let user = match user_for_identity(&shared, &identity, "user", allow) {
        Ok(u) => u,
        Err(r) => return r,
    };
    match sign_in_credentials(
        &shared,
        &user,
        "user",
        &client_id(&shared, &query),
        &headers,
    ) {
        Ok(creds) => json_response(StatusCode::OK, &creds),
        Err(r) => r,
    }
}

/// `GET /auth/v1/user/provider`: the offered providers plus any bound one, each with
/// `bind`.
pub(crate) async fn list_providers(
    State(shared): State<Arc<Shared>>,
    CurrentUser(user): CurrentUser,
) -> Response {
    let bound = match lock(&shared.store).identities_of(&user.id) {
        Ok(b) => b,
        Err(e) => return internal(e),
    };
    let mut data: Vec<serde_json::Value> = LISTED_PROVIDERS
        .iter()
        .map(|(id, name)| {
            let mine = bound.iter().find(|(p, _, _)| p == id);
            json!({"id": id, "name": name, "bind": mine.is_some(), "provider_user_name": mine.map(|(_, _, n)| n)})
        })
        .collect();
    for (p, _, n) in bound
        .iter()
        .filter(|(p, _, _)| !LISTED_PROVIDERS.iter().any(|(id, _)| id == p))
    {
        data.push(json!({"id": p, "name": p, "bind": true, "provider_user_name": n}));
    }
    json_response(StatusCode::OK, &json!({"total": data.len(), "data": data}))
}

/// `POST /auth/v1/user/provider/bind {provider_token}`.
pub(crate) async fn bind_provider(
    State(shared): State<Arc<Shared>>,
    CurrentUser(user): CurrentUser,
    AuthBody(body): AuthBody,
) -> Response {
    let identity =
        match take_provider_token(&shared, body.get("provider_token").and_then(|v| v.as_str())) {
            Ok(i) => i,
            Err(r) => return r,
        };
    let mut store = lock(&shared.store);
    match store.identity_user(&identity.provider_id, &identity.provider_user_id) {
        Ok(Some(owner)) if owner == user.id => return json_response(StatusCode::OK, &json!({})),
        Ok(Some(_)) => {
            return AuthError::FailedPrecondition.answer("this identity is bound to another user");
        }
        Ok(None) => {}
        Err(e) => return internal(e),
    }
    match store.identities_of(&user.id) {
        Ok(list) if list.iter().any(|(p, _, _)| *p == identity.provider_id) => {
            return AuthError::FailedPrecondition
                .answer("the user already has an identity of this provider");
        }
        Ok(_) => {}
        Err(e) => return internal(e),
    }
    match store.bind_identity(
        &identity.provider_id,
        &identity.provider_user_id,
        &user.id,
        &identity.name,
    ) {
        Ok(()) => json_response(StatusCode::OK, &json!({})),
        Err(e) => internal(e),
    }
}

/// `DELETE /auth/v1/user/provider/{provider_id}`.
pub(crate) async fn unbind_provider(
    State(shared): State<Arc<Shared>>,
    CurrentUser(user): CurrentUser,
    Path(provider): Path<String>,
) -> Response {
    match lock(&shared.store).unbind_identity(&provider, &user.id) {
        Ok(0) => AuthError::NotFound.answer("no identity of this provider is bound"),
        Ok(_) => json_response(StatusCode::OK, &json!({})),
        Err(e) => internal(e),
    }
}

/// The custom-login ticket for `uid` (see `Emulator::custom_ticket`): what the
/// node-sdk's `createTicket` makes (docs/protocol/auth.md §5.5).
pub(crate) fn mint_ticket(shared: &Shared, uid: &str) -> Result<String, String> {
    let key = shared.keys.custom_login.get()?;
    let now_ms = shared.now().saturating_mul(1000);
    let claims = json!({
        "alg": "RS256",
        "env": shared.site.env_id,
        "iat": now_ms,
        "exp": now_ms + 10 * 60 * 1000,
        "uid": uid,
        "refresh": 3_600_000,
        "expire": now_ms + 7 * 24 * 3600 * 1000,
    });
    let jwt = key.sign(&claims).map_err(|e| e.to_string())?;
    Ok(format!("{}/@@/{jwt}", key.kid))
}

/// The custom-login private key file, in the console's format
/// (`{private_key_id, private_key, env_id}`).
pub(crate) fn custom_login_key_file(shared: &Shared) -> Result<String, String> {
    let key = shared.keys.custom_login.get()?;
    Ok(json!({
        "private_key_id": key.kid,
        "private_key": key.private_pem,
        "env_id": shared.site.env_id,
    })
    .to_string())
}

fn valid_uid(uid: &str) -> bool {
    (4..=32).contains(&uid.len())
        && uid
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-#@~=*(){}[]:.,<>+".contains(c))
}

/// `POST /auth/v1/signin/custom {"provider_id": "custom", ticket}`.
pub(crate) async fn sign_in_custom(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
    headers: axum::http::HeaderMap,
    AuthBody(body): AuthBody,
) -> Response {
    let Some(ticket) = body.get("ticket").and_then(|v| v.as_str()) else {
        return bad("ticket is required");
    };
    let invalid = |why: &str| AuthError::InvalidArgument.answer(why);
    let Some((key_id, jwt)) = ticket.split_once("/@@/") else {
        return invalid("a ticket is {private_key_id}/@@/{JWT}");
    };
    let key = match shared.keys.custom_login.get() {
        Ok(key) => key,
        Err(e) => return internal(e),
    };
    if key_id != key.kid {
        return invalid("unknown custom-login key");
    }
    let Some(claims) = key.verify::<serde_json::Value>(jwt) else {
        return invalid("the ticket's signature is not valid");
    };
    let now_ms = (shared.now() * 1000) as i64;
    if claims["env"] != shared.site.env_id.as_str() {
        return invalid("the ticket is for another environment");
    }
    if claims["exp"].as_i64().is_none_or(|exp| exp <= now_ms) {
        return invalid("the ticket expired");
    }
    let uid = claims["uid"].as_str().unwrap_or_default();
    if !valid_uid(uid) {
        return invalid("uid must be 4-32 characters of [a-zA-Z0-9_-#@~=*(){}[]:.,<>+]");
    }
    let identity = ProviderIdentity {
        provider_id: "custom".to_owned(),
        provider_user_id: uid.to_owned(),
        name: uid.to_owned(),
        expires_at: 0,
    };
    let user = match user_for_identity(&shared, &identity, "custom", true) {
        Ok(u) => u,
        Err(r) => return r,
    };
    match sign_in_credentials(
        &shared,
        &user,
        "user",
        &client_id(&shared, &query),
        &headers,
    ) {
        Ok(creds) => json_response(StatusCode::OK, &creds),
        Err(r) => r,
    }
}
