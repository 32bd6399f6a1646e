//! `GET /auth/v1/token/introspect?token=` (docs/protocol/auth.md §5.1; marked
//! unconfirmed there: one older toolkit is its only source).

use http::Method;
use serde::Deserialize;

use crate::error::{BuildError, Error};
use crate::operation::{OneShot, RequestContext, ResponseContext};
use crate::request::{Access, Api, HttpResponse, RequestSpec};
use crate::secret::Secret;

/// What the server says about a token.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct TokenIntrospection {
    /// Whether the token is valid now (signed by the environment, unexpired, not
    /// revoked).
    #[serde(default)]
    pub active: bool,
    /// The user id, for an active token.
    #[serde(default)]
    pub sub: Option<String>,
    /// The scope, for an active token.
    #[serde(default)]
    pub scope: Option<String>,
    /// Expiry (Unix seconds), for an active token.
    #[serde(default)]
    pub exp: Option<u64>,
    /// Every field of the answer, as sent.
    #[serde(flatten)]
    pub raw: serde_json::Map<String, serde_json::Value>,
}

/// Asks the server whether a token is active: the online alternative to local
/// verification, which also sees revocation.
///
/// Wire: `GET /auth/v1/token/introspect?token={token}&client_id={client}` with
/// `Authorization: Basic base64("{client_id}:")` (the notes' `B`; the answer's shape,
/// `{active, …claims}`, follows RFC 7662 — both are the project's choices where the
/// reference is silent, docs/protocol/auth.md of this repository).
///
/// ```
/// use cloudbase_core::auth::IntrospectToken;
/// use cloudbase_core::{Config, Operation, RequestContext};
///
/// let config = Config::builder("demo-env").build()?;
/// let spec = IntrospectToken::new("eyJ...")?.request(&RequestContext::new(&config, &Default::default(), std::time::SystemTime::UNIX_EPOCH))?;
/// assert_eq!(spec.access(), cloudbase_core::request::Access::BasicClient);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct IntrospectToken {
    token: Secret,
}

impl IntrospectToken {
    /// Introspects `token`; an empty one is refused unsent.
    pub fn new(token: impl Into<Secret>) -> Result<Self, BuildError> {
        let token = token.into();
        if token.is_empty() {
            return Err(BuildError::InvalidInput {
                field: "token",
                reason: "empty".into(),
            });
        }
        Ok(Self { token })
    }
}

impl OneShot for IntrospectToken {
    type Output = TokenIntrospection;

    fn request(&self, _cx: &RequestContext<'_>) -> Result<RequestSpec, Error> {
        Ok(
            RequestSpec::new(Api::AuthV1, Method::GET, Access::BasicClient)
                .path("token/introspect")
                .query("token", self.token.expose()),
        )
    }

    fn is_idempotent(&self) -> bool {
        true
    }

    fn captcha_protected(&self) -> bool {
        false
    }

    fn parse(
        &self,
        response: HttpResponse,
        _cx: &mut ResponseContext<'_>,
    ) -> Result<TokenIntrospection, Error> {
        Ok(crate::response::decode_json(
            response.status(),
            response.body(),
        )?)
    }
}
