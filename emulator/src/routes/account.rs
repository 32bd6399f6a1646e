//! The signed-in user's account: profile edits, sudo, passwords, deletion, recovery,
//! contact binding and user queries (docs/protocol/auth.md §5.4).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use super::auth::{CurrentUser, consume_proof, profile};
use super::auth_wire::AuthError;
use super::auth_wire::{AuthBody, internal};
use super::json_response;
use super::verification::{CODE_LIFETIME, contact_of, hash_password, password_matches};
use crate::ids::random_hex;
use crate::{Shared, lock};

fn bad(what: &str) -> Response {
    AuthError::InvalidArgument.answer(what)
}

fn ok() -> Response {
    json_response(StatusCode::OK, &json!({}))
}

fn is_phone_like(s: &str) -> bool {
    s.starts_with('+') && s.contains(' ')
}

/// `POST /auth/v1/user/basic/edit`: plain fields; `email`/`phone` only when that
/// contact was just verified (the JS SDK's change flow verifies first).
pub(crate) async fn edit(
    State(shared): State<Arc<Shared>>,
    CurrentUser(user): CurrentUser,
    AuthBody(body): AuthBody,
) -> Response {
    let now = shared.now() as i64;
    let text = |k: &str| body.get(k).and_then(|v| v.as_str());
    if let Some(g) = text("gender")
        && !matches!(g, "MALE" | "FEMALE" | "")
    {
        return bad("gender is MALE or FEMALE");
    }
    if let Some(u) = text("username")
        && !(2..=48).contains(&u.chars().count())
    {
        return bad("username must be 2 to 48 characters");
    }
    if text("password").is_some() || text("new_password").is_some() {
        return bad("passwords change through PATCH /user/password with a sudo token");
    }
    let mut store = lock(&shared.store);
    for (key, contact_ok) in [
        ("email", text("email").is_some_and(|e| e.contains('@'))),
        ("phone", text("phone").is_some_and(is_phone_like)),
    ] {
        let Some(value) = text(key) else { continue };
        if !contact_ok {
            return bad(&format!("{key} is not valid"));
        }
        match store.recently_verified(value, now) {
            Ok(true) => {}
            Ok(false) => {
                return AuthError::FailedPrecondition
                    .answer(&format!("verify the new {key} with a code first"));
            }
            Err(e) => return internal(e),
        }
        match store.find_user(value) {
            Ok(Some(other)) if other.id != user.id => {
                return AuthError::FailedPrecondition
                    .answer(&format!("another user has this {key}"));
            }
            Ok(_) => {}
            Err(e) => return internal(e),
        }
    }
    let columns: [(&str, &'static str); 7] = [
        ("nickname", "name"),
        ("username", "username"),
        ("description", "description"),
        ("avatar_url", "picture"),
        ("gender", "gender"),
        ("email", "email"),
        ("phone", "phone"),
    ];
    for (field, column) in columns {
        if let Some(v) = text(field)
            && let Err(e) =
                store.set_user_field(&user.id, column, Some(v).filter(|v| !v.is_empty()))
        {
            return AuthError::FailedPrecondition.answer(&format!("could not set {field}: {e}"));
        }
    }
    ok()
}

/// `GET /auth/v1/user/query?id=&username=&email=&phone_number=`.
pub(crate) async fn query(
    State(shared): State<Arc<Shared>>,
    _user: CurrentUser,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let criteria: Vec<(&'static str, String)> = [
        ("id", "id"),
        ("username", "username"),
        ("email", "email"),
        ("phone_number", "phone"),
    ]
    .into_iter()
    .filter_map(|(param, column)| {
        query
            .get(param)
            .filter(|v| !v.is_empty())
            .map(|v| (column, v.clone()))
    })
    .collect();
    if criteria.is_empty() {
        return bad("give id, username, email or phone_number");
    }
    let users = match lock(&shared.store).query_users(&criteria) {
        Ok(u) => u,
        Err(e) => return internal(e),
    };
    let data: Vec<serde_json::Value> = users
        .iter()
        .map(|u| json!({"sub": u.id, "name": u.name, "picture": u.picture, "gender": u.gender, "email": u.email, "phone_number": u.phone}))
        .collect();
    json_response(StatusCode::OK, &json!({"total": data.len(), "data": data}))
}

/// `GET /auth/v1/checkIfUserExist?username=` → `{exist}`.
pub(crate) async fn exists(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let Some(name) = query.get("username").filter(|u| !u.is_empty()) else {
        return bad("username is required");
    };
    match lock(&shared.store).query_users(&[("username", name.clone())]) {
        Ok(users) => json_response(StatusCode::OK, &json!({"exist": !users.is_empty()})),
        Err(e) => internal(e),
    }
}

/// `POST /auth/v1/user/sudo {password} | {verification_token}` → `{sudo_token, expires_in}`.
pub(crate) async fn sudo(
    State(shared): State<Arc<Shared>>,
    CurrentUser(user): CurrentUser,
    AuthBody(body): AuthBody,
) -> Response {
    let now = shared.now() as i64;
    let text = |k: &str| {
        body.get(k)
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
    };
    let proved = match (text("password"), text("verification_token")) {
        (Some(p), None) => user
            .password_hash
            .as_deref()
            .is_some_and(|h| password_matches(p, h)),
        (None, Some(t)) => match lock(&shared.store).consume_verification_token(t, now) {
            Ok(Some(contact)) => {
                user.email.as_deref() == Some(&contact) || user.phone.as_deref() == Some(&contact)
            }
            Ok(None) => false,
            Err(e) => return internal(e),
        },
        _ => return bad("send password or verification_token"),
    };
    if !proved {
        return AuthError::InvalidPassword.answer("the password or verification is not the user's");
    }
    let token = format!("sudo-{}", random_hex(16));
    if let Err(e) = lock(&shared.store).save_sudo_token(&token, &user.id, now + CODE_LIFETIME) {
        return internal(e);
    }
    json_response(
        StatusCode::OK,
        &json!({"sudo_token": token, "expires_in": CODE_LIFETIME}),
    )
}

fn check_sudo(shared: &Shared, token: Option<&str>, user_id: &str) -> Result<(), Response> {
    let now = shared.now() as i64;
    match token.map(|t| lock(&shared.store).sudo_valid(t, user_id, now)) {
        Some(Ok(true)) => Ok(()),
        Some(Err(e)) => Err(internal(e)),
        _ => Err(AuthError::PermissionDenied.answer("a valid sudo_token is required")),
    }
}

/// `PATCH /auth/v1/user/password {new_password, sudo_token}`.
pub(crate) async fn set_password(
    State(shared): State<Arc<Shared>>,
    CurrentUser(user): CurrentUser,
    AuthBody(body): AuthBody,
) -> Response {
    let text = |k: &str| {
        body.get(k)
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
    };
    if let Err(r) = check_sudo(&shared, text("sudo_token"), &user.id) {
        return r;
    }
    let Some(new) = text("new_password") else {
        return bad("new_password is required");
    };
    let hash = match hash_password(new) {
        Ok(h) => h,
        Err(r) => return r,
    };
    match lock(&shared.store).set_user_field(&user.id, "password_hash", Some(&hash)) {
        Ok(()) => ok(),
        Err(e) => internal(e),
    }
}

/// `DELETE /auth/v1/user/me?sudo_token=` → the deleted profile.
pub(crate) async fn delete_me(
    State(shared): State<Arc<Shared>>,
    CurrentUser(user): CurrentUser,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if let Err(r) = check_sudo(
        &shared,
        query.get("sudo_token").map(String::as_str),
        &user.id,
    ) {
        return r;
    }
    let body = profile(&shared, &user);
    match lock(&shared.store).delete_user(&user.id) {
        Ok(()) => json_response(StatusCode::OK, &body),
        Err(e) => internal(e),
    }
}

/// `POST /auth/v1/reset {email | phone_number, new_password, verification_token}`.
pub(crate) async fn reset(State(shared): State<Arc<Shared>>, AuthBody(body): AuthBody) -> Response {
    let contact = match contact_of(&body) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let text = |k: &str| {
        body.get(k)
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
    };
    let (Some(token), Some(new)) = (text("verification_token"), text("new_password")) else {
        return bad("verification_token and new_password are required");
    };
    let now = shared.now() as i64;
    let mut store = lock(&shared.store);
    if let Err(r) = consume_proof(&mut store, token, &contact, now) {
        return r;
    }
    let user = match store.find_user(&contact) {
        Ok(Some(u)) => u,
        Ok(None) => {
            return AuthError::UserNotFound.answer("no user has this contact");
        }
        Err(e) => return internal(e),
    };
    let hash = match hash_password(new) {
        Ok(h) => h,
        Err(r) => return r,
    };
    if let Err(e) = store.set_user_field(&user.id, "password_hash", Some(&hash)) {
        return internal(e);
    }
    drop(store);
    super::captcha::password_succeeded(&shared, &contact);
    ok()
}

/// `PATCH /auth/v1/user/contact {email | phone_number, sudo_token, verification_token,
/// conflict_resolution?}`: only `DEFAULT` (refuse a contact another user has) is
/// implemented.
pub(crate) async fn bind_contact(
    State(shared): State<Arc<Shared>>,
    CurrentUser(user): CurrentUser,
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
    if let Err(r) = check_sudo(&shared, text("sudo_token"), &user.id) {
        return r;
    }
    if text("conflict_resolution").is_some_and(|c| c != "DEFAULT") {
        return AuthError::Unimplemented
            .answer("only conflict_resolution DEFAULT is implemented by cloudbase-emulator");
    }
    let Some(token) = text("verification_token") else {
        return bad("verification_token is required");
    };
    let now = shared.now() as i64;
    let mut store = lock(&shared.store);
    if let Err(r) = consume_proof(&mut store, token, &contact, now) {
        return r;
    }
    match store.find_user(&contact) {
        Ok(Some(other)) if other.id != user.id => {
            return AuthError::FailedPrecondition.answer("another user has this contact");
        }
        Ok(_) => {}
        Err(e) => return internal(e),
    }
    let column = if contact.contains('@') {
        "email"
    } else {
        "phone"
    };
    match store.set_user_field(&user.id, column, Some(&contact)) {
        Ok(()) => ok(),
        Err(e) => internal(e),
    }
}
