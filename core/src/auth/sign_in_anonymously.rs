//! `POST /auth/v1/signin/anonymously` (auth.md §5.1).

use http::Method;

use crate::call::{Operation, ResponseContext};
use crate::error::{BuildError, Error};
use crate::request::{Access, Api, HttpResponse, RequestSpec};
use crate::response::decode_json;
use crate::secret::Secret;
use crate::session::{Credentials, TokenResponse};

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
/// use cloudbase_core::Operation;
///
/// let spec = SignInAnonymously::new().request()?;
/// assert!(!SignInAnonymously::new().is_idempotent());
/// # Ok::<(), cloudbase_core::BuildError>(())
/// ```
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct SignInAnonymously {
    provider_token: Option<Secret>,
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
        }
    }
}

impl Operation for SignInAnonymously {
    type Output = Credentials;

    fn request(&self) -> Result<RequestSpec, BuildError> {
        let body = match &self.provider_token {
            Some(t) => serde_json::json!({ "provider_token": t.expose() }),
            None => serde_json::json!({}),
        };
        let bytes = serde_json::to_vec(&body).map_err(|e| BuildError::Serialize(e.to_string()))?;
        Ok(
            RequestSpec::new(Api::AuthV1, Method::POST, Access::ClientId)
                .path("signin/anonymously")
                .json_body(bytes, "application/json"),
        )
    }

    fn parse(
        &self,
        response: HttpResponse,
        cx: &mut ResponseContext<'_>,
    ) -> Result<Credentials, Error> {
        let token: TokenResponse = decode_json(response.status(), response.body())?;
        let credentials = Credentials::from_response(token, cx.now);
        cx.session.set(credentials.clone());
        Ok(credentials)
    }
}
