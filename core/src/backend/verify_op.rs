//! `verify_access_token`: verification with the cached key set, fetching it
//! (`GET /auth/v1/certs`, configurable) only when the cache says so.

use std::sync::Arc;

use http::Method;

use super::key_cache::KeyDecision;
use super::verify::{Audience, key_id, verify_token};
use super::{KeySet, VerifiedClaims};
use crate::error::{Error, TokenError};
use crate::operation::{Operation, Progress, RequestContext, ResponseContext};
use crate::request::{Access, Api, HttpResponse, RequestSpec};
use crate::secret::Secret;

/// Verifies a user's access token on a backend: RS256 against the environment's key
/// set, times against the call's time with the configured leeway, and the
/// environment claims. The key set is fetched once and cached
/// ([`VerificationOptions`](crate::config::VerificationOptions)); an unknown `kid`
/// refetches it (rate-limited); a failed fetch keeps verifying with a cached set that
/// is still usable. One fetch is in flight per client: concurrent verifications
/// wait for it (they share the client's refresh slot).
///
/// ```
/// use cloudbase_core::backend::VerifyAccessToken;
/// use cloudbase_core::{Config, Operation, RequestContext};
///
/// let config = Config::builder("demo-env").build()?;
/// let op = VerifyAccessToken::new("eyJ...");
/// let spec = op.request(&RequestContext::new(&config, &Default::default(), std::time::SystemTime::UNIX_EPOCH))?;
/// assert!(op.is_idempotent());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct VerifyAccessToken {
    token: Secret,
    /// The token's `kid`, read once (and the algorithm refused) before anything else.
    kid: Result<String, TokenError>,
    /// The key set is being fetched by this call.
    fetching: bool,
}

impl VerifyAccessToken {
    /// Verifies `token` (the bearer a client sent, without `Bearer `).
    pub fn new(token: impl Into<Secret>) -> Self {
        let token = token.into();
        let kid = key_id(token.expose());
        Self {
            token,
            kid,
            fetching: false,
        }
    }

    fn verify(&self, keys: &KeySet, cx: &ResponseContext<'_>) -> Result<VerifiedClaims, Error> {
        let audience = Audience {
            env_id: cx.config.env_id(),
            client_id: cx.config.client_id(),
        };
        Ok(verify_token(
            self.token.expose(),
            keys,
            audience,
            cx.config.verification(),
            cx.now,
        )?)
    }
}

impl Operation for VerifyAccessToken {
    type Output = VerifiedClaims;

    fn request(&self, cx: &RequestContext<'_>) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::new(Api::AuthV1, Method::GET, Access::ClientId)
            .path(&cx.config.verification().key_set_path))
    }

    fn is_idempotent(&self) -> bool {
        true
    }

    // The refresh slot makes the key-set fetch single-flight: a verification holds it
    // for the instant it checks the cache, or for the fetch.
    fn renews_session(&self) -> bool {
        true
    }

    fn captcha_protected(&self) -> bool {
        false
    }

    fn finish_locally(
        &mut self,
        cx: &mut ResponseContext<'_>,
    ) -> Option<Result<VerifiedClaims, Error>> {
        let kid = match &self.kid {
            Ok(kid) => kid,
            Err(e) => return Some(Err(e.clone().into())),
        };
        match cx.key_cache.decide(cx.now, kid, cx.config.verification()) {
            KeyDecision::Use(keys) => Some(self.verify(&keys, cx)),
            KeyDecision::Fetch => {
                self.fetching = true;
                None
            }
            KeyDecision::Unavailable => Some(Err(TokenError::KeysUnavailable(
                cx.key_cache
                    .last_failure()
                    .unwrap_or("the last fetch was too recent to try again")
                    .to_owned(),
            )
            .into())),
        }
    }

    fn on_response(
        &mut self,
        response: HttpResponse,
        cx: &mut ResponseContext<'_>,
    ) -> Result<Progress<VerifiedClaims>, Error> {
        let keys = KeySet::from_jwks(response.body())?;
        self.fetching = false;
        let keys: Arc<KeySet> = cx.key_cache.fetched(keys, cx.now);
        self.verify(&keys, cx).map(Progress::Done)
    }

    fn recover(
        &mut self,
        error: Error,
        cx: &mut ResponseContext<'_>,
    ) -> Result<VerifiedClaims, Error> {
        if !std::mem::take(&mut self.fetching) {
            return Err(error);
        }
        match cx
            .key_cache
            .fetch_failed(cx.now, error.to_string(), cx.config.verification())
        {
            Some(keys) => {
                tracing::warn!(%error, "key set fetch failed; verifying with the cached set");
                self.verify(&keys, cx)
            }
            None => Err(TokenError::KeysUnavailable(error.to_string()).into()),
        }
    }
}
