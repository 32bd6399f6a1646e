//! Account security: `GET /auth/v1/user/security/history`,
//! `DELETE /auth/v1/user/revoke/all`, `DELETE /auth/v1/user/authorized/devices/{id}`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::auth::CurrentUser;
use super::auth_wire::AuthError;
use super::auth_wire::internal;
use super::json_response;
use crate::{Shared, lock};

/// `?query[action]=USER_LOGIN` (or `ne_query[action]=…`) `&limit=N[&page_token=]`:
/// `{data: [{id, action, ip, user_agent, client_id, device_id, created_at}],
/// next_page_token?}`, newest first. The page shape is the emulator's reading of an
/// undocumented answer (docs/protocol/limits.md); only sign-ins are recorded.
pub(crate) async fn history(
    State(shared): State<Arc<Shared>>,
    CurrentUser(user): CurrentUser,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let bad = |m: &str| AuthError::InvalidArgument.answer(m);
    let (action, negate) = match (query.get("query[action]"), query.get("ne_query[action]")) {
        (Some(a), None) => (a.as_str(), false),
        (None, Some(a)) => (a.as_str(), true),
        _ => return bad("exactly one of query[action] and ne_query[action] is required"),
    };
    let limit = match query.get("limit").map(|l| l.parse::<i64>()) {
        None => 10,
        Some(Ok(n)) if (1..=100).contains(&n) => n,
        Some(_) => return bad("limit must be 1..=100"),
    };
    let before = match query.get("page_token").filter(|t| !t.is_empty()) {
        None => None,
        Some(t) => match t.parse::<i64>() {
            Ok(seq) => Some(seq),
            Err(_) => return bad("page_token is not one this emulator issued"),
        },
    };
    // One more than asked, to know whether a next page exists.
    let mut events = match lock(&shared.store).events(&user.id, action, negate, limit + 1, before) {
        Ok(e) => e,
        Err(e) => return internal(e),
    };
    let more = events.len() as i64 > limit;
    events.truncate(limit as usize);
    let mut answer = json!({ "data": events });
    if more && let Some(last) = events.last() {
        answer["next_page_token"] = last.seq.to_string().into();
    }
    json_response(StatusCode::OK, &answer)
}

/// Revokes every token of the user (this client's too).
pub(crate) async fn revoke_all(
    State(shared): State<Arc<Shared>>,
    CurrentUser(user): CurrentUser,
) -> Response {
    match lock(&shared.store).revoke_issued(&user.id, None) {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => internal(e),
    }
}

/// Revokes the tokens the user's device `device_id` was issued.
pub(crate) async fn revoke_device(
    State(shared): State<Arc<Shared>>,
    CurrentUser(user): CurrentUser,
    Path(device_id): Path<String>,
) -> Response {
    match lock(&shared.store).revoke_issued(&user.id, Some(&device_id)) {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => internal(e),
    }
}
