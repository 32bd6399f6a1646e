//! Looking users up, and deleting the signed-in one.

use http::Method;
use serde::Deserialize;

use super::sudo::{SudoProof, SudoToken, sudo_request, sudo_token};
use crate::auth::wire::{auth_get, json, required};
use crate::error::{BuildError, Error};
use crate::operation::{OneShot, Operation, Progress, RequestContext, ResponseContext};
use crate::request::{Access, HttpResponse, RequestSpec};
use crate::secret::Secret;

fn delete_me_request(sudo: &SudoToken) -> RequestSpec {
    auth_get(Method::DELETE, "user/me", Access::User).query("sudo_token", sudo.token.expose())
}

/// Deletes the signed-in user with a [`SudoToken`]: `DELETE /auth/v1/user/me?sudo_token=`
/// (the JS SDK's `deleteMe`). The session is then over: credentials cleared,
/// `SIGNED_OUT` (the JS SDK leaves the dead session stored; this SDK does not).
#[derive(Clone, Debug)]
#[must_use]
pub struct DeleteMe {
    sudo: SudoToken,
}

impl DeleteMe {
    /// Deletes the user.
    pub fn new(sudo: &SudoToken) -> Self {
        Self { sudo: sudo.clone() }
    }
}

impl OneShot for DeleteMe {
    type Output = ();

    fn request(&self, _cx: &RequestContext<'_>) -> Result<RequestSpec, Error> {
        Ok(delete_me_request(&self.sudo))
    }

    fn parse(&self, _: HttpResponse, cx: &mut ResponseContext<'_>) -> Result<(), Error> {
        cx.session.sign_out();
        Ok(())
    }
}

/// The JS SDK's `deleteUser({password})`: sudo with the password, then
/// `DELETE /user/me?sudo_token=`; the session ends (`SIGNED_OUT`).
#[derive(Clone, Debug)]
#[must_use]
pub struct DeleteUser {
    password: Secret,
    sudo: Option<SudoToken>,
}

impl DeleteUser {
    /// Confirms with the current password.
    pub fn new(password: impl Into<Secret>) -> Self {
        Self {
            password: password.into(),
            sudo: None,
        }
    }
}

impl Operation for DeleteUser {
    type Output = ();

    fn request(&self, _cx: &RequestContext<'_>) -> Result<RequestSpec, Error> {
        match &self.sudo {
            None => Ok(sudo_request(&SudoProof::Password(self.password.clone()))?),
            Some(sudo) => Ok(delete_me_request(sudo)),
        }
    }

    fn on_response(
        &mut self,
        response: HttpResponse,
        cx: &mut ResponseContext<'_>,
    ) -> Result<Progress<()>, Error> {
        if self.sudo.is_some() {
            cx.session.sign_out();
            return Ok(Progress::Done(()));
        }
        self.sudo = Some(sudo_token(&response, cx.now)?);
        Ok(Progress::Next)
    }
}

/// One user found by [`QueryUser`].
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct UserSummary {
    /// The user id.
    pub sub: String,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// Avatar URL.
    #[serde(default)]
    pub picture: Option<String>,
    /// Gender.
    #[serde(default)]
    pub gender: Option<String>,
    /// Locale.
    #[serde(default)]
    pub locale: Option<String>,
    /// Email address.
    #[serde(default)]
    pub email: Option<String>,
    /// Phone number.
    #[serde(default)]
    pub phone_number: Option<String>,
}

/// The answer of [`QueryUser`].
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct UserQueryResult {
    /// How many users matched.
    #[serde(default)]
    pub total: u64,
    /// The users.
    #[serde(default)]
    pub data: Vec<UserSummary>,
}

/// Looks users up: `GET /auth/v1/user/query?id=&username=&email=&phone_number=`
/// (the JS SDK's `queryUser`; needs a signed-in user). At least one criterion is
/// required; a phone number is normalised first.
///
/// ```
/// use cloudbase_core::auth::QueryUser;
/// let op = QueryUser::new().username("ada");
/// ```
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct QueryUser {
    criteria: Vec<(&'static str, String)>,
    invalid: Option<BuildError>,
}

impl QueryUser {
    /// No criterion yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// By user id.
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.criteria.push(("id", id.into()));
        self
    }

    /// By login name.
    pub fn username(mut self, username: impl Into<String>) -> Self {
        self.criteria.push(("username", username.into()));
        self
    }

    /// By email address.
    pub fn email(mut self, email: &str) -> Self {
        match crate::auth::Email::parse(email) {
            Ok(e) => self.criteria.push(("email", e.as_str().to_owned())),
            Err(e) => self.invalid = Some(e),
        }
        self
    }

    /// By phone number.
    pub fn phone(mut self, phone: &str) -> Self {
        match crate::auth::Phone::parse(phone) {
            Ok(p) => self.criteria.push(("phone_number", p.as_str().to_owned())),
            Err(e) => self.invalid = Some(e),
        }
        self
    }
}

impl OneShot for QueryUser {
    type Output = UserQueryResult;

    fn request(&self, _cx: &RequestContext<'_>) -> Result<RequestSpec, Error> {
        if let Some(e) = &self.invalid {
            return Err(e.clone().into());
        }
        if self.criteria.iter().all(|(_, v)| v.trim().is_empty()) {
            return Err(BuildError::InvalidInput {
                field: "user query",
                reason: "give an id, username, email or phone number".into(),
            }
            .into());
        }
        let mut spec = auth_get(Method::GET, "user/query", Access::User);
        for (k, v) in self.criteria.iter().filter(|(_, v)| !v.is_empty()) {
            spec = spec.query(*k, v.as_str());
        }
        Ok(spec)
    }

    fn is_idempotent(&self) -> bool {
        true
    }

    fn parse(
        &self,
        response: HttpResponse,
        _: &mut ResponseContext<'_>,
    ) -> Result<UserQueryResult, Error> {
        json(&response)
    }
}

/// Whether a login name is taken: `GET /auth/v1/checkIfUserExist?username=` →
/// `{exist}` (no sign-in needed).
#[derive(Clone, Debug)]
#[must_use]
pub struct IsUsernameRegistered {
    username: String,
}

impl IsUsernameRegistered {
    /// Checks `username`.
    pub fn new(username: impl Into<String>) -> Self {
        Self {
            username: username.into(),
        }
    }
}

#[derive(Deserialize)]
struct Exist {
    #[serde(default)]
    exist: bool,
}

impl OneShot for IsUsernameRegistered {
    type Output = bool;

    fn request(&self, _cx: &RequestContext<'_>) -> Result<RequestSpec, Error> {
        required("username", &self.username)?;
        Ok(auth_get(Method::GET, "checkIfUserExist", Access::ClientId)
            .query("username", self.username.as_str()))
    }

    fn is_idempotent(&self) -> bool {
        true
    }

    fn parse(&self, response: HttpResponse, _: &mut ResponseContext<'_>) -> Result<bool, Error> {
        Ok(json::<Exist>(&response)?.exist)
    }
}
