//! The session as the client holds it, renewed first when it is about to expire:
//! answered locally, so the renewal follows the driver's one rule (refresh within the
//! margin, anonymous sign-in again for anonymous sessions without a refresh token).

use http::Method;

use crate::error::{Error, SessionError};
use crate::operation::{Operation, Progress, RequestContext, ResponseContext};
use crate::request::{Access, Api, HttpResponse, RequestSpec};
use crate::secret::Secret;
use crate::session::Credentials;

/// A request that carries the user's token and is never sent: it makes the driver
/// apply the session rules before the local answer.
fn session_probe() -> RequestSpec {
    RequestSpec::new(Api::AuthV1, Method::GET, Access::User).path("user/me")
}

/// The session's credentials, renewed first if they expire within the margin (the
/// JS SDK's `getSession`); `None` when nobody is signed in. Sends nothing unless a
/// renewal is due.
///
/// ```
/// use cloudbase_core::auth::GetSession;
/// let op = GetSession::new();
/// ```
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct GetSession;

impl GetSession {
    /// A session read.
    pub fn new() -> Self {
        Self
    }
}

impl Operation for GetSession {
    type Output = Option<Credentials>;

    fn request(&self, _cx: &RequestContext<'_>) -> Result<RequestSpec, Error> {
        Ok(session_probe())
    }

    fn finish_locally(
        &mut self,
        cx: &mut ResponseContext<'_>,
    ) -> Option<Result<Option<Credentials>, Error>> {
        Some(Ok(cx.session.credentials().cloned()))
    }

    fn on_response(
        &mut self,
        _: HttpResponse,
        _: &mut ResponseContext<'_>,
    ) -> Result<Progress<Option<Credentials>>, Error> {
        Err(Error::Internal("a local session read was sent"))
    }
}

/// The session's access token, renewed first if needed (the JS v2
/// `getAccessToken`); [`SessionError::NotSignedIn`] when nobody is signed in.
///
/// ```
/// use cloudbase_core::auth::GetAccessToken;
/// let op = GetAccessToken::new();
/// ```
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct GetAccessToken;

impl GetAccessToken {
    /// A token read.
    pub fn new() -> Self {
        Self
    }
}

impl Operation for GetAccessToken {
    type Output = Secret;

    fn request(&self, _cx: &RequestContext<'_>) -> Result<RequestSpec, Error> {
        Ok(session_probe())
    }

    fn finish_locally(&mut self, cx: &mut ResponseContext<'_>) -> Option<Result<Secret, Error>> {
        Some(
            cx.session
                .credentials()
                .map(|c| c.access_token.clone())
                .ok_or_else(|| SessionError::NotSignedIn.into()),
        )
    }

    fn on_response(
        &mut self,
        _: HttpResponse,
        _: &mut ResponseContext<'_>,
    ) -> Result<Progress<Secret>, Error> {
        Err(Error::Internal("a local session read was sent"))
    }
}
