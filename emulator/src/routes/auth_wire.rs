//! What every auth route shares: the JSON body extractor, and the one table of
//! auth error answers (`{error, error_code, error_description}`; the codes and
//! numbers the service uses, docs/protocol/errors.md).

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use super::json_response;

/// An auth error answer: its code, with the HTTP status and numeric `error_code`
/// the service sends with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AuthError {
    /// `invalid_argument` (3, HTTP bad request): A field is missing or malformed.
    InvalidArgument,
    /// `failed_precondition` (9, HTTP bad request): The call does not fit the account's state (e.g. a contact already bound).
    FailedPrecondition,
    /// `invalid_grant` (3, HTTP bad request): A refresh token, code or verification that is unknown, spent or expired.
    InvalidGrant,
    /// `user_not_found` (5, HTTP not found): No user matches.
    UserNotFound,
    /// `invalid_captcha` (4001, HTTP bad request): A captcha answer or token that does not match.
    InvalidCaptcha,
    /// `captcha_expired` (4002, HTTP bad request): A captcha challenge past its lifetime.
    CaptchaExpired,
    /// `captcha_required` (4001, HTTP bad request): The call needs a captcha token first.
    CaptchaRequired,
    /// `captcha_invalid` (4002, HTTP bad request): The captcha token sent is not valid.
    CaptchaInvalid,
    /// `unauthenticated` (16, HTTP unauthorized): No valid user token.
    Unauthenticated,
    /// `unimplemented` (12, HTTP not implemented): Not offered by the emulator.
    Unimplemented,
    /// `not_found` (5, HTTP not found): No such object (a device, an identity).
    NotFound,
    /// `invalid_username_or_password` (3, HTTP bad request): A password sign-in that failed.
    InvalidUsernameOrPassword,
    /// `invalid_password` (3, HTTP bad request): A password that does not match (sudo).
    InvalidPassword,
    /// `already_exists` (6, HTTP bad request): A user with that login exists.
    AlreadyExists,
    /// `unsupported_grant_type` (3, HTTP bad request): A `grant_type` the token endpoint does not know.
    UnsupportedGrantType,
    /// `permission_denied` (7, HTTP forbidden): The caller may not do this.
    PermissionDenied,
    /// `internal` (13, HTTP internal server error): The emulator failed.
    Internal,
}

impl AuthError {
    fn parts(self) -> (StatusCode, &'static str, i64) {
        match self {
            AuthError::InvalidArgument => (StatusCode::BAD_REQUEST, "invalid_argument", 3),
            AuthError::FailedPrecondition => (StatusCode::BAD_REQUEST, "failed_precondition", 9),
            AuthError::InvalidGrant => (StatusCode::BAD_REQUEST, "invalid_grant", 3),
            AuthError::UserNotFound => (StatusCode::NOT_FOUND, "user_not_found", 5),
            AuthError::InvalidCaptcha => (StatusCode::BAD_REQUEST, "invalid_captcha", 4001),
            AuthError::CaptchaExpired => (StatusCode::BAD_REQUEST, "captcha_expired", 4002),
            AuthError::CaptchaRequired => (StatusCode::BAD_REQUEST, "captcha_required", 4001),
            AuthError::CaptchaInvalid => (StatusCode::BAD_REQUEST, "captcha_invalid", 4002),
            AuthError::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated", 16),
            AuthError::Unimplemented => (StatusCode::NOT_IMPLEMENTED, "unimplemented", 12),
            AuthError::NotFound => (StatusCode::NOT_FOUND, "not_found", 5),
            AuthError::InvalidUsernameOrPassword => {
                (StatusCode::BAD_REQUEST, "invalid_username_or_password", 3)
            }
            AuthError::InvalidPassword => (StatusCode::BAD_REQUEST, "invalid_password", 3),
            AuthError::AlreadyExists => (StatusCode::BAD_REQUEST, "already_exists", 6),
            AuthError::UnsupportedGrantType => {
                (StatusCode::BAD_REQUEST, "unsupported_grant_type", 3)
            }
            AuthError::PermissionDenied => (StatusCode::FORBIDDEN, "permission_denied", 7),
            AuthError::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "internal", 13),
        }
    }

    /// The answer, with `description` as `error_description`.
    pub(crate) fn answer(self, description: &str) -> Response {
        let (status, error, code) = self.parts();
        json_response(
            status,
            &json!({"error": error, "error_code": code, "error_description": description}),
        )
    }
}

/// An emulator failure, as the auth envelope.
pub(crate) fn internal(e: impl std::fmt::Display) -> Response {
    AuthError::Internal.answer(&e.to_string())
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
        _ => Err(AuthError::InvalidArgument.answer("request body must be a JSON object")),
    }
}
