//! `POST /auth/v1/token/clientCredential`: the admin token server credentials buy
//! (docs/protocol/auth.md §5.1).

use std::fmt;
use std::time::{Duration, SystemTime};

use http::Method;
use serde::Deserialize;

use crate::error::{Error, SessionError};
use crate::operation::{OneShot, RequestContext, ResponseContext};
use crate::request::{Access, Api, HttpResponse, RequestSpec};
use crate::secret::Secret;

/// An admin access token obtained with server credentials
/// ([`Credential::ServerSecret`](crate::Credential::ServerSecret)). It has no refresh
/// token: it is renewed by asking again with the same credentials.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerToken {
    /// `Bearer`.
    pub token_type: String,
    /// The access token.
    pub access_token: Secret,
    /// When it expires (receipt time + `expires_in`, whole seconds rounded down).
    pub expires_at: SystemTime,
}

impl fmt::Debug for ServerToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerToken")
            .field("token_type", &self.token_type)
            .field("access_token", &self.access_token)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl ServerToken {
    /// Whether the token expires within `margin` of `now`.
    pub fn expires_within(&self, now: SystemTime, margin: Duration) -> bool {
        now.checked_add(margin).is_none_or(|t| t >= self.expires_at)
    }
}

#[derive(Deserialize)]
struct Answer {
    #[serde(default = "bearer")]
    token_type: String,
    access_token: Secret,
    expires_in: u64,
}

fn bearer() -> String {
    "Bearer".to_owned()
}

/// Exchanges the configured server credentials for an admin access token.
///
/// Wire: `POST /auth/v1/token/clientCredential` with
/// `Authorization: Basic base64("{SecretId}:{SecretKey}")` and body
/// `{"grant_type": "client_credentials"}`; the answer is
/// `{token_type, access_token, expires_in}`, with no refresh token. The client runs
/// it by itself (once, then again before the token's expiry, one request at a time
/// for all calls); core users drive it like any operation.
///
/// ```
/// use cloudbase_core::auth::ObtainServerToken;
/// use cloudbase_core::{Config, Operation, RequestContext};
///
/// let config = Config::builder("demo-env").server_secret("AKIDexample", "key").build()?;
/// let spec = ObtainServerToken.request(&RequestContext::new(&config, &Default::default(), std::time::SystemTime::UNIX_EPOCH))?;
/// assert_eq!(spec.access(), cloudbase_core::request::Access::ServerSecret);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct ObtainServerToken;

impl OneShot for ObtainServerToken {
    type Output = ServerToken;

    fn request(&self, cx: &RequestContext<'_>) -> Result<RequestSpec, Error> {
        if !cx.config.credential().is_server_secret() {
            return Err(SessionError::MissingCredential.into());
        }
        let body =
            crate::request::to_json(&serde_json::json!({"grant_type": "client_credentials"}))?;
        Ok(
            RequestSpec::new(Api::AuthV1, Method::POST, Access::ServerSecret)
                .path("token/clientCredential")
                .json_body(body, "application/json"),
        )
    }

    // Asking again only mints another token; the old one stays valid.
    fn is_idempotent(&self) -> bool {
        true
    }

    fn parse(
        &self,
        response: HttpResponse,
        cx: &mut ResponseContext<'_>,
    ) -> Result<ServerToken, Error> {
        let answer: Answer = crate::response::decode_json(response.status(), response.body())?;
        let whole = crate::expiry::whole_seconds(cx.now);
        Ok(ServerToken {
            token_type: answer.token_type,
            access_token: answer.access_token,
            expires_at: crate::expiry::expires_after(whole, answer.expires_in, "expires_in")?,
        })
    }
}
