//! Sign-out and the current user (`/auth/v1/revoke`, `/auth/v1/user/me`).

use http::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::error::{Error, SessionError};
use crate::operation::{OneShot, RequestContext, ResponseContext};
use crate::request::{Access, Api, HttpResponse, RequestSpec};
use crate::response::decode_json;

/// Signs out: revokes the access token, then clears the session (`SIGNED_OUT`).
///
/// Wire, as the JS SDK's `signOut()`: `POST /auth/v1/revoke?client_id={client}` with
/// `{"token": <access_token>}` and no `Authorization`. As there, the local session is
/// cleared only when the server confirms, so a network failure leaves the user signed
/// in and the call can be retried. Without a session it fails locally
/// ([`SessionError::NotSignedIn`]) and sends nothing.
///
/// ```
/// use cloudbase_core::auth::SignOut;
/// let sign_out = SignOut::new();
/// ```
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct SignOut;

impl SignOut {
    /// A sign-out.
    pub fn new() -> Self {
        Self
    }
}

impl OneShot for SignOut {
    type Output = ();

    fn request(&self, cx: &RequestContext<'_>) -> Result<RequestSpec, Error> {
        let creds = cx.session.credentials().ok_or(SessionError::NotSignedIn)?;
        let body = json!({ "token": creds.access_token.expose() });
        let bytes = crate::request::to_json(&body)?;
        Ok(
            RequestSpec::new(Api::AuthV1, Method::POST, Access::ClientId)
                .path("revoke")
                .json_body(bytes, "application/json"),
        )
    }

    fn parse(&self, _response: HttpResponse, cx: &mut ResponseContext<'_>) -> Result<(), Error> {
        cx.session.sign_out();
        Ok(())
    }
}

/// Signs out through the provider's sign-out page: `POST /auth/v1/user/signout
/// {redirect_uri, state}` with the user's bearer (the JS SDK's `signOut({redirect_uri,
/// state})`). Answers the `redirect_uri` the service returns, if any, for the app to
/// send the user to. The session ends (`SIGNED_OUT`) whatever the service answers, as
/// in the JS SDK; a server error is still returned, where the JS SDK swallows it.
///
/// ```
/// use cloudbase_core::auth::SignOutWithRedirect;
/// let op = SignOutWithRedirect::new("https://app.example.com/bye", "bye-1");
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct SignOutWithRedirect {
    redirect_uri: String,
    state: String,
}

impl SignOutWithRedirect {
    /// Back to `redirect_uri`, carrying `state`.
    pub fn new(redirect_uri: impl Into<String>, state: impl Into<String>) -> Self {
        Self {
            redirect_uri: redirect_uri.into(),
            state: state.into(),
        }
    }
}

impl OneShot for SignOutWithRedirect {
    type Output = Option<String>;

    fn request(&self, _cx: &RequestContext<'_>) -> Result<RequestSpec, Error> {
        let mut body = serde_json::Map::new();
        if !self.redirect_uri.is_empty() {
            body.insert("redirect_uri".into(), self.redirect_uri.clone().into());
        }
        if !self.state.is_empty() {
            body.insert("state".into(), self.state.clone().into());
        }
        let bytes = crate::request::to_json(&body)?;
        Ok(RequestSpec::new(Api::AuthV1, Method::POST, Access::User)
            .path("user/signout")
            .json_body(bytes, "application/json"))
    }

    fn ends_session_on(&self, _error: &crate::error::ServerError) -> bool {
        true
    }

    fn parse(
        &self,
        response: HttpResponse,
        cx: &mut ResponseContext<'_>,
    ) -> Result<Option<String>, Error> {
        #[derive(Deserialize)]
        struct Answer {
            #[serde(default)]
            redirect_uri: Option<String>,
        }
        cx.session.sign_out();
        let answer: Answer =
            serde_json::from_slice(response.body()).unwrap_or(Answer { redirect_uri: None });
        Ok(answer.redirect_uri.filter(|u| !u.is_empty()))
    }
}

/// The signed-in user's profile (`GET /auth/v1/user/me`, docs/protocol/auth.md §5.4). Fields the
/// server did not send are `None`; fields this SDK does not model are kept in `extra`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct User {
    /// The user id.
    pub sub: String,
    /// Display name (`anonymous` for anonymous users).
    #[serde(default)]
    pub name: Option<String>,
    /// Login name.
    #[serde(default)]
    pub username: Option<String>,
    /// Avatar URL.
    #[serde(default)]
    pub picture: Option<String>,
    /// Email address.
    #[serde(default)]
    pub email: Option<String>,
    /// Whether the email address is verified.
    #[serde(default)]
    pub email_verified: Option<bool>,
    /// Phone number, `+CC NNNN`.
    #[serde(default)]
    pub phone_number: Option<String>,
    /// `MALE`, `FEMALE`, …
    #[serde(default)]
    pub gender: Option<String>,
    /// Account status, e.g. `ACTIVE`.
    #[serde(default)]
    pub status: Option<String>,
    /// Whether a password is set.
    #[serde(default)]
    pub has_password: Option<bool>,
    /// Groups, as sent (`[{id, expires_at?}]`).
    #[serde(default)]
    pub groups: Vec<serde_json::Value>,
    /// Linked identities, as sent (`[{id, provider_user_id, name, …}]`).
    #[serde(default)]
    pub providers: Vec<serde_json::Value>,
    /// Every other field.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl User {
    /// Whether this is an anonymous user (the JS SDK's rule: `name == "anonymous"`).
    pub fn is_anonymous(&self) -> bool {
        self.name.as_deref() == Some("anonymous")
    }

    /// Whether a password is set, from whichever form the service sends: the
    /// documented `has_password`, the `hasPassword` of the JS SDK's types, or
    /// `password: "SET"` (the JS SDK's fallback); `None` when the answer says nothing.
    pub fn password_set(&self) -> Option<bool> {
        self.has_password
            .or_else(|| self.extra.get("hasPassword").and_then(|v| v.as_bool()))
            .or_else(|| {
                self.extra
                    .get("password")
                    .and_then(|v| v.as_str())
                    .map(|p| p == "SET")
            })
    }
}

/// Fetches the signed-in user's profile: `GET /auth/v1/user/me` with the user's
/// bearer (refreshed first if it is about to expire). Idempotent.
///
/// ```
/// use cloudbase_core::auth::GetUser;
/// let get_user = GetUser::new();
/// ```
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct GetUser;

impl GetUser {
    /// A profile fetch.
    pub fn new() -> Self {
        Self
    }
}

impl OneShot for GetUser {
    type Output = User;

    fn request(&self, _cx: &RequestContext<'_>) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::new(Api::AuthV1, Method::GET, Access::User).path("user/me"))
    }

    fn is_idempotent(&self) -> bool {
        true
    }

    fn parse(&self, response: HttpResponse, _cx: &mut ResponseContext<'_>) -> Result<User, Error> {
        Ok(decode_json(response.status(), response.body())?)
    }
}
