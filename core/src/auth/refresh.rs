//! `POST /auth/v1/token` with `grant_type=refresh_token` (docs/protocol/auth.md §3).

use http::Method;
use serde_json::json;

use crate::codes::AuthErrorCode;
use crate::error::{Error, ServerError, SessionError};
use crate::operation::{OneShot, RequestContext, ResponseContext};
use crate::request::{Access, Api, HttpResponse, RequestSpec};
use crate::secret::Secret;
use crate::session::Credentials;

/// Whether a refresh failure means the session is over (the refresh token is
/// expired, revoked or unknown), as opposed to a passing failure.
pub fn ends_session(error: &ServerError) -> bool {
    matches!(
        error.code.auth(),
        Some(AuthErrorCode::InvalidGrant | AuthErrorCode::Unauthenticated)
    )
}

/// Exchanges a refresh token for new credentials and stores them
/// (`TOKEN_REFRESHED`).
///
/// Wire, as the JS SDK: `POST /auth/v1/token?client_id={client}` with body
/// `{"client_id", "client_secret": "", "grant_type": "refresh_token", "refresh_token"}`
/// (client id in the query **and** the body), no `Authorization`. The answer replaces
/// the stored credentials as returned (the old refresh token is not carried over,
/// as in the JS SDK). `invalid_grant` ends the session: credentials are cleared and
/// `SIGNED_OUT` is emitted. Not idempotent (refresh tokens rotate), so it is retried
/// only when the connection could not be made.
///
/// ```
/// use cloudbase_core::auth::RefreshToken;
/// use cloudbase_core::{Operation, RequestContext};
///
/// let spec = RefreshToken::new("rt-123").request(&RequestContext::new(&cloudbase_core::Config::builder("demo-env").build()?, &Default::default(), std::time::SystemTime::UNIX_EPOCH))?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct RefreshToken {
    refresh_token: Option<Secret>,
    end_session_on_rejection: bool,
    /// Takes the client's refresh slot; false when run as the renewal of a call that
    /// already holds it.
    takes_slot: bool,
    /// `set_session`: the answer is a new sign-in (`SIGNED_IN`), not a refresh.
    signs_in: bool,
}

impl RefreshToken {
    /// A refresh with `refresh_token`.
    pub fn new(refresh_token: impl Into<Secret>) -> Self {
        Self {
            refresh_token: Some(refresh_token.into()),
            end_session_on_rejection: true,
            takes_slot: true,
            signs_in: false,
        }
    }

    /// `refresh_session`: an unconditional refresh with the session's own refresh
    /// token. It takes part in the single-flight rule, so it never races an automatic
    /// refresh (which rotation would punish with `invalid_grant`).
    pub fn of_session() -> Self {
        Self {
            refresh_token: None,
            end_session_on_rejection: true,
            takes_slot: true,
            signs_in: false,
        }
    }

    /// `set_session`: adopts a session obtained elsewhere through the refresh grant
    /// with its refresh token (docs/protocol/auth.md §3: the access token is not sent). The result
    /// is stored as a new sign-in (`SIGNED_IN`); as in the JS SDK, a rejection goes to
    /// the caller and does not end the current session.
    ///
    /// ```
    /// use cloudbase_core::auth::RefreshToken;
    /// let op = RefreshToken::set_session("rt-from-another-device");
    /// ```
    pub fn set_session(refresh_token: impl Into<Secret>) -> Self {
        Self {
            refresh_token: Some(refresh_token.into()),
            end_session_on_rejection: false,
            takes_slot: true,
            signs_in: true,
        }
    }

    /// Keeps the session when the token is rejected (the caller has a fallback, e.g.
    /// anonymous re-sign-in, or is `set_session` whose errors go to the caller).
    pub(crate) fn keep_session_on_rejection(mut self) -> Self {
        self.end_session_on_rejection = false;
        self
    }

    /// Run inside another call's renewal, which already holds the refresh slot.
    pub(crate) fn within_held_slot(mut self) -> Self {
        self.takes_slot = false;
        self
    }
}

impl OneShot for RefreshToken {
    type Output = Credentials;

    fn request(&self, cx: &RequestContext<'_>) -> Result<RequestSpec, Error> {
        let refresh_token = match &self.refresh_token {
            Some(rt) => rt,
            None => {
                let creds = cx.session.credentials().ok_or(SessionError::NotSignedIn)?;
                creds
                    .refresh_token
                    .as_ref()
                    .ok_or(SessionError::SessionExpired)?
            }
        };
        let body = json!({
            "client_id": cx.config.client_id(),
            "client_secret": "",
            "grant_type": "refresh_token",
            "refresh_token": refresh_token.expose(),
        });
        let bytes = crate::request::to_json(&body)?;
        Ok(
            RequestSpec::new(Api::AuthV1, Method::POST, Access::ClientId)
                .path("token")
                .json_body(bytes, "application/json"),
        )
    }

    fn renews_session(&self) -> bool {
        self.takes_slot
    }

    fn captcha_protected(&self) -> bool {
        false
    }

    fn ends_session_on(&self, error: &ServerError) -> bool {
        self.end_session_on_rejection && ends_session(error)
    }

    fn parse(
        &self,
        response: HttpResponse,
        cx: &mut ResponseContext<'_>,
    ) -> Result<Credentials, Error> {
        let credentials = Credentials::decode(&response, cx.now)?;
        if self.signs_in {
            cx.session.sign_in(credentials.clone());
        } else {
            cx.session.refreshed(credentials.clone());
        }
        Ok(credentials)
    }
}
