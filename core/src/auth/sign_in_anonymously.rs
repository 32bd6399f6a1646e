//! `POST /auth/v1/signin/anonymously` (docs/protocol/auth.md §5.1).

use http::Method;

use crate::error::Error;
use crate::operation::{OneShot, RequestContext, ResponseContext};
use crate::request::{Access, Api, HttpResponse, RequestSpec};
use crate::secret::Secret;
use crate::session::Credentials;

/// Signs in as a new (or this device's) anonymous user and stores the credentials in
/// the session.
///
/// Wire: `POST /auth/v1/signin/anonymously?client_id={client}` with body `{}` (or
/// `{"provider_token": …}`), headers `x-device-id` (required by the server for this
/// call), `x-request-id`, `X-SDK-Version`, `Accept-Language`, no `Authorization`.
/// Not idempotent: each call may create a user, so it is never retried after the
/// request may have reached the server.
///
/// ```
/// use cloudbase_core::auth::SignInAnonymously;
/// use cloudbase_core::{Operation, RequestContext};
///
/// let spec = SignInAnonymously::new().request(&RequestContext::new(&cloudbase_core::Config::builder("demo-env").build()?, &Default::default(), std::time::SystemTime::UNIX_EPOCH))?;
/// assert!(!SignInAnonymously::new().is_idempotent());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct SignInAnonymously {
    provider_token: Option<Secret>,
    renewal: bool,
}

impl SignInAnonymously {
    /// A plain anonymous sign-in.
    pub fn new() -> Self {
        Self::default()
    }

    /// Signs in anonymously bound to a third-party provider token (mini programs).
    pub fn with_provider_token(token: impl Into<Secret>) -> Self {
        Self {
            provider_token: Some(token.into()),
            renewal: false,
        }
    }

    /// The automatic re-sign-in that renews an anonymous session without a refresh
    /// token (docs/protocol/auth.md §3): sent with `Basic base64("{client_id}:")` like the JS SDK,
    /// and reported as `TOKEN_REFRESHED`, since to the app the session continues.
    pub fn renewal() -> Self {
        Self {
            provider_token: None,
            renewal: true,
        }
    }
}

impl OneShot for SignInAnonymously {
    type Output = Credentials;

    fn request(&self, _cx: &RequestContext<'_>) -> Result<RequestSpec, Error> {
        let body = match &self.provider_token {
            Some(t) => serde_json::json!({ "provider_token": t.expose() }),
            None => serde_json::json!({}),
        };
        let bytes = crate::request::to_json(&body)?;
        let access = if self.renewal {
            Access::BasicClient
        } else {
            Access::ClientId
        };
        Ok(RequestSpec::new(Api::AuthV1, Method::POST, access)
            .path("signin/anonymously")
            .json_body(bytes, "application/json"))
    }

    fn captcha_protected(&self) -> bool {
        !self.renewal
    }

    fn parse(
        &self,
        response: HttpResponse,
        cx: &mut ResponseContext<'_>,
    ) -> Result<Credentials, Error> {
        let credentials = Credentials::decode(&response, cx.now)?;
        if self.renewal {
            cx.session.refreshed(credentials.clone());
        } else {
            cx.session.sign_in(credentials.clone());
        }
        Ok(credentials)
    }
}
